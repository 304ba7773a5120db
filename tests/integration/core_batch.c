/*
 * core_batch.c - catena_ca_issue_batch against a real CA, store and signer.
 * Driven by core_batch.sh, which prepares the CA with "catena init" and
 * checks the results with openssl and sqlite3.
 *
 * usage: core_batch CATENA_BINARY CONFIG CSR_DER_FILE OUT_DIR
 *
 * 1. a batch of 8 where request 3 names "localhost" (lint T2 refuses it):
 *    that one fails with CATENA_ERR_LINT and no certificate, the other 7
 *    are issued (written to OUT_DIR/batch-N.pem for openssl verify), and
 *    the audit chain verifies;
 * 2. a batch of 6 sent to a stopped signer that is then killed: every
 *    request fails with CATENA_ERR_SIGNER (the script checks the 6 rows
 *    are RESERVED with no DER), and the audit chain still verifies;
 * 3. a new signer issues a batch of 2 again;
 * 4. a pool of 3 signer processes issues a batch of 7 (shares of 3, 2, 2);
 * 5. a CSR verified by the caller (catena_csr_verify, as ACME does) is
 *    issued for without the core parsing it again, with the CSR's key;
 *    the core still refuses a verified CSR whose key its profile does not
 *    accept, and a request naming both a verified CSR and a DER one.
 * Exit status 0 only if every step behaved.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/store.h"
#include "core.h"

static uint8_t csr[16384];
static size_t csr_len;

#define BATCH1 8
#define BATCH2 6

struct run {
    struct catena_ca *ca;
    struct catena_store *store;
    const char *name;
    size_t n;
    struct catena_issued *outs[16];
    struct catena_err errs[16];
    enum catena_rc rc;
};

static void *
run_batch(void *arg)
{
    struct run *r = arg;
    struct catena_issue_req reqs[16];
    const char *ok_dns[] = {r->name};
    static const char *bad_dns[] = {"localhost"};

    memset(reqs, 0, sizeof(reqs));
    for (size_t i = 0; i < r->n; i++) {
        reqs[i].profile = "tls-server";
        reqs[i].csr_der = csr;
        reqs[i].csr_der_len = csr_len;
        /* Only the first batch has a refused request (index 3). */
        reqs[i].dns_names = r->n == BATCH1 && i == 3 ? bad_dns : ok_dns;
        reqs[i].num_dns_names = 1;
    }
    r->rc = catena_ca_issue_batch(r->ca, r->store, reqs, r->n, r->outs,
                                  r->errs);
    return NULL;
}

static int
chain_ok(struct catena_store *store, const char *when)
{
    struct catena_audit_summary sum;
    struct catena_err err;

    catena_err_clear(&err);
    memset(&sum, 0, sizeof(sum));
    if (catena_store_audit_verify(store, &sum, &err) != CATENA_OK ||
        sum.first_bad_id != 0) {
        printf("audit chain %s: BROKEN at %lld (%s)\n", when,
               (long long)sum.first_bad_id, err.msg);
        return 0;
    }
    printf("audit chain %s: ok (%lld issue, %lld refuse)\n", when,
           (long long)sum.num_issue, (long long)sum.num_refuse);
    return 1;
}

static void
free_outs(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        catena_issued_free(r->outs[i]);
        r->outs[i] = NULL;
    }
}

/* ed25519_csr returns a DER CSR for a new Ed25519 key (malloc'd). */
static uint8_t *
ed25519_csr(size_t *len)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    X509_REQ *req = X509_REQ_new();
    unsigned char *der = NULL;
    uint8_t *copy = NULL;
    int n = 0;

    if (pk != NULL && req != NULL && X509_REQ_set_pubkey(req, pk) == 1 &&
        X509_REQ_sign(req, pk, NULL) > 0) {
        n = i2d_X509_REQ(req, &der);
    }
    if (n > 0 && (copy = malloc((size_t)n)) != NULL) {
        memcpy(copy, der, (size_t)n);
        *len = (size_t)n;
    }
    OPENSSL_free(der);
    X509_REQ_free(req);
    EVP_PKEY_free(pk);
    return copy;
}

