/*
 * test_lint.c - the per-entry CRL rules (C18 duplicate serials, C8, C16,
 * C19-C23 over the entries decoded once by the parse) on CRLs large enough
 * to take the hashed path, built and signed with OpenSSL's own CRL API so
 * the input does not come from crl/'s builder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/lint.h"

#define ENTRIES 5000

/* Changes made to the last entry of a test CRL. */
typedef void (*last_entry_fn)(X509_REVOKED *r);

static uint8_t *crl_der_last(int dup, last_entry_fn last, last_entry_fn others,
                             size_t *len);

/* crl_der signs a CRL of ENTRIES random serials; when |dup| >= 0 the last
 * entry repeats entry |dup|'s serial. */
static uint8_t *
crl_der(int dup, size_t *len)
{
    return crl_der_last(dup, NULL, NULL, len);
}

/* crl_der_last is crl_der with |last| (if not NULL) applied to the last
 * entry, and |others| (reasonCode keyCompromise if NULL) to every other
 * entry. */
/* crl_new starts a v2 CRL of issuer CN=t, thisUpdate = nextUpdate =
 * |t|. */
static X509_CRL *
crl_new(const ASN1_TIME *t)
{
    X509_CRL *crl = X509_CRL_new();
    X509_NAME *name = X509_NAME_new();

    assert_non_null(crl);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"t",
                                                -1, -1, 0),
                     1);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, name), 1);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
    X509_NAME_free(name);
    return crl;
}

/* crl_finish signs |crl| (freed) with a new P-256 key and returns its DER
 * (malloc'd) of at least |min_len| bytes. */
static uint8_t *
crl_finish(X509_CRL *crl, size_t min_len, size_t *len)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    unsigned char *der = NULL;
    uint8_t *out;
    int n;

    assert_non_null(key);
    assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0 && (size_t)n >= min_len);
    out = malloc((size_t)n);
    assert_non_null(out);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    return out;
}

static uint8_t *
crl_der_last(int dup, last_entry_fn last, last_entry_fn others, size_t *len)
{
    ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000000);
    X509_CRL *crl = crl_new(t);
    unsigned char serials[ENTRIES][16];
    uint8_t *out;

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
        if (last != NULL && i == ENTRIES - 1) {
            last(r);
        } else if (others != NULL) {
            others(r);
        } else if (last != NULL) {
            ASN1_ENUMERATED *code = ASN1_ENUMERATED_new();

            assert_int_equal(ASN1_ENUMERATED_set(code, 1), 1);
            assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason,
                                                       code, 0, 0),
                             1);
            ASN1_ENUMERATED_free(code);
        }
        assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
        ASN1_INTEGER_free(s);
    }
    out = crl_finish(crl, ENTRIES * 15, len);
    ASN1_TIME_free(t);
    return out;
}

/* finding returns rule |name|'s result for |der| and copies its detail
 * into |detail| (may be NULL). */
static enum catena_lint_result finding_ctx(const uint8_t *der, size_t len,
                                           const struct catena_lint_ctx *ctx,
                                           const char *name, char *detail,
                                           size_t detail_len);

static enum catena_lint_result
finding(const uint8_t *der, size_t len, const char *name, char *detail,
        size_t detail_len)
{
    struct catena_lint_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.profile = CATENA_LINT_PROFILE_AUTO;
    ctx.now = 1700000000;
    return finding_ctx(der, len, &ctx, name, detail, detail_len);
}

/* finding_ctx is finding with the lint context |ctx|. */
static enum catena_lint_result
finding_ctx(const uint8_t *der, size_t len, const struct catena_lint_ctx *ctx,
            const char *name, char *detail, size_t detail_len)
{
    struct catena_lint_report *rep = NULL;
    enum catena_lint_result r = CATENA_LINT_NA;
    int seen = 0;

    assert_int_equal(catena_lint_crl(der, len, ctx, &rep), CATENA_OK);
    assert_non_null(rep);
    for (size_t i = 0; i < rep->num_findings; i++) {
        if (strcmp(rep->findings[i].rule->name, name) == 0) {
            r = rep->findings[i].result;
            seen = 1;
            if (detail != NULL) {
                snprintf(detail, detail_len, "%s", rep->findings[i].detail);
            }
        }
    }
    catena_lint_report_free(rep);
    assert_true(seen);
    return r;
}

