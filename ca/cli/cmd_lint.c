/*
 * cmd_lint.c - "catena lint": run the linter (lint/) over certificates,
 * CRLs and OCSP responses in PEM or DER, or list the rules. The exit
 * status is 1 when any file has an error or fatal finding, 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "catena/lint.h"
#include "commands.h"
#include "core.h"

/* CRLs of a large CA run to tens of MiB; nothing legitimate is larger. */
#define LINT_FILE_CAP (64u * 1024u * 1024u)

/* read_capped reads all of |path| ("-" = stdin), refusing more than
 * LINT_FILE_CAP bytes. Returns 0 with a malloc'd buffer, or -1 after
 * printing why. */
static int
read_capped(const char *path, uint8_t **out, size_t *out_len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    if (f == NULL) {
        perror(path);
        return -1;
    }
    for (;;) {
        size_t n;

        if (len == cap) {
            size_t ncap = cap == 0 ? 65536 : cap * 2;
            uint8_t *nbuf;

            if (cap >= LINT_FILE_CAP + 1) {
                fprintf(stderr, "catena lint: %s: larger than %u bytes\n",
                        path, LINT_FILE_CAP);
                goto out;
            }
            if (ncap > LINT_FILE_CAP + 1) {
                ncap = LINT_FILE_CAP + 1;
            }
            if ((nbuf = realloc(buf, ncap)) == NULL) {
                fprintf(stderr, "catena lint: out of memory\n");
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "catena lint: %s: read error\n", path);
        goto out;
    }
    if (len > LINT_FILE_CAP) {
        fprintf(stderr, "catena lint: %s: larger than %u bytes\n", path,
                LINT_FILE_CAP);
        goto out;
    }
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (f != stdin) {
        fclose(f);
    }
    return rc;
}

enum out_format { FMT_TEXT, FMT_JSON };

static void
lint_usage(FILE *out)
{
    fprintf(out,
            "usage: catena lint [--format text|json] [--issuer CA.pem]\n"
            "                   [--profile auto|tls|smime|spiffe|ocsp|ca] "
            "[--weak-keys DIR]\n"
            "                   [--shard-url URL] [--tbs] FILE...\n"
            "       catena lint --list [--format text|json]\n"
            "Lints certificates, CRLs and OCSP responses (PEM or DER; the "
            "kind is\ndetected). Exits 1 if any error or fatal finding. "
            "--weak-keys: a directory of\nDebian weak-key lists "
            "(openssl-vulnkey format) for e_key_debian_weak. --shard-url: "
            "the CRL shard\nURL a certificate's CRLDP (or a CRL's IDP) must "
            "name. --tbs: the files are\nunsigned TBSCertificates (DER), as "
            "the signer lints them.\n");
}

static const char *
object_name(enum catena_lint_object obj)
{
    switch (obj) {
    case CATENA_LINT_OBJ_CERT:
        return "cert";
    case CATENA_LINT_OBJ_CRL:
        return "crl";
    default:
        return "ocsp";
    }
}

/* zlint_array splits the comma-separated zlint names into a JSON array. */
static json_t *
zlint_array(const char *names)
{
    json_t *a = json_array();
    const char *p = names;

    if (a == NULL) {
        return NULL;
    }
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

        if (n > 0 && json_array_append_new(a, json_stringn(p, n)) != 0) {
            json_decref(a);
            return NULL;
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return a;
}

static json_t *
rule_json(const struct catena_lint_rule *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:b, s:b}",
                     "name", r->name, "description", r->description,
                     "citation", r->citation, "source", r->source, "zlint",
                     zlint_array(r->zlint), "object", object_name(r->object),
                     "severity", catena_lint_result_name(r->severity),
                     "effective", (json_int_t)r->effective, "issuer",
                     (r->flags & CATENA_LINT_F_ISSUER) != 0, "state",
                     (r->flags & CATENA_LINT_F_STATE) != 0);
}

