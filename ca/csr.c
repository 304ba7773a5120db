/*
 * csr.c - checking subscriber keys and PKCS#10 requests.
 *
 * Everything here parses untrusted bytes: lengths are capped before any
 * parsing, DER must be consumed exactly (no trailing data), and the key
 * policy is checked on the parsed key, not on what the request claims.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "core.h"

const char *
catena_key_type_name(unsigned type)
{
    switch (type) {
    case CATENA_KEY_P256:
        return "P-256";
    case CATENA_KEY_P384:
        return "P-384";
    case CATENA_KEY_RSA2048:
        return "RSA-2048";
    case CATENA_KEY_RSA3072:
        return "RSA-3072";
    case CATENA_KEY_RSA4096:
        return "RSA-4096";
    case CATENA_KEY_ED25519:
        return "Ed25519";
    default:
        return "unknown";
    }
}

static enum catena_rc
classify_rsa(EVP_PKEY *pk, unsigned *type, struct catena_err *err)
{
    BIGNUM *e = NULL;
    BIGNUM *n = NULL;
    enum catena_rc rc = CATENA_ERR_POLICY;
    int bits = EVP_PKEY_get_bits(pk);

    if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) ||
        !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n)) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "cannot read RSA key parameters");
        goto out;
    }
    switch (bits) {
    case 2048:
        *type = CATENA_KEY_RSA2048;
        break;
    case 3072:
        *type = CATENA_KEY_RSA3072;
        break;
    case 4096:
        *type = CATENA_KEY_RSA4096;
        break;
    default:
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "RSA modulus of %d bits refused: only 2048, "
                            "3072 and 4096 are accepted (BR 6.1.5)",
                            bits);
        goto out;
    }
    /* BR 6.1.6: odd exponent in [2^16+1, 2^256-1]; a smaller one is
     * legal in RFC terms but draws a lint warning, which blocks. */
    if (!BN_is_odd(e) || BN_num_bits(e) > 256 ||
        BN_cmp(e, BN_value_one()) <= 0 || BN_num_bits(e) < 17) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "RSA public exponent refused: it must be odd "
                            "and between 65537 and 2^256-1 (BR 6.1.6)");
        goto out;
    }
    if (!BN_is_odd(n)) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "RSA modulus is even");
        goto out;
    }
    rc = CATENA_OK;
out:
    BN_free(e);
    BN_free(n);
    return rc;
}

static enum catena_rc
classify_ec(EVP_PKEY *pk, unsigned *type, struct catena_err *err)
{
    char group[64];
    size_t group_len = 0;
    EVP_PKEY_CTX *ctx = NULL;
    enum catena_rc rc = CATENA_ERR_POLICY;

    if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, sizeof(group), &group_len)) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "EC key without a named curve refused "
                            "(BR 7.1.3.1.2)");
        goto out;
    }
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
        *type = CATENA_KEY_P256;
    } else if (strcmp(group, "secp384r1") == 0 ||
               strcmp(group, "P-384") == 0) {
        *type = CATENA_KEY_P384;
    } else {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "EC curve %s refused: only P-256 and P-384 are "
                            "accepted",
                            group);
        goto out;
    }
    /* SP 800-56A public key validation: coordinates in range, on the
     * curve, not the point at infinity. The remaining step of the full
     * check (5.6.2.3.3 step 4, n*Q = infinity) is a whole scalar
     * multiplication that cannot fail on P-256 or P-384: their cofactor is
     * 1, so every other point on the curve has order n. The partial check
     * (5.6.2.3.4) is therefore the full one here, at a tenth of the cost. */
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    if (ctx == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM, "EVP_PKEY_CTX");
        goto out;
    }
    if (EVP_PKEY_public_check_quick(ctx) != 1) {
        rc = catena_err_set_openssl(err, CATENA_ERR_POLICY,
                                    "EC public key fails point validation");
        goto out;
    }
    rc = CATENA_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

