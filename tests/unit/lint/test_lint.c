/*
 * test_lint.c - the linter on objects built here with OpenSSL: a clean TLS
 * certificate and CRL, then the historical bugs (reason code 7, an RSA
 * algorithm on an EC-signed CRL, a PEM CRL, a v1 CRL without number/AKI,
 * a certificate one second over its profile, a low-entropy serial) and
 * malformed input, which must be a FATAL finding and never a crash; and
 * the public-name rule against the Public Suffix List.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/lint.h"

#define NOW INT64_C(1767225600) /* 2026-01-01 */

struct ca {
    EVP_PKEY *key;
    X509 *cert;
    uint8_t *der;
    int der_len;
    uint8_t *spki;
    int spki_len;
};

static EVP_PKEY *
ec_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *e;

    X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (e == NULL) {
        fail_msg("extension %s = %s", OBJ_nid2sn(nid), value);
    }
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

static void
set_serial(X509 *x, const char *hex)
{
    BIGNUM *bn = NULL;

    assert_true(BN_hex2bn(&bn, hex) > 0);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
    BN_free(bn);
}

static void
make_ca(struct ca *ca)
{
    X509_NAME *nm = X509_NAME_new();
    unsigned char *p = NULL;

    memset(ca, 0, sizeof(*ca));
    ca->key = ec_key();
    ca->cert = X509_new();
    assert_non_null(ca->key);
    X509_set_version(ca->cert, 2);
    set_serial(ca->cert, "0123456789abcdef0123456789abcdef");
    X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)"Catena Test", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"Catena Test Root", -1, -1, 0);
    X509_set_subject_name(ca->cert, nm);
    X509_set_issuer_name(ca->cert, nm);
    X509_NAME_free(nm);
    ASN1_TIME_set(X509_getm_notBefore(ca->cert), (time_t)(NOW - 86400));
    ASN1_TIME_set(X509_getm_notAfter(ca->cert), (time_t)(NOW - 86400 + 3650 * INT64_C(86400) - 1));
    X509_set_pubkey(ca->cert, ca->key);
    add_ext(ca->cert, NULL, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(ca->cert, NULL, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    add_ext(ca->cert, NULL, NID_subject_key_identifier, "hash");
    assert_true(X509_sign(ca->cert, ca->key, EVP_sha256()) > 0);
    ca->der_len = i2d_X509(ca->cert, &ca->der);
    assert_true(ca->der_len > 0);
    ca->spki_len = i2d_PUBKEY(ca->key, &p);
    ca->spki = p;
}

static void
free_ca(struct ca *ca)
{
    EVP_PKEY_free(ca->key);
    X509_free(ca->cert);
    OPENSSL_free(ca->der);
    OPENSSL_free(ca->spki);
}

/* tls_leaf builds a TLS DV leaf valid for |lifetime| seconds (inclusive). */
static X509 *
tls_leaf(struct ca *ca, int64_t lifetime, const char *serial)
{
    X509 *x = X509_new();
    EVP_PKEY *k = ec_key();
    X509_NAME *nm = X509_NAME_new();

    X509_set_version(x, 2);
    set_serial(x, serial);
    X509_set_issuer_name(x, X509_get_subject_name(ca->cert));
    X509_set_subject_name(x, nm);
    X509_NAME_free(nm);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)NOW);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(NOW + lifetime - 1));
    X509_set_pubkey(x, k);
    EVP_PKEY_free(k);
    add_ext(x, ca->cert, NID_subject_alt_name, "critical,DNS:www.example.com");
    add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature");
    add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth");
    add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always");
    {
        CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
        POLICYINFO *pi = POLICYINFO_new();

        pi->policyid = OBJ_txt2obj("2.23.140.1.2.1", 1);
        sk_POLICYINFO_push(cp, pi);
        assert_int_equal(X509_add1_ext_i2d(x, NID_certificate_policies, cp, 0, 0), 1);
        CERTIFICATEPOLICIES_free(cp);
    }
    add_ext(x, ca->cert, NID_info_access, "caIssuers;URI:http://ca.example.com/ca.der");
    add_ext(x, ca->cert, NID_crl_distribution_points, "URI:http://ca.example.com/crl/0.crl");
    assert_true(X509_sign(x, ca->key, EVP_sha256()) > 0);
    return x;
}

