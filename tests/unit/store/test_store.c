/*
 * test_store.c - the store's cases, run unchanged against whichever driver
 * CATENA_TEST_STORE_URL names (default: a fresh SQLite file in a temporary
 * directory). ctest runs it twice: store_sqlite and store_postgres.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <pthread.h>

#include <cmocka.h>

#include "catena/store.h"
#include "../../common/test_tmp.h"

static char g_url[4200];
static char g_dir[256];
static unsigned g_seq;
static int g_pg;

/* fresh_store makes an empty database and returns its URL. */
static const char *
fresh_url(void)
{
    static char url[4300];

    if (!g_pg) {
        snprintf(url, sizeof(url), "sqlite:%s/t%u.db", g_dir, ++g_seq);
        return url;
    }
    {
        struct catena_store *s = NULL;
        struct catena_err err;

        /* Opening applies the core schema; then drop everything so the
         * case starts from an empty database again. */
        catena_err_clear(&err);
        if (catena_store_open(g_url, &s, &err) != CATENA_OK) {
            fail_msg("open %s", err.msg);
        }
        assert_int_equal(catena_store_exec(s, "DROP SCHEMA public CASCADE",
                                           NULL, 0, NULL, &err),
                         CATENA_OK);
        assert_int_equal(catena_store_exec(s, "CREATE SCHEMA public", NULL, 0,
                                           NULL, &err),
                         CATENA_OK);
        catena_store_close(s);
    }
    return g_url;
}

/*
 * Handles the test thread opened and has not closed yet. A failed assertion
 * leaves its case at once, skipping the case's own closes; a handle left
 * inside a write transaction would then keep the process's writer gate, and
 * the next case that writes from another thread would wait for it until
 * ctest's timeout. close_leftovers, every case's teardown, closes them
 * (closing rolls back), so a failure stays one failed case.
 */
#define MAX_OPEN 8
static struct catena_store *g_open[MAX_OPEN];

static struct catena_store *
open_ok(const char *url)
{
    struct catena_store *s = NULL;
    struct catena_err err;
    size_t i;

    catena_err_clear(&err);
    if (catena_store_open(url, &s, &err) != CATENA_OK) {
        fail_msg("open: %s", err.msg);
    }
    assert_non_null(s);
    for (i = 0; i < MAX_OPEN && g_open[i] != NULL; i++) {
    }
    if (i == MAX_OPEN) {
        catena_store_close(s);
        fail_msg("more than %d handles open in one case", MAX_OPEN);
    }
    g_open[i] = s;
    return s;
}

/* close_ok closes a handle open_ok returned. */
static void
close_ok(struct catena_store *s)
{
    for (size_t i = 0; i < MAX_OPEN; i++) {
        if (g_open[i] == s) {
            g_open[i] = NULL;
        }
    }
    catena_store_close(s);
}

static int
close_leftovers(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_OPEN; i++) {
        if (g_open[i] != NULL) {
            catena_store_close(g_open[i]);
            g_open[i] = NULL;
        }
    }
    return 0;
}

static int
setup(void **state)
{
    const char *url = fresh_url();

    *state = open_ok(url);
    return 0;
}

static int
teardown(void **state)
{
    return close_leftovers(state);
}

static int64_t
count(struct catena_store *s, const char *sql)
{
    struct catena_rows *rows = NULL;
    struct catena_err err;
    int64_t n;

    if (catena_store_exec(s, sql, NULL, 0, &rows, &err) != CATENA_OK) {
        fail_msg("%s: %s", sql, err.msg);
    }
    assert_int_equal(catena_rows_count(rows), 1);
    n = catena_row_int(catena_rows_get(rows, 0), 0);
    catena_rows_free(rows);
    return n;
}

static const struct catena_store_migration test_migs[] = {
    {1, "CREATE TABLE t (id ID_PK, i BIGINT, s TEXT, b BLOB, n BIGINT);"
        "CREATE TABLE u (k TEXT PRIMARY KEY, v BIGINT)"},
};

static void
migrate_test(struct catena_store *s)
{
    struct catena_err err;

    if (catena_store_migrate(s, "test", test_migs, 1, &err) != CATENA_OK) {
        fail_msg("migrate: %s", err.msg);
    }
}

/* ---- connection and migrations ------------------------------------- */

static void
test_open_idempotent(void **state)
{
    struct catena_store *s = *state, *s2;
    struct catena_err err;
    const char *url = g_pg ? g_url : NULL;
    char buf[300];

    assert_int_equal(catena_store_driver(s),
                     g_pg ? CATENA_STORE_POSTGRES : CATENA_STORE_SQLITE);
    assert_int_equal(catena_store_schema_version(s), 2);
    if (url == NULL) {
        snprintf(buf, sizeof(buf), "sqlite:%s/t%u.db", g_dir, g_seq);
        url = buf;
    }
    s2 = open_ok(url);
    assert_int_equal(catena_store_schema_version(s2), 2);
    assert_int_equal(count(s2, "SELECT COUNT(*) FROM schema_migrations "
                               "WHERE module = 'core'"),
                     2);
    close_ok(s2);
    catena_store_close(NULL);

    /* Bad URLs fail with a NULL output and never echo the URL. */
    s2 = (struct catena_store *)&err;
    assert_int_equal(catena_store_open("mysql://u:secret@h/db", &s2, &err),
                     CATENA_ERR_CONFIG);
    assert_null(s2);
    assert_null(strstr(err.msg, "secret"));
    assert_int_equal(catena_store_open("sqlite:", &s2, &err),
                     CATENA_ERR_CONFIG);
    assert_int_not_equal(
        catena_store_open("sqlite:/nonexistent-dir/x/y.db", &s2, &err),
        CATENA_OK);
    assert_null(s2);
    assert_int_not_equal(catena_store_open("postgresql://127.0.0.1:1/none"
                                           "?connect_timeout=2",
                                           &s2, &err),
                         CATENA_OK);
    assert_null(s2);
}

