/*
 * rules_crl.c - section C of LINT-RULES.md: every CRL we sign, and any CRL
 * given to "catena lint".
 */
#include <string.h>

#include "internal.h"

#define PASS CATENA_LINT_PASS
#define NA CATENA_LINT_NA
#define NE CATENA_LINT_NE
#define WARN CATENA_LINT_WARN
#define ERR CATENA_LINT_ERROR

enum catena_lint_result
lint_rule_crl_parse(const struct lint_in *in, char *detail, size_t len)
{
    /* Reached only once the parse has succeeded (engine.c). */
    (void)in;
    (void)detail;
    (void)len;
    return PASS;
}

enum catena_lint_result
lint_rule_c1(const struct lint_in *in, char *d, size_t n)
{
    if (in->crl->version != 1) {
        return lint_detail(d, n, ERR, "CRL version is %s",
                           in->crl->version < 0 ? "absent (v1)" : "not v2");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c2(const struct lint_in *in, char *d, size_t n)
{
    if (in->is_tbs) {
        return NA;
    }
    if (in->crl->was_pem) {
        return lint_detail(d, n, ERR, "the CRL is PEM text, not DER");
    }
    if (in->crl->trailing) {
        return lint_detail(d, n, ERR, "bytes follow the CertificateList");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c12(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_ext *e = in->crl->number;
    struct der v;
    struct der num;

    if (e == NULL) {
        return lint_detail(d, n, ERR, "cRLNumber is missing");
    }
    if (e->critical) {
        return lint_detail(d, n, ERR, "cRLNumber is critical");
    }
    v = e->value;
    if (!der_get(&v, DER_INTEGER, &num) || v.len != 0 ||
        !der_int_minimal(&num)) {
        return lint_detail(d, n, ERR, "cRLNumber is not a DER INTEGER");
    }
    if ((num.p[0] & 0x80u) != 0) {
        return lint_detail(d, n, ERR, "cRLNumber is negative");
    }
    /* < 2^159: at most 20 octets, and a 20th octet only as sign padding. */
    if (num.len > 20 || (num.len == 20 && num.p[0] != 0)) {
        return lint_detail(d, n, ERR, "cRLNumber is 2^159 or more");
    }
    return PASS;
}

/* aki_key_id extracts the keyIdentifier of an AKI value; returns 1 if the
 * AKI holds only a keyIdentifier. */
static int
aki_key_id_only(const struct der *value, struct der *kid, int *has_kid)
{
    struct der d = *value;
    struct der seq;
    int present;

    *has_kid = 0;
    if (!der_get(&d, DER_SEQUENCE, &seq) || d.len != 0 ||
        !der_get_optional(&seq, DER_CTX(0), kid, &present)) {
        return 0;
    }
    *has_kid = present;
    return seq.len == 0;
}

enum catena_lint_result
lint_rule_c14(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_ext *e = in->crl->aki;
    struct der kid;
    int has_kid;

    if (e == NULL) {
        return lint_detail(d, n, ERR, "authorityKeyIdentifier is missing");
    }
    if (e->critical) {
        return lint_detail(d, n, ERR, "authorityKeyIdentifier is critical");
    }
    if (!aki_key_id_only(&e->value, &kid, &has_kid) || !has_kid) {
        return lint_detail(d, n, ERR, "AKI is not a keyIdentifier alone");
    }
    if (in->issuer != NULL) {
        const struct lint_ext *ski = in->issuer->ski;
        struct der v;
        struct der id;

        if (ski == NULL) {
            return lint_detail(d, n, ERR, "the issuer has no SKI to match");
        }
        v = ski->value;
        if (!der_get(&v, DER_OCTET_STRING, &id) || !der_eq(&id, &kid)) {
            return lint_detail(d, n, ERR, "AKI differs from the issuer SKI");
        }
    }
    return PASS;
}

/* entry_reason reads an entry's reasonCode: 1 with |*code| and |*critical|
 * when present, 0 when absent, -1 when malformed. */
static int
entry_reason(const struct lint_crl_entry *e, int64_t *code, int *critical)
{
    struct lint_ext exts[16];
    size_t num = 0;
    const struct lint_ext *r;
    struct der v;
    struct der x;

    if (!e->exts_encoded) {
        return 0;
    }
    if (!lint_parse_exts(e->exts, exts, 16, &num)) {
        return -1;
    }
    r = lint_ext_find(exts, num, lint_oid_reason, 3);
    if (r == NULL) {
        return 0;
    }
    v = r->value;
    if (!der_get(&v, DER_ENUMERATED, &x) || v.len != 0 ||
        !der_int_small(&x, code)) {
        return -1;
    }
    *critical = r->critical;
    return 1;
}

enum catena_lint_result
lint_rule_c20(const struct lint_in *in, char *d, size_t n)
{
    struct der it = in->crl->revoked;
    struct lint_crl_entry e;
    size_t idx = 0;

    if (!in->crl->revoked_encoded) {
        return NA;
    }
    while (lint_crl_next_entry(&it, &e) == 1) {
        int64_t code = 0;
        int crit = 0;
        int r = entry_reason(&e, &code, &crit);

        if (r < 0) {
            return lint_detail(d, n, ERR, "entry %zu: malformed reasonCode",
                               idx);
        }
        if (r == 1 && (code < 0 || code > 10 || code == 7)) {
            return lint_detail(d, n, ERR,
                               "entry %zu: reasonCode %lld is not a CRLReason",
                               idx, (long long)code);
        }
        if (r == 1 && crit) {
            return lint_detail(d, n, ERR, "entry %zu: reasonCode is critical",
                               idx);
        }
        idx++;
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c21(const struct lint_in *in, char *d, size_t n)
{
    struct der it = in->crl->revoked;
    struct lint_crl_entry e;
    size_t idx = 0;

    if (!in->crl->revoked_encoded) {
        return NA;
    }
    while (lint_crl_next_entry(&it, &e) == 1) {
        int64_t code = 0;
        int crit = 0;

        if (entry_reason(&e, &code, &crit) == 1) {
            /* cACompromise (2) is allowed for CA entries (pkilint's ARL
             * rule); a CRL cannot tell us the entry's kind, so 2 passes. */
            if (code != 1 && code != 2 && code != 3 && code != 4 &&
                code != 5 && code != 9) {
                return lint_detail(d, n, ERR,
                                   "entry %zu: reasonCode %lld is not allowed "
                                   "(%s)",
                                   idx, (long long)code,
                                   code == 0 ? "omit it instead of unspecified"
                                             : "BR 7.2.2");
            }
        }
        idx++;
    }
    return PASS;
}
