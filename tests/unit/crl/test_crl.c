/*
 * test_crl.c - CRL shards built from a real SQLite store and signed by the
 * real signer (which lints them): entries, reason codes, expired
 * certificates left out, IDP == the shard URL that certificates carry in
 * their CRLDP, AKI == issuer SKI, increasing CRL numbers, and the
 * operator's JSON URL list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/crl.h"
#include "catena/store.h"
#include "crl_fixture.h"
#include "internal.h"

static struct crl_fixture fx;
static int64_t now;

/* The rows every test sees: four revoked certificates in various shards,
 * one revoked and long expired, one revoked and just expired (kept within
 * the margin), one good and one reserved. */
static const struct {
    const char *serial;
    int status;
    int reason;
    int64_t age_revoked;
    int64_t expires_in;
} rows[] = {
    {"0101010101010101010101010101010100", CATENA_CERT_REVOKED, 1, 600,
     86400},
    {"0101010101010101010101010101010101", CATENA_CERT_REVOKED, 4, 500,
     86400},
    {"0101010101010101010101010101010102", CATENA_CERT_REVOKED, -1, 400,
     86400},
    {"0101010101010101010101010101010103", CATENA_CERT_REVOKED, 5, 300,
     86400},
    {"0101010101010101010101010101010104", CATENA_CERT_REVOKED, 1, 9000,
     -3 * 86400},
    {"0101010101010101010101010101010105", CATENA_CERT_REVOKED, 3, 9000,
     -3600},
    {"0101010101010101010101010101010106", CATENA_CERT_ISSUED, -1, 0, 86400},
    {"0101010101010101010101010101010107", CATENA_CERT_RESERVED, -1, 0,
     86400},
};
static int shard_of[sizeof(rows) / sizeof(rows[0])];

static int
setup(void **state)
{
    struct catena_err err;

    (void)state;
    now = (int64_t)time(NULL);
    if (fixture_setup(&fx) != 0 || crl_migrate(fx.store, &err) != CATENA_OK) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        shard_of[i] = fixture_add_cert(
            &fx, rows[i].serial, rows[i].status,
            rows[i].age_revoked != 0 ? now - rows[i].age_revoked : 0,
            rows[i].reason, now + rows[i].expires_in);
        if (shard_of[i] < 0) {
            return -1;
        }
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fixture_teardown(&fx);
    return 0;
}

static X509_CRL *
publish(int shard, struct crl_shard *sh)
{
    struct crl_settings st;
    struct catena_err err;
    const unsigned char *p;
    X509_CRL *crl;

    assert_int_equal(crl_settings_load(fx.cfg, &st, &err), CATENA_OK);
    if (crl_publish_shard(fx.ca, fx.cfg, fx.store, &st, "tls", shard, sh,
                          &err) != CATENA_OK) {
        fail_msg("publish shard %d: %s", shard, err.msg);
    }
    p = sh->der;
    crl = d2i_X509_CRL(NULL, &p, (long)sh->der_len);
    assert_non_null(crl);
    assert_ptr_equal(p, sh->der + sh->der_len);
    return crl;
}

/* sign_tbs has the fixture's signer sign |tbs| as a CRL of issuer tls
 * whose scope last stored CRL number |prev| (-1: none). */
static enum catena_rc
sign_tbs(const uint8_t *tbs, size_t len, int64_t prev, uint8_t **der,
         size_t *der_len, struct catena_err *err)
{
    return catena_signer_sign_crl(catena_ca_signer(fx.ca), "tls", prev, tbs,
                                  len, der, der_len, err);
}

/* shard0_tbs builds the TBSCertList of the first row's shard, now, with
 * CRL number |number|; the caller frees it. */
static uint8_t *
shard0_tbs(int64_t number, size_t *len)
{
    struct catena_err err;
    uint8_t *tbs = NULL;
    int64_t entries = 0;

    if (crl_build_tbs(fx.ca, fx.cfg, fx.store, "tls", shard_of[0], now,
                      now + 86400, number, &tbs, len, &entries,
                      &err) != CATENA_OK) {
        fail_msg("build: %s", err.msg);
    }
    assert_true(entries >= 1);
    return tbs;
}

