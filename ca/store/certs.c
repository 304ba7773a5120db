/*
 * certs.c - issuers, certificate rows and blocked keys in the core schema.
 * Every statement is a constant string so each connection prepares it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Longest names list a certificate row may carry (SANs joined by ","). */
#define STORE_MAX_NAMES (1024 * 1024)
#define STORE_MAX_DER (1024 * 1024)
#define STORE_MAX_WHY 1024

/* check_serial accepts 1..40 lower-case hex digits. */
static enum catena_rc
check_serial(const char *serial, struct catena_err *err)
{
    size_t n;

    if (serial == NULL || (n = strnlen(serial, 41)) == 0 || n > 40) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "serial missing or longer than 40 digits");
    }
    for (size_t i = 0; i < n; i++) {
        char ch = serial[i];

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "serial is not lower-case hex");
        }
    }
    return CATENA_OK;
}

/* ---- issuers ----------------------------------------------------------- */

static int
id_cb(void *ctx, const struct catena_row *row)
{
    *(int64_t *)ctx = catena_row_int(row, 0);
    return 0;
}

enum catena_rc
catena_store_issuer_put(struct catena_store *store, const char *name,
                        const uint8_t *cert_der, size_t cert_der_len,
                        const uint8_t *ski, size_t ski_len, int num_shards,
                        int64_t *id_out, struct catena_err *err)
{
    struct catena_sql_param p[] = {
        CATENA_SQL_P_TEXT(name), CATENA_SQL_P_BLOB(cert_der, cert_der_len),
        CATENA_SQL_P_BLOB(ski, ski_len), CATENA_SQL_P_INT(num_shards)};
    int64_t id = 0;
    int found = 0;
    enum catena_rc rc;

    if (id_out != NULL) {
        *id_out = 0;
    }
    if (name == NULL || name[0] == '\0' || strnlen(name, 256) == 256 ||
        num_shards < 1 || cert_der_len > STORE_MAX_DER) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "issuer needs a name, a certificate and at "
                              "least one shard");
    }
    if (cert_der == NULL) {
        p[1] = CATENA_SQL_P_NULL();
    }
    if (ski == NULL) {
        p[2] = CATENA_SQL_P_NULL();
    }
    rc = store_query_first(store,
                           "INSERT INTO issuers (name, cert_der, ski, "
                           "num_shards) VALUES ($1, $2, $3, $4) "
                           "ON CONFLICT (name) DO UPDATE SET "
                           "cert_der = excluded.cert_der, "
                           "ski = excluded.ski, "
                           "num_shards = excluded.num_shards "
                           "RETURNING id",
                           p, 4, id_cb, &id, &found, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    if (!found) {
        return catena_err_set(err, CATENA_ERR_STORE,
                              "issuer upsert returned no id");
    }
    if (id_out != NULL) {
        *id_out = id;
    }
    return CATENA_OK;
}

enum catena_rc
catena_store_issuer_id(struct catena_store *store, const char *name,
                       int64_t *id_out, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(name)};
    int64_t id = 0;
    int found = 0;
    enum catena_rc rc;

    if (id_out != NULL) {
        *id_out = 0;
    }
    if (name == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "no issuer name");
    }
    rc = store_query_first(store, "SELECT id FROM issuers WHERE name = $1", p,
                           1, id_cb, &id, &found, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    if (!found) {
        return catena_err_set(err, CATENA_ERR_NOT_FOUND, "no issuer %s",
                              name);
    }
    if (id_out != NULL) {
        *id_out = id;
    }
    return CATENA_OK;
}

/* ---- certificates ---------------------------------------------------- */

void
catena_cert_row_clear(struct catena_cert_row *row)
{
    if (row == NULL) {
        return;
    }
    free(row->der);
    free(row->names);
    memset(row, 0, sizeof(*row));
}

enum catena_rc
catena_store_cert_reserve(struct catena_store *store,
                          const struct catena_cert_row *row,
                          struct catena_err *err)
{
    enum catena_rc rc;