/* c18 returns the C18 finding's result for |der|. */
static enum catena_lint_result
c18(const uint8_t *der, size_t len)
{
    return finding(der, len, "e_crl_serial_duplicate", NULL, 0);
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

static void
add_reason(X509_REVOKED *r, long code, int crit)
{
    ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

    assert_int_equal(ASN1_ENUMERATED_set(e, code), 1);
    assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, crit,
                                               X509V3_ADD_APPEND),
                     1);
    ASN1_ENUMERATED_free(e);
}

static void
last_reason_7(X509_REVOKED *r)
{
    add_reason(r, 7, 0);
}

static void
last_reason_critical(X509_REVOKED *r)
{
    add_reason(r, 1, 1);
}

static void
last_reason_twice(X509_REVOKED *r)
{
    add_reason(r, 1, 0);
    add_reason(r, 4, 0);
}

static void
last_reason_unspecified(X509_REVOKED *r)
{
    add_reason(r, 0, 0);
}

static void
add_invalidity(X509_REVOKED *r, time_t when)
{
    ASN1_GENERALIZEDTIME *t = ASN1_GENERALIZEDTIME_set(NULL, when);

    assert_non_null(t);
    assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_invalidity_date, t, 0,
                                               X509V3_ADD_APPEND),
                     1);
    ASN1_GENERALIZEDTIME_free(t);
}

static void
last_invalidity_late(X509_REVOKED *r)
{
    add_invalidity(r, 1700003600);
}

/* invalidityDate an hour before the test CRL's revocation dates. */
static void
invalid_hour_before(X509_REVOKED *r)
{
    add_invalidity(r, 1699996400);
}

/* The same invalidityDate bytes as every other entry, but revoked two
 * hours earlier: the date is after this entry's revocationDate. */
static void
last_invalid_after_early_revocation(X509_REVOKED *r)
{
    ASN1_TIME *t = ASN1_TIME_set(NULL, 1699992800);

    invalid_hour_before(r);
    assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
    ASN1_TIME_free(t);
}

/* Extension lists are decoded once per distinct bytes, but never those
 * with an invalidityDate: C23 judges it against each entry's own date. */
static void
test_invalidity_judged_per_entry(void **state)
{
    size_t len = 0;
    uint8_t *der;
    char detail[200];

    (void)state;
    der = crl_der_last(-1, invalid_hour_before, invalid_hour_before, &len);
    assert_int_equal(finding(der, len, "e_crl_entry_ext_not_allowed", detail,
                             sizeof(detail)),
                     CATENA_LINT_PASS);
    free(der);
    der = crl_der_last(-1, last_invalid_after_early_revocation,
                       invalid_hour_before, &len);
    assert_int_equal(finding(der, len, "e_crl_entry_ext_not_allowed", detail,
                             sizeof(detail)),
                     CATENA_LINT_WARN);
    free(der);
}

static void
last_revoked_later(X509_REVOKED *r)
{
    ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000001);

    assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
    ASN1_TIME_free(t);
}

static void
last_revoked_generalized(X509_REVOKED *r)
{
    ASN1_TIME *t = ASN1_TIME_new();

    /* The same instant, as a GeneralizedTime before 2050. */
    assert_int_equal(ASN1_TIME_set_string(t, "20231114221320Z"), 1);
    assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
    ASN1_TIME_free(t);
}

/*
 * The entries are decoded once for every rule: a fault in the very last
 * of 5000 entries is still found by the rule that judges it (and named by
 * its index), and the other rules still pass.
 */