static const X509_REVOKED *
find_entry(X509_CRL *crl, const char *hex)
{
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);

    for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
        const X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);
        const ASN1_INTEGER *sn = X509_REVOKED_get0_serialNumber(r);
        const unsigned char *mag = ASN1_STRING_get0_data(sn);
        int len = ASN1_STRING_length(sn);
        char got[64] = "";

        /* The fixture's serials have the top bit clear: the magnitude is
         * the DER content. */
        for (int k = 0; k < len && k < 30; k++) {
            snprintf(got + 2 * k, 3, "%02x", mag[k]);
        }
        if (strcmp(got, hex) == 0) {
            return r;
        }
    }
    return NULL;
}

static void
test_entries_and_reasons(void **state)
{
    (void)state;
    for (int shard = 0; shard < 4; shard++) {
        struct crl_shard sh;
        X509_CRL *crl = publish(shard, &sh);
        EVP_PKEY *pk = X509_get0_pubkey(fx.issuer);
        int64_t want = 0;

        assert_int_equal(X509_CRL_verify(crl, pk), 1);
        assert_int_equal(X509_CRL_get_version(crl), 1);
        assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
                                       X509_get_subject_name(fx.issuer)),
                         0);
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            const X509_REVOKED *r = find_entry(crl, rows[i].serial);
            int listed = rows[i].status == CATENA_CERT_REVOKED &&
                         rows[i].expires_in > -86400 && shard_of[i] == shard;

            if (!listed) {
                assert_null(r);
                continue;
            }
            want++;
            assert_non_null(r);
            {
                ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(
                    r, NID_crl_reason, NULL, NULL);

                if (rows[i].reason < 0) {
                    /* unspecified: no reasonCode extension at all. */
                    assert_null(code);
                } else {
                    assert_non_null(code);
                    assert_int_equal(ASN1_ENUMERATED_get(code),
                                     rows[i].reason);
                }
                ASN1_ENUMERATED_free(code);
            }
            assert_int_equal(
                ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r),
                                     (time_t)(now - rows[i].age_revoked)),
                0);
        }
        assert_int_equal(sh.num_entries, want);
        assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)),
                         (int)want);
        X509_CRL_free(crl);
        crl_shard_clear(&sh);
    }
}

static void
test_extensions_match_shard_url(void **state)
{
    struct crl_shard sh;
    X509_CRL *crl;
    ISSUING_DIST_POINT *idp;
    AUTHORITY_KEYID *akid;
    char url[512];
    int crit = -1;

    (void)state;
    crl = publish(2, &sh);
    assert_int_equal(catena_ca_shard_url(fx.ca, "tls", 2, url, sizeof(url)),
                     CATENA_OK);
    idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
                               NULL);
    assert_non_null(idp);
    assert_int_equal(crit, 1);
    assert_non_null(idp->distpoint);
    assert_int_equal(idp->distpoint->type, 0);
    assert_int_equal(sk_GENERAL_NAME_num(idp->distpoint->name.fullname), 1);
    {
        GENERAL_NAME *gn =
            sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
        int type = 0;
        ASN1_IA5STRING *uri = GENERAL_NAME_get0_value(gn, &type);

        assert_int_equal(type, GEN_URI);
        /* Byte for byte what catena_ca_shard_url gives the CRLDP. */
        assert_int_equal(ASN1_STRING_length(uri), (int)strlen(url));
        assert_memory_equal(ASN1_STRING_get0_data(uri), url, strlen(url));
    }
    assert_int_equal(idp->onlyuser, 0xff);
    assert_int_equal(idp->onlyCA, 0);
    ISSUING_DIST_POINT_free(idp);
    akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit,
                                NULL);
    assert_non_null(akid);
    assert_int_equal(crit, 0);
    assert_int_equal(ASN1_OCTET_STRING_cmp(
                         akid->keyid, X509_get0_subject_key_id(fx.issuer)),
                     0);
    assert_null(akid->issuer);
    AUTHORITY_KEYID_free(akid);
    {
        const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(crl);
        const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
        int days = 0, secs = 0;

        assert_non_null(nu);
        assert_int_equal(ASN1_TIME_diff(&days, &secs, tu, nu), 1);
        assert_int_equal(days * 86400 + secs, 2 * 86400);
    }
    X509_CRL_free(crl);
    crl_shard_clear(&sh);
}