    if (row == NULL) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "no row");
    }
    if ((rc = check_serial(row->serial, err)) != CATENA_OK) {
        return rc;
    }
    if (memchr(row->profile, '\0', sizeof(row->profile)) == NULL ||
        row->profile[0] == '\0' ||
        memchr(row->replaces, '\0', sizeof(row->replaces)) == NULL ||
        (row->names != NULL &&
         strnlen(row->names, STORE_MAX_NAMES + 1) > STORE_MAX_NAMES)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "certificate row has a bad profile, replaces "
                              "or names");
    }
    if (row->replaces[0] != '\0' &&
        (rc = check_serial(row->replaces, err)) != CATENA_OK) {
        return rc;
    }
    if (strcmp(row->replaces, row->serial) == 0) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "serial %s cannot replace itself", row->serial);
    }
    {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_TEXT(row->serial),
            CATENA_SQL_P_INT(row->issuer_id),
            CATENA_SQL_P_TEXT(row->profile),
            CATENA_SQL_P_INT(row->not_before),
            CATENA_SQL_P_INT(row->not_after),
            CATENA_SQL_P_TEXT(row->names),
            CATENA_SQL_P_BLOB(row->spki_sha256, 32),
            CATENA_SQL_P_INT(row->shard),
            row->replaces[0] ? CATENA_SQL_P_TEXT(row->replaces)
                             : CATENA_SQL_P_NULL(),
            row->account_id ? CATENA_SQL_P_INT(row->account_id)
                            : CATENA_SQL_P_NULL(),
            CATENA_SQL_P_INT(row->created_at),
        };

        if (row->names == NULL) {
            p[5] = CATENA_SQL_P_NULL();
        }
        rc = catena_store_exec(store,
                               "INSERT INTO certificates (serial, issuer_id, "
                               "profile, not_before, not_after, names, "
                               "spki_sha256, status, shard, replaces, "
                               "account_id, created_at) VALUES ($1, $2, $3, "
                               "$4, $5, $6, $7, 0, $8, $9, $10, $11)",
                               p, sizeof(p) / sizeof(p[0]), NULL, err);
    }
    if (rc == CATENA_ERR_EXISTS) {
        return catena_err_set(err, CATENA_ERR_EXISTS,
                              "serial %s is already recorded", row->serial);
    }
    return rc;
}

static int
text_cb(void *ctx, const struct catena_row *row)
{
    const char *s = catena_row_text(row, 0);
    char *out = ctx;

    /* Only ever a serial (checked on the way in): 40 digits at most. */
    snprintf(out, 41, "%s", s != NULL ? s : "");
    return 0;
}

/* load_status reads the status of |serial|; NOT_FOUND if unknown. */
static enum catena_rc
load_status(struct catena_store *store, const char *serial, int64_t *status,
            struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(serial)};
    int found = 0;
    enum catena_rc rc;

    *status = -1;
    rc = store_query_first(store,
                           "SELECT status FROM certificates WHERE serial = $1",
                           p, 1, id_cb, status, &found, err);
    if (rc == CATENA_OK && !found) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND,
                            "no certificate with serial %s", serial);
    }
    return rc;
}

/*
 * why_not explains a conditional update that touched no row: the serial
 * is unknown (NOT_FOUND) or the row is in the wrong state (|code|).
 */
static enum catena_rc
why_not(struct catena_store *store, const char *serial, enum catena_rc code,
        const char *wanted, struct catena_err *err)
{
    int64_t status;
    enum catena_rc rc = load_status(store, serial, &status, err);

    if (rc != CATENA_OK) {
        return rc;
    }
    return catena_err_set(err, code, "serial %s is in state %lld, not %s",
                          serial, (long long)status, wanted);
}

enum catena_rc
catena_store_cert_set_issued(struct catena_store *store, const char *serial,
                             const uint8_t *der, size_t der_len,
                             struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(serial),
                                   CATENA_SQL_P_BLOB(der, der_len)};
    char replaces[41] = "";
    int found = 0;
    enum catena_rc rc;

    if ((rc = check_serial(serial, err)) != CATENA_OK) {
        return rc;
    }
    if (der == NULL || der_len == 0 || der_len > STORE_MAX_DER) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "certificate DER missing or too big");
    }
    if (store->ops->driver == CATENA_STORE_POSTGRES && store->depth == 0) {
        /* Alone, one statement is one transaction: a single round trip
         * instead of BEGIN, UPDATE, COMMIT. */
        int64_t n = 0;

        rc = store_query_first(store,
                               "WITH u AS (UPDATE certificates "
                               "SET der = $2, status = 1 "
                               "WHERE serial = $1 AND status = 0 "
                               "RETURNING replaces), "
                               /* A scalar subquery, not a join: the
                                * plan cached while the table was empty
                                * would scan it whole on every call. */
                               "r AS (UPDATE certificates "
                               "SET replaced_by = $1 "
                               "WHERE serial = (SELECT replaces FROM u) "
                               "AND replaced_by IS NULL RETURNING 1) "
                               "SELECT COUNT(*) FROM u",
                               p, 2, id_cb, &n, &found, err);
        if (rc == CATENA_OK && n != 1) {
            rc = why_not(store, serial, CATENA_ERR_INVALID, "reserved", err);
        }
        return rc;
    }
    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        return rc;
    }
    rc = store_query_first(store,
                           "UPDATE certificates SET der = $2, status = 1 "
                           "WHERE serial = $1 AND status = 0 "
                           "RETURNING replaces",
                           p, 2, text_cb, replaces, &found, err);
    if (rc == CATENA_OK && !found) {
        rc = why_not(store, serial, CATENA_ERR_INVALID, "reserved", err);
    }
    /* The first replacement wins: a second order replacing the same
     * certificate does not overwrite the link. */
    if (rc == CATENA_OK && replaces[0] != '\0') {
        struct catena_sql_param q[] = {CATENA_SQL_P_TEXT(serial),
                                       CATENA_SQL_P_TEXT(replaces)};

        rc = catena_store_exec(store,
                               "UPDATE certificates SET replaced_by = $1 "
                               "WHERE serial = $2 AND replaced_by IS NULL",
                               q, 2, NULL, err);
    }
    if (rc == CATENA_OK) {
        rc = catena_store_commit(store, err);
    }
    if (rc != CATENA_OK) {
        catena_store_rollback(store);
    }
    return rc;
}

