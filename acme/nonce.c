/*
 * nonce.c - anti-replay nonces (RFC 8555 6.5). A nonce is
 * b64u(expiry || random || MAC) under a key kept in the store, so issuing
 * one writes nothing (every response carries one) and any node sharing the
 * database, or this one after a restart, recognises it. Single use is
 * enforced where it must be shared: consuming a nonce inserts its
 * expiry || random prefix into acme_nonce_uses, and a second insert of the
 * same prefix finds it there. The MAC is not what stops replay (that is
 * the used table); it bounds what a client can make us store and makes the
 * expiry trustworthy. The prefix alone identifies a nonce: the MAC is a
 * function of it.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

#define NONCE_EXP_LEN 8
#define NONCE_RAND_LEN 8
#define NONCE_MAC_LEN 16
/* What acme_nonce_uses keys on. Big-endian expiry first, so keys sort by
 * expiry: a used nonce lands at the right edge of the one B-tree with the
 * others used now, and the sweep is a range at its left edge. */
#define NONCE_PREFIX_LEN (NONCE_EXP_LEN + NONCE_RAND_LEN)
#define NONCE_RAW_LEN (NONCE_PREFIX_LEN + NONCE_MAC_LEN)
/* base64url of 32 bytes without padding. */
#define NONCE_TEXT_LEN 43

/* Expired used-nonce rows are swept every this many uses (per thread). */
#define NONCE_SWEEP_EVERY 1024

/* put_be64 writes |v| big-endian, as the nonce's expiry is written. */
static void
put_be64(uint8_t out[NONCE_EXP_LEN], uint64_t v)
{
    for (int i = 0; i < NONCE_EXP_LEN; i++) {
        out[i] = (uint8_t)(v >> (8 * (NONCE_EXP_LEN - 1 - i)));
    }
}

enum catena_rc
acme_nonce_key_set(struct acme_nonce_key *key,
                   const uint8_t secret[ACME_NONCE_KEY_LEN],
                   struct catena_err *err)
{
    EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = alg != NULL ? EVP_MAC_CTX_new(alg) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)(uintptr_t) "SHA256", 0),
        OSSL_PARAM_construct_end()};

    EVP_MAC_free(alg); /* the context keeps its own reference */
    if (ctx == NULL ||
        EVP_MAC_init(ctx, secret, ACME_NONCE_KEY_LEN, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return catena_err_set(err, CATENA_ERR_CRYPTO, "nonce HMAC key");
    }
    acme_nonce_key_clear(key);
    key->mac = ctx;
    return CATENA_OK;
}

void
acme_nonce_key_clear(struct acme_nonce_key *key)
{
    /* Freeing the context wipes the key schedule it holds. */
    EVP_MAC_CTX_free(key->mac);
    key->mac = NULL;
}

enum catena_rc
acme_nonce_key_load(struct catena_store *store, struct acme_nonce_key *key,
                    struct catena_err *err)
{
    uint8_t fresh[ACME_NONCE_KEY_LEN];
    char *text = NULL;
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    uint8_t *dec = NULL;
    size_t dec_len = 0;
    const char *s;
    enum catena_rc rc;

    if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
        return catena_err_set(err, CATENA_ERR_CRYPTO, "RAND_bytes failed");
    }
    text = acme_b64u_encode(fresh, sizeof(fresh));
    OPENSSL_cleanse(fresh, sizeof(fresh));
    if (text == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "nonce key");
    }
    {
        /* The first node to start creates the key; the others, and later
         * starts, read the same one. */
        struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(text)};
        rc = catena_store_exec(store,
                              "INSERT INTO acme_nonce_keys (id, secret) "
                              "VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                              p, 1, NULL, err);
    }
    if (rc != CATENA_OK) {
        goto out;
    }
    rc = catena_store_exec(store,
                           "SELECT secret FROM acme_nonce_keys WHERE id = 1",
                           NULL, 0, &rows, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    row = catena_rows_get(rows, 0);
    s = row != NULL ? catena_row_text(row, 0) : NULL;
    if (s == NULL ||
        acme_b64u_decode(s, strlen(s), ACME_NONCE_KEY_LEN, &dec, &dec_len) !=
            CATENA_OK ||
        dec_len != ACME_NONCE_KEY_LEN) {
        rc = catena_err_set(err, CATENA_ERR_STORE,
                            "acme_nonce_keys holds no usable key");
        goto out;
    }
    rc = acme_nonce_key_set(key, dec, err);
out:
    if (dec != NULL) {
        OPENSSL_cleanse(dec, dec_len);
        free(dec);
    }
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    catena_rows_free(rows);
    return rc;
}

