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