enum catena_rc
catena_store_cert_set_failed(struct catena_store *store, const char *serial,
                             struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(serial)};
    int found = 0;
    enum catena_rc rc;

    if ((rc = check_serial(serial, err)) != CATENA_OK) {
        return rc;
    }
    rc = store_query_first(store,
                           "UPDATE certificates SET status = 3 "
                           "WHERE serial = $1 AND status = 0 "
                           "RETURNING serial",
                           p, 1, NULL, NULL, &found, err);
    if (rc == CATENA_OK && !found) {
        rc = why_not(store, serial, CATENA_ERR_INVALID, "reserved", err);
    }
    return rc;
}

static int
copy_fixed(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= cap) {
        return -1;
    }
    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
    return 0;
}

struct get_ctx {
    struct catena_cert_row *out;
    struct catena_err *err;
};

static int
get_cb(void *vctx, const struct catena_row *row)
{
    struct get_ctx *g = vctx;
    struct catena_cert_row *o = g->out;
    const uint8_t *b;
    const char *s;
    size_t n;
    int64_t status;

    if (copy_fixed(o->serial, sizeof(o->serial), catena_row_text(row, 0)) ||
        copy_fixed(o->profile, sizeof(o->profile), catena_row_text(row, 2)) ||
        copy_fixed(o->replaces, sizeof(o->replaces),
                   catena_row_text(row, 13)) ||
        copy_fixed(o->replaced_by, sizeof(o->replaced_by),
                   catena_row_text(row, 14))) {
        catena_err_set(g->err, CATENA_ERR_STORE,
                       "certificate row has an oversized field");
        return CATENA_ERR_STORE;
    }
    o->issuer_id = catena_row_int(row, 1);
    b = catena_row_blob(row, 3, &n);
    if (b != NULL && n > 0) {
        o->der = malloc(n);
        if (o->der == NULL) {
            catena_err_set(g->err, CATENA_ERR_NOMEM, "out of memory");
            return CATENA_ERR_NOMEM;
        }
        memcpy(o->der, b, n);
        o->der_len = n;
    }
    o->not_before = catena_row_int(row, 4);
    o->not_after = catena_row_int(row, 5);
    s = catena_row_text(row, 6);
    if (s != NULL && (o->names = strdup(s)) == NULL) {
        catena_err_set(g->err, CATENA_ERR_NOMEM, "out of memory");
        return CATENA_ERR_NOMEM;
    }
    b = catena_row_blob(row, 7, &n);
    status = catena_row_int(row, 8);
    if (b == NULL || n != 32 || status < 0 || status >= CATENA_CERT_STATUS__MAX) {
        catena_err_set(g->err, CATENA_ERR_STORE,
                       "certificate row has a bad key hash or status");
        return CATENA_ERR_STORE;
    }
    memcpy(o->spki_sha256, b, 32);
    o->status = (enum catena_cert_status)status;
    o->revoked_at = catena_row_int(row, 9);
    o->reason = catena_row_is_null(row, 10) ? -1 : (int)catena_row_int(row, 10);
    o->shard = (int)catena_row_int(row, 11);
    o->ari_start = catena_row_int(row, 15);
    o->ari_end = catena_row_int(row, 16);
    o->account_id = catena_row_int(row, 17);
    o->created_at = catena_row_int(row, 12);
    return 0;
}

enum catena_rc
catena_store_cert_get(struct catena_store *store, const char *serial,
                      struct catena_cert_row *out, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(serial)};
    struct get_ctx g = {out, err};
    int found = 0;
    enum catena_rc rc;

    if (out == NULL) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "no output row");
    }
    memset(out, 0, sizeof(*out));
    if ((rc = check_serial(serial, err)) != CATENA_OK) {
        return rc;
    }
    rc = store_query_first(store,
                           "SELECT serial, issuer_id, profile, der, "
                           "not_before, not_after, names, spki_sha256, "
                           "status, revoked_at, reason, shard, created_at, "
                           "replaces, replaced_by, ari_start, ari_end, "
                           "account_id FROM certificates WHERE serial = $1",
                           p, 1, get_cb, &g, &found, err);
    if (rc == CATENA_OK && !found) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND,
                            "no certificate with serial %s", serial);
    }
    if (rc != CATENA_OK) {
        catena_cert_row_clear(out);
    }
    return rc;
}

