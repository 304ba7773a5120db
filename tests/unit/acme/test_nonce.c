/*
 * test_nonce.c - MAC'd single-use nonces (acme/nonce.c) on a real SQLite
 * store: first use accepted, replay, tampering, expiry and malformed
 * input refused, a second connection (a second node, or this one after a
 * restart) sharing the key and the used set, and the sweep of expired
 * uses.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catena/store.h"
#include "internal.h"
#include "../../common/test_tmp.h"

struct fx {
    char dir[256];
    char url[512];
    struct catena_store *a, *b; /* two connections: two "nodes" */
    struct acme_nonce_key key_a, key_b;
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    struct catena_err err = {0};

    if (test_mkdtemp(fx->dir, sizeof(fx->dir), "test_acme_nonce.") == NULL) {
        return -1;
    }
    snprintf(fx->url, sizeof(fx->url), "sqlite:%s/catena.db", fx->dir);
    if (catena_store_open(fx->url, &fx->a, &err) != CATENA_OK ||
        acme_db_migrate(fx->a, &err) != CATENA_OK ||
        acme_nonce_key_load(fx->a, &fx->key_a, &err) != CATENA_OK ||
        catena_store_open(fx->url, &fx->b, &err) != CATENA_OK ||
        acme_db_migrate(fx->b, &err) != CATENA_OK ||
        acme_nonce_key_load(fx->b, &fx->key_b, &err) != CATENA_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    char path[512];

    catena_store_close(fx->a);
    catena_store_close(fx->b);
    acme_nonce_key_clear(&fx->key_a);
    acme_nonce_key_clear(&fx->key_b);
    for (size_t i = 0; i < 3; i++) {
        static const char *const sfx[] = {"", "-wal", "-shm"};
        snprintf(path, sizeof(path), "%s/catena.db%s", fx->dir, sfx[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static int
use(struct catena_store *st, const struct acme_nonce_key *key,
    const char *nonce)
{
    struct catena_err err = {0};
    int ok = -1;

    assert_int_equal(acme_nonce_use(st, key, nonce, &ok, &err), CATENA_OK);
    return ok;
}

static void
test_single_use(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    char n1[ACME_MAX_NONCE], n2[ACME_MAX_NONCE];

    assert_int_equal(acme_nonce_new(&fx->key_a, 60, n1, &err), CATENA_OK);
    assert_int_equal(acme_nonce_new(&fx->key_a, 60, n2, &err), CATENA_OK);
    assert_int_equal(strlen(n1), 43);
    assert_string_not_equal(n1, n2);
    assert_int_equal(use(fx->a, &fx->key_a, n1), 1);
    assert_int_equal(use(fx->a, &fx->key_a, n1), 0);
    /* The other node sees the use too. */
    assert_int_equal(use(fx->b, &fx->key_b, n1), 0);
    assert_int_equal(use(fx->a, &fx->key_a, n2), 1);
}

static void
test_shared_key(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    char n[ACME_MAX_NONCE];

    /* Both connections loaded the one key the first created: each
     * accepts the other's nonces. */
    assert_int_equal(acme_nonce_new(&fx->key_a, 60, n, &err), CATENA_OK);
    assert_int_equal(use(fx->b, &fx->key_b, n), 1);
    assert_int_equal(use(fx->a, &fx->key_a, n), 0);
    assert_int_equal(acme_nonce_new(&fx->key_b, 60, n, &err), CATENA_OK);
    assert_int_equal(use(fx->a, &fx->key_a, n), 1);
}

static void
test_expired(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    char n[ACME_MAX_NONCE];

    assert_int_equal(acme_nonce_new(&fx->key_a, -2, n, &err), CATENA_OK);
    assert_int_equal(use(fx->a, &fx->key_a, n), 0);
}

static void
test_tampered_and_foreign(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    struct acme_nonce_key other = {0};
    uint8_t secret[ACME_NONCE_KEY_LEN];
    char n[ACME_MAX_NONCE], t[ACME_MAX_NONCE];
    int ok = 0;

    assert_int_equal(acme_nonce_new(&fx->key_a, 60, n, &err), CATENA_OK);
    /* Each position changed in turn (a valid base64url character, and
     * the last one only among those with zero unused bits). */
    for (size_t i = 0; i < strlen(n); i++) {
        memcpy(t, n, sizeof(t));
        t[i] = t[i] == 'A' ? 'Q' : 'A';
        assert_int_equal(use(fx->a, &fx->key_a, t), 0);
    }
    /* Another deployment's key. */
    memset(secret, 0x5a, sizeof(secret));
    assert_int_equal(acme_nonce_key_set(&other, secret, &err), CATENA_OK);
    assert_int_equal(acme_nonce_new(&other, 60, t, &err), CATENA_OK);
    assert_int_equal(use(fx->a, &fx->key_a, t), 0);
    /* Its own nonces are good under it, and a key is reusable. */
    assert_int_equal(acme_nonce_new(&other, 60, t, &err), CATENA_OK);
    assert_int_equal(acme_nonce_use(fx->a, &other, t, &ok, &err), CATENA_OK);
    assert_int_equal(ok, 1);
    acme_nonce_key_clear(&other);
    acme_nonce_key_clear(&other);
    /* The untouched one is still good. */
    assert_int_equal(use(fx->a, &fx->key_a, n), 1);
}

static void
test_malformed(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    char n[ACME_MAX_NONCE], t[2 * ACME_MAX_NONCE];
    char big[4096];

    assert_int_equal(acme_nonce_new(&fx->key_a, 60, n, &err), CATENA_OK);
    assert_int_equal(use(fx->a, &fx->key_a, ""), 0);
    assert_int_equal(use(fx->a, &fx->key_a, NULL), 0);
    assert_int_equal(use(fx->a, &fx->key_a, "abc"), 0);
    /* One character short, one too many, padding, bad alphabet. */
    snprintf(t, sizeof(t), "%.42s", n);
    assert_int_equal(use(fx->a, &fx->key_a, t), 0);
    snprintf(t, sizeof(t), "%sA", n);
    assert_int_equal(use(fx->a, &fx->key_a, t), 0);
    snprintf(t, sizeof(t), "%.42s=", n);
    assert_int_equal(use(fx->a, &fx->key_a, t), 0);
    snprintf(t, sizeof(t), "+%s", n + 1);
    assert_int_equal(use(fx->a, &fx->key_a, t), 0);
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(use(fx->a, &fx->key_a, big), 0);
    assert_int_equal(use(fx->a, &fx->key_a, n), 1);
}

/* prefix_row writes the acme_nonce_uses key of a nonce expiring at |exp|
 * with random part |r|: big-endian expiry, then 8 bytes. */
static void
prefix_row(uint8_t out[16], int64_t exp, uint8_t r)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)((uint64_t)exp >> (8 * (7 - i)));
    }
    memset(out + 8, r, 8);
}

static int
has_row(struct catena_store *st, const uint8_t key[16])
{
    struct catena_sql_param p[] = {CATENA_SQL_P_BLOB(key, 16)};
    struct catena_rows *rows = NULL;
    struct catena_err err = {0};
    int found;

    assert_int_equal(catena_store_exec(st,
                                       "SELECT 1 FROM acme_nonce_uses "
                                       "WHERE prefix = $1",
                                       p, 1, &rows, &err),
                     CATENA_OK);
    found = catena_rows_get(rows, 0) != NULL;
    catena_rows_free(rows);
    return found;
}

/* Uses of expired nonces are deleted by the periodic sweep (every 1024
 * uses on a thread); uses of live ones stay and keep refusing. */
static void
test_sweep(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    uint8_t old[16], live[16];
    char n[ACME_MAX_NONCE], first[ACME_MAX_NONCE];
    int64_t now = acme_now();

    prefix_row(old, now - 10, 0x11);
    prefix_row(live, now + 3600, 0x22);
    for (int i = 0; i < 2; i++) {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_BLOB(i == 0 ? old : live, 16)};
        assert_int_equal(catena_store_exec(fx->a,
                                           "INSERT INTO acme_nonce_uses "
                                           "(prefix) VALUES ($1)",
                                           p, 1, NULL, &err),
                         CATENA_OK);
    }
    assert_int_equal(acme_nonce_new(&fx->key_a, 60, first, &err), CATENA_OK);
    assert_int_equal(use(fx->a, &fx->key_a, first), 1);
    assert_true(has_row(fx->a, old));
    for (int i = 0; i < 1024; i++) {
        assert_int_equal(acme_nonce_new(&fx->key_a, 60, n, &err), CATENA_OK);
        assert_int_equal(use(fx->a, &fx->key_a, n), 1);
    }
    assert_false(has_row(fx->a, old));
    assert_true(has_row(fx->a, live));
    assert_int_equal(use(fx->a, &fx->key_a, first), 0);
    assert_int_equal(use(fx->b, &fx->key_b, first), 0);
}

