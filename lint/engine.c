/*
 * engine.c - the public API of lint.h: the rule registry (rules.def), one
 * parse per object, then every rule of that object over the parsed view.
 * Pure: no I/O, no mutable globals; time() only when the caller gave none.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "internal.h"

#define E CATENA_LINT_ERROR
#define W CATENA_LINT_WARN
#define N CATENA_LINT_NOTICE
#define F CATENA_LINT_FATAL
#define I CATENA_LINT_F_ISSUER
#define S CATENA_LINT_F_STATE
#define IS (CATENA_LINT_F_ISSUER | CATENA_LINT_F_STATE)
#define CERT CATENA_LINT_OBJ_CERT
#define CRL CATENA_LINT_OBJ_CRL
#define OCSP CATENA_LINT_OBJ_OCSP
/* Effective dates, Unix seconds at 00:00:00 UTC. */
#define D_2023_07_15 INT64_C(1689379200)
#define D_2026_03_15 INT64_C(1773532800)
#define D_2027_03_15 INT64_C(1805068800)
#define D_2029_03_15 INT64_C(1868227200)
#define D_2023_09_01 INT64_C(1693526400)

static const struct catena_lint_rule rules[] = {
#define LINT_RULE(id, obj, name, sev, flags, eff, src, cite, zl, desc)        \
    {name, desc, cite, zl, src, obj, eff, sev, flags},
#include "rules.def"
#undef LINT_RULE
};

static const lint_check_fn checks[] = {
#define LINT_RULE(id, obj, name, sev, flags, eff, src, cite, zl, desc)        \
    lint_rule_##id,
#include "rules.def"
#undef LINT_RULE
};

#define NUM_RULES (sizeof(rules) / sizeof(rules[0]))

/* The first rule of each object is its parse rule (rules.def order). */
static const struct catena_lint_rule *
parse_rule(enum catena_lint_object obj)
{
    for (size_t i = 0; i < NUM_RULES; i++) {
        if (rules[i].object == obj && rules[i].severity == F) {
            return &rules[i];
        }
    }
    return NULL;
}

const struct catena_lint_rule *
catena_lint_rules(size_t *num_rules)
{
    *num_rules = NUM_RULES;
    return rules;
}

const char *
catena_lint_result_name(enum catena_lint_result result)
{
    static const char *const names[CATENA_LINT_RESULT__MAX] = {
        [CATENA_LINT_PASS] = "pass",     [CATENA_LINT_NA] = "NA",
        [CATENA_LINT_NE] = "NE",         [CATENA_LINT_NOTICE] = "notice",
        [CATENA_LINT_WARN] = "warn",     [CATENA_LINT_ERROR] = "error",
        [CATENA_LINT_FATAL] = "fatal",
    };

    if ((unsigned)result >= CATENA_LINT_RESULT__MAX) {
        return "unknown";
    }
    return names[result];
}

void
catena_lint_report_free(struct catena_lint_report *report)
{
    if (report == NULL) {
        return;
    }
    free(report->findings);
    free(report);
}

size_t
catena_lint_report_errors(const struct catena_lint_report *report,
                          enum catena_lint_result min, char *buf,
                          size_t buf_len)
{
    size_t count = 0;
    size_t off = 0;

    if (buf != NULL && buf_len > 0) {
        buf[0] = '\0';
    }
    if (report == NULL) {
        return 0;
    }
    for (size_t i = 0; i < report->num_findings; i++) {
        const struct catena_lint_finding *f = &report->findings[i];
        int n;

        if (f->result < min || f->result < CATENA_LINT_NOTICE) {
            continue;
        }
        count++;
        if (buf == NULL || off + 1 >= buf_len) {
            continue;
        }
        n = snprintf(buf + off, buf_len - off, "%s%s%s%s",
                     off > 0 ? "; " : "", f->rule->name,
                     f->detail[0] != '\0' ? ": " : "", f->detail);
        if (n < 0) {
            continue;
        }
        off += (size_t)n < buf_len - off ? (size_t)n : buf_len - off - 1;
    }
    return count;
}