/* nonce_mac writes the MAC of the prefix of |raw| into |mac|. */
static int
nonce_mac(const struct acme_nonce_key *key, const uint8_t raw[NONCE_RAW_LEN],
          uint8_t mac[NONCE_MAC_LEN])
{
    EVP_MAC_CTX *ctx = key->mac != NULL ? EVP_MAC_CTX_dup(key->mac) : NULL;
    uint8_t full[EVP_MAX_MD_SIZE];
    size_t len = 0;
    int ret = -1;

    if (ctx != NULL &&
        EVP_MAC_update(ctx, raw, NONCE_PREFIX_LEN) == 1 &&
        EVP_MAC_final(ctx, full, &len, sizeof(full)) == 1 &&
        len >= NONCE_MAC_LEN) {
        memcpy(mac, full, NONCE_MAC_LEN);
        ret = 0;
    }
    EVP_MAC_CTX_free(ctx);
    return ret;
}

enum catena_rc
acme_nonce_new(const struct acme_nonce_key *key, int64_t lifetime,
               char out[ACME_MAX_NONCE], struct catena_err *err)
{
    uint8_t raw[NONCE_RAW_LEN];
    uint64_t exp = (uint64_t)(acme_now() + lifetime);
    char *b;

    put_be64(raw, exp);
    if (RAND_bytes(raw + NONCE_EXP_LEN, NONCE_RAND_LEN) != 1) {
        return catena_err_set(err, CATENA_ERR_CRYPTO, "RAND_bytes failed");
    }
    if (nonce_mac(key, raw, raw + NONCE_PREFIX_LEN) != 0) {
        return catena_err_set(err, CATENA_ERR_CRYPTO, "nonce MAC");
    }
    b = acme_b64u_encode(raw, sizeof(raw));
    if (b == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "nonce");
    }
    snprintf(out, ACME_MAX_NONCE, "%s", b);
    free(b);
    return CATENA_OK;
}

/*
 * Group commit of nonce uses. Every POST consumes a nonce, and a write
 * transaction per nonce was most of the store's work per order. Threads
 * consuming nonces queue here; one of them (the leader) records everything
 * queued in one transaction on its own connection and hands each waiter
 * its answer, while the next batch gathers behind it. A nonce is still
 * answered only after the row recording its use is committed.
 */
#define NONCE_BATCH_MAX 64

struct nonce_waiter {
    const char *nonce;
    int done;
    int ok;
    enum catena_rc rc;
    struct nonce_waiter *next;
};

static pthread_mutex_t nq_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nq_cv = PTHREAD_COND_INITIALIZER;
static struct nonce_waiter *nq_head;
static int nq_leading;

/* insert_used records the use of |nonce| (one acme_nonce_check accepted)
 * inside the open transaction of |store|: |*ok| is 1 when this insert
 * made the row (the first use), 0 when the nonce was there already. */
static enum catena_rc
insert_used(struct catena_store *store, const char *nonce, int *ok,
            struct catena_err *err)
{
    struct catena_rows *rows = NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    enum catena_rc rc;

    *ok = 0;
    if (nonce == NULL ||
        acme_b64u_decode(nonce, strnlen(nonce, NONCE_TEXT_LEN + 1),
                         NONCE_RAW_LEN, &raw, &raw_len) != CATENA_OK ||
        raw_len != NONCE_RAW_LEN) {
        free(raw);
        return catena_err_set(err, CATENA_ERR_INTERNAL,
                              "recording a nonce that was not checked");
    }
    {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_BLOB(raw, NONCE_PREFIX_LEN)};
        rc = catena_store_exec(store,
                               "INSERT INTO acme_nonce_uses (prefix) "
                               "VALUES ($1) ON CONFLICT (prefix) DO NOTHING "
                               "RETURNING prefix",
                               p, 1, &rows, err);
    }
    /* A row back means this insert made it. A repeat conflicts with the
     * earlier insert, committed or earlier in the same transaction. */
    *ok = rc == CATENA_OK && catena_rows_get(rows, 0) != NULL;
    catena_rows_free(rows);
    free(raw);
    return rc;
}

/* sweep_used deletes the uses of expired nonces every NONCE_SWEEP_EVERY
 * uses recorded by this thread. */
static void
sweep_used(struct catena_store *store, size_t n)
{
    static _Thread_local unsigned counter;
    uint8_t now[NONCE_EXP_LEN];
    /* 8 bytes against 16-byte keys: a key sorts below it exactly when its
     * expiry does; one expiring this second sorts above (still valid). */
    struct catena_sql_param p[] = {CATENA_SQL_P_BLOB(now, sizeof(now))};

    counter += (unsigned)n;
    if (counter < NONCE_SWEEP_EVERY) {
        return;
    }
    counter = 0;
    put_be64(now, (uint64_t)acme_now());
    /* Housekeeping: a failed sweep does not fail the request. A row may
     * go once expired: the MAC'd expiry refuses the nonce then. */
    if (catena_store_exec(store,
                         "DELETE FROM acme_nonce_uses WHERE prefix < $1", p,
                         1, NULL, NULL) != CATENA_OK) {
        CATENA_WARN("acme: sweeping used nonces failed");
    }
}

