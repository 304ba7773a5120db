/*
 * rows.c - materialised results, their column accessors, the byte arena
 * behind them and the per-connection prepared-statement cache.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "internal.h"

/* ---- arena ------------------------------------------------------------ */

#define ARENA_BLOCK 65536

struct store_arena_block {
    struct store_arena_block *next;
    size_t used;
    size_t cap;
    _Alignas(max_align_t) unsigned char data[];
};

void *
store_arena_alloc(struct store_arena *a, size_t len)
{
    static unsigned char empty[1];
    struct store_arena_block *b = a->head;
    size_t need = (len + 15) & ~(size_t)15;
    void *p;

    if (len == 0) {
        return empty;
    }
    if (need < len) {
        return NULL;
    }
    if (b == NULL || b->cap - b->used < need) {
        size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;

        if (cap > SIZE_MAX - sizeof(*b)) {
            return NULL;
        }
        b = malloc(sizeof(*b) + cap);
        if (b == NULL) {
            return NULL;
        }
        b->cap = cap;
        b->used = 0;
        /* A big one-off block goes behind the current one so the
         * current block's free space is not wasted. */
        if (a->head != NULL && cap > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    p = b->data + b->used;
    b->used += need;
    return p;
}

void
store_arena_reset(struct store_arena *a)
{
    struct store_arena_block *b = a->head;

    while (b != NULL) {
        struct store_arena_block *next = b->next;

        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- rows ------------------------------------------------------------- */

struct catena_rows *
store_rows_new(int num_cols)
{
    struct catena_rows *rows = calloc(1, sizeof(*rows));

    if (rows != NULL) {
        rows->num_cols = num_cols < 0 ? 0 : num_cols;
    }
    return rows;
}

struct store_cell *
store_rows_add(struct catena_rows *rows)
{
    size_t ncols = (size_t)rows->num_cols;
    struct store_cell *cell;

    if (rows->num_rows == rows->cap_rows) {
        size_t cap = rows->cap_rows ? rows->cap_rows * 2 : 16;
        struct catena_row *r;
        struct store_cell *c;

        if (cap > SIZE_MAX / sizeof(*r) ||
            (ncols && cap > SIZE_MAX / sizeof(*c) / ncols)) {
            return NULL;
        }
        r = realloc(rows->rows, cap * sizeof(*r));
        if (r == NULL) {
            return NULL;
        }
        rows->rows = r;
        c = realloc(rows->cells, cap * (ncols ? ncols : 1) * sizeof(*c));
        if (c == NULL) {
            return NULL;
        }
        rows->cells = c;
        rows->cap_rows = cap;
    }
    cell = rows->cells + rows->num_rows * ncols;
    memset(cell, 0, ncols * sizeof(*cell));
    rows->num_rows++;
    return cell;
}

void
store_rows_finish(struct catena_rows *rows)
{
    for (size_t i = 0; i < rows->num_rows; i++) {
        rows->rows[i].num_cols = rows->num_cols;
        rows->rows[i].cells = rows->cells + i * (size_t)rows->num_cols;
        rows->rows[i].stmt = NULL;
    }
}

size_t
catena_rows_count(const struct catena_rows *rows)
{
    return rows != NULL ? rows->num_rows : 0;
}

const struct catena_row *
catena_rows_get(const struct catena_rows *rows, size_t i)
{
    if (rows == NULL || i >= rows->num_rows) {
        return NULL;
    }
    return &rows->rows[i];
}

void
catena_rows_free(struct catena_rows *rows)
{
    if (rows == NULL) {
        return;
    }
    if (rows->pg_result != NULL) {
        store_pg_result_free(rows->pg_result);
    }
    store_arena_reset(&rows->arena);
    free(rows->rows);
    free(rows->cells);
    free(rows);
}

/*
 * Database integers arrive as decimal text from PostgreSQL (and from
 * SQLite when a column holds a numeric string). The text comes from the
 * database's own formatter, not from a peer, so anything that is not a
 * whole in-range number reads as 0 rather than failing the query.
 */
int64_t
store_parse_int(const char *s)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return 0;
    }
    return (int64_t)v;
}

/* ---- accessors ---------------------------------------------------------- */

static const struct store_cell *
cell_at(const struct catena_row *row, int col)
{
    if (row == NULL || row->cells == NULL || col < 0 ||
        col >= row->num_cols) {
        return NULL;
    }
    return &row->cells[col];
}

static int
live_col(const struct catena_row *row, int col)
{
    return row != NULL && row->stmt != NULL && col >= 0 &&
           col < row->num_cols;
}

int
catena_row_is_null(const struct catena_row *row, int col)
{
    const struct store_cell *c;

    if (live_col(row, col)) {
        return sqlite3_column_type(row->stmt, col) == SQLITE_NULL;
    }
    c = cell_at(row, col);
    return c == NULL || c->type == CATENA_SQL_NULL;
}

int64_t
catena_row_int(const struct catena_row *row, int col)
{
    const struct store_cell *c;

    if (live_col(row, col)) {
        return sqlite3_column_int64(row->stmt, col);
    }
    c = cell_at(row, col);
    if (c == NULL) {
        return 0;
    }
    switch (c->type) {
    case CATENA_SQL_INT:
        return c->i;
    case CATENA_SQL_TEXT:
        return store_parse_int(c->text);
    default:
        return 0;
    }
}

const char *
catena_row_text(const struct catena_row *row, int col)
{
    const struct store_cell *c;

    if (live_col(row, col)) {
        if (sqlite3_column_type(row->stmt, col) == SQLITE_NULL) {
            return NULL;
        }
        return (const char *)sqlite3_column_text(row->stmt, col);
    }
    c = cell_at(row, col);
    if (c == NULL || (c->type != CATENA_SQL_TEXT && c->type != CATENA_SQL_INT)) {
        return NULL;
    }
    return c->text;
}

const uint8_t *
catena_row_blob(const struct catena_row *row, int col, size_t *len)
{
    static const uint8_t empty[1];
    const struct store_cell *c;
    size_t dummy;

    if (len == NULL) {
        len = &dummy;
    }
    *len = 0;
    if (live_col(row, col)) {
        const uint8_t *p;
        int n;

        if (sqlite3_column_type(row->stmt, col) == SQLITE_NULL) {
            return NULL;
        }
        /* sqlite3_column_blob before _bytes, as SQLite documents. */
        p = sqlite3_column_blob(row->stmt, col);
        n = sqlite3_column_bytes(row->stmt, col);
        if (p == NULL || n <= 0) {
            return empty;
        }
        *len = (size_t)n;
        return p;
    }
    c = cell_at(row, col);
    if (c == NULL || c->type == CATENA_SQL_NULL) {
        return NULL;
    }
    *len = c->len;
    return c->blob != NULL ? c->blob : empty;
}

/* ---- statement cache -------------------------------------------------- */

/* FNV-1a: the cache is keyed by SQL text the program itself wrote. */
uint64_t
store_cache_hash(const char *sql)
{
    uint64_t h = 1469598103934665603ULL;

    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

void *
store_cache_get(const struct store_cache *c, const char *sql, uint64_t hash)
{
    if (c->cap == 0) {
        return NULL;
    }
    for (size_t i = hash & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        const struct store_cache_entry *e = &c->slots[i];

        if (e->sql == NULL) {
            return NULL;
        }
        if (e->hash == hash && (e->sql == sql || strcmp(e->sql, sql) == 0)) {
            return e->value;
        }
    }
}

static void
cache_insert(struct store_cache_entry *slots, size_t cap,
             const struct store_cache_entry *e)
{
    size_t i = e->hash & (cap - 1);

    while (slots[i].sql != NULL) {
        i = (i + 1) & (cap - 1);
    }
    slots[i] = *e;
}

int
store_cache_put(struct store_cache *c, const char *sql, uint64_t hash,
                void *value)
{
    struct store_cache_entry e;

    if (c->num >= STORE_CACHE_MAX) {
        return -1;
    }
    /* Keep the load under one half so probes stay short. */
    if ((c->num + 1) * 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct store_cache_entry *slots = calloc(cap, sizeof(*slots));

        if (slots == NULL) {
            return -1;
        }
        for (size_t i = 0; i < c->cap; i++) {
            if (c->slots[i].sql != NULL) {
                cache_insert(slots, cap, &c->slots[i]);
            }
        }
        free(c->slots);
        c->slots = slots;
        c->cap = cap;
    }
    e.hash = hash;
    e.value = value;
    e.sql = strdup(sql);
    if (e.sql == NULL) {
        return -1;
    }
    cache_insert(c->slots, c->cap, &e);
    c->num++;
    return 0;
}

void
store_cache_clear(struct store_cache *c, void (*free_value)(void *))
{
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i].sql != NULL) {
            free_value(c->slots[i].value);
            free(c->slots[i].sql);
        }
    }
    free(c->slots);
    c->slots = NULL;
    c->cap = 0;
    c->num = 0;
}
