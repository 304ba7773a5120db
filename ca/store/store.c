/*
 * store.c - the driver-independent front of the store: connecting,
 * nested transactions, statements, and numbered migrations in the common
 * dialect (see README.md beside this file for the dialect and the rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

/* Longest URL we accept: libpq URIs with many options stay well below. */
#define STORE_MAX_URL 4096
/* Longest module name recorded in schema_migrations. */
#define STORE_MAX_MODULE 64

/* The core's schema; later versions are appended, never edited. */
static const struct catena_store_migration core_migs[] = {
    {1, "CREATE TABLE issuers ("
        " id ID_PK,"
        " name TEXT NOT NULL UNIQUE,"
        " cert_der BLOB,"
        " ski BLOB,"
        " num_shards INT NOT NULL);"
        "CREATE TABLE certificates ("
        " serial TEXT PRIMARY KEY,"
        " issuer_id BIGINT NOT NULL REFERENCES issuers (id),"
        " profile TEXT NOT NULL,"
        " der BLOB NULL,"
        " not_before BIGINT NOT NULL,"
        " not_after BIGINT NOT NULL,"
        " names TEXT,"
        " spki_sha256 BLOB NOT NULL,"
        " status INT NOT NULL,"
        " revoked_at BIGINT,"
        " reason INT,"
        " shard INT NOT NULL,"
        " replaces TEXT,"
        " replaced_by TEXT,"
        " ari_start BIGINT,"
        " ari_end BIGINT,"
        " account_id BIGINT,"
        " created_at BIGINT NOT NULL);"
        "CREATE INDEX certificates_crl ON certificates"
        " (issuer_id, shard, status, not_after);"
        "CREATE INDEX certificates_spki ON certificates (spki_sha256);"
        "CREATE INDEX certificates_account ON certificates (account_id);"
        "CREATE INDEX certificates_replaces ON certificates (replaces);"
        "CREATE TABLE blocked_keys ("
        " spki_sha256 BLOB PRIMARY KEY,"
        " why TEXT,"
        " created_at BIGINT NOT NULL);"
        "CREATE TABLE audit_log ("
        " id ID_PK,"
        " at BIGINT NOT NULL,"
        " kind TEXT NOT NULL,"
        " detail TEXT NOT NULL,"
        " prev_hash BLOB NOT NULL,"
        " hash BLOB NOT NULL)"},
    /* Issuance kept an index no query reads: CRLs are built from crl/'s
     * partial index over revoked certificates, and the (issuer, shard,
     * status, not_after) key put each new certificate, and again its
     * RESERVED -> ISSUED change, on a page picked by its random shard.
     * Counting by status ("catena status") keeps a covering index of its
     * own, whose entries land at the ends of their status. Most
     * certificates replace nothing, so the replaces index skips NULLs;
     * "replaces = x" implies NOT NULL, so lookups still use it. */
    {2, "DROP INDEX certificates_crl;"
        "CREATE INDEX certificates_status ON certificates (status);"
        "DROP INDEX certificates_replaces;"
        "CREATE INDEX certificates_replaces ON certificates (replaces)"
        " WHERE replaces IS NOT NULL"},
};

void
store_note_failure(struct catena_store *store)
{
    if (store->depth > 0) {
        store->doomed = 1;
    }
}

/* ---- connection ------------------------------------------------------ */

enum catena_rc
catena_store_open(const char *url, struct catena_store **out,
                  struct catena_err *err)
{
    struct catena_store *store = NULL;
    const struct store_ops *ops;
    enum catena_rc rc;

