/*
 * acme.h - the ACME server (RFC 8555, RFC 9773 ARI) over HTTPS, and the
 * operator's side of External Account Binding (RFC 8555 7.3.4).
 */
#ifndef CATENA_ACME_H
#define CATENA_ACME_H

#include <stdio.h>

#include "catena/err.h"
#include "catena/service.h"

struct catena_store;

/* The ACME service for "catena serve" (its own HTTPS listener). */
extern const struct catena_service catena_acme_service;

/* Longest EAB key identifier, in characters. */
#define CATENA_ACME_EAB_MAX_KID 64

/*
 * catena_acme_eab_add creates an External Account Binding key in |store|
 * (creating the ACME tables if need be): the key identifier |kid| (NULL
 * for a random one; otherwise 1 to CATENA_ACME_EAB_MAX_KID characters of
 * A-Z a-z 0-9 . _ -, not starting with "-") and a fresh random 512-bit
 * HMAC key, usable once to bind one ACME account. Writes the kid into
 * |kid_out| and sets |*hmac_b64| to the base64url HMAC key (malloc'd, never
 * starting with "-"; the caller wipes and frees it).
 * Returns CATENA_ERR_INVALID for a bad |kid|, CATENA_ERR_EXISTS if it is
 * taken; on failure |*hmac_b64| is NULL.
 */
enum catena_rc catena_acme_eab_add(struct catena_store *store, const char *kid,
                                   char kid_out[CATENA_ACME_EAB_MAX_KID + 1],
                                   char **hmac_b64,
                                   struct catena_err *err) CATENA_WUR;

/*
 * catena_acme_eab_remove deletes the unbound EAB key |kid|, so it can bind
 * no account. Returns CATENA_ERR_NOT_FOUND if there is none, and
 * CATENA_ERR_EXISTS (nothing deleted) if it is bound already: a bound key
 * admits no further account and stays as the record of its binding.
 */
enum catena_rc catena_acme_eab_remove(struct catena_store *store,
                                      const char *kid,
                                      struct catena_err *err) CATENA_WUR;

/*
 * catena_acme_eab_list writes one line per EAB key to |out|: kid, time
 * created, time bound and the account it is bound to ("-" while unbound),
 * as an account URL under |base_url| if that is non-NULL, else its number.
 * Never prints an HMAC key.
 */
enum catena_rc catena_acme_eab_list(struct catena_store *store,
                                    const char *base_url, FILE *out,
                                    struct catena_err *err) CATENA_WUR;

/*
 * A remote network perspective for Multi-Perspective Issuance
 * Corroboration (TLS BR 3.2.2.9; acme/perspective.c), run by "catena
 * perspective" from a config file with a [perspective] section.
 */
struct catena_config;
struct catena_config_schema;
struct catena_perspective;

extern const struct catena_config_schema *const catena_perspective_schemas[];
extern const size_t catena_perspective_num_schemas;

/* catena_perspective_start listens as |cfg| says and answers the ACME
 * server's checks on its own threads until catena_perspective_stop. */
enum catena_rc catena_perspective_start(const struct catena_config *cfg,
                                        struct catena_perspective **out,
                                        struct catena_err *err) CATENA_WUR;
void catena_perspective_stop(struct catena_perspective *ps);

#endif