static void
test_last_entry_faults(void **state)
{
    static const struct {
        last_entry_fn fn;
        const char *rule;
        enum catena_lint_result want;
        const char *detail; /* a part of the finding's detail */
        const char *also;   /* another entry rule this fault trips */
    } cases[] = {
        {last_reason_7, "e_crl_reason_code_invalid", CATENA_LINT_ERROR,
         "entry 4999: reasonCode 7", "e_crl_reason_code_not_allowed"},
        {last_reason_critical, "e_crl_reason_code_invalid",
         CATENA_LINT_ERROR, "entry 4999: reasonCode is critical", NULL},
        {last_reason_twice, "e_crl_ext_duplicate", CATENA_LINT_ERROR,
         "entry extension", NULL},
        {last_reason_unspecified, "e_crl_reason_code_not_allowed",
         CATENA_LINT_ERROR, "entry 4999: reasonCode 0", NULL},
        {last_invalidity_late, "e_crl_entry_ext_not_allowed",
         CATENA_LINT_WARN, "invalidityDate after revocationDate", NULL},
        {last_revoked_later, "e_crl_revocation_date_invalid",
         CATENA_LINT_ERROR, "after thisUpdate", NULL},
        {last_revoked_generalized, "e_crl_time_encoding", CATENA_LINT_ERROR,
         "revocationDate: GeneralizedTime before 2050", NULL},
    };
    static const char *const entry_rules[] = {
        "e_crl_reason_code_invalid",     "e_crl_reason_code_not_allowed",
        "e_crl_ext_duplicate",           "e_crl_entry_ext_not_allowed",
        "e_crl_revocation_date_invalid", "e_crl_time_encoding",
        "e_crl_serial_duplicate",
    };
    char detail[200];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        uint8_t *der = crl_der_last(-1, cases[i].fn, NULL, &len);

        assert_int_equal(finding(der, len, cases[i].rule, detail,
                                 sizeof(detail)),
                         cases[i].want);
        if (strstr(detail, cases[i].detail) == NULL) {
            fail_msg("%s: detail \"%s\" lacks \"%s\"", cases[i].rule,
                     detail, cases[i].detail);
        }
        for (size_t k = 0; k < sizeof(entry_rules) / sizeof(entry_rules[0]);
             k++) {
            if (strcmp(entry_rules[k], cases[i].rule) == 0 ||
                (cases[i].also != NULL &&
                 strcmp(entry_rules[k], cases[i].also) == 0)) {
                continue;
            }
            if (finding(der, len, entry_rules[k], detail, sizeof(detail)) !=
                CATENA_LINT_PASS) {
                fail_msg("case %zu: %s did not pass: %s", i, entry_rules[k],
                         detail);
            }
        }
        free(der);
    }
}

/* C3 walks the whole CertificateList once (the TBS inside it included),
 * and the TBS on its own only when trailing bytes kept the first walk
 * from running: a non-minimal serial in the last entry is found either
 * way. */