static void
test_module_migrations(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    static const struct catena_store_migration m2[] = {
        {1, "CREATE TABLE mod_a (x BIGINT, -- a comment with BLOB\n"
            " blob_len BIGINT, y BLOB, note TEXT DEFAULT 'BLOB ID_PK')"},
        {2, "INSERT INTO mod_a (x) VALUES (1)"},
    };
    static const struct catena_store_migration m3[] = {
        {1, "CREATE TABLE mod_a (x BIGINT)"},
        {2, "INSERT INTO mod_a (x) VALUES (1)"},
        {3, "INSERT INTO mod_a (x) VALUES (3)"},
    };
    static const struct catena_store_migration bad_order[] = {
        {2, "SELECT 1"},
        {1, "SELECT 1"},
    };
    static const struct catena_store_migration bad_sql[] = {
        {1, "CREATE TABLE bad_b (x BIGINT); THIS IS NOT SQL"},
    };
    assert_int_equal(catena_store_migrate(s, "mod", m2, 2, &err), CATENA_OK);
    assert_int_equal(catena_store_migrate(s, "mod", m2, 2, &err), CATENA_OK);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM mod_a"), 1);
    /* Later versions apply alone; earlier ones are not re-run even if
     * their text changed. */
    assert_int_equal(catena_store_migrate(s, "mod", m3, 3, &err), CATENA_OK);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM mod_a"), 2);
    assert_int_equal(count(s, "SELECT MAX(x) FROM mod_a"), 3);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_migrations "
                              "WHERE module = 'mod'"),
                     3);
    /* The default survived as written: strings are not translated. */
    {
        struct catena_rows *rows = NULL;

        assert_int_equal(catena_store_exec(s,
                                           "SELECT note FROM mod_a "
                                           "WHERE x = 1",
                                           NULL, 0, &rows, &err),
                         CATENA_OK);
        assert_string_equal(catena_row_text(catena_rows_get(rows, 0), 0),
                            "BLOB ID_PK");
        catena_rows_free(rows);
    }
    /* WITHOUT_ROWID: on SQLite the table is its key's B-tree alone (no
     * rowid to select), on PostgreSQL a plain table. Blob keys compare
     * bytewise with the shorter one first on a tie in both, which the
     * nonce sweep relies on (8-byte bound against 16-byte keys). */
    {
        static const struct catena_store_migration m4[] = {
            {4, "CREATE TABLE mod_k (k BLOB PRIMARY KEY) WITHOUT_ROWID"},
        };
        uint8_t key[16], bound[8] = {0, 0, 0, 0, 0, 0, 0, 2};

        assert_int_equal(catena_store_migrate(s, "mod", m4, 1, &err),
                         CATENA_OK);
        for (uint8_t v = 1; v <= 3; v++) {
            struct catena_sql_param p[] = {CATENA_SQL_P_BLOB(key, 16)};

            memset(key, 0, 8);
            key[7] = v;
            memset(key + 8, 0xff, 8);
            assert_int_equal(catena_store_exec(s,
                                               "INSERT INTO mod_k (k) "
                                               "VALUES ($1)",
                                               p, 1, NULL, &err),
                             CATENA_OK);
        }
        {
            struct catena_sql_param p[] = {CATENA_SQL_P_BLOB(bound, 8)};

            assert_int_equal(catena_store_exec(s,
                                               "DELETE FROM mod_k "
                                               "WHERE k < $1",
                                               p, 1, NULL, &err),
                             CATENA_OK);
        }
        assert_int_equal(count(s, "SELECT COUNT(*) FROM mod_k"), 2);
        assert_int_equal(catena_store_exec(s, "SELECT rowid FROM mod_k",
                                           NULL, 0, NULL, &err),
                         CATENA_ERR_STORE);
    }
    assert_int_equal(catena_store_migrate(s, "x", bad_order, 2, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_migrate(s, "", m2, 2, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_migrate(s, "bad", bad_sql, 1, &err),
                     CATENA_ERR_STORE);
    assert_non_null(strstr(err.msg, "migration bad 1"));
    assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_migrations "
                              "WHERE module = 'bad'"),
                     0);
    /* The failed migration left no half-made table behind. */
    assert_int_equal(catena_store_exec(s, "SELECT COUNT(*) FROM bad_b", NULL,
                                       0, NULL, &err),
                     CATENA_ERR_STORE);
}

struct open_arg {
    const char *url;
    enum catena_rc rc;
    char msg[512];
};

static void *
open_thread(void *v)
{
    struct open_arg *a = v;
    struct catena_store *s = NULL;
    struct catena_err err;

    catena_err_clear(&err);
    a->rc = catena_store_open(a->url, &s, &err);
    if (a->rc == CATENA_OK) {
        a->rc = catena_store_migrate(s, "test", test_migs, 1, &err);
    }
    snprintf(a->msg, sizeof(a->msg), "%s", err.msg);
    catena_store_close(s);
    return NULL;
}

/* Two nodes starting together against an empty database. */
static void
test_concurrent_open(void **state)
{
    const char *url = fresh_url();
    struct open_arg a[4];
    pthread_t t[4];
    struct catena_store *s;

    (void)state;
    for (int i = 0; i < 4; i++) {
        a[i].url = url;
        assert_int_equal(pthread_create(&t[i], NULL, open_thread, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (a[i].rc != CATENA_OK) {
            fail_msg("thread %d: %s", i, a[i].msg);
        }
    }
    s = open_ok(url);
    /* Each migration applied once: the core's two and the test's one. */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_migrations"), 3);
    close_ok(s);
}

/* ---- statements ------------------------------------------------------ */

static void
test_exec_types(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    static const uint8_t bytes[] = {0x00, 0xff, 0x5c, 0x78, 0x27, 0x00, 0x01};
    const char *utf8 = "gr\xc3\xbc\xc3\x9f 'quoted' \\x00";
    const uint8_t *b;
    size_t len;

    migrate_test(s);
    {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_INT(INT64_MIN), CATENA_SQL_P_TEXT(utf8),
            CATENA_SQL_P_BLOB(bytes, sizeof(bytes)), CATENA_SQL_P_NULL()};
        struct catena_sql_param q[] = {
            CATENA_SQL_P_INT(INT64_MAX), CATENA_SQL_P_TEXT(""),
            CATENA_SQL_P_BLOB(NULL, 0), CATENA_SQL_P_INT(-1)};
        static const char ins[] =
            "INSERT INTO t (i, s, b, n) VALUES ($1, $2, $3, $4)";

        assert_int_equal(catena_store_exec(s, ins, p, 4, NULL, &err),
                         CATENA_OK);
        assert_int_equal(catena_store_exec(s, ins, q, 4, NULL, &err),
                         CATENA_OK);
        /* A parameter type that differs from the first use still works. */
        q[3] = CATENA_SQL_P_TEXT("42");
        q[0] = CATENA_SQL_P_INT(7);
        assert_int_equal(catena_store_exec(s, ins, q, 4, NULL, &err),
                         CATENA_OK);
        /* Parameter count must match the statement. */
        assert_int_not_equal(catena_store_exec(s, ins, q, 3, NULL, &err),
                             CATENA_OK);
    }
    assert_int_equal(catena_store_exec(s,
                                       "SELECT i, s, b, n, id FROM t "
                                       "ORDER BY id",
                                       NULL, 0, &rows, &err),
                     CATENA_OK);
    assert_int_equal(catena_rows_count(rows), 3);
    assert_null(catena_rows_get(rows, 3));
    row = catena_rows_get(rows, 0);
    assert_true(catena_row_int(row, 0) == INT64_MIN);
    assert_string_equal(catena_row_text(row, 1), utf8);
    b = catena_row_blob(row, 2, &len);
    assert_int_equal(len, sizeof(bytes));
    assert_memory_equal(b, bytes, sizeof(bytes));
    assert_true(catena_row_is_null(row, 3));
    assert_int_equal(catena_row_int(row, 3), 0);
    assert_null(catena_row_text(row, 3));
    len = 99;
    assert_null(catena_row_blob(row, 3, &len));
    assert_int_equal(len, 0);
    /* Out of range reads as NULL. */
    assert_true(catena_row_is_null(row, 5));
    assert_true(catena_row_is_null(row, -1));
    assert_null(catena_row_text(row, 9));
    assert_int_equal(catena_row_int(row, 9), 0);
    assert_int_equal(catena_row_int(row, 4), 1);
    assert_string_equal(catena_row_text(row, 4), "1");

    row = catena_rows_get(rows, 1);
    assert_true(catena_row_int(row, 0) == INT64_MAX);
    assert_string_equal(catena_row_text(row, 1), "");
    assert_false(catena_row_is_null(row, 2));
    b = catena_row_blob(row, 2, &len);
    assert_non_null(b);
    assert_int_equal(len, 0);
    assert_int_equal(catena_row_int(row, 3), -1);
    row = catena_rows_get(rows, 2);
    assert_int_equal(catena_row_int(row, 3), 42);
    catena_rows_free(rows);
    catena_rows_free(NULL);

    /* A query that returns nothing gives an empty result, not NULL. */
    {
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(12345)};

        assert_int_equal(catena_store_exec(s, "SELECT i FROM t WHERE i = $1",
                                           p, 1, &rows, &err),
                         CATENA_OK);
        assert_non_null(rows);
        assert_int_equal(catena_rows_count(rows), 0);
        catena_rows_free(rows);
    }
    /* Blob parameters compare as blobs. */
    {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_BLOB(bytes, sizeof(bytes))};

        assert_int_equal(catena_store_exec(s,
                                           "SELECT COUNT(*) FROM t "
                                           "WHERE b = $1",
                                           p, 1, &rows, &err),
                         CATENA_OK);
        assert_int_equal(catena_row_int(catena_rows_get(rows, 0), 0), 1);
        catena_rows_free(rows);
    }
}

