/*
 * core_signer_kill.c - what happens when the signer dies in the middle of
 * a request. Driven by core_signer_kill.sh, which prepares a CA with
 * "catena init" and checks the store afterwards with sqlite3.
 *
 * usage: core_signer_kill CATENA_BINARY CONFIG CSR_DER_FILE
 *
 * 1. issue once (works);
 * 2. SIGSTOP the signer, start an issuance, SIGKILL the signer while the
 *    request is pending: the call must fail with CATENA_ERR_SIGNER and a
 *    clear message, not hang and not crash;
 * 3. issue with the signer already dead (the write hits a closed socket:
 *    no SIGPIPE death allowed);
 * 4. start a new signer and issue again (works);
 * 5. revoke it: the revocation listener hears of it once, with the issuer
 *    name and serial, and not again for an idempotent repeat.
 * Prints "reserved-after-kill N" lines the script checks against sqlite3.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/store.h"
#include "core.h"

static uint8_t csr[16384];
static size_t csr_len;

static char last_serial[41];

struct heard {
    int calls;
    char issuer[64];
    char serial[41];
};

static void
on_revoke(void *ctx, const char *issuer, const char *serial)
{
    struct heard *h = ctx;

    h->calls++;
    snprintf(h->issuer, sizeof(h->issuer), "%s", issuer);
    snprintf(h->serial, sizeof(h->serial), "%s", serial);
}

static int
issue(struct catena_ca *ca, struct catena_store *store, const char *what,
      struct catena_err *err)
{
    const char *dns[] = {"kill-test.example.com"};
    struct catena_issue_req req = {.profile = "tls-server",
                                   .csr_der = csr,
                                   .csr_der_len = csr_len,
                                   .dns_names = dns,
                                   .num_dns_names = 1};
    struct catena_issued *out = NULL;
    enum catena_rc rc;

    catena_err_clear(err);
    rc = catena_ca_issue(ca, store, &req, &out, err);
    printf("%s: %s %s%s\n", what, catena_rc_name(rc),
           out != NULL ? out->serial : "", rc != CATENA_OK ? err->msg : "");
    if (out != NULL) {
        memcpy(last_serial, out->serial, sizeof(last_serial));
    }
    catena_issued_free(out);
    return (int)rc;
}

struct killer {
    pid_t pid;
};

static void *
kill_later(void *arg)
{
    struct killer *k = arg;
    struct timespec ts = {0, 300 * 1000 * 1000};

    /* The request is written into the stopped signer's socket by now or
     * soon after; either way the client is waiting on the reply. */
    nanosleep(&ts, NULL);
    kill(k->pid, SIGKILL);
    return NULL;
}

static int
start_signer(struct catena_ca *ca, const char *exe, const char *config)
{
    struct catena_signer *s = NULL;
    struct catena_err err;

    catena_err_clear(&err);
    if (catena_signer_start(exe, config, &s, &err) != CATENA_OK) {
        fprintf(stderr, "signer start: %s\n", err.msg);
        return -1;
    }
    catena_ca_set_signer(ca, s);
    return 0;
}

int
main(int argc, char **argv)
{
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_store *store = NULL;
    struct catena_err err;
    struct killer k;
    pthread_t th;
    FILE *f;
    int failures = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s CATENA CONFIG CSR_DER\n", argv[0]);
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
            CATENA_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    if (start_signer(ca, argv[1], argv[2]) != 0) {
        return 1;
    }
    failures += issue(ca, store, "before", &err) != CATENA_OK;

    /* 2. killed mid-request */
    k.pid = catena_signer_pid(catena_ca_signer(ca));
    kill(k.pid, SIGSTOP);
    pthread_create(&th, NULL, kill_later, &k);
    if (issue(ca, store, "killed-mid-request", &err) != CATENA_ERR_SIGNER) {
        fprintf(stderr, "FAIL: expected a signer error\n");
        failures++;
    }
    pthread_join(th, NULL);

    /* 3. already dead: writing to the closed channel must not kill us */
    if (issue(ca, store, "already-dead", &err) != CATENA_ERR_SIGNER) {
        fprintf(stderr, "FAIL: expected a signer error\n");
        failures++;
    }
    catena_signer_stop(catena_ca_signer(ca));
    catena_ca_set_signer(ca, NULL);

    /* 4. a fresh signer works again */
    if (start_signer(ca, argv[1], argv[2]) != 0) {
        return 1;
    }
    failures += issue(ca, store, "after-restart", &err) != CATENA_OK;

    /* 5. revocation listeners */
    {
        struct heard h;

        memset(&h, 0, sizeof(h));
        catena_ca_on_revoke(ca, on_revoke, &h);
        if (catena_ca_revoke(ca, store, last_serial,
                             CATENA_REASON_KEY_COMPROMISE, &err) != CATENA_OK ||
            catena_ca_revoke(ca, store, last_serial,
                             CATENA_REASON_KEY_COMPROMISE, &err) != CATENA_OK ||
            h.calls != 1 || strcmp(h.issuer, "tls") != 0 ||
            strcmp(h.serial, last_serial) != 0) {
            fprintf(stderr, "FAIL: listener calls %d issuer %s: %s\n",
                    h.calls, h.issuer, err.msg);
            failures++;
        }
        if (catena_ca_revoke(ca, store, "01ff", CATENA_REASON_SUPERSEDED,
                             &err) != CATENA_ERR_NOT_FOUND) {
            fprintf(stderr, "FAIL: unknown serial not NOT_FOUND\n");
            failures++;
        }
        printf("listener: %d call(s) for %s/%s\n", h.calls, h.issuer,
               h.serial);
    }

    catena_store_close(store);
    catena_ca_close(ca);
    catena_config_free(cfg);
    printf("failures %d\n", failures);
    return failures == 0 ? 0 : 1;
}
