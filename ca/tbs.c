/*
 * tbs.c - building the TBSCertificate with OpenSSL's X509 structures.
 *
 * The core never signs: it encodes the TBS (with the signature
 * AlgorithmIdentifier chosen from the issuer's key, so the linter sees the
 * exact bytes that will be signed) and hands it to the signer. Every
 * extension is built from OpenSSL's typed structures, never from a
 * configuration string, so that no subscriber-supplied name can inject
 * extra values.
 */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "core.h"

/* CA/Browser Forum reserved policy identifiers. */
#define OID_TLS_DV "2.23.140.1.2.1"
#define OID_SMIME_MAILBOX_STRICT "2.23.140.1.5.1.3"
#define OID_ANY_POLICY "2.5.29.32.0"

enum { BIT_DS = 0, BIT_KE = 2, BIT_KA = 4, BIT_CERT_SIGN = 5, BIT_CRL_SIGN = 6 };

/* The signature AlgorithmIdentifier is derived from the signing key only
 * (BR 7.1.3.2; the signer refuses a mismatch). */
static enum catena_rc
set_sigalg(X509 *x, EVP_PKEY *key, struct catena_err *err)
{
    /* X509_get0_tbs_sigalg is the only accessor to tbsCertificate.signature;
     * it is const because it is usually read-only, and we own |x|. */
    X509_ALGOR *alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
    struct catena_sig_alg a;
    enum catena_rc rc;

    if ((rc = catena_sig_alg_for_key(key, &a, err)) != CATENA_OK) {
        return rc;
    }
    return catena_sig_alg_set(&a, alg, err);
}

/* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING. */
static enum catena_rc
key_id(EVP_PKEY *pk, uint8_t out[SHA_DIGEST_LENGTH], struct catena_err *err)
{
    X509_PUBKEY *xpk = NULL;
    const unsigned char *bits = NULL;
    int bits_len = 0;
    enum catena_rc rc = CATENA_OK;

    if (!X509_PUBKEY_set(&xpk, pk) ||
        !X509_PUBKEY_get0_param(NULL, &bits, &bits_len, NULL, xpk)) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot encode public key");
        goto out;
    }
    SHA1(bits, (size_t)bits_len, out);
out:
    X509_PUBKEY_free(xpk);
    return rc;
}

static enum catena_rc
add_ext(X509 *x, int nid, void *value, int crit, struct catena_err *err)
{
    if (X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_APPEND) != 1) {
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "cannot add extension %s",
                                      OBJ_nid2sn(nid));
    }
    return CATENA_OK;
}