static struct catena_lint_report *
report_new(size_t max)
{
    struct catena_lint_report *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        return NULL;
    }
    r->findings = calloc(max == 0 ? 1 : max, sizeof(*r->findings));
    if (r->findings == NULL) {
        free(r);
        return NULL;
    }
    r->worst = CATENA_LINT_PASS;
    return r;
}

static void
report_add(struct catena_lint_report *r, const struct catena_lint_rule *rule,
           enum catena_lint_result res, const char *detail)
{
    struct catena_lint_finding *f = &r->findings[r->num_findings++];

    f->rule = rule;
    f->result = res;
    /* A plain bounded copy: snprintf here was a tenth of a lint. */
    if (detail != NULL && detail[0] != '\0') {
        size_t n = strnlen(detail, sizeof(f->detail) - 1);

        memcpy(f->detail, detail, n);
        f->detail[n] = '\0';
    }
    if (res >= CATENA_LINT_NOTICE && res > r->worst) {
        r->worst = res;
    }
}

/* pem_decode turns PEM text into DER (OpenSSL's decoder over a memory BIO:
 * no I/O). Returns 1 and a buffer to OPENSSL_free, or 0 if not PEM. */
static int
pem_decode(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len)
{
    static const char begin[] = "-----BEGIN ";
    BIO *bio = NULL;
    char *name = NULL;
    char *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    int ok = 0;

    /* PEM files often carry text (openssl -text output) before the block;
     * PEM_read_bio skips it. DER never starts with a '-' byte, and a DER
     * object containing the marker still starts with 0x30. */
    if (len < sizeof(begin) || len > INT32_MAX || in[0] == 0x30 ||
        memmem(in, len, begin, sizeof(begin) - 1) == NULL) {
        return 0;
    }
    bio = BIO_new_mem_buf(in, (int)len);
    if (bio == NULL) {
        goto out;
    }
    if (PEM_read_bio(bio, &name, &header, &data, &n) != 1 || n <= 0) {
        goto out;
    }
    *der = data;
    *der_len = (size_t)n;
    data = NULL;
    ok = 1;
out:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(bio);
    return ok;
}

static void
prepare(struct lint_in *in, const struct catena_lint_ctx *ctx,
        struct lint_cert *issuer, struct lint_spki *signer)
{
    char why[8];

    memset(in, 0, sizeof(*in));
    in->ctx = ctx;
    in->is_tbs = ctx->is_tbs;
    in->now = ctx->now != 0 ? ctx->now : (int64_t)time(NULL);
    in->profile = ctx->profile;
    if (ctx->issuer_cert_der != NULL && ctx->issuer_cert_der_len > 0 &&
        lint_parse_cert(ctx->issuer_cert_der, ctx->issuer_cert_der_len, 0,
                        issuer, why, sizeof(why))) {
        in->issuer = issuer;
    }
    if (ctx->signer_spki_der != NULL && ctx->signer_spki_der_len > 0) {
        struct der w;

        der_init(&w, ctx->signer_spki_der, ctx->signer_spki_der_len);
        if (lint_parse_spki(w, signer)) {
            in->signer_spki = signer;
            in->signer_key = signer->type;
        }
    }
}

