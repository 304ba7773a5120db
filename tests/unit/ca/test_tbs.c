/*
 * test_tbs.c - the TBS builder: what each profile puts in a certificate.
 * The TBS is signed here with a throwaway issuer key so OpenSSL can parse
 * and verify the result as a whole certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "core.h"

/* outer_alg returns the DER AlgorithmIdentifier for |key|, as tbs.c
 * chooses it, for the outer Certificate.signatureAlgorithm. */
static int
outer_alg(EVP_PKEY *key, unsigned char **der)
{
    X509_ALGOR *a = X509_ALGOR_new();
    int nid = NID_ecdsa_with_SHA256;
    int ptype = V_ASN1_UNDEF;
    int len;

    if (EVP_PKEY_is_a(key, "RSA")) {
        nid = NID_sha256WithRSAEncryption;
        ptype = V_ASN1_NULL;
    } else if (EVP_PKEY_is_a(key, "ED25519")) {
        nid = NID_ED25519;
    } else if (EVP_PKEY_get_bits(key) == 384) {
        nid = NID_ecdsa_with_SHA384;
    }
    X509_ALGOR_set0(a, OBJ_nid2obj(nid), ptype, NULL);
    len = i2d_X509_ALGOR(a, der);
    X509_ALGOR_free(a);
    return len;
}

/* sign_tbs wraps |tbs| into a Certificate signed by |key|, so OpenSSL can
 * parse and verify what tbs.c built. */
static X509 *
sign_tbs(const uint8_t *tbs, size_t tbs_len, EVP_PKEY *key)
{
    X509 *x;
    X509_CINF *ci;
    const unsigned char *p = tbs;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const EVP_MD *dg = EVP_sha256();
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
    unsigned char *alg_der = NULL;
    unsigned char *bs_der = NULL;
    int alg_len;
    int bs_len;
    int inner;
    unsigned char *cert;
    unsigned char *q;

    /* The TBS is exactly one DER TBSCertificate. */
    ci = d2i_X509_CINF(NULL, &p, (long)tbs_len);
    assert_non_null(ci);
    assert_ptr_equal(p, tbs + tbs_len);
    X509_CINF_free(ci);

    if (EVP_PKEY_is_a(key, "ED25519")) {
        dg = NULL;
    } else if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == 384) {
        dg = EVP_sha384();
    }
    assert_int_equal(EVP_DigestSignInit(md, NULL, dg, NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sig_len, tbs, tbs_len), 1);
    assert_int_equal(ASN1_BIT_STRING_set(bs, sig, (int)sig_len), 1);
    bs->flags &= ~0x07;
    bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    alg_len = outer_alg(key, &alg_der);
    bs_len = i2d_ASN1_BIT_STRING(bs, &bs_der);
    assert_true(alg_len > 0 && bs_len > 0);
    inner = (int)tbs_len + alg_len + bs_len;
    cert = malloc((size_t)ASN1_object_size(1, inner, V_ASN1_SEQUENCE));
    q = cert;
    ASN1_put_object(&q, 1, inner, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(q, tbs, tbs_len);
    q += tbs_len;
    memcpy(q, alg_der, (size_t)alg_len);
    q += alg_len;
    memcpy(q, bs_der, (size_t)bs_len);
    q += bs_len;
    p = cert;
    x = d2i_X509(NULL, &p, (long)(q - cert));
    assert_non_null(x);
    assert_int_equal(X509_verify(x, key), 1);
    free(cert);
    OPENSSL_free(alg_der);
    OPENSSL_free(bs_der);
    ASN1_BIT_STRING_free(bs);
    EVP_MD_CTX_free(md);
    return x;
}

static X509_NAME *
ca_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
                               (const unsigned char *)"US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                               (const unsigned char *)"Catena Test", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    return n;
}

static const uint8_t serial[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
                                 0x0f, 0x10, 0x11};

static X509 *
build(struct catena_tbs_params *tp, EVP_PKEY *signing_key)
{
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    struct catena_err err;
    X509 *x;

    catena_err_clear(&err);
    tp->serial = serial;
    tp->serial_len = sizeof(serial);
    tp->not_before = 1790000000;
    tp->not_after = catena_validity_not_after(tp->not_before, 90 * 86400);
    if (catena_tbs_build(tp, &tbs, &tbs_len, &err) != CATENA_OK) {
        fail_msg("catena_tbs_build: %s", err.msg);
    }
    x = sign_tbs(tbs, tbs_len, signing_key);
    OPENSSL_free(tbs);
    return x;
}

