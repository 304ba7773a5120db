/*
 * sqlite.c - the SQLite driver: one sqlite3 handle per struct catena_store
 * for reads, one per process and file for writes, WAL with
 * synchronous=NORMAL, a busy timeout, foreign keys, and every statement
 * prepared once and kept for the life of the connection.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "catena/log.h"
#include "internal.h"

/* How long a writer waits for another connection's write lock. */
#define SQLITE_BUSY_MS 10000

struct sq_conn {
    sqlite3 *db;
    struct store_cache cache;
};

/*
 * The writer connection: one per process and database file, shared by
 * every handle on that file and used only under the writer gate, for the
 * span of a write transaction or of a write outside one. Why: each commit
 * on one connection empties every other connection's page cache, so with
 * a connection per thread each write transaction began by reading its
 * pages again (about a hundred preads per ACME order). Writes are
 * serialised by the gate anyway, so sharing one connection for them adds
 * no waiting, and its cache stays warm: only this process writes, through
 * it, except for the occasional CLI. Reads stay on each handle's own
 * connection, concurrent.
 */
struct sq_writer {
    struct sq_writer *next;
    char *path;                /* realpath of the file */
    int refs;                  /* handles connected to the file */
    struct sq_conn conn;       /* db opened at the first write */
    int open_failed;           /* then writes stay on their own connections */
    struct catena_store *owner; /* the handle writing on it, under the gate */
    int owner_depth;            /* that handle's gate entries (BEGIN
                                   IMMEDIATE is itself a gated write) */
};

static pthread_mutex_t sq_writers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sq_writer *sq_writers;

/* A handle's driver state (store->drv). */
struct sq_handle {
    struct sq_conn own;
    struct sq_writer *writer; /* NULL if the file's path could not be resolved */
    struct sq_conn *active;   /* &own, or the writer's while this handle owns it */
};

/*
 * The writer gate. SQLite admits one writer at a time, and a writer that
 * finds the lock taken sleeps in the busy handler (1, 2, 5, 10 ... 100
 * ms), so this process's handles (a thread each) queue on a mutex
 * instead, for the span of each write transaction (store.c calls
 * sq_write_gate around BEGIN IMMEDIATE ... COMMIT) and of each write
 * outside one. Nothing that waits on anything else (the signer, the
 * network) runs inside a write transaction, so the queue moves. Other
 * processes still meet the busy handler. Recursive: one thread writing
 * on two handles then gets SQLITE_BUSY after the timeout rather than
 * hanging (the second handle cannot have the writer connection while the
 * first holds it, and writes on its own). One gate for all files: a
 * process normally opens one database.
 */
static pthread_mutex_t sq_gate;
static pthread_once_t sq_gate_once = PTHREAD_ONCE_INIT;

static void
sq_gate_init(void)
{
    pthread_mutexattr_t a;

    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&sq_gate, &a);
    pthread_mutexattr_destroy(&a);
}

static int writer_ready(struct sq_writer *w);

static void
sq_write_gate(struct catena_store *store, int enter)
{
    struct sq_handle *h = store->drv;
    struct sq_writer *w = h->writer;

    pthread_once(&sq_gate_once, sq_gate_init);
    if (enter) {
        pthread_mutex_lock(&sq_gate);
        if (w != NULL && w->owner == store) {
            w->owner_depth++;
        } else if (w != NULL && w->owner == NULL && writer_ready(w)) {
            w->owner = store;
            w->owner_depth = 1;
            h->active = &w->conn;
        }
    } else {
        if (w != NULL && w->owner == store && --w->owner_depth == 0) {
            w->owner = NULL;
            h->active = &h->own;
        }
        pthread_mutex_unlock(&sq_gate);
    }
}

/*
 * A prepared statement and where each $N of the common dialect landed:
 * SQLite treats "$1" as a named parameter with its own index.
 */
struct sq_prep {
    sqlite3_stmt *stmt;
    int busy;     /* in use by an unfinished foreach */
    int num_args; /* highest N of the $N used */
    int idx[];    /* idx[N - 1] = SQLite's index for $N */
};

