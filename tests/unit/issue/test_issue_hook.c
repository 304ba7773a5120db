/*
 * test_issue_hook.c - the issue hook (catena_issue_req.hook) against a real
 * store and a real signer (the crl/ tests' throw-away CA; this binary is
 * re-executed as "signer"). The hook's writes commit with the core's two
 * transactions: visible after an issuance, absent when the hook fails;
 * a hook that fails at RESERVE leaves no row and signs nothing, one that
 * fails at ISSUED leaves the row RESERVED with no DER and no "issue" audit
 * record; either way the issuance fails with CATENA_ERR_STORE and no
 * certificate. Without a hook an issuance is as before. In a batch each
 * request's hook fails only its own request.
 *
 * SQLite by default; with CATENA_TEST_STORE_URL (a PostgreSQL database of
 * its own, run_pg.sh) the same cases run there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/crl.h"
#include "catena/store.h"
#include "crl_fixture.h"

#define NAME "hook.example.com"

static struct crl_fixture fx;
static const char *pg_url; /* NULL: SQLite, the fixture's store */
static struct catena_config *pg_cfg;
static struct catena_ca *ca;          /* fx.ca, or the one on pg_url */
static struct catena_store *store;    /* what the issuances get */
static struct catena_store *observer; /* a second connection */
static uint8_t *csr;
static int csr_len;

/* What a hook saw and what it is told to do. */
struct hook_ctx {
    int fail_at;  /* a catena_issue_step, or -1: never fail */
    int fail_sql; /* fail by a failing statement, not by a return code */
    int calls[CATENA_ISSUE_STEP__MAX];
    char serial[CATENA_ISSUE_STEP__MAX][41];
    struct catena_store *store[CATENA_ISSUE_STEP__MAX];
    /* The certificate's status on the hook's handle, and how many rows
     * the observer's connection found for the serial meanwhile. */
    int64_t status_in_tx[CATENA_ISSUE_STEP__MAX];
    int64_t status_outside[CATENA_ISSUE_STEP__MAX];
};

/* cert_status is the status of |serial| on |s|, -1 if it has no row. */
static int64_t
cert_status(struct catena_store *s, const char *serial)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(serial)};
    struct catena_rows *rows = NULL;
    struct catena_err err;
    const struct catena_row *row;
    int64_t st;

    if (catena_store_exec(s, "SELECT status FROM certificates WHERE "
                             "serial = $1",
                          p, 1, &rows, &err) != CATENA_OK) {
        fail_msg("status of %s: %s", serial, err.msg);
    }
    row = catena_rows_get(rows, 0);
    st = row != NULL ? catena_row_int(row, 0) : -1;
    catena_rows_free(rows);
    return st;
}

static int64_t
count(const char *sql, const char *arg)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(arg)};
    struct catena_rows *rows = NULL;
    struct catena_err err;
    int64_t n;

    if (catena_store_exec(store, sql, p, 1, &rows, &err) != CATENA_OK) {
        fail_msg("%s: %s", sql, err.msg);
    }
    n = catena_row_int(catena_rows_get(rows, 0), 0);
    catena_rows_free(rows);
    return n;
}

/* hook_rows counts the hook's committed rows of |step| for |serial|. */
static int64_t
hook_rows(enum catena_issue_step step, const char *serial)
{
    return count(step == CATENA_ISSUE_STEP_RESERVE
                     ? "SELECT COUNT(*) FROM hook_log WHERE step = 0 AND "
                       "serial = $1"
                     : "SELECT COUNT(*) FROM hook_log WHERE step = 1 AND "
                       "serial = $1",
                 serial);
}

/* issue_audits counts the "issue" audit records naming |serial|. */
static int64_t
issue_audits(const char *serial)
{
    char pat[64];

    snprintf(pat, sizeof(pat), "%%\"serial\":\"%s\"%%", serial);
    return count("SELECT COUNT(*) FROM audit_log WHERE kind = 'issue' AND "
                 "detail LIKE $1",
                 pat);
}

