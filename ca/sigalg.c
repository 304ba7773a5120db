/* sigalg.c - the signature algorithm follows the signing key. */
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "catena/ca.h"

enum catena_rc
catena_sig_alg_for_key(const EVP_PKEY *key, struct catena_sig_alg *out,
                       struct catena_err *err)
{
    char group[64];
    size_t glen = 0;
    int curve;

    memset(out, 0, sizeof(*out));
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1) {
            return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                          "EC key without a named curve");
        }
        curve = OBJ_txt2nid(group);
        if (curve == NID_undef) {
            curve = EC_curve_nist2nid(group);
        }
        if (curve == NID_X9_62_prime256v1) {
            out->md = EVP_sha256();
            out->nid = NID_ecdsa_with_SHA256;
            out->jose_half = 32;
            return CATENA_OK;
        }
        if (curve == NID_secp384r1) {
            out->md = EVP_sha384();
            out->nid = NID_ecdsa_with_SHA384;
            out->jose_half = 48;
            return CATENA_OK;
        }
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "unsupported curve %s", group);
    case EVP_PKEY_RSA:
        if (EVP_PKEY_get_bits(key) < 2048) {
            return catena_err_set(err, CATENA_ERR_POLICY,
                                  "RSA key under 2048 bits");
        }
        out->md = EVP_sha256();
        out->nid = NID_sha256WithRSAEncryption;
        /* RFC 4055: PKCS#1 v1.5 AlgorithmIdentifiers carry NULL. */
        out->null_params = 1;
        return CATENA_OK;
    case EVP_PKEY_ED25519:
        out->nid = NID_ED25519;
        return CATENA_OK;
    default:
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "unsupported CA key type");
    }
}

enum catena_rc
catena_sig_alg_set(const struct catena_sig_alg *a, X509_ALGOR *alg,
                   struct catena_err *err)
{
    if (!X509_ALGOR_set0(alg, OBJ_nid2obj(a->nid),
                         a->null_params ? V_ASN1_NULL : V_ASN1_UNDEF, NULL)) {
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "X509_ALGOR_set0");
    }
    return CATENA_OK;
}