static void
sq_prep_free(void *v)
{
    struct sq_prep *p = v;

    if (p != NULL) {
        sqlite3_finalize(p->stmt);
        free(p);
    }
}

static enum catena_rc
sq_error(sqlite3 *db, int code, const char *what, struct catena_err *err)
{
    int ext = sqlite3_extended_errcode(db);

    (void)code;
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return catena_err_set(err, CATENA_ERR_EXISTS, "%s: %s", what,
                              sqlite3_errmsg(db));
    }
    return catena_err_set(err, CATENA_ERR_STORE, "%s: %s", what,
                          sqlite3_errmsg(db));
}

/* parse_dollar reads the N of a "$N" parameter name; 0 if it is not one. */
static int
parse_dollar(const char *name)
{
    long n = 0;

    if (name == NULL || name[0] != '$' || name[1] < '1' || name[1] > '9') {
        return 0;
    }
    for (const char *p = name + 1; *p; p++) {
        if (*p < '0' || *p > '9' || n > 9999) {
            return 0;
        }
        n = n * 10 + (*p - '0');
    }
    return (int)n;
}

static enum catena_rc
sq_prepare(struct sq_conn *c, const char *sql, int persistent,
           struct sq_prep **out, struct catena_err *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sq_prep *p = NULL;
    const char *tail = NULL;
    int n, max = 0, rc;

    *out = NULL;
    rc = sqlite3_prepare_v3(c->db, sql, -1,
                            persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
                            &tail);
    if (rc != SQLITE_OK) {
        return sq_error(c->db, rc, "prepare", err);
    }
    if (stmt == NULL || (tail != NULL && tail[strspn(tail, " \t\r\n;")])) {
        sqlite3_finalize(stmt);
        return catena_err_set(err, CATENA_ERR_INTERNAL,
                              "expected exactly one statement: %.80s", sql);
    }
    n = sqlite3_bind_parameter_count(stmt);
    for (int i = 1; i <= n; i++) {
        int k = parse_dollar(sqlite3_bind_parameter_name(stmt, i));

        if (k == 0) {
            sqlite3_finalize(stmt);
            return catena_err_set(err, CATENA_ERR_INTERNAL,
                                  "only $N parameters are allowed: %.80s",
                                  sql);
        }
        if (k > max) {
            max = k;
        }
    }
    p = calloc(1, sizeof(*p) + (size_t)max * sizeof(p->idx[0]));
    if (p == NULL) {
        sqlite3_finalize(stmt);
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    p->stmt = stmt;
    p->num_args = max;
    for (int i = 1; i <= n; i++) {
        p->idx[parse_dollar(sqlite3_bind_parameter_name(stmt, i)) - 1] = i;
    }
    *out = p;
    return CATENA_OK;
}

/*
 * get_stmt returns a ready statement for |sql|: the cached one, or a fresh
 * one with |*temp| set when the cached one is busy in a foreach below us
 * or the cache is full.
 */
static enum catena_rc
get_stmt(struct sq_conn *c, const char *sql, struct sq_prep **out, int *temp,
         struct catena_err *err)
{
    uint64_t h = store_cache_hash(sql);
    struct sq_prep *p = store_cache_get(&c->cache, sql, h);
    enum catena_rc rc;

    *temp = 0;
    if (p != NULL && !p->busy) {
        *out = p;
        return CATENA_OK;
    }
    if ((rc = sq_prepare(c, sql, p == NULL, out, err)) != CATENA_OK) {
        return rc;
    }
    if (p != NULL || store_cache_put(&c->cache, sql, h, *out) != 0) {
        *temp = 1;
    }
    return CATENA_OK;
}

static void
put_stmt(struct sq_prep *p, int temp)
{
    sqlite3_reset(p->stmt);
    sqlite3_clear_bindings(p->stmt);
    p->busy = 0;
    if (temp) {
        sq_prep_free(p);
    }
}

static enum catena_rc
bind_all(struct sq_conn *c, struct sq_prep *p,
         const struct catena_sql_param *params, size_t num_params,
         struct catena_err *err)
{
    if (num_params != (size_t)p->num_args) {
        return catena_err_set(err, CATENA_ERR_INTERNAL,
                              "statement uses %d parameters, %zu given",
                              p->num_args, num_params);
    }
    for (size_t k = 0; k < num_params; k++) {
        const struct catena_sql_param *a = &params[k];
        int i = p->idx[k], rc;

        if (i == 0) {
            /* $k unused in the text: PostgreSQL would refuse it too. */
            return catena_err_set(err, CATENA_ERR_INTERNAL,
                                  "parameter $%zu is not used", k + 1);
        }
        switch (a->type) {
        case CATENA_SQL_INT:
            rc = sqlite3_bind_int64(p->stmt, i, a->i);
            break;
        case CATENA_SQL_TEXT:
            rc = a->p == NULL ? sqlite3_bind_null(p->stmt, i)
                              : sqlite3_bind_text(p->stmt, i, a->p, -1,
                                                  SQLITE_STATIC);
            break;
        case CATENA_SQL_BLOB:
            /* A NULL pointer would bind SQL NULL, not an empty blob. */
            rc = a->len == 0 ? sqlite3_bind_zeroblob(p->stmt, i, 0)
                             : sqlite3_bind_blob64(p->stmt, i, a->p,
                                                   (sqlite3_uint64)a->len,
                                                   SQLITE_STATIC);
            break;
        case CATENA_SQL_NULL:
            rc = sqlite3_bind_null(p->stmt, i);
            break;
        default:
            return catena_err_set(err, CATENA_ERR_INTERNAL,
                                  "parameter $%zu has no type", k + 1);
        }
        if (rc != SQLITE_OK) {
            return sq_error(c->db, rc, "bind", err);
        }
    }
    return CATENA_OK;
}

/*
 * stmt_for runs get_stmt for |sql| and decides where the statement runs.
 * A write outside a transaction is a transaction of its own, run under
 * the gate. (store.c gates transactions; their BEGIN IMMEDIATE, not
 * read-only to SQLite, enters again, which only nests.) For one it ends
 * any read snapshot first and, when the gate hands this handle the writer
 * connection, takes the statement from there instead. Nothing is bound
 * yet. |*gated| says whether it entered the gate; on failure it has left
 * it again and holds no statement.
 */
static enum catena_rc
stmt_for(struct catena_store *store, const char *sql, struct sq_conn **c,
         struct sq_prep **p, int *temp, int *gated, struct catena_err *err)
{
    struct sq_handle *h = store->drv;
    enum catena_rc rc;

    *c = h->active;
    *gated = 0;
    if ((rc = get_stmt(*c, sql, p, temp, err)) != CATENA_OK) {
        return rc;
    }
    if (store->depth > 0 || sqlite3_stmt_readonly((*p)->stmt)) {
        return CATENA_OK;
    }
    *gated = 1;
    store_read_end(store);
    sq_write_gate(store, 1);
    if (h->active == *c) {
        return CATENA_OK;
    }
    put_stmt(*p, *temp);
    *c = h->active;
    if ((rc = get_stmt(*c, sql, p, temp, err)) != CATENA_OK) {
        sq_write_gate(store, 0);
        *gated = 0;
    }
    return rc;
}

/* stmt_done puts |p| back and then leaves the gate if |gated|. In that
 * order: a gated statement is the writer connection's, and the next
 * holder may run it. (put_stmt's reset also ends the implicit
 * transaction of a statement that stopped early.) */
static void
stmt_done(struct catena_store *store, struct sq_prep *p, int temp, int gated)
{
    put_stmt(p, temp);
    if (gated) {
        sq_write_gate(store, 0);
    }
}

static enum catena_rc
copy_row(struct catena_rows *rows, sqlite3_stmt *stmt, struct catena_err *err)
{
    struct store_cell *cells = store_rows_add(rows);

    if (cells == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < rows->num_cols; i++) {
        struct store_cell *c = &cells[i];
        int t = sqlite3_column_type(stmt, i);

        if (t == SQLITE_NULL) {
            c->type = CATENA_SQL_NULL;
            continue;
        }
        if (t == SQLITE_INTEGER) {
            char buf[24];
            int n;

            c->type = CATENA_SQL_INT;
            c->i = sqlite3_column_int64(stmt, i);
            n = snprintf(buf, sizeof(buf), "%lld", (long long)c->i);
            c->text = store_arena_alloc(&rows->arena, (size_t)n + 1);
            if (c->text == NULL) {
                return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            }
            memcpy((char *)c->text, buf, (size_t)n + 1);
            c->blob = (const uint8_t *)c->text;
            c->len = (size_t)n;
        } else if (t == SQLITE_BLOB) {
            const void *b = sqlite3_column_blob(stmt, i);
            size_t n = (size_t)sqlite3_column_bytes(stmt, i);
            uint8_t *d = store_arena_alloc(&rows->arena, n);

            if (d == NULL) {
                return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            }
            if (n > 0) {
                memcpy(d, b, n);
            }
            c->type = CATENA_SQL_BLOB;
            c->blob = d;
            c->len = n;
        } else {
            /* TEXT, and REAL shown as SQLite's text of it. */
            const unsigned char *s = sqlite3_column_text(stmt, i);
            size_t n = (size_t)sqlite3_column_bytes(stmt, i);
            char *d = store_arena_alloc(&rows->arena, n + 1);

            if (d == NULL || s == NULL) {
                return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            }
            memcpy(d, s, n);
            d[n] = '\0';
            c->type = CATENA_SQL_TEXT;
            c->text = d;
            c->blob = (const uint8_t *)d;
            c->len = n;
        }
    }
    return CATENA_OK;
}

static enum catena_rc
sq_exec(struct catena_store *store, const char *sql,
        const struct catena_sql_param *params, size_t num_params,
        struct catena_rows **rows_out, struct catena_err *err)
{
    struct sq_conn *c;
    struct catena_rows *rows = NULL;
    struct sq_prep *p = NULL;
    int temp = 0, src, gated;
    enum catena_rc rc;

    if ((rc = stmt_for(store, sql, &c, &p, &temp, &gated, err)) != CATENA_OK) {
        return rc;
    }
    if ((rc = bind_all(c, p, params, num_params, err)) != CATENA_OK) {
        goto done;
    }
    if (rows_out != NULL) {
        rows = store_rows_new(sqlite3_column_count(p->stmt));
        if (rows == NULL) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    while ((src = sqlite3_step(p->stmt)) == SQLITE_ROW) {
        if (rows != NULL && (rc = copy_row(rows, p->stmt, err)) != CATENA_OK) {
            break;
        }
    }
    if (rc == CATENA_OK && src != SQLITE_DONE) {
        rc = sq_error(c->db, src, "step", err);
    }
done:
    if (rc == CATENA_OK && rows != NULL) {
        store_rows_finish(rows);
        *rows_out = rows;
        rows = NULL;
    }
    catena_rows_free(rows);
    stmt_done(store, p, temp, gated);
    return rc;
}

static enum catena_rc
sq_foreach(struct catena_store *store, const char *sql,
           const struct catena_sql_param *params, size_t num_params,
           catena_store_row_cb cb, void *ctx, struct catena_err *err)
{
    struct sq_conn *c;
    struct sq_prep *p = NULL;
    struct catena_row row;
    int temp = 0, src, stop = 0, gated;
    enum catena_rc rc;

    if ((rc = stmt_for(store, sql, &c, &p, &temp, &gated, err)) != CATENA_OK) {
        return rc;
    }
    if ((rc = bind_all(c, p, params, num_params, err)) != CATENA_OK) {
        stmt_done(store, p, temp, gated);
        return rc;
    }
    p->busy = 1;
    row.cells = NULL;
    row.stmt = p->stmt;
    row.num_cols = sqlite3_column_count(p->stmt);
    while ((src = sqlite3_step(p->stmt)) == SQLITE_ROW) {
        if ((stop = cb(ctx, &row)) != 0) {
            break;
        }
    }
    if (stop != 0) {
        rc = store_stop_rc(stop, err);
    } else if (src != SQLITE_DONE) {
        rc = sq_error(c->db, src, "step", err);
    }
    stmt_done(store, p, temp, gated);
    return rc;
}

static enum catena_rc
sq_script(struct catena_store *store, const char *sql, struct catena_err *err)
{
    struct sq_conn *c = ((struct sq_handle *)store->drv)->active;
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        enum catena_rc r = sq_error(c->db, rc, "exec", err);

        sqlite3_free(msg);
        return r;
    }
    return CATENA_OK;
}

static enum catena_rc
sq_xact_lock(struct catena_store *store, int key, struct catena_err *err)
{
    (void)store;
    (void)key;
    (void)err;
    return CATENA_OK;
}

static void
conn_close(struct sq_conn *c)
{
    store_cache_clear(&c->cache, sq_prep_free);
    sqlite3_close_v2(c->db);
    c->db = NULL;
}

/*
 * writer_release drops a handle's reference to its file's writer
 * connection, closing it with the last. The handle does not own it:
 * catena_store_close has ended any transaction first.
 */
static void
writer_release(struct sq_writer *w)
{
    struct sq_writer **pp;

    pthread_mutex_lock(&sq_writers_mu);
    if (--w->refs > 0) {
        pthread_mutex_unlock(&sq_writers_mu);
        return;
    }
    for (pp = &sq_writers; *pp != w; pp = &(*pp)->next) {
    }
    *pp = w->next;
    pthread_mutex_unlock(&sq_writers_mu);
    if (w->conn.db != NULL) {
        conn_close(&w->conn);
    }
    free(w->path);
    free(w);
}

static void
sq_disconnect(struct catena_store *store)
{
    struct sq_handle *h = store->drv;

    if (h == NULL) {
        return;
    }
    if (h->writer != NULL) {
        writer_release(h->writer);
    }
    conn_close(&h->own);
    free(h);
    store->drv = NULL;
}

/*
 * sq_global_config runs once, before SQLite initialises itself. Memory
 * statistics off: with them on, every allocation SQLite makes takes one
 * process-wide mutex to count it, and with a connection per thread that
 * mutex is shared by every request. Nothing here reads the statistics.
 */
static pthread_once_t sq_once = PTHREAD_ONCE_INIT;

static void
sq_global_config(void)
{
    /* SQLITE_MISUSE if something initialised SQLite first: harmless,
     * the statistics then stay on. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---- background checkpointer ------------------------------------------ */

#define CKPT_INTERVAL_MS 50
/* WAL pages a connection lets grow before it checkpoints by itself:
 * ~40 MB normally rather than SQLite's 4 MB (fewer fsyncs at a high
 * issuance rate), ~160 MB while the checkpointer runs (a backstop). */
#define AUTOCKPT_PAGES 10000
#define AUTOCKPT_BACKSTOP_PAGES 40000

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    sqlite3 *db;
    int running;
    int stop;
} sq_ckpt = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/*
 * writers_set_autockpt gives the open writer connections |pages| as their
 * own checkpoint threshold: they do all of this process's writes, and
 * were mostly opened (at the store's migrations) before the checkpointer
 * started or after it stopped.
 */
static void
writers_set_autockpt(int pages)
{
    char sql[64];

    snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d", pages);
    pthread_once(&sq_gate_once, sq_gate_init);
    pthread_mutex_lock(&sq_gate);
    pthread_mutex_lock(&sq_writers_mu);
    for (struct sq_writer *w = sq_writers; w != NULL; w = w->next) {
        if (w->conn.db != NULL && w->owner == NULL) {
            (void)sqlite3_exec(w->conn.db, sql, NULL, NULL, NULL);
        }
    }
    pthread_mutex_unlock(&sq_writers_mu);
    pthread_mutex_unlock(&sq_gate);
}

static void *
ckpt_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sq_ckpt.mu);
    while (!sq_ckpt.stop) {
        struct timespec ts;
        int nlog = 0, nckpt = 0, src;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sq_ckpt.cv, &sq_ckpt.mu, &ts);
        if (sq_ckpt.stop) {
            break;
        }
        pthread_mutex_unlock(&sq_ckpt.mu);
        /* Passive: copies what no reader still needs, waits for no one.
         * SQLITE_BUSY (another checkpoint running) just means next time. */
        src = sqlite3_wal_checkpoint_v2(sq_ckpt.db, NULL,
                                        SQLITE_CHECKPOINT_PASSIVE, &nlog,
                                        &nckpt);
        if (src != SQLITE_OK && (src & 0xff) != SQLITE_BUSY) {
            CATENA_WARN("store: background checkpoint: %s",
                        sqlite3_errmsg(sq_ckpt.db));
        }
        pthread_mutex_lock(&sq_ckpt.mu);
    }
    pthread_mutex_unlock(&sq_ckpt.mu);
    return NULL;
}

