/*
 * internal.h - what the store's front (store.c) shares with its two drivers
 * (sqlite.c, pg.c) and its domain files (certs.c, audit.c).
 */
#ifndef CATENA_STORE_INTERNAL_H
#define CATENA_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "catena/store.h"

struct sqlite3_stmt;

/* ---- arena: the bytes of materialised rows, freed all at once ------- */

struct store_arena_block;

struct store_arena {
    struct store_arena_block *head;
};

/* store_arena_alloc returns |len| bytes (never NULL for len 0), or NULL. */
void *store_arena_alloc(struct store_arena *a, size_t len);
/* store_arena_reset frees every block but keeps nothing. */
void store_arena_reset(struct store_arena *a);

/* ---- rows ------------------------------------------------------------- */

/*
 * One column value of a materialised row. INT cells also carry their
 * decimal text so catena_row_text works on them; TEXT cells carry their
 * bytes as blob/len so catena_row_blob works on them.
 */
struct store_cell {
    enum catena_sql_type type;
    int64_t i;
    const char *text;
    const uint8_t *blob;
    size_t len;
};

/*
 * A row is either materialised (cells != NULL) or a live SQLite row
 * (stmt != NULL) handed to a foreach callback without copying.
 */
struct catena_row {
    int num_cols;
    const struct store_cell *cells;
    struct sqlite3_stmt *stmt;
};

struct catena_rows {
    size_t num_rows;
    size_t cap_rows;
    int num_cols;
    struct catena_row *rows;
    struct store_cell *cells; /* num_rows * num_cols */
    struct store_arena arena;
    void *pg_result; /* PGresult whose text the cells point into */
};

/* store_pg_result_free frees a PGresult (pg.c; rows.c needs no libpq). */
void store_pg_result_free(void *res);

/* store_rows_new returns an empty result with |num_cols| columns. */
struct catena_rows *store_rows_new(int num_cols);
/*
 * store_rows_add appends a row and returns its |num_cols| zeroed cells
 * (valid until the next add), or NULL when out of memory.
 */
struct store_cell *store_rows_add(struct catena_rows *rows);
/* store_rows_finish points each row at its cells once no more are added. */
void store_rows_finish(struct catena_rows *rows);

/* store_parse_int parses a database's decimal text; 0 if not a number. */
int64_t store_parse_int(const char *s);

/* ---- statement cache -------------------------------------------------- */

struct store_cache_entry {
    uint64_t hash;
    char *sql;
    void *value;
};

struct store_cache {
    struct store_cache_entry *slots;
    size_t cap;
    size_t num;
};

/* A connection keeps at most this many prepared statements. */
#define STORE_CACHE_MAX 512

uint64_t store_cache_hash(const char *sql);
/* store_cache_get returns the cached value for |sql|, or NULL. */
void *store_cache_get(const struct store_cache *c, const char *sql,
                      uint64_t hash);
/*
 * store_cache_put stores |value| for |sql| (copied). Returns 0, or -1 when
 * out of memory or full (the caller then owns |value| and uses it once).
 */
int store_cache_put(struct store_cache *c, const char *sql, uint64_t hash,
                    void *value);
/* store_cache_clear calls |free_value| on every value and empties |c|. */
void store_cache_clear(struct store_cache *c, void (*free_value)(void *));

/* ---- drivers ---------------------------------------------------------- */

struct store_ops {
    enum catena_store_driver driver;
    const char *begin_sql;
    const char *read_begin_sql;  /* a read snapshot's BEGIN; NULL = none */
    enum catena_rc (*connect)(struct catena_store *store, const char *url,
                              struct catena_err *err);
    void (*disconnect)(struct catena_store *store);
    enum catena_rc (*exec)(struct catena_store *store, const char *sql,
                           const struct catena_sql_param *params,
                           size_t num_params, struct catena_rows **rows_out,
                           struct catena_err *err);
    enum catena_rc (*foreach)(struct catena_store *store, const char *sql,
                              const struct catena_sql_param *params,
                              size_t num_params, catena_store_row_cb cb,
                              void *ctx, struct catena_err *err);
    /* Several ";"-separated statements without parameters, uncached. */
    enum catena_rc (*script)(struct catena_store *store, const char *sql,
                             struct catena_err *err);
    /*
     * Serialises writers on |key| until the current transaction ends.
     * SQLite needs nothing: BEGIN IMMEDIATE already holds the write lock.
     */
    enum catena_rc (*xact_lock)(struct catena_store *store, int key,
                                struct catena_err *err);
    /*
     * Optional: called with 1 before the outermost BEGIN and with 0 once
     * that transaction ended (commit, rollback, or a BEGIN that failed).
     * SQLite queues this process's writers on a mutex here, for the
     * span of each write transaction only, and hands |store| the
     * process's writer connection for that span.
     */
    void (*write_gate)(struct catena_store *store, int enter);
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* Advisory lock keys (second half of the two-int PostgreSQL key). */
#define STORE_LOCK_MIGRATE 1
#define STORE_LOCK_AUDIT 2

struct catena_store {
    const struct store_ops *ops;
    void *drv;          /* the driver's connection state */
    int depth;          /* begin/commit nesting */
    int doomed;         /* a statement failed or an inner rollback ran */
    int rolled_back;    /* ROLLBACK already sent for this nest */
    int have_mig_table; /* schema_migrations known to exist */
    int reading;        /* a read snapshot is open (catena_store_read_*) */
};

/* store_read_end ends an open read snapshot (before a write). */
void store_read_end(struct catena_store *store);

/* store_note_failure dooms the current transaction, if any. */
void store_note_failure(struct catena_store *store);

/*
 * store_stop_rc maps a row callback's non-zero |stop| to the code foreach
 * returns (store.h): an enum catena_rc as is, anything else INTERNAL.
 */
enum catena_rc store_stop_rc(int stop, struct catena_err *err);

/* ---- helpers for the domain files ------------------------------------- */

/*
 * store_first_row runs |sql| and copies nothing: it calls |cb| on the first
 * row only and sets |*found|.
 */
enum catena_rc store_query_first(struct catena_store *store, const char *sql,
                                 const struct catena_sql_param *params,
                                 size_t num_params, catena_store_row_cb cb,
                                 void *ctx, int *found,
                                 struct catena_err *err);

#endif