static enum catena_rc
add_basic_constraints(X509 *x, int ca, int path_len, struct catena_err *err)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    enum catena_rc rc;

    if (bc == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    /* cA DEFAULT FALSE: 0 makes the encoder omit it (DER). */
    bc->ca = ca ? 0xff : 0;
    if (ca && path_len >= 0) {
        bc->pathlen = ASN1_INTEGER_new();
        if (bc->pathlen == NULL ||
            !ASN1_INTEGER_set(bc->pathlen, path_len)) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    rc = add_ext(x, NID_basic_constraints, bc, 1, err);
out:
    BASIC_CONSTRAINTS_free(bc);
    return rc;
}

static enum catena_rc
add_key_usage(X509 *x, const int *bits, size_t num_bits,
              struct catena_err *err)
{
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    enum catena_rc rc;

    if (ku == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < num_bits; i++) {
        if (!ASN1_BIT_STRING_set_bit(ku, bits[i], 1)) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    /* BR/SBR/SPIFFE all want keyUsage critical. */
    rc = add_ext(x, NID_key_usage, ku, 1, err);
out:
    ASN1_BIT_STRING_free(ku);
    return rc;
}

static enum catena_rc
add_eku(X509 *x, const int *nids, size_t num, struct catena_err *err)
{
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    enum catena_rc rc;

    if (eku == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < num; i++) {
        /* OBJ_nid2obj returns static objects; no free needed. */
        if (!sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(nids[i]))) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    rc = add_ext(x, NID_ext_key_usage, eku, 0, err);
out:
    sk_ASN1_OBJECT_free(eku);
    return rc;
}

static enum catena_rc
add_octets_ext(X509 *x, int nid, const uint8_t *id, size_t len,
               struct catena_err *err)
{
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    enum catena_rc rc;

    if (os == NULL || !ASN1_OCTET_STRING_set(os, id, (int)len)) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = add_ext(x, nid, os, 0, err);
out:
    ASN1_OCTET_STRING_free(os);
    return rc;
}

static enum catena_rc
add_aki(X509 *x, const uint8_t *id, size_t len, struct catena_err *err)
{
    AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
    enum catena_rc rc;

    /* keyIdentifier only (BR 7.1.2.11.1): no issuer name or serial. */
    if (aki == NULL || (aki->keyid = ASN1_OCTET_STRING_new()) == NULL ||
        !ASN1_OCTET_STRING_set(aki->keyid, id, (int)len)) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = add_ext(x, NID_authority_key_identifier, aki, 0, err);
out:
    AUTHORITY_KEYID_free(aki);
    return rc;
}

/* gn_ia5 makes a GENERAL_NAME of IA5String type |type| holding |s|. */
static GENERAL_NAME *
gn_ia5(int type, const char *s)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

    if (gn == NULL || ia5 == NULL ||
        !ASN1_STRING_set(ia5, s, (int)strlen(s))) {
        GENERAL_NAME_free(gn);
        ASN1_IA5STRING_free(ia5);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, type, ia5);
    return gn;
}

static int
push_gn(GENERAL_NAMES *gens, GENERAL_NAME *gn)
{
    if (gn == NULL) {
        return 0;
    }
    if (!sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        return 0;
    }
    return 1;
}

static enum catena_rc
add_san(X509 *x, const struct catena_tbs_params *p, int critical,
        struct catena_err *err)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    enum catena_rc rc = CATENA_ERR_NOMEM;

    if (gens == NULL) {
        goto nomem;
    }
    for (size_t i = 0; i < p->num_dns_names; i++) {
        if (!push_gn(gens, gn_ia5(GEN_DNS, p->dns_names[i]))) {
            goto nomem;
        }
    }
    for (size_t i = 0; i < p->num_ips; i++) {
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(p->ips[i]);
        GENERAL_NAME *gn;

        if (ip == NULL) {
            rc = catena_err_set(err, CATENA_ERR_INVALID,
                                "not an IP address");
            goto out;
        }
        gn = GENERAL_NAME_new();
        if (gn == NULL) {
            ASN1_OCTET_STRING_free(ip);
            goto nomem;
        }
        GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
        if (!push_gn(gens, gn)) {
            goto nomem;
        }
    }
    for (size_t i = 0; i < p->num_emails; i++) {
        if (!push_gn(gens, gn_ia5(GEN_EMAIL, p->emails[i]))) {
            goto nomem;
        }
    }
    for (size_t i = 0; i < p->num_uris; i++) {
        if (!push_gn(gens, gn_ia5(GEN_URI, p->uris[i]))) {
            goto nomem;
        }
    }
    if (sk_GENERAL_NAME_num(gens) == 0) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "the certificate would have no names");
        goto out;
    }
    /* RFC 5280 4.2.1.6: critical exactly when the subject is empty. */
    rc = add_ext(x, NID_subject_alt_name, gens, critical, err);
    goto out;
nomem:
    rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
out:
    GENERAL_NAMES_free(gens);
    return rc;
}

