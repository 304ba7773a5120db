/*
 * util.c - OIDs, algorithm classification, Name and GeneralName iterators,
 * and the detail formatter shared by the rule files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define CE(x) {0x55, 0x1d, (x)}
const uint8_t lint_oid_bc[3] = CE(0x13), lint_oid_ku[3] = CE(0x0f),
              lint_oid_eku[3] = CE(0x25), lint_oid_san[3] = CE(0x11),
              lint_oid_ian[3] = CE(0x12), lint_oid_aki[3] = CE(0x23),
              lint_oid_ski[3] = CE(0x0e), lint_oid_cdp[3] = CE(0x1f),
              lint_oid_cp[3] = CE(0x20), lint_oid_nc[3] = CE(0x1e),
              lint_oid_crl_number[3] = CE(0x14), lint_oid_reason[3] = CE(0x15),
              lint_oid_invalidity[3] = CE(0x18),
              lint_oid_cert_issuer[3] = CE(0x1d), lint_oid_idp[3] = CE(0x1c),
              lint_oid_delta[3] = CE(0x1b), lint_oid_freshest[3] = CE(0x2e),
              lint_oid_pc[3] = CE(0x24), lint_oid_pm[3] = CE(0x21),
              lint_oid_inhibit[3] = CE(0x36), lint_oid_sda[3] = CE(0x09);
#define PKIX(a, b) {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, (a), (b)}
const uint8_t lint_oid_aia[8] = PKIX(0x01, 0x01),
              lint_oid_sia[8] = PKIX(0x01, 0x0b),
              lint_oid_qc[8] = PKIX(0x01, 0x03),
              lint_oid_kp_server[8] = PKIX(0x03, 0x01),
              lint_oid_kp_client[8] = PKIX(0x03, 0x02),
              lint_oid_kp_code[8] = PKIX(0x03, 0x03),
              lint_oid_kp_email[8] = PKIX(0x03, 0x04),
              lint_oid_kp_time[8] = PKIX(0x03, 0x08),
              lint_oid_kp_ocsp[8] = PKIX(0x03, 0x09),
              lint_oid_ad_ocsp[8] = PKIX(0x30, 0x01),
              lint_oid_ad_ca_issuers[8] = PKIX(0x30, 0x02);
const uint8_t lint_oid_poison[10] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                     0xd6, 0x79, 0x02, 0x04, 0x03},
              lint_oid_sct[10] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                  0xd6, 0x79, 0x02, 0x04, 0x02},
              lint_oid_nocheck[9] = {0x2b, 0x06, 0x01, 0x05, 0x05,
                                     0x07, 0x30, 0x01, 0x05},
              lint_oid_ocsp_basic[9] = {0x2b, 0x06, 0x01, 0x05, 0x05,
                                        0x07, 0x30, 0x01, 0x01},
              lint_oid_any_eku[4] = {0x55, 0x1d, 0x25, 0x00},
              lint_oid_any_policy[4] = {0x55, 0x1d, 0x20, 0x00},
              lint_oid_email[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                   0x0d, 0x01, 0x09, 0x01};
#define AT(x) {0x55, 0x04, (x)}
const uint8_t lint_oid_cn[3] = AT(0x03), lint_oid_c[3] = AT(0x06),
              lint_oid_o[3] = AT(0x0a), lint_oid_ou[3] = AT(0x0b),
              lint_oid_l[3] = AT(0x07), lint_oid_st[3] = AT(0x08),
              lint_oid_street[3] = AT(0x09), lint_oid_postal[3] = AT(0x11),
              lint_oid_serial_number[3] = AT(0x05),
              lint_oid_given_name[3] = AT(0x2a), lint_oid_surname[3] = AT(0x04),
              lint_oid_pseudonym[3] = AT(0x41);

/* The exact AlgorithmIdentifier encodings BR 7.1.3.2 allows. */
struct sig_enc {
    enum lint_sig sig;
    const char *hex;
};

static const struct sig_enc sig_encodings[] = {
    {LINT_SIG_RSA_SHA256, "300d06092a864886f70d01010b0500"},
    {LINT_SIG_RSA_SHA384, "300d06092a864886f70d01010c0500"},
    {LINT_SIG_RSA_SHA512, "300d06092a864886f70d01010d0500"},
    {LINT_SIG_PSS_SHA256,
     "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a"
     "06092a864886f70d010108300d06096086480165030402010500a203020120"},
    {LINT_SIG_PSS_SHA384,
     "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a"
     "06092a864886f70d010108300d06096086480165030402020500a203020130"},
    {LINT_SIG_PSS_SHA512,
     "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a"
     "06092a864886f70d010108300d06096086480165030402030500a203020140"},
    {LINT_SIG_ECDSA_SHA256, "300a06082a8648ce3d040302"},
    {LINT_SIG_ECDSA_SHA384, "300a06082a8648ce3d040303"},
    {LINT_SIG_ECDSA_SHA512, "300a06082a8648ce3d040304"},
    {LINT_SIG_ED25519, "300506032b6570"},
    {LINT_SIG_ED448, "300506032b6571"},
};

static int
hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c - 'a' + 10;
}

static int
hex_eq(const struct der *d, const char *hex)
{
    size_t n = strlen(hex) / 2;

    if (d->len != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (d->p[i] != (uint8_t)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]))) {
            return 0;
        }
    }
    return 1;
}