static int
list_rules(enum out_format fmt)
{
    size_t n = 0;
    const struct catena_lint_rule *rules = catena_lint_rules(&n);

    if (fmt == FMT_JSON) {
        json_t *a = json_array();
        int rc = 1;

        for (size_t i = 0; a != NULL && i < n; i++) {
            if (json_array_append_new(a, rule_json(&rules[i])) != 0) {
                goto out_json;
            }
        }
        if (a != NULL && json_dumpf(a, stdout, JSON_INDENT(2)) == 0) {
            fputc('\n', stdout);
            rc = 0;
        }
    out_json:
        json_decref(a);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        printf("%-44s %-5s %-4s %s\n    %s\n    citation: %s\n    zlint: %s\n",
               rules[i].name, catena_lint_result_name(rules[i].severity),
               object_name(rules[i].object), rules[i].source,
               rules[i].description, rules[i].citation,
               rules[i].zlint[0] != '\0' ? rules[i].zlint : "-");
    }
    printf("%zu rules\n", n);
    return 0;
}

/* detect_kind guesses what |der| holds: the PEM label if there is one,
 * otherwise which of OpenSSL's decoders accepts it. Anything else is linted
 * as a certificate, so the parse rule reports it as fatal. */
static enum catena_lint_object
detect_kind(const uint8_t *data, size_t len)
{
    const unsigned char *p;
    enum catena_lint_object kind = CATENA_LINT_OBJ_CERT;

    if (len > 11 && memmem(data, len, "-----BEGIN ", 11) != NULL) {
        if (memmem(data, len, "-----BEGIN X509 CRL-----", 24) != NULL) {
            return CATENA_LINT_OBJ_CRL;
        }
        if (memmem(data, len, "-----BEGIN OCSP RESPONSE-----", 29) != NULL) {
            return CATENA_LINT_OBJ_OCSP;
        }
        return CATENA_LINT_OBJ_CERT;
    }
    if (len > (size_t)INT32_MAX) {
        return kind;
    }
    p = data;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL) {
        X509_free(x);
        return CATENA_LINT_OBJ_CERT;
    }
    p = data;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl != NULL) {
        X509_CRL_free(crl);
        return CATENA_LINT_OBJ_CRL;
    }
    p = data;
    OCSP_RESPONSE *o = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    if (o != NULL) {
        OCSP_RESPONSE_free(o);
        return CATENA_LINT_OBJ_OCSP;
    }
    /* OpenSSL refuses some objects we still want to lint (a v1 CRL with
     * odd content, a CertificateList whose TBS is malformed): look at the
     * shape. CertificateList: its TBS's 3rd or 4th element is a time. */
    p = data;
    long l;
    int tag, cls;
    if ((ASN1_get_object(&p, &l, &tag, &cls, (long)len) & 0x80) == 0 &&
        tag == V_ASN1_SEQUENCE) {
        const unsigned char *q = p;
        if ((ASN1_get_object(&q, &l, &tag, &cls, (long)len) & 0x80) == 0) {
            if (tag == V_ASN1_ENUMERATED) {
                return CATENA_LINT_OBJ_OCSP;
            }
            if (tag == V_ASN1_SEQUENCE) {
                const unsigned char *end = q + l;
                for (int i = 0; i < 4 && q < end; i++) {
                    const unsigned char *start = q;
                    if ((ASN1_get_object(&q, &l, &tag, &cls, end - q) &
                         0x80) != 0) {
                        break;
                    }
                    if (cls == V_ASN1_UNIVERSAL &&
                        (tag == V_ASN1_UTCTIME ||
                         tag == V_ASN1_GENERALIZEDTIME) &&
                        i >= 2) {
                        return CATENA_LINT_OBJ_CRL;
                    }
                    q = start + (q - start) + l;
                }
            }
        }
    }
    return kind;
}