enum catena_rc
catena_store_checkpointer_start(const char *url, struct catena_err *err)
{
    sqlite3 *db = NULL;
    int src;

    if (url == NULL || strncmp(url, "sqlite:", 7) != 0) {
        return CATENA_OK;
    }
    pthread_mutex_lock(&sq_ckpt.mu);
    if (sq_ckpt.running) {
        pthread_mutex_unlock(&sq_ckpt.mu);
        return catena_err_set(err, CATENA_ERR_INTERNAL,
                              "checkpointer already running");
    }
    src = sqlite3_open_v2(url + 7, &db, SQLITE_OPEN_READWRITE, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL,
                           NULL);
    }
    if (src != SQLITE_OK) {
        enum catena_rc rc = catena_err_set(
            err, CATENA_ERR_STORE, "checkpointer: cannot open %s: %s",
            url + 7, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src));

        sqlite3_close(db);
        pthread_mutex_unlock(&sq_ckpt.mu);
        return rc;
    }
    sq_ckpt.db = db;
    sq_ckpt.stop = 0;
    if (pthread_create(&sq_ckpt.thread, NULL, ckpt_main, NULL) != 0) {
        sqlite3_close(db);
        sq_ckpt.db = NULL;
        pthread_mutex_unlock(&sq_ckpt.mu);
        return catena_err_set_errno(err, CATENA_ERR_INTERNAL,
                                    "pthread_create");
    }
    sq_ckpt.running = 1;
    pthread_mutex_unlock(&sq_ckpt.mu);
    writers_set_autockpt(AUTOCKPT_BACKSTOP_PAGES);
    return CATENA_OK;
}

