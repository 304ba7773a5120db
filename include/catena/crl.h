/*
 * crl.h - sharded CRL generation and publication, and the OCSP responder.
 */
#ifndef CATENA_CRL_H
#define CATENA_CRL_H

#include <stdio.h>

#include "catena/err.h"
#include "catena/service.h"

struct catena_ca;
struct catena_config;
struct catena_store;

/* The CRL/OCSP service for "catena serve" (HTTP routes /crl/, /ocsp). */
extern const struct catena_service catena_crl_service;

/*
 * catena_crl_publish_all generates, signs (through |ca|'s signer) and
 * stores every shard of every issuer now. Under PostgreSQL it takes the
 * CRL advisory lock first and returns CATENA_ERR_EXISTS if another node
 * holds it. |report| (may be NULL) gets one line per shard.
 */
enum catena_rc catena_crl_publish_all(struct catena_ca *ca,
                                      const struct catena_config *cfg,
                                      struct catena_store *store,
                                      FILE *report,
                                      struct catena_err *err) CATENA_WUR;

/*
 * catena_crl_urls_json returns the JSON array of every shard URL of every
 * issuer (the CCADB "JSON Array of Partitioned CRLs"); |*out| is malloc'd.
 */
enum catena_rc catena_crl_urls_json(const struct catena_ca *ca, char **out,
                                    struct catena_err *err) CATENA_WUR;

/*
 * catena_crl_show writes one line per stored shard (issuer, shard, number,
 * thisUpdate, nextUpdate, entries, size) to |out|.
 */
enum catena_rc catena_crl_show(struct catena_store *store, FILE *out,
                               struct catena_err *err) CATENA_WUR;

/*
 * catena_crl_export writes every stored shard as DER to
 * |dir|/<issuer>-<shard>.crl.
 */
enum catena_rc catena_crl_export(struct catena_store *store, const char *dir,
                                 struct catena_err *err) CATENA_WUR;

#endif