enum catena_rc
catena_store_cert_revoke(struct catena_store *store, const char *serial,
                         int reason, int64_t when, int *changed,
                         struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(serial),
                                   CATENA_SQL_P_INT(when),
                                   CATENA_SQL_P_INT(reason)};
    int found = 0;
    enum catena_rc rc;

    if (changed != NULL) {
        *changed = 0;
    }
    if ((rc = check_serial(serial, err)) != CATENA_OK) {
        return rc;
    }
    /* RFC 5280 5.3.1: 0..10 without 7; -1 means no reasonCode. */
    if (reason < -1 || reason > 10 || reason == 7) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "%d is not a CRLReason code", reason);
    }
    /* Each step is one conditional statement, so two revocations racing
     * on two nodes cannot both "change" the row. */
    rc = store_query_first(store,
                           "UPDATE certificates SET status = 2, "
                           "revoked_at = $2, reason = $3 "
                           "WHERE serial = $1 AND status = 1 "
                           "RETURNING serial",
                           p, 3, NULL, NULL, &found, err);
    if (rc == CATENA_OK && !found && reason == 1) {
        /* BR 4.9.1.1: keyCompromise may replace an earlier reason; the
         * revocation date stays the first one. */
        rc = store_query_first(store,
                               "UPDATE certificates SET reason = 1 "
                               "WHERE serial = $1 AND status = 2 "
                               "AND reason <> 1 RETURNING serial",
                               p, 1, NULL, NULL, &found, err);
    }
    if (rc != CATENA_OK) {
        return rc;
    }
    if (found) {
        if (changed != NULL) {
            *changed = 1;
        }
        return CATENA_OK;
    }
    {
        int64_t status;

        if ((rc = load_status(store, serial, &status, err)) != CATENA_OK) {
            return rc;
        }
        /* Already revoked: nothing to change, and that is success. */
        if (status == CATENA_CERT_REVOKED) {
            return CATENA_OK;
        }
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "serial %s was never issued (state %lld)",
                              serial, (long long)status);
    }
}

enum catena_rc
catena_store_cert_set_ari(struct catena_store *store, const char *serial,
                          int64_t start, int64_t end, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(serial),
                                   CATENA_SQL_P_INT(start),
                                   CATENA_SQL_P_INT(end)};
    int found = 0;
    enum catena_rc rc;

    if ((rc = check_serial(serial, err)) != CATENA_OK) {
        return rc;
    }
    if (end < start) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "ARI window ends before it starts");
    }
    rc = store_query_first(store,
                           "UPDATE certificates SET ari_start = $2, "
                           "ari_end = $3 WHERE serial = $1 RETURNING serial",
                           p, 3, NULL, NULL, &found, err);
    if (rc == CATENA_OK && !found) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND,
                            "no certificate with serial %s", serial);
    }
    return rc;
}

/* ---- blocked keys -------------------------------------------------------- */

enum catena_rc
catena_store_key_block(struct catena_store *store,
                       const uint8_t spki_sha256[32], const char *why,
                       struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_BLOB(spki_sha256, 32),
                                   CATENA_SQL_P_TEXT(why),
                                   CATENA_SQL_P_INT((int64_t)time(NULL))};

    if (spki_sha256 == NULL ||
        (why != NULL && strnlen(why, STORE_MAX_WHY + 1) > STORE_MAX_WHY)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "key hash missing or reason too long");
    }
    if (why == NULL) {
        p[1] = CATENA_SQL_P_NULL();
    }
    return catena_store_exec(store,
                             "INSERT INTO blocked_keys (spki_sha256, why, "
                             "created_at) VALUES ($1, $2, $3) "
                             "ON CONFLICT (spki_sha256) DO NOTHING",
                             p, 3, NULL, err);
}

enum catena_rc
catena_store_key_is_blocked(struct catena_store *store,
                            const uint8_t spki_sha256[32], int *blocked,
                            struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_BLOB(spki_sha256, 32)};
    int found = 0;
    enum catena_rc rc;

    if (blocked == NULL || spki_sha256 == NULL) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "bad arguments");
    }
    /* Fail closed: a lookup error reads as "blocked" to a careless caller. */
    *blocked = 1;
    rc = store_query_first(store,
                           "SELECT 1 FROM blocked_keys WHERE spki_sha256 = $1",
                           p, 1, NULL, NULL, &found, err);
    if (rc == CATENA_OK) {
        *blocked = found;
    }
    return rc;
}