static enum catena_rc
hook(void *arg, struct catena_store *s, enum catena_issue_step step,
     const char *serial, struct catena_err *err)
{
    struct hook_ctx *h = arg;
    struct catena_sql_param p[] = {CATENA_SQL_P_INT((int64_t)step),
                                   CATENA_SQL_P_TEXT(serial)};
    enum catena_rc rc;

    assert_true(step < CATENA_ISSUE_STEP__MAX);
    h->calls[step]++;
    h->store[step] = s;
    snprintf(h->serial[step], sizeof(h->serial[step]), "%s", serial);
    h->status_in_tx[step] = cert_status(s, serial);
    h->status_outside[step] = cert_status(observer, serial);
    rc = catena_store_exec(s,
                           "INSERT INTO hook_log (step, serial) VALUES ($1, "
                           "$2)",
                           p, 2, NULL, err);
    if (rc != CATENA_OK || h->fail_at != (int)step) {
        return rc;
    }
    if (h->fail_sql) {
        return catena_store_exec(s, "INSERT INTO no_such_table VALUES (1)",
                                 NULL, 0, NULL, err);
    }
    /* A refusal's code: the core must not pass it on as a refusal. */
    return catena_err_set(err, CATENA_ERR_POLICY, "the hook says no");
}

static void
req_init(struct catena_issue_req *req, struct hook_ctx *h)
{
    static const char *dns[] = {NAME};

    memset(req, 0, sizeof(*req));
    req->profile = "tls-server";
    req->csr_der = csr;
    req->csr_der_len = (size_t)csr_len;
    req->dns_names = dns;
    req->num_dns_names = 1;
    /* As ACME says after its own check: the fixture has no [caa]. */
    req->caa_checked = 1;
    if (h != NULL) {
        memset(h, 0, sizeof(*h));
        h->fail_at = -1;
        req->hook = hook;
        req->hook_arg = h;
    }
}

/* make_csr makes a P-256 CSR (the names come from the request). */
static int
make_csr(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_REQ *req = X509_REQ_new();
    int ok = key != NULL && req != NULL && X509_REQ_set_version(req, 0) &&
             X509_REQ_set_pubkey(req, key) &&
             X509_REQ_sign(req, key, EVP_sha256()) > 0;

    csr_len = ok ? i2d_X509_REQ(req, &csr) : -1;
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return csr_len > 0 ? 0 : -1;
}

