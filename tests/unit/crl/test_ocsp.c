/*
 * test_ocsp.c - OCSP answers from a real store signed by the real signer
 * with the delegated responder key: good, revoked (time and reason),
 * unknown for serials never issued (absent, reserved, failed), SHA-1 and
 * SHA-256 CertIDs, unauthorized for a foreign issuer, malformedRequest
 * for junk, trailing bytes, empty and over-long input, and several
 * CertIDs in one request; cached answers come back identical until
 * invalidated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "catena/store.h"
#include "crl_fixture.h"
#include "internal.h"

static struct crl_fixture fx;
static struct crl_ocsp *ocsp;
static int64_t now;

static int
setup(void **state)
{
    struct crl_settings st;
    struct catena_err err;

    (void)state;
    now = (int64_t)time(NULL);
    if (fixture_setup(&fx) != 0 ||
        fixture_add_cert(&fx, "0a01", CATENA_CERT_ISSUED, 0, -1,
                         now + 86400) < 0 ||
        fixture_add_cert(&fx, "0a02", CATENA_CERT_REVOKED, now - 100, 1,
                         now + 86400) < 0 ||
        fixture_add_cert(&fx, "0a03", CATENA_CERT_RESERVED, 0, -1,
                         now + 86400) < 0 ||
        fixture_add_cert(&fx, "0a04", CATENA_CERT_FAILED, 0, -1,
                         now + 86400) < 0 ||
        fixture_add_cert(&fx, "0a05", CATENA_CERT_REVOKED, now - 50, -1,
                         now + 86400) < 0 ||
        fixture_add_cert(&fx, "0a06", CATENA_CERT_ISSUED, 0, -1,
                         now + 86400) < 0 ||
        crl_settings_load(fx.cfg, &st, &err) != CATENA_OK ||
        crl_ocsp_new(fx.ca, fx.cfg, &st, &ocsp, &err) != CATENA_OK) {
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    crl_ocsp_free(ocsp);
    fixture_teardown(&fx);
    return 0;
}

/* request builds a DER OCSPRequest for |serial| under |issuer|. */
static size_t
request(X509 *issuer, long serial, const EVP_MD *md, int copies,
        uint8_t **out)
{
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    int len;

    assert_non_null(req);
    assert_true(ASN1_INTEGER_set(sn, serial));
    for (int i = 0; i < copies; i++) {
        OCSP_CERTID *id = OCSP_cert_id_new(md, X509_get_subject_name(issuer),
                                           X509_get0_pubkey_bitstr(issuer),
                                           sn);

        assert_non_null(id);
        assert_non_null(OCSP_request_add0_id(req, id));
    }
    *out = NULL;
    len = i2d_OCSP_REQUEST(req, out);
    assert_true(len > 0);
    ASN1_INTEGER_free(sn);
    OCSP_REQUEST_free(req);
    return (size_t)len;
}

static int
respond(const uint8_t *der, size_t len, struct ocsp_answer *ans)
{
    struct catena_err err;

    if (crl_ocsp_respond(ocsp, fx.store, der, len, ans, &err) != CATENA_OK) {
        fail_msg("respond: %s", err.msg);
    }
    {
        const unsigned char *p = ans->der;
        OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ans->der_len);
        int status;

        assert_non_null(resp);
        status = OCSP_response_status(resp);
        OCSP_RESPONSE_free(resp);
        return status;
    }
}

/* status_of asks about |serial| and checks the signed answer. */
static int
status_of(long serial, const EVP_MD *md, int *reason, time_t *revoked)
{
    uint8_t *req = NULL;
    size_t len = request(fx.issuer, serial, md, 1, &req);
    struct ocsp_answer ans;
    const unsigned char *p;
    OCSP_RESPONSE *resp;
    OCSP_BASICRESP *bs;
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509_STORE *trust = X509_STORE_new();
    ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    OCSP_CERTID *id;
    int status = -1;

    assert_int_equal(respond(req, len, &ans),
                     OCSP_RESPONSE_STATUS_SUCCESSFUL);
    assert_true(ans.successful);
    assert_int_equal(ans.next_update - ans.this_update, 4 * 86400);
    p = ans.der;
    resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ans.der_len);
    bs = OCSP_response_get1_basic(resp);
    assert_non_null(bs);
    /* Signed by the delegated responder, which chains to the issuer. */
    assert_true(X509_STORE_add_cert(trust, fx.issuer));
    assert_int_equal(OCSP_basic_verify(bs, certs, trust, 0), 1);
    {
        const ASN1_OCTET_STRING *byKey = NULL;
        const X509_NAME *byName = NULL;

        assert_int_equal(OCSP_resp_get0_id(bs, &byKey, &byName), 1);
        assert_non_null(byKey);
        assert_null(byName);
    }
    assert_true(ASN1_INTEGER_set(sn, serial));
    id = OCSP_cert_id_new(md, X509_get_subject_name(fx.issuer),
                          X509_get0_pubkey_bitstr(fx.issuer), sn);
    *reason = -2;
    assert_int_equal(OCSP_resp_find_status(bs, id, &status, reason, &rev,
                                           &tu, &nu),
                     1);
    assert_non_null(nu);
    if (revoked != NULL && rev != NULL) {
        struct tm tm;

        assert_int_equal(ASN1_TIME_to_tm(rev, &tm), 1);
        *revoked = timegm(&tm);
    }
    OCSP_CERTID_free(id);
    ASN1_INTEGER_free(sn);
    X509_STORE_free(trust);
    sk_X509_free(certs);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    free(ans.der);
    OPENSSL_free(req);
    return status;
}

