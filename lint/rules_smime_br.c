/*
 * rules_smime_br.c - section E of LINT-RULES.md: S/MIME mailbox
 * certificates under the CA/Browser Forum S/MIME BRs.
 */
#include "profile.h"

static const uint8_t smime_arc[] = {0x67, 0x81, 0x0c, 0x01, 0x05};

/* smime_policy: validation type 1 MV, 2 OV, 3 SV, 4 IV in |*type| and
 * generation 1 legacy, 2 multipurpose, 3 strict in |*gen|; returns how
 * many reserved S/MIME policies there are. */
static int
smime_policy(const struct lint_cert *c, int *type, int *gen)
{
    struct der oids[16];
    int ok;
    size_t num = lint_policies(c->cp, oids, 16, &ok);
    int count = 0;

    *type = 0;
    *gen = 0;
    for (size_t i = 0; i < num && i < 16; i++) {
        if (oids[i].len == 7 && memcmp(oids[i].p, smime_arc, 5) == 0) {
            *type = oids[i].p[5];
            *gen = oids[i].p[6];
            count++;
        }
    }
    return count;
}

enum catena_lint_result
lint_rule_s1(const struct lint_in *in, char *d, size_t n)
{
    int type;
    int gen;
    int count;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    count = smime_policy(in->cert, &type, &gen);
    if (count != 1) {
        return lint_detail(d, n, ERR, "%d reserved S/MIME policies (need exactly one)", count);
    }
    if (type < 1 || type > 4 || gen < 1 || gen > 3) {
        return lint_detail(d, n, ERR, "unknown S/MIME policy OID");
    }
    if (gen == 1) {
        return lint_detail(d, n, ERR, "Legacy generation is deprecated");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_s2(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    int type;
    int gen;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    (void)smime_policy(c, &type, &gen);
    if (c->eku == NULL || !c->eku_email) {
        return lint_detail(d, n, ERR, "extKeyUsage lacks emailProtection");
    }
    if (c->eku_server || c->eku_code || c->eku_time || c->eku_any) {
        return lint_detail(d, n, ERR, "prohibited EKU (serverAuth/codeSigning/timeStamping/any)");
    }
    if (gen == 3 && c->num_ekus != 1) {
        return lint_detail(d, n, ERR, "Strict allows emailProtection only");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_s3(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    unsigned ku = c->ku_bits;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    if (c->ku == NULL) {
        return lint_detail(d, n, ERR, "keyUsage is missing");
    }
    switch (c->spki.type) {
    case LINT_KEY_RSA:
        if (ku & ~(KU_DS | KU_NR | KU_KE | KU_DE)) {
            return lint_detail(d, n, ERR, "RSA key usage beyond DS/NR/KE");
        }
        break;
    case LINT_KEY_P256:
    case LINT_KEY_P384:
    case LINT_KEY_P521:
        if (ku & ~(KU_DS | KU_NR | KU_KA | KU_EO | KU_DO)) {
            return lint_detail(d, n, ERR, "EC key usage beyond DS/NR/KA");
        }
        break;
    case LINT_KEY_ED25519:
    case LINT_KEY_ED448:
        if (ku & ~(KU_DS | KU_NR)) {
            return lint_detail(d, n, ERR, "EdDSA key usage beyond DS/NR");
        }
        break;
    default:
        break;
    }
    if (ku & (KU_CS | KU_CRL)) {
        return lint_detail(d, n, ERR, "keyCertSign/cRLSign in a mailbox certificate");
    }
    if (!c->ku->critical) {
        return lint_detail(d, n, WARN, "keyUsage SHOULD be critical");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_s4(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der seq;
    unsigned tag;
    struct der v;
    struct der mails[32];
    size_t num = 0;
    struct lint_name_it it;
    struct lint_atv a;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    if (!san_begin(c, &seq)) {
        return lint_detail(d, n, ERR, "subjectAltName is missing");
    }
    while (lint_gn_next(&seq, &tag, &v) == 1) {
        if ((tag == DER_CTX(1) || tag == DER_CTX_C(0)) && num < 32) {
            mails[num++] = v;
        }
    }
    if (num == 0) {
        return lint_detail(d, n, ERR, "SAN holds no mailbox address");
    }
    lint_name_begin(&it, &c->subject);
    while (lint_name_next(&it, &a) == 1) {
        int found = 0;

        if (!DER_OID_IS(&a.oid, lint_oid_email)) {
            continue;
        }
        for (size_t i = 0; i < num; i++) {
            found |= der_eq(&mails[i], &a.value);
        }
        if (!found) {
            return lint_detail(d, n, ERR, "subject emailAddress not in the SAN");
        }
    }
    if (c->san->critical && c->subject.len > 2) {
        return lint_detail(d, n, WARN, "SAN SHOULD NOT be critical");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_s5(const struct lint_in *in, char *d, size_t n)
{
    const struct der *s = &in->cert->subject;
    int type;
    int gen;
    struct der cn;
    struct lint_name_it it;
    struct lint_atv a;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    (void)smime_policy(in->cert, &type, &gen);
    lint_name_begin(&it, s);
    while (lint_name_next(&it, &a) == 1) {
        if (DER_OID_IS(&a.oid, lint_oid_c) &&
            (a.value.len != 2 || a.value.p[0] < 'A' || a.value.p[0] > 'Z' ||
             a.value.p[1] < 'A' || a.value.p[1] > 'Z')) {
            return lint_detail(d, n, ERR, "countryName is not an ISO 3166 code");
        }
        if (type == 1 && !DER_OID_IS(&a.oid, lint_oid_cn) &&
            !DER_OID_IS(&a.oid, lint_oid_email) &&
            !DER_OID_IS(&a.oid, lint_oid_serial_number)) {
            return lint_detail(d, n, ERR, "MV subject holds more than CN/email/serialNumber");
        }
    }
    if (type == 1 && name_count(s, lint_oid_cn, 3, &cn) > 0) {
        int at = 0;

        for (size_t i = 0; i < cn.len; i++) {
            at |= cn.p[i] == '@';
        }
        if (!at) {
            return lint_detail(d, n, ERR, "MV commonName is not a mailbox");
        }
    }
    if ((type == 3 || type == 4) && name_count(s, lint_oid_given_name, 3, NULL) == 0 &&
        name_count(s, lint_oid_surname, 3, NULL) == 0 &&
        name_count(s, lint_oid_pseudonym, 3, NULL) == 0) {
        return lint_detail(d, n, ERR, "IV/SV subject needs givenName/surname or pseudonym");
    }
    if (type == 2 && name_count(s, lint_oid_o, 3, NULL) == 0) {
        return lint_detail(d, n, ERR, "OV subject needs organizationName");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_s6(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    struct der v;
    struct der seq;
    struct der kid;
    int has_kid;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    if (c->cdp == NULL) {
        return lint_detail(d, n, ERR, "cRLDistributionPoints is missing");
    }
    if (c->aki == NULL || !lint_aki_kid(&c->aki->value, &kid, &has_kid) || !has_kid) {
        return lint_detail(d, n, ERR, "AKI is not a keyIdentifier alone");
    }
    if (c->aia != NULL) {
        v = c->aia->value;
        if (der_get(&v, DER_SEQUENCE, &seq)) {
            struct der ad;
            struct der m;
            unsigned tag;
            struct der loc;

            while (der_get(&seq, DER_SEQUENCE, &ad) && der_get(&ad, DER_OID, &m) &&
                   der_get_any(&ad, &tag, &loc, NULL)) {
                if (tag != DER_CTX(6) || loc.len < 8 || memcmp(loc.p, "http://", 7) != 0) {
                    return lint_detail(d, n, ERR, "AIA location is not http://");
                }
            }
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_s7(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;
    int type;
    int gen;
    int64_t life = c->not_after.t - c->not_before.t + 1;
    int64_t max;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    (void)smime_policy(c, &type, &gen);
    max = (gen == 1 ? 1185 : 825) * INT64_C(86400);
    if (life > max) {
        return lint_detail(d, n, ERR, "validity exceeds %lld days", (long long)(max / 86400));
    }
    return PASS;
}

enum catena_lint_result
lint_rule_s8(const struct lint_in *in, char *d, size_t n)
{
    static const uint8_t adobe[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x2f,
                                    0x01, 0x01, 0x09};
    const struct lint_cert *c = in->cert;
    int type;
    int gen;

    ONLY(in, CATENA_LINT_PROFILE_SMIME);
    (void)smime_policy(c, &type, &gen);
    for (size_t i = 0; i < c->num_exts; i++) {
        const struct lint_ext *e = &c->exts[i];

        if (DER_OID_IS(&e->oid, lint_oid_sda) && gen != 1) {
            return lint_detail(d, n, ERR, "subjectDirectoryAttributes in Strict/Multipurpose");
        }
        if (lint_oid_prefix(&e->oid, adobe, sizeof(adobe)) && (gen == 3 || e->critical)) {
            return lint_detail(d, n, ERR, "Adobe extension in Strict or critical");
        }
        if (DER_OID_IS(&e->oid, lint_oid_qc) && e->critical) {
            return lint_detail(d, n, ERR, "qcStatements is critical");
        }
    }
    return PASS;
}