static enum catena_rc
add_policy(X509 *x, const char *oid, struct catena_err *err)
{
    CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
    POLICYINFO *pi = POLICYINFO_new();
    enum catena_rc rc;

    if (pols == NULL || pi == NULL ||
        (pi->policyid = OBJ_txt2obj(oid, 1)) == NULL) {
        POLICYINFO_free(pi);
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!sk_POLICYINFO_push(pols, pi)) {
        POLICYINFO_free(pi);
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = add_ext(x, NID_certificate_policies, pols, 0, err);
out:
    CERTIFICATEPOLICIES_free(pols);
    return rc;
}

static int
push_access(AUTHORITY_INFO_ACCESS *aia, int method, const char *url)
{
    ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
    GENERAL_NAME *gn = gn_ia5(GEN_URI, url);

    if (ad == NULL || gn == NULL) {
        ACCESS_DESCRIPTION_free(ad);
        GENERAL_NAME_free(gn);
        return 0;
    }
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(method);
    GENERAL_NAME_free(ad->location);
    ad->location = gn;
    if (!sk_ACCESS_DESCRIPTION_push(aia, ad)) {
        ACCESS_DESCRIPTION_free(ad);
        return 0;
    }
    return 1;
}

static enum catena_rc
add_aia(X509 *x, const char *ocsp, const char *ca_issuers,
        struct catena_err *err)
{
    AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
    enum catena_rc rc;

    if (aia == NULL || (ocsp != NULL && !push_access(aia, NID_ad_OCSP, ocsp)) ||
        (ca_issuers != NULL &&
         !push_access(aia, NID_ad_ca_issuers, ca_issuers))) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = add_ext(x, NID_info_access, aia, 0, err);
out:
    AUTHORITY_INFO_ACCESS_free(aia);
    return rc;
}

static enum catena_rc
add_crldp(X509 *x, const char *url, struct catena_err *err)
{
    CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    enum catena_rc rc = CATENA_OK;

    if (dps == NULL || dp == NULL ||
        (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
        (dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null()) ==
            NULL ||
        !push_gn(dp->distpoint->name.fullname, gn_ia5(GEN_URI, url))) {
        DIST_POINT_free(dp);
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    dp->distpoint->type = 0; /* fullName */
    if (!sk_DIST_POINT_push(dps, dp)) {
        DIST_POINT_free(dp);
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = add_ext(x, NID_crl_distribution_points, dps, 0, err);
out:
    CRL_DIST_POINTS_free(dps);
    return rc;
}

static enum catena_rc
add_ocsp_nocheck(X509 *x, struct catena_err *err)
{
    ASN1_NULL *null = ASN1_NULL_new();
    enum catena_rc rc;

    if (null == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    rc = add_ext(x, NID_id_pkix_OCSP_noCheck, null, 0, err);
    ASN1_NULL_free(null);
    return rc;
}

/* The profile decides the extensions; the subject key type only decides
 * which keyUsage bits are legal (RFC 5480 §3, RFC 8410 §5). */
static enum catena_rc
add_profile_extensions(X509 *x, const struct catena_tbs_params *p,
                       const uint8_t *aki, size_t aki_len,
                       const uint8_t *ski, size_t ski_len,
                       struct catena_err *err)
{
    const char *name = p->profile->name;
    /* The caller validated the subject key (catena_csr_parse_key /
     * catena_spki_parse); here only its type matters. */
    unsigned type = catena_key_type(p->subject_key);
    int is_rsa;
    int is_ec;
    int ku[4];
    size_t num_ku = 0;
    int eku[2];
    size_t num_eku = 0;
    int empty_subject = p->subject == NULL ||
                        X509_NAME_entry_count(p->subject) == 0;
    enum catena_rc rc;

    is_rsa = (type & (CATENA_KEY_RSA2048 | CATENA_KEY_RSA3072 |
                      CATENA_KEY_RSA4096)) != 0;
    is_ec = (type & (CATENA_KEY_P256 | CATENA_KEY_P384)) != 0;

    if (p->profile->is_ca) {
        /* Roots carry no pathLen (BR 7.1.2.1.4); issuing CAs sign only
         * end-entity certificates, hence pathLen 0. */
        rc = add_basic_constraints(
            x, 1, strcmp(name, "root-ca") == 0 ? -1 : 0, err);
        if (rc != CATENA_OK) {
            return rc;
        }
        ku[num_ku++] = BIT_CERT_SIGN;
        ku[num_ku++] = BIT_CRL_SIGN;
    } else if (strcmp(name, "x509-svid") == 0) {
        /* X509-SVID §4.1: leaf SVIDs state cA=FALSE explicitly. */
        if ((rc = add_basic_constraints(x, 0, -1, err)) != CATENA_OK) {
            return rc;
        }
        ku[num_ku++] = BIT_DS;
        if (is_rsa) {
            ku[num_ku++] = BIT_KE;
        }
        eku[num_eku++] = NID_server_auth;
        eku[num_eku++] = NID_client_auth;
    } else if (strcmp(name, "tls-server") == 0 ||
               strcmp(name, "service-tls") == 0) {
        ku[num_ku++] = BIT_DS;
        if (is_rsa) {
            ku[num_ku++] = BIT_KE; /* BR 7.1.2.7.11: MAY for RSA */
        }
        eku[num_eku++] = NID_server_auth;
    } else if (strcmp(name, "smime-mailbox") == 0) {
        /* Dual use (signing and key management), SBR 7.1.2.3(e). */
        ku[num_ku++] = BIT_DS;
        if (is_rsa) {
            ku[num_ku++] = BIT_KE;
        } else if (is_ec) {
            ku[num_ku++] = BIT_KA;
        }
        eku[num_eku++] = NID_email_protect;
    } else if (strcmp(name, "ocsp-signer") == 0) {
        ku[num_ku++] = BIT_DS;
        eku[num_eku++] = NID_OCSP_sign;
    } else {
        return catena_err_set(err, CATENA_ERR_INTERNAL,
                              "no extensions for profile %s", name);
    }
    if (strcmp(name, "sub-ca") == 0) {
        /* BR 7.1.2.10.6 / SBR: an issuing CA's EKU names its one
         * purpose; the SPIFFE CA is unconstrained by EKU. With an EKU the
         * KU also carries digitalSignature (BR 7.1.2.10.7 MAY) so that
         * KU and EKU stay consistent (RFC 5280 4.2.1.12, lint A22). */
        if (p->ca_kind == CATENA_CA_KIND_TLS) {
            eku[num_eku++] = NID_server_auth;
        } else if (p->ca_kind == CATENA_CA_KIND_SMIME) {
            eku[num_eku++] = NID_email_protect;
        }
        if (num_eku > 0) {
            ku[num_ku++] = BIT_DS;
        }
    }
    if ((rc = add_key_usage(x, ku, num_ku, err)) != CATENA_OK) {
        return rc;
    }
    if (num_eku > 0 && (rc = add_eku(x, eku, num_eku, err)) != CATENA_OK) {
        return rc;
    }
    /* SKI: required for CAs, NOT RECOMMENDED for TLS subscribers (BR
     * 7.1.2.7.6) and OCSP responders (BR 7.1.2.8), RFC 5280 SHOULD for
     * the other end entities. */
    if (strcmp(name, "tls-server") != 0 && strcmp(name, "service-tls") != 0 &&
        strcmp(name, "ocsp-signer") != 0) {
        rc = add_octets_ext(x, NID_subject_key_identifier, ski, ski_len, err);
        if (rc != CATENA_OK) {
            return rc;
        }
    }
    if (aki != NULL && (rc = add_aki(x, aki, aki_len, err)) != CATENA_OK) {
        return rc;
    }
    if (!p->profile->is_ca && strcmp(name, "ocsp-signer") != 0 &&
        (rc = add_san(x, p, empty_subject, err)) != CATENA_OK) {
        return rc;
    }
    if (strcmp(name, "tls-server") == 0 ||
        (strcmp(name, "sub-ca") == 0 && p->ca_kind == CATENA_CA_KIND_TLS)) {
        rc = add_policy(x, OID_TLS_DV, err);
    } else if (strcmp(name, "smime-mailbox") == 0 ||
               (strcmp(name, "sub-ca") == 0 &&
                p->ca_kind == CATENA_CA_KIND_SMIME)) {
        rc = add_policy(x, OID_SMIME_MAILBOX_STRICT, err);
    } else if (strcmp(name, "sub-ca") == 0) {
        rc = add_policy(x, OID_ANY_POLICY, err);
    }
    if (rc != CATENA_OK) {
        return rc;
    }
    if ((p->ocsp_url != NULL || p->ca_issuers_url != NULL) &&
        (rc = add_aia(x, p->ocsp_url, p->ca_issuers_url, err)) != CATENA_OK) {
        return rc;
    }
    if (p->crl_url != NULL &&
        (rc = add_crldp(x, p->crl_url, err)) != CATENA_OK) {
        return rc;
    }
    if (strcmp(name, "ocsp-signer") == 0) {
        /* RFC 6960 4.2.2.2.1: clients need not check the responder. */
        rc = add_ocsp_nocheck(x, err);
    }
    return rc;
}

/*
 * copy_spki puts the subject's SubjectPublicKeyInfo into |x| exactly as
 * received: the algorithm, its parameters and the key bits are copied,
 * so no key encoder runs and the bytes cannot drift.
 */
static enum catena_rc
copy_spki(X509 *x, const X509_PUBKEY *from, struct catena_err *err)
{
    ASN1_OBJECT *alg = NULL;
    const unsigned char *bits = NULL;
    int bits_len = 0;
    X509_ALGOR *pa = NULL;
    const ASN1_OBJECT *obj = NULL;
    const void *pval = NULL;
    int ptype = 0;
    ASN1_OBJECT *param = NULL;
    unsigned char *enc = NULL;

    if (!X509_PUBKEY_get0_param(&alg, &bits, &bits_len, &pa, from) ||
        pa == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "malformed SPKI");
    }
    X509_ALGOR_get0(&obj, &ptype, &pval, pa);
    if (ptype == V_ASN1_OBJECT) {
        param = OBJ_dup(pval);
    } else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "SPKI parameters must be a named curve, NULL "
                              "or absent");
    }
    enc = OPENSSL_memdup(bits, (size_t)bits_len);
    alg = OBJ_dup(alg);
    if (alg == NULL || enc == NULL ||
        (ptype == V_ASN1_OBJECT && param == NULL) ||
        !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), alg, ptype, param,
                                enc, bits_len)) {
        ASN1_OBJECT_free(alg);
        ASN1_OBJECT_free(param);
        OPENSSL_free(enc);
        return catena_err_set_openssl(err, CATENA_ERR_NOMEM,
                                      "cannot copy the public key");
    }
    return CATENA_OK;
}