/* issue_verified is step 5; returns 1 if every case behaved. */
static int
issue_verified(struct catena_ca *ca, struct catena_store *store)
{
    const char *dns[] = {"verified.example.com"};
    struct catena_issue_req req = {.profile = "tls-server",
                                   .dns_names = dns,
                                   .num_dns_names = 1};
    struct catena_csr *c = NULL, *ed = NULL;
    struct catena_issued *out = NULL, *no = NULL;
    struct catena_err err;
    const unsigned char *p;
    X509 *x = NULL;
    unsigned char *got = NULL;
    const uint8_t *want;
    size_t want_len = 0, ed_len = 0;
    uint8_t *ed_der = ed25519_csr(&ed_len);
    int got_len = 0, ok = 1;
    unsigned all = CATENA_KEY_P256 | CATENA_KEY_P384 | CATENA_KEY_RSA2048 |
                   CATENA_KEY_RSA3072 | CATENA_KEY_RSA4096 |
                   CATENA_KEY_ED25519;

    catena_err_clear(&err);
    if (ed_der == NULL ||
        catena_csr_verify(csr, csr_len, all, &c, &err) != CATENA_OK ||
        catena_csr_verify(ed_der, ed_len, all, &ed, &err) != CATENA_OK) {
        printf("verified: cannot verify the CSRs: %s\n", err.msg);
        ok = 0;
        goto out;
    }
    req.csr = c;
    if (catena_ca_issue(ca, store, &req, &out, &err) != CATENA_OK) {
        printf("verified: %s\n", err.msg);
        ok = 0;
        goto out;
    }
    /* The certificate certifies the CSR's key, bytes as received. */
    p = out->der;
    x = d2i_X509(NULL, &p, (long)out->der_len);
    got_len = x != NULL ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &got) : 0;
    want = catena_csr_spki_der(c, &want_len);
    if (got_len <= 0 || (size_t)got_len != want_len ||
        memcmp(got, want, want_len) != 0) {
        printf("verified: the certificate's key is not the CSR's\n");
        ok = 0;
    }
    req.csr_der = csr;
    req.csr_der_len = csr_len;
    if (catena_ca_issue(ca, store, &req, &no, &err) != CATENA_ERR_INVALID) {
        printf("verified: a verified CSR and a DER one were accepted\n");
        ok = 0;
    }
    req.csr_der = NULL;
    req.csr_der_len = 0;
    req.csr = ed;
    if (catena_ca_issue(ca, store, &req, &no, &err) != CATENA_ERR_POLICY) {
        printf("verified: tls-server took an Ed25519 key: %s\n", err.msg);
        ok = 0;
    }
    if (ok) {
        printf("verified: ok\n");
    }
out:
    OPENSSL_free(got);
    X509_free(x);
    catena_issued_free(out);
    catena_issued_free(no);
    catena_csr_free(c);
    catena_csr_free(ed);
    free(ed_der);
    return ok;
}