/* Concurrent consumers, each on its own connection, race for the same
 * nonces (grouped into shared transactions): every nonce is accepted
 * exactly once. */
#define RACE_THREADS 6
#define RACE_NONCES 40

struct race {
    const char *url;
    const struct acme_nonce_key *key;
    char (*nonces)[ACME_MAX_NONCE];
    int wins;
    int failed;
};

static void *
race_main(void *arg)
{
    struct race *rc = arg;
    struct catena_store *st = NULL;
    struct catena_err err = {0};

    if (catena_store_open(rc->url, &st, &err) != CATENA_OK) {
        rc->failed = 1;
        return NULL;
    }
    for (int i = 0; i < RACE_NONCES; i++) {
        int ok = 0;
        if (acme_nonce_use(st, rc->key, rc->nonces[i], &ok, &err) !=
            CATENA_OK) {
            rc->failed = 1;
        }
        rc->wins += ok;
    }
    catena_store_close(st);
    return NULL;
}

static void
test_concurrent_single_use(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    static char nonces[RACE_NONCES][ACME_MAX_NONCE];
    struct race r[RACE_THREADS];
    pthread_t t[RACE_THREADS];
    int wins = 0;

    for (int i = 0; i < RACE_NONCES; i++) {
        assert_int_equal(acme_nonce_new(&fx->key_a, 60, nonces[i], &err),
                         CATENA_OK);
    }
    for (int i = 0; i < RACE_THREADS; i++) {
        r[i] = (struct race){fx->url, &fx->key_a, nonces, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, race_main, &r[i]), 0);
    }
    for (int i = 0; i < RACE_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].failed, 0);
        wins += r[i].wins;
    }
    assert_int_equal(wins, RACE_NONCES);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_single_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_and_foreign, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_single_use, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