static enum catena_lint_result
result_of(const struct catena_lint_report *r, const char *name)
{
    for (size_t i = 0; i < r->num_findings; i++) {
        if (strcmp(r->findings[i].rule->name, name) == 0) {
            return r->findings[i].result;
        }
    }
    fail_msg("rule %s did not run", name);
    return CATENA_LINT_FATAL;
}

static struct catena_lint_report *
lint_x509(X509 *x, struct ca *ca, int64_t max, int tbs)
{
    struct catena_lint_ctx ctx;
    struct catena_lint_report *r = NULL;
    unsigned char *der = NULL;
    int len = tbs ? i2d_re_X509_tbs(x, &der) : i2d_X509(x, &der);

    assert_true(len > 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.now = NOW;
    ctx.max_validity_seconds = max;
    ctx.issuer_cert_der = ca->der;
    ctx.issuer_cert_der_len = (size_t)ca->der_len;
    ctx.signer_spki_der = ca->spki;
    ctx.signer_spki_der_len = (size_t)ca->spki_len;
    ctx.is_tbs = tbs;
    assert_int_equal(catena_lint_cert(der, (size_t)len, &ctx, &r), CATENA_OK);
    OPENSSL_free(der);
    return r;
}

static void
test_clean_leaf(void **state)
{
    struct ca ca;
    X509 *x;
    struct catena_lint_report *r;
    char buf[1024];

    (void)state;
    make_ca(&ca);
    x = tls_leaf(&ca, 90 * 86400, "01a2b3c4d5e6f708091a2b3c4d5e6f7081");
    for (int tbs = 0; tbs < 2; tbs++) {
        r = lint_x509(x, &ca, 90 * 86400, tbs);
        size_t errs = catena_lint_report_errors(r, CATENA_LINT_ERROR, buf, sizeof(buf));
        if (errs != 0) {
            fail_msg("clean leaf: %s", buf);
        }
        assert_int_equal(result_of(r, "e_cert_version_not_v3"), CATENA_LINT_PASS);
        assert_int_equal(result_of(r, "e_cert_sig_alg_not_issuer_key"), CATENA_LINT_PASS);
        assert_int_equal(result_of(r, "e_cert_issuer_not_ca_subject"), CATENA_LINT_PASS);
        assert_int_equal(result_of(r, "e_cert_sig_alg_mismatch"),
                         tbs ? CATENA_LINT_NA : CATENA_LINT_PASS);
        assert_int_equal(result_of(r, "e_cert_signature_invalid"),
                         tbs ? CATENA_LINT_NA : CATENA_LINT_PASS);
        catena_lint_report_free(r);
    }
    X509_free(x);
    free_ca(&ca);
}

static void
test_one_second_over(void **state)
{
    struct ca ca;
    X509 *x;
    struct catena_lint_report *r;

    (void)state;
    make_ca(&ca);
    /* notAfter = notBefore + 90 days: inclusive length is 90 days + 1 s. */
    x = tls_leaf(&ca, 90 * 86400 + 1, "01a2b3c4d5e6f708091a2b3c4d5e6f7081");
    r = lint_x509(x, &ca, 90 * 86400, 1);
    assert_int_equal(result_of(r, "e_cert_validity_too_long"), CATENA_LINT_ERROR);
    assert_true(r->worst >= CATENA_LINT_ERROR);
    catena_lint_report_free(r);
    X509_free(x);
    free_ca(&ca);
}

static void
test_low_entropy_serial(void **state)
{
    struct ca ca;
    X509 *x;
    struct catena_lint_report *r;

    (void)state;
    make_ca(&ca);
    x = tls_leaf(&ca, 86400, "01");
    r = lint_x509(x, &ca, 0, 0);
    assert_int_equal(result_of(r, "e_cert_serial_low_entropy"), CATENA_LINT_ERROR);
    assert_int_equal(result_of(r, "e_cert_serial_invalid"), CATENA_LINT_PASS);
    catena_lint_report_free(r);
    X509_free(x);
    x = tls_leaf(&ca, 86400, "0102030405060708");
    r = lint_x509(x, &ca, 0, 0);
    assert_int_equal(result_of(r, "e_cert_serial_low_entropy"), CATENA_LINT_ERROR);
    catena_lint_report_free(r);
    X509_free(x);
    free_ca(&ca);
}

/* make_crl builds a CRL with one entry with |reason| (-1 none). */
static uint8_t *
make_crl(struct ca *ca, int v2, int reason, int with_ext, const EVP_MD *md,
         EVP_PKEY *sign_key, int *len)
{
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    uint8_t *der = NULL;

    if (v2) {
        X509_CRL_set_version(crl, 1);
    }
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert));
    ASN1_TIME_set(t, (time_t)NOW);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, (time_t)(NOW + 7 * 86400));
    X509_CRL_set1_nextUpdate(crl, t);
    ASN1_INTEGER_set(sn, 0x1234567);
    X509_REVOKED_set_serialNumber(rev, sn);
    ASN1_TIME_set(t, (time_t)(NOW - 3600));
    X509_REVOKED_set_revocationDate(rev, t);
    if (reason >= 0) {
        ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

        ASN1_ENUMERATED_set(e, reason);
        X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, e, 0, 0);
        ASN1_ENUMERATED_free(e);
    }
    X509_CRL_add0_revoked(crl, rev);
    if (with_ext) {
        X509V3_CTX v3;
        X509_EXTENSION *e;
        ASN1_INTEGER *num = ASN1_INTEGER_new();

        ASN1_INTEGER_set(num, 42);
        X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
        ASN1_INTEGER_free(num);
        X509V3_set_ctx(&v3, ca->cert, NULL, NULL, crl, 0);
        e = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
        assert_non_null(e);
        X509_CRL_add_ext(crl, e, -1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_CRL_sign(crl, sign_key, md) > 0);
    *len = i2d_X509_CRL(crl, &der);
    ASN1_INTEGER_free(sn);
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
    return der;
}