    if (out == NULL) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "no output");
    }
    *out = NULL;
    if (url == NULL || memchr(url, '\0', STORE_MAX_URL) == NULL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "store URL missing or longer than %d bytes",
                              STORE_MAX_URL - 1);
    }
    if (strncmp(url, "sqlite:", 7) == 0) {
        ops = &store_sqlite_ops;
    } else if (strncmp(url, "postgresql://", 13) == 0 ||
               strncmp(url, "postgres://", 11) == 0) {
        ops = &store_pg_ops;
    } else {
        /* Never echo the URL: it may carry a password. */
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "store URL must start with sqlite:, "
                              "postgresql:// or postgres://");
    }
    store = calloc(1, sizeof(*store));
    if (store == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    store->ops = ops;
    if ((rc = ops->connect(store, url, err)) != CATENA_OK) {
        free(store);
        return rc;
    }
    rc = catena_store_migrate(store, "core", core_migs,
                              sizeof(core_migs) / sizeof(core_migs[0]), err);
    if (rc != CATENA_OK) {
        catena_store_close(store);
        return rc;
    }
    *out = store;
    return CATENA_OK;
}

void
catena_store_close(struct catena_store *store)
{
    if (store == NULL) {
        return;
    }
    /* A transaction left open would keep the writer gate taken. */
    while (store->depth > 0) {
        catena_store_rollback(store);
    }
    store->ops->disconnect(store);
    free(store);
}

enum catena_store_driver
catena_store_driver(const struct catena_store *store)
{
    return store->ops->driver;
}

/* ---- statements ------------------------------------------------------- */

static enum catena_rc
check_usable(struct catena_store *store, struct catena_err *err)
{
    if (store->depth > 0 && store->doomed) {
        return catena_err_set(err, CATENA_ERR_STORE,
                              "the transaction already failed or was "
                              "rolled back");
    }
    return CATENA_OK;
}

static enum catena_rc
check_params(const char *sql, const struct catena_sql_param *params,
             size_t num_params, struct catena_err *err)
{
    if (sql == NULL || (num_params > 0 && params == NULL)) {
        return catena_err_set(err, CATENA_ERR_INTERNAL,
                              "statement or parameters missing");
    }
    /* Both drivers address parameters with an int. */
    if (num_params > 999) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG,
                              "%zu parameters", num_params);
    }
    return CATENA_OK;
}

enum catena_rc
catena_store_exec(struct catena_store *store, const char *sql,
                  const struct catena_sql_param *params, size_t num_params,
                  struct catena_rows **rows_out, struct catena_err *err)
{
    enum catena_rc rc;

    if (rows_out != NULL) {
        *rows_out = NULL;
    }
    if ((rc = check_params(sql, params, num_params, err)) != CATENA_OK ||
        (rc = check_usable(store, err)) != CATENA_OK) {
        return rc;
    }
    rc = store->ops->exec(store, sql, params, num_params, rows_out, err);
    if (rc != CATENA_OK) {
        store_note_failure(store);
    }
    return rc;
}

enum catena_rc
catena_store_foreach(struct catena_store *store, const char *sql,
                     const struct catena_sql_param *params,
                     size_t num_params, catena_store_row_cb cb, void *ctx,
                     struct catena_err *err)
{
    enum catena_rc rc;

    if (cb == NULL) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "no callback");
    }
    if ((rc = check_params(sql, params, num_params, err)) != CATENA_OK ||
        (rc = check_usable(store, err)) != CATENA_OK) {
        return rc;
    }
    rc = store->ops->foreach(store, sql, params, num_params, cb, ctx, err);
    /* A callback that stops the walk is not a database failure. */
    if (rc == CATENA_ERR_STORE || rc == CATENA_ERR_EXISTS) {
        store_note_failure(store);
    }
    return rc;
}

struct first_ctx {
    catena_store_row_cb cb;
    void *ctx;
    int found;
    int rc;
};

static int
first_cb(void *vctx, const struct catena_row *row)
{
    struct first_ctx *f = vctx;

    if (f->found) {
        return 0;
    }
    f->found = 1;
    f->rc = f->cb != NULL ? f->cb(f->ctx, row) : 0;
    return 0;
}

enum catena_rc
store_query_first(struct catena_store *store, const char *sql,
                  const struct catena_sql_param *params, size_t num_params,
                  catena_store_row_cb cb, void *ctx, int *found,
                  struct catena_err *err)
{
    struct first_ctx f = {cb, ctx, 0, 0};
    enum catena_rc rc;