static int
load_issuer(const char *path, uint8_t **der, size_t *der_len)
{
    uint8_t *file = NULL;
    size_t file_len = 0;
    BIO *bio = NULL;
    X509 *x = NULL;
    unsigned char *out = NULL;
    int n;
    int rc = 1;

    if (read_capped(path, &file, &file_len) != 0) {
        goto out;
    }
    bio = BIO_new_mem_buf(file, (int)file_len);
    if (bio != NULL) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    }
    if (x == NULL) {
        const unsigned char *p = file;
        x = d2i_X509(NULL, &p, (long)file_len);
    }
    if (x == NULL || (n = i2d_X509(x, &out)) <= 0) {
        fprintf(stderr, "catena lint: %s: not a certificate\n", path);
        goto out;
    }
    *der = out;
    *der_len = (size_t)n;
    out = NULL;
    rc = 0;
out:
    OPENSSL_free(out);
    X509_free(x);
    BIO_free(bio);
    free(file);
    return rc;
}

static json_t *
report_json(const char *path, enum catena_lint_object kind,
            const struct catena_lint_report *r)
{
    json_t *results = json_array();
    json_t *obj;

    if (results == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < r->num_findings; i++) {
        const struct catena_lint_finding *f = &r->findings[i];

        if (json_array_append_new(
                results,
                json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "rule",
                          f->rule->name, "result",
                          catena_lint_result_name(f->result), "detail",
                          f->detail, "citation", f->rule->citation, "zlint",
                          zlint_array(f->rule->zlint), "source",
                          f->rule->source)) != 0) {
            json_decref(results);
            return NULL;
        }
    }
    obj = json_pack("{s:s, s:s, s:s, s:o}", "file", path, "kind",
                    object_name(kind), "worst",
                    catena_lint_result_name(r->worst), "results", results);
    return obj;
}

static void
report_text(const char *path, enum catena_lint_object kind,
            const struct catena_lint_report *r)
{
    size_t shown = 0;

    printf("%s (%s): %s\n", path, object_name(kind),
           catena_lint_result_name(r->worst));
    for (size_t i = 0; i < r->num_findings; i++) {
        const struct catena_lint_finding *f = &r->findings[i];

        if (f->result < CATENA_LINT_NOTICE) {
            continue;
        }
        shown++;
        printf("  %-6s %s%s%s\n         (%s)\n",
               catena_lint_result_name(f->result), f->rule->name,
               f->detail[0] != '\0' ? ": " : "", f->detail,
               f->rule->citation);
    }
    if (shown == 0) {
        printf("  all %zu rules pass or do not apply\n", r->num_findings);
    }
}

static enum catena_lint_profile
parse_profile(const char *s, int *ok)
{
    static const struct {
        const char *name;
        enum catena_lint_profile p;
    } map[] = {
        {"auto", CATENA_LINT_PROFILE_AUTO},
        {"tls", CATENA_LINT_PROFILE_TLS},
        {"smime", CATENA_LINT_PROFILE_SMIME},
        {"spiffe", CATENA_LINT_PROFILE_SPIFFE},
        {"private-tls", CATENA_LINT_PROFILE_PRIVATE_TLS},
        {"ocsp", CATENA_LINT_PROFILE_OCSP_SIGNER},
        {"ca", CATENA_LINT_PROFILE_CA},
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(s, map[i].name) == 0) {
            *ok = 1;
            return map[i].p;
        }
    }
    *ok = 0;
    return CATENA_LINT_PROFILE_AUTO;
}

