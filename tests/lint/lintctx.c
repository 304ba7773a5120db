/*
 * lintctx.c - run the linter with the context "catena lint" cannot give:
 * the TBS the signer is about to sign (rules that judge notBefore or
 * thisUpdate against the signing time, or answer pass only before
 * signing), the CRL shard URL, and CA state from the store (a blocked
 * key). The signer fills these from its own state; the lint fixtures
 * need them to reach those rules' pass and fail answers.
 *
 * usage: lintctx [--tbs] [--issuer CA.pem] [--shard-url URL] [--blocked]
 *                [--weak-keys DIR] [--prev-crl-number N|none]
 *                FILE...
 * FILE is PEM or DER; *.crl is linted as a CRL, *.ocsp as an OCSP
 * response, anything else as a certificate. With --tbs the first element
 * of a certificate or CRL (its TBS) is linted alone, as the signer does.
 * Prints one "FILE<TAB>RULE<TAB>RESULT" line per rule run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

#include "catena/lint.h"
#include "core.h"
#include "fixture_io.h"

/* first_element finds the first TLV inside the outer SEQUENCE: the
 * TBSCertificate or TBSCertList. Returns 1 and its span, or 0. */
static int
first_element(const uint8_t *der, size_t len, const uint8_t **tbs,
              size_t *tbs_len)
{
    const unsigned char *p = der;
    const unsigned char *start;
    long l;
    int tag;
    int cls;

    if (len > INT32_MAX ||
        (ASN1_get_object(&p, &l, &tag, &cls, (long)len) & 0x80) != 0 ||
        tag != V_ASN1_SEQUENCE) {
        return 0;
    }
    start = p;
    if ((ASN1_get_object(&p, &l, &tag, &cls, (long)len - (p - der)) & 0x80) !=
        0) {
        return 0;
    }
    *tbs = start;
    *tbs_len = (size_t)(p - start) + (size_t)l;
    return 1;
}

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
main(int argc, char **argv)
{
    struct catena_lint_ctx ctx;
    struct catena_lint_weak_keys *weak = NULL;
    uint8_t prev_num[8];
    uint8_t *issuer = NULL;
    size_t issuer_len = 0;
    int rc = 0;
    int i;

    memset(&ctx, 0, sizeof(ctx));
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--tbs") == 0) {
            ctx.is_tbs = 1;
        } else if (strcmp(argv[i], "--blocked") == 0) {
            ctx.key_is_blocked = 1;
        } else if (strcmp(argv[i], "--prev-crl-number") == 0 && i + 1 < argc) {
            /* C13's store state: the scope's last cRLNumber, or "none". */
            const char *v = argv[++i];
            unsigned long long num = 0;

            ctx.has_prev_crl_number = 1;
            if (strcmp(v, "none") != 0) {
                for (const char *q = v; *q != '\0'; q++) {
                    if (*q < '0' || *q > '9' || num > UINT64_MAX / 10) {
                        fprintf(stderr, "lintctx: bad --prev-crl-number\n");
                        free(issuer);
                        return 2;
                    }
                    num = num * 10 + (unsigned long long)(*q - '0');
                }
                for (size_t k = 0; k < sizeof(prev_num); k++) {
                    prev_num[k] = (uint8_t)(num >> (56 - 8 * k));
                }
                ctx.prev_crl_number = prev_num;
                ctx.prev_crl_number_len = sizeof(prev_num);
            }
        } else if (strcmp(argv[i], "--weak-keys") == 0 && i + 1 < argc &&
                   weak == NULL) {
            struct catena_err err;

            catena_err_clear(&err);
            if (catena_weak_keys_load(argv[++i], &weak, &err) != CATENA_OK) {
                fprintf(stderr, "lintctx: %s\n", err.msg);
                free(issuer);
                return 2;
            }
            ctx.weak_keys = weak;
        } else if (strcmp(argv[i], "--shard-url") == 0 && i + 1 < argc) {
            ctx.shard_url = argv[++i];
        } else if (strcmp(argv[i], "--issuer") == 0 && i + 1 < argc &&
                   issuer == NULL) {
            if ((issuer = fixture_load(argv[++i], &issuer_len, NULL)) == NULL) {
                fprintf(stderr, "lintctx: %s: cannot read\n", argv[i]);
                return 2;
            }
            ctx.issuer_cert_der = issuer;
            ctx.issuer_cert_der_len = issuer_len;
        } else {
            fprintf(stderr, "lintctx: unknown option %s\n", argv[i]);
            free(issuer);
            return 2;
        }
    }
    for (; i < argc; i++) {
        size_t len = 0;
        uint8_t *der = fixture_load(argv[i], &len, NULL);
        const uint8_t *obj = der;
        size_t obj_len = len;
        struct catena_lint_report *r = NULL;
        int crl = ends_with(argv[i], ".crl");
        int ocsp = ends_with(argv[i], ".ocsp");
        enum catena_rc lrc;

        /* The signer hands an OCSP ResponseData over alone; no fixture
         * needs that yet, so refuse rather than guess its path. */
        if (der == NULL || (ctx.is_tbs && (ocsp || !first_element(der, len, &obj,
                                                                  &obj_len)))) {
            fprintf(stderr, "lintctx: %s: cannot read\n", argv[i]);
            free(der);
            rc = 2;
            continue;
        }
        lrc = crl    ? catena_lint_crl(obj, obj_len, &ctx, &r)
              : ocsp ? catena_lint_ocsp(obj, obj_len, &ctx, &r)
                     : catena_lint_cert(obj, obj_len, &ctx, &r);
        free(der);
        if (lrc != CATENA_OK) {
            fprintf(stderr, "lintctx: out of memory\n");
            rc = 2;
            break;
        }
        for (size_t k = 0; k < r->num_findings; k++) {
            printf("%s\t%s\t%s\n", argv[i], r->findings[k].rule->name,
                   catena_lint_result_name(r->findings[k].result));
        }
        catena_lint_report_free(r);
    }
    free(issuer);
    catena_lint_weak_keys_free(weak);
    return rc;
}
