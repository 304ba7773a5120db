/*
 * eab.c - External Account Binding (RFC 8555 7.3.4): the operator creates
 * keys (kid + HMAC key) that it hands out; a newAccount carrying a JWS
 * MAC'd with one of them binds the new account to it. A key binds one
 * account, once: the binding is written in the transaction that creates
 * the account, and only while the key is still unbound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "catena/acme.h"
#include "catena/ca.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

/* RFC 7518 3.2: an HMAC key at least as long as the hash output. 512 bits
 * suits HS512, and so every algorithm a client may pick. */
#define EAB_KEY_LEN 64
#define EAB_RANDOM_KID_LEN 16 /* 128 bits, 32 hex digits */

struct eab_alg {
    const char *name;
    const char *digest;
};

static const struct eab_alg eab_algs[] = {
    {"HS256", "SHA256"},
    {"HS384", "SHA384"},
    {"HS512", "SHA512"},
};

static void
set_detail(char *detail, size_t len, const char *msg)
{
    if (detail != NULL && len > 0) {
        snprintf(detail, len, "%s", msg);
    }
}

json_t *
acme_eab_algs_json(void)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < sizeof(eab_algs) / sizeof(eab_algs[0]);
         i++) {
        json_array_append_new(a, json_string(eab_algs[i].name));
    }
    return a;
}

/* kid_ok says whether |kid| is a key identifier we could have issued. */
static int
kid_ok(const char *kid, size_t len)
{
    /* No leading "-": clients take the kid on their command line. */
    if (len == 0 || len > CATENA_ACME_EAB_MAX_KID || kid[0] == '-') {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)kid[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

enum catena_rc
catena_acme_eab_add(struct catena_store *store, const char *kid,
                    char kid_out[CATENA_ACME_EAB_MAX_KID + 1], char **hmac_b64,
                    struct catena_err *err)
{
    uint8_t key[EAB_KEY_LEN], rnd[EAB_RANDOM_KID_LEN];
    char rkid[41], *b = NULL;
    enum catena_rc rc;

    *hmac_b64 = NULL;
    if (kid != NULL && !kid_ok(kid, strlen(kid))) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "kid must be 1 to %d characters of A-Z a-z "
                              "0-9 . _ -",
                              CATENA_ACME_EAB_MAX_KID);
    }
    rc = acme_db_migrate(store, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    /* The base64url text must not start with "-" (clients take it on
     * their command line): redraw while the first six bits are 62. That
     * costs 1/64 of one character's choices, not key strength to speak of. */
    do {
        if (RAND_bytes(key, sizeof(key)) != 1) {
            rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO, "RAND_bytes");
            goto out;
        }
    } while ((key[0] >> 2) == 62);
    if (kid == NULL && RAND_bytes(rnd, sizeof(rnd)) != 1) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO, "RAND_bytes");
        goto out;
    }
    if (kid == NULL) {
        /* Hex, not base64url: a kid starting with "-" would read as an
         * option on a client's command line. */
        catena_serial_hex(rnd, sizeof(rnd), rkid);
        kid = rkid;
    }
    b = acme_b64u_encode(key, sizeof(key));
    if (b == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "eab key");
        goto out;
    }
    {
        struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(kid),
                                       CATENA_SQL_P_BLOB(key, sizeof(key)),
                                       CATENA_SQL_P_INT(acme_now())};
        rc = catena_store_exec(store,
                               "INSERT INTO acme_eab_keys (kid, hmac_key, "
                               "created_at) VALUES ($1, $2, $3)",
                               p, 3, NULL, err);
    }
    if (rc == CATENA_ERR_EXISTS) {
        rc = catena_err_set(err, rc, "an EAB key with kid %s exists", kid);
    }
    if (rc != CATENA_OK) {
        goto out;
    }
    snprintf(kid_out, CATENA_ACME_EAB_MAX_KID + 1, "%s", kid);
    *hmac_b64 = b;
    b = NULL;
out:
    OPENSSL_cleanse(key, sizeof(key));
    if (b != NULL) {
        OPENSSL_cleanse(b, strlen(b));
        free(b);
    }
    return rc;
}

enum catena_rc
catena_acme_eab_remove(struct catena_store *store, const char *kid,
                       struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(kid)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    enum catena_rc rc;

    if (kid == NULL || !kid_ok(kid, strlen(kid))) {
        return catena_err_set(err, CATENA_ERR_INVALID, "not a valid kid");
    }
    if ((rc = acme_db_migrate(store, err)) != CATENA_OK) {
        return rc;
    }
    /* Only an unbound key goes: a bound one is the record of how its
     * account was admitted, and can no longer admit another. */
    rc = catena_store_exec(store,
                           "DELETE FROM acme_eab_keys WHERE kid = $1 AND "
                           "account_id IS NULL RETURNING id",
                           p, 1, &rows, err);
    if (rc != CATENA_OK || catena_rows_get(rows, 0) != NULL) {
        catena_rows_free(rows);
        return rc;
    }
    catena_rows_free(rows);
    rows = NULL;
    rc = catena_store_exec(store,
                           "SELECT account_id FROM acme_eab_keys WHERE "
                           "kid = $1",
                           p, 1, &rows, err);
    if (rc == CATENA_OK) {
        row = catena_rows_get(rows, 0);
        rc = row == NULL
                 ? catena_err_set(err, CATENA_ERR_NOT_FOUND,
                                  "no EAB key with kid %s", kid)
                 : catena_err_set(err, CATENA_ERR_EXISTS,
                                  "kid %s is bound to account %lld; "
                                  "not removed",
                                  kid, (long long)catena_row_int(row, 0));
    }
    catena_rows_free(rows);
    return rc;
}