int
catena_cmd_lint(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"issuer", required_argument, NULL, 'i'},
        {"profile", required_argument, NULL, 'p'},
        {"list", no_argument, NULL, 'l'},
        {"weak-keys", required_argument, NULL, 'w'},
        {"shard-url", required_argument, NULL, 's'},
        {"tbs", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum out_format fmt = FMT_TEXT;
    const char *issuer_path = NULL;
    const char *weak_dir = NULL;
    struct catena_lint_weak_keys *weak = NULL;
    struct catena_lint_ctx ctx;
    uint8_t *issuer = NULL;
    size_t issuer_len = 0;
    size_t emitted = 0;
    int list = 0;
    int failed = 0;
    int rc = 1;
    int ok;
    int c;

    memset(&ctx, 0, sizeof(ctx));
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") == 0) {
                fmt = FMT_TEXT;
            } else if (strcmp(optarg, "json") == 0) {
                fmt = FMT_JSON;
            } else {
                lint_usage(stderr);
                return 2;
            }
            break;
        case 'i':
            issuer_path = optarg;
            break;
        case 'p':
            ctx.profile = parse_profile(optarg, &ok);
            if (!ok) {
                lint_usage(stderr);
                return 2;
            }
            break;
        case 'l':
            list = 1;
            break;
        case 'w':
            weak_dir = optarg;
            break;
        case 's':
            ctx.shard_url = optarg;
            break;
        case 't':
            ctx.is_tbs = 1;
            break;
        case 'h':
            lint_usage(stdout);
            return 0;
        default:
            lint_usage(stderr);
            return 2;
        }
    }
    if (list) {
        return optind == argc ? list_rules(fmt) : (lint_usage(stderr), 2);
    }
    if (optind >= argc) {
        lint_usage(stderr);
        return 2;
    }
    if (weak_dir != NULL) {
        struct catena_err err;

        catena_err_clear(&err);
        if (catena_weak_keys_load(weak_dir, &weak, &err) != CATENA_OK) {
            fprintf(stderr, "catena lint: %s\n", err.msg);
            goto out;
        }
        ctx.weak_keys = weak;
    }
    if (issuer_path != NULL) {
        if (load_issuer(issuer_path, &issuer, &issuer_len) != 0) {
            goto out;
        }
        ctx.issuer_cert_der = issuer;
        ctx.issuer_cert_der_len = issuer_len;
    }
    /* JSON is streamed one report at a time as elements of one array: a
     * run over thousands of files holding every report in memory took
     * 380 MB for 3000 certificates. */
    if (fmt == FMT_JSON) {
        fputs("[\n", stdout);
    }
    for (int i = optind; i < argc; i++) {
        uint8_t *file = NULL;
        size_t file_len = 0;
        struct catena_lint_report *r = NULL;
        enum catena_lint_object kind;
        enum catena_rc lrc;

        if (read_capped(argv[i], &file, &file_len) != 0) {
            failed = 1;
            continue;
        }
        /* An unsigned TBSCertificate is what a CA lints before signing:
         * no decoder would recognise it, so --tbs says what it is. */
        kind = ctx.is_tbs ? CATENA_LINT_OBJ_CERT : detect_kind(file, file_len);
        lrc = kind == CATENA_LINT_OBJ_CRL
                  ? catena_lint_crl(file, file_len, &ctx, &r)
              : kind == CATENA_LINT_OBJ_OCSP
                  ? catena_lint_ocsp(file, file_len, &ctx, &r)
                  : catena_lint_cert(file, file_len, &ctx, &r);
        free(file);
        if (lrc != CATENA_OK) {
            fprintf(stderr, "catena lint: %s: out of memory\n", argv[i]);
            goto out;
        }
        if (r->worst >= CATENA_LINT_ERROR) {
            failed = 1;
        }
        if (fmt == FMT_JSON) {
            json_t *obj = report_json(argv[i], kind, r);

            if (obj == NULL || (emitted > 0 && fputs(",\n", stdout) == EOF) ||
                json_dumpf(obj, stdout, JSON_INDENT(2)) != 0) {
                json_decref(obj);
                catena_lint_report_free(r);
                goto out;
            }
            json_decref(obj);
            emitted++;
        } else {
            report_text(argv[i], kind, r);
        }
        catena_lint_report_free(r);
    }
    if (fmt == FMT_JSON) {
        fputs("\n]\n", stdout);
    }
    rc = failed ? 1 : 0;
out:
    OPENSSL_free(issuer);
    catena_lint_weak_keys_free(weak);
    return rc;
}