static void
test_errors(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_rows *rows = (struct catena_rows *)&err;
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT("k"),
                                   CATENA_SQL_P_INT(1)};

    migrate_test(s);
    assert_int_equal(catena_store_exec(s,
                                       "INSERT INTO u (k, v) VALUES ($1, $2)",
                                       p, 2, NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_exec(s,
                                       "INSERT INTO u (k, v) VALUES ($1, $2)",
                                       p, 2, NULL, &err),
                     CATENA_ERR_EXISTS);
    assert_int_equal(err.code, CATENA_ERR_EXISTS);
    assert_int_equal(catena_store_exec(s, "SELEKT nonsense", NULL, 0, &rows,
                                       &err),
                     CATENA_ERR_STORE);
    assert_null(rows);
    assert_true(strlen(err.msg) > 0);
    assert_int_equal(catena_store_exec(s, "SELECT * FROM no_such_table",
                                       NULL, 0, NULL, &err),
                     CATENA_ERR_STORE);
    /* NOT NULL violations are store errors, not EXISTS. */
    assert_int_equal(catena_store_exec(s,
                                       "INSERT INTO issuers (name) "
                                       "VALUES ('x')",
                                       NULL, 0, NULL, &err),
                     CATENA_ERR_STORE);
    /* The connection is still usable. */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 1);
}

static void
test_transactions(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    static const char ins[] = "INSERT INTO u (k, v) VALUES ($1, $2)";
    struct catena_sql_param a[] = {CATENA_SQL_P_TEXT("a"), CATENA_SQL_P_INT(1)};
    struct catena_sql_param b[] = {CATENA_SQL_P_TEXT("b"), CATENA_SQL_P_INT(2)};
    struct catena_sql_param c[] = {CATENA_SQL_P_TEXT("c"), CATENA_SQL_P_INT(3)};
    struct catena_sql_param d[] = {CATENA_SQL_P_TEXT("d"), CATENA_SQL_P_INT(4)};

    migrate_test(s);
    assert_int_equal(catena_store_commit(s, &err), CATENA_ERR_INTERNAL);
    catena_store_rollback(s); /* no-op outside a transaction */

    /* Nested commit: only the outermost touches the database. */
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, ins, a, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, ins, b, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 2);

    /* An inner rollback rolls the whole nest back; the outer commit
     * then fails and the caller's rollback ends the nest. */
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, ins, c, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, ins, d, 2, NULL, &err), CATENA_OK);
    catena_store_rollback(s);
    assert_int_equal(catena_store_exec(s, ins, d, 2, NULL, &err),
                     CATENA_ERR_STORE);
    assert_int_equal(catena_store_begin(s, &err), CATENA_ERR_STORE);
    assert_int_equal(catena_store_commit(s, &err), CATENA_ERR_STORE);
    catena_store_rollback(s);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 2);

    /* A failed statement dooms the transaction on both drivers. */
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, ins, c, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, ins, a, 2, NULL, &err),
                     CATENA_ERR_EXISTS);
    assert_int_equal(catena_store_commit(s, &err), CATENA_ERR_STORE);
    catena_store_rollback(s);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 2);

    /* And the connection works normally afterwards. */
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, ins, c, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 3);
}

/* A read snapshot: SQLite reads in it keep seeing the database as of
 * its first read; a write ends it first (no stale-snapshot error) and
 * sees the newest state; a transaction's begin ends it too. PostgreSQL
 * has none, and the same calls must simply work. */
static void
test_read_snapshot(void **state)
{
    const char *url = fresh_url();
    struct catena_store *s = open_ok(url), *o = open_ok(url);
    struct catena_err err;
    static const char ins[] = "INSERT INTO u (k, v) VALUES ($1, $2)";
    struct catena_sql_param a[] = {CATENA_SQL_P_TEXT("a"), CATENA_SQL_P_INT(1)};
    struct catena_sql_param b[] = {CATENA_SQL_P_TEXT("b"), CATENA_SQL_P_INT(2)};
    struct catena_sql_param c[] = {CATENA_SQL_P_TEXT("c"), CATENA_SQL_P_INT(3)};
    struct catena_sql_param d[] = {CATENA_SQL_P_TEXT("d"), CATENA_SQL_P_INT(4)};

    (void)state;
    migrate_test(s);
    migrate_test(o);
    assert_int_equal(catena_store_exec(s, ins, a, 2, NULL, &err), CATENA_OK);
    catena_store_read_begin(s);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 1);
    assert_int_equal(catena_store_exec(o, ins, b, 2, NULL, &err), CATENA_OK);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), g_pg ? 2 : 1);
    /* A write statement: the snapshot ends first. */
    assert_int_equal(catena_store_exec(s, ins, c, 2, NULL, &err), CATENA_OK);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 3);
    catena_store_read_end(s);
    /* A transaction's begin ends it too. */
    catena_store_read_begin(s);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 3);
    assert_int_equal(catena_store_exec(o, ins, d, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 4);
    assert_int_equal(catena_store_exec(s, "DELETE FROM u WHERE k = $1", a, 1,
                                       NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);
    /* Inside a transaction it is a no-op; ending none is harmless. */
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    catena_store_read_begin(s);
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);
    catena_store_read_end(s);
    catena_store_read_end(NULL);
    assert_int_equal(count(o, "SELECT COUNT(*) FROM u"), 3);
    close_ok(o);
    close_ok(s);
}

/*
 * Writes from every handle on a file go through one shared connection
 * (SQLite) while the handle is inside its write transaction. What must
 * still hold: a handle not in that transaction reads its own snapshot and
 * never sees another's uncommitted rows; two files open in one process
 * keep their rows apart; a handle closed inside its transaction rolls it
 * back and frees the writer at once (not after a busy timeout).
 */
struct bump_arg {
    struct catena_store *s;
    enum catena_rc rc;
    int done;
};