unsigned
catena_key_type(const EVP_PKEY *pk)
{
    int bits = EVP_PKEY_get_bits(pk);

    if (EVP_PKEY_is_a(pk, "RSA")) {
        return bits == 2048   ? CATENA_KEY_RSA2048
               : bits == 3072 ? CATENA_KEY_RSA3072
               : bits == 4096 ? CATENA_KEY_RSA4096
                              : 0;
    }
    if (EVP_PKEY_is_a(pk, "EC")) {
        return bits == 256 ? CATENA_KEY_P256 : bits == 384 ? CATENA_KEY_P384 : 0;
    }
    return EVP_PKEY_is_a(pk, "ED25519") ? CATENA_KEY_ED25519 : 0;
}

enum catena_rc
catena_key_classify(EVP_PKEY *pk, unsigned *type, struct catena_err *err)
{
    *type = 0;
    if (pk == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "no public key");
    }
    if (EVP_PKEY_is_a(pk, "RSA")) {
        return classify_rsa(pk, type, err);
    }
    if (EVP_PKEY_is_a(pk, "EC")) {
        return classify_ec(pk, type, err);
    }
    if (EVP_PKEY_is_a(pk, "ED25519")) {
        *type = CATENA_KEY_ED25519;
        return CATENA_OK;
    }
    return catena_err_set(err, CATENA_ERR_POLICY,
                          "public key type %s refused",
                          EVP_PKEY_get0_type_name(pk) != NULL
                              ? EVP_PKEY_get0_type_name(pk)
                              : "(unknown)");
}

/*
 * The SPKI AlgorithmIdentifier of an EC key must name its curve; explicit
 * parameters are refused even when OpenSSL recognises them (B9).
 */
static enum catena_rc
check_spki_alg(const X509_PUBKEY *xpk, struct catena_err *err)
{
    X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    int ptype = 0;
    const void *pval = NULL;

    if (!X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, xpk) || alg == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "malformed SPKI");
    }
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    if (OBJ_obj2nid(obj) == NID_X9_62_id_ecPublicKey &&
        ptype != V_ASN1_OBJECT) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "EC key with explicit curve parameters "
                              "refused (BR 7.1.3.1.2)");
    }
    return CATENA_OK;
}

static enum catena_rc
check_key_types(unsigned type, unsigned key_types, struct catena_err *err)
{
    if ((type & key_types) == 0) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "%s keys are not accepted for this profile",
                              catena_key_type_name(type));
    }
    return CATENA_OK;
}

enum catena_rc
catena_spki_parse(const uint8_t *der, size_t len, unsigned key_types,
                  X509_PUBKEY **out, struct catena_err *err)
{
    X509_PUBKEY *xpk = NULL;
    const unsigned char *p = der;
    unsigned type = 0;
    enum catena_rc rc;

    *out = NULL;
    if (der == NULL || len == 0) {
        return catena_err_set(err, CATENA_ERR_INVALID, "empty public key");
    }
    if (len > CATENA_SPKI_MAX_LEN) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG,
                              "public key of %zu bytes is over the %u-byte "
                              "limit",
                              len, CATENA_SPKI_MAX_LEN);
    }
    xpk = d2i_X509_PUBKEY(NULL, &p, (long)len);
    if (xpk == NULL || p != der + len) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "malformed SubjectPublicKeyInfo DER");
        goto out;
    }
    if ((rc = check_spki_alg(xpk, err)) != CATENA_OK) {
        goto out;
    }
    if (X509_PUBKEY_get0(xpk) == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "unusable public key");
        goto out;
    }
    if ((rc = catena_key_classify(X509_PUBKEY_get0(xpk), &type, err)) !=
            CATENA_OK ||
        (rc = check_key_types(type, key_types, err)) != CATENA_OK) {
        goto out;
    }
    *out = xpk;
    xpk = NULL;
out:
    X509_PUBKEY_free(xpk);
    return rc;
}

enum catena_rc
catena_spki_sha256(const X509_PUBKEY *xpk, uint8_t out[32],
                   struct catena_err *err)
{
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(xpk, &der);

    if (len <= 0) {
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "cannot encode public key");
    }
    SHA256(der, (size_t)len, out);
    OPENSSL_free(der);
    return CATENA_OK;
}

