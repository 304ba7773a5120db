/*
 * audit.c - the append-only, hash-chained audit log.
 *
 * Record n carries prev_hash = hash of record n-1 (32 zero bytes for the
 * first) and hash = SHA-256 over an unambiguous encoding:
 *
 *   "catena-audit-v1" || u32 len || prev_hash || u64 id || u64 at ||
 *   u32 len || kind || u32 len || detail
 *
 * (big-endian, lengths in bytes, id and at as two's complement). Appending
 * takes the chain's tail inside the transaction under a writer lock, so
 * two connections appending at once still build one chain.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

#define AUDIT_MAX_KIND 64
#define AUDIT_MAX_DETAIL (1024 * 1024)
#define AUDIT_HASH_LEN 32

static const char audit_tag[] = "catena-audit-v1";

static void
put_u32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

static void
put_u64(unsigned char *b, uint64_t v)
{
    put_u32(b, (uint32_t)(v >> 32));
    put_u32(b + 4, (uint32_t)v);
}

static int
update_lv(EVP_MD_CTX *md, const void *p, size_t len)
{
    unsigned char l[4];

    put_u32(l, (uint32_t)len);
    return EVP_DigestUpdate(md, l, 4) == 1 &&
           (len == 0 || EVP_DigestUpdate(md, p, len) == 1);
}

/* audit_hash computes a record's hash; 0 on success. */
static int
audit_hash(const uint8_t prev[AUDIT_HASH_LEN], int64_t id, int64_t at,
           const char *kind, size_t kind_len, const char *detail,
           size_t detail_len, uint8_t out[AUDIT_HASH_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char nums[16];
    unsigned int n = 0;
    int ok;

    if (md == NULL) {
        return -1;
    }
    put_u64(nums, (uint64_t)id);
    put_u64(nums + 8, (uint64_t)at);
    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(md, audit_tag, sizeof(audit_tag) - 1) == 1 &&
         update_lv(md, prev, AUDIT_HASH_LEN) &&
         EVP_DigestUpdate(md, nums, sizeof(nums)) == 1 &&
         update_lv(md, kind, kind_len) && update_lv(md, detail, detail_len) &&
         EVP_DigestFinal_ex(md, out, &n) == 1 && n == AUDIT_HASH_LEN;
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}

struct tail {
    int64_t id;
    uint8_t hash[AUDIT_HASH_LEN];
    int bad;
};

static int
tail_cb(void *ctx, const struct catena_row *row)
{
    struct tail *t = ctx;
    size_t n = 0;
    const uint8_t *h = catena_row_blob(row, 1, &n);

    t->id = catena_row_int(row, 0);
    if (h == NULL || n != AUDIT_HASH_LEN) {
        t->bad = 1;
        return 0;
    }
    memcpy(t->hash, h, AUDIT_HASH_LEN);
    return 0;
}

enum catena_rc
catena_store_audit_append(struct catena_store *store, const char *kind,
                          const char *detail, struct catena_err *err)
{
    struct tail t;
    uint8_t hash[AUDIT_HASH_LEN];
    size_t kind_len, detail_len;
    int64_t at = (int64_t)time(NULL);
    enum catena_rc rc;

    memset(&t, 0, sizeof(t));
    if (kind == NULL || detail == NULL ||
        (kind_len = strnlen(kind, AUDIT_MAX_KIND + 1)) == 0 ||
        kind_len > AUDIT_MAX_KIND ||
        (detail_len = strnlen(detail, AUDIT_MAX_DETAIL + 1)) >
            AUDIT_MAX_DETAIL) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "audit record needs a kind of 1..%d bytes and "
                              "a detail of at most %d bytes",
                              AUDIT_MAX_KIND, AUDIT_MAX_DETAIL);
    }
    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        return rc;
    }
    if ((rc = store->ops->xact_lock(store, STORE_LOCK_AUDIT, err)) !=
        CATENA_OK) {
        store_note_failure(store);
        goto out;
    }
    rc = store_query_first(store,
                           "SELECT id, hash FROM audit_log "
                           "ORDER BY id DESC LIMIT 1",
                           NULL, 0, tail_cb, &t, NULL, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    if (t.bad) {
        rc = catena_err_set(err, CATENA_ERR_STORE,
                            "audit record %lld has no valid hash",
                            (long long)t.id);
        goto out;
    }
    /* The id is part of the hash, so it is chosen here (under the lock)
     * rather than by the database's sequence. */
    t.id++;
    if (audit_hash(t.hash, t.id, at, kind, kind_len, detail, detail_len,
                   hash) != 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO, "SHA-256");
        goto out;
    }
    {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_INT(t.id),
            CATENA_SQL_P_INT(at),
            CATENA_SQL_P_TEXT(kind),
            CATENA_SQL_P_TEXT(detail),
            CATENA_SQL_P_BLOB(t.hash, AUDIT_HASH_LEN),
            CATENA_SQL_P_BLOB(hash, AUDIT_HASH_LEN),
        };

        rc = catena_store_exec(store,
                               "INSERT INTO audit_log (id, at, kind, detail, "
                               "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, "
                               "$6)",
                               p, 6, NULL, err);
    }
