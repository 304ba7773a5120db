/*
 * rules_rfc5280.c - section A of LINT-RULES.md: structure, encoding,
 * signature, names and validity of every certificate (RFC 5280 and the
 * parts of the BRs that restate it).
 */
#include <string.h>

#include "internal.h"

#define PASS CATENA_LINT_PASS
#define NA CATENA_LINT_NA
#define NE CATENA_LINT_NE
#define WARN CATENA_LINT_WARN
#define ERR CATENA_LINT_ERROR

enum catena_lint_result
lint_rule_cert_parse(const struct lint_in *in, char *detail, size_t len)
{
    /* Reached only once the parse has succeeded (engine.c). */
    (void)in;
    (void)detail;
    (void)len;
    return PASS;
}

enum catena_lint_result
lint_rule_a1(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    if (!c->version_encoded || c->version != 2) {
        return lint_detail(d, n, ERR, "version is v%lld, not v3",
                           (long long)(c->version + 1));
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a3(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    if (in->is_tbs) {
        return NA;
    }
    if (!der_eq(&c->outer_sigalg, &c->sigalg)) {
        return lint_detail(d, n, ERR,
                           "signatureAlgorithm differs from the TBS signature");
    }
    return PASS;
}

/* signer_type: the key that signs, from the best source we were given. */
static enum lint_key
signer_type(const struct lint_in *in)
{
    if (in->signer_key != LINT_KEY_NONE) {
        return in->signer_key;
    }
    if (in->issuer != NULL) {
        return in->issuer->spki.type;
    }
    if (in->cert != NULL && in->cert->self_issued) {
        return in->cert->spki.type;
    }
    return LINT_KEY_NONE;
}

enum catena_lint_result
lint_rule_a5(const struct lint_in *in, char *d, size_t n)
{
    enum lint_key k = signer_type(in);
    enum lint_sig s = lint_sig_classify(&in->cert->sigalg);

    if (k == LINT_KEY_NONE) {
        return NE;
    }
    if (!lint_sig_fits_key(s, k)) {
        return lint_detail(d, n, ERR,
                           "signature algorithm does not fit the %s issuer key",
                           lint_key_name(k));
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a7(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    if (c->issuer.len <= 2) {
        return lint_detail(d, n, ERR, "issuer DN is empty");
    }
    if (in->issuer == NULL) {
        return NE;
    }
    if (!der_eq(&c->issuer, &in->issuer->subject)) {
        return lint_detail(d, n, ERR,
                           "issuer DN is not byte-identical to the CA subject");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a8(const struct lint_in *in, char *d, size_t n)
{
    const struct der *s = &in->cert->serial;
    size_t octets = s->len;

    if (!der_int_minimal(s)) {
        return lint_detail(d, n, ERR, "serial not minimally encoded");
    }
    if ((s->p[0] & 0x80u) != 0) {
        return lint_detail(d, n, ERR, "serial is negative");
    }
    if (s->len == 1 && s->p[0] == 0) {
        return lint_detail(d, n, ERR, "serial is zero");
    }
    if (octets > 20) {
        return lint_detail(d, n, ERR, "serial is %zu octets (max 20)", octets);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a11(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    int64_t inclusive;

    if (!c->not_before.ok || !c->not_after.ok) {
        return lint_detail(d, n, ERR, "validity times cannot be read");
    }
    if (c->not_after.t < c->not_before.t) {
        return lint_detail(d, n, ERR, "notAfter is before notBefore");
    }
    inclusive = c->not_after.t - c->not_before.t + 1;
    if (in->ctx->max_validity_seconds > 0 &&
        inclusive > in->ctx->max_validity_seconds) {
        return lint_detail(d, n, ERR,
                           "validity is %lld s inclusive, profile maximum %lld s",
                           (long long)inclusive,
                           (long long)in->ctx->max_validity_seconds);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a2(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    char why[96];
    const struct der *top = in->is_tbs ? &c->tbs : &c->whole;

    /* Every TLV header is re-encoded minimally and compared, primitives
     * are checked against their DER form, and SET OF order is checked. */
    if (!der_strict(top->p, top->len, why, sizeof(why))) {
        return lint_detail(d, n, ERR, "not DER: %s", why);
    }
    for (size_t i = 0; i < c->num_exts; i++) {
        const struct lint_ext *e = &c->exts[i];
        char oid[48];

        if (e->crit_encoded && !e->critical) {
            der_oid_text(&e->oid, oid, sizeof(oid));
            return lint_detail(d, n, ERR,
                               "extension %s encodes critical FALSE (DEFAULT)",
                               oid);
        }
        if (!der_strict(e->value.p, e->value.len, why, sizeof(why))) {
            der_oid_text(&e->oid, oid, sizeof(oid));
            return lint_detail(d, n, ERR, "extension %s not DER: %s", oid, why);
        }
    }
    if (c->version_encoded && c->version == 0) {
        return lint_detail(d, n, ERR, "version v1 encoded (DEFAULT)");
    }
    if (c->bc != NULL) {
        struct der v = c->bc->value;
        struct der seq;

        if (der_get(&v, DER_SEQUENCE, &seq) && der_peek(&seq) == DER_BOOLEAN &&
            !c->is_ca) {
            return lint_detail(d, n, ERR, "basicConstraints encodes cA FALSE");
        }
    }
    if (c->spki.type == LINT_KEY_RSA &&
        !der_strict(c->spki.key.p, c->spki.key.len, why, sizeof(why))) {
        return lint_detail(d, n, ERR, "RSA public key not DER: %s", why);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a4(const struct lint_in *in, char *d, size_t n)
{
    switch (lint_sig_classify(&in->cert->sigalg)) {
    case LINT_SIG_WEAK:
        return lint_detail(d, n, ERR, "MD5 or SHA-1 signature algorithm");
    case LINT_SIG_LOOSE:
        return lint_detail(d, n, ERR,
                           "algorithm allowed but its encoding is not the "
                           "exact one BR 7.1.3.2 gives");
    case LINT_SIG_UNKNOWN:
        return lint_detail(d, n, ERR, "signature algorithm not allowed");
    default:
        return PASS;
    }
}

/* signer_spki_of: the SPKI whose key signed the certificate. */
static const struct lint_spki *
signer_spki_of(const struct lint_in *in)
{
    if (in->signer_spki != NULL) {
        return in->signer_spki;
    }
    if (in->issuer != NULL) {
        return &in->issuer->spki;
    }
    if (in->cert->self_issued) {
        return &in->cert->spki;
    }
    return NULL;
}

enum catena_lint_result
lint_rule_a6(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_spki *k = signer_spki_of(in);
    int r;

    if (in->is_tbs) {
        return NA; /* the signer verifies after signing */
    }
    if (k == NULL) {
        return NE;
    }
    r = lint_verify(&k->whole, &in->cert->outer_sigalg, &in->cert->tbs,
                    &in->cert->sig);
    if (r == 1) {
        return PASS;
    }
    if (r < 0 && !in->cert->self_issued && in->issuer == NULL &&
        in->signer_spki == NULL) {
        return NE;
    }
    return lint_detail(d, n, ERR, "%s",
                       r < 0 ? "signature algorithm or key unsupported"
                             : "signature does not verify with the issuer key");
}

enum catena_lint_result
lint_rule_a9(const struct lint_in *in, char *d, size_t n)
{
    const struct der *s = &in->cert->serial;

    if (in->ctx->serial_is_duplicate) {
        return lint_detail(d, n, ERR, "serial already used by this issuer");
    }
    /* A positive INTEGER of 8 content octets holds at most 63 bits: it
     * cannot carry the 64 CSPRNG bits BR 7.1 requires. */
    if (s->len <= 8) {
        return lint_detail(d, n, ERR,
                           "serial has %zu octets: fewer than 64 random bits",
                           s->len);
    }
    return PASS;
}

static const char *
time_problem(const struct lint_time *t)
{
    int gen;
    int64_t y2050 = INT64_C(2524608000);

    if (!t->ok) {
        return "not a UTC time with Z";
    }
    if (!t->strict) {
        return "missing seconds or has fractions";
    }
    gen = t->raw.p[0] == DER_GENERALIZEDTIME;
    if (t->t < y2050 && gen) {
        return "GeneralizedTime before 2050";
    }
    if (t->t >= y2050 && !gen) {
        return "UTCTime from 2050";
    }
    return NULL;
}

enum catena_lint_result
lint_rule_a10(const struct lint_in *in, char *d, size_t n)
{
    const char *w;

    if ((w = time_problem(&in->cert->not_before)) != NULL) {
        return lint_detail(d, n, ERR, "notBefore: %s", w);
    }
    if ((w = time_problem(&in->cert->not_after)) != NULL) {
        return lint_detail(d, n, ERR, "notAfter: %s", w);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a12(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    int64_t max_back = c->is_ca ? 86400 : 48 * 3600;

    if (!in->is_tbs) {
        return NE; /* the signing time is known only before signing */
    }
    /* A minute of clock skew between the core and the signer is fine. */
    if (c->not_before.t > in->now + 60) {
        return lint_detail(d, n, ERR, "notBefore is in the future");
    }
    if (in->now - c->not_before.t > max_back) {
        return lint_detail(d, n, ERR, "notBefore backdated more than %lld h",
                           (long long)(max_back / 3600));
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a13(const struct lint_in *in, char *d, size_t n)
{
    if (in->issuer == NULL) {
        return in->cert->self_issued ? NA : NE;
    }
    if (in->cert->not_after.t > in->issuer->not_after.t) {
        return lint_detail(d, n, WARN, "notAfter is after the issuer's");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a14(const struct lint_in *in, char *d, size_t n)
{
    if (in->cert->issuer_uid || in->cert->subject_uid) {
        return lint_detail(d, n, ERR, "issuerUniqueID or subjectUniqueID");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a15(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    const uint8_t *seq_exts[] = {lint_oid_san, lint_oid_ian, lint_oid_eku,
                                 lint_oid_cp, lint_oid_cdp, lint_oid_freshest,
                                 lint_oid_pm, lint_oid_sda};

    if (lint_ext_dups(c->exts, c->num_exts)) {
        return lint_detail(d, n, ERR, "duplicate extension");
    }
    if (c->exts_encoded && c->num_exts == 0) {
        return lint_detail(d, n, ERR, "empty extensions SEQUENCE");
    }
    for (size_t i = 0; i < c->num_exts; i++) {
        const struct lint_ext *e = &c->exts[i];
        int seq = DER_OID_IS(&e->oid, lint_oid_aia) ||
                  DER_OID_IS(&e->oid, lint_oid_sia);

        for (size_t k = 0; k < sizeof(seq_exts) / sizeof(seq_exts[0]); k++) {
            seq |= der_oid_is(&e->oid, seq_exts[k], 3);
        }
        if (seq && e->value.len == 2 && e->value.p[0] == DER_SEQUENCE &&
            e->value.p[1] == 0) {
            char oid[48];

            der_oid_text(&e->oid, oid, sizeof(oid));
            return lint_detail(d, n, ERR, "extension %s is an empty SEQUENCE",
                               oid);
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a16(const struct lint_in *in, char *d, size_t n)
{
    static const uint8_t adobe[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x2f,
                                    0x01, 0x01, 0x09};
    static const uint8_t le[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82,
                                 0xb7, 0x2a};
    const struct lint_cert *c = in->cert;

    for (size_t i = 0; i < c->num_exts; i++) {
        const struct lint_ext *e = &c->exts[i];
        const struct der *o = &e->oid;
        int ce = o->len == 3 && o->p[0] == 0x55 && o->p[1] == 0x1d;
        int known = ce || DER_OID_IS(o, lint_oid_aia) ||
                    DER_OID_IS(o, lint_oid_sia) || DER_OID_IS(o, lint_oid_qc) ||
                    DER_OID_IS(o, lint_oid_poison) ||
                    DER_OID_IS(o, lint_oid_sct) ||
                    DER_OID_IS(o, lint_oid_nocheck) ||
                    lint_oid_prefix(o, adobe, sizeof(adobe)) ||
                    lint_oid_prefix(o, le, sizeof(le));
        char oid[48];

        /* The OID text only for the detail of a failure: formatting it for
         * every extension was a fifth of a whole lint. */
        if (!known) {
            der_oid_text(o, oid, sizeof(oid));
            return lint_detail(d, n, ERR, "unknown extension %s", oid);
        }
        /* RFC 5280/6962: these MUST be non-critical (poison MUST be). */
        if (e->critical &&
            (e == c->aki || e == c->ski || e == c->aia || e == c->sia ||
             e == c->sct)) {
            der_oid_text(o, oid, sizeof(oid));
            return lint_detail(d, n, ERR, "extension %s must not be critical",
                               oid);
        }
        if (e == c->poison && !e->critical) {
            return lint_detail(d, n, ERR, "CT poison must be critical");
        }
        if (e == c->nc && !c->is_ca) {
            return lint_detail(d, n, ERR, "nameConstraints outside a CA");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a17(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der kid;
    int has_kid;

    if (c->aki == NULL) {
        if (c->self_issued) {
            return PASS; /* a root may omit it */
        }
        return lint_detail(d, n, ERR, "authorityKeyIdentifier is missing");
    }
    if (c->aki->critical) {
        return lint_detail(d, n, ERR, "authorityKeyIdentifier is critical");
    }
    if (!lint_aki_kid(&c->aki->value, &kid, &has_kid) || !has_kid) {
        return lint_detail(d, n, ERR, "AKI is not a keyIdentifier alone");
    }
    if (in->issuer != NULL) {
        struct der v;
        struct der id;

        if (in->issuer->ski == NULL) {
            return lint_detail(d, n, ERR, "the issuer has no SKI");
        }
        v = in->issuer->ski->value;
        if (!der_get(&v, DER_OCTET_STRING, &id) || !der_eq(&id, &kid)) {
            return lint_detail(d, n, ERR, "AKI differs from the issuer SKI");
        }
    } else if (c->self_issued) {
        if (!lint_ski_matches(&kid, &c->spki)) {
            return lint_detail(d, n, ERR, "self-issued AKI not of its own key");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a18(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der v;
    struct der id;

    if (c->ski == NULL) {
        if (c->is_ca) {
            return lint_detail(d, n, ERR, "CA certificate without SKI");
        }
        return PASS;
    }
    if (c->ski->critical) {
        return lint_detail(d, n, ERR, "subjectKeyIdentifier is critical");
    }
    v = c->ski->value;
    if (!der_get(&v, DER_OCTET_STRING, &id) || v.len != 0 || id.len == 0) {
        return lint_detail(d, n, ERR, "SKI is not an OCTET STRING");
    }
    if (!lint_ski_matches(&id, &c->spki)) {
        return lint_detail(d, n, ERR,
                           "SKI is not derived from the key (RFC 5280/7093)");
    }
    if (!c->is_ca && in->profile == CATENA_LINT_PROFILE_TLS) {
        return lint_detail(d, n, WARN,
                           "SKI is NOT RECOMMENDED in TLS subscriber "
                           "certificates (BR 7.1.2.7.6)");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a19(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der v;
    struct der bits;

    if (c->ku == NULL) {
        return NA;
    }
    v = c->ku->value;
    if (!c->ku_ok || !der_get(&v, DER_BIT_STRING, &bits)) {
        return lint_detail(d, n, ERR, "keyUsage is not a BIT STRING of 9 bits");
    }
    if (c->ku_bits == 0) {
        return lint_detail(d, n, ERR, "keyUsage has no bit set");
    }
    /* DER named bit list: no trailing zero bits, so the last octet's
     * lowest set bit sits exactly at the unused-bit count. */
    if (bits.len < 2 || bits.p[bits.len - 1] == 0 ||
        (bits.p[bits.len - 1] & (1u << bits.p[0])) == 0) {
        return lint_detail(d, n, ERR, "keyUsage BIT STRING not minimal DER");
    }
    if (c->ku_bits >> 9) {
        return lint_detail(d, n, ERR, "keyUsage sets undefined bits");
    }
    if (!c->ku->critical) {
        if (c->is_ca || in->profile == CATENA_LINT_PROFILE_SPIFFE) {
            return lint_detail(d, n, ERR, "keyUsage is not critical");
        }
        return lint_detail(d, n, WARN, "keyUsage is not critical");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a20(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    unsigned ku = c->ku_bits;

    if (c->ku == NULL) {
        return NA;
    }
    switch (c->spki.type) {
    case LINT_KEY_RSA:
    case LINT_KEY_RSA_PSS:
        if (ku & (KU_KA | KU_EO | KU_DO)) {
            return lint_detail(d, n, ERR, "keyAgreement on an RSA key");
        }
        break;
    case LINT_KEY_P256:
    case LINT_KEY_P384:
    case LINT_KEY_P521:
    case LINT_KEY_EC_OTHER:
    case LINT_KEY_EC_EXPLICIT:
        if (ku & (KU_KE | KU_DE)) {
            return lint_detail(d, n, ERR, "key/dataEncipherment on an EC key");
        }
        if ((ku & (KU_EO | KU_DO)) && !(ku & KU_KA)) {
            return lint_detail(d, n, ERR,
                               "encipherOnly/decipherOnly without keyAgreement");
        }
        break;
    case LINT_KEY_ED25519:
    case LINT_KEY_ED448:
        if (ku & ~(KU_DS | KU_NR | KU_CS | KU_CRL)) {
            return lint_detail(d, n, ERR, "EdDSA key with non-signature bits");
        }
        break;
    default:
        break;
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a21(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    if (!c->bc_ok) {
        return lint_detail(d, n, ERR, "basicConstraints is malformed");
    }
    if (c->ku != NULL && (c->ku_bits & KU_CS) && !c->is_ca) {
        return lint_detail(d, n, ERR, "keyCertSign without cA TRUE");
    }
    if (c->path_len == -2) {
        return lint_detail(d, n, ERR, "pathLenConstraint negative or huge");
    }
    if (c->path_len >= 0 &&
        (!c->is_ca || (c->ku != NULL && !(c->ku_bits & KU_CS)))) {
        return lint_detail(d, n, ERR,
                           "pathLenConstraint without cA and keyCertSign");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a22(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    unsigned ku = c->ku_bits;

    /* In a CA certificate the EKU constrains what the CA may issue
     * (BR 7.1.2.10.6), not what its own key does, so the RFC 5280
     * 4.2.1.12 consistency applies to end-entity certificates only. */
    if (c->ku == NULL || c->eku == NULL || c->is_ca) {
        return NA;
    }
    if (c->eku_server && !(ku & (KU_DS | KU_KE | KU_KA))) {
        return lint_detail(d, n, ERR, "serverAuth without DS, KE or KA");
    }
    if (c->eku_client && !(ku & (KU_DS | KU_KA))) {
        return lint_detail(d, n, ERR, "clientAuth without DS or KA");
    }
    if (c->eku_code && !(ku & KU_DS)) {
        return lint_detail(d, n, ERR, "codeSigning without DS");
    }
    if (c->eku_email && !(ku & (KU_DS | KU_NR | KU_KE | KU_KA))) {
        return lint_detail(d, n, ERR, "emailProtection without DS/NR/KE/KA");
    }
    if ((c->eku_ocsp || c->eku_time) && !(ku & (KU_DS | KU_NR))) {
        return lint_detail(d, n, ERR, "OCSPSigning/timeStamping without DS/NR");
    }
    return PASS;
}

/* upper bound of an attribute (X.520 / RFC 5280 App. A), 0 = none. */
static size_t
attr_max(const struct der *oid)
{
    if (oid->len == 3 && oid->p[0] == 0x55 && oid->p[1] == 0x04) {
        switch (oid->p[2]) {
        case 0x03: case 0x0a: case 0x0b: case 0x05: return 64;
        case 0x07: case 0x08: case 0x09: return 128;
        case 0x06: return 2;
        case 0x11: return 40;
        case 0x2a: case 0x04: case 0x2b: return 32768;
        default: return 0;
        }
    }
    if (DER_OID_IS(oid, lint_oid_email)) {
        return 255;
    }
    return 0;
}

static int
printable_ok(const struct der *v)
{
    for (size_t i = 0; i < v->len; i++) {
        uint8_t ch = v->p[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || strchr(" '()+,-./:=?", ch) != NULL) ||
            ch == 0) {
            return 0;
        }
    }
    return 1;
}

/* utf8_chars counts code points; -1 if not valid UTF-8. */
static long
utf8_chars(const struct der *v)
{
    long count = 0;

    for (size_t i = 0; i < v->len; count++) {
        uint8_t ch = v->p[i];
        size_t k = ch < 0x80 ? 1 : (ch & 0xe0u) == 0xc0 ? 2
                               : (ch & 0xf0u) == 0xe0 ? 3
                               : (ch & 0xf8u) == 0xf0 ? 4 : 0;

        if (k == 0 || i + k > v->len || (k == 2 && ch < 0xc2)) {
            return -1;
        }
        for (size_t j = 1; j < k; j++) {
            if ((v->p[i + j] & 0xc0u) != 0x80) {
                return -1;
            }
        }
        i += k;
    }
    return count;
}

static enum catena_lint_result
dn_values(const struct der *name, const char *which, char *d, size_t n)
{
    static const uint8_t dc[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2,
                                 0x2c, 0x64, 0x01, 0x19};
    struct lint_name_it it;
    struct lint_atv a;
    int r;

    lint_name_begin(&it, name);
    while ((r = lint_name_next(&it, &a)) == 1) {
        size_t max = attr_max(&a.oid);
        long chars = (long)a.value.len;
        int is_c = DER_OID_IS(&a.oid, lint_oid_c);
        int ia5_ok = DER_OID_IS(&a.oid, lint_oid_email) || DER_OID_IS(&a.oid, dc);

        if (is_c) {
            if (a.tag != DER_PRINTABLESTRING) {
                return lint_detail(d, n, ERR, "%s countryName not PrintableString", which);
            }
            if (a.value.len != 2 || a.value.p[0] < 'A' || a.value.p[0] > 'Z' ||
                a.value.p[1] < 'A' || a.value.p[1] > 'Z') {
                return lint_detail(d, n, ERR, "%s countryName not an upper-case ISO 3166 code", which);
            }
        }
        if (a.tag == DER_PRINTABLESTRING && !printable_ok(&a.value)) {
            return lint_detail(d, n, ERR, "%s PrintableString with a bad character", which);
        }
        if (a.tag == DER_UTF8STRING && (chars = utf8_chars(&a.value)) < 0) {
            return lint_detail(d, n, ERR, "%s UTF8String not valid UTF-8", which);
        }
        if (a.tag != DER_UTF8STRING && a.tag != DER_PRINTABLESTRING &&
            !(ia5_ok && a.tag == DER_IA5STRING)) {
            return lint_detail(d, n, ERR, "%s attribute string type 0x%02x not UTF8String/PrintableString", which, a.tag);
        }
        for (size_t i = 0; i < a.value.len; i++) {
            if (a.value.p[i] < 0x20 || a.value.p[i] == 0x7f) {
                return lint_detail(d, n, ERR, "%s attribute with a control character", which);
            }
        }
        if (max > 0 && chars > (long)max) {
            return lint_detail(d, n, ERR, "%s attribute longer than %zu", which, max);
        }
        if (a.value.len > 0 && (a.value.p[0] == ' ' || a.value.p[a.value.len - 1] == ' ')) {
            return lint_detail(d, n, WARN, "%s attribute with leading/trailing whitespace", which);
        }
    }
    if (r < 0) {
        return lint_detail(d, n, ERR, "%s Name is malformed", which);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a23(const struct lint_in *in, char *d, size_t n)
{
    enum catena_lint_result r = dn_values(&in->cert->subject, "subject", d, n);

    if (r != PASS) {
        return r;
    }
    return dn_values(&in->cert->issuer, "issuer", d, n);
}

/* BR 7.1.4.2 attribute order; 0 = unranked. */
static int
attr_rank(const struct der *oid)
{
    static const uint8_t dc[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2,
                                 0x2c, 0x64, 0x01, 0x19};

    if (DER_OID_IS(oid, dc)) return 1;
    if (DER_OID_IS(oid, lint_oid_c)) return 2;
    if (DER_OID_IS(oid, lint_oid_st)) return 3;
    if (DER_OID_IS(oid, lint_oid_l)) return 4;
    if (DER_OID_IS(oid, lint_oid_postal)) return 5;
    if (DER_OID_IS(oid, lint_oid_street)) return 6;
    if (DER_OID_IS(oid, lint_oid_o)) return 7;
    if (DER_OID_IS(oid, lint_oid_surname)) return 8;
    if (DER_OID_IS(oid, lint_oid_given_name)) return 9;
    if (DER_OID_IS(oid, lint_oid_ou)) return 10;
    if (DER_OID_IS(oid, lint_oid_cn)) return 11;
    return 0;
}

enum catena_lint_result
lint_rule_a24(const struct lint_in *in, char *d, size_t n)
{
    struct lint_name_it it;
    struct lint_atv a;
    struct der seen[32];
    size_t num = 0;
    int rank = 0;
    int r;

    lint_name_begin(&it, &in->cert->subject);
    while ((r = lint_name_next(&it, &a)) == 1) {
        int k = attr_rank(&a.oid);
        static const char *const placeholders[] = {".", "-", "N/A", "n/a",
                                                   "NA", " ", "none", "None"};

        if (a.multi) {
            return lint_detail(d, n, ERR, "multi-valued RDN in the subject");
        }
        for (size_t i = 0; i < num; i++) {
            if (der_eq(&seen[i], &a.oid) && !DER_OID_IS(&a.oid, lint_oid_ou) &&
                attr_rank(&a.oid) != 1) {
                return lint_detail(d, n, ERR, "repeated subject attribute");
            }
        }
        if (num < 32) {
            seen[num++] = a.oid;
        }
        if (k != 0) {
            if (k < rank) {
                return lint_detail(d, n, ERR, "subject attributes not in BR 7.1.4.2 order");
            }
            rank = k;
        }
        for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++) {
            if (a.value.len == strlen(placeholders[i]) &&
                memcmp(a.value.p, placeholders[i], a.value.len) == 0) {
                return lint_detail(d, n, ERR, "placeholder subject value \"%s\"", placeholders[i]);
            }
        }
    }
    if (r < 0) {
        return lint_detail(d, n, ERR, "subject is not a Name");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a25(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    int empty_subject = c->subject.len <= 2;
    struct der v;
    struct der seq;
    struct der names[64];
    unsigned tags[64];
    size_t num = 0;
    unsigned tag;
    struct der val;
    int r;

    if (c->san == NULL) {
        if (empty_subject) {
            return lint_detail(d, n, ERR, "empty subject without a SAN");
        }
        return NA;
    }
    v = c->san->value;
    if (!c->san_ok || !der_get(&v, DER_SEQUENCE, &seq)) {
        return lint_detail(d, n, ERR, "SAN is malformed");
    }
    if (seq.len == 0) {
        return lint_detail(d, n, ERR, "SAN has no entries");
    }
    while ((r = lint_gn_next(&seq, &tag, &val)) == 1) {
        if (val.len == 0) {
            return lint_detail(d, n, ERR, "SAN has an empty name");
        }
        for (size_t i = 0; i < num; i++) {
            if (tags[i] == tag && der_eq(&names[i], &val)) {
                return lint_detail(d, n, ERR, "duplicate SAN entry");
            }
        }
        if (num < 64) {
            names[num] = val;
            tags[num++] = tag;
        }
    }
    if (empty_subject && !c->san->critical) {
        return lint_detail(d, n, ERR, "SAN not critical with an empty subject");
    }
    if (!empty_subject && c->san->critical) {
        return lint_detail(d, n, WARN, "SAN critical with a subject");
    }
    return PASS;
}

/* for_each_san calls |fn| on every SAN entry with |want| tag. */
typedef enum catena_lint_result (*san_fn)(const struct lint_in *in,
                                          const struct der *v, char *d,
                                          size_t n);

static enum catena_lint_result
for_each_san(const struct lint_in *in, unsigned want, san_fn fn, char *d,
             size_t n)
{
    struct der v;
    struct der seq;
    unsigned tag;
    struct der val;
    int seen = 0;

    if (in->cert->san == NULL || !in->cert->san_ok) {
        return NA;
    }
    v = in->cert->san->value;
    if (!der_get(&v, DER_SEQUENCE, &seq)) {
        return NA;
    }
    while (lint_gn_next(&seq, &tag, &val) == 1) {
        enum catena_lint_result r;

        if (tag != want) {
            continue;
        }
        seen = 1;
        if ((r = fn(in, &val, d, n)) != PASS) {
            return r;
        }
    }
    return seen ? PASS : NA;
}

static enum catena_lint_result
dns_one(const struct lint_in *in, const struct der *v, char *d, size_t n)
{
    const char *why = NULL;

    if (!lint_dns_valid(v->p, v->len, 1, &why)) {
        return lint_detail(d, n, ERR, "dNSName \"%.*s\": %s",
                           (int)(v->len > 64 ? 64 : v->len), (const char *)v->p, why);
    }
    (void)in;
    return PASS;
}

enum catena_lint_result
lint_rule_a26(const struct lint_in *in, char *d, size_t n)
{
    return for_each_san(in, DER_CTX(2), dns_one, d, n);
}

static enum catena_lint_result
ip_one(const struct lint_in *in, const struct der *v, char *d, size_t n)
{
    (void)in;
    if (v->len != 4 && v->len != 16) {
        return lint_detail(d, n, ERR, "iPAddress of %zu octets", v->len);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a27(const struct lint_in *in, char *d, size_t n)
{
    return for_each_san(in, DER_CTX(7), ip_one, d, n);
}

static enum catena_lint_result
uri_one(const struct lint_in *in, const struct der *v, char *d, size_t n)
{
    struct der scheme;
    struct der host;
    const char *why;

    (void)in;
    if (!lint_ascii_printable(v)) {
        return lint_detail(d, n, ERR, "URI with non-IA5 or space characters");
    }
    if (!lint_uri_host(v, &scheme, &host)) {
        /* Absolute URIs without an authority (urn:, mailto:) are fine. */
        size_t i = 0;

        while (i < v->len && v->p[i] != ':') {
            i++;
        }
        if (i == 0 || i == v->len) {
            return lint_detail(d, n, ERR, "URI is relative (no scheme)");
        }
        return PASS;
    }
    if (host.len == 0) {
        return lint_detail(d, n, ERR, "URI without a host");
    }
    if (host.p[0] == '[') {
        return PASS; /* an IPv6 literal */
    }
    if (!lint_dns_valid(host.p, host.len, 0, &why)) {
        /* IPv4 dotted form */
        for (size_t i = 0; i < host.len; i++) {
            if (!((host.p[i] >= '0' && host.p[i] <= '9') || host.p[i] == '.')) {
                return lint_detail(d, n, ERR, "URI host is not an FQDN or IP: %s", why);
            }
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a28(const struct lint_in *in, char *d, size_t n)
{
    return for_each_san(in, DER_CTX(6), uri_one, d, n);
}

static enum catena_lint_result
mail_one(const struct lint_in *in, const struct der *v, char *d, size_t n)
{
    size_t at = v->len;
    const char *why;

    (void)in;
    for (size_t i = 0; i < v->len; i++) {
        uint8_t ch = v->p[i];

        if (ch == '@') {
            at = i;
        }
        if (ch <= 0x20 || ch >= 0x7f || ch == '<' || ch == '>' || ch == '(' ||
            ch == ')' || ch == ',' || ch == ';' || ch == '"') {
            return lint_detail(d, n, ERR, "rfc822Name is not a bare addr-spec");
        }
    }
    if (at == 0 || at == v->len) {
        return lint_detail(d, n, ERR, "rfc822Name without local part or @");
    }
    if (!lint_dns_valid(v->p + at + 1, v->len - at - 1, 0, &why)) {
        return lint_detail(d, n, ERR, "rfc822Name domain: %s", why);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a29(const struct lint_in *in, char *d, size_t n)
{
    return for_each_san(in, DER_CTX(1), mail_one, d, n);
}

enum catena_lint_result
lint_rule_a30(const struct lint_in *in, char *d, size_t n)
{
    static const uint8_t q_cps[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x02, 0x01};
    static const uint8_t q_un[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x02, 0x02};
    const struct lint_cert *c = in->cert;
    struct der v;
    struct der seq;
    struct der oids[32];
    size_t num = 0;

    if (c->cp == NULL) {
        return NA;
    }
    v = c->cp->value;
    if (!der_get(&v, DER_SEQUENCE, &seq) || v.len != 0) {
        return lint_detail(d, n, ERR, "certificatePolicies is malformed");
    }
    while (seq.len > 0) {
        struct der pi;
        struct der oid;
        struct der quals;
        int present;

        if (!der_get(&seq, DER_SEQUENCE, &pi) || !der_get(&pi, DER_OID, &oid) ||
            !der_get_optional(&pi, DER_SEQUENCE, &quals, &present) ||
            pi.len != 0) {
            return lint_detail(d, n, ERR, "PolicyInformation is malformed");
        }
        for (size_t i = 0; i < num; i++) {
            if (der_eq(&oids[i], &oid)) {
                return lint_detail(d, n, ERR, "duplicate policy OID");
            }
        }
        if (num < 32) {
            oids[num++] = oid;
        }
        while (present && quals.len > 0) {
            struct der pq;
            struct der qid;
            struct der qv;
            unsigned tag;

            if (!der_get(&quals, DER_SEQUENCE, &pq) ||
                !der_get(&pq, DER_OID, &qid) ||
                !der_get_any(&pq, &tag, &qv, NULL)) {
                return lint_detail(d, n, ERR, "policy qualifier malformed");
            }
            if (DER_OID_IS(&qid, q_cps)) {
                if (tag != DER_IA5STRING ||
                    !((qv.len > 7 && memcmp(qv.p, "http://", 7) == 0) ||
                      (qv.len > 8 && memcmp(qv.p, "https://", 8) == 0))) {
                    return lint_detail(d, n, ERR, "CPS qualifier is not an http(s) IA5 URL");
                }
            } else if (DER_OID_IS(&qid, q_un)) {
                struct der un = qv;
                unsigned t2;
                struct der et;

                if (in->profile == CATENA_LINT_PROFILE_TLS) {
                    return lint_detail(d, n, ERR, "userNotice qualifier (BR: CPS only)");
                }
                while (un.len > 0 && der_get_any(&un, &t2, &et, NULL)) {
                    if (t2 == DER_IA5STRING) {
                        return lint_detail(d, n, ERR, "explicitText is an IA5String");
                    }
                    if (t2 != DER_SEQUENCE && et.len > 200) {
                        return lint_detail(d, n, ERR, "explicitText longer than 200");
                    }
                }
            } else {
                return lint_detail(d, n, ERR, "policy qualifier other than CPS/userNotice");
            }
            if (DER_OID_IS(&oid, lint_oid_any_policy) && !DER_OID_IS(&qid, q_cps) &&
                !DER_OID_IS(&qid, q_un)) {
                return lint_detail(d, n, ERR, "anyPolicy with a disallowed qualifier");
            }
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a31(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der v;
    struct der seq;
    struct der urls[16];
    size_t num = 0;

    if (c->sia != NULL && c->sia->critical) {
        return lint_detail(d, n, ERR, "subjectInfoAccess is critical");
    }
    if (c->aia == NULL) {
        return NA;
    }
    if (c->aia->critical) {
        return lint_detail(d, n, ERR, "authorityInfoAccess is critical");
    }
    v = c->aia->value;
    if (!der_get(&v, DER_SEQUENCE, &seq) || v.len != 0 || seq.len == 0) {
        return lint_detail(d, n, ERR, "AIA is malformed or empty");
    }
    while (seq.len > 0) {
        struct der ad;
        struct der method;
        unsigned tag;
        struct der loc;

        if (!der_get(&seq, DER_SEQUENCE, &ad) || !der_get(&ad, DER_OID, &method) ||
            !der_get_any(&ad, &tag, &loc, NULL) || ad.len != 0) {
            return lint_detail(d, n, ERR, "AccessDescription is malformed");
        }
        if (!DER_OID_IS(&method, lint_oid_ad_ocsp) &&
            !DER_OID_IS(&method, lint_oid_ad_ca_issuers)) {
            return lint_detail(d, n, ERR, "AIA method other than OCSP/caIssuers");
        }
        if (tag != DER_CTX(6) || loc.len < 8 || memcmp(loc.p, "http://", 7) != 0) {
            return lint_detail(d, n, ERR, "AIA location is not an http:// URI");
        }
        for (size_t i = 0; i < num; i++) {
            if (der_eq(&urls[i], &loc)) {
                return lint_detail(d, n, ERR, "AIA location repeated");
            }
        }
        if (num < 16) {
            urls[num++] = loc;
        }
    }
    return PASS;
}

/* cdp_first_uri checks every DistributionPoint and returns the first
 * fullName URI in |first|. Returns NULL or the problem. */
static const char *
cdp_check(const struct lint_ext *cdp, struct der *first)
{
    struct der v = cdp->value;
    struct der seq;

    first->p = NULL;
    first->len = 0;
    if (!der_get(&v, DER_SEQUENCE, &seq) || v.len != 0 || seq.len == 0) {
        return "CRLDP is malformed or empty";
    }
    while (seq.len > 0) {
        struct der dp;
        struct der dpn;
        struct der full;
        int present;

        if (!der_get(&seq, DER_SEQUENCE, &dp) ||
            !der_get_optional(&dp, DER_CTX_C(0), &dpn, &present)) {
            return "DistributionPoint is malformed";
        }
        if (!present || !der_get(&dpn, DER_CTX_C(0), &full) || dpn.len != 0) {
            return "DistributionPoint without fullName";
        }
        if (dp.len != 0) {
            return "DistributionPoint has reasons or cRLIssuer";
        }
        while (full.len > 0) {
            unsigned tag;
            struct der uri;

            if (lint_gn_next(&full, &tag, &uri) != 1 || tag != DER_CTX(6) ||
                uri.len < 8 || memcmp(uri.p, "http://", 7) != 0) {
                return "CRLDP name is not an http:// URI";
            }
            if (first->p == NULL) {
                *first = uri;
            }
        }
    }
    return NULL;
}

/* ocsp_url_present: the AIA names an OCSP responder. */
static int
has_ocsp_url(const struct lint_cert *c)
{
    struct der v;
    struct der seq;

    if (c->aia == NULL) {
        return 0;
    }
    v = c->aia->value;
    if (!der_get(&v, DER_SEQUENCE, &seq)) {
        return 0;
    }
    while (seq.len > 0) {
        struct der ad;
        struct der m;

        if (!der_get(&seq, DER_SEQUENCE, &ad) || !der_get(&ad, DER_OID, &m)) {
            return 0;
        }
        if (DER_OID_IS(&m, lint_oid_ad_ocsp)) {
            return 1;
        }
    }
    return 0;
}

enum catena_lint_result
lint_rule_a32(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der first;
    const char *why;

    if (c->cdp == NULL) {
        int64_t life = c->not_after.t - c->not_before.t + 1;

        if (c->is_ca && !c->self_issued) {
            return lint_detail(d, n, ERR, "subordinate CA without CRLDP");
        }
        if (!c->is_ca && !has_ocsp_url(c) && life > 7 * 86400 &&
            (in->profile == CATENA_LINT_PROFILE_TLS ||
             in->profile == CATENA_LINT_PROFILE_SMIME)) {
            return lint_detail(d, n, ERR,
                               "no CRLDP, no OCSP URL and not short-lived");
        }
        return NA;
    }
    if (c->cdp->critical) {
        return lint_detail(d, n, ERR, "CRLDP is critical");
    }
    if ((why = cdp_check(c->cdp, &first)) != NULL) {
        return lint_detail(d, n, ERR, "%s", why);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_a33(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der first;
    size_t ulen;

    if (in->ctx->shard_url == NULL) {
        return c->cdp == NULL ? NA : NE;
    }
    if (c->cdp == NULL || cdp_check(c->cdp, &first) != NULL ||
        first.p == NULL) {
        return lint_detail(d, n, ERR, "no CRLDP URI to match the shard");
    }
    ulen = strlen(in->ctx->shard_url);
    if (first.len != ulen || memcmp(first.p, in->ctx->shard_url, ulen) != 0) {
        return lint_detail(d, n, ERR,
                           "first CRLDP URI is not the shard's IDP URI %s",
                           in->ctx->shard_url);
    }
    return PASS;
}
