/*
 * pg.c - the PostgreSQL driver over libpq: one PGconn per struct
 * catena_store, each statement PQprepare'd once per connection, integers
 * and blobs sent as binary parameters, results read as text (bytea
 * decoded when the row is built), and foreach in single-row mode so a
 * million-row CRL query is never held in memory at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "internal.h"

/* Type OIDs from the server's pg_type catalogue (stable since 7.x). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_OID 26

/* High half of our advisory lock keys: "CATE". */
#define PG_LOCK_CLASS 0x43415445

struct pg_conn {
    PGconn *conn;
    struct store_cache cache;
    unsigned next_name;
};

struct pg_prep {
    char name[24];
    int num_params;
    Oid types[];
};

/* Parameters on the stack up to this many, on the heap beyond. */
#define PG_STACK_PARAMS 24

struct pg_args {
    const char **values;
    int *lengths;
    int *formats;
    Oid *types;
    unsigned char (*ints)[8];
    const char *sv[PG_STACK_PARAMS];
    int sl[PG_STACK_PARAMS];
    int sf[PG_STACK_PARAMS];
    Oid st[PG_STACK_PARAMS];
    unsigned char si[PG_STACK_PARAMS][8];
    void *heap;
};

void
store_pg_result_free(void *res)
{
    PQclear(res);
}

static void
pg_prep_free(void *v)
{
    free(v);
}

static void
quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* trim_copy copies libpq's message without its trailing newline. */
static void
trim_copy(char *dst, size_t cap, const char *src)
{
    size_t n;

    snprintf(dst, cap, "%s", src != NULL ? src : "");
    n = strlen(dst);
    while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' ')) {
        dst[--n] = '\0';
    }
}

static enum catena_rc
pg_conn_error(struct pg_conn *c, const char *what, struct catena_err *err)
{
    char msg[400];

    trim_copy(msg, sizeof(msg), PQerrorMessage(c->conn));
    if (PQstatus(c->conn) == CONNECTION_BAD) {
        /* The server forgot our prepared statements with the session; try
         * to come back for the next call (never retrying this one). */
        store_cache_clear(&c->cache, pg_prep_free);
        PQreset(c->conn);
    }
    return catena_err_set(err, CATENA_ERR_STORE, "%s: %s", what, msg);
}

static enum catena_rc
pg_result_error(struct pg_conn *c, PGresult *res, const char *what,
                struct catena_err *err)
{
    const char *state;
    char msg[400];

    if (res == NULL) {
        return pg_conn_error(c, what, err);
    }
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    trim_copy(msg, sizeof(msg), PQresultErrorMessage(res));
    if (state != NULL && strcmp(state, "23505") == 0) {
        return catena_err_set(err, CATENA_ERR_EXISTS, "%s: %s", what, msg);
    }
    if (PQstatus(c->conn) == CONNECTION_BAD) {
        return pg_conn_error(c, what, err);
    }
    return catena_err_set(err, CATENA_ERR_STORE, "%s: %s (%s)", what, msg,
                          state != NULL ? state : "?");
}

static Oid
param_type(const struct catena_sql_param *a)
{
    switch (a->type) {
    case CATENA_SQL_INT:
        return OID_INT8;
    case CATENA_SQL_BLOB:
        return OID_BYTEA;
    default:
        /* Text and NULL: let the server infer from the context. */
        return 0;
    }
}

static void
args_free(struct pg_args *a)
{
    free(a->heap);
    a->heap = NULL;
}