enum catena_rc
catena_acme_eab_list(struct catena_store *store, const char *base_url,
                     FILE *out, struct catena_err *err)
{
    struct catena_rows *rows = NULL;
    enum catena_rc rc;

    rc = acme_db_migrate(store, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    rc = catena_store_exec(store,
                           "SELECT kid, created_at, account_id, bound_at "
                           "FROM acme_eab_keys ORDER BY id",
                           NULL, 0, &rows, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    fprintf(out, "%-24s %-20s %-20s %s\n", "KID", "CREATED", "BOUND",
            "ACCOUNT");
    for (size_t i = 0; i < catena_rows_count(rows); i++) {
        const struct catena_row *row = catena_rows_get(rows, i);
        char created[32], bound[32] = "-", acct[ACME_MAX_URL + 32] = "-";

        acme_time_str(catena_row_int(row, 1), created);
        if (!catena_row_is_null(row, 2)) {
            long long id = (long long)catena_row_int(row, 2);
            acme_time_str(catena_row_int(row, 3), bound);
            if (base_url != NULL) {
                snprintf(acct, sizeof(acct), "%s/acct/%lld", base_url, id);
            } else {
                snprintf(acct, sizeof(acct), "%lld", id);
            }
        }
        fprintf(out, "%-24s %-20s %-20s %s\n", catena_row_text(row, 0), created,
                bound, acct);
    }
    catena_rows_free(rows);
    if (fflush(out) != 0 || ferror(out)) {
        return catena_err_set_errno(err, CATENA_ERR_IO, "writing the list");
    }
    return CATENA_OK;
}

/* eab_header checks the protected header of the binding (RFC 8555 7.3.4:
 * alg a MAC algorithm, kid, url equal to the outer url, no nonce) and
 * picks the algorithm. */
static enum acme_prob
eab_header(const json_t *hdr, const char *outer_url, const struct eab_alg **alg,
           const char **kid, char *detail, size_t detail_len)
{
    const char *a = NULL, *k = NULL, *u = NULL;
    size_t k_len = 0;
    json_error_t jerr;

    if (json_object_get(hdr, "nonce") != NULL) {
        set_detail(detail, detail_len,
                   "externalAccountBinding must not carry a nonce");
        return ACME_PROB_MALFORMED;
    }
    /* Exactly these three: jwk, crit, b64 and the rest have no place in
     * a MAC'd binding, and what we do not read we do not accept. */
    if (json_unpack_ex((json_t *)hdr, &jerr, JSON_STRICT, "{s:s, s:s%, s:s}",
                       "alg", &a, "kid", &k, &k_len, "url", &u) != 0) {
        set_detail(detail, detail_len,
                   "externalAccountBinding header must have exactly alg, "
                   "kid and url");
        return ACME_PROB_MALFORMED;
    }
    *alg = NULL;
    for (size_t i = 0; i < sizeof(eab_algs) / sizeof(eab_algs[0]); i++) {
        if (strcmp(a, eab_algs[i].name) == 0) {
            *alg = &eab_algs[i];
        }
    }
    if (*alg == NULL) {
        set_detail(detail, detail_len,
                   "externalAccountBinding alg must be HS256, HS384 or HS512");
        return ACME_PROB_BAD_SIG_ALG;
    }
    if (strcmp(u, outer_url) != 0) {
        set_detail(detail, detail_len,
                   "externalAccountBinding url differs from the outer url");
        return ACME_PROB_MALFORMED;
    }
    if (strlen(k) != k_len || k_len == 0) {
        set_detail(detail, detail_len, "externalAccountBinding kid is empty");
        return ACME_PROB_MALFORMED;
    }
    *kid = k;
    return ACME_PROB_NONE;
}

/* eab_mac_ok recomputes the MAC under |key| and compares it in constant
 * time. Returns 1 if it matches, 0 if not, -1 if OpenSSL failed. */
static int
eab_mac_ok(const struct eab_alg *alg, const uint8_t *key, size_t key_len,
           const struct acme_jws *jws)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    int ok;

    if (EVP_Q_mac(NULL, "HMAC", NULL, alg->digest, NULL, key, key_len,
                  (const unsigned char *)jws->signing_input,
                  jws->signing_input_len, mac, sizeof(mac), &mac_len) == NULL) {
        ERR_clear_error();
        return -1;
    }
    /* The length is public (it follows from alg); the bytes are not. */
    ok = jws->sig_len == mac_len && CRYPTO_memcmp(mac, jws->sig, mac_len) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

/* eab_payload_ok says whether the binding's payload is the outer key
 * (compared as keys: RFC 7638 thumbprints). */
static int
eab_payload_ok(const struct acme_jws *jws, const json_t *outer_jwk)
{
    char tp_in[48], tp_out[48];
    json_error_t jerr;
    json_t *jwk;
    int ok;

    jwk = json_loadb((const char *)jws->payload, jws->payload_len,
                     JSON_REJECT_DUPLICATES, &jerr);
    ok = json_is_object(jwk) && json_object_get(jwk, "d") == NULL &&
         acme_jwk_thumbprint(jwk, tp_in) == 0 &&
         acme_jwk_thumbprint(outer_jwk, tp_out) == 0 &&
         strcmp(tp_in, tp_out) == 0;
    json_decref(jwk);
    return ok;
}

enum acme_prob
acme_eab_check(struct catena_store *store, const json_t *eab,
               const char *outer_url, const json_t *outer_jwk,
               char kid_out[CATENA_ACME_EAB_MAX_KID + 1], char *detail,
               size_t detail_len)
{
    struct acme_jws jws = {0};
    json_t *hdr = NULL;
    const struct eab_alg *alg = NULL;
    const char *kid = NULL;
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    const uint8_t *key;
    size_t key_len = 0;
    struct catena_err err = {0};
    enum acme_prob p;
    int ok;

    p = acme_jws_split(eab, &hdr, &jws, detail, detail_len);
    if (p != ACME_PROB_NONE) {
        goto out;
    }
    p = eab_header(hdr, outer_url, &alg, &kid, detail, detail_len);
    if (p != ACME_PROB_NONE) {
        goto out;
    }
    /* Unknown kid and wrong MAC read the same, so that the answer does not
     * tell a guesser which kids exist. */
    p = ACME_PROB_UNAUTHORIZED;
    if (!kid_ok(kid, strlen(kid))) {
        set_detail(detail, detail_len,
                   "externalAccountBinding does not verify");
        goto out;
    }
    {
        struct catena_sql_param ps[] = {CATENA_SQL_P_TEXT(kid)};
        if (catena_store_exec(store,
                              "SELECT hmac_key, account_id FROM "
                              "acme_eab_keys WHERE kid = $1",
                              ps, 1, &rows, &err) != CATENA_OK) {
            CATENA_ERROR("acme: eab lookup: %s", err.msg);
            p = ACME_PROB_SERVER_INTERNAL;
            set_detail(detail, detail_len, "store error");
            goto out;
        }
    }
    row = catena_rows_get(rows, 0);
    key = row != NULL ? catena_row_blob(row, 0, &key_len) : NULL;
    if (key == NULL || key_len == 0) {
        set_detail(detail, detail_len,
                   "externalAccountBinding does not verify");
        goto out;
    }
    ok = eab_mac_ok(alg, key, key_len, &jws);
    if (ok < 0) {
        p = ACME_PROB_SERVER_INTERNAL;
        set_detail(detail, detail_len, "MAC computation failed");
        goto out;
    }
    if (!ok) {
        set_detail(detail, detail_len,
                   "externalAccountBinding does not verify");
        goto out;
    }
    /* Only a holder of the MAC key gets past here, so what follows may
     * say more. */
    if (!eab_payload_ok(&jws, outer_jwk)) {
        p = ACME_PROB_MALFORMED;
        set_detail(detail, detail_len,
                   "externalAccountBinding payload is not the account key");
        goto out;
    }
    if (!catena_row_is_null(row, 1)) {
        set_detail(detail, detail_len,
                   "this external account key is already bound to an "
                   "account");
        goto out;
    }
    snprintf(kid_out, CATENA_ACME_EAB_MAX_KID + 1, "%s", kid);
    p = ACME_PROB_NONE;
out:
    catena_rows_free(rows);
    json_decref(hdr);
    acme_jws_clear(&jws);
    return p;
}

enum catena_rc
acme_eab_bind(struct catena_store *store, const char *kid, int64_t account_id,
              int64_t now, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(account_id),
                                   CATENA_SQL_P_INT(now),
                                   CATENA_SQL_P_TEXT(kid)};
    struct catena_rows *rows = NULL;
    enum catena_rc rc;

    /* "AND account_id IS NULL" is the single-use rule: of two requests
     * racing for one key, the second updates nothing. */
    rc = catena_store_exec(store,
                           "UPDATE acme_eab_keys SET account_id = $1, "
                           "bound_at = $2 WHERE kid = $3 AND account_id IS "
                           "NULL RETURNING kid",
                           p, 3, &rows, err);
    if (rc == CATENA_OK && catena_rows_get(rows, 0) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_UNAUTHORIZED,
                            "EAB key %s is already bound", kid);
    }
    catena_rows_free(rows);
    return rc;
}