/* record_batch inserts the nonces of |batch| (|n| of them) in one
 * transaction and sets each one's ok and rc. */
static void
record_batch(struct catena_store *store, struct nonce_waiter **batch, size_t n)
{
    struct catena_err err = {0};
    enum catena_rc rc;
    size_t i;
    int began;

    rc = acme_tx_begin(store, &err);
    began = rc == CATENA_OK;
    for (i = 0; rc == CATENA_OK && i < n; i++) {
        rc = insert_used(store, batch[i]->nonce, &batch[i]->ok, &err);
    }
    if (rc == CATENA_OK) {
        rc = acme_tx_commit(store, &err);
    } else if (began) {
        acme_tx_rollback(store);
    }
    for (i = 0; i < n; i++) {
        batch[i]->rc = rc;
        if (rc != CATENA_OK) {
            batch[i]->ok = 0;
        }
    }
    if (rc != CATENA_OK) {
        CATENA_ERROR("acme: recording used nonces: %s", err.msg);
        return;
    }
    sweep_used(store, n);
}

/* record_use queues |w| and returns once its use is committed (by this
 * thread as leader or by another). */
static void
record_use(struct catena_store *store, struct nonce_waiter *w)
{
    struct nonce_waiter *batch[NONCE_BATCH_MAX];

    pthread_mutex_lock(&nq_mu);
    w->next = nq_head;
    nq_head = w;
    while (!w->done) {
        size_t n = 0;

        if (nq_leading) {
            pthread_cond_wait(&nq_cv, &nq_mu);
            continue;
        }
        nq_leading = 1;
        while (nq_head != NULL && n < NONCE_BATCH_MAX) {
            batch[n++] = nq_head;
            nq_head = nq_head->next;
        }
        pthread_mutex_unlock(&nq_mu);
        record_batch(store, batch, n);
        pthread_mutex_lock(&nq_mu);
        for (size_t i = 0; i < n; i++) {
            batch[i]->done = 1;
        }
        nq_leading = 0;
        pthread_cond_broadcast(&nq_cv);
    }
    pthread_mutex_unlock(&nq_mu);
}

enum catena_rc
acme_nonce_check(const struct acme_nonce_key *key, const char *nonce,
                 int *ok, int64_t *expires, struct catena_err *err)
{
    uint8_t *raw = NULL, mac[NONCE_MAC_LEN];
    size_t raw_len = 0, len;
    uint64_t exp = 0;
    enum catena_rc rc = CATENA_OK;

    *ok = 0;
    *expires = 0;
    /* Length first: nothing longer is decoded, let alone stored. */
    len = nonce != NULL ? strnlen(nonce, NONCE_TEXT_LEN + 1) : 0;
    if (len != NONCE_TEXT_LEN ||
        acme_b64u_decode(nonce, len, NONCE_RAW_LEN, &raw, &raw_len) !=
            CATENA_OK ||
        raw_len != NONCE_RAW_LEN) {
        goto out;
    }
    if (nonce_mac(key, raw, mac) != 0) {
        rc = catena_err_set(err, CATENA_ERR_CRYPTO, "nonce MAC");
        goto out;
    }
    if (CRYPTO_memcmp(mac, raw + NONCE_PREFIX_LEN, NONCE_MAC_LEN) != 0) {
        goto out;
    }
    for (int i = 0; i < NONCE_EXP_LEN; i++) {
        exp = (exp << 8) | raw[i];
    }
    if (exp > INT64_MAX || (int64_t)exp < acme_now()) {
        goto out;
    }
    *expires = (int64_t)exp;
    *ok = 1;
out:
    free(raw);
    return rc;
}

enum catena_rc
acme_nonce_record(struct catena_store *store, const char *nonce, int *ok,
                  struct catena_err *err)
{
    struct nonce_waiter w = {0};

    *ok = 0;
    w.nonce = nonce;
    record_use(store, &w);
    if (w.rc != CATENA_OK) {
        return catena_err_set(err, w.rc, "recording the nonce's use failed");
    }
    *ok = w.ok;
    return CATENA_OK;
}

enum catena_rc
acme_nonce_record_tx(struct catena_store *store, const char *nonce,
                     int *ok, struct catena_err *err)
{
    /* No sweep here: a failed statement would doom the caller's
     * transaction. The grouped path sweeps often enough. */
    return insert_used(store, nonce, ok, err);
}

enum catena_rc
acme_nonce_use(struct catena_store *store, const struct acme_nonce_key *key,
               const char *nonce, int *ok, struct catena_err *err)
{
    int64_t expires = 0;
    enum catena_rc rc = acme_nonce_check(key, nonce, ok, &expires, err);

    if (rc != CATENA_OK || !*ok) {
        return rc;
    }
    return acme_nonce_record(store, nonce, ok, err);
}
