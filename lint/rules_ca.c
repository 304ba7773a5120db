/*
 * rules_ca.c - section G of LINT-RULES.md: CA certificates (root,
 * subordinate, cross) and name constraints.
 */
#include <strings.h>

#include "profile.h"

#define CA_ONLY(in)                                                            \
    do {                                                                       \
        if (!(in)->cert->is_ca && (in)->profile != CATENA_LINT_PROFILE_CA) {   \
            return NA;                                                         \
        }                                                                      \
    } while (0)

enum catena_lint_result
lint_rule_k1(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    CA_ONLY(in);
    if (c->bc == NULL || !c->is_ca) {
        return lint_detail(d, n, ERR, "basicConstraints cA TRUE is missing");
    }
    if (!c->bc->critical) {
        return lint_detail(d, n, ERR, "basicConstraints is not critical");
    }
    if (c->ku == NULL || !c->ku->critical) {
        return lint_detail(d, n, ERR, "keyUsage missing or not critical");
    }
    if ((c->ku_bits & (KU_CS | KU_CRL)) != (KU_CS | KU_CRL)) {
        return lint_detail(d, n, ERR, "keyUsage lacks keyCertSign or cRLSign");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_k2(const struct lint_in *in, char *d, size_t n)
{
    const struct der *s = &in->cert->subject;
    struct der cval;

    CA_ONLY(in);
    if (s->len <= 2) {
        return lint_detail(d, n, ERR, "CA subject is empty");
    }
    if (name_count(s, lint_oid_c, 3, &cval) == 0) {
        return lint_detail(d, n, ERR, "CA subject lacks countryName");
    }
    if (cval.len != 2 || cval.p[0] < 'A' || cval.p[0] > 'Z' || cval.p[1] < 'A' ||
        cval.p[1] > 'Z') {
        return lint_detail(d, n, ERR, "CA countryName is not an ISO 3166 code");
    }
    if (name_count(s, lint_oid_o, 3, NULL) == 0) {
        return lint_detail(d, n, ERR, "CA subject lacks organizationName");
    }
    if (name_count(s, lint_oid_cn, 3, NULL) == 0) {
        return lint_detail(d, n, ERR, "CA subject lacks commonName");
    }
    if (name_count(s, lint_oid_ou, 3, NULL) > 0 && in->cert->eku_server) {
        return lint_detail(d, n, ERR, "organizationalUnitName in a TLS CA");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_k3(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    int64_t days;

    if (!c->is_ca || !c->self_issued) {
        return NA;
    }
    if (!in->is_tbs &&
        lint_verify(&c->spki.whole, &c->outer_sigalg, &c->tbs, &c->sig) != 1) {
        return lint_detail(d, n, ERR, "root self-signature does not verify");
    }
    if (c->eku != NULL) {
        return lint_detail(d, n, ERR, "root with extKeyUsage");
    }
    days = (c->not_after.t - c->not_before.t + 1) / 86400;
    if (days < 2922 || days > 9132) {
        return lint_detail(d, n, ERR, "root validity %lld days (2922..9132)", (long long)days);
    }
    if (c->cp != NULL) {
        return lint_detail(d, n, WARN, "root SHOULD NOT carry certificatePolicies");
    }
    if (c->path_len >= 0) {
        return lint_detail(d, n, WARN, "root SHOULD NOT carry pathLenConstraint");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_k4(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    if (!c->is_ca || c->self_issued) {
        return NA;
    }
    if (c->cp == NULL) {
        return lint_detail(d, n, ERR, "subordinate CA without certificatePolicies");
    }
    if (c->cdp == NULL) {
        return lint_detail(d, n, ERR, "subordinate CA without CRLDP");
    }
    if (c->aia == NULL) {
        return lint_detail(d, n, ERR, "subordinate CA without AIA");
    }
    if (c->eku_any) {
        return lint_detail(d, n, ERR, "subordinate CA with anyExtendedKeyUsage");
    }
    if (c->eku_server && c->eku_email) {
        return lint_detail(d, n, ERR, "serverAuth together with emailProtection");
    }
    if (c->eku != NULL && c->eku->critical) {
        return lint_detail(d, n, WARN, "extKeyUsage is critical");
    }
    return PASS;
}

/* nc_subtrees: permitted [0] and excluded [1] GeneralSubtrees. */
static int
nc_parts(const struct lint_ext *nc, struct der *perm, int *has_perm,
         struct der *excl, int *has_excl)
{
    struct der v = nc->value;
    struct der seq;

    return der_get(&v, DER_SEQUENCE, &seq) && v.len == 0 &&
           der_get_optional(&seq, DER_CTX_C(0), perm, has_perm) &&
           der_get_optional(&seq, DER_CTX_C(1), excl, has_excl) && seq.len == 0;
}

static const char *
subtrees_check(struct der list)
{
    if (list.len == 0) {
        return "empty GeneralSubtrees";
    }
    while (list.len > 0) {
        struct der st;
        unsigned tag;
        struct der base;
        const char *why;

        if (!der_get(&list, DER_SEQUENCE, &st) || lint_gn_next(&st, &tag, &base) != 1) {
            return "malformed GeneralSubtree";
        }
        if (st.len != 0) {
            return "minimum or maximum present";
        }
        if (tag == DER_CTX(2) && base.len > 0 &&
            !lint_dns_valid(base.p + (base.p[0] == '.'), base.len - (base.p[0] == '.'), 0, &why)) {
            return "dNSName constraint is not a DNS name";
        }
        if (tag == DER_CTX(7)) {
            size_t half;
            int zero = 0;

            if (base.len != 8 && base.len != 32) {
                return "iPAddress constraint is not 8 or 32 octets";
            }
            half = base.len / 2;
            for (size_t i = half; i < base.len; i++) {
                for (int b = 7; b >= 0; b--) {
                    int bit = (base.p[i] >> b) & 1;

                    if (bit && zero) {
                        return "iPAddress mask not contiguous";
                    }
                    zero |= !bit;
                }
            }
        }
        if (tag == DER_CTX_C(3) || tag == DER_CTX_C(5) || tag == DER_CTX(8)) {
            return "constraint on x400Address, ediPartyName or registeredID";
        }
    }
    return NULL;
}

enum catena_lint_result
lint_rule_k5(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der perm;
    struct der excl;
    int hp;
    int he;
    const char *why;

    if (c->nc == NULL) {
        return NA;
    }
    if (!c->is_ca) {
        return lint_detail(d, n, ERR, "nameConstraints outside a CA");
    }
    if (!nc_parts(c->nc, &perm, &hp, &excl, &he) || (!hp && !he)) {
        return lint_detail(d, n, ERR, "nameConstraints malformed or empty");
    }
    if ((hp && (why = subtrees_check(perm)) != NULL) ||
        (he && (why = subtrees_check(excl)) != NULL)) {
        return lint_detail(d, n, strstr(why, "x400") ? WARN : ERR, "%s", why);
    }
    if (!c->nc->critical) {
        return lint_detail(d, n, WARN, "nameConstraints SHOULD be critical");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_k6(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der parts[2];
    int has[2];
    int dns = 0;
    int v4 = 0;
    int v6 = 0;
    int dir = 0;

    if (!c->is_ca || c->self_issued || c->nc == NULL || !c->eku_server) {
        return NA;
    }
    if (!nc_parts(c->nc, &parts[0], &has[0], &parts[1], &has[1])) {
        return lint_detail(d, n, ERR, "nameConstraints malformed");
    }
    for (int k = 0; k < 2; k++) {
        while (has[k] && parts[k].len > 0) {
            struct der st;
            unsigned tag;
            struct der base;

            if (!der_get(&parts[k], DER_SEQUENCE, &st) || lint_gn_next(&st, &tag, &base) != 1) {
                break;
            }
            dns |= tag == DER_CTX(2);
            v4 |= tag == DER_CTX(7) && base.len == 8;
            v6 |= tag == DER_CTX(7) && base.len == 32;
            dir |= tag == DER_CTX_C(4);
        }
    }
    if (!dns || !v4 || !v6 || !dir) {
        return lint_detail(d, n, ERR, "technically constrained TLS CA must constrain dNSName, IPv4, IPv6 and directoryName");
    }
    return PASS;
}

/* dns_within: |name| equals |base| or is below it (case-insensitive). */
static int
dns_within(const struct der *name, const struct der *base)
{
    const uint8_t *b = base->p;
    size_t bl = base->len;

    if (bl > 0 && b[0] == '.') {
        b++;
        bl--;
    }
    if (bl == 0) {
        return 1;
    }
    if (name->len < bl ||
        strncasecmp((const char *)name->p + name->len - bl, (const char *)b, bl) != 0) {
        return 0;
    }
    return name->len == bl || name->p[name->len - bl - 1] == '.';
}

/* nc_match: does |value| of GeneralName |tag| fall in subtree |base|? */
static int
nc_match(unsigned tag, const struct der *value, const struct der *base)
{
    struct der scheme;
    struct der host;

    switch (tag) {
    case DER_CTX(2):
        return dns_within(value, base);
    case DER_CTX(1): {
        size_t at = 0;
        struct der dom;

        for (size_t i = 0; i < value->len; i++) {
            if (value->p[i] == '@') {
                at = i + 1;
            }
        }
        dom.p = value->p + at;
        dom.len = value->len - at;
        return memchr(base->p, '@', base->len) != NULL ? der_eq(value, base)
                                                       : dns_within(&dom, base);
    }
    case DER_CTX(6):
        return lint_uri_host(value, &scheme, &host) && dns_within(&host, base);
    case DER_CTX(7): {
        size_t l = value->len;

        if (base->len != 2 * l) {
            return 0;
        }
        for (size_t i = 0; i < l; i++) {
            if ((value->p[i] & base->p[l + i]) != (base->p[i] & base->p[l + i])) {
                return 0;
            }
        }
        return 1;
    }
    default:
        return 1;
    }
}

/* nc_judge: 1 if (tag,value) satisfies the subtrees, else 0. */
static int
nc_judge(unsigned tag, const struct der *value, struct der perm, int hp,
         struct der excl, int he)
{
    int constrained = 0;
    int permitted = 0;

    while (he && excl.len > 0) {
        struct der st;
        unsigned t;
        struct der base;

        if (!der_get(&excl, DER_SEQUENCE, &st) || lint_gn_next(&st, &t, &base) != 1) {
            return 0;
        }
        if (t == tag && nc_match(tag, value, &base)) {
            return 0;
        }
    }
    while (hp && perm.len > 0) {
        struct der st;
        unsigned t;
        struct der base;

        if (!der_get(&perm, DER_SEQUENCE, &st) || lint_gn_next(&st, &t, &base) != 1) {
            return 0;
        }
        if (t == tag) {
            constrained = 1;
            permitted |= nc_match(tag, value, &base);
        }
    }
    return !constrained || permitted;
}

enum catena_lint_result
lint_rule_k7(const struct lint_in *in, char *d, size_t n)
{
    struct der perm;
    struct der excl;
    int hp;
    int he;
    struct der seq;
    unsigned tag;
    struct der v;

    if (in->issuer == NULL) {
        return in->cert->self_issued ? NA : NE;
    }
    if (in->issuer->nc == NULL) {
        return NA;
    }
    if (!nc_parts(in->issuer->nc, &perm, &hp, &excl, &he)) {
        return lint_detail(d, n, ERR, "issuer nameConstraints malformed");
    }
    if (!san_begin(in->cert, &seq)) {
        return PASS;
    }
    while (lint_gn_next(&seq, &tag, &v) == 1) {
        if (tag == DER_CTX(6) && !is_spiffe(&v) && !lint_uri_host(&v, &(struct der){0}, &(struct der){0})) {
            continue;
        }
        if (!nc_judge(tag, &v, perm, hp, excl, he)) {
            return lint_detail(d, n, ERR, "SAN %.*s violates the issuer's name constraints",
                               (int)(v.len > 64 ? 64 : v.len),
                               tag == DER_CTX(7) ? "(IP)" : (const char *)v.p);
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_k8(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    const struct lint_cert *is = in->issuer;

    if (is == NULL) {
        return c->self_issued ? NA : NE;
    }
    if (is->ku != NULL && !(is->ku_bits & KU_CS)) {
        return lint_detail(d, n, ERR, "the issuer's keyUsage lacks keyCertSign");
    }
    if (c->is_ca && is->path_len >= 0 && !c->self_issued &&
        (is->path_len == 0 || (c->path_len >= 0 && c->path_len >= is->path_len) ||
         c->path_len < 0)) {
        return lint_detail(d, n, ERR, "pathLen not below the issuer's (%lld)",
                           (long long)is->path_len);
    }
    /* A delegated OCSP responder (BR 7.1.2.8) carries only
     * id-kp-OCSPSigning and is issued by the CA it answers for, whatever
     * that CA's EKU: EKU chaining exempts it, as do browsers' verifiers. */
    if (is->eku != NULL && !is->eku_any &&
        !(c->eku_ocsp && c->num_ekus == 1 && !c->is_ca)) {
        for (size_t i = 0; i < c->num_ekus; i++) {
            int found = 0;

            for (size_t k = 0; k < is->num_ekus; k++) {
                found |= der_eq(&c->ekus[i], &is->ekus[k]);
            }
            if (!found) {
                return lint_detail(d, n, ERR, "EKU not permitted by the issuer's EKU");
            }
        }
    }
    return PASS;
}