/*
 * A CertificationRequest (RFC 2986) whose SubjectPublicKeyInfo is kept as
 * its two fields. d2i_X509_REQ decodes the key through OpenSSL 3.0's
 * provider decoder chain, which cost over 100 us per request in the
 * issuance profile, seven times building the same key from its curve and
 * point. The CertificationRequestInfo keeps its received encoding (the
 * _enc sequence), so the signature is checked over the exact bytes.
 */
typedef struct {
    X509_ALGOR *algor;
    ASN1_BIT_STRING *public_key;
} CSR_SPKI;

typedef struct {
    ASN1_ENCODING enc;
    ASN1_INTEGER *version;
    X509_NAME *subject;
    CSR_SPKI *spki;
    STACK_OF(X509_ATTRIBUTE) *attributes;
} CSR_INFO;

typedef struct {
    CSR_INFO *info;
    X509_ALGOR *sig_alg;
    ASN1_BIT_STRING *signature;
} CSR_RAW;

ASN1_SEQUENCE(CSR_SPKI) = {
    ASN1_SIMPLE(CSR_SPKI, algor, X509_ALGOR),
    ASN1_SIMPLE(CSR_SPKI, public_key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CSR_SPKI)

/* As OpenSSL's X509_REQ_INFO: the attributes are [0] IMPLICIT, accepted
 * when absent (some clients omit the empty SET). */
ASN1_SEQUENCE_enc(CSR_INFO, enc, NULL) = {
    ASN1_SIMPLE(CSR_INFO, version, ASN1_INTEGER),
    ASN1_SIMPLE(CSR_INFO, subject, X509_NAME),
    ASN1_SIMPLE(CSR_INFO, spki, CSR_SPKI),
    ASN1_IMP_SET_OF_OPT(CSR_INFO, attributes, X509_ATTRIBUTE, 0),
} static_ASN1_SEQUENCE_END_cb(CSR_INFO, CSR_INFO)

ASN1_SEQUENCE(CSR_RAW) = {
    ASN1_SIMPLE(CSR_RAW, info, CSR_INFO),
    ASN1_SIMPLE(CSR_RAW, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(CSR_RAW, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CSR_RAW)

/*
 * spki_from_fields builds an X509_PUBKEY from the received algorithm and
 * key bits without decoding the key. Only whole-octet key bits and NULL,
 * absent or OID parameters exist for the keys we accept.
 */
static enum catena_rc
spki_from_fields(const CSR_SPKI *in, X509_PUBKEY **out,
                 struct catena_err *err)
{
    const ASN1_OBJECT *obj = NULL;
    const void *pval = NULL;
    int ptype = 0;
    ASN1_OBJECT *alg = NULL;
    ASN1_OBJECT *param = NULL;
    unsigned char *enc = NULL;
    X509_PUBKEY *xpk = NULL;
    int len = ASN1_STRING_length(in->public_key);
    enum catena_rc rc;

    *out = NULL;
    X509_ALGOR_get0(&obj, &ptype, &pval, in->algor);
    if (OBJ_obj2nid(obj) == NID_X9_62_id_ecPublicKey &&
        ptype != V_ASN1_OBJECT) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "EC key with explicit curve parameters "
                              "refused (BR 7.1.3.1.2)");
    }
    if (ptype != V_ASN1_OBJECT && ptype != V_ASN1_NULL &&
        ptype != V_ASN1_UNDEF) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "SPKI parameters must be a named curve, NULL "
                              "or absent");
    }
    if (len <= 0 || (in->public_key->flags & ASN1_STRING_FLAG_BITS_LEFT &&
                     (in->public_key->flags & 0x07) != 0)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "the public key is not a whole number of "
                              "octets");
    }
    xpk = X509_PUBKEY_new();
    alg = OBJ_dup(obj);
    param = ptype == V_ASN1_OBJECT ? OBJ_dup(pval) : NULL;
    enc = OPENSSL_memdup(ASN1_STRING_get0_data(in->public_key), (size_t)len);
    if (xpk == NULL || alg == NULL || enc == NULL ||
        (ptype == V_ASN1_OBJECT && param == NULL) ||
        !X509_PUBKEY_set0_param(xpk, alg, ptype, param, enc, len)) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM,
                                    "cannot copy the public key");
        goto out;
    }
    alg = NULL;
    param = NULL;
    enc = NULL;
    *out = xpk;
    xpk = NULL;
    rc = CATENA_OK;