static void
test_number_increases(void **state)
{
    struct crl_shard a, b;
    X509_CRL *ca, *cb;
    ASN1_INTEGER *na, *nb;

    (void)state;
    ca = publish(1, &a);
    cb = publish(1, &b);
    na = X509_CRL_get_ext_d2i(ca, NID_crl_number, NULL, NULL);
    nb = X509_CRL_get_ext_d2i(cb, NID_crl_number, NULL, NULL);
    assert_non_null(na);
    assert_non_null(nb);
    assert_true(ASN1_INTEGER_cmp(na, nb) < 0);
    assert_true(b.number > a.number);
    /* Time-based: about now in nanoseconds. */
    assert_true(a.number / 1000000000 >= now - 5);
    assert_int_equal(crl_next_number(INT64_C(9000000000000000000)),
                     INT64_C(9000000000000000001));
    ASN1_INTEGER_free(na);
    ASN1_INTEGER_free(nb);
    X509_CRL_free(ca);
    X509_CRL_free(cb);
    crl_shard_clear(&a);
    crl_shard_clear(&b);
    /* The stored copy is the newest one. */
    {
        struct crl_shard stored;
        struct catena_err err;

        assert_int_equal(crl_load_shard(fx.store, "tls", 1, &stored, &err),
                         CATENA_OK);
        assert_true(stored.number > 0);
        crl_shard_clear(&stored);
    }
}

static void
test_publish_all_and_urls(void **state)
{
    struct catena_err err;
    char *json = NULL;
    json_t *arr;
    json_error_t jerr;

    (void)state;
    assert_int_equal(catena_crl_publish_all(fx.ca, fx.cfg, fx.store, NULL,
                                            &err),
                     CATENA_OK);
    assert_int_equal(catena_crl_urls_json(fx.ca, &json, &err), CATENA_OK);
    arr = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(arr);
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), 4);
    assert_string_equal(json_string_value(json_array_get(arr, 3)),
                        "http://127.0.0.1:9/crl/tls/3.crl");
    json_decref(arr);
    free(json);
}

static void
test_settings_limits(void **state)
{
    struct crl_settings st;
    struct catena_err err;

    (void)state;
    assert_int_equal(crl_settings_load(fx.cfg, &st, &err), CATENA_OK);
    assert_int_equal(st.next_update, 2 * 86400);
    assert_int_equal(st.refresh, 3600);
    assert_int_equal(st.ocsp_validity, 4 * 86400);
    assert_true(st.crl_enabled);
    assert_true(st.ocsp_enabled);
}

/* The signer checks the TBS header by decode and re-encode and leaves
 * the entries to the lint: a non-minimal serial INTEGER or a malformed
 * revocationDate inside an entry must still be refused. */
static void
test_signer_refuses_bad_entries(void **state)
{
    static const uint8_t serial[] = {0x02, 0x11, 0x01, 0x01, 0x01, 0x01};
    struct catena_err err;
    size_t len = 0;
    uint8_t *tbs = shard0_tbs(1, &len);
    uint8_t *der = NULL;
    size_t der_len = 0;
    uint8_t *at = NULL;

    (void)state;
    /* As built, it signs. */
    assert_int_equal(sign_tbs(tbs, len, -1, &der, &der_len, &err), CATENA_OK);
    free(der);
    der = NULL;
    for (size_t i = 0; i + sizeof(serial) <= len; i++) {
        if (memcmp(tbs + i, serial, sizeof(serial)) == 0) {
            at = tbs + i;
            break;
        }
    }
    assert_non_null(at);
    /* 00 01 01 ...: the same length, but not minimal DER. */
    at[2] = 0x00;
    assert_int_equal(sign_tbs(tbs, len, -1, &der, &der_len, &err),
                     CATENA_ERR_LINT);
    assert_null(der);
    at[2] = 0x01;
    /* The entry's UTCTime (after the 17-octet serial) without its Z. */
    assert_int_equal(at[19], 0x17);
    assert_int_equal(at[21 + 12], 'Z');
    at[21 + 12] = 'X';
    assert_int_not_equal(sign_tbs(tbs, len, -1, &der, &der_len, &err),
                         CATENA_OK);
    assert_null(der);
    free(tbs);
}

/*
 * C13: the publisher hands the signer the CRL number it last stored for
 * the shard, and the signer's lint refuses a CRL whose number is not
 * above it, before signing. The same TBS signs as the first CRL of its
 * scope and after a smaller number.
 */