void
catena_store_checkpointer_stop(void)
{
    pthread_mutex_lock(&sq_ckpt.mu);
    if (!sq_ckpt.running) {
        pthread_mutex_unlock(&sq_ckpt.mu);
        return;
    }
    sq_ckpt.stop = 1;
    pthread_cond_signal(&sq_ckpt.cv);
    pthread_mutex_unlock(&sq_ckpt.mu);
    pthread_join(sq_ckpt.thread, NULL);
    pthread_mutex_lock(&sq_ckpt.mu);
    sqlite3_close(sq_ckpt.db);
    sq_ckpt.db = NULL;
    sq_ckpt.running = 0;
    pthread_mutex_unlock(&sq_ckpt.mu);
    writers_set_autockpt(AUTOCKPT_PAGES);
}

static int
ckpt_running(void)
{
    int r;

    pthread_mutex_lock(&sq_ckpt.mu);
    r = sq_ckpt.running;
    pthread_mutex_unlock(&sq_ckpt.mu);
    return r;
}

/*
 * conn_open opens |path| with this driver's settings. One thread uses a
 * connection at a time (a handle per thread, store.h; the writer under
 * the gate), so SQLite's own mutexes on it are not needed.
 */
static enum catena_rc
conn_open(struct sq_conn *c, const char *path, struct catena_err *err)
{
    char pragmas[160];
    int src;

    src = sqlite3_open_v2(path, &c->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                              SQLITE_OPEN_NOMUTEX,
                          NULL);
    if (src != SQLITE_OK) {
        enum catena_rc rc = catena_err_set(
            err, CATENA_ERR_STORE, "cannot open %s: %s", path,
            c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(src));

        sqlite3_close_v2(c->db);
        c->db = NULL;
        return rc;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQLITE_BUSY_MS);
    /* Switching a new file to WAL needs an exclusive lock, and SQLite
     * does not always call the busy handler for it (several nodes opening
     * one fresh file at once), so that step retries on its own. */
    for (int waited = 0;; waited += 10) {
        src = sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL,
                           NULL);
        if ((src & 0xff) != SQLITE_BUSY && (src & 0xff) != SQLITE_LOCKED) {
            break;
        }
        if (waited >= SQLITE_BUSY_MS) {
            break;
        }
        sqlite3_sleep(10);
    }
    if (src == SQLITE_OK) {
        snprintf(pragmas, sizeof(pragmas),
                 "PRAGMA synchronous = NORMAL;"
                 "PRAGMA foreign_keys = ON;"
                 "PRAGMA wal_autocheckpoint = %d",
                 ckpt_running() ? AUTOCKPT_BACKSTOP_PAGES : AUTOCKPT_PAGES);
        src = sqlite3_exec(c->db, pragmas, NULL, NULL, NULL);
    }
    if (src != SQLITE_OK) {
        enum catena_rc rc = sq_error(c->db, src, "open settings", err);

        conn_close(c);
        return rc;
    }
    return CATENA_OK;
}

