/*
 * test_csr.c - acme_csr_names_match (acme/csr.c): a finalize CSR must name
 * exactly the order's identifiers. CSRs are built here with OpenSSL's
 * X509_REQ API, so the parser without a key decoder is checked against
 * what real encoders produce: exact matches, extra, missing and foreign
 * names, common names, wildcards and IP addresses, and malformed input
 * (no SAN, two extensionRequest attributes, trailing and missing bytes,
 * every truncation, garbage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

static EVP_PKEY *key;

static int
setup(void **state)
{
    (void)state;
    key = EVP_EC_gen("P-256");
    return key != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key);
    return 0;
}

/*
 * make_csr returns the DER (malloc'd, |*len|) of a CSR with common name
 * |cn| (NULL: none) and, unless |san| is NULL, a subjectAltName from the
 * v3 config text |san| ("DNS:a.example.com,IP:198.51.101.7"), requested
 * |san_attrs| (1 or 2) times, each in its own extensionRequest attribute
 * (the first with OID |first_nid|).
 */
static uint8_t *
make_csr(const char *cn, const char *san, int san_attrs, int first_nid,
         size_t *len)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    unsigned char *der = NULL;
    uint8_t *out;
    int n;

    assert_non_null(req);
    assert_non_null(name);
    if (cn != NULL) {
        assert_int_equal(X509_NAME_add_entry_by_txt(
                             name, "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0),
                         1);
    }
    assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
    assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
    for (int i = 0; san != NULL && i < san_attrs; i++) {
        /* As X509_REQ_add_extensions encodes it. OpenSSL refuses a
         * second attribute of one type, so the second one has Microsoft's
         * older extensionRequest OID, which X509_REQ reads as well. */
        STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
        X509_EXTENSION *ext =
            X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
        unsigned char *enc = NULL;
        int enc_len;

        assert_non_null(ext);
        assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
        enc_len = ASN1_item_i2d((ASN1_VALUE *)exts, &enc,
                                ASN1_ITEM_rptr(X509_EXTENSIONS));
        assert_true(enc_len > 0);
        assert_int_equal(
            X509_REQ_add1_attr_by_NID(req, i == 0 ? first_nid : NID_ms_ext_req,
                                      V_ASN1_SEQUENCE, enc, enc_len),
            1);
        OPENSSL_free(enc);
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    }
    assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
    n = i2d_X509_REQ(req, &der);
    assert_true(n > 0);
    out = malloc((size_t)n + 1);
    assert_non_null(out);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    X509_NAME_free(name);
    X509_REQ_free(req);
    return out;
}

/* check builds a CSR and runs the match against |names|. */
static int
check(const char *cn, const char *san, const char *const *names, size_t num)
{
    size_t len = 0;
    uint8_t *der = make_csr(cn, san, 1, NID_ext_req, &len);
    char detail[256] = "";
    int ok = acme_csr_names_match(der, len, names, num, detail,
                                  sizeof(detail));

    if (!ok) {
        assert_true(detail[0] != '\0');
    }
    free(der);
    return ok;
}

static void
test_exact(void **state)
{
    static const char *const two[] = {"a.example.com", "b.example.com"};
    static const char *const wild[] = {"*.example.com", "example.com"};
    static const char *const ip[] = {"198.51.101.7", "a.example.com"};
    static const char *const v6[] = {"2001:db8::7"};
    (void)state;
    assert_true(check("a.example.com", "DNS:a.example.com,DNS:b.example.com",
                      two, 2));
    /* Order does not matter, nor case, nor the absence of a CN. */
    assert_true(check(NULL, "DNS:B.example.com,DNS:a.example.com", two, 2));
    /* A name twice in the CSR is still that name. */
    assert_true(check(NULL,
                      "DNS:a.example.com,DNS:b.example.com,DNS:a.example.com",
                      two, 2));
    assert_true(check("*.example.com", "DNS:*.example.com,DNS:example.com",
                      wild, 2));
    assert_true(check("a.example.com", "IP:198.51.101.7,DNS:a.example.com",
                      ip, 2));
    assert_true(check(NULL, "IP:2001:db8:0:0:0:0:0:7", v6, 1));
}