static void
test_signer_refuses_stale_number(void **state)
{
    static const int64_t refused[] = {1000, 1001, INT64_MAX};
    struct catena_err err;
    size_t len = 0;
    uint8_t *tbs = shard0_tbs(1000, &len);
    uint8_t *der = NULL;
    size_t der_len = 0;

    (void)state;
    assert_int_equal(sign_tbs(tbs, len, -1, &der, &der_len, &err), CATENA_OK);
    free(der);
    assert_int_equal(sign_tbs(tbs, len, 999, &der, &der_len, &err),
                     CATENA_OK);
    free(der);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        der = NULL;
        assert_int_equal(sign_tbs(tbs, len, refused[i], &der, &der_len, &err),
                         CATENA_ERR_LINT);
        assert_null(der);
        if (strstr(err.msg, "e_crl_number_not_increasing") == NULL) {
            fail_msg("refused for another reason: %s", err.msg);
        }
    }
    free(tbs);
}

/* The publisher passes the stored number: a shard whose stored number is
 * far ahead of the clock gets the next number above it, and the signer
 * accepts it. */
static void
test_publish_after_stored_number(void **state)
{
    const int64_t ahead = INT64_C(9000000000000000000);
    const struct catena_sql_param params[] = {
        CATENA_SQL_P_INT(ahead), CATENA_SQL_P_TEXT("tls"),
        CATENA_SQL_P_INT(shard_of[0])};
    struct crl_shard sh;
    X509_CRL *crl;

    (void)state;
    crl = publish(shard_of[0], &sh);
    X509_CRL_free(crl);
    crl_shard_clear(&sh);
    {
        struct catena_err err;

        assert_int_equal(catena_store_exec(fx.store,
                                           "UPDATE crl_shards SET number = $1 "
                                           "WHERE issuer = $2 AND shard = $3",
                                           params, 3, NULL, &err),
                         CATENA_OK);
    }
    crl = publish(shard_of[0], &sh);
    assert_int_equal(sh.number, ahead + 1);
    X509_CRL_free(crl);
    crl_shard_clear(&sh);
}

/* The signer checks the revokedCertificates header itself (the entries
 * are the lint's): a long-form length where the short form fits is not
 * DER and is refused as a malformed TBS. */
