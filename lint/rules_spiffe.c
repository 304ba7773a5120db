/*
 * rules_spiffe.c - section F of LINT-RULES.md: SPIFFE X509-SVIDs (the
 * SPIFFE ID and X509-SVID standards). No public linter covers these.
 */
#include "profile.h"

/* spiffe_id returns the single spiffe URI SAN (count in |*count|). */
static int
spiffe_id(const struct lint_cert *c, struct der *id, int *uris)
{
    struct der seq;
    unsigned tag;
    struct der v;
    int count = 0;

    *uris = 0;
    if (!san_begin(c, &seq)) {
        return 0;
    }
    while (lint_gn_next(&seq, &tag, &v) == 1) {
        if (tag == DER_CTX(6)) {
            (*uris)++;
            if (is_spiffe(&v)) {
                if (count == 0) {
                    *id = v;
                }
                count++;
            }
        }
    }
    return count;
}

static int
spiffe_applies(const struct lint_in *in)
{
    return in->profile == CATENA_LINT_PROFILE_SPIFFE ||
           (in->cert->spiffe_uris > 0 && in->profile == CATENA_LINT_PROFILE_CA);
}

/* split: trust domain and path of a SPIFFE ID. */
static void
split(const struct der *id, struct der *td, struct der *path)
{
    size_t i = 9;

    td->p = id->p + 9;
    while (i < id->len && id->p[i] != '/') {
        i++;
    }
    td->len = i - 9;
    path->p = id->p + i;
    path->len = id->len - i;
}

enum catena_lint_result
lint_rule_p1(const struct lint_in *in, char *d, size_t n)
{
    struct der id;
    int uris;
    int count;

    if (!spiffe_applies(in)) {
        return NA;
    }
    count = spiffe_id(in->cert, &id, &uris);
    if (in->cert->is_ca && count == 0) {
        return PASS; /* a signing SVID need not carry an ID */
    }
    if (count != 1 || uris != 1) {
        return lint_detail(d, n, ERR, "%d URI SANs, %d spiffe (need exactly one)", uris, count);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_p2(const struct lint_in *in, char *d, size_t n)
{
    struct der id;
    struct der td;
    struct der path;
    int uris;

    if (!spiffe_applies(in) || spiffe_id(in->cert, &id, &uris) == 0) {
        return NA;
    }
    if (id.len > 2048) {
        return lint_detail(d, n, ERR, "SPIFFE ID longer than 2048 bytes");
    }
    split(&id, &td, &path);
    if (td.len == 0 || td.len > 255) {
        return lint_detail(d, n, ERR, "trust domain empty or longer than 255");
    }
    for (size_t i = 0; i < td.len; i++) {
        uint8_t ch = td.p[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '-' || ch == '_')) {
            return lint_detail(d, n, ERR, "trust domain character '%c' not allowed", ch);
        }
    }
    if (path.len == 1) {
        return lint_detail(d, n, ERR, "path is a trailing '/'");
    }
    for (size_t i = 0; i < path.len;) {
        size_t start = ++i;

        while (i < path.len && path.p[i] != '/') {
            uint8_t ch = path.p[i];

            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_')) {
                return lint_detail(d, n, ERR, "path character '%c' not allowed", ch);
            }
            i++;
        }
        if (i == start || (i - start == 1 && path.p[start] == '.') ||
            (i - start == 2 && path.p[start] == '.' && path.p[start + 1] == '.')) {
            return lint_detail(d, n, ERR, "empty, '.' or '..' path segment");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_p3(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der id;
    struct der td;
    struct der path;
    int uris;

    if (in->profile != CATENA_LINT_PROFILE_SPIFFE || c->is_ca) {
        return NA;
    }
    if (spiffe_id(c, &id, &uris) > 0) {
        split(&id, &td, &path);
        if (path.len == 0) {
            return lint_detail(d, n, ERR, "leaf SPIFFE ID has no path");
        }
    }
    if (c->ku == NULL || !c->ku->critical || !(c->ku_bits & KU_DS)) {
        return lint_detail(d, n, ERR, "keyUsage must be critical with digitalSignature");
    }
    if (c->ku_bits & (KU_CS | KU_CRL)) {
        return lint_detail(d, n, ERR, "keyCertSign/cRLSign in a leaf SVID");
    }
    if (c->eku == NULL) {
        return lint_detail(d, n, WARN, "extKeyUsage SHOULD be present");
    }
    if (!c->eku_server || !c->eku_client) {
        return lint_detail(d, n, WARN, "EKU SHOULD hold serverAuth and clientAuth");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_p4(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der id;
    struct der td;
    struct der path;
    int uris;

    if (!spiffe_applies(in) || !c->is_ca) {
        return NA;
    }
    if (c->ku == NULL || !c->ku->critical || !(c->ku_bits & KU_CS)) {
        return lint_detail(d, n, ERR, "signing SVID keyUsage must be critical with keyCertSign");
    }
    if (spiffe_id(c, &id, &uris) > 0) {
        split(&id, &td, &path);
        if (path.len != 0) {
            return lint_detail(d, n, ERR, "signing SVID SPIFFE ID has a path");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_p5(const struct lint_in *in, char *d, size_t n)
{
    if (!spiffe_applies(in) || in->cert->subject.len > 2) {
        return NA;
    }
    if (in->cert->san == NULL || !in->cert->san->critical) {
        return lint_detail(d, n, ERR, "empty subject without a critical SAN");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_p6(const struct lint_in *in, char *d, size_t n)
{
    struct der id;
    struct der td;
    struct der path;
    struct der iid;
    struct der itd;
    struct der ipath;
    int uris;

    if (!spiffe_applies(in) || spiffe_id(in->cert, &id, &uris) == 0) {
        return NA;
    }
    if (in->issuer == NULL) {
        return NE;
    }
    split(&id, &td, &path);
    if (spiffe_id(in->issuer, &iid, &uris) > 0) {
        split(&iid, &itd, &ipath);
        if (!der_eq(&itd, &td)) {
            return lint_detail(d, n, ERR, "trust domain differs from the issuer's");
        }
    }
    return PASS;
}