static void
test_names_refused(void **state)
{
    static const char *const two[] = {"a.example.com", "b.example.com"};
    static const char *const one[] = {"a.example.com"};
    static const char *const wild[] = {"*.example.com"};
    (void)state;
    /* Extra, missing, foreign. */
    assert_false(check(NULL, "DNS:a.example.com,DNS:b.example.com", one, 1));
    assert_false(check(NULL, "DNS:a.example.com", two, 2));
    assert_false(check(NULL, "DNS:c.example.com", one, 1));
    /* A wildcard is not its base name, nor the other way round. */
    assert_false(check(NULL, "DNS:example.com", wild, 1));
    assert_false(check(NULL, "DNS:x.example.com", wild, 1));
    /* A CN outside the identifiers. */
    assert_false(check("x.example.com", "DNS:a.example.com", one, 1));
    /* SAN types this CA does not issue. */
    assert_false(check(NULL, "DNS:a.example.com,email:a@example.com", one,
                       1));
    assert_false(check(NULL, "DNS:a.example.com,URI:https://a.example.com/",
                       one, 1));
    /* No name at all. */
    assert_false(check(NULL, NULL, one, 1));
    /* The common name alone names one identifier, not two. */
    assert_false(check("a.example.com", NULL, two, 2));
    /* Neither the CN nor the SAN may name what the order does not. */
    assert_false(check("x.example.com", NULL, one, 1));
    assert_false(check("b.example.com", "DNS:a.example.com", two, 1));
}

/* RFC 8555 7.4: an identifier may be in the common name, the
 * subjectAltName, or both. */
static void
test_common_name_counts(void **state)
{
    static const char *const one[] = {"a.example.com"};
    static const char *const two[] = {"a.example.com", "b.example.com"};
    (void)state;
    assert_true(check("a.example.com", NULL, one, 1));
    assert_true(check("A.Example.com", NULL, one, 1));
    /* One identifier in the CN, the other in the SAN. */
    assert_true(check("b.example.com", "DNS:a.example.com", two, 2));
}

static void
test_two_extension_requests(void **state)
{
    static const char *const one[] = {"a.example.com"};
    size_t len = 0;
    uint8_t *der = make_csr(NULL, "DNS:a.example.com", 2, NID_ext_req, &len);
    char detail[256];
    (void)state;
    /* Which of the two would count is not for us to pick. */
    assert_false(acme_csr_names_match(der, len, one, 1, detail,
                                      sizeof(detail)));
    free(der);
    /* The older OID alone is read like the PKCS #9 one. */
    der = make_csr(NULL, "DNS:a.example.com", 1, NID_ms_ext_req, &len);
    assert_true(acme_csr_names_match(der, len, one, 1, detail,
                                     sizeof(detail)));
    free(der);
}

static void
test_malformed(void **state)
{
    static const char *const one[] = {"a.example.com"};
    static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    size_t len = 0;
    uint8_t *der =
        make_csr("a.example.com", "DNS:a.example.com", 1, NID_ext_req, &len);
    char detail[256];
    (void)state;
    assert_true(acme_csr_names_match(der, len, one, 1, detail,
                                     sizeof(detail)));
    /* A trailing byte. */
    der[len] = 0;
    assert_false(acme_csr_names_match(der, len + 1, one, 1, detail,
                                      sizeof(detail)));
    /* Every truncation. */
    for (size_t n = 0; n < len; n++) {
        assert_false(acme_csr_names_match(der, n, one, 1, detail,
                                          sizeof(detail)));
    }
    /* The SubjectPublicKeyInfo is not decoded here, but must be a
     * SEQUENCE: make its tag an OCTET STRING. The encoder put it right
     * after the subject; find it by its algorithm's OID bytes. */
    {
        static const uint8_t ec_oid[] = {0x06, 0x07, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x02, 0x01};
        uint8_t *p = NULL;
        for (size_t i = 4; i + sizeof(ec_oid) < len; i++) {
            if (memcmp(der + i, ec_oid, sizeof(ec_oid)) == 0) {
                p = der + i;
                break;
            }
        }
        assert_non_null(p);
        /* SPKI SEQUENCE (30 59) then the AlgorithmIdentifier (30 13). */
        assert_int_equal(p[-2], 0x30);
        assert_int_equal(p[-4], 0x30);
        p[-4] = 0x04;
        assert_false(acme_csr_names_match(der, len, one, 1, detail,
                                          sizeof(detail)));
    }
    assert_false(acme_csr_names_match(garbage, sizeof(garbage), one, 1,
                                      detail, sizeof(detail)));
    free(der);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_names_refused),
        cmocka_unit_test(test_common_name_counts),
        cmocka_unit_test(test_two_extension_requests),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