/*
 * writer_ready opens |w|'s connection at its first use; called under the
 * gate, which is what guards the connection. If it cannot be opened,
 * writes stay on each handle's own connection, as correct and slower.
 */
static int
writer_ready(struct sq_writer *w)
{
    struct catena_err err;

    if (w->conn.db != NULL) {
        return 1;
    }
    if (w->open_failed) {
        return 0;
    }
    catena_err_clear(&err);
    if (conn_open(&w->conn, w->path, &err) != CATENA_OK) {
        CATENA_WARN("store: no shared writer connection, writing on each "
                    "thread's own: %s",
                    err.msg);
        w->open_failed = 1;
        return 0;
    }
    return 1;
}

/* writer_attach finds or makes the writer entry for the file at |path|. */
static struct sq_writer *
writer_attach(const char *path)
{
    char *real = realpath(path, NULL);
    struct sq_writer *w;

    if (real == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&sq_writers_mu);
    for (w = sq_writers; w != NULL; w = w->next) {
        if (strcmp(w->path, real) == 0) {
            break;
        }
    }
    if (w == NULL && (w = calloc(1, sizeof(*w))) != NULL) {
        w->path = real;
        real = NULL;
        w->next = sq_writers;
        sq_writers = w;
    }
    if (w != NULL) {
        w->refs++;
    }
    pthread_mutex_unlock(&sq_writers_mu);
    free(real);
    return w;
}

static enum catena_rc
sq_connect(struct catena_store *store, const char *url,
           struct catena_err *err)
{
    const char *path = url + strlen("sqlite:");
    struct sq_handle *h;
    enum catena_rc rc;

    if (path[0] == '\0') {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "sqlite: store URL has no path");
    }
    pthread_once(&sq_once, sq_global_config);
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    h->active = &h->own;
    if ((rc = conn_open(&h->own, path, err)) != CATENA_OK) {
        free(h);
        return rc;
    }
    /* After the open: the file exists now, so its real path does. Without
     * one, this handle writes on its own connection. */
    h->writer = writer_attach(path);
    store->drv = h;
    return CATENA_OK;
}

const struct store_ops store_sqlite_ops = {
    .driver = CATENA_STORE_SQLITE,
    /* IMMEDIATE takes the write lock up front: a deferred transaction that
     * upgrades later can fail with SQLITE_BUSY that no timeout resolves. */
    .begin_sql = "BEGIN IMMEDIATE",
    .read_begin_sql = "BEGIN",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .foreach = sq_foreach,
    .script = sq_script,
    .xact_lock = sq_xact_lock,
    .write_gate = sq_write_gate,
};