/* pg_conf writes the fixture's configuration with the store on |url|. */
static int
pg_conf(const char *url, char *path, size_t path_len)
{
    FILE *in = fopen(fx.conf_path, "r");
    FILE *out;
    char line[1024];

    snprintf(path, path_len, "%s/pg.conf", fx.dir);
    out = in != NULL ? fopen(path, "w") : NULL;
    if (out == NULL) {
        if (in != NULL) {
            fclose(in);
        }
        return -1;
    }
    while (fgets(line, sizeof(line), in) != NULL) {
        if (strncmp(line, "store = ", 8) == 0) {
            fprintf(out, "store = %s\n", url);
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

static int
setup(void **state)
{
    const struct catena_config_schema *schemas[16];
    size_t n = 0;
    struct catena_err err;
    char path[400];

    (void)state;
    catena_err_clear(&err);
    if (make_csr() != 0 || fixture_setup(&fx) != 0) {
        return -1;
    }
    ca = fx.ca;
    store = fx.store;
    if (pg_url != NULL) {
        for (size_t i = 0; i < catena_core_num_config_schemas; i++) {
            schemas[n++] = catena_core_config_schemas[i];
        }
        for (size_t i = 0; i < catena_crl_service.num_schemas; i++) {
            schemas[n++] = catena_crl_service.schemas[i];
        }
        if (pg_conf(pg_url, path, sizeof(path)) != 0 ||
            catena_config_load(path, schemas, n, &pg_cfg, &err) != CATENA_OK ||
            catena_ca_open(pg_cfg, 1, &ca, &err) != CATENA_OK ||
            catena_store_open(pg_url, &store, &err) != CATENA_OK) {
            fprintf(stderr, "PostgreSQL: %s\n", err.msg);
            return -1;
        }
        if (catena_store_driver(store) != CATENA_STORE_POSTGRES) {
            fprintf(stderr, "CATENA_TEST_STORE_URL is not PostgreSQL\n");
            return -1;
        }
    }
    if (catena_store_open(catena_ca_store_url(ca), &observer, &err) !=
            CATENA_OK ||
        catena_store_exec(store,
                          "CREATE TABLE hook_log (step BIGINT, serial TEXT)",
                          NULL, 0, NULL, &err) != CATENA_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    catena_store_close(observer);
    if (pg_url != NULL) {
        catena_store_close(store);
        catena_ca_close(ca);
        catena_config_free(pg_cfg);
    }
    fixture_teardown(&fx);
    OPENSSL_free(csr);
    return 0;
}

/* The hook runs once per step, on the issuance's handle, after the core's
 * write of the step and before its commit; its writes commit with it. */
static void
test_hook_commits_with_issuance(void **state)
{
    struct catena_issue_req req;
    struct hook_ctx h;
    struct catena_issued *out = NULL;
    struct catena_err err;
    struct catena_cert_row row;

    (void)state;
    req_init(&req, &h);
    assert_int_equal(catena_ca_issue(ca, store, &req, &out, &err), CATENA_OK);
    assert_non_null(out);
    assert_int_equal(h.calls[CATENA_ISSUE_STEP_RESERVE], 1);
    assert_int_equal(h.calls[CATENA_ISSUE_STEP_ISSUED], 1);
    for (int s = 0; s < CATENA_ISSUE_STEP__MAX; s++) {
        assert_string_equal(h.serial[s], out->serial);
        assert_ptr_equal(h.store[s], store);
    }
    /* Inside: the step's own write is there; outside, not yet. */
    assert_int_equal(h.status_in_tx[CATENA_ISSUE_STEP_RESERVE],
                     CATENA_CERT_RESERVED);
    assert_int_equal(h.status_outside[CATENA_ISSUE_STEP_RESERVE], -1);
    assert_int_equal(h.status_in_tx[CATENA_ISSUE_STEP_ISSUED],
                     CATENA_CERT_ISSUED);
    assert_int_equal(h.status_outside[CATENA_ISSUE_STEP_ISSUED],
                     CATENA_CERT_RESERVED);
    assert_int_equal(hook_rows(CATENA_ISSUE_STEP_RESERVE, out->serial), 1);
    assert_int_equal(hook_rows(CATENA_ISSUE_STEP_ISSUED, out->serial), 1);
    assert_int_equal(issue_audits(out->serial), 1);
    memset(&row, 0, sizeof(row));
    assert_int_equal(catena_store_cert_get(observer, out->serial, &row, &err),
                     CATENA_OK);
    assert_int_equal(row.status, CATENA_CERT_ISSUED);
    assert_int_equal(row.der_len, out->der_len);
    catena_cert_row_clear(&row);
    catena_issued_free(out);
}

/* issue_failing issues with a hook that fails at |step|, by a code or by
 * a failing statement: CATENA_ERR_STORE and no certificate. */
static void
issue_failing(enum catena_issue_step step, int by_sql, struct hook_ctx *h)
{
    struct catena_issue_req req;
    struct catena_issued *out = NULL;
    struct catena_err err;

    req_init(&req, h);
    h->fail_at = (int)step;
    h->fail_sql = by_sql;
    catena_err_clear(&err);
    assert_int_equal(catena_ca_issue(ca, store, &req, &out, &err),
                     CATENA_ERR_STORE);
    assert_null(out);
    assert_int_equal(err.code, CATENA_ERR_STORE);
    if (!by_sql) {
        assert_non_null(strstr(err.msg, "the hook says no"));
    }
    assert_int_equal(h->calls[step], 1);
}

/* A hook failing at RESERVE: no row, nothing signed. */
static void
test_hook_fails_at_reserve(void **state)
{
    (void)state;
    for (int by_sql = 0; by_sql < 2; by_sql++) {
        struct hook_ctx h;
        const char *serial = h.serial[CATENA_ISSUE_STEP_RESERVE];

        issue_failing(CATENA_ISSUE_STEP_RESERVE, by_sql, &h);
        assert_int_equal(h.calls[CATENA_ISSUE_STEP_ISSUED], 0);
        assert_int_equal(cert_status(store, serial), -1);
        assert_int_equal(hook_rows(CATENA_ISSUE_STEP_RESERVE, serial), 0);
    }
}

/* A hook failing at ISSUED: signed but never recorded as issued nor
 * handed out; the reservation and the hook's RESERVE write stay. */
static void
test_hook_fails_at_issued(void **state)
{
    (void)state;
    for (int by_sql = 0; by_sql < 2; by_sql++) {
        struct hook_ctx h;
        struct catena_err err;
        struct catena_cert_row row;
        const char *serial = h.serial[CATENA_ISSUE_STEP_ISSUED];

        issue_failing(CATENA_ISSUE_STEP_ISSUED, by_sql, &h);
        assert_int_equal(h.status_in_tx[CATENA_ISSUE_STEP_ISSUED],
                         CATENA_CERT_ISSUED);
        memset(&row, 0, sizeof(row));
        assert_int_equal(catena_store_cert_get(store, serial, &row, &err),
                         CATENA_OK);
        assert_int_equal(row.status, CATENA_CERT_RESERVED);
        assert_null(row.der);
        catena_cert_row_clear(&row);
        assert_int_equal(hook_rows(CATENA_ISSUE_STEP_RESERVE, serial), 1);
        assert_int_equal(hook_rows(CATENA_ISSUE_STEP_ISSUED, serial), 0);
        assert_int_equal(issue_audits(serial), 0);
    }
}

/* No hook: issued as ever, and no hook ran. */
static void
test_no_hook(void **state)
{
    struct catena_issue_req req;
    struct catena_issued *out = NULL;
    struct catena_err err;
    int64_t before =
        count("SELECT COUNT(*) FROM hook_log WHERE serial <> $1", "");

    (void)state;
    req_init(&req, NULL);
    assert_int_equal(catena_ca_issue(ca, store, &req, &out, &err), CATENA_OK);
    assert_non_null(out);
    assert_int_equal(cert_status(observer, out->serial), CATENA_CERT_ISSUED);
    assert_int_equal(issue_audits(out->serial), 1);
    assert_int_equal(
        count("SELECT COUNT(*) FROM hook_log WHERE serial <> $1", ""), before);
    catena_issued_free(out);
}

/*
 * A batch: request 0 with a good hook, 1 with one failing at ISSUED, 2
 * without one, 3 with one failing at RESERVE. Each failure sinks its
 * batch's shared transaction and the retry one by one sinks only its own
 * request; the rolled-back first runs of the good hook left nothing.
 */
static void
test_batch(void **state)
{
    struct catena_issue_req reqs[4];
    struct hook_ctx h[4];
    struct catena_issued *outs[4];
    struct catena_err errs[4];

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        req_init(&reqs[i], i == 2 ? NULL : &h[i]);
    }
    h[1].fail_at = CATENA_ISSUE_STEP_ISSUED;
    h[3].fail_at = CATENA_ISSUE_STEP_RESERVE;
    assert_int_equal(catena_ca_issue_batch(ca, store, reqs, 4, outs, errs),
                     CATENA_ERR_STORE);
    assert_non_null(outs[0]);
    assert_null(outs[1]);
    assert_non_null(outs[2]);
    assert_null(outs[3]);
    assert_int_equal(errs[0].code, CATENA_OK);
    assert_int_equal(errs[1].code, CATENA_ERR_STORE);
    assert_int_equal(errs[2].code, CATENA_OK);
    assert_int_equal(errs[3].code, CATENA_ERR_STORE);

    /* 0: tried with the batch, then alone, at both steps. */
    assert_int_equal(h[0].calls[CATENA_ISSUE_STEP_RESERVE], 2);
    assert_int_equal(h[0].calls[CATENA_ISSUE_STEP_ISSUED], 2);
    assert_int_equal(hook_rows(CATENA_ISSUE_STEP_RESERVE, outs[0]->serial), 1);
    assert_int_equal(hook_rows(CATENA_ISSUE_STEP_ISSUED, outs[0]->serial), 1);
    assert_int_equal(cert_status(store, outs[0]->serial), CATENA_CERT_ISSUED);
    assert_int_equal(issue_audits(outs[0]->serial), 1);

    /* 1: reserved, signed, never issued. */
    assert_int_equal(cert_status(store, h[1].serial[0]), CATENA_CERT_RESERVED);
    assert_int_equal(hook_rows(CATENA_ISSUE_STEP_RESERVE, h[1].serial[0]), 1);
    assert_int_equal(hook_rows(CATENA_ISSUE_STEP_ISSUED, h[1].serial[0]), 0);
    assert_int_equal(issue_audits(h[1].serial[0]), 0);

    /* 2: as without hooks. */
    assert_int_equal(cert_status(store, outs[2]->serial), CATENA_CERT_ISSUED);
    assert_int_equal(issue_audits(outs[2]->serial), 1);

    /* 3: nothing recorded, never signed. */
    assert_int_equal(h[3].calls[CATENA_ISSUE_STEP_ISSUED], 0);
    assert_int_equal(cert_status(store, h[3].serial[0]), -1);
    assert_int_equal(hook_rows(CATENA_ISSUE_STEP_RESERVE, h[3].serial[0]), 0);
    for (size_t i = 0; i < 4; i++) {
        catena_issued_free(outs[i]);
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_commits_with_issuance),
        cmocka_unit_test(test_hook_fails_at_reserve),
        cmocka_unit_test(test_hook_fails_at_issued),
        cmocka_unit_test(test_no_hook),
        cmocka_unit_test(test_batch),
    };
    int rc = fixture_main(argc, argv);

    if (rc >= 0) {
        return rc;
    }
    pg_url = getenv("CATENA_TEST_STORE_URL");
    if (pg_url != NULL && pg_url[0] == '\0') {
        pg_url = NULL;
    }
    return cmocka_run_group_tests_name(pg_url != NULL ? "issue_hook_postgres"
                                                      : "issue_hook_sqlite",
                                       tests, setup, teardown);
}
