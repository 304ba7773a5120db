/*
 * db.c - the ACME tables (module migrations in the store's common dialect),
 * per-thread store connections and account loading.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "catena/store.h"
#include "internal.h"

/*
 * Orders name their identifiers in acme_order_idents, each pointing at the
 * authorization that covers it (an authorization may serve several orders
 * of one account when it is reused).
 */
static const struct catena_store_migration acme_migs[] = {
    {1, "CREATE TABLE acme_accounts ("
        " id ID_PK,"
        " thumbprint TEXT NOT NULL UNIQUE,"
        " jwk TEXT NOT NULL,"
        " contact TEXT NOT NULL,"
        " status TEXT NOT NULL,"
        " created_at BIGINT NOT NULL);"
        "CREATE TABLE acme_nonces ("
        " nonce TEXT PRIMARY KEY,"
        " expires BIGINT NOT NULL);"
        "CREATE INDEX acme_nonces_expires ON acme_nonces (expires);"
        "CREATE TABLE acme_orders ("
        " id ID_PK,"
        " account_id BIGINT NOT NULL,"
        " status TEXT NOT NULL,"
        " expires BIGINT NOT NULL,"
        " error TEXT,"
        " serial TEXT,"
        " replaces TEXT,"
        " replaces_certid TEXT,"
        " created_at BIGINT NOT NULL);"
        "CREATE INDEX acme_orders_account ON acme_orders (account_id);"
        "CREATE INDEX acme_orders_replaces ON acme_orders (replaces);"
        "CREATE TABLE acme_authzs ("
        " id ID_PK,"
        " account_id BIGINT NOT NULL,"
        " id_type TEXT NOT NULL,"
        " id_value TEXT NOT NULL,"
        " wildcard BIGINT NOT NULL,"
        " status TEXT NOT NULL,"
        " expires BIGINT NOT NULL,"
        " validated_at BIGINT NOT NULL,"
        " caa_checked_at BIGINT NOT NULL,"
        " method TEXT,"
        " created_at BIGINT NOT NULL);"
        "CREATE INDEX acme_authzs_reuse ON acme_authzs"
        " (account_id, id_type, id_value, wildcard, status);"
        "CREATE TABLE acme_order_idents ("
        " order_id BIGINT NOT NULL,"
        " pos BIGINT NOT NULL,"
        " authz_id BIGINT NOT NULL,"
        " PRIMARY KEY (order_id, pos));"
        "CREATE INDEX acme_order_idents_authz ON acme_order_idents (authz_id);"
        "CREATE TABLE acme_challenges ("
        " id ID_PK,"
        " authz_id BIGINT NOT NULL,"
        " type TEXT NOT NULL,"
        " token TEXT NOT NULL,"
        " status TEXT NOT NULL,"
        " validated_at BIGINT NOT NULL,"
        " error TEXT);"
        "CREATE INDEX acme_challenges_authz ON acme_challenges (authz_id)"},
    /* Nonces are MAC'd (nonce.c): issuing one writes nothing, using one
     * records it, so single use holds across nodes and restarts. */
    {2, "DROP TABLE acme_nonces;"
        "CREATE TABLE acme_nonce_keys ("
        " id BIGINT PRIMARY KEY,"
        " secret TEXT NOT NULL);"
        "CREATE TABLE acme_nonces_used ("
        " nonce TEXT PRIMARY KEY,"
        " expires BIGINT NOT NULL);"
        "CREATE INDEX acme_nonces_used_expires ON acme_nonces_used (expires)"},
    /* External Account Binding keys (eab.c). The HMAC key must be kept
     * as is to verify a MAC; account_id stays NULL until the key binds an
     * account, and then never changes. */
    {3, "CREATE TABLE acme_eab_keys ("
        " id ID_PK,"
        " kid TEXT NOT NULL UNIQUE,"
        " hmac_key BLOB NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " account_id BIGINT,"
        " bound_at BIGINT)"},
    /* Used nonces keyed by their expiry || random prefix (nonce.c): one
     * B-tree whose inserts land together at its right edge, swept at its
     * left, where acme_nonces_used kept a rowid table, a text key index
     * with inserts at random places and an expiry index. The key changes
     * too, so nonces whose use the old table recorded are refused rather
     * than forgotten: clients answer one badNonce with the fresh nonce it
     * carries (RFC 8555 6.5). */
    {4, "DROP TABLE acme_nonces_used;"
        "DELETE FROM acme_nonce_keys;"
        "CREATE TABLE acme_nonce_uses ("
        " prefix BLOB PRIMARY KEY) WITHOUT_ROWID"},
    /* Most orders replace nothing: their NULL entries were one more page
     * written per new order. Lookups are "replaces = x", which implies
     * NOT NULL, so they still use the index. */
    {5, "DROP INDEX acme_orders_replaces;"
        "CREATE INDEX acme_orders_replaces ON acme_orders (replaces)"
        " WHERE replaces IS NOT NULL"},
};

