/*
 * test_lint.c - lint C18 (duplicate serials) on CRLs large enough to take
 * the hashed path, built and signed with OpenSSL's own CRL API so the
 * input does not come from crl/'s builder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "catena/lint.h"

#define ENTRIES 5000

/* crl_der signs a CRL of ENTRIES random serials; when |dup| >= 0 the last
 * entry repeats entry |dup|'s serial. */
static uint8_t *
crl_der(int dup, size_t *len)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_CRL *crl = X509_CRL_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000000);
    unsigned char serials[ENTRIES][16];
    unsigned char *der = NULL;
    uint8_t *out;
    int n;

    assert_non_null(key);
    assert_non_null(crl);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"t",
                                                -1, -1, 0),
                     1);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, name), 1);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
    for (int i = 0; i < ENTRIES; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();

        assert_int_equal(RAND_bytes(serials[i], sizeof(serials[i])), 1);
        serials[i][0] = (unsigned char)(1 + i % 100); /* positive, minimal */
        if (dup >= 0 && i == ENTRIES - 1) {
            memcpy(serials[i], serials[dup], sizeof(serials[i]));
        }
        assert_int_equal(ASN1_STRING_set(s, serials[i], sizeof(serials[i])),
                         1);
        assert_int_equal(X509_REVOKED_set_serialNumber(r, s), 1);
        assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
        assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
        ASN1_INTEGER_free(s);
    }
    assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    n = i2d_X509_CRL(crl, &der);
    assert_true(n > ENTRIES * 15);
    out = malloc((size_t)n);
    assert_non_null(out);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    ASN1_TIME_free(t);
    X509_NAME_free(name);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    return out;
}

/* c18 returns the C18 finding's result for |der|. */
static enum catena_lint_result
c18(const uint8_t *der, size_t len)
{
    struct catena_lint_ctx ctx;
    struct catena_lint_report *rep = NULL;
    enum catena_lint_result r = CATENA_LINT_NA;
    int seen = 0;

    memset(&ctx, 0, sizeof(ctx));
    ctx.profile = CATENA_LINT_PROFILE_AUTO;
    ctx.now = 1700000000;
    assert_int_equal(catena_lint_crl(der, len, &ctx, &rep), CATENA_OK);
    assert_non_null(rep);
    for (size_t i = 0; i < rep->num_findings; i++) {
        if (strcmp(rep->findings[i].rule->name, "e_crl_serial_duplicate") == 0) {
            r = rep->findings[i].result;
            seen = 1;
        }
    }
    catena_lint_report_free(rep);
    assert_true(seen);
    return r;
}

static void
test_unique_serials_pass(void **state)
{
    size_t len = 0;
    uint8_t *der = crl_der(-1, &len);

    (void)state;
    assert_int_equal(c18(der, len), CATENA_LINT_PASS);
    free(der);
}

static void
test_repeated_serial_is_an_error(void **state)
{
    size_t len = 0;
    uint8_t *der;

    (void)state;
    /* The repeat far from its twin, and right next to it. */
    der = crl_der(0, &len);
    assert_int_equal(c18(der, len), CATENA_LINT_ERROR);
    free(der);
    der = crl_der(ENTRIES - 2, &len);
    assert_int_equal(c18(der, len), CATENA_LINT_ERROR);
    free(der);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_serials_pass),
        cmocka_unit_test(test_repeated_serial_is_an_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