out:
    if (rc == CATENA_OK) {
        rc = catena_store_commit(store, err);
    }
    if (rc != CATENA_OK) {
        catena_store_rollback(store);
    }
    return rc;
}

struct verify_ctx {
    struct catena_audit_summary *sum;
    uint8_t prev[AUDIT_HASH_LEN];
    int crypto_failed;
};

static int
verify_cb(void *vctx, const struct catena_row *row)
{
    struct verify_ctx *v = vctx;
    struct catena_audit_summary *s = v->sum;
    int64_t id = catena_row_int(row, 0);
    const char *kind = catena_row_text(row, 2);
    const char *detail = catena_row_text(row, 3);
    size_t prev_len = 0, hash_len = 0;
    const uint8_t *prev = catena_row_blob(row, 4, &prev_len);
    const uint8_t *hash = catena_row_blob(row, 5, &hash_len);
    uint8_t want[AUDIT_HASH_LEN];
    int ok;

    s->num_records++;
    if (kind != NULL) {
        if (strcmp(kind, "issue") == 0) {
            s->num_issue++;
        } else if (strcmp(kind, "refuse") == 0) {
            s->num_refuse++;
        } else if (strcmp(kind, "revoke") == 0) {
            s->num_revoke++;
        }
    }
    ok = kind != NULL && detail != NULL && prev != NULL &&
         prev_len == AUDIT_HASH_LEN && hash != NULL &&
         hash_len == AUDIT_HASH_LEN &&
         CRYPTO_memcmp(prev, v->prev, AUDIT_HASH_LEN) == 0;
    if (ok) {
        if (audit_hash(prev, id, catena_row_int(row, 1), kind, strlen(kind),
                       detail, strlen(detail), want) != 0) {
            v->crypto_failed = 1;
            return CATENA_ERR_CRYPTO;
        }
        ok = CRYPTO_memcmp(want, hash, AUDIT_HASH_LEN) == 0;
    }
    if (!ok && s->first_bad_id == 0) {
        s->first_bad_id = id;
    }
    /* Chain on from what is stored, so one altered record is reported
     * once and the records after it are still checked against it. */
    if (hash != NULL && hash_len == AUDIT_HASH_LEN) {
        memcpy(v->prev, hash, AUDIT_HASH_LEN);
    } else {
        memset(v->prev, 0xff, AUDIT_HASH_LEN);
    }
    return 0;
}

enum catena_rc
catena_store_audit_verify(struct catena_store *store,
                          struct catena_audit_summary *out,
                          struct catena_err *err)
{
    struct verify_ctx v;
    enum catena_rc rc;

    if (out == NULL) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "no summary");
    }
    memset(out, 0, sizeof(*out));
    memset(&v, 0, sizeof(v));
    v.sum = out;
    rc = catena_store_foreach(store,
                              "SELECT id, at, kind, detail, prev_hash, hash "
                              "FROM audit_log ORDER BY id",
                              NULL, 0, verify_cb, &v, err);
    if (rc != CATENA_OK) {
        if (v.crypto_failed) {
            rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO, "SHA-256");
        }
        return rc;
    }
    if (out->first_bad_id != 0) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "audit record %lld does not match the chain",
                              (long long)out->first_bad_id);
    }
    return CATENA_OK;
}