int
main(int argc, char **argv)
{
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_store *store = NULL;
    struct catena_signer *signer = NULL;
    struct catena_err err;
    struct run r;
    pthread_t th;
    pid_t pid;
    FILE *f;
    int bad = 0;

    if (argc != 5) {
        fprintf(stderr, "usage: %s CATENA CONFIG CSR_DER OUT_DIR\n", argv[0]);
        return 2;
    }
    f = fopen(argv[3], "rb");
    if (f == NULL) {
        perror(argv[3]);
        return 2;
    }
    csr_len = fread(csr, 1, sizeof(csr), f);
    fclose(f);
    catena_err_clear(&err);
    if (catena_config_load(argv[2], catena_core_config_schemas,
                           catena_core_num_config_schemas, &cfg,
                           &err) != CATENA_OK ||
        catena_ca_open(cfg, 0, &ca, &err) != CATENA_OK ||
        catena_store_open(catena_ca_store_url(ca), &store, &err) !=
            CATENA_OK ||
        catena_signer_start(argv[1], argv[2], &signer, &err) != CATENA_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    catena_ca_set_signer(ca, signer);

    /* 1. One lint refusal among good requests. */
    memset(&r, 0, sizeof(r));
    r.ca = ca;
    r.store = store;
    r.name = "batch.example.com";
    r.n = BATCH1;
    run_batch(&r);
    for (size_t i = 0; i < r.n; i++) {
        if (i == 3) {
            if (r.outs[i] != NULL || r.errs[i].code != CATENA_ERR_LINT) {
                printf("request 3: expected a lint refusal, got %s\n",
                       catena_rc_name(r.errs[i].code));
                bad = 1;
            } else {
                printf("refused: %s\n", r.errs[i].msg);
            }
            continue;
        }
        if (r.outs[i] == NULL || r.errs[i].code != CATENA_OK) {
            printf("request %zu: %s %s\n", i,
                   catena_rc_name(r.errs[i].code), r.errs[i].msg);
            bad = 1;
            continue;
        }
        {
            char path[4096];
            FILE *o;

            snprintf(path, sizeof(path), "%s/batch-%zu.pem", argv[4], i);
            o = fopen(path, "w");
            if (o == NULL || fputs(r.outs[i]->chain_pem, o) < 0) {
                perror(path);
                bad = 1;
            }
            if (o != NULL) {
                fclose(o);
            }
            printf("issued %s\n", r.outs[i]->serial);
        }
    }
    if (r.rc != CATENA_ERR_LINT) {
        printf("batch returned %s, expected the refusal's code\n",
               catena_rc_name(r.rc));
        bad = 1;
    }
    free_outs(&r);
    bad |= !chain_ok(store, "after batch 1");

    /* 2. The signer dies with the batch in flight. */
    pid = (pid_t)catena_signer_pid(signer);
    if (pid <= 0 || kill(pid, SIGSTOP) != 0) {
        printf("cannot stop the signer\n");
        return 1;
    }
    memset(&r, 0, sizeof(r));
    r.ca = ca;
    r.store = store;
    r.name = "kill-batch.example.com";
    r.n = BATCH2;
    pthread_create(&th, NULL, run_batch, &r);
    {
        /* Whether the frames are written into the stopped signer's socket
         * before or after the kill, nothing can be answered. */
        struct timespec ts = {0, 300 * 1000 * 1000};

        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    pthread_join(th, NULL);
    for (size_t i = 0; i < r.n; i++) {
        if (r.outs[i] != NULL || r.errs[i].code != CATENA_ERR_SIGNER) {
            printf("killed request %zu: expected SIGNER, got %s\n", i,
                   catena_rc_name(r.errs[i].code));
            bad = 1;
        }
    }
    printf("killed-mid-batch: %s %s\n", catena_rc_name(r.rc), r.errs[0].msg);
    free_outs(&r);
    bad |= !chain_ok(store, "after the kill");

    /* 3. A new signer works. */
    catena_ca_set_signer(ca, NULL);
    catena_signer_stop(signer);
    signer = NULL;
    if (catena_signer_start(argv[1], argv[2], &signer, &err) != CATENA_OK) {
        fprintf(stderr, "restart: %s\n", err.msg);
        return 1;
    }
    catena_ca_set_signer(ca, signer);
    memset(&r, 0, sizeof(r));
    r.ca = ca;
    r.store = store;
    r.name = "after.example.com";
    r.n = 2;
    run_batch(&r);
    if (r.rc != CATENA_OK || r.outs[0] == NULL || r.outs[1] == NULL) {
        printf("after restart: %s %s\n", catena_rc_name(r.rc),
               r.errs[0].msg);
        bad = 1;
    } else {
        printf("after-restart: ok\n");
    }
    free_outs(&r);

    /* 4. A pool of signer processes shares a batch. */
    catena_ca_set_signer(ca, NULL);
    catena_signer_stop(signer);
    signer = NULL;
    if (catena_signer_start_pool(argv[1], argv[2], 3, &signer, &err) !=
        CATENA_OK) {
        fprintf(stderr, "pool: %s\n", err.msg);
        return 1;
    }
    catena_ca_set_signer(ca, signer);
    memset(&r, 0, sizeof(r));
    r.ca = ca;
    r.store = store;
    r.name = "pool.example.com";
    r.n = 7;
    run_batch(&r);
    for (size_t i = 0; i < r.n; i++) {
        if (r.outs[i] == NULL) {
            printf("pool request %zu: %s\n", i, r.errs[i].msg);
            bad = 1;
        }
    }
    if (r.rc == CATENA_OK) {
        printf("pool: ok\n");
    }
    free_outs(&r);

    /* 5. A CSR the caller verified. */
    bad |= !issue_verified(ca, store);
    bad |= !chain_ok(store, "at the end");
    catena_store_close(store);
    catena_ca_close(ca);
    catena_config_free(cfg);
    return bad;
}