static enum catena_lint_profile
guess_profile(const struct lint_cert *c)
{
    if (c->bc != NULL && c->is_ca) {
        return CATENA_LINT_PROFILE_CA;
    }
    if (c->spiffe_uris > 0) {
        return CATENA_LINT_PROFILE_SPIFFE;
    }
    if (c->eku_ocsp) {
        return CATENA_LINT_PROFILE_OCSP_SIGNER;
    }
    if (c->eku_server) {
        return CATENA_LINT_PROFILE_TLS;
    }
    if (c->eku_email) {
        return CATENA_LINT_PROFILE_SMIME;
    }
    /* No telling EKU: an S/MIME BR policy OID (SBR 7.1.6.1) says the
     * issuer claims that profile. (The TLS BR OIDs are not used the same
     * way: CA and test certificates carry them without being TLS leaves,
     * and judging those as TLS leaves disagreed with zlint far more.) */
    {
        static const uint8_t smime_br[] = {0x67, 0x81, 0x0c, 0x01, 0x05};
        struct der oids[8];
        int ok = 0;
        size_t n = lint_policies(c->cp, oids, 8, &ok);

        for (size_t i = 0; i < n && i < 8; i++) {
            if (lint_oid_prefix(&oids[i], smime_br, sizeof(smime_br))) {
                return CATENA_LINT_PROFILE_SMIME;
            }
        }
    }
    /* No EKU at all means any purpose (RFC 5280 4.2.1.12): with a TLS BR
     * policy OID the certificate claims the TLS BR. */
    if (c->eku == NULL) {
        static const uint8_t tls_br[] = {0x67, 0x81, 0x0c, 0x01, 0x02};
        struct der oids[8];
        int ok = 0;
        size_t n = lint_policies(c->cp, oids, 8, &ok);

        for (size_t i = 0; i < n && i < 8; i++) {
            if (lint_oid_prefix(&oids[i], tls_br, sizeof(tls_br))) {
                return CATENA_LINT_PROFILE_TLS;
            }
        }
    }
    return CATENA_LINT_PROFILE_AUTO; /* unknown: profile rules answer NA */
}

static void
run_rules(struct catena_lint_report *r, enum catena_lint_object obj,
          const struct lint_in *in)
{
    char detail[sizeof(r->findings[0].detail)];

    for (size_t i = 0; i < NUM_RULES; i++) {
        enum catena_lint_result res;

        if (rules[i].object != obj || rules[i].severity == F) {
            continue;
        }
        detail[0] = '\0';
        if (rules[i].effective != 0 && in->when < rules[i].effective) {
            res = CATENA_LINT_NE;
        } else {
            res = checks[i](in, detail, sizeof(detail));
        }
        report_add(r, &rules[i], res, detail);
    }
}

static size_t
count_rules(enum catena_lint_object obj)
{
    size_t n = 0;

    for (size_t i = 0; i < NUM_RULES; i++) {
        n += rules[i].object == obj;
    }
    return n;
}

static const struct catena_lint_ctx zero_ctx;

enum catena_rc
catena_lint_cert(const uint8_t *der, size_t der_len,
                 const struct catena_lint_ctx *ctx,
                 struct catena_lint_report **out)
{
    struct lint_cert *c = NULL;
    struct lint_cert *issuer = NULL;
    struct lint_spki signer;
    struct lint_in in;
    struct catena_lint_report *r = NULL;
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    char why[120];
    enum catena_rc rc = CATENA_ERR_NOMEM;

