/*
 * bench_issue.c - certificates per second through the whole issuance path:
 * CSR check, store (reserve, set_issued, audit), TBS, signer IPC, lint,
 * signature, verification. No assertions on speed: figures only.
 *
 * usage: bench_issue CATENA_BINARY CONFIG CSR_DER_FILE COUNT
 *            [THREADS [BATCH [SIGNERS]]]
 *
 * With THREADS > 1 each thread has its own store connection and they
 * share the CA handle and the signer channel, as "catena serve" does.
 * BATCH (default 1) is how many requests go through one
 * catena_ca_issue_batch call; 1 uses catena_ca_issue. SIGNERS (default 1)
 * is the number of signer processes that share each batch.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/store.h"
#include "core.h"

/* cpu_s is the user+system CPU time of |who| (RUSAGE_SELF: this process,
 * RUSAGE_CHILDREN: the reaped signer). */
static double
cpu_s(int who)
{
    struct rusage ru;

    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct worker {
    struct catena_ca *ca;
    const uint8_t *csr;
    size_t csr_len;
    int64_t count;
    int64_t batch;
    int failed;
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    const char *dns[] = {"bench.example.com"};
    struct catena_issue_req req;
    struct catena_store *store = NULL;
    struct catena_err err;

    catena_err_clear(&err);
    if (catena_store_open(catena_ca_store_url(w->ca), &store, &err) !=
        CATENA_OK) {
        fprintf(stderr, "store: %s\n", err.msg);
        w->failed = 1;
        return NULL;
    }
    memset(&req, 0, sizeof(req));
    req.profile = "tls-server";
    req.csr_der = w->csr;
    req.csr_der_len = w->csr_len;
    req.dns_names = dns;
    req.num_dns_names = 1;
    for (int64_t i = 0; i < w->count && w->batch == 1; i++) {
        struct catena_issued *out = NULL;

        if (catena_ca_issue(w->ca, store, &req, &out, &err) != CATENA_OK) {
            fprintf(stderr, "issue %lld: %s\n", (long long)i, err.msg);
            w->failed = 1;
            break;
        }
        catena_issued_free(out);
    }
    for (int64_t i = 0; i < w->count && w->batch > 1; i += w->batch) {
        struct catena_issue_req reqs[CATENA_ISSUE_BATCH_MAX];
        struct catena_issued *outs[CATENA_ISSUE_BATCH_MAX];
        struct catena_err errs[CATENA_ISSUE_BATCH_MAX];
        size_t n = (size_t)(w->count - i < w->batch ? w->count - i
                                                     : w->batch);

        for (size_t k = 0; k < n; k++) {
            reqs[k] = req;
        }
        if (catena_ca_issue_batch(w->ca, store, reqs, n, outs, errs) !=
            CATENA_OK) {
            for (size_t k = 0; k < n; k++) {
                if (errs[k].code != CATENA_OK) {
                    fprintf(stderr, "issue %lld: %s\n",
                            (long long)(i + (int64_t)k), errs[k].msg);
                    break;
                }
            }
            w->failed = 1;
        }
        for (size_t k = 0; k < n; k++) {
            catena_issued_free(outs[k]);
        }
        if (w->failed) {
            break;
        }
    }
    catena_store_close(store);
    return NULL;
}

int
main(int argc, char **argv)
{
    static uint8_t csr[16384];
    size_t csr_len;
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_signer *signer = NULL;
    struct catena_err err;
    struct worker w[64];
    pthread_t th[64];
    int64_t count = 0;
    int64_t threads = 1;
    int64_t batch = 1;
    int64_t signers = 1;
    int failed = 0;
    double t0;
    double dt;
    FILE *f;

    if (argc < 5 || argc > 8 ||
        catena_parse_int64(argv[4], 1, 10000000, &count) != CATENA_OK ||
        (argc >= 6 &&
         catena_parse_int64(argv[5], 1, 64, &threads) != CATENA_OK) ||
        (argc >= 7 && catena_parse_int64(argv[6], 1, CATENA_ISSUE_BATCH_MAX,
                                         &batch) != CATENA_OK) ||
        (argc == 8 && catena_parse_int64(argv[7], 1,
                                         1 + CATENA_SIGNER_POOL_MAX,
                                         &signers) != CATENA_OK)) {
        fprintf(stderr,
                "usage: %s CATENA CONFIG CSR_DER COUNT "
                "[THREADS [BATCH [SIGNERS]]]\n",
                argv[0]);
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
        catena_signer_start_pool(argv[1], argv[2], (size_t)signers, &signer,
                                 &err) != CATENA_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    catena_ca_set_signer(ca, signer);
    t0 = now_s();
    for (int64_t t = 0; t < threads; t++) {
        w[t] = (struct worker){.ca = ca,
                               .csr = csr,
                               .csr_len = csr_len,
                               .count = count / threads,
                               .batch = batch};
        pthread_create(&th[t], NULL, work, &w[t]);
    }
    for (int64_t t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        failed |= w[t].failed;
    }
    dt = now_s() - t0;
    count = (count / threads) * threads;
    printf("issued %lld certificates with %lld thread(s), batch %lld, "
           "%lld signer(s), in %.3f s: %.1f certificates/s\n",
           (long long)count, (long long)threads, (long long)batch,
           (long long)signers, dt, (double)count / dt);
    catena_ca_close(ca); /* stops and reaps the signer */
    catena_config_free(cfg);
    /* Where the CPU went: this process (CSR, checks, TBS, store) and the
     * signer (parse, lint, sign, verify), per certificate. */
    printf("cpu per certificate: client %.1f us, signer %.1f us\n",
           cpu_s(RUSAGE_SELF) * 1e6 / (double)count,
           cpu_s(RUSAGE_CHILDREN) * 1e6 / (double)count);
    return failed;
}