out:
    ASN1_OBJECT_free(alg);
    ASN1_OBJECT_free(param);
    OPENSSL_free(enc);
    X509_PUBKEY_free(xpk);
    return rc;
}

/*
 * key_from_spki makes the EVP_PKEY of |xpk|: EC keys on P-256 and P-384
 * are imported from their curve name and point (the import checks the
 * point is on the curve); other keys go through d2i_PUBKEY.
 */
static enum catena_rc
key_from_spki(const X509_PUBKEY *xpk, EVP_PKEY **out, struct catena_err *err)
{
    ASN1_OBJECT *obj = NULL;
    const unsigned char *bits = NULL;
    int bits_len = 0;
    X509_ALGOR *pa = NULL;
    const ASN1_OBJECT *aobj = NULL;
    const void *pval = NULL;
    int ptype = 0;
    const char *group = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *der = NULL;
    int der_len;
    enum catena_rc rc;

    *out = NULL;
    if (!X509_PUBKEY_get0_param(&obj, &bits, &bits_len, &pa, xpk) ||
        pa == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "malformed SPKI");
    }
    X509_ALGOR_get0(&aobj, &ptype, &pval, pa);
    if (OBJ_obj2nid(obj) == NID_X9_62_id_ecPublicKey &&
        ptype == V_ASN1_OBJECT) {
        int nid = OBJ_obj2nid(pval);

        group = nid == NID_X9_62_prime256v1 ? "P-256"
                : nid == NID_secp384r1      ? "P-384"
                                            : NULL;
    }
    if (group != NULL) {
        OSSL_PARAM params[3];

        params[0] = OSSL_PARAM_construct_utf8_string(
            OSSL_PKEY_PARAM_GROUP_NAME, (char *)(uintptr_t)group, 0);
        params[1] = OSSL_PARAM_construct_octet_string(
            OSSL_PKEY_PARAM_PUB_KEY, (void *)(uintptr_t)bits,
            (size_t)bits_len);
        params[2] = OSSL_PARAM_construct_end();
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
            rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                        "unusable EC public key");
            goto out;
        }
        rc = CATENA_OK;
        goto out;
    }
    der_len = i2d_X509_PUBKEY(xpk, &der);
    if (der_len > 0) {
        const unsigned char *p = der;

        *out = d2i_PUBKEY(NULL, &p, der_len);
    }
    rc = *out != NULL ? CATENA_OK
                      : catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                               "unusable public key");
out:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/*
 * A CSR whose signature verified and whose key passed the key checks
 * (catena_csr_verify). Only this file makes one, so holding one is proof
 * that the checks ran: the issuing core takes it instead of parsing and
 * verifying the same DER again.
 */
struct catena_csr {
    X509_PUBKEY *spki; /* fields as received */
    EVP_PKEY *key;
    unsigned key_type; /* CATENA_KEY_* */
    uint8_t *spki_der;
    size_t spki_der_len;
};

/* csr_parse is catena_csr_parse_key that also reports the key's type. */
static enum catena_rc
csr_parse(const uint8_t *csr_der, size_t csr_der_len, unsigned key_types,
          X509_PUBKEY **spki, EVP_PKEY **key, unsigned *type,
          struct catena_err *err)
{
    CSR_RAW *csr = NULL;
    X509_PUBKEY *xpk = NULL;
    EVP_PKEY *pk = NULL;
    const unsigned char *p = csr_der;
    enum catena_rc rc;

