/*
 * rules_tls_br.c - section D of LINT-RULES.md: TLS server subscriber
 * certificates under the CA/Browser Forum Baseline Requirements 7.1.2.7.
 */
#include <stdio.h>
#include <strings.h>

#include "profile.h"

enum catena_lint_result
lint_rule_t1(const struct lint_in *in, char *d, size_t n)
{
    struct der seq;
    unsigned tag;
    struct der v;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (!san_begin(in->cert, &seq)) {
        return lint_detail(d, n, ERR, "subjectAltName is missing");
    }
    while (lint_gn_next(&seq, &tag, &v) == 1) {
        if (tag != DER_CTX(2) && tag != DER_CTX(7)) {
            return lint_detail(d, n, ERR, "SAN holds a name other than dNSName/iPAddress");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t2(const struct lint_in *in, char *d, size_t n)
{
    struct der seq;
    unsigned tag;
    struct der v;
    const char *why;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (!san_begin(in->cert, &seq)) {
        return NA;
    }
    while (lint_gn_next(&seq, &tag, &v) == 1) {
        if (tag == DER_CTX(7) && lint_ip_reserved(v.p, v.len)) {
            return lint_detail(d, n, ERR, "reserved IP address");
        }
        if (tag == DER_CTX(2) && lint_name_internal(v.p, v.len, &why)) {
            return lint_detail(d, n, ERR, "%.*s: %s", (int)(v.len > 64 ? 64 : v.len),
                               (const char *)v.p, why);
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t3(const struct lint_in *in, char *d, size_t n)
{
    struct der cn;
    struct der seq;
    unsigned tag;
    struct der v;
    int count;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    count = name_count(&in->cert->subject, lint_oid_cn, 3, &cn);
    if (count == 0) {
        return PASS;
    }
    if (count > 1) {
        return lint_detail(d, n, WARN, "more than one commonName");
    }
    if (!san_begin(in->cert, &seq)) {
        return lint_detail(d, n, ERR, "commonName without a SAN");
    }
    while (lint_gn_next(&seq, &tag, &v) == 1) {
        if (tag == DER_CTX(2) && der_eq(&v, &cn)) {
            return PASS;
        }
        if (tag == DER_CTX(7) && v.len == 4) {
            char ip[16];
            int l = snprintf(ip, sizeof(ip), "%u.%u.%u.%u", v.p[0], v.p[1], v.p[2], v.p[3]);

            if (l > 0 && (size_t)l == cn.len && memcmp(ip, cn.p, cn.len) == 0) {
                return PASS;
            }
        }
    }
    return lint_detail(d, n, ERR, "commonName is not exactly one of the SAN values");
}

static const uint8_t cabf_tls[] = {0x67, 0x81, 0x0c, 0x01};

/* tls_policy returns 1 DV, 2 OV, 3 IV, 4 EV, 0 none. */
static int
tls_policy(const struct lint_cert *c)
{
    struct der oids[16];
    int ok;
    size_t num = lint_policies(c->cp, oids, 16, &ok);

    for (size_t i = 0; i < num && i < 16; i++) {
        const struct der *o = &oids[i];

        if (o->len == 5 && memcmp(o->p, cabf_tls, 4) == 0 && o->p[4] == 1) {
            return 4;
        }
        if (o->len == 6 && memcmp(o->p, cabf_tls, 4) == 0 && o->p[4] == 2 &&
            o->p[5] >= 1 && o->p[5] <= 3) {
            return o->p[5];
        }
    }
    return 0;
}

enum catena_lint_result
lint_rule_t4(const struct lint_in *in, char *d, size_t n)
{
    const struct der *s = &in->cert->subject;
    int kind;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    kind = tls_policy(in->cert);
    if (name_count(s, lint_oid_ou, 3, NULL) > 0) {
        return lint_detail(d, n, ERR, "organizationalUnitName is prohibited");
    }
    if (kind == 1) {
        struct lint_name_it it;
        struct lint_atv a;

        lint_name_begin(&it, s);
        while (lint_name_next(&it, &a) == 1) {
            if (!DER_OID_IS(&a.oid, lint_oid_cn) && !DER_OID_IS(&a.oid, lint_oid_c)) {
                return lint_detail(d, n, ERR, "DV subject holds more than C and CN");
            }
        }
    } else if (kind == 2) {
        if (name_count(s, lint_oid_o, 3, NULL) == 0 || name_count(s, lint_oid_c, 3, NULL) == 0 ||
            (name_count(s, lint_oid_l, 3, NULL) == 0 && name_count(s, lint_oid_st, 3, NULL) == 0)) {
            return lint_detail(d, n, ERR, "OV subject needs O, C and L or ST");
        }
    } else if (kind == 3) {
        if (name_count(s, lint_oid_given_name, 3, NULL) == 0 ||
            name_count(s, lint_oid_surname, 3, NULL) == 0 || name_count(s, lint_oid_c, 3, NULL) == 0) {
            return lint_detail(d, n, ERR, "IV subject needs givenName, surname and C");
        }
    }
    if (name_count(s, lint_oid_o, 3, NULL) == 0 &&
        (name_count(s, lint_oid_street, 3, NULL) + name_count(s, lint_oid_postal, 3, NULL) +
         name_count(s, lint_oid_l, 3, NULL) + name_count(s, lint_oid_st, 3, NULL)) > 0 &&
        kind != 3) {
        return lint_detail(d, n, ERR, "address fields without organizationName");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t5(const struct lint_in *in, char *d, size_t n)
{
    struct der oids[16];
    int ok;
    size_t num;
    int reserved = 0;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (in->cert->cp == NULL) {
        return lint_detail(d, n, ERR, "certificatePolicies is missing");
    }
    if (in->cert->cp->critical) {
        return lint_detail(d, n, WARN, "certificatePolicies is critical");
    }
    num = lint_policies(in->cert->cp, oids, 16, &ok);
    if (!ok || num == 0) {
        return lint_detail(d, n, ERR, "certificatePolicies is empty or malformed");
    }
    for (size_t i = 0; i < num && i < 16; i++) {
        if (oids[i].len >= 5 && memcmp(oids[i].p, cabf_tls, 4) == 0 &&
            (oids[i].p[4] == 1 || oids[i].p[4] == 2)) {
            reserved++;
            if (i != 0) {
                return lint_detail(d, n, ERR, "the reserved CABF policy is not first");
            }
        }
    }
    if (reserved != 1) {
        return lint_detail(d, n, ERR, "%d reserved CABF policy OIDs (need exactly one)", reserved);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t6(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (c->eku == NULL) {
        return lint_detail(d, n, ERR, "extKeyUsage is missing");
    }
    if (c->eku->critical) {
        return lint_detail(d, n, ERR, "extKeyUsage is critical");
    }
    if (!c->eku_server) {
        return lint_detail(d, n, ERR, "extKeyUsage lacks serverAuth");
    }
    if (c->eku_any) {
        return lint_detail(d, n, ERR, "anyExtendedKeyUsage");
    }
    if ((size_t)(c->eku_server + c->eku_client) != c->num_ekus) {
        return lint_detail(d, n, ERR, "extKeyUsage holds purposes beyond serverAuth/clientAuth");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t7(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    unsigned ku = c->ku_bits;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (c->ku == NULL) {
        return NA;
    }
    if (ku & (KU_CS | KU_CRL)) {
        return lint_detail(d, n, ERR, "keyCertSign or cRLSign in a subscriber certificate");
    }
    if (c->spki.type == LINT_KEY_RSA) {
        if (ku & ~(KU_DS | KU_KE)) {
            return lint_detail(d, n, ERR, "RSA key usage beyond DS and KE");
        }
        if (!(ku & KU_DS)) {
            return lint_detail(d, n, WARN, "RSA key without digitalSignature");
        }
    } else if (c->spki.type >= LINT_KEY_P256 && c->spki.type <= LINT_KEY_EC_EXPLICIT) {
        if (!(ku & KU_DS) || (ku & ~(KU_DS | KU_KA))) {
            return lint_detail(d, n, ERR, "EC key usage must be DS (keyAgreement MAY)");
        }
        if (ku & KU_KA) {
            return lint_detail(d, n, WARN, "keyAgreement is NOT RECOMMENDED");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t8(const struct lint_in *in, char *d, size_t n)
{
    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (in->cert->bc == NULL) {
        return PASS;
    }
    if (in->cert->is_ca) {
        return lint_detail(d, n, ERR, "basicConstraints cA TRUE");
    }
    if (!in->cert->bc->critical) {
        return lint_detail(d, n, ERR, "basicConstraints is not critical");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t9(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der v;
    struct der seq;
    int ocsp = 0;
    int ca_issuers = 0;
    int64_t life = c->not_after.t - c->not_before.t + 1;
    int64_t short_lived = in->when >= INT64_C(1773532800) ? 7 * 86400 : 10 * 86400;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (c->aia == NULL) {
        return lint_detail(d, n, ERR, "authorityInfoAccess is missing");
    }
    v = c->aia->value;
    if (der_get(&v, DER_SEQUENCE, &seq)) {
        struct der ad;
        struct der m;

        while (der_get(&seq, DER_SEQUENCE, &ad) && der_get(&ad, DER_OID, &m)) {
            ocsp |= DER_OID_IS(&m, lint_oid_ad_ocsp);
            ca_issuers |= DER_OID_IS(&m, lint_oid_ad_ca_issuers);
        }
    }
    if (c->cdp == NULL && !ocsp && life > short_lived) {
        return lint_detail(d, n, ERR, "no CRLDP and no OCSP URL (not short-lived)");
    }
    if (!ca_issuers) {
        return lint_detail(d, n, WARN, "AIA has no caIssuers URL");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t10(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    int64_t life = c->not_after.t - c->not_before.t + 1;
    int64_t days = in->when < INT64_C(1773532800)   ? 398
                   : in->when < INT64_C(1805068800) ? 200
                   : in->when < INT64_C(1868227200) ? 100
                                                    : 47;

    ONLY(in, CATENA_LINT_PROFILE_TLS);
    if (life > days * 86400) {
        return lint_detail(d, n, ERR, "validity %lld s exceeds %lld days",
                           (long long)life, (long long)days);
    }
    if (life > (days - 1) * 86400) {
        return lint_detail(d, n, WARN, "validity exceeds the SHOULD limit of %lld days",
                           (long long)(days - 1));
    }
    return PASS;
}

enum catena_lint_result
lint_rule_t11(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    if (c->poison == NULL && c->sct == NULL) {
        return NA;
    }
    if (c->poison != NULL) {
        if (!c->poison->critical || c->poison->value.len != 2 ||
            c->poison->value.p[0] != DER_NULL || c->poison->value.p[1] != 0) {
            return lint_detail(d, n, ERR, "CT poison not critical with a NULL value");
        }
        if (c->sct != NULL) {
            return lint_detail(d, n, ERR, "precertificate with an SCT list");
        }
    }
    if (c->sct != NULL) {
        struct der v = c->sct->value;
        struct der os;

        if (!der_get(&v, DER_OCTET_STRING, &os) || os.len <= 2) {
            return lint_detail(d, n, ERR, "empty SCT list");
        }
    }
    return PASS;
}
