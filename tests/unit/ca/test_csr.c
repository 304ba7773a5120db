/* test_csr.c - CSR validation against malformed and weak input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "catena/ca.h"

#define ALL_KEYS                                                              \
    (CATENA_KEY_P256 | CATENA_KEY_P384 | CATENA_KEY_RSA2048 |                 \
     CATENA_KEY_RSA3072 | CATENA_KEY_RSA4096 | CATENA_KEY_ED25519)

static EVP_PKEY *
keygen(const char *alg, const char *param)
{
    EVP_PKEY *pk = NULL;

    if (strcmp(alg, "RSA") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)strtoul(param, NULL, 10));
    } else if (strcmp(alg, "EC") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
    } else {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, alg);
    }
    assert_non_null(pk);
    return pk;
}

/* make_csr returns a DER CSR for |pk| (malloc'd). */
static uint8_t *
make_csr(EVP_PKEY *pk, size_t *len)
{
    X509_REQ *req = X509_REQ_new();
    unsigned char *der = NULL;
    uint8_t *copy;
    int n;
    const EVP_MD *md = EVP_PKEY_is_a(pk, "ED25519") ? NULL : EVP_sha256();

    assert_non_null(req);
    assert_int_equal(X509_REQ_set_pubkey(req, pk), 1);
    assert_true(X509_REQ_sign(req, pk, md) > 0);
    n = i2d_X509_REQ(req, &der);
    assert_true(n > 0);
    copy = malloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    X509_REQ_free(req);
    return copy;
}

/*
 * oracle_agrees checks catena_csr_check's verdict against OpenSSL's own
 * X509_REQ parser as an independent reference: the same requests are
 * accepted (on the key types accepted) with the same SPKI bytes. The
 * policy checks (weak keys, curves, explicit parameters) are ours alone,
 * so only acceptance by catena implies acceptance by the oracle.
 */
static void
oracle_agrees(const uint8_t *der, size_t len, enum catena_rc rc,
              const uint8_t *spki, size_t spki_len)
{
    const unsigned char *p = der;
    X509_REQ *req = len > 0 ? d2i_X509_REQ(NULL, &p, (long)len) : NULL;
    int ok = req != NULL && p == der + len &&
             X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) == 1;

    if (rc == CATENA_OK) {
        unsigned char *enc = NULL;
        int n;

        assert_true(ok);
        n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &enc);
        assert_int_equal(n, (int)spki_len);
        assert_memory_equal(enc, spki, spki_len);
        OPENSSL_free(enc);
    }
    X509_REQ_free(req);
}

static enum catena_rc
check(const uint8_t *der, size_t len, unsigned types, struct catena_err *err)
{
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    enum catena_rc rc;

    catena_err_clear(err);
    rc = catena_csr_check(der, len, types, &spki, &spki_len, err);
    oracle_agrees(der, len, rc, spki, spki_len);
    if (rc == CATENA_OK) {
        assert_non_null(spki);
        assert_true(spki_len > 0);
    } else {
        assert_null(spki);
        assert_int_equal(spki_len, 0);
        assert_true(strlen(err->msg) > 0);
    }
    free(spki);
    return rc;
}

static void
test_good_keys(void **state)
{
    struct catena_err err;
    const char *specs[][2] = {{"EC", "P-256"}, {"EC", "P-384"},
                              {"RSA", "2048"}, {"ED25519", ""}};

    (void)state;
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        EVP_PKEY *pk = keygen(specs[i][0], specs[i][1]);
        size_t len;
        uint8_t *der = make_csr(pk, &len);

        assert_int_equal(check(der, len, ALL_KEYS, &err), CATENA_OK);
        free(der);
        EVP_PKEY_free(pk);
    }
}

static void
test_spki_matches(void **state)
{
    EVP_PKEY *pk = keygen("EC", "P-256");
    size_t len;
    uint8_t *der = make_csr(pk, &len);
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    unsigned char *want = NULL;
    int want_len = i2d_PUBKEY(pk, &want);
    struct catena_err err;

    (void)state;
    assert_int_equal(catena_csr_check(der, len, ALL_KEYS, &spki, &spki_len,
                                      &err),
                     CATENA_OK);
    assert_int_equal(spki_len, want_len);
    assert_memory_equal(spki, want, spki_len);
    free(spki);
    OPENSSL_free(want);
    free(der);
    EVP_PKEY_free(pk);
}