static void *
bump_thread(void *v)
{
    struct bump_arg *a = v;
    struct catena_err err;

    a->rc = catena_store_exec(a->s, "UPDATE u SET v = v + 10", NULL, 0, NULL,
                              &err);
    __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* bump_elsewhere runs bump_thread on |s| from another thread and checks
 * that it got through within 5 s: a writer gate left taken by this
 * thread would hold it up. */
static void
bump_elsewhere(struct catena_store *s)
{
    struct bump_arg arg = {.s = s, .rc = CATENA_ERR_INTERNAL};
    pthread_t t;
    time_t t0 = time(NULL);

    assert_int_equal(pthread_create(&t, NULL, bump_thread, &arg), 0);
    while (!__atomic_load_n(&arg.done, __ATOMIC_ACQUIRE) &&
           time(NULL) - t0 < 5) {
        usleep(10 * 1000);
    }
    assert_true(__atomic_load_n(&arg.done, __ATOMIC_ACQUIRE));
    pthread_join(t, NULL);
    assert_int_equal(arg.rc, CATENA_OK);
}

static int
no_row_cb(void *ctx, const struct catena_row *row)
{
    (void)ctx;
    (void)row;
    return 0;
}

/* A write outside a transaction whose parameters do not fit fails and
 * leaves the writer gate free, through exec and through foreach. */
static void
test_writer_bad_params(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_sql_param one[] = {CATENA_SQL_P_TEXT("k")};

    migrate_test(s);
    assert_int_not_equal(catena_store_exec(s,
                                           "INSERT INTO u (k, v) "
                                           "VALUES ($1, $2)",
                                           one, 1, NULL, &err),
                         CATENA_OK);
    assert_int_not_equal(catena_store_foreach(s,
                                              "DELETE FROM u WHERE k = $1 "
                                              "AND v = $2",
                                              one, 1, no_row_cb, NULL, &err),
                         CATENA_OK);
    bump_elsewhere(s);
}

static void
test_writer_isolation(void **state)
{
    const char *url = fresh_url();
    struct catena_store *a = open_ok(url), *b = open_ok(url);
    struct catena_err err;
    static const char ins[] = "INSERT INTO u (k, v) VALUES ($1, $2)";
    struct catena_sql_param x[] = {CATENA_SQL_P_TEXT("x"), CATENA_SQL_P_INT(1)};
    struct catena_sql_param y[] = {CATENA_SQL_P_TEXT("y"), CATENA_SQL_P_INT(2)};
    struct catena_sql_param z[] = {CATENA_SQL_P_TEXT("z"), CATENA_SQL_P_INT(3)};

    (void)state;
    migrate_test(a);
    migrate_test(b);
    assert_int_equal(catena_store_begin(a, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(a, ins, x, 2, NULL, &err), CATENA_OK);
    assert_int_equal(count(a, "SELECT COUNT(*) FROM u"), 1);
    assert_int_equal(count(b, "SELECT COUNT(*) FROM u"), 0);
    assert_int_equal(catena_store_commit(a, &err), CATENA_OK);
    assert_int_equal(count(b, "SELECT COUNT(*) FROM u"), 1);
    /* b's own write transaction, then a reads the result. */
    assert_int_equal(catena_store_begin(b, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(b, ins, y, 2, NULL, &err), CATENA_OK);
    assert_int_equal(count(a, "SELECT COUNT(*) FROM u"), 1);
    assert_int_equal(catena_store_commit(b, &err), CATENA_OK);
    assert_int_equal(count(a, "SELECT COUNT(*) FROM u"), 2);
    /* Closed mid-transaction: rolled back, and the next writer gets on. */
    assert_int_equal(catena_store_begin(a, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(a, ins, z, 2, NULL, &err), CATENA_OK);
    close_ok(a);
    bump_elsewhere(b);
    assert_int_equal(count(b, "SELECT COUNT(*) FROM u"), 2);
    assert_int_equal(count(b, "SELECT SUM(v) FROM u"), 23);
    close_ok(b);
}

struct single_arg {
    const char *url;
    int thread;
    int failures;
    char msg[600];
};

#define SINGLE_WRITES 1500

static void *
single_writes_thread(void *v)
{
    struct single_arg *a = v;
    struct catena_store *s = NULL;
    struct catena_err err;

    catena_err_clear(&err);
    if (catena_store_open(a->url, &s, &err) != CATENA_OK) {
        a->failures = SINGLE_WRITES;
        snprintf(a->msg, sizeof(a->msg), "open: %s", err.msg);
        return NULL;
    }
    for (int i = 0; i < SINGLE_WRITES; i++) {
        char k[32];
        struct catena_sql_param p[] = {
            CATENA_SQL_P_TEXT(k), CATENA_SQL_P_INT(a->thread * 100000 + i)};

        snprintf(k, sizeof(k), "t%d-%d", a->thread, i);
        if (catena_store_exec(s, "INSERT INTO u (k, v) VALUES ($1, $2)", p, 2,
                              NULL, &err) != CATENA_OK) {
            if (a->failures++ == 0) {
                snprintf(a->msg, sizeof(a->msg), "%s", err.msg);
            }
        }
    }
    catena_store_close(s);
    return NULL;
}

/* Writes outside a transaction from several threads at once, each on its
 * own handle: each one runs on the shared writer connection under the
 * gate, and its statement must be put back before the gate is left, or
 * the next holder finds its bindings cleared (NULL values). */
static void
test_writer_concurrent_single_writes(void **state)
{
    const char *url = fresh_url();
    struct catena_store *s = open_ok(url);
    struct single_arg a[4];
    pthread_t t[4];

    (void)state;
    migrate_test(s);
    for (int i = 0; i < 4; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        a[i].url = url;
        a[i].thread = i + 1;
        assert_int_equal(pthread_create(&t[i], NULL, single_writes_thread,
                                        &a[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (a[i].failures != 0) {
            fail_msg("thread %d: %d failed writes, first: %s", i,
                     a[i].failures, a[i].msg);
        }
    }
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u"), 4 * SINGLE_WRITES);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u WHERE k IS NULL OR "
                              "v IS NULL"),
                     0);
    /* Every value is its own row's: v = thread * 100000 + i for "t<thread>-<i>". */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM u WHERE k <> 't' || "
                              "(v / 100000) || '-' || (v % 100000)"),
                     0);
    close_ok(s);
}

static void
test_writer_two_files(void **state)
{
    struct catena_store *a, *b, *a2;
    struct catena_err err;
    char url_a[4300];
    static const char ins[] = "INSERT INTO u (k, v) VALUES ($1, $2)";
    struct catena_sql_param x[] = {CATENA_SQL_P_TEXT("x"), CATENA_SQL_P_INT(1)};
    struct catena_sql_param y[] = {CATENA_SQL_P_TEXT("y"), CATENA_SQL_P_INT(2)};
    struct catena_sql_param z[] = {CATENA_SQL_P_TEXT("z"), CATENA_SQL_P_INT(3)};

    (void)state;
    if (g_pg) {
        skip();
    }
    snprintf(url_a, sizeof(url_a), "%s", fresh_url());
    a = open_ok(url_a);
    b = open_ok(fresh_url());
    migrate_test(a);
    migrate_test(b);
    /* Interleaved: a's transaction open while b writes outside one. */
    assert_int_equal(catena_store_begin(a, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(a, ins, x, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(b, ins, y, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_commit(a, &err), CATENA_OK);
    assert_int_equal(catena_store_begin(b, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(b, ins, z, 2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_commit(b, &err), CATENA_OK);
    assert_int_equal(count(a, "SELECT COUNT(*) FROM u"), 1);
    assert_int_equal(count(a, "SELECT SUM(v) FROM u"), 1);
    assert_int_equal(count(b, "SELECT COUNT(*) FROM u"), 2);
    assert_int_equal(count(b, "SELECT SUM(v) FROM u"), 5);
    /* A fresh handle on a's file, reached through a relative path,
     * writes to that file. */
    close_ok(b);
    {
        char rel[4300], cwd[4096];

        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(g_dir), 0);
        snprintf(rel, sizeof(rel), "sqlite:./%s", strrchr(url_a, '/') + 1);
        a2 = open_ok(rel);
        assert_int_equal(catena_store_exec(a2, ins, y, 2, NULL, &err),
                         CATENA_OK);
        assert_int_equal(chdir(cwd), 0);
    }
    assert_int_equal(count(a, "SELECT COUNT(*) FROM u"), 2);
    close_ok(a2);
    close_ok(a);
}

static int64_t
autockpt(struct catena_store *s)
{
    return count(s, "PRAGMA wal_autocheckpoint");
}

/* The background checkpointer copies the log into the database file by
 * itself (no connection reaches its own threshold here), and connections
 * opened while it runs keep only the far backstop threshold. */
static void
test_checkpointer(void **state)
{
    const char *url = fresh_url();
    struct catena_store *before, *after;
    struct catena_err err;
    static uint8_t blob[2000];
    struct stat st;
    off_t start_size;
    int64_t in_writer;
    int copied = 0;

    (void)state;
    if (g_pg) {
        /* Nothing to do for PostgreSQL, and no error. */
        assert_int_equal(catena_store_checkpointer_start(url, &err),
                         CATENA_OK);
        catena_store_checkpointer_stop();
        return;
    }
    before = open_ok(url);
    migrate_test(before);
    assert_int_equal(stat(url + 7, &st), 0);
    start_size = st.st_size;
    assert_int_equal(catena_store_checkpointer_start(url, &err), CATENA_OK);
    assert_int_not_equal(catena_store_checkpointer_start(url, &err),
                         CATENA_OK);
    after = open_ok(url);
    assert_int_equal(autockpt(before), 10000);
    assert_int_equal(autockpt(after), 40000);
    /* Inside a write transaction statements run on the shared writer
     * connection, opened above by the migration: it takes the backstop
     * too, and its normal threshold back when the checkpointer stops.
     * (Asserted after the commit: a failure must not leave the writer
     * gate taken for the cases that follow.) */
    assert_int_equal(catena_store_begin(before, &err), CATENA_OK);
    in_writer = autockpt(before);
    assert_int_equal(catena_store_commit(before, &err), CATENA_OK);
    assert_int_equal(in_writer, 40000);
    memset(blob, 0x5a, sizeof(blob));
    assert_int_equal(catena_store_begin(after, &err), CATENA_OK);
    for (int i = 0; i < 500; i++) {
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(i),
                                       CATENA_SQL_P_BLOB(blob, sizeof(blob))};

        assert_int_equal(catena_store_exec(after,
                                           "INSERT INTO t (i, b) VALUES "
                                           "($1, $2)",
                                           p, 2, NULL, &err),
                         CATENA_OK);
    }
    assert_int_equal(catena_store_commit(after, &err), CATENA_OK);
    /* ~1 MB went to the log; the database file grows only when the
     * checkpointer copies it (a liveness check with a generous bound). */
    for (int i = 0; i < 200 && !copied; i++) {
        assert_int_equal(stat(url + 7, &st), 0);
        copied = st.st_size >= start_size + 500 * 2000;
        if (!copied) {
            usleep(50 * 1000);
        }
    }
    assert_true(copied);
    catena_store_checkpointer_stop();
    catena_store_checkpointer_stop(); /* stopping twice is harmless */
    assert_int_equal(catena_store_begin(before, &err), CATENA_OK);
    in_writer = autockpt(before);
    assert_int_equal(catena_store_commit(before, &err), CATENA_OK);
    assert_int_equal(in_writer, 10000);
    assert_int_equal(count(after, "SELECT COUNT(*) FROM t"), 500);
    close_ok(after);
    close_ok(before);
}

struct walk {
    int64_t rows;
    int64_t sum;
    int64_t stop_at;
    int stop_rc;
    size_t blob_bytes;
};

static int
walk_cb(void *ctx, const struct catena_row *row)
{
    struct walk *w = ctx;
    size_t len = 0;

    w->rows++;
    w->sum += catena_row_int(row, 0);
    if (catena_row_blob(row, 1, &len) != NULL) {
        w->blob_bytes += len;
    }
    if (catena_row_text(row, 2) == NULL ||
        strncmp(catena_row_text(row, 2), "row", 3) != 0) {
        return -5;
    }
    if (w->stop_at != 0 && w->rows == w->stop_at) {
        return w->stop_rc;
    }
    return 0;
}

/* A materialised result whose text and blobs fill many arena blocks of
 * growing size, with one blob larger than any block: every value comes
 * back intact. */
static void
test_exec_many_values(void **state)
{
    struct catena_store *s = *state;
    struct catena_rows *rows = NULL;
    struct catena_err err;
    static uint8_t big[200000];
    char text[3001];
    const int n = 3000;

    migrate_test(s);
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)(i * 7 + 3);
    }
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    for (int i = 0; i < n; i++) {
        size_t len = (size_t)(i * 37) % sizeof(text);
        struct catena_sql_param p[] = {
            CATENA_SQL_P_INT(i), CATENA_SQL_P_TEXT(text),
            CATENA_SQL_P_BLOB(big, i == n / 2 ? sizeof(big) : (size_t)i % 500)};

        memset(text, 'a' + i % 26, len);
        text[len] = '\0';
        assert_int_equal(catena_store_exec(s,
                                           "INSERT INTO t (i, s, b) VALUES "
                                           "($1, $2, $3)",
                                           p, 3, NULL, &err),
                         CATENA_OK);
    }
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, "SELECT i, s, b FROM t ORDER BY i",
                                       NULL, 0, &rows, &err),
                     CATENA_OK);
    assert_int_equal(catena_rows_count(rows), n);
    for (int i = 0; i < n; i++) {
        const struct catena_row *r = catena_rows_get(rows, (size_t)i);
        size_t len = (size_t)(i * 37) % sizeof(text), blen = 0;
        size_t want_blen = i == n / 2 ? sizeof(big) : (size_t)i % 500;
        const char *t = catena_row_text(r, 1);
        const uint8_t *b = catena_row_blob(r, 2, &blen);

        assert_int_equal(catena_row_int(r, 0), i);
        assert_non_null(t);
        assert_int_equal(strlen(t), len);
        for (size_t k = 0; k < len; k++) {
            if (t[k] != 'a' + i % 26) {
                fail_msg("row %d: text byte %zu", i, k);
            }
        }
        assert_int_equal(blen, want_blen);
        if (blen > 0 && memcmp(b, big, blen) != 0) {
            fail_msg("row %d: blob differs", i);
        }
    }
    catena_rows_free(rows);
}

static void
test_foreach_100k(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    const int64_t n = 100000;
    struct walk w;
    struct timespec t0, t1;
    double secs;
    static const char sel[] = "SELECT i, b, s FROM t WHERE i >= $1 ORDER BY i";
    struct catena_sql_param from[] = {CATENA_SQL_P_INT(0)};

    migrate_test(s);
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    for (int64_t i = 0; i < n; i++) {
        uint8_t blob[4] = {(uint8_t)i, (uint8_t)(i >> 8), 1, 2};
        char text[32];
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(i),
                                       CATENA_SQL_P_BLOB(blob, 4),
                                       CATENA_SQL_P_TEXT(text)};

        snprintf(text, sizeof(text), "row%lld", (long long)i);
        if (catena_store_exec(s, "INSERT INTO t (i, b, s) VALUES ($1, $2, $3)",
                              p, 3, NULL, &err) != CATENA_OK) {
            fail_msg("insert: %s", err.msg);
        }
    }
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);

    memset(&w, 0, sizeof(w));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (catena_store_foreach(s, sel, from, 1, walk_cb, &w, &err) !=
        CATENA_OK) {
        fail_msg("foreach: %s", err.msg);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# foreach: %lld rows in %.3f s (%.0f rows/s)\n", (long long)n,
           secs, (double)n / secs);
    assert_int_equal(w.rows, n);
    assert_true(w.sum == n * (n - 1) / 2);
    assert_int_equal(w.blob_bytes, (size_t)n * 4);

    /* A callback returning an enum catena_rc stops with that code... */
    memset(&w, 0, sizeof(w));
    w.stop_at = 10;
    w.stop_rc = CATENA_ERR_POLICY;
    assert_int_equal(catena_store_foreach(s, sel, from, 1, walk_cb, &w, &err),
                     CATENA_ERR_POLICY);
    assert_int_equal(w.rows, 10);
    /* ...any other value as INTERNAL, and the connection carries on. */
    memset(&w, 0, sizeof(w));
    w.stop_at = 3;
    w.stop_rc = 1000;
    assert_int_equal(catena_store_foreach(s, sel, from, 1, walk_cb, &w, &err),
                     CATENA_ERR_INTERNAL);
    assert_int_equal(w.rows, 3);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM t"), n);
    /* A query error is a store error. */
    assert_int_equal(catena_store_foreach(s, "SELECT nope FROM t", NULL, 0,
                                          walk_cb, &w, &err),
                     CATENA_ERR_STORE);
}

