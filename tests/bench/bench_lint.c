/*
 * bench_lint.c - in-process certificate lint throughput: reads each file
 * named on the command line (PEM or DER certificate), then lints every one
 * ROUNDS times with catena_lint_cert and prints certificates/s and
 * microseconds per certificate. No assertions on speed.
 * With --tbs each certificate's TBSCertificate is linted instead, with the
 * issuer's key as the signer key: the signer's pre-issuance path.
 * usage: bench_lint ROUNDS [--tbs] [--issuer CA] FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "catena/config.h"
#include "catena/lint.h"

#define MAX_FILE (1u << 20)

static int
read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    size_t n = 0;
    int ok = 0;

    if (f == NULL) {
        goto out;
    }
    b = malloc(MAX_FILE);
    if (b == NULL) {
        goto out;
    }
    n = fread(b, 1, MAX_FILE, f);
    /* A file at the cap may have been cut: refuse it rather than lint half. */
    if (ferror(f) || n == 0 || n == MAX_FILE) {
        goto out;
    }
    *buf = b;
    *len = n;
    b = NULL;
    ok = 1;
out:
    free(b);
    if (f != NULL) {
        fclose(f);
    }
    return ok;
}

/* to_der reads a PEM or DER certificate with OpenSSL and returns its DER,
 * or with |tbs| the DER of its TBSCertificate, in a malloc'd buffer. */
static int
to_der(const char *path, int tbs, uint8_t **out, size_t *out_len)
{
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    const unsigned char *p;
    X509 *x = NULL;
    BIO *bio = NULL;
    unsigned char *enc = NULL;
    int n;
    int ok = 0;

    if (!read_file(path, &raw, &raw_len)) {
        goto out;
    }
    p = raw;
    x = d2i_X509(NULL, &p, (long)raw_len);
    if (x == NULL) {
        bio = BIO_new_mem_buf(raw, (int)raw_len);
        x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    }
    if (x == NULL) {
        goto out;
    }
    n = tbs ? i2d_re_X509_tbs(x, &enc) : i2d_X509(x, &enc);
    if (n <= 0) {
        goto out;
    }
    *out = malloc((size_t)n);
    if (*out == NULL) {
        goto out;
    }
    memcpy(*out, enc, (size_t)n);
    *out_len = (size_t)n;
    ok = 1;
out:
    OPENSSL_free(enc);
    X509_free(x);
    BIO_free(bio);
    free(raw);
    return ok;
}

/* issuer_spki: the DER SubjectPublicKeyInfo of a DER certificate. */
static int
issuer_spki(const uint8_t *der, size_t len, uint8_t **out, size_t *out_len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    unsigned char *enc = NULL;
    int n = -1;
    int ok = 0;

    if (x == NULL) {
        goto out;
    }
    n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &enc);
    if (n <= 0) {
        goto out;
    }
    *out = malloc((size_t)n);
    if (*out == NULL) {
        goto out;
    }
    memcpy(*out, enc, (size_t)n);
    *out_len = (size_t)n;
    ok = 1;
out:
    OPENSSL_free(enc);
    X509_free(x);
    return ok;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    struct catena_lint_ctx ctx = {0};
    uint8_t **bufs = NULL;
    size_t *lens = NULL;
    uint8_t *issuer = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    size_t issuer_len = 0;
    int64_t rounds = 0;
    int first = 2;
    int tbs = 0;
    size_t nfiles = 0;
    size_t errors = 0;
    double t0, t1;
    int rc = 1;

    if (argc < 3 || catena_parse_int64(argv[1], 1, 1000000, &rounds) != CATENA_OK) {
        fprintf(stderr, "usage: bench_lint ROUNDS [--tbs] [--issuer CA] FILE...\n");
        return 2;
    }
    if (first < argc && strcmp(argv[first], "--tbs") == 0) {
        tbs = 1;
        first++;
    }
    if (first + 1 < argc && strcmp(argv[first], "--issuer") == 0) {
        if (!to_der(argv[first + 1], 0, &issuer, &issuer_len)) {
            fprintf(stderr, "bench_lint: cannot read %s\n", argv[first + 1]);
            return 1;
        }
        first += 2;
    }
    bufs = calloc((size_t)argc, sizeof(*bufs));
    lens = calloc((size_t)argc, sizeof(*lens));
    if (bufs == NULL || lens == NULL) {
        goto out;
    }
    for (int i = first; i < argc; i++) {
        if (!(tbs ? to_der(argv[i], 1, &bufs[nfiles], &lens[nfiles])
                  : read_file(argv[i], &bufs[nfiles], &lens[nfiles]))) {
            fprintf(stderr, "bench_lint: cannot read %s\n", argv[i]);
            goto out;
        }
        nfiles++;
    }
    if (issuer != NULL) {
        ctx.issuer_cert_der = issuer;
        ctx.issuer_cert_der_len = issuer_len;
        if (tbs && !issuer_spki(issuer, issuer_len, &spki, &spki_len)) {
            fprintf(stderr, "bench_lint: bad issuer certificate\n");
            goto out;
        }
        ctx.signer_spki_der = spki;
        ctx.signer_spki_der_len = spki_len;
    }
    ctx.is_tbs = tbs;
    t0 = now_s();
    for (int64_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < nfiles; i++) {
            struct catena_lint_report *rep = NULL;

            if (catena_lint_cert(bufs[i], lens[i], &ctx, &rep) != CATENA_OK) {
                fprintf(stderr, "bench_lint: out of memory\n");
                goto out;
            }
            errors += rep->worst >= CATENA_LINT_ERROR;
            catena_lint_report_free(rep);
        }
    }
    t1 = now_s();
    {
        double n = (double)rounds * (double)nfiles;

        printf("certs %zu rounds %lld lints %.0f errors %zu seconds %.3f "
               "us/cert %.2f certs/s %.0f\n",
               nfiles, (long long)rounds, n, errors, t1 - t0,
               (t1 - t0) * 1e6 / n, n / (t1 - t0));
    }
    rc = 0;
out:
    for (size_t i = 0; i < nfiles; i++) {
        free(bufs[i]);
    }
    free(bufs);
    free(lens);
    free(issuer);
    free(spki);
    return rc;
}