static void
test_malformed(void **state)
{
    EVP_PKEY *pk = keygen("EC", "P-256");
    size_t len;
    uint8_t *der = make_csr(pk, &len);
    uint8_t *longer = malloc(len + 1);
    const uint8_t garbage[] = {0x30, 0x82, 0xff, 0xff, 0x01, 0x02};
    struct catena_err err;

    (void)state;
    /* truncated at every length: never accepted, never a crash */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(check(der, cut, ALL_KEYS, &err), CATENA_OK);
    }
    /* trailing bytes */
    memcpy(longer, der, len);
    longer[len] = 0x00;
    assert_int_equal(check(longer, len + 1, ALL_KEYS, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(check(garbage, sizeof(garbage), ALL_KEYS, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(check(NULL, 0, ALL_KEYS, &err), CATENA_ERR_INVALID);
    free(longer);
    free(der);
    EVP_PKEY_free(pk);
}

static void
test_too_big(void **state)
{
    uint8_t *big = calloc(1, 16 * 1024 + 1);
    struct catena_err err;

    (void)state;
    big[0] = 0x30;
    assert_int_equal(check(big, 16 * 1024 + 1, ALL_KEYS, &err),
                     CATENA_ERR_TOO_BIG);
    free(big);
}

static void
test_bad_signature(void **state)
{
    EVP_PKEY *pk = keygen("RSA", "2048");
    size_t len;
    uint8_t *der = make_csr(pk, &len);
    struct catena_err err;

    (void)state;
    /* The signature BIT STRING is last: flip a bit inside it. */
    der[len - 5] ^= 0x01;
    assert_int_equal(check(der, len, ALL_KEYS, &err), CATENA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "signature"));
    free(der);
    EVP_PKEY_free(pk);
}

static void
test_weak_and_wrong_keys(void **state)
{
    const char *specs[][2] = {{"RSA", "1024"},
                              {"EC", "prime192v1"},
                              {"EC", "secp256k1"},
                              {"EC", "P-521"}};
    struct catena_err err;

    (void)state;
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        EVP_PKEY *pk = keygen(specs[i][0], specs[i][1]);
        size_t len;
        uint8_t *der = make_csr(pk, &len);

        assert_int_equal(check(der, len, ALL_KEYS, &err), CATENA_ERR_POLICY);
        free(der);
        EVP_PKEY_free(pk);
    }
}

static void
test_explicit_curve(void **state)
{
    EVP_PKEY *pk = keygen("EC", "P-256");
    size_t len;
    uint8_t *der;
    struct catena_err err;

    (void)state;
    assert_int_equal(EVP_PKEY_set_utf8_string_param(
                         pk, OSSL_PKEY_PARAM_EC_ENCODING, "explicit"),
                     1);
    der = make_csr(pk, &len);
    assert_int_equal(check(der, len, ALL_KEYS, &err), CATENA_ERR_POLICY);
    free(der);
    EVP_PKEY_free(pk);
}

static void
test_profile_key_types(void **state)
{
    EVP_PKEY *pk = keygen("ED25519", "");
    size_t len;
    uint8_t *der = make_csr(pk, &len);
    struct catena_err err;
    const struct catena_profile *tls = catena_profile_find("tls-server");

    (void)state;
    assert_int_equal(check(der, len, tls->key_types, &err),
                     CATENA_ERR_POLICY);
    assert_int_equal(check(der, len, CATENA_KEY_ED25519, &err), CATENA_OK);
    free(der);
    EVP_PKEY_free(pk);
}

/* Every single-byte corruption of a good CSR is refused (the signature
 * covers everything but itself and its outer structure), whatever
 * OpenSSL's parser would make of it. */
static void
test_corrupt_bytes(void **state)
{
    const char *specs[][2] = {{"EC", "P-256"}, {"RSA", "2048"}};
    struct catena_err err;

    (void)state;
    for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
        EVP_PKEY *pk = keygen(specs[k][0], specs[k][1]);
        size_t len;
        uint8_t *der = make_csr(pk, &len);

        for (size_t i = 0; i < len; i++) {
            der[i] ^= 0x5a;
            assert_int_not_equal(check(der, len, ALL_KEYS, &err), CATENA_OK);
            der[i] ^= 0x5a;
        }
        assert_int_equal(check(der, len, ALL_KEYS, &err), CATENA_OK);
        free(der);
        EVP_PKEY_free(pk);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corrupt_bytes),
        cmocka_unit_test(test_good_keys),
        cmocka_unit_test(test_spki_matches),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_weak_and_wrong_keys),
        cmocka_unit_test(test_explicit_curve),
        cmocka_unit_test(test_profile_key_types),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