static enum catena_rc
args_build(struct pg_args *a, const struct catena_sql_param *params,
           size_t n, struct catena_err *err)
{
    static const char empty[1];

    a->heap = NULL;
    if (n <= PG_STACK_PARAMS) {
        a->values = a->sv;
        a->lengths = a->sl;
        a->formats = a->sf;
        a->types = a->st;
        a->ints = a->si;
    } else {
        size_t one = sizeof(char *) + sizeof(int) * 2 + sizeof(Oid) + 8;
        unsigned char *h = calloc(n, one);

        if (h == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        a->heap = h;
        a->values = (const char **)(void *)h;
        a->ints = (unsigned char(*)[8])(void *)(h + n * sizeof(char *));
        a->lengths = (int *)(void *)(h + n * (sizeof(char *) + 8));
        a->formats = a->lengths + n;
        a->types = (Oid *)(void *)(a->formats + n);
    }
    for (size_t k = 0; k < n; k++) {
        const struct catena_sql_param *p = &params[k];

        a->types[k] = param_type(p);
        a->lengths[k] = 0;
        a->formats[k] = 0;
        switch (p->type) {
        case CATENA_SQL_INT: {
            uint64_t v = (uint64_t)p->i;

            for (int b = 0; b < 8; b++) {
                a->ints[k][b] = (unsigned char)(v >> (56 - 8 * b));
            }
            a->values[k] = (const char *)a->ints[k];
            a->lengths[k] = 8;
            a->formats[k] = 1;
            break;
        }
        case CATENA_SQL_TEXT:
            a->values[k] = p->p;
            break;
        case CATENA_SQL_BLOB:
            if (p->len > (size_t)INT32_MAX) {
                args_free(a);
                return catena_err_set(err, CATENA_ERR_TOO_BIG,
                                      "blob of %zu bytes", p->len);
            }
            /* A NULL value means SQL NULL to libpq, not an empty blob. */
            a->values[k] = p->len ? p->p : empty;
            a->lengths[k] = (int)p->len;
            a->formats[k] = 1;
            break;
        case CATENA_SQL_NULL:
            a->values[k] = NULL;
            break;
        default:
            args_free(a);
            return catena_err_set(err, CATENA_ERR_INTERNAL,
                                  "parameter $%zu has no type", k + 1);
        }
    }
    return CATENA_OK;
}

/*
 * get_prep returns the statement prepared for |sql| with these parameter
 * types, preparing it on first use. NULL in |*out| (with CATENA_OK) means
 * "send it unprepared": the types differ from the cached preparation or
 * the cache is full.
 */
static enum catena_rc
get_prep(struct pg_conn *c, const char *sql, const struct pg_args *a,
         size_t n, struct pg_prep **out, struct catena_err *err)
{
    uint64_t h = store_cache_hash(sql);
    struct pg_prep *p = store_cache_get(&c->cache, sql, h);
    PGresult *res;
    enum catena_rc rc = CATENA_OK;

    *out = NULL;
    if (p != NULL) {
        if ((size_t)p->num_params == n &&
            memcmp(p->types, a->types, n * sizeof(Oid)) == 0) {
            *out = p;
        }
        return CATENA_OK;
    }
    if (c->cache.num >= STORE_CACHE_MAX) {
        return CATENA_OK;
    }
    p = calloc(1, sizeof(*p) + n * sizeof(Oid));
    if (p == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    snprintf(p->name, sizeof(p->name), "catena_%u", c->next_name++);
    p->num_params = (int)n;
    if (n > 0) {
        memcpy(p->types, a->types, n * sizeof(Oid));
    }
    res = PQprepare(c->conn, p->name, sql, (int)n, p->types);
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_result_error(c, res, "prepare", err);
        PQclear(res);
        free(p);
        return rc;
    }
    PQclear(res);
    if (store_cache_put(&c->cache, sql, h, p) != 0) {
        /* The server keeps the statement; we only lose the shortcut. */
        free(p);
        return CATENA_OK;
    }
    *out = p;
    return CATENA_OK;
}

/* hex_val returns a nibble's value or -1. */
static int
hex_val(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

/* decode_bytea turns bytea's text output into bytes in |arena|. */
static int
decode_bytea(struct store_arena *arena, const char *s, size_t slen,
             const uint8_t **out, size_t *out_len)
{
    if (slen >= 2 && s[0] == '\\' && s[1] == 'x' && slen % 2 == 0) {
        size_t n = (slen - 2) / 2;
        uint8_t *d = store_arena_alloc(arena, n);

        if (d == NULL) {
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            int hi = hex_val(s[2 + 2 * i]), lo = hex_val(s[3 + 2 * i]);

            if (hi < 0 || lo < 0) {
                return -1;
            }
            d[i] = (uint8_t)(hi << 4 | lo);
        }
        *out = d;
        *out_len = n;
        return 0;
    }
    /* The old "escape" output format (bytea_output = escape). */
    {
        size_t n = 0;
        unsigned char *u = PQunescapeBytea((const unsigned char *)s, &n);
        uint8_t *d;

        if (u == NULL) {
            return -1;
        }
        d = store_arena_alloc(arena, n);
        if (d != NULL && n > 0) {
            memcpy(d, u, n);
        }
        PQfreemem(u);
        if (d == NULL) {
            return -1;
        }
        *out = d;
        *out_len = n;
        return 0;
    }
}

static enum catena_rc
fill_cells(PGresult *res, int r, struct store_cell *cells, int ncols,
           struct store_arena *arena, struct catena_err *err)
{
    for (int i = 0; i < ncols; i++) {
        struct store_cell *c = &cells[i];
        const char *v;
        size_t len;
        Oid t;

        memset(c, 0, sizeof(*c));
        if (PQgetisnull(res, r, i)) {
            c->type = CATENA_SQL_NULL;
            continue;
        }
        v = PQgetvalue(res, r, i);
        len = (size_t)PQgetlength(res, r, i);
        t = PQftype(res, i);
        if (t == OID_BYTEA) {
            c->type = CATENA_SQL_BLOB;
            if (decode_bytea(arena, v, len, &c->blob, &c->len) != 0) {
                return catena_err_set(err, CATENA_ERR_STORE,
                                      "undecodable bytea in column %d", i);
            }
            continue;
        }
        c->text = v;
        c->blob = (const uint8_t *)v;
        c->len = len;
        if (t == OID_INT8 || t == OID_INT4 || t == OID_INT2 || t == OID_OID) {
            c->type = CATENA_SQL_INT;
            c->i = store_parse_int(v);
        } else if (t == OID_BOOL) {
            c->type = CATENA_SQL_INT;
            c->i = v[0] == 't';
        } else {
            c->type = CATENA_SQL_TEXT;
        }
    }
    return CATENA_OK;
}

static enum catena_rc
build_rows(PGresult *res, struct catena_rows **rows_out,
           struct catena_err *err)
{
    int nrows = PQntuples(res), ncols = PQnfields(res);
    struct catena_rows *rows = store_rows_new(ncols);
    enum catena_rc rc = CATENA_OK;

    if (rows == NULL) {
        PQclear(res);
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    rows->pg_result = res;
    for (int r = 0; r < nrows; r++) {
        struct store_cell *cells = store_rows_add(rows);

        if (cells == NULL) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((rc = fill_cells(res, r, cells, ncols, &rows->arena, err)) !=
            CATENA_OK) {
            goto out;
        }
    }
    store_rows_finish(rows);
    *rows_out = rows;
    rows = NULL;
out:
    catena_rows_free(rows);
    return rc;
}

static enum catena_rc
pg_exec(struct catena_store *store, const char *sql,
        const struct catena_sql_param *params, size_t num_params,
        struct catena_rows **rows_out, struct catena_err *err)
{
    struct pg_conn *c = store->drv;
    struct pg_prep *p = NULL;
    struct pg_args a;
    PGresult *res = NULL;
    ExecStatusType st;
    enum catena_rc rc;

    if ((rc = args_build(&a, params, num_params, err)) != CATENA_OK) {
        return rc;
    }
    if ((rc = get_prep(c, sql, &a, num_params, &p, err)) != CATENA_OK) {
        goto out;
    }
    if (p != NULL) {
        res = PQexecPrepared(c->conn, p->name, (int)num_params, a.values,
                             a.lengths, a.formats, 0);
    } else {
        res = PQexecParams(c->conn, sql, (int)num_params, a.types, a.values,
                           a.lengths, a.formats, 0);
    }
    st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_result_error(c, res, "exec", err);
        goto out;
    }
    /* COMMIT of a transaction the server already aborted reports
     * ROLLBACK, not an error: that must not pass for a commit. */
    if (strcmp(sql, "COMMIT") == 0 &&
        strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        rc = catena_err_set(err, CATENA_ERR_STORE,
                            "commit: the server rolled the transaction "
                            "back");
        goto out;
    }
    if (rows_out != NULL) {
        rc = build_rows(res, rows_out, err);
        res = NULL;
    }
out:
    PQclear(res);
    args_free(&a);
    return rc;
}

static void
drain(PGconn *conn)
{
    PGresult *res;

    while ((res = PQgetResult(conn)) != NULL) {
        PQclear(res);
    }
}

static enum catena_rc
pg_foreach(struct catena_store *store, const char *sql,
           const struct catena_sql_param *params, size_t num_params,
           catena_store_row_cb cb, void *ctx, struct catena_err *err)
{
    struct pg_conn *c = store->drv;
    struct store_arena arena = {NULL};
    struct store_cell *cells = NULL;
    struct pg_prep *p = NULL;
    struct catena_row row;
    struct pg_args a;
    PGresult *res;
    int sent, ncols = -1, stop = 0;
    enum catena_rc rc;

    if ((rc = args_build(&a, params, num_params, err)) != CATENA_OK) {
        return rc;
    }
    if ((rc = get_prep(c, sql, &a, num_params, &p, err)) != CATENA_OK) {
        goto out;
    }
    if (p != NULL) {
        sent = PQsendQueryPrepared(c->conn, p->name, (int)num_params,
                                   a.values, a.lengths, a.formats, 0);
    } else {
        sent = PQsendQueryParams(c->conn, sql, (int)num_params, a.types,
                                 a.values, a.lengths, a.formats, 0);
    }
    if (!sent) {
        rc = pg_conn_error(c, "send", err);
        goto out;
    }
    if (!PQsetSingleRowMode(c->conn)) {
        drain(c->conn);
        rc = catena_err_set(err, CATENA_ERR_STORE,
                            "cannot enter single-row mode");
        goto out;
    }
    while ((res = PQgetResult(c->conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);

        if (st == PGRES_SINGLE_TUPLE && stop == 0 && rc == CATENA_OK) {
            if (ncols < 0) {
                ncols = PQnfields(res);
                cells = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof(*cells));
                if (cells == NULL) {
                    rc = catena_err_set(err, CATENA_ERR_NOMEM,
                                        "out of memory");
                }
            }
            if (rc == CATENA_OK) {
                rc = fill_cells(res, 0, cells, ncols, &arena, err);
            }
            if (rc == CATENA_OK) {
                row.num_cols = ncols;
                row.cells = cells;
                row.stmt = NULL;
                stop = cb(ctx, &row);
            }
            store_arena_reset(&arena);
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK &&
                   st != PGRES_COMMAND_OK && rc == CATENA_OK && stop == 0) {
            rc = pg_result_error(c, res, "foreach", err);
        }
        /* Keep reading after a stop: libpq must see the query to its end
         * before the connection takes another. */
        PQclear(res);
    }
    if (rc == CATENA_OK && stop != 0) {
        rc = store_stop_rc(stop, err);
    }
out:
    store_arena_reset(&arena);
    free(cells);
    args_free(&a);
    return rc;
}

static enum catena_rc
pg_script(struct catena_store *store, const char *sql, struct catena_err *err)
{
    struct pg_conn *c = store->drv;
    PGresult *res = PQexec(c->conn, sql);
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    enum catena_rc rc = CATENA_OK;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_result_error(c, res, "exec", err);
    }
    PQclear(res);
    return rc;
}

static enum catena_rc
pg_xact_lock(struct catena_store *store, int key, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(PG_LOCK_CLASS),
                                   CATENA_SQL_P_INT(key)};

    return pg_exec(store, "SELECT pg_advisory_xact_lock($1::int, $2::int)", p,
                   2, NULL, err);
}