static void
test_signer_refuses_padded_revoked_length(void **state)
{
    struct catena_err err;
    size_t len = 0;
    uint8_t *tbs = shard0_tbs(1, &len);
    uint8_t *der = NULL;
    size_t der_len = 0;
    uint8_t *bad = NULL;
    const unsigned char *p;
    const unsigned char *at = NULL;
    long clen = 0;
    int tag = 0;
    int cls = 0;
    int times = 0;
    size_t hdr;
    size_t body;
    unsigned char *q;

    (void)state;
    /* Find revokedCertificates: the SEQUENCE after the two times. */
    p = tbs;
    assert_int_equal(ASN1_get_object(&p, &clen, &tag, &cls, (long)len),
                     V_ASN1_CONSTRUCTED);
    hdr = (size_t)(p - tbs);
    while (p < tbs + len) {
        const unsigned char *start = p;

        assert_false(ASN1_get_object(&p, &clen, &tag, &cls,
                                     (long)(tbs + len - p)) &
                     0x80);
        if (tag == V_ASN1_UTCTIME || tag == V_ASN1_GENERALIZEDTIME) {
            times++;
        } else if (times == 2 && tag == V_ASN1_SEQUENCE) {
            at = start;
            break;
        }
        p += clen;
    }
    assert_non_null(at);
    assert_true(at[1] < 0x80); /* a short length, padded below */
    /* The same TBS with "30 81 LL" for "30 LL" and the outer length
     * one more. */
    body = len - hdr + 1;
    bad = malloc(len + 8);
    assert_non_null(bad);
    q = bad;
    ASN1_put_object(&q, 1, (int)body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(q, tbs + hdr, (size_t)(at - (tbs + hdr)));
    q += at - (tbs + hdr);
    *q++ = 0x30;
    *q++ = 0x81;
    memcpy(q, at + 1, len - (size_t)(at + 1 - tbs));
    q += len - (size_t)(at + 1 - tbs);
    assert_int_equal(sign_tbs(bad, (size_t)(q - bad), -1, &der, &der_len,
                              &err),
                     CATENA_ERR_INVALID);
    assert_null(der);
    free(bad);
    free(tbs);
}

/*
 * The builder writes revocation dates itself (no gmtime): UTCTime up to
 * the last second of 2049, GeneralizedTime from 2050 (RFC 5280 5.1.2.6),
 * across leap days and century years. Built for a thisUpdate in 2101 so
 * the future dates are listed (only the TBS: the signer would refuse
 * them, C19).
 */
static void
test_revocation_date_encoding(void **state)
{
    static const struct {
        const char *serial;
        int64_t t;
        int type;
        const char *text;
    } dates[] = {
        {"0202020202020202020202020202020200", INT64_C(2524607999),
         V_ASN1_UTCTIME, "491231235959Z"},
        {"0202020202020202020202020202020201", INT64_C(2524608000),
         V_ASN1_GENERALIZEDTIME, "20500101000000Z"},
        {"0202020202020202020202020202020202", INT64_C(3981357296),
         V_ASN1_GENERALIZEDTIME, "20960229123456Z"},
        {"0202020202020202020202020202020203", INT64_C(4107542399),
         V_ASN1_GENERALIZEDTIME, "21000228235959Z"},
        {"0202020202020202020202020202020204", INT64_C(4107542400),
         V_ASN1_GENERALIZEDTIME, "21000301000000Z"},
    };
    const int64_t this_update = INT64_C(4133980800); /* 2101-01-01 */
    size_t found = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        assert_true(fixture_add_cert(&fx, dates[i].serial, CATENA_CERT_REVOKED,
                                     dates[i].t, 1, this_update + 86400) >= 0);
    }
    for (int shard = 0; shard < 4; shard++) {
        struct catena_err err;
        uint8_t *tbs = NULL;
        size_t len = 0;
        int64_t entries = 0;
        /* ecdsa-with-SHA256, and an empty signature: enough for OpenSSL
         * to parse the TBS as a CRL (nothing is verified here). */
        static const uint8_t tail[] = {0x30, 0x0a, 0x06, 0x08, 0x2a,
                                       0x86, 0x48, 0xce, 0x3d, 0x04,
                                       0x03, 0x02, 0x03, 0x01, 0x00};
        uint8_t *whole;
        unsigned char *w;
        const unsigned char *p;
        X509_CRL *crl;
        STACK_OF(X509_REVOKED) *revoked;

        assert_int_equal(crl_build_tbs(fx.ca, fx.cfg, fx.store, "tls", shard,
                                       this_update, this_update + 86400, 7,
                                       &tbs, &len, &entries, &err),
                         CATENA_OK);
        whole = malloc(len + sizeof(tail) + 8);
        assert_non_null(whole);
        w = whole;
        ASN1_put_object(&w, 1, (int)(len + sizeof(tail)), V_ASN1_SEQUENCE,
                        V_ASN1_UNIVERSAL);
        memcpy(w, tbs, len);
        memcpy(w + len, tail, sizeof(tail));
        w += len + sizeof(tail);
        p = whole;
        crl = d2i_X509_CRL(NULL, &p, (long)(w - whole));
        assert_non_null(crl);
        assert_ptr_equal(p, w);
        revoked = X509_CRL_get_REVOKED(crl);
        for (int k = 0; k < sk_X509_REVOKED_num(revoked); k++) {
            const X509_REVOKED *r = sk_X509_REVOKED_value(revoked, k);
            const ASN1_TIME *d = X509_REVOKED_get0_revocationDate(r);

            for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
                if (ASN1_TIME_cmp_time_t(d, (time_t)dates[i].t) != 0) {
                    continue;
                }
                assert_int_equal(ASN1_STRING_type(d), dates[i].type);
                assert_int_equal(ASN1_STRING_length(d),
                                 (int)strlen(dates[i].text));
                assert_memory_equal(ASN1_STRING_get0_data(d), dates[i].text,
                                    strlen(dates[i].text));
                found++;
            }
        }
        /* Only these rows are unexpired in 2101. */
        assert_int_equal(sk_X509_REVOKED_num(revoked), (int)entries);
        X509_CRL_free(crl);
        free(whole);
        free(tbs);
    }
    assert_int_equal(found, sizeof(dates) / sizeof(dates[0]));
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_limits),
        cmocka_unit_test(test_entries_and_reasons),
        cmocka_unit_test(test_extensions_match_shard_url),
        cmocka_unit_test(test_number_increases),
        cmocka_unit_test(test_publish_all_and_urls),
        cmocka_unit_test(test_signer_refuses_bad_entries),
        cmocka_unit_test(test_signer_refuses_stale_number),
        cmocka_unit_test(test_publish_after_stored_number),
        cmocka_unit_test(test_signer_refuses_padded_revoked_length),
        cmocka_unit_test(test_revocation_date_encoding),
    };
    int rc = fixture_main(argc, argv);

    if (rc >= 0) {
        return rc;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
