/*
 * crl.h - sharded CRL generation and publication, and the OCSP responder.
 */
#ifndef CATENA_CRL_H
#define CATENA_CRL_H

#include "catena/service.h"

/* The CRL/OCSP service for "catena serve" (HTTP routes /crl/, /ocsp). */
extern const struct catena_service catena_crl_service;

#endif