    rc = catena_store_foreach(store, sql, params, num_params, first_cb, &f,
                              err);
    if (found != NULL) {
        *found = f.found;
    }
    if (rc == CATENA_OK && f.rc != 0) {
        rc = store_stop_rc(f.rc, err);
    }
    return rc;
}

enum catena_rc
store_stop_rc(int stop, struct catena_err *err)
{
    enum catena_rc rc = stop > 0 && stop < CATENA_RC__MAX
                            ? (enum catena_rc)stop
                            : CATENA_ERR_INTERNAL;

    /* Keep the callback's own message if it left one. */
    if (err != NULL && err->code == CATENA_OK) {
        catena_err_set(err, rc, "row callback stopped with %d", stop);
    }
    return rc;
}

/* ---- transactions ------------------------------------------------------- */

/* write_gate enters or leaves the driver's writer gate, if it has one. */
static void
write_gate(struct catena_store *store, int enter)
{
    if (store->ops->write_gate != NULL) {
        store->ops->write_gate(store, enter);
    }
}

enum catena_rc
catena_store_begin(struct catena_store *store, struct catena_err *err)
{
    enum catena_rc rc;

    if (store->depth > 0) {
        if (store->doomed) {
            return catena_err_set(err, CATENA_ERR_STORE,
                                  "the enclosing transaction already "
                                  "failed or was rolled back");
        }
        store->depth++;
        return CATENA_OK;
    }
    store_read_end(store);
    write_gate(store, 1);
    rc = store->ops->exec(store, store->ops->begin_sql, NULL, 0, NULL, err);
    if (rc != CATENA_OK) {
        write_gate(store, 0);
        return rc;
    }
    store->depth = 1;
    store->doomed = 0;
    store->rolled_back = 0;
    return CATENA_OK;
}

/*
 * A failed commit keeps its nesting level: callers answer a failed commit
 * with catena_store_rollback, which then ends the level (and the database
 * transaction when it is the outermost).
 */
enum catena_rc
catena_store_commit(struct catena_store *store, struct catena_err *err)
{
    enum catena_rc rc;

    if (store->depth == 0) {
        return catena_err_set(err, CATENA_ERR_INTERNAL,
                              "commit without begin");
    }
    if (store->doomed) {
        return catena_err_set(err, CATENA_ERR_STORE,
                              "the transaction already failed or was "
                              "rolled back");
    }
    if (store->depth > 1) {
        store->depth--;
        return CATENA_OK;
    }
    rc = store->ops->exec(store, "COMMIT", NULL, 0, NULL, err);
    if (rc != CATENA_OK) {
        store->doomed = 1;
        return rc;
    }
    store->depth = 0;
    write_gate(store, 0);
    return CATENA_OK;
}

void
catena_store_rollback(struct catena_store *store)
{
    if (store == NULL || store->depth == 0) {
        return;
    }
    if (!store->rolled_back) {
        /* Nothing useful can be done if ROLLBACK itself fails: the
         * database discards an unfinished transaction anyway. */
        (void)store->ops->exec(store, "ROLLBACK", NULL, 0, NULL, NULL);
        store->rolled_back = 1;
    }
    store->doomed = 1;
    if (--store->depth == 0) {
        store->doomed = 0;
        store->rolled_back = 0;
        write_gate(store, 0);
    }
}

void
catena_store_read_begin(struct catena_store *store)
{
    if (store->ops->read_begin_sql == NULL || store->depth > 0 ||
        store->reading) {
        return;
    }
    /* Without one, reads simply run one by one. */
    store->reading = store->ops->exec(store, store->ops->read_begin_sql,
                                      NULL, 0, NULL, NULL) == CATENA_OK;
}

void
store_read_end(struct catena_store *store)
{
    if (!store->reading) {
        return;
    }
    store->reading = 0;
    if (store->ops->exec(store, "COMMIT", NULL, 0, NULL, NULL) != CATENA_OK) {
        (void)store->ops->exec(store, "ROLLBACK", NULL, 0, NULL, NULL);
    }
}