enum catena_rc
acme_db_migrate(struct catena_store *store, struct catena_err *err)
{
    return catena_store_migrate(store, "acme", acme_migs,
                                sizeof(acme_migs) / sizeof(acme_migs[0]),
                                err);
}

int64_t
acme_now(void)
{
    return (int64_t)time(NULL);
}

void
acme_time_str(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        buf[0] = '\0';
    }
}

enum catena_rc
acme_tx_begin(struct catena_store *store, struct catena_err *err)
{
    return catena_store_begin(store, err);
}

enum catena_rc
acme_tx_commit(struct catena_store *store, struct catena_err *err)
{
    enum catena_rc rc = catena_store_commit(store, err);

    /* A failed commit keeps the transaction open (store.h): close it, or
     * every later statement on this thread's connection would fail. */
    if (rc != CATENA_OK) {
        catena_store_rollback(store);
    }
    return rc;
}

void
acme_tx_rollback(struct catena_store *store)
{
    catena_store_rollback(store);
}

struct catena_store *
acme_srv_store(struct acme_srv *srv, struct catena_err *err)
{
    struct catena_store *st = pthread_getspecific(srv->store_key);

    if (st != NULL) {
        return st;
    }
    if (catena_store_open(srv->store_url, &st, err) != CATENA_OK) {
        return NULL;
    }
    if (pthread_setspecific(srv->store_key, st) != 0) {
        catena_store_close(st);
        catena_err_set(err, CATENA_ERR_INTERNAL, "pthread_setspecific");
        return NULL;
    }
    return st;
}

void
acme_account_clear(struct acme_account *acct)
{
    json_decref(acct->jwk);
    json_decref(acct->contact);
    EVP_PKEY_free(acct->key);
    memset(acct, 0, sizeof(*acct));
}

/*
 * Account keys, built from the stored JWK, are cached per account id: the
 * build (OpenSSL key import) costs more than the rest of a request's
 * authentication. The store stays authoritative: the row is read on every
 * request and the cached key is used only while the stored JWK text is
 * byte-for-byte the one it was built from, so a key change or another
 * node's update takes effect at once. Direct-mapped by id; a collision
 * just rebuilds.
 */
#define KEY_CACHE_SLOTS 1024
#define KEY_CACHE_MAX_JWK 4096

static struct {
    int64_t id;
    char *jwk;
    EVP_PKEY *key;
    uint8_t *spki; /* DER of key (OPENSSL_malloc'd), made when first asked */
    size_t spki_len;
} key_cache[KEY_CACHE_SLOTS];
static pthread_mutex_t key_cache_mu = PTHREAD_MUTEX_INITIALIZER;

/* key_cached returns a new reference to the key of account |id| whose
 * stored JWK text is |text| (parsed: |jwk|), or NULL if it is unusable. */
