/*
 * nonce.c - anti-replay nonces (RFC 8555 6.5), kept in the store so that a
 * restart or a second node sharing the database accepts nonces the first
 * one issued. Each is single-use: consuming deletes it.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "catena/store.h"
#include "internal.h"

/* Expired rows are swept every this many new nonces (per thread). */
#define NONCE_SWEEP_EVERY 512

enum catena_rc
acme_nonce_new(struct catena_store *store, int64_t lifetime,
               char out[ACME_MAX_NONCE], struct catena_err *err)
{
    static _Thread_local unsigned counter;
    uint8_t raw[18];
    char *b = NULL;
    int64_t now = acme_now();
    enum catena_rc rc;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return catena_err_set(err, CATENA_ERR_CRYPTO, "RAND_bytes failed");
    }
    b = acme_b64u_encode(raw, sizeof(raw));
    if (b == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "nonce");
    }
    snprintf(out, ACME_MAX_NONCE, "%s", b);
    free(b);
    {
        struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(out),
                                       CATENA_SQL_P_INT(now + lifetime)};
        rc = catena_store_exec(store,
                               "INSERT INTO acme_nonces (nonce, expires) "
                               "VALUES ($1, $2)",
                               p, 2, NULL, err);
    }
    if (rc == CATENA_OK && ++counter % NONCE_SWEEP_EVERY == 0) {
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(now)};
        /* Sweeping is housekeeping: its failure does not fail the nonce. */
        if (catena_store_exec(store,
                              "DELETE FROM acme_nonces WHERE expires < $1", p,
                              1, NULL, NULL) != CATENA_OK) {
            counter = 0;
        }
    }
    return rc;
}

enum catena_rc
acme_nonce_use(struct catena_store *store, const char *nonce, int *ok,
               struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(nonce)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    enum catena_rc rc;

    *ok = 0;
    rc = catena_store_exec(store,
                           "DELETE FROM acme_nonces WHERE nonce = $1 "
                           "RETURNING expires",
                           p, 1, &rows, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    row = catena_rows_get(rows, 0);
    if (row != NULL && catena_row_int(row, 0) >= acme_now()) {
        *ok = 1;
    }
    catena_rows_free(rows);
    return CATENA_OK;
}