static struct catena_lint_report *
lint_crl_der(struct ca *ca, const uint8_t *der, size_t len)
{
    struct catena_lint_ctx ctx;
    struct catena_lint_report *r = NULL;

    memset(&ctx, 0, sizeof(ctx));
    ctx.now = NOW;
    ctx.issuer_cert_der = ca->der;
    ctx.issuer_cert_der_len = (size_t)ca->der_len;
    assert_int_equal(catena_lint_crl(der, len, &ctx, &r), CATENA_OK);
    return r;
}

static void
test_crl(void **state)
{
    struct ca ca;
    struct catena_lint_report *r;
    uint8_t *der;
    int len;
    char buf[512];

    (void)state;
    make_ca(&ca);
    /* Clean: v2, number, AKI, keyCompromise. */
    der = make_crl(&ca, 1, 1, 1, EVP_sha256(), ca.key, &len);
    r = lint_crl_der(&ca, der, (size_t)len);
    if (catena_lint_report_errors(r, CATENA_LINT_ERROR, buf, sizeof(buf)) != 0) {
        fail_msg("clean CRL: %s", buf);
    }
    catena_lint_report_free(r);
    OPENSSL_free(der);
    /* Reason code 7. */
    der = make_crl(&ca, 1, 7, 1, EVP_sha256(), ca.key, &len);
    r = lint_crl_der(&ca, der, (size_t)len);
    assert_int_equal(result_of(r, "e_crl_reason_code_invalid"), CATENA_LINT_ERROR);
    catena_lint_report_free(r);
    OPENSSL_free(der);
    /* unspecified (0) encoded. */
    der = make_crl(&ca, 1, 0, 1, EVP_sha256(), ca.key, &len);
    r = lint_crl_der(&ca, der, (size_t)len);
    assert_int_equal(result_of(r, "e_crl_reason_code_not_allowed"), CATENA_LINT_ERROR);
    catena_lint_report_free(r);
    OPENSSL_free(der);
    /* v1 without number or AKI. */
    der = make_crl(&ca, 0, 1, 0, EVP_sha256(), ca.key, &len);
    r = lint_crl_der(&ca, der, (size_t)len);
    assert_int_equal(result_of(r, "e_crl_version_not_v2"), CATENA_LINT_ERROR);
    assert_int_equal(result_of(r, "e_crl_number_invalid"), CATENA_LINT_ERROR);
    assert_int_equal(result_of(r, "e_crl_aki_invalid"), CATENA_LINT_ERROR);
    catena_lint_report_free(r);
    OPENSSL_free(der);
    /* Signed by an RSA key while the CA key is EC. */
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    der = make_crl(&ca, 1, 1, 1, EVP_sha256(), rsa, &len);
    r = lint_crl_der(&ca, der, (size_t)len);
    assert_int_equal(result_of(r, "e_crl_sig_alg_not_signer_key"), CATENA_LINT_ERROR);
    assert_int_equal(result_of(r, "e_crl_signature_invalid"), CATENA_LINT_ERROR);
    catena_lint_report_free(r);
    EVP_PKEY_free(rsa);
    /* The same bytes in PEM. */
    {
        BIO *b = BIO_new(BIO_s_mem());
        const unsigned char *p = der;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, len);
        char *pem;
        long pl;

        PEM_write_bio_X509_CRL(b, crl);
        pl = BIO_get_mem_data(b, &pem);
        r = lint_crl_der(&ca, (const uint8_t *)pem, (size_t)pl);
        assert_int_equal(result_of(r, "e_crl_not_single_der"), CATENA_LINT_ERROR);
        catena_lint_report_free(r);
        X509_CRL_free(crl);
        BIO_free(b);
    }
    OPENSSL_free(der);
    free_ca(&ca);
}