static void
pg_disconnect(struct catena_store *store)
{
    struct pg_conn *c = store->drv;

    if (c == NULL) {
        return;
    }
    store_cache_clear(&c->cache, pg_prep_free);
    PQfinish(c->conn);
    free(c);
    store->drv = NULL;
}

static enum catena_rc
pg_connect(struct catena_store *store, const char *url,
           struct catena_err *err)
{
    struct pg_conn *c = calloc(1, sizeof(*c));
    enum catena_rc rc;

    if (c == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    store->drv = c;
    c->conn = PQconnectdb(url);
    if (c->conn == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (PQstatus(c->conn) != CONNECTION_OK) {
        rc = pg_conn_error(c, "cannot connect to PostgreSQL", err);
        goto fail;
    }
    /* "already exists, skipping" and friends would go to stderr. */
    PQsetNoticeProcessor(c->conn, quiet_notices, NULL);
    rc = pg_script(store, "SET client_min_messages = warning", err);
    if (rc != CATENA_OK) {
        goto fail;
    }
    return CATENA_OK;
fail:
    pg_disconnect(store);
    return rc;
}

const struct store_ops store_pg_ops = {
    .driver = CATENA_STORE_POSTGRES,
    .begin_sql = "BEGIN",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .foreach = pg_foreach,
    .script = pg_script,
    .xact_lock = pg_xact_lock,
};