    *spki = NULL;
    *key = NULL;
    *type = 0;
    if (csr_der == NULL || csr_der_len == 0) {
        return catena_err_set(err, CATENA_ERR_INVALID, "empty CSR");
    }
    if (csr_der_len > CATENA_CSR_MAX_LEN) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG,
                              "CSR of %zu bytes is over the %u-byte limit",
                              csr_der_len, CATENA_CSR_MAX_LEN);
    }
    csr = (CSR_RAW *)ASN1_item_d2i(NULL, &p, (long)csr_der_len,
                                   ASN1_ITEM_rptr(CSR_RAW));
    if (csr == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "malformed CSR DER");
        goto out;
    }
    if (p != csr_der + csr_der_len) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "CSR has %zu trailing bytes",
                            (size_t)(csr_der + csr_der_len - p));
        goto out;
    }
    if ((rc = spki_from_fields(csr->info->spki, &xpk, err)) != CATENA_OK ||
        (rc = key_from_spki(xpk, &pk, err)) != CATENA_OK ||
        (rc = catena_key_classify(pk, type, err)) != CATENA_OK ||
        (rc = check_key_types(*type, key_types, err)) != CATENA_OK) {
        goto out;
    }
    /* Proof of possession: the request is signed by the key it names,
     * over the CertificationRequestInfo exactly as received. */
    if (ASN1_item_verify(ASN1_ITEM_rptr(CSR_INFO), csr->sig_alg,
                         csr->signature, csr->info, pk) != 1) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "CSR signature does not verify");
        goto out;
    }
    *spki = xpk;
    *key = pk;
    xpk = NULL;
    pk = NULL;
    rc = CATENA_OK;
out:
    EVP_PKEY_free(pk);
    X509_PUBKEY_free(xpk);
    ASN1_item_free((ASN1_VALUE *)csr, ASN1_ITEM_rptr(CSR_RAW));
    return rc;
}

enum catena_rc
catena_csr_parse_key(const uint8_t *csr_der, size_t csr_der_len,
                     unsigned key_types, X509_PUBKEY **spki, EVP_PKEY **key,
                     struct catena_err *err)
{
    unsigned type = 0;

    return csr_parse(csr_der, csr_der_len, key_types, spki, key, &type, err);
}

void
catena_csr_free(struct catena_csr *csr)
{
    if (csr == NULL) {
        return;
    }
    X509_PUBKEY_free(csr->spki);
    EVP_PKEY_free(csr->key);
    free(csr->spki_der);
    free(csr);
}

enum catena_rc
catena_csr_verify(const uint8_t *csr_der, size_t csr_der_len,
                  unsigned key_types, struct catena_csr **out,
                  struct catena_err *err)
{
    struct catena_csr *c = calloc(1, sizeof(*c));
    unsigned char *der = NULL;
    int len;
    enum catena_rc rc;

    *out = NULL;
    if (c == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    if ((rc = csr_parse(csr_der, csr_der_len, key_types, &c->spki, &c->key,
                        &c->key_type, err)) != CATENA_OK) {
        goto out;
    }
    /* Re-serialise the SPKI as received (no key encoder involved). */
    len = i2d_X509_PUBKEY(c->spki, &der);
    if (len <= 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot encode CSR public key");
        goto out;
    }
    c->spki_der = malloc((size_t)len);
    if (c->spki_der == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(c->spki_der, der, (size_t)len);
    c->spki_der_len = (size_t)len;
    *out = c;
    c = NULL;
out:
    OPENSSL_free(der);
    catena_csr_free(c);
    return rc;
}

const uint8_t *
catena_csr_spki_der(const struct catena_csr *csr, size_t *len)
{
    *len = csr->spki_der_len;
    return csr->spki_der;
}

enum catena_rc
catena_csr_borrow(const struct catena_csr *csr, unsigned key_types,
                  X509_PUBKEY **spki, EVP_PKEY **key, struct catena_err *err)
{
    enum catena_rc rc = check_key_types(csr->key_type, key_types, err);

    *spki = rc == CATENA_OK ? csr->spki : NULL;
    *key = rc == CATENA_OK ? csr->key : NULL;
    return rc;
}

enum catena_rc
catena_csr_check(const uint8_t *csr_der, size_t csr_der_len,
                 unsigned key_types, uint8_t **spki_der,
                 size_t *spki_der_len, struct catena_err *err)
{
    struct catena_csr *c = NULL;
    enum catena_rc rc;

    *spki_der = NULL;
    *spki_der_len = 0;
    if ((rc = catena_csr_verify(csr_der, csr_der_len, key_types, &c, err)) !=
        CATENA_OK) {
        return rc;
    }
    /* The buffer moves to the caller. */
    *spki_der = c->spki_der;
    *spki_der_len = c->spki_der_len;
    c->spki_der = NULL;
    catena_csr_free(c);
    return CATENA_OK;
}