void
catena_store_read_end(struct catena_store *store)
{
    if (store != NULL) {
        store_read_end(store);
    }
}

/* ---- migrations ----------------------------------------------------------- */

struct word_map {
    const char *word;
    const char *sqlite;
    const char *pg;
};

/* The common dialect's type words; README.md lists the same table. */
static const struct word_map dialect[] = {
    {"ID_PK", "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"},
    {"BLOB", "BLOB", "BYTEA"},
    /* A table that is only its primary key's B-tree; PostgreSQL tables
     * are heaps either way. */
    {"WITHOUT_ROWID", "WITHOUT ROWID", ""},
};

static int
is_word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '_';
}

struct strbuf {
    char *p;
    size_t len;
    size_t cap;
};

static int
sb_add(struct strbuf *b, const char *s, size_t n)
{
    if (b->cap - b->len <= n) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap - b->len <= n) {
            if (cap > SIZE_MAX / 2) {
                return -1;
            }
            cap *= 2;
        }
        p = realloc(b->p, cap);
        if (p == NULL) {
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/*
 * translate rewrites the dialect's type words for |driver|. Only whole
 * words outside quotes and comments change, so a column named "blob_len"
 * or a string 'BLOB' stays as written.
 */
static enum catena_rc
translate(enum catena_store_driver driver, const char *sql, char **out,
          struct catena_err *err)
{
    struct strbuf b = {NULL, 0, 0};
    const char *p = sql;
    enum catena_rc rc = CATENA_OK;

    *out = NULL;
    while (*p != '\0') {
        const char *start = p;

        if (*p == '\'' || *p == '"') {
            char q = *p++;

            while (*p != '\0') {
                if (*p == q) {
                    p++;
                    if (*p != q) {
                        break;
                    }
                }
                p++;
            }
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p != '\0' && *p != '\n') {
                p++;
            }
        } else if (is_word_char(*p)) {
            const char *repl = NULL;
            size_t n;

            while (is_word_char(*p)) {
                p++;
            }
            n = (size_t)(p - start);
            for (size_t i = 0; i < sizeof(dialect) / sizeof(dialect[0]); i++) {
                if (strlen(dialect[i].word) == n &&
                    strncasecmp(dialect[i].word, start, n) == 0) {
                    repl = driver == CATENA_STORE_POSTGRES ? dialect[i].pg
                                                           : dialect[i].sqlite;
                    break;
                }
            }
            if (repl != NULL) {
                if (sb_add(&b, repl, strlen(repl)) != 0) {
                    goto nomem;
                }
                continue;
            }
        } else {
            p++;
        }
        if (sb_add(&b, start, (size_t)(p - start)) != 0) {
            goto nomem;
        }
    }
    if (b.p == NULL && sb_add(&b, "", 0) != 0) {
        goto nomem;
    }
    *out = b.p;
    return rc;
nomem:
    free(b.p);
    return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
}

static enum catena_rc
ensure_mig_table(struct catena_store *store, struct catena_err *err)
{
    enum catena_rc rc;

    if (store->have_mig_table) {
        return CATENA_OK;
    }
    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        return rc;
    }
    rc = store->ops->xact_lock(store, STORE_LOCK_MIGRATE, err);
    if (rc == CATENA_OK) {
        rc = store->ops->script(store,
                                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                " module TEXT NOT NULL,"
                                " version INT NOT NULL,"
                                " applied_at BIGINT NOT NULL,"
                                " PRIMARY KEY (module, version))",
                                err);
    }
    if (rc == CATENA_OK) {
        rc = catena_store_commit(store, err);
    }
    if (rc != CATENA_OK) {
        catena_store_rollback(store);
        return rc;
    }
    store->have_mig_table = 1;
    return CATENA_OK;
}