enum lint_sig
lint_sig_classify(const struct der *alg)
{
    static const uint8_t pkcs1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
                                    0x01};
    static const uint8_t ecdsa_sig[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04};
    static const uint8_t ed[] = {0x2b, 0x65};
    struct der d = *alg;
    struct der seq;
    struct der oid;

    for (size_t i = 0; i < sizeof(sig_encodings) / sizeof(sig_encodings[0]);
         i++) {
        if (hex_eq(alg, sig_encodings[i].hex)) {
            return sig_encodings[i].sig;
        }
    }
    if (!der_get(&d, DER_SEQUENCE, &seq) || !der_get(&seq, DER_OID, &oid)) {
        return LINT_SIG_UNKNOWN;
    }
    if (oid.len == 9 && memcmp(oid.p, pkcs1, 8) == 0) {
        uint8_t x = oid.p[8];

        if (x == 0x04 || x == 0x05 || x == 0x02 || x == 0x03) {
            return LINT_SIG_WEAK; /* MD2/MD4/MD5/SHA-1 with RSA */
        }
        if (x == 0x0a || x == 0x0b || x == 0x0c || x == 0x0d) {
            return LINT_SIG_LOOSE;
        }
    }
    if (oid.len == 7 && memcmp(oid.p, ecdsa_sig, 6) == 0 && oid.p[6] == 0x01) {
        return LINT_SIG_WEAK; /* ecdsa-with-SHA1 */
    }
    if (oid.len == 8 && memcmp(oid.p, ecdsa_sig, 6) == 0) {
        return LINT_SIG_LOOSE;
    }
    if (oid.len == 3 && memcmp(oid.p, ed, 2) == 0 &&
        (oid.p[2] == 0x70 || oid.p[2] == 0x71)) {
        return LINT_SIG_LOOSE;
    }
    if (oid.len == 5 && oid.p[0] == 0x2b && oid.p[1] == 0x0e &&
        oid.p[2] == 0x03 && oid.p[3] == 0x02) {
        return LINT_SIG_WEAK; /* OIW sha1WithRSA and friends */
    }
    return LINT_SIG_UNKNOWN;
}

int
lint_sig_fits_key(enum lint_sig sig, enum lint_key key)
{
    switch (key) {
    case LINT_KEY_RSA:
        return sig >= LINT_SIG_RSA_SHA256 && sig <= LINT_SIG_PSS_SHA512;
    case LINT_KEY_RSA_PSS:
        return sig >= LINT_SIG_PSS_SHA256 && sig <= LINT_SIG_PSS_SHA512;
    case LINT_KEY_P256:
        return sig == LINT_SIG_ECDSA_SHA256;
    case LINT_KEY_P384:
        return sig == LINT_SIG_ECDSA_SHA384;
    case LINT_KEY_P521:
        return sig == LINT_SIG_ECDSA_SHA512;
    case LINT_KEY_ED25519:
        return sig == LINT_SIG_ED25519;
    case LINT_KEY_ED448:
        return sig == LINT_SIG_ED448;
    default:
        return 0;
    }
}

const char *
lint_key_name(enum lint_key key)
{
    switch (key) {
    case LINT_KEY_RSA:
        return "RSA";
    case LINT_KEY_P256:
        return "P-256";
    case LINT_KEY_P384:
        return "P-384";
    case LINT_KEY_P521:
        return "P-521";
    case LINT_KEY_EC_OTHER:
        return "EC (other curve)";
    case LINT_KEY_EC_EXPLICIT:
        return "EC (explicit parameters)";
    case LINT_KEY_ED25519:
        return "Ed25519";
    case LINT_KEY_ED448:
        return "Ed448";
    case LINT_KEY_RSA_PSS:
        return "RSASSA-PSS";
    case LINT_KEY_DSA:
        return "DSA";
    case LINT_KEY_NONE:
        return "none";
    default:
        return "unknown";
    }
}

enum catena_lint_result
lint_detail(char *d, size_t n, enum catena_lint_result r, const char *fmt,
            ...)
{
    va_list ap;

    if (n > 0) {
        va_start(ap, fmt);
        vsnprintf(d, n, fmt, ap);
        va_end(ap);
    }
    return r;
}

void
lint_name_begin(struct lint_name_it *it, const struct der *whole_name)
{
    struct der d = *whole_name;

    memset(it, 0, sizeof(*it));
    it->rdn_index = -1;
    if (!der_get(&d, DER_SEQUENCE, &it->rdns)) {
        it->rdns.len = 0;
        it->rdns.p = NULL;
    }
}

int
lint_name_next(struct lint_name_it *it, struct lint_atv *atv)
{
    struct der a;

    while (it->set.len == 0) {
        if (it->rdns.len == 0) {
            return 0;
        }
        if (!der_get(&it->rdns, DER_SET, &it->set) || it->set.len == 0) {
            return -1;
        }
        it->rdn_index++;
        /* Is there more than one ATV in this RDN? */
        struct der probe = it->set;
        it->multi = der_get_any(&probe, NULL, NULL, NULL) && probe.len > 0;
    }
    memset(atv, 0, sizeof(*atv));
    if (!der_get(&it->set, DER_SEQUENCE, &a) ||
        !der_get(&a, DER_OID, &atv->oid) ||
        !der_get_any(&a, &atv->tag, &atv->value, NULL) || a.len != 0) {
        return -1;
    }
    atv->rdn_index = it->rdn_index;
    atv->multi = it->multi;
    return 1;
}

int
lint_gn_next(struct der *it, unsigned *tag, struct der *value)
{
    if (it->len == 0) {
        return 0;
    }
    if (!der_get_any(it, tag, value, NULL) || (*tag & DER_CONTEXT) == 0) {
        return -1;
    }
    return 1;
}