/* ---- certificates ------------------------------------------------------- */

static int64_t
put_issuer(struct catena_store *s, const char *name)
{
    static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    static const uint8_t ski[] = {1, 2, 3, 4};
    struct catena_err err;
    int64_t id = 0;

    if (catena_store_issuer_put(s, name, der, sizeof(der), ski, sizeof(ski),
                                4, &id, &err) != CATENA_OK) {
        fail_msg("issuer_put: %s", err.msg);
    }
    assert_true(id > 0);
    return id;
}

static void
make_row(struct catena_cert_row *r, const char *serial, int64_t issuer_id,
         const char *replaces)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->serial, sizeof(r->serial), "%s", serial);
    r->issuer_id = issuer_id;
    snprintf(r->profile, sizeof(r->profile), "tls-server");
    r->not_before = 1700000000;
    r->not_after = 1700000000 + 90 * 86400;
    r->names = "example.com,www.example.com";
    memset(r->spki_sha256, 0xab, 32);
    r->status = CATENA_CERT_RESERVED;
    r->reason = -1;
    r->shard = 3;
    if (replaces != NULL) {
        snprintf(r->replaces, sizeof(r->replaces), "%s", replaces);
    }
    r->account_id = 77;
    r->created_at = 1700000001;
}

static void
test_issuers(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    int64_t id, id2, found;

    id = put_issuer(s, "tls");
    id2 = put_issuer(s, "tls");
    assert_true(id == id2);
    assert_true(put_issuer(s, "smime") != id);
    assert_int_equal(catena_store_issuer_id(s, "tls", &found, &err),
                     CATENA_OK);
    assert_true(found == id);
    assert_int_equal(catena_store_issuer_id(s, "nope", &found, &err),
                     CATENA_ERR_NOT_FOUND);
    assert_int_equal(catena_store_issuer_put(s, "", NULL, 0, NULL, 0, 1, NULL,
                                             &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_issuer_put(s, "x", NULL, 0, NULL, 0, 0, NULL,
                                             &err),
                     CATENA_ERR_INVALID);
}

static void
test_cert_lifecycle(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_cert_row r, got;
    static const uint8_t der[] = {0x30, 0x82, 0x00, 0x01, 0x00, 0x7f};
    int64_t iss = put_issuer(s, "tls");
    int changed = -1;

    make_row(&r, "0a1b2c", iss, NULL);
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_reserve(s, &r, &err),
                     CATENA_ERR_EXISTS);

    assert_int_equal(catena_store_cert_get(s, "0a1b2c", &got, &err),
                     CATENA_OK);
    assert_string_equal(got.serial, "0a1b2c");
    assert_int_equal(got.status, CATENA_CERT_RESERVED);
    assert_null(got.der);
    assert_int_equal(got.der_len, 0);
    assert_true(got.issuer_id == iss);
    assert_string_equal(got.profile, "tls-server");
    assert_string_equal(got.names, "example.com,www.example.com");
    assert_memory_equal(got.spki_sha256, r.spki_sha256, 32);
    assert_int_equal(got.shard, 3);
    assert_int_equal(got.reason, -1);
    assert_int_equal(got.revoked_at, 0);
    assert_string_equal(got.replaces, "");
    assert_string_equal(got.replaced_by, "");
    assert_int_equal(got.account_id, 77);
    assert_int_equal(got.created_at, 1700000001);
    assert_int_equal(got.not_after, 1700000000 + 90 * 86400);
    catena_cert_row_clear(&got);

    /* Revoking a reserved (never signed) certificate is refused. */
    assert_int_equal(catena_store_cert_revoke(s, "0a1b2c", 4, 1700001000,
                                              &changed, &err),
                     CATENA_ERR_POLICY);

    assert_int_equal(catena_store_cert_set_issued(s, "0a1b2c", der,
                                                  sizeof(der), &err),
                     CATENA_OK);
    assert_int_equal(catena_store_cert_set_issued(s, "0a1b2c", der,
                                                  sizeof(der), &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_cert_get(s, "0a1b2c", &got, &err),
                     CATENA_OK);
    assert_int_equal(got.status, CATENA_CERT_ISSUED);
    assert_int_equal(got.der_len, sizeof(der));
    assert_memory_equal(got.der, der, sizeof(der));
    catena_cert_row_clear(&got);

    assert_int_equal(catena_store_cert_set_ari(s, "0a1b2c", 100, 200, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_cert_set_ari(s, "ffff", 100, 200, &err),
                     CATENA_ERR_NOT_FOUND);
    assert_int_equal(catena_store_cert_set_ari(s, "0a1b2c", 200, 100, &err),
                     CATENA_ERR_INVALID);

    /* Revoke, then again (idempotent), then keyCompromise overrides. */
    assert_int_equal(catena_store_cert_revoke(s, "0a1b2c", 4, 1700001000,
                                              &changed, &err),
                     CATENA_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(catena_store_cert_revoke(s, "0a1b2c", 5, 1700002000,
                                              &changed, &err),
                     CATENA_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(catena_store_cert_get(s, "0a1b2c", &got, &err),
                     CATENA_OK);
    assert_int_equal(got.status, CATENA_CERT_REVOKED);
    assert_int_equal(got.reason, 4);
    assert_int_equal(got.revoked_at, 1700001000);
    assert_int_equal(got.ari_start, 100);
    assert_int_equal(got.ari_end, 200);
    catena_cert_row_clear(&got);
    assert_int_equal(catena_store_cert_revoke(s, "0a1b2c", 1, 1700003000,
                                              &changed, &err),
                     CATENA_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(catena_store_cert_revoke(s, "0a1b2c", 1, 1700004000,
                                              NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_cert_revoke(s, "0a1b2c", 1, 1700004000,
                                              &changed, &err),
                     CATENA_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(catena_store_cert_get(s, "0a1b2c", &got, &err),
                     CATENA_OK);
    assert_int_equal(got.reason, 1);
    assert_int_equal(got.revoked_at, 1700001000);
    catena_cert_row_clear(&got);

    /* Unspecified (-1) is stored as such. */
    make_row(&r, "0d", iss, NULL);
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_issued(s, "0d", der, sizeof(der),
                                                  &err),
                     CATENA_OK);
    assert_int_equal(catena_store_cert_revoke(s, "0d", -1, 5, &changed, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_cert_get(s, "0d", &got, &err), CATENA_OK);
    assert_int_equal(got.reason, -1);
    catena_cert_row_clear(&got);
    assert_int_equal(catena_store_cert_revoke(s, "0d", 7, 5, &changed, &err),
                     CATENA_ERR_INVALID);

    /* Failed rows. */
    make_row(&r, "0e", iss, NULL);
    r.names = NULL;
    r.account_id = 0;
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_failed(s, "0e", &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_failed(s, "0e", &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_cert_set_issued(s, "0e", der, sizeof(der),
                                                  &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_cert_revoke(s, "0e", 1, 5, &changed, &err),
                     CATENA_ERR_POLICY);
    assert_int_equal(catena_store_cert_get(s, "0e", &got, &err), CATENA_OK);
    assert_int_equal(got.status, CATENA_CERT_FAILED);
    assert_null(got.names);
    assert_int_equal(got.account_id, 0);
    catena_cert_row_clear(&got);

    /* Unknown serials. */
    assert_int_equal(catena_store_cert_get(s, "beef", &got, &err),
                     CATENA_ERR_NOT_FOUND);
    assert_int_equal(catena_store_cert_revoke(s, "beef", 1, 5, &changed, &err),
                     CATENA_ERR_NOT_FOUND);
    assert_int_equal(catena_store_cert_set_issued(s, "beef", der, sizeof(der),
                                                  &err),
                     CATENA_ERR_NOT_FOUND);
    assert_int_equal(catena_store_cert_set_failed(s, "beef", &err),
                     CATENA_ERR_NOT_FOUND);

    /* Malformed input. */
    assert_int_equal(catena_store_cert_get(s, "XYZ", &got, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_cert_get(s, "", &got, &err),
                     CATENA_ERR_INVALID);
    make_row(&r, "0f", iss, NULL);
    memset(r.serial, 'a', sizeof(r.serial));
    assert_int_equal(catena_store_cert_reserve(s, &r, &err),
                     CATENA_ERR_INVALID);
    make_row(&r, "0f", iss, "NOT-HEX");
    assert_int_equal(catena_store_cert_reserve(s, &r, &err),
                     CATENA_ERR_INVALID);
    make_row(&r, "0f", iss, "0f");
    assert_int_equal(catena_store_cert_reserve(s, &r, &err),
                     CATENA_ERR_INVALID);
    /* Foreign key: an unknown issuer is refused. */
    make_row(&r, "0f", iss + 1000, NULL);
    assert_int_equal(catena_store_cert_reserve(s, &r, &err),
                     CATENA_ERR_STORE);
}

static void
test_replaced_by(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_cert_row r, got;
    static const uint8_t der[] = {0x30, 0x00};
    int64_t iss = put_issuer(s, "tls");

    make_row(&r, "01", iss, NULL);
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_issued(s, "01", der, 2, &err),
                     CATENA_OK);
    make_row(&r, "02", iss, "01");
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    /* Inside a caller's transaction, as the issuance path does. */
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_issued(s, "02", der, 2, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_commit(s, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_get(s, "01", &got, &err), CATENA_OK);
    assert_string_equal(got.replaced_by, "02");
    catena_cert_row_clear(&got);
    assert_int_equal(catena_store_cert_get(s, "02", &got, &err), CATENA_OK);
    assert_string_equal(got.replaces, "01");
    assert_string_equal(got.replaced_by, "");
    catena_cert_row_clear(&got);

    /* And outside one (PostgreSQL does it in a single statement). */
    make_row(&r, "04", iss, "02");
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_issued(s, "04", der, 2, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_cert_get(s, "02", &got, &err), CATENA_OK);
    assert_string_equal(got.replaced_by, "04");
    catena_cert_row_clear(&got);
    /* The first replacement wins. */
    make_row(&r, "05", iss, "02");
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_issued(s, "05", der, 2, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_cert_get(s, "02", &got, &err), CATENA_OK);
    assert_string_equal(got.replaced_by, "04");
    catena_cert_row_clear(&got);

    /* A rolled-back issuance leaves both rows as they were. */
    make_row(&r, "03", iss, "01");
    assert_int_equal(catena_store_cert_reserve(s, &r, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s,
                                       "UPDATE certificates SET "
                                       "replaced_by = NULL WHERE serial = '01'",
                                       NULL, 0, NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_cert_set_issued(s, "03", der, 2, &err),
                     CATENA_OK);
    catena_store_rollback(s);
    assert_int_equal(catena_store_cert_get(s, "01", &got, &err), CATENA_OK);
    assert_string_equal(got.replaced_by, "");
    catena_cert_row_clear(&got);
    assert_int_equal(catena_store_cert_get(s, "03", &got, &err), CATENA_OK);
    assert_int_equal(got.status, CATENA_CERT_RESERVED);
    catena_cert_row_clear(&got);
}

static void
test_blocked_keys(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    uint8_t k1[32], k2[32];
    int blocked = -1;

    memset(k1, 0x11, 32);
    memset(k2, 0x22, 32);
    assert_int_equal(catena_store_key_is_blocked(s, k1, &blocked, &err),
                     CATENA_OK);
    assert_int_equal(blocked, 0);
    assert_int_equal(catena_store_key_block(s, k1, "keyCompromise", &err),
                     CATENA_OK);
    assert_int_equal(catena_store_key_block(s, k1, "again", &err), CATENA_OK);
    assert_int_equal(catena_store_key_block(s, k2, NULL, &err), CATENA_OK);
    assert_int_equal(catena_store_key_is_blocked(s, k1, &blocked, &err),
                     CATENA_OK);
    assert_int_equal(blocked, 1);
    assert_int_equal(catena_store_key_is_blocked(s, k2, &blocked, &err),
                     CATENA_OK);
    assert_int_equal(blocked, 1);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM blocked_keys"), 2);
}

/* ---- audit --------------------------------------------------------------- */

static void
test_audit(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_audit_summary sum;
    static const char *kinds[] = {"issue", "issue", "refuse", "revoke",
                                  "issue", "reserve", "revoke"};
    char big[80];

    assert_int_equal(catena_store_audit_verify(s, &sum, &err), CATENA_OK);
    assert_int_equal(sum.num_records, 0);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char detail[64];

        snprintf(detail, sizeof(detail), "{\"n\":%zu}", i);
        assert_int_equal(catena_store_audit_append(s, kinds[i], detail, &err),
                         CATENA_OK);
    }
    /* Appended inside a transaction that rolls back: gone, chain intact. */
    assert_int_equal(catena_store_begin(s, &err), CATENA_OK);
    assert_int_equal(catena_store_audit_append(s, "issue", "{}", &err),
                     CATENA_OK);
    catena_store_rollback(s);
    assert_int_equal(catena_store_audit_verify(s, &sum, &err), CATENA_OK);
    assert_int_equal(sum.num_records, 7);
    assert_int_equal(sum.num_issue, 3);
    assert_int_equal(sum.num_refuse, 1);
    assert_int_equal(sum.num_revoke, 2);
    assert_int_equal(sum.first_bad_id, 0);
    assert_int_equal(catena_store_audit_append(s, "revoke", "{}", &err),
                     CATENA_OK);
    assert_int_equal(catena_store_audit_verify(s, &sum, &err), CATENA_OK);
    assert_int_equal(sum.num_records, 8);

    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(catena_store_audit_append(s, big, "{}", &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_audit_append(s, "", "{}", &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_store_audit_append(s, "issue", NULL, &err),
                     CATENA_ERR_INVALID);
}

static void
test_audit_tamper(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_audit_summary sum;

    for (int i = 0; i < 6; i++) {
        assert_int_equal(catena_store_audit_append(s, "issue", "{\"a\":1}",
                                                   &err),
                         CATENA_OK);
    }
    assert_int_equal(catena_store_exec(s,
                                       "UPDATE audit_log SET detail = "
                                       "'{\"a\":2}' WHERE id = 4",
                                       NULL, 0, NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_audit_verify(s, &sum, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(sum.first_bad_id, 4);
    assert_int_equal(sum.num_records, 6);
    assert_non_null(strstr(err.msg, "4"));

    /* Deleting a record breaks the link of the next one. */
    assert_int_equal(catena_store_exec(s,
                                       "UPDATE audit_log SET detail = "
                                       "'{\"a\":1}' WHERE id = 4",
                                       NULL, 0, NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_audit_verify(s, &sum, &err), CATENA_OK);
    assert_int_equal(catena_store_exec(s, "DELETE FROM audit_log WHERE id = 2",
                                       NULL, 0, NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_store_audit_verify(s, &sum, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(sum.first_bad_id, 3);
}

struct app_arg {
    const char *url;
    int n;
    int failures;
    char msg[512];
};

static void *
append_thread(void *v)
{
    struct app_arg *a = v;
    struct catena_store *s = NULL;
    struct catena_err err;

    catena_err_clear(&err);
    if (catena_store_open(a->url, &s, &err) != CATENA_OK) {
        a->failures = a->n;
        snprintf(a->msg, sizeof(a->msg), "%s", err.msg);
        return NULL;
    }
    for (int i = 0; i < a->n; i++) {
        if (catena_store_audit_append(s, i % 2 ? "issue" : "revoke",
                                      "{\"thread\":true}", &err) != CATENA_OK) {
            a->failures++;
            snprintf(a->msg, sizeof(a->msg), "%s", err.msg);
        }
    }
    catena_store_close(s);
    return NULL;
}

static void
test_audit_concurrent(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_audit_summary sum;
    struct app_arg a[3];
    pthread_t t[3];
    char url[4300];

    if (g_pg) {
        snprintf(url, sizeof(url), "%s", g_url);
    } else {
        snprintf(url, sizeof(url), "sqlite:%s/t%u.db", g_dir, g_seq);
    }
    for (int i = 0; i < 3; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        a[i].url = url;
        a[i].n = 150;
        assert_int_equal(pthread_create(&t[i], NULL, append_thread, &a[i]),
                         0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        if (a[i].failures != 0) {
            fail_msg("thread %d: %d failures: %s", i, a[i].failures,
                     a[i].msg);
        }
    }
    assert_int_equal(catena_store_audit_verify(s, &sum, &err), CATENA_OK);
    assert_int_equal(sum.num_records, 450);
    assert_int_equal(sum.num_issue + sum.num_revoke, 450);
    assert_int_equal(count(s, "SELECT MAX(id) FROM audit_log"), 450);
}

/* ---- rate ---------------------------------------------------------------- */

/* Prints the reserve+set_issued rate; a figure, never an assertion. */
static void
test_issue_rate(void **state)
{
    struct catena_store *s = *state;
    struct catena_err err;
    struct catena_cert_row r;
    uint8_t der[1200];
    int64_t iss = put_issuer(s, "tls");
    const char *env = getenv("CATENA_TEST_RATE_N");
    int n = env != NULL ? (int)strtol(env, NULL, 10) : 2000;
    struct timespec t0, t1;
    clock_t c0;
    double secs;

    if (n <= 0 || n > 10000000) {
        n = 2000;
    }
    memset(der, 0x5a, sizeof(der));
    c0 = clock();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        make_row(&r, "00", iss, NULL);
        snprintf(r.serial, sizeof(r.serial), "7f%030x", (unsigned)i);
        r.spki_sha256[0] = (uint8_t)i;
        r.spki_sha256[1] = (uint8_t)(i >> 8);
        if (catena_store_cert_reserve(s, &r, &err) != CATENA_OK ||
            catena_store_cert_set_issued(s, r.serial, der, sizeof(der),
                                         &err) != CATENA_OK) {
            fail_msg("issue %d: %s", i, err.msg);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* CPU time is this process only (not the PostgreSQL server). */
    printf("# %s: %d reserve+set_issued pairs in %.3f s = %.0f pairs/s "
           "(client CPU %.1f us/pair)\n",
           g_pg ? "postgresql" : "sqlite", n, secs, (double)n / secs,
           (double)(clock() - c0) / CLOCKS_PER_SEC * 1e6 / n);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM certificates "
                              "WHERE status = 1"),
                     n);
}

int
main(void)
{
    const char *url = getenv("CATENA_TEST_STORE_URL");
    int rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_idempotent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_module_migrations, setup,
                                        teardown),
        cmocka_unit_test_teardown(test_concurrent_open, close_leftovers),
        cmocka_unit_test_setup_teardown(test_exec_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_teardown(test_read_snapshot, close_leftovers),
        cmocka_unit_test_setup_teardown(test_writer_bad_params, setup,
                                        teardown),
        cmocka_unit_test_teardown(test_writer_isolation, close_leftovers),
        cmocka_unit_test_teardown(test_writer_two_files, close_leftovers),
        cmocka_unit_test_teardown(test_writer_concurrent_single_writes, close_leftovers),
        cmocka_unit_test_teardown(test_checkpointer, close_leftovers),
        cmocka_unit_test_setup_teardown(test_exec_many_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_foreach_100k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issuers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cert_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_by, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_concurrent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_issue_rate, setup, teardown),
    };

    if (url != NULL && url[0] != '\0') {
        if (strlen(url) >= sizeof(g_url)) {
            fprintf(stderr, "CATENA_TEST_STORE_URL too long\n");
            return 1;
        }
        snprintf(g_url, sizeof(g_url), "%s", url);
        g_pg = strncmp(url, "sqlite:", 7) != 0;
        if (!g_pg) {
            fprintf(stderr, "CATENA_TEST_STORE_URL: only PostgreSQL URLs; "
                            "SQLite runs use a fresh temporary file\n");
            return 1;
        }
    }
    if (test_mkdtemp(g_dir, sizeof(g_dir), "catena-store-") == NULL) {
        perror("mkdtemp");
        return 1;
    }
    rc = cmocka_run_group_tests_name(g_pg ? "store_postgres" : "store_sqlite",
                                     tests, NULL, NULL);
    /* Remove the SQLite files (and their -wal/-shm) we made. */
    {
        char cmd[400];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", g_dir);
        }
    }
    return rc;
}