    *out = NULL;
    if (ctx == NULL) {
        ctx = &zero_ctx;
    }
    /* The parsed views are large (extension tables): keep them off the
     * signer's stack. */
    c = malloc(sizeof(*c));
    issuer = malloc(sizeof(*issuer));
    r = report_new(count_rules(CATENA_LINT_OBJ_CERT));
    if (c == NULL || issuer == NULL || r == NULL) {
        goto out;
    }
    if (!ctx->is_tbs && der != NULL && pem_decode(der, der_len, &pem, &pem_len)) {
        der = pem;
        der_len = pem_len;
    }
    if (der == NULL || !lint_parse_cert(der, der_len, ctx->is_tbs, c, why,
                                        sizeof(why))) {
        report_add(r, parse_rule(CATENA_LINT_OBJ_CERT), CATENA_LINT_FATAL,
                   der == NULL ? "no input" : why);
        rc = CATENA_OK;
        goto out;
    }
    report_add(r, parse_rule(CATENA_LINT_OBJ_CERT), CATENA_LINT_PASS, NULL);
    prepare(&in, ctx, issuer, &signer);
    in.cert = c;
    in.when = in.is_tbs ? in.now : c->not_before.t;
    if (in.profile == CATENA_LINT_PROFILE_AUTO) {
        in.profile = guess_profile(c);
    }
    run_rules(r, CATENA_LINT_OBJ_CERT, &in);
    rc = CATENA_OK;
out:
    OPENSSL_free(pem);
    free(c);
    free(issuer);
    if (rc != CATENA_OK) {
        catena_lint_report_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

enum catena_rc
catena_lint_crl(const uint8_t *der, size_t der_len,
                const struct catena_lint_ctx *ctx,
                struct catena_lint_report **out)
{
    struct lint_crl *c = NULL;
    struct lint_cert *issuer = NULL;
    struct lint_spki signer;
    struct lint_in in;
    struct catena_lint_report *r = NULL;
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    int was_pem = 0;
    int parsed;
    char why[120];
    enum catena_rc rc = CATENA_ERR_NOMEM;

    *out = NULL;
    if (ctx == NULL) {
        ctx = &zero_ctx;
    }
    c = calloc(1, sizeof(*c)); /* entries NULL until parsed */
    issuer = malloc(sizeof(*issuer));
    r = report_new(count_rules(CATENA_LINT_OBJ_CRL));
    if (c == NULL || issuer == NULL || r == NULL) {
        goto out;
    }
    /* A PEM CRL is linted for its content, but C2 reports that the bytes
     * are not what a relying party downloading a CRL expects. */
    if (!ctx->is_tbs && der != NULL && pem_decode(der, der_len, &pem, &pem_len)) {
        der = pem;
        der_len = pem_len;
        was_pem = 1;
    }
    parsed = der == NULL ? 0
                         : lint_parse_crl(der, der_len, ctx->is_tbs, c, why,
                                          sizeof(why));
    if (parsed < 0) {
        goto out; /* CATENA_ERR_NOMEM */
    }
    if (parsed == 0) {
        report_add(r, parse_rule(CATENA_LINT_OBJ_CRL), CATENA_LINT_FATAL,
                   der == NULL ? "no input" : why);
        rc = CATENA_OK;
        goto out;
    }
    c->was_pem = was_pem;
    report_add(r, parse_rule(CATENA_LINT_OBJ_CRL), CATENA_LINT_PASS, NULL);
    prepare(&in, ctx, issuer, &signer);
    in.crl = c;
    in.when = in.is_tbs ? in.now : c->this_update.t;
    run_rules(r, CATENA_LINT_OBJ_CRL, &in);
    rc = CATENA_OK;
out:
    OPENSSL_free(pem);
    if (c != NULL) {
        lint_crl_release(c);
    }
    free(c);
    free(issuer);
    if (rc != CATENA_OK) {
        catena_lint_report_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

enum catena_rc
catena_lint_ocsp(const uint8_t *der, size_t der_len,
                 const struct catena_lint_ctx *ctx,
                 struct catena_lint_report **out)
{
    struct lint_ocsp *o = NULL;
    struct lint_cert *issuer = NULL;
    struct lint_spki signer;
    struct lint_in in;
    struct catena_lint_report *r = NULL;
    char why[120];
    enum catena_rc rc = CATENA_ERR_NOMEM;

    *out = NULL;
    if (ctx == NULL) {
        ctx = &zero_ctx;
    }
    o = malloc(sizeof(*o));
    issuer = malloc(sizeof(*issuer));
    r = report_new(count_rules(CATENA_LINT_OBJ_OCSP));
    if (o == NULL || issuer == NULL || r == NULL) {
        goto out;
    }
    if (der == NULL || !lint_parse_ocsp(der, der_len, ctx->is_tbs, o, why,
                                        sizeof(why))) {
        report_add(r, parse_rule(CATENA_LINT_OBJ_OCSP), CATENA_LINT_FATAL,
                   der == NULL ? "no input" : why);
        rc = CATENA_OK;
        goto out;
    }
    report_add(r, parse_rule(CATENA_LINT_OBJ_OCSP), CATENA_LINT_PASS, NULL);
    prepare(&in, ctx, issuer, &signer);
    in.ocsp = o;
    in.when = in.is_tbs ? in.now : o->produced_at.t;
    run_rules(r, CATENA_LINT_OBJ_OCSP, &in);
    rc = CATENA_OK;
out:
    free(o);
    free(issuer);
    if (rc != CATENA_OK) {
        catena_lint_report_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}