static int
ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);

    if (i < 0) {
        return -1;
    }
    return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void
test_root_and_tls_leaf(void **state)
{
    EVP_PKEY *root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    EVP_PKEY *leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    X509_NAME *rn = ca_name("Test Root");
    struct catena_tbs_params tp;
    const char *dns[] = {"www.example.com", "example.com"};
    const char *ips[] = {"192.0.2.1"};
    X509 *root;
    X509 *leaf;
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ASN1_INTEGER *sn;
    BIGNUM *bn;

    (void)state;
    memset(&tp, 0, sizeof(tp));
    tp.profile = catena_profile_find("root-ca");
    tp.issuer_key = root_key;
    tp.subject = rn;
    tp.subject_key = root_key;
    root = build(&tp, root_key);
    assert_int_equal(X509_check_ca(root), 1);
    assert_int_equal(ext_critical(root, NID_basic_constraints), 1);
    assert_int_equal(ext_critical(root, NID_key_usage), 1);
    assert_int_equal(ext_critical(root, NID_subject_key_identifier), 0);
    assert_int_equal(ext_critical(root, NID_authority_key_identifier), -1);
    assert_int_equal(ext_critical(root, NID_ext_key_usage), -1);
    assert_true(X509_get_key_usage(root) & KU_KEY_CERT_SIGN);
    assert_int_equal(X509_get_pathlen(root), -1);
    assert_int_equal(X509_get_signature_nid(root), NID_ecdsa_with_SHA384);
    sn = (ASN1_INTEGER *)X509_get0_serialNumber(root);
    bn = ASN1_INTEGER_to_BN(sn, NULL);
    assert_int_equal(BN_num_bytes(bn), sizeof(serial));
    BN_free(bn);

    memset(&tp, 0, sizeof(tp));
    tp.profile = catena_profile_find("tls-server");
    tp.issuer_cert = root;
    tp.issuer_key = root_key;
    tp.subject_key = leaf_key;
    tp.dns_names = dns;
    tp.num_dns_names = 2;
    tp.ips = ips;
    tp.num_ips = 1;
    tp.ocsp_url = "http://ca.example/ocsp";
    tp.ca_issuers_url = "http://ca.example/ca/tls.der";
    tp.crl_url = "http://ca.example/crl/tls/0.crl";
    leaf = build(&tp, root_key);
    /* empty subject: SAN critical (RFC 5280 4.2.1.6) */
    assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
    assert_int_equal(ext_critical(leaf, NID_subject_alt_name), 1);
    assert_int_equal(ext_critical(leaf, NID_key_usage), 1);
    assert_int_equal(X509_get_key_usage(leaf),
                     KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
    assert_int_equal(ext_critical(leaf, NID_subject_key_identifier), -1);
    assert_int_equal(ext_critical(leaf, NID_basic_constraints), -1);
    assert_int_equal(ext_critical(leaf, NID_info_access), 0);
    assert_int_equal(ext_critical(leaf, NID_crl_distribution_points), 0);
    assert_int_equal(ext_critical(leaf, NID_certificate_policies), 0);
    assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
                                           X509_get0_subject_key_id(root)),
                     0);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(leaf),
                                   X509_get_subject_name(root)),
                     0);
    assert_int_equal(X509_check_host(leaf, "www.example.com", 0, 0, NULL),
                     1);
    assert_int_equal(X509_check_ip_asc(leaf, "192.0.2.1", 0), 1);
    /* validity is inclusive: 90 days exactly */
    {
        int days = 0;
        int secs = 0;

        assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf),
                                        X509_get0_notAfter(leaf)),
                         1);
        assert_int_equal((int64_t)days * 86400 + secs + 1, 90 * 86400);
    }
    /* and it chains */
    X509_STORE_add_cert(st, root);
    X509_STORE_CTX_init(ctx, st, leaf, NULL);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), 1790001000);
    assert_int_equal(X509_verify_cert(ctx), 1);

    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    X509_free(leaf);
    X509_free(root);
    X509_NAME_free(rn);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(root_key);
}

