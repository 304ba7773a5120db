/*
 * acme.h - the ACME server (RFC 8555, RFC 9773 ARI) over HTTPS.
 */
#ifndef CATENA_ACME_H
#define CATENA_ACME_H

#include "catena/service.h"

/* The ACME service for "catena serve" (its own HTTPS listener). */
extern const struct catena_service catena_acme_service;

#endif