static void
test_malformed(void **state)
{
    static const uint8_t junk[][8] = {
        {0x30, 0x80, 0x00, 0x00}, {0x30, 0x05, 0x02, 0x01}, {0xff},
        {0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, {0x30, 0x00}};
    struct catena_lint_report *r = NULL;
    struct catena_lint_ctx ctx;
    struct ca ca;
    unsigned char *der = NULL;
    int len;

    (void)state;
    memset(&ctx, 0, sizeof(ctx));
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        for (int tbs = 0; tbs < 2; tbs++) {
            ctx.is_tbs = tbs;
            assert_int_equal(catena_lint_cert(junk[i], 6, &ctx, &r), CATENA_OK);
            assert_int_equal(r->worst, CATENA_LINT_FATAL);
            catena_lint_report_free(r);
            assert_int_equal(catena_lint_crl(junk[i], 6, &ctx, &r), CATENA_OK);
            assert_int_equal(r->worst, CATENA_LINT_FATAL);
            catena_lint_report_free(r);
            assert_int_equal(catena_lint_ocsp(junk[i], 6, &ctx, &r), CATENA_OK);
            assert_int_equal(r->worst, CATENA_LINT_FATAL);
            catena_lint_report_free(r);
        }
    }
    /* Every truncation of a real certificate is fatal or linted, never a
     * crash (ASan checks the bounds). */
    make_ca(&ca);
    len = i2d_X509(ca.cert, &der);
    for (int cut = 0; cut < len; cut++) {
        ctx.is_tbs = 0;
        assert_int_equal(catena_lint_cert(der, (size_t)cut, &ctx, &r), CATENA_OK);
        assert_int_equal(r->worst, CATENA_LINT_FATAL);
        catena_lint_report_free(r);
    }
    OPENSSL_free(der);
    free_ca(&ca);
}

/* point_result lints a TBSCertificate and returns the B10 result. */
static enum catena_lint_result
point_result(const uint8_t *der, size_t len)
{
    struct catena_lint_ctx ctx;
    struct catena_lint_report *r = NULL;
    enum catena_lint_result res;

    memset(&ctx, 0, sizeof(ctx));
    ctx.now = NOW;
    ctx.is_tbs = 1;
    assert_int_equal(catena_lint_cert(der, len, &ctx, &r), CATENA_OK);
    res = result_of(r, "e_key_ec_point_invalid");
    catena_lint_report_free(r);
    return res;
}

/* B10 checks the curve equation with p and b written into the linter: a
 * key OpenSSL generated on each NIST curve must pass (which it cannot if a
 * constant is wrong), one with Y changed or X >= p must fail. */
static void
test_ec_point(void **state)
{
    static const char *const curves[] = {"P-256", "P-384", "P-521"};
    static const size_t field[] = {32, 48, 66};
    struct ca ca;

    (void)state;
    make_ca(&ca);
    for (size_t i = 0; i < 3; i++) {
        X509 *x = tls_leaf(&ca, 90 * 86400, "01a2b3c4d5e6f708091a2b3c4d5e6f7081");
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
        unsigned char *der = NULL;
        unsigned char pt[1 + 2 * 66];
        size_t pt_len = 0;
        int len;
        uint8_t *at;

        assert_non_null(k);
        assert_int_equal(X509_set_pubkey(x, k), 1);
        len = i2d_re_X509_tbs(x, &der);
        assert_true(len > 0);
        assert_int_equal(EVP_PKEY_get_octet_string_param(k, "encoded-pub-key", pt,
                                                         sizeof(pt), &pt_len), 1);
        assert_int_equal(pt_len, 1 + 2 * field[i]);
        at = memmem(der, (size_t)len, pt, pt_len);
        assert_non_null(at);
        assert_int_equal(point_result(der, (size_t)len), CATENA_LINT_PASS);
        at[pt_len - 1] ^= 0x01; /* Y off by one: not on the curve */
        assert_int_equal(point_result(der, (size_t)len), CATENA_LINT_ERROR);
        at[pt_len - 1] ^= 0x01;
        memset(at + 1, 0xff, field[i]); /* X >= p */
        assert_int_equal(point_result(der, (size_t)len), CATENA_LINT_ERROR);
        at[0] = 0x02; /* not uncompressed */
        assert_int_equal(point_result(der, (size_t)len), CATENA_LINT_ERROR);
        OPENSSL_free(der);
        EVP_PKEY_free(k);
        X509_free(x);
    }
    free_ca(&ca);
}