static void
test_svid_subca_ocsp(void **state)
{
    EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509_NAME *rn = ca_name("Test Root");
    X509_NAME *on = ca_name("Test OCSP");
    struct catena_tbs_params tp;
    const char *uris[] = {"spiffe://example.org/workload"};
    X509 *root;
    X509 *x;

    (void)state;
    memset(&tp, 0, sizeof(tp));
    tp.profile = catena_profile_find("root-ca");
    tp.issuer_key = ca_key;
    tp.subject = rn;
    tp.subject_key = ca_key;
    root = build(&tp, ca_key);
    assert_int_equal(X509_get_signature_nid(root), NID_ED25519);

    memset(&tp, 0, sizeof(tp));
    tp.profile = catena_profile_find("x509-svid");
    tp.issuer_cert = root;
    tp.issuer_key = ca_key;
    tp.subject_key = leaf_key;
    tp.uris = uris;
    tp.num_uris = 1;
    x = build(&tp, ca_key);
    assert_int_equal(ext_critical(x, NID_basic_constraints), 1);
    assert_int_equal(X509_check_ca(x), 0);
    assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    assert_int_equal(X509_get_extended_key_usage(x),
                     XKU_SSL_SERVER | XKU_SSL_CLIENT);
    assert_int_equal(ext_critical(x, NID_subject_alt_name), 1);
    X509_free(x);

    memset(&tp, 0, sizeof(tp));
    tp.profile = catena_profile_find("sub-ca");
    tp.issuer_cert = root;
    tp.issuer_key = ca_key;
    tp.subject = on;
    tp.subject_key = leaf_key;
    tp.ca_kind = CATENA_CA_KIND_TLS;
    tp.ca_issuers_url = "http://ca.example/ca/root.der";
    tp.crl_url = "http://ca.example/crl/root/0.crl";
    x = build(&tp, ca_key);
    assert_int_equal(X509_check_ca(x), 1);
    assert_int_equal(X509_get_pathlen(x), 0);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
    assert_int_equal(ext_critical(x, NID_certificate_policies), 0);
    X509_free(x);

    memset(&tp, 0, sizeof(tp));
    tp.profile = catena_profile_find("ocsp-signer");
    tp.issuer_cert = root;
    tp.issuer_key = ca_key;
    tp.subject = on;
    tp.subject_key = leaf_key;
    x = build(&tp, ca_key);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_OCSP_SIGN);
    assert_int_equal(ext_critical(x, NID_id_pkix_OCSP_noCheck), 0);
    assert_int_equal(ext_critical(x, NID_info_access), -1);
    assert_int_equal(ext_critical(x, NID_crl_distribution_points), -1);
    X509_free(x);

    X509_free(root);
    X509_NAME_free(rn);
    X509_NAME_free(on);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(ca_key);
}

static void
test_refusals(void **state)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    struct catena_tbs_params tp;
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    struct catena_err err;

    (void)state;
    memset(&tp, 0, sizeof(tp));
    tp.profile = catena_profile_find("tls-server");
    tp.serial = serial;
    tp.serial_len = sizeof(serial);
    tp.issuer_key = key;
    tp.subject_key = key;
    tp.not_before = 10;
    tp.not_after = 5;
    /* notAfter before notBefore */
    assert_int_equal(catena_tbs_build(&tp, &tbs, &tbs_len, &err),
                     CATENA_ERR_INVALID);
    tp.not_after = 100;
    /* self-signed without subject */
    assert_int_equal(catena_tbs_build(&tp, &tbs, &tbs_len, &err),
                     CATENA_ERR_INVALID);
    assert_null(tbs);
    EVP_PKEY_free(key);
}

static void
test_canonical_dns(void **state)
{
    char out[254];
    struct catena_err err;
    char longname[300];

    (void)state;
    assert_int_equal(catena_name_canonical_dns("WWW.Example.COM.", out, &err),
                     CATENA_OK);
    assert_string_equal(out, "www.example.com");
    assert_int_equal(catena_name_canonical_dns("xn--bcher-kva.example", out,
                                               &err),
                     CATENA_OK);
    assert_int_equal(catena_name_canonical_dns("b\xc3\xbc"
                                               "cher.example",
                                               out, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_name_canonical_dns("a b.example", out, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_name_canonical_dns(".", out, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_name_canonical_dns("", out, &err),
                     CATENA_ERR_INVALID);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(catena_name_canonical_dns(longname, out, &err),
                     CATENA_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_and_tls_leaf),
        cmocka_unit_test(test_svid_subca_ocsp),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_canonical_dns),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