enum catena_rc
catena_tbs_build(const struct catena_tbs_params *p, uint8_t **tbs,
                 size_t *tbs_len, struct catena_err *err)
{
    X509 *x = NULL;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    uint8_t ski[SHA_DIGEST_LENGTH];
    uint8_t aki_buf[SHA_DIGEST_LENGTH];
    const uint8_t *aki = NULL;
    size_t aki_len = 0;
    unsigned char *der = NULL;
    int len;
    enum catena_rc rc;

    *tbs = NULL;
    *tbs_len = 0;
    if (p->profile == NULL || p->serial == NULL || p->serial_len == 0 ||
        p->serial_len > CATENA_SERIAL_MAX_BYTES || p->issuer_key == NULL ||
        p->subject_key == NULL || p->not_after < p->not_before) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "incomplete TBS parameters");
    }
    x = X509_new();
    bn = BN_bin2bn(p->serial, (int)p->serial_len, NULL);
    if (x == NULL || bn == NULL ||
        (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!X509_set_version(x, X509_VERSION_3) ||
        !X509_set_serialNumber(x, serial) ||
        ASN1_TIME_set(X509_getm_notBefore(x), (time_t)p->not_before) ==
            NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)p->not_after) == NULL ||
        (p->subject != NULL && !X509_set_subject_name(x, p->subject)) ||
        (p->subject_spki == NULL && !X509_set_pubkey(x, p->subject_key))) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot fill the TBS");
        goto out;
    }
    if (p->subject_spki != NULL &&
        (rc = copy_spki(x, p->subject_spki, err)) != CATENA_OK) {
        goto out;
    }
    /* The issuer name is copied from the issuer certificate's subject so
     * it is byte-identical (RFC 5280 4.1.2.4). */
    if (p->issuer_cert != NULL) {
        const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(
            p->issuer_cert);

        if (!X509_set_issuer_name(x, X509_get_subject_name(p->issuer_cert))) {
            rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                        "cannot set the issuer name");
            goto out;
        }
        if (iski != NULL) {
            aki = ASN1_STRING_get0_data(iski);
            aki_len = (size_t)ASN1_STRING_length(iski);
        } else {
            if ((rc = key_id(p->issuer_key, aki_buf, err)) != CATENA_OK) {
                goto out;
            }
            aki = aki_buf;
            aki_len = sizeof(aki_buf);
        }
    } else if (p->subject == NULL || !X509_set_issuer_name(x, p->subject)) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "a self-signed certificate needs a subject");
        goto out;
    }
    {
        /* SKI, RFC 5280 4.2.1.2 method (1), from the bits in the TBS. */
        const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);

        if (bits == NULL) {
            rc = catena_err_set(err, CATENA_ERR_INVALID, "no public key");
            goto out;
        }
        SHA1(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits),
             ski);
    }
    if ((rc = add_profile_extensions(x, p, aki, aki_len, ski, sizeof(ski),
                                     err)) != CATENA_OK ||
        (rc = set_sigalg(x, p->issuer_key, err)) != CATENA_OK) {
        goto out;
    }
    len = i2d_re_X509_tbs(x, &der);
    if (len <= 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot encode the TBS");
        goto out;
    }
    *tbs = der;
    *tbs_len = (size_t)len;
    der = NULL;
    rc = CATENA_OK;
out:
    OPENSSL_free(der);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    X509_free(x);
    return rc;
}

enum catena_rc
catena_name_canonical_dns(const char *in, char out[254],
                          struct catena_err *err)
{
    size_t len;

    if (in == NULL || (len = strlen(in)) == 0) {
        return catena_err_set(err, CATENA_ERR_INVALID, "empty DNS name");
    }
    if (in[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > 253) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "DNS name length %zu out of range", len);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c >= 0x80) {
            /* Only A-labels ("xn--") are accepted; converting U-labels
             * would need IDNA2008 mapping we do not guess at. */
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "DNS name is not ASCII: submit the "
                                  "A-label (xn--) form");
        }
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c - 'A' + 'a');
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*')) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "DNS name contains a character outside "
                                  "letters, digits, '-', '.' and '*'");
        }
        out[i] = (char)c;
    }
    out[len] = '\0';
    return CATENA_OK;
}