static int
int_cb(void *ctx, const struct catena_row *row)
{
    *(int64_t *)ctx = catena_row_int(row, 0);
    return 0;
}

static enum catena_rc
max_version(struct catena_store *store, const char *module, int64_t *out,
            struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(module)};

    *out = 0;
    return store_query_first(store,
                             "SELECT COALESCE(MAX(version), 0) "
                             "FROM schema_migrations WHERE module = $1",
                             p, 1, int_cb, out, NULL, err);
}

static enum catena_rc
apply_one(struct catena_store *store, const char *module,
          const struct catena_store_migration *mig, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(module),
                                   CATENA_SQL_P_INT(mig->version),
                                   CATENA_SQL_P_INT((int64_t)time(NULL))};
    char *sql = NULL;
    int found = 0;
    enum catena_rc rc;

    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        return rc;
    }
    /* Under the lock, look again: another node may have applied it while
     * we waited. */
    rc = store->ops->xact_lock(store, STORE_LOCK_MIGRATE, err);
    if (rc == CATENA_OK) {
        rc = store_query_first(store,
                               "SELECT version FROM schema_migrations "
                               "WHERE module = $1 AND version = $2",
                               p, 2, NULL, NULL, &found, err);
    }
    if (rc == CATENA_OK && !found) {
        rc = translate(store->ops->driver, mig->sql, &sql, err);
        if (rc == CATENA_OK) {
            rc = store->ops->script(store, sql, err);
            if (rc != CATENA_OK) {
                store_note_failure(store);
                if (err != NULL) {
                    size_t n = strlen(err->msg);

                    snprintf(err->msg + n, sizeof(err->msg) - n,
                             " (migration %s %d)", module, mig->version);
                }
            }
        }
        if (rc == CATENA_OK) {
            rc = catena_store_exec(store,
                                   "INSERT INTO schema_migrations "
                                   "(module, version, applied_at) "
                                   "VALUES ($1, $2, $3)",
                                   p, 3, NULL, err);
        }
    }
    if (rc == CATENA_OK) {
        rc = catena_store_commit(store, err);
    }
    if (rc != CATENA_OK) {
        catena_store_rollback(store);
    }
    free(sql);
    return rc;
}

enum catena_rc
catena_store_migrate(struct catena_store *store, const char *module,
                     const struct catena_store_migration *migs,
                     size_t num_migs, struct catena_err *err)
{
    int64_t applied = 0;
    enum catena_rc rc;

    if (module == NULL || module[0] == '\0' ||
        memchr(module, '\0', STORE_MAX_MODULE) == NULL ||
        (num_migs > 0 && migs == NULL)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "migration module name missing or too long");
    }
    for (size_t i = 0; i < num_migs; i++) {
        if (migs[i].sql == NULL || migs[i].version < 1 ||
            (i > 0 && migs[i].version <= migs[i - 1].version)) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "migrations of %s must be numbered from 1 "
                                  "upwards, each with SQL",
                                  module);
        }
    }
    /* The common case is an up-to-date database: one read, no write
     * lock. Only when that read fails (a new database) is the table made
     * under the lock; inside a caller's transaction a failed read would
     * doom it, so there the table is made first. */
    if (store->depth > 0 || store->have_mig_table ||
        max_version(store, module, &applied, NULL) != CATENA_OK) {
        if ((rc = ensure_mig_table(store, err)) != CATENA_OK ||
            (rc = max_version(store, module, &applied, err)) != CATENA_OK) {
            return rc;
        }
    }
    for (size_t i = 0; i < num_migs; i++) {
        if (migs[i].version <= applied) {
            continue;
        }
        if ((rc = apply_one(store, module, &migs[i], err)) != CATENA_OK) {
            return rc;
        }
    }
    return CATENA_OK;
}

int
catena_store_schema_version(struct catena_store *store)
{
    int64_t v = 0;

    if (max_version(store, "core", &v, NULL) != CATENA_OK ||
        v > (int64_t)INT32_MAX) {
        return 0;
    }
    return (int)v;
}