static void
test_registry(void **state)
{
    size_t n = 0;
    const struct catena_lint_rule *rules = catena_lint_rules(&n);
    char buf[16];

    (void)state;
    assert_true(n >= 100);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(rules[i].name);
        assert_true(rules[i].citation[0] != '\0');
        assert_non_null(rules[i].zlint);
        for (size_t k = i + 1; k < n; k++) {
            assert_string_not_equal(rules[i].name, rules[k].name);
        }
    }
    assert_string_equal(catena_lint_result_name(CATENA_LINT_NE), "NE");
    assert_int_equal(catena_lint_report_errors(NULL, CATENA_LINT_ERROR, buf, sizeof(buf)), 0);
}

/* The TLS name rule behind T2 and an ACME newOrder: the Public Suffix
 * List's ICANN section decides what is a TLD and what is a public suffix
 * (BR 3.2.2.6); the private section (github.io) does not. */
static void
test_public_names(void **state)
{
    static const struct {
        const char *name;
        const char *why; /* NULL: public; else part of the reason */
    } cases[] = {
        {"example.com", NULL},
        {"*.example.com", NULL},
        {"WWW.Example.COM", NULL},
        {"a.b.co.uk", NULL},
        {"*.b.co.uk", NULL},
        {"xn--80ak6aa92e.com", NULL},
        {"foo.xn--p1ai", NULL},
        {"*.github.io", NULL},
        {"co.uk", "public suffix"},
        {"*.co.uk", "wildcard immediately left of a public suffix"},
        {"*.com", "wildcard immediately left of a public suffix"},
        {"example.ck", "public suffix"}, /* the list's "*.ck" rule */
        {"hi.com.ukei", "TLD not in the Public Suffix List"},
        {"zlint.mcdonalds", "TLD not in the Public Suffix List"},
        {"com", "single-label"},
        {"host.corp", "reserved, internal"},
        {"www.example.test", "reserved, internal"},
        {"a.b.onion", "reserved, internal"},
        {"a.b.c1", "TLD not in the Public Suffix List"},
        {"192.0.2.1", "TLD not in the Public Suffix List"},
        {"a..com", "empty label"},
        /* A-labels (RFC 5891 5.4): Punycode that decodes, to non-ASCII. */
        {"xn--bcher-kva.example.com", NULL},
        {"XN--BCHER-KVA.example.com", NULL},
        {"xn----7sbaabin3cbc7afgb4aiqh6v.xn--80adxhks", NULL},
        {"xn--www-8fb.example.com", NULL},
        {"xn--12311613412431243.com", "not a valid A-label"},
        {"xn--abc-a.example.com", "not a valid A-label"}, /* U+0080 */
        {"xn--a.example.com", "not a valid A-label"},
        {"xn--zzzzzzzzzzzz.example.com", "not a valid A-label"},
        {"xn--999999999999.example.com", "not a valid A-label"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = NULL;
        int ok = catena_lint_dns_name_public(cases[i].name, &why);

        if (cases[i].why == NULL) {
            if (!ok) {
                fail_msg("%s refused: %s", cases[i].name, why);
            }
            continue;
        }
        if (ok || why == NULL || strstr(why, cases[i].why) == NULL) {
            fail_msg("%s: got %d (%s), want refused with \"%s\"",
                     cases[i].name, ok, why != NULL ? why : "-",
                     cases[i].why);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_clean_leaf),
        cmocka_unit_test(test_one_second_over),
        cmocka_unit_test(test_low_entropy_serial),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_ec_point),
        cmocka_unit_test(test_public_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