static EVP_PKEY *
key_cached(int64_t id, const char *text, const json_t *jwk)
{
    size_t slot = (size_t)((uint64_t)id % KEY_CACHE_SLOTS);
    size_t len = text != NULL ? strnlen(text, KEY_CACHE_MAX_JWK + 1) : 0;
    EVP_PKEY *key = NULL;
    char *copy;

    if (len == 0 || len > KEY_CACHE_MAX_JWK) {
        return acme_jwk_to_pkey(jwk, NULL, 0);
    }
    pthread_mutex_lock(&key_cache_mu);
    if (key_cache[slot].key != NULL && key_cache[slot].id == id &&
        strcmp(key_cache[slot].jwk, text) == 0 &&
        EVP_PKEY_up_ref(key_cache[slot].key) == 1) {
        key = key_cache[slot].key;
    }
    pthread_mutex_unlock(&key_cache_mu);
    if (key != NULL) {
        return key;
    }
    key = acme_jwk_to_pkey(jwk, NULL, 0);
    copy = key != NULL ? strdup(text) : NULL;
    if (copy == NULL || EVP_PKEY_up_ref(key) != 1) {
        /* Uncached is still correct. */
        free(copy);
        return key;
    }
    pthread_mutex_lock(&key_cache_mu);
    free(key_cache[slot].jwk);
    EVP_PKEY_free(key_cache[slot].key);
    OPENSSL_free(key_cache[slot].spki);
    key_cache[slot].spki = NULL;
    key_cache[slot].spki_len = 0;
    key_cache[slot].id = id;
    key_cache[slot].jwk = copy;
    key_cache[slot].key = key;
    pthread_mutex_unlock(&key_cache_mu);
    return key;
}

/*
 * The account key's DER is made once per cached key: OpenSSL 3 builds an
 * encoder for every i2d_PUBKEY, which cost a finalize more than its CSR
 * checks. The slot is trusted only while it holds this very key object
 * (|acct| holds a reference, so the pointer cannot be reused meanwhile).
 */
int
acme_account_key_is(const struct acme_account *acct, const uint8_t *spki,
                    size_t len)
{
    size_t slot = (size_t)((uint64_t)acct->id % KEY_CACHE_SLOTS);
    unsigned char *der = NULL;
    int der_len, same = -1;

    if (acct->key == NULL) {
        return -1;
    }
    pthread_mutex_lock(&key_cache_mu);
    if (key_cache[slot].key == acct->key && key_cache[slot].spki != NULL) {
        same = key_cache[slot].spki_len == len &&
               memcmp(key_cache[slot].spki, spki, len) == 0;
    }
    pthread_mutex_unlock(&key_cache_mu);
    if (same >= 0) {
        return same;
    }
    der_len = i2d_PUBKEY(acct->key, &der);
    if (der_len <= 0) {
        return -1;
    }
    same = (size_t)der_len == len && memcmp(der, spki, len) == 0;
    pthread_mutex_lock(&key_cache_mu);
    if (key_cache[slot].key == acct->key && key_cache[slot].spki == NULL) {
        key_cache[slot].spki = der;
        key_cache[slot].spki_len = (size_t)der_len;
        der = NULL;
    }
    pthread_mutex_unlock(&key_cache_mu);
    OPENSSL_free(der);
    return same;
}

enum catena_rc
acme_account_load(struct catena_store *store, int64_t id,
                  struct acme_account *out, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(id)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    const char *s;
    enum catena_rc rc;

    memset(out, 0, sizeof(*out));
    rc = catena_store_exec(store,
                           "SELECT jwk, contact, status FROM acme_accounts "
                           "WHERE id = $1",
                           p, 1, &rows, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    row = catena_rows_get(rows, 0);
    if (row == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND, "no account %lld",
                            (long long)id);
        goto out;
    }
    out->id = id;
    out->jwk = json_loads(catena_row_text(row, 0), 0, NULL);
    s = catena_row_text(row, 1);
    out->contact = json_loads(s != NULL ? s : "[]", 0, NULL);
    s = catena_row_text(row, 2);
    snprintf(out->status, sizeof(out->status), "%s", s != NULL ? s : "");
    if (out->jwk == NULL || out->contact == NULL) {
        rc = catena_err_set(err, CATENA_ERR_STORE, "account %lld corrupt",
                            (long long)id);
        goto out;
    }
    out->key = key_cached(id, catena_row_text(row, 0), out->jwk);
    if (out->key == NULL) {
        rc = catena_err_set(err, CATENA_ERR_STORE, "account %lld key corrupt",
                            (long long)id);
        goto out;
    }
out:
    if (rc != CATENA_OK) {
        acme_account_clear(out);
    }
    catena_rows_free(rows);
    return rc;
}