static void
test_good_revoked_unknown(void **state)
{
    int reason;
    time_t revoked = 0;

    (void)state;
    assert_int_equal(status_of(0x0a01, EVP_sha1(), &reason, NULL),
                     V_OCSP_CERTSTATUS_GOOD);
    assert_int_equal(status_of(0x0a01, EVP_sha256(), &reason, NULL),
                     V_OCSP_CERTSTATUS_GOOD);
    assert_int_equal(status_of(0x0a02, EVP_sha256(), &reason, &revoked),
                     V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    assert_int_equal((int64_t)revoked, now - 100);
    /* unspecified: revoked without a reason. */
    assert_int_equal(status_of(0x0a05, EVP_sha1(), &reason, NULL),
                     V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, OCSP_REVOKED_STATUS_NOSTATUS);
    /* Never issued: reserved, refused, absent. Never "good". */
    assert_int_equal(status_of(0x0a03, EVP_sha1(), &reason, NULL),
                     V_OCSP_CERTSTATUS_UNKNOWN);
    assert_int_equal(status_of(0x0a04, EVP_sha1(), &reason, NULL),
                     V_OCSP_CERTSTATUS_UNKNOWN);
    assert_int_equal(status_of(0x7777, EVP_sha1(), &reason, NULL),
                     V_OCSP_CERTSTATUS_UNKNOWN);
}

static void
test_cache_and_invalidate(void **state)
{
    uint8_t *req = NULL;
    size_t len = request(fx.issuer, 0x0a06, EVP_sha1(), 1, &req);
    struct ocsp_answer a, b, c;
    int reason;

    (void)state;
    respond(req, len, &a);
    respond(req, len, &b);
    /* The second answer is the cached, identical response. */
    assert_int_equal(a.der_len, b.der_len);
    assert_memory_equal(a.der, b.der, a.der_len);
    /* After a revocation (and the listener's invalidation) it changes. */
    {
        const struct catena_sql_param p[] = {CATENA_SQL_P_INT(now)};
        struct catena_err err;

        assert_int_equal(catena_store_exec(fx.store,
                                           "UPDATE certificates SET status "
                                           "= 2, revoked_at = $1, reason = 4 "
                                           "WHERE serial = '0a06'",
                                           p, 1, NULL, &err),
                         CATENA_OK);
    }
    crl_ocsp_invalidate(ocsp, "0a06");
    respond(req, len, &c);
    assert_false(c.der_len == a.der_len &&
                 memcmp(c.der, a.der, a.der_len) == 0);
    assert_int_equal(status_of(0x0a06, EVP_sha1(), &reason, NULL),
                     V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, OCSP_REVOKED_STATUS_SUPERSEDED);
    free(a.der);
    free(b.der);
    free(c.der);
    OPENSSL_free(req);
}

static void
test_unauthorized_issuer(void **state)
{
    uint8_t *req = NULL;
    size_t len;
    struct ocsp_answer ans;

    (void)state;
    /* The responder certificate is not an issuer we serve. */
    len = request(fx.responder, 0x0a01, EVP_sha1(), 1, &req);
    assert_int_equal(respond(req, len, &ans),
                     OCSP_RESPONSE_STATUS_UNAUTHORIZED);
    assert_false(ans.successful);
    free(ans.der);
    OPENSSL_free(req);
}

static void
test_malformed(void **state)
{
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01};
    uint8_t *req = NULL;
    size_t len = request(fx.issuer, 0x0a01, EVP_sha1(), 1, &req);
    uint8_t *longer = calloc(1, OCSP_MAX_REQUEST + 10);
    struct ocsp_answer ans;

    (void)state;
    assert_non_null(longer);
    assert_int_equal(respond(junk, sizeof(junk), &ans),
                     OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    free(ans.der);
    assert_int_equal(respond(NULL, 0, &ans),
                     OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    free(ans.der);
    /* Trailing bytes after a valid request. */
    memcpy(longer, req, len);
    assert_int_equal(respond(longer, len + 1, &ans),
                     OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    free(ans.der);
    /* Over the length cap. */
    assert_int_equal(respond(longer, OCSP_MAX_REQUEST + 1, &ans),
                     OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    free(ans.der);
    /* Truncated. */
    assert_int_equal(respond(req, len - 1, &ans),
                     OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    free(ans.der);
    OPENSSL_free(req);
    /* Two CertIDs: RFC 5019 allows one. */
    len = request(fx.issuer, 0x0a01, EVP_sha1(), 2, &req);
    assert_int_equal(respond(req, len, &ans),
                     OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    free(ans.der);
    OPENSSL_free(req);
    free(longer);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_revoked_unknown),
        cmocka_unit_test(test_cache_and_invalidate),
        cmocka_unit_test(test_unauthorized_issuer),
        cmocka_unit_test(test_malformed),
    };
    int rc = fixture_main(argc, argv);

    if (rc >= 0) {
        return rc;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