static void
test_c3_strict_entries(void **state)
{
    size_t len = 0;
    uint8_t *der = crl_der(-1, &len);
    uint8_t *longer;
    uint8_t *at = NULL;
    char detail[200];

    (void)state;
    assert_int_equal(finding(der, len, "e_crl_not_strict_der", detail,
                             sizeof(detail)),
                     CATENA_LINT_PASS);
    /* The last entry: SEQUENCE, INTEGER of 16 octets. */
    for (size_t i = 0; i + 4 < len; i++) {
        if (der[i] == 0x30 && der[i + 2] == 0x02 && der[i + 3] == 0x10) {
            at = der + i + 4;
        }
    }
    assert_non_null(at);
    at[0] = 0x00;
    at[1] = 0x01; /* 00 01 ...: not minimal */
    assert_int_equal(finding(der, len, "e_crl_not_strict_der", detail,
                             sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_non_null(strstr(detail, "INTEGER not minimally encoded"));
    longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, der, len);
    longer[len] = 0x00;
    assert_int_equal(finding(longer, len + 1, "e_crl_not_single_der", NULL,
                             0),
                     CATENA_LINT_ERROR);
    assert_int_equal(finding(longer, len + 1, "e_crl_not_strict_der", detail,
                             sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_non_null(strstr(detail, "TBSCertList not DER"));
    free(longer);
    free(der);
}

/* With every entry strict, C3 walks only the rest of the CRL: a fault
 * there (a non-minimal OID arc in the issuer name) is still found, and so
 * is a critical flag encoded 01 rather than FF in one entry's extension
 * list, with the full walk's wording. */
static void
test_c3_strict_outside_and_inside_entries(void **state)
{
    static const uint8_t cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
    size_t len = 0;
    uint8_t *der = crl_der(-1, &len);
    uint8_t *at = NULL;
    char detail[200];

    (void)state;
    for (size_t i = 0; i + sizeof(cn) <= len && at == NULL; i++) {
        if (memcmp(der + i, cn, sizeof(cn)) == 0) {
            at = der + i;
        }
    }
    assert_non_null(at);
    at[3] = 0x80; /* 55 80 03: the arc 3 with a leading 0x80 */
    assert_int_equal(finding(der, len, "e_crl_not_strict_der", detail,
                             sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_non_null(strstr(detail, "OID arc not minimal"));
    free(der);
    der = crl_der_last(-1, last_reason_critical, NULL, &len);
    at = NULL;
    for (size_t i = 0; i + 3 <= len; i++) {
        if (der[i] == 0x01 && der[i + 1] == 0x01 && der[i + 2] == 0xff) {
            at = der + i + 2;
        }
    }
    assert_non_null(at);
    assert_int_equal(finding(der, len, "e_crl_not_strict_der", detail,
                             sizeof(detail)),
                     CATENA_LINT_PASS);
    *at = 0x01;
    assert_int_equal(finding(der, len, "e_crl_not_strict_der", detail,
                             sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_non_null(strstr(detail, "BOOLEAN not 0x00/0xFF"));
    free(der);
}

/* crl_numbered signs a small CRL whose cRLNumber has the magnitude
 * |num| (|len| octets), or none when |num| is NULL. */
static uint8_t *
crl_numbered(const uint8_t *num, size_t len, size_t *out_len)
{
    ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000000);
    X509_CRL *crl = crl_new(t);
    ASN1_INTEGER *n = ASN1_INTEGER_new();
    uint8_t *out;

    if (num != NULL) {
        assert_int_equal(ASN1_STRING_set(n, num, (int)len), 1);
        assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0),
                         1);
    }
    out = crl_finish(crl, 1, out_len);
    ASN1_INTEGER_free(n);
    ASN1_TIME_free(t);
    return out;
}

/* c13 lints |der| with the scope's previous number |prev| (|known| 0:
 * unknown) and returns C13's result. */
static enum catena_lint_result
c13(const uint8_t *der, size_t len, int known, const uint8_t *prev,
    size_t prev_len, char *detail, size_t detail_len)
{
    struct catena_lint_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.now = 1700000000;
    ctx.has_prev_crl_number = known;
    ctx.prev_crl_number = prev;
    ctx.prev_crl_number_len = prev_len;
    return finding_ctx(der, len, &ctx, "e_crl_number_not_increasing", detail,
                       detail_len);
}

/* C13 over numbers of every size up to 20 octets, with the previous one
 * given as a big-endian magnitude (leading zeros allowed). */
static void
test_c13_number_increases(void **state)
{
    static const uint8_t five[] = {0x05};
    static const uint8_t four[] = {0x04};
    static const uint8_t padded_five[] = {0x00, 0x00, 0x05};
    static const uint8_t six[] = {0x06};
    static const uint8_t big[20] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
    static const uint8_t nanos[8] = {0x18, 0x79, 0x3a, 0x7c,
                                     0x00, 0x00, 0x00, 0x00};
    uint8_t bigger[21];
    char detail[200];
    size_t len = 0;
    uint8_t *der;

    (void)state;
    der = crl_numbered(five, sizeof(five), &len);
    assert_int_equal(c13(der, len, 0, NULL, 0, detail, sizeof(detail)),
                     CATENA_LINT_NE);
    assert_int_equal(c13(der, len, 1, NULL, 0, detail, sizeof(detail)),
                     CATENA_LINT_PASS);
    assert_int_equal(c13(der, len, 1, four, sizeof(four), detail,
                         sizeof(detail)),
                     CATENA_LINT_PASS);
    assert_int_equal(c13(der, len, 1, five, sizeof(five), detail,
                         sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_non_null(strstr(detail, "cRLNumber 5 is not above 5"));
    assert_int_equal(c13(der, len, 1, padded_five, sizeof(padded_five),
                         detail, sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_int_equal(c13(der, len, 1, six, sizeof(six), detail,
                         sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_int_equal(c13(der, len, 1, nanos, sizeof(nanos), detail,
                         sizeof(detail)),
                     CATENA_LINT_ERROR);
    free(der);
    /* 2^159 - 2 against a time-based number, and against one longer. */
    der = crl_numbered(big, sizeof(big), &len);
    assert_int_equal(c13(der, len, 1, nanos, sizeof(nanos), detail,
                         sizeof(detail)),
                     CATENA_LINT_PASS);
    memset(bigger, 0xff, sizeof(bigger));
    bigger[0] = 0x01;
    assert_int_equal(c13(der, len, 1, bigger, sizeof(bigger), detail,
                         sizeof(detail)),
                     CATENA_LINT_ERROR);
    assert_non_null(strstr(detail, "0x7fffffff"));
    free(der);
    /* No cRLNumber at all: C12's finding, not C13's. */
    der = crl_numbered(NULL, 0, &len);
    assert_int_equal(c13(der, len, 1, five, sizeof(five), detail,
                         sizeof(detail)),
                     CATENA_LINT_NA);
    free(der);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_serials_pass),
        cmocka_unit_test(test_repeated_serial_is_an_error),
        cmocka_unit_test(test_last_entry_faults),
        cmocka_unit_test(test_invalidity_judged_per_entry),
        cmocka_unit_test(test_c13_number_increases),
        cmocka_unit_test(test_c3_strict_entries),
        cmocka_unit_test(test_c3_strict_outside_and_inside_entries),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
