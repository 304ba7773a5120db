/*
 * test_signer_proto.c - the signer's frames and a real signer process.
 *
 * The frame tests drive base/ipc and the request/response bodies with
 * good and malformed input. The process tests run this very executable as
 * "signer" (main() dispatches on argv[1], as the catena binary does), with
 * keys the test generates in a temporary directory: a root and a TLS CA
 * are created through the signer itself, then certificates, CRLs, OCSP
 * responses and JWS are signed and verified with OpenSSL, and bad requests
 * are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/bytes.h"
#include "base/ipc.h"
#include "catena/ca.h"
#include "catena/config.h"
#include "core.h"
#include "signer/signer.h"
#include "../../common/test_tmp.h"

static char dir[256];
static char conf[512];
static EVP_PKEY *root_key;
static EVP_PKEY *tls_key;
static EVP_PKEY *ocsp_key;
static X509 *root_cert;
static X509 *tls_cert;
static X509 *ocsp_cert;

#define BASE_URL "http://127.0.0.1:8080"
#define TLS_SHARDS 4

/* ---- frames ------------------------------------------------------------- */

static void
test_frame_roundtrip(void **state)
{
    static const uint8_t body[] = {1, 2, 3, 4, 5, 6, 7};
    struct catena_ipc_frame f;
    struct catena_err err;
    uint8_t *buf = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(catena_ipc_encode(CATENA_SIGNER_SIGN_CERT, 0xdeadbeef,
                                       body, sizeof(body),
                                       catena_signer_request_caps,
                                       catena_signer_num_request_caps, &buf,
                                       &len, &err),
                     CATENA_OK);
    /* Big-endian length (type + id + body), type, id. */
    assert_int_equal(len, 9 + 7);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[3], 5 + 7);
    assert_memory_equal(buf + 9, body, sizeof(body));
    assert_int_equal(buf[4], CATENA_SIGNER_SIGN_CERT);
    assert_int_equal(buf[5], 0xde);
    assert_int_equal(buf[8], 0xef);
    free(buf);

    assert_int_equal(catena_ipc_encode(CATENA_SIGNER_RESP, 7, body,
                                       sizeof(body),
                                       catena_signer_response_caps,
                                       catena_signer_num_response_caps, &buf,
                                       &len, &err),
                     CATENA_OK);
    assert_int_equal(catena_ipc_decode(buf, len, catena_signer_response_caps,
                                       catena_signer_num_response_caps, &f,
                                       &err),
                     CATENA_OK);
    assert_int_equal(f.type, CATENA_SIGNER_RESP);
    assert_int_equal(f.id, 7);
    assert_int_equal(f.body_len, sizeof(body));
    assert_memory_equal(f.body, body, sizeof(body));
    catena_ipc_frame_free(&f);

    /* Truncated: every proper prefix is refused. */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(catena_ipc_decode(buf, cut,
                                           catena_signer_response_caps,
                                           catena_signer_num_response_caps,
                                           &f, &err),
                         CATENA_ERR_INVALID);
        assert_null(f.body);
    }
    free(buf);
}

static void
test_frame_malformed(void **state)
{
    struct catena_ipc_frame f;
    struct catena_err err;
    uint8_t hdr[16] = {0};
    uint8_t *buf = NULL;
    size_t len = 0;
    uint8_t type = 0;
    uint32_t id = 0;
    size_t body_len = 0;

    (void)state;
    /* Unknown type. */
    memcpy(hdr, "\x00\x00\x00\x05\x42\x00\x00\x00\x01", 9);
    assert_int_equal(catena_ipc_parse_header(hdr, catena_signer_request_caps,
                                             catena_signer_num_request_caps,
                                             &type, &id, &body_len, &err),
                     CATENA_ERR_INVALID);
    /* A response type is not a request. */
    hdr[4] = CATENA_SIGNER_RESP;
    assert_int_equal(catena_ipc_parse_header(hdr, catena_signer_request_caps,
                                             catena_signer_num_request_caps,
                                             &type, &id, &body_len, &err),
                     CATENA_ERR_INVALID);
    /* Zero and short lengths. */
    hdr[4] = CATENA_SIGNER_SIGN_CERT;
    for (uint8_t l = 0; l < 5; l++) {
        hdr[3] = l;
        assert_int_equal(
            catena_ipc_parse_header(hdr, catena_signer_request_caps,
                                    catena_signer_num_request_caps, &type,
                                    &id, &body_len, &err),
            CATENA_ERR_INVALID);
    }
    /* Below the type's minimum body. */
    hdr[3] = 5 + 3;
    assert_int_equal(catena_ipc_parse_header(hdr, catena_signer_request_caps,
                                             catena_signer_num_request_caps,
                                             &type, &id, &body_len, &err),
                     CATENA_ERR_INVALID);
    /* Oversized: a certificate request of 1 MiB, a CRL of 4 GiB. */
    memcpy(hdr, "\x00\x10\x00\x05\x01\x00\x00\x00\x01", 9);
    assert_int_equal(catena_ipc_parse_header(hdr, catena_signer_request_caps,
                                             catena_signer_num_request_caps,
                                             &type, &id, &body_len, &err),
                     CATENA_ERR_TOO_BIG);
    memcpy(hdr, "\xff\xff\xff\xff\x02\x00\x00\x00\x01", 9);
    assert_int_equal(catena_ipc_parse_header(hdr, catena_signer_request_caps,
                                             catena_signer_num_request_caps,
                                             &type, &id, &body_len, &err),
                     CATENA_ERR_TOO_BIG);
    /* ... and the sender refuses to build what the peer would refuse. */
    {
        uint8_t *big = calloc(1, CATENA_SIGNER_TBS_MAX + 1024);

        assert_non_null(big);
        assert_int_equal(catena_ipc_encode(CATENA_SIGNER_SIGN_CERT, 1, big,
                                           CATENA_SIGNER_TBS_MAX + 1024,
                                           catena_signer_request_caps,
                                           catena_signer_num_request_caps,
                                           &buf, &len, &err),
                         CATENA_ERR_TOO_BIG);
        assert_null(buf);
        free(big);
    }
    /* Trailing bytes after a whole frame. */
    assert_int_equal(catena_ipc_encode(CATENA_SIGNER_RESP, 1,
                                       (const uint8_t *)"\x00", 1,
                                       catena_signer_response_caps,
                                       catena_signer_num_response_caps, &buf,
                                       &len, &err),
                     CATENA_OK);
    {
        uint8_t *longer = malloc(len + 1);

        assert_non_null(longer);
        memcpy(longer, buf, len);
        longer[len] = 0;
        assert_int_equal(catena_ipc_decode(longer, len + 1,
                                           catena_signer_response_caps,
                                           catena_signer_num_response_caps,
                                           &f, &err),
                         CATENA_ERR_INVALID);
        free(longer);
    }
    free(buf);
}

static void
test_request_body(void **state)
{
    static const uint8_t tbs[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    struct catena_signer_request req;
    struct catena_err err;
    uint8_t *body = NULL;
    size_t len = 0;
    char long_name[80];

    (void)state;
    assert_int_equal(catena_signer_request_encode("tls", "tls-server", tbs,
                                                  sizeof(tbs), &body, &len,
                                                  &err),
                     CATENA_OK);
    assert_int_equal(catena_signer_request_decode(body, len, &req, &err),
                     CATENA_OK);
    assert_string_equal(req.issuer, "tls");
    assert_string_equal(req.profile, "tls-server");
    assert_int_equal(req.payload_len, sizeof(tbs));
    assert_memory_equal(req.payload, tbs, sizeof(tbs));
    /* Every truncation, and one trailing byte, are refused. */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(catena_signer_request_decode(body, cut, &req, &err),
                         CATENA_ERR_INVALID);
    }
    {
        uint8_t *longer = malloc(len + 1);

        assert_non_null(longer);
        memcpy(longer, body, len);
        longer[len] = 0;
        assert_int_equal(
            catena_signer_request_decode(longer, len + 1, &req, &err),
            CATENA_ERR_INVALID);
        /* A control byte in the issuer name. */
        longer[1] = '\n';
        assert_int_equal(catena_signer_request_decode(longer, len, &req, &err),
                         CATENA_ERR_INVALID);
        /* An empty issuer name. */
        longer[0] = 0;
        assert_int_equal(catena_signer_request_decode(longer, len, &req, &err),
                         CATENA_ERR_INVALID);
        free(longer);
    }
    free(body);
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(catena_signer_request_encode(long_name, "", tbs,
                                                  sizeof(tbs), &body, &len,
                                                  &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_signer_request_encode("", "", tbs, sizeof(tbs),
                                                  &body, &len, &err),
                     CATENA_ERR_INVALID);
}

/* A CRL request carries the scope's last stored cRLNumber before the
 * TBSCertList; malformed state is refused. */
static void
test_crl_request_body(void **state)
{
    static const uint8_t tbs[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    static const int64_t prevs[] = {-1, 0, 5, INT64_MAX};
    struct catena_signer_request req;
    struct catena_err err;
    const uint8_t *got = NULL;
    size_t got_len = 0;
    int64_t prev = 0;
    uint8_t *body = NULL;
    size_t len = 0;
    uint8_t bad[CATENA_SIGNER_CRL_STATE_LEN + sizeof(tbs)];

    (void)state;
    for (size_t i = 0; i < sizeof(prevs) / sizeof(prevs[0]); i++) {
        assert_int_equal(catena_signer_crl_request_encode(
                             "tls", prevs[i], tbs, sizeof(tbs), &body, &len,
                             &err),
                         CATENA_OK);
        assert_int_equal(catena_signer_request_decode(body, len, &req, &err),
                         CATENA_OK);
        assert_string_equal(req.profile, "");
        assert_int_equal(catena_signer_crl_payload_decode(
                             req.payload, req.payload_len, &prev, &got,
                             &got_len, &err),
                         CATENA_OK);
        assert_int_equal(prev, prevs[i]);
        assert_int_equal(got_len, sizeof(tbs));
        assert_memory_equal(got, tbs, sizeof(tbs));
        free(body);
    }
    /* Shorter than the state; has_prev 2; a number with has_prev 0; a
     * number above INT64_MAX. */
    memset(bad, 0, sizeof(bad));
    memcpy(bad + CATENA_SIGNER_CRL_STATE_LEN, tbs, sizeof(tbs));
    assert_int_equal(catena_signer_crl_payload_decode(
                         bad, CATENA_SIGNER_CRL_STATE_LEN - 1, &prev, &got,
                         &got_len, &err),
                     CATENA_ERR_INVALID);
    bad[0] = 2;
    assert_int_equal(catena_signer_crl_payload_decode(bad, sizeof(bad), &prev,
                                                      &got, &got_len, &err),
                     CATENA_ERR_INVALID);
    bad[0] = 0;
    bad[8] = 1;
    assert_int_equal(catena_signer_crl_payload_decode(bad, sizeof(bad), &prev,
                                                      &got, &got_len, &err),
                     CATENA_ERR_INVALID);
    bad[0] = 1;
    bad[1] = 0x80;
    assert_int_equal(catena_signer_crl_payload_decode(bad, sizeof(bad), &prev,
                                                      &got, &got_len, &err),
                     CATENA_ERR_INVALID);
    assert_null(got);
}

static void
test_response_body(void **state)
{
    struct catena_err err;
    uint8_t *body = NULL;
    size_t len = 0;
    const uint8_t *der = NULL;
    size_t der_len = 0;

    (void)state;
    assert_int_equal(catena_signer_response_encode(CATENA_ERR_LINT,
                                                   "lint: e_x", NULL, 0,
                                                   &body, &len, &err),
                     CATENA_OK);
    assert_int_equal(catena_signer_response_decode(body, len, &der, &der_len,
                                                   &err),
                     CATENA_ERR_LINT);
    assert_string_equal(err.msg, "lint: e_x");
    /* A refusal claiming success, or an unknown code, is malformed. */
    body[4] = 0;
    assert_int_equal(catena_signer_response_decode(body, len, &der, &der_len,
                                                   &err),
                     CATENA_ERR_SIGNER);
    body[4] = 0xff;
    assert_int_equal(catena_signer_response_decode(body, len, &der, &der_len,
                                                   &err),
                     CATENA_ERR_SIGNER);
    /* Message length past the end. */
    body[4] = CATENA_ERR_LINT;
    body[6] = 0xff;
    assert_int_equal(catena_signer_response_decode(body, len, &der, &der_len,
                                                   &err),
                     CATENA_ERR_SIGNER);
    free(body);
    assert_int_equal(catena_signer_response_decode((const uint8_t *)"\x02", 1,
                                                   &der, &der_len, &err),
                     CATENA_ERR_SIGNER);
}

/* The reader over a real socket: split writes, clean EOF, cut-off frame. */
static void
test_ipc_read_socket(void **state)
{
    static const uint8_t body[] = {0, 'o', 'k'};
    struct catena_ipc_frame f;
    struct catena_err err;
    uint8_t *buf = NULL;
    size_t len = 0;
    int sv[2];
    int eof = 0;
    pid_t pid;

    (void)state;
    assert_int_equal(catena_ipc_encode(CATENA_SIGNER_RESP, 9, body,
                                       sizeof(body),
                                       catena_signer_response_caps,
                                       catena_signer_num_response_caps, &buf,
                                       &len, &err),
                     CATENA_OK);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* One byte at a time, then half a frame, then EOF. */
        close(sv[0]);
        for (size_t i = 0; i < len; i++) {
            struct timespec ts = {0, 1000000};

            if (write(sv[1], buf + i, 1) != 1) {
                _exit(1);
            }
            nanosleep(&ts, NULL);
        }
        if (write(sv[1], buf, len / 2) != (ssize_t)(len / 2)) {
            _exit(1);
        }
        _exit(0);
    }
    close(sv[1]);
    assert_int_equal(catena_ipc_read(sv[0], catena_signer_response_caps,
                                     catena_signer_num_response_caps, 5000,
                                     &f, &eof, &err),
                     CATENA_OK);
    assert_int_equal(f.id, 9);
    assert_int_equal(f.body_len, sizeof(body));
    catena_ipc_frame_free(&f);
    assert_int_equal(catena_ipc_read(sv[0], catena_signer_response_caps,
                                     catena_signer_num_response_caps, 5000,
                                     &f, &eof, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(eof, 0);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_int_equal(catena_ipc_read(sv[0], catena_signer_response_caps,
                                     catena_signer_num_response_caps, 5000,
                                     &f, &eof, &err),
                     CATENA_ERR_IO);
    assert_int_equal(eof, 1);
    close(sv[0]);
    waitpid(pid, NULL, 0);
    free(buf);
}

/* ---- a real signer --------------------------------------------------------- */

static EVP_PKEY *
gen_key(const char *curve)
{
    EVP_PKEY *k = EVP_EC_gen(curve);

    assert_non_null(k);
    return k;
}

static void
write_key(EVP_PKEY *k, const char *name)
{
    char path[600];
    FILE *f;

    snprintf(path, sizeof(path), "%s/keys/%s.key", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PKCS8PrivateKey(f, k, NULL, NULL, 0, NULL,
                                               NULL),
                     1);
    fclose(f);
    chmod(path, 0600);
}

static X509 *
der_to_x509(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);

    assert_non_null(x);
    assert_ptr_equal(p, der + len);
    return x;
}

static void
write_cert(X509 *x, const char *name)
{
    char path[600];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);
}

static X509_NAME *
make_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    assert_non_null(n);
    assert_true(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
                                           (const unsigned char *)"DE", -1,
                                           -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                           (const unsigned char *)"Catena Test",
                                           -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                                           (const unsigned char *)cn, -1, -1,
                                           0));
    return n;
}

struct tbs_opts {
    const char *profile;
    X509 *issuer_cert;
    EVP_PKEY *issuer_key; /* public half picks the algorithm */
    EVP_PKEY *subject_key;
    const char *cn;       /* CA and OCSP certificates */
    const char *dns;      /* TLS leaves */
    const char *crl_issuer;
    int64_t lifetime;
    enum catena_ca_kind ca_kind;
};

/* build_tbs uses the core's TBS builder, as issuance does. */
static void
build_tbs(const struct tbs_opts *o, uint8_t **tbs, size_t *tbs_len)
{
    const struct catena_profile *prof = catena_profile_find(o->profile);
    struct catena_tbs_params tp;
    struct catena_err err;
    uint8_t serial[CATENA_SERIAL_MAX_BYTES];
    size_t serial_len = 0;
    X509_NAME *subject = o->cn != NULL ? make_name(o->cn) : NULL;
    const char *dns[1] = {o->dns};
    char crl_url[256];
    char aia_url[256];
    int64_t now = (int64_t)time(NULL) - 60;

    assert_non_null(prof);
    assert_int_equal(catena_serial_generate(1, serial, &serial_len),
                     CATENA_OK);
    memset(&tp, 0, sizeof(tp));
    tp.profile = prof;
    tp.serial = serial;
    tp.serial_len = serial_len;
    tp.issuer_cert = o->issuer_cert;
    tp.issuer_key = o->issuer_key;
    tp.subject = subject;
    tp.subject_key = o->subject_key;
    tp.not_before = now;
    tp.not_after = catena_validity_not_after(
        now, o->lifetime != 0 ? o->lifetime : prof->default_lifetime);
    tp.ca_kind = o->ca_kind;
    if (o->dns != NULL) {
        tp.dns_names = dns;
        tp.num_dns_names = 1;
    }
    if (o->crl_issuer != NULL) {
        int shards = strcmp(o->crl_issuer, "tls") == 0 ? TLS_SHARDS : 1;
        int shard = catena_ca_shard_for_serial(serial, serial_len, shards);

        snprintf(crl_url, sizeof(crl_url), "%s/crl/%s/%d.crl", BASE_URL,
                 o->crl_issuer, shard);
        snprintf(aia_url, sizeof(aia_url), "%s/ca/%s.der", BASE_URL,
                 o->crl_issuer);
        tp.crl_url = crl_url;
        tp.ca_issuers_url = aia_url;
        if (strcmp(o->profile, "tls-server") == 0) {
            tp.ocsp_url = BASE_URL "/ocsp";
        }
    }
    catena_err_clear(&err);
    if (catena_tbs_build(&tp, tbs, tbs_len, &err) != CATENA_OK) {
        fail_msg("TBS: %s", err.msg);
    }
    X509_NAME_free(subject);
}

static struct catena_signer *
start(void)
{
    struct catena_signer *s = NULL;
    struct catena_err err;

    catena_err_clear(&err);
    if (catena_signer_start(NULL, conf, &s, &err) != CATENA_OK) {
        fail_msg("signer start: %s", err.msg);
    }
    assert_true(catena_signer_pid(s) > 0);
    return s;
}

/* sign_ok signs a TBS and returns the verified certificate. */
static X509 *
sign_ok(struct catena_signer *s, const char *issuer,
        const struct tbs_opts *o, EVP_PKEY *verify_key)
{
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    struct catena_err err;
    unsigned char *re = NULL;
    X509 *x;

    build_tbs(o, &tbs, &tbs_len);
    catena_err_clear(&err);
    if (catena_signer_sign_cert(s, issuer, o->profile, tbs, tbs_len, &der,
                                &der_len, &err) != CATENA_OK) {
        fail_msg("sign %s by %s: %s", o->profile, issuer, err.msg);
    }
    x = der_to_x509(der, der_len);
    /* The assembled certificate verifies and carries our TBS verbatim. */
    assert_int_equal(X509_verify(x, verify_key), 1);
    assert_int_equal(i2d_re_X509_tbs(x, &re), (int)tbs_len);
    assert_memory_equal(re, tbs, tbs_len);
    OPENSSL_free(re);
    OPENSSL_free(tbs);
    free(der);
    return x;
}

static enum catena_rc
sign_refused(struct catena_signer *s, const char *issuer, const char *profile,
             const struct tbs_opts *o, struct catena_err *err)
{
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    enum catena_rc rc;

    build_tbs(o, &tbs, &tbs_len);
    catena_err_clear(err);
    rc = catena_signer_sign_cert(s, issuer, profile, tbs, tbs_len, &der,
                                 &der_len, err);
    assert_null(der);
    OPENSSL_free(tbs);
    return rc;
}

/* The CA is created through the signer, stage by stage, like init. */
static int
setup_ca(void **state)
{
    struct catena_signer *s;
    X509 *x;
    FILE *f;
    char path[600];

    (void)state;
    if (test_mkdtemp(dir, sizeof(dir), "catena-signer-") == NULL) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/keys", dir);
    mkdir(path, 0700);
    root_key = gen_key("P-384");
    tls_key = gen_key("P-256");
    ocsp_key = gen_key("P-256");
    write_key(root_key, "root");
    write_key(tls_key, "tls");
    write_key(ocsp_key, "tls-ocsp");
    snprintf(conf, sizeof(conf), "%s/catena.conf", dir);
    f = fopen(conf, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f,
            "[catena]\nstore = sqlite:%s/catena.db\nbase_url = " BASE_URL
            "/\n\n"
            "[issuer \"root\"]\ncert = root.pem\nkey = keys/root.key\n"
            "profiles = root-ca, sub-ca\nnum_shards = 1\n\n"
            "[issuer \"tls\"]\ncert = tls.pem\nkey = keys/tls.key\n"
            "profiles = tls-server,ocsp-signer\nnum_shards = %d\n"
            "ocsp_cert = tls-ocsp.pem\nocsp_key = keys/tls-ocsp.key\n"
            "parent = root\n\n"
            "# A front door's section: the signer skips it.\n"
            "[acme]\nwhatever = 1\n",
            dir, TLS_SHARDS);
    fclose(f);

    /* Root: self-signed, while root.pem does not exist yet. */
    s = start();
    {
        struct tbs_opts o = {.profile = "root-ca", .issuer_key = root_key,
                             .subject_key = root_key, .cn = "Test Root"};

        root_cert = sign_ok(s, "root", &o, root_key);
    }
    catena_signer_stop(s);
    write_cert(root_cert, "root");

    s = start();
    {
        struct tbs_opts o = {.profile = "sub-ca", .issuer_cert = root_cert,
                             .issuer_key = root_key, .subject_key = tls_key,
                             .cn = "Test TLS CA", .crl_issuer = "root",
                             .ca_kind = CATENA_CA_KIND_TLS};

        tls_cert = sign_ok(s, "root", &o, root_key);
    }
    catena_signer_stop(s);
    write_cert(tls_cert, "tls");

    s = start();
    {
        struct tbs_opts o = {.profile = "ocsp-signer",
                             .issuer_cert = tls_cert, .issuer_key = tls_key,
                             .subject_key = ocsp_key,
                             .cn = "Test TLS OCSP Responder"};

        x = sign_ok(s, "tls", &o, tls_key);
        ocsp_cert = x;
    }
    catena_signer_stop(s);
    write_cert(ocsp_cert, "tls-ocsp");
    return 0;
}

static int
teardown_ca(void **state)
{
    static const char *const files[] = {
        "keys/root.key", "keys/tls.key", "keys/tls-ocsp.key", "root.pem",
        "tls.pem",       "tls-ocsp.pem", "catena.conf",       "keys"};
    char path[600];

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (unlink(path) != 0) {
            rmdir(path);
        }
    }
    rmdir(dir);
    X509_free(root_cert);
    X509_free(tls_cert);
    X509_free(ocsp_cert);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(tls_key);
    EVP_PKEY_free(ocsp_key);
    return 0;
}

static void
test_sign_leaf(void **state)
{
    struct catena_signer *s = start();
    EVP_PKEY *leaf_key = gen_key("P-256");
    struct tbs_opts o = {.profile = "tls-server", .issuer_cert = tls_cert,
                         .issuer_key = tls_key, .subject_key = leaf_key,
                         .dns = "www.example.com", .crl_issuer = "tls"};
    X509 *x;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *chain = sk_X509_new_null();

    (void)state;
    x = sign_ok(s, "tls", &o, X509_get0_pubkey(tls_cert));
    /* And the whole chain verifies as OpenSSL's verifier sees it. */
    assert_true(X509_STORE_add_cert(store, root_cert));
    assert_true(sk_X509_push(chain, tls_cert));
    assert_true(X509_STORE_CTX_init(ctx, store, x, chain));
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    if (X509_verify_cert(ctx) != 1) {
        fail_msg("chain: %s", X509_verify_cert_error_string(
                                  X509_STORE_CTX_get_error(ctx)));
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_free(chain);
    X509_free(x);
    EVP_PKEY_free(leaf_key);
    catena_signer_stop(s);
}

static void
test_refusals(void **state)
{
    struct catena_signer *s = start();
    EVP_PKEY *leaf_key = gen_key("P-256");
    EVP_PKEY *p384 = gen_key("P-384");
    struct tbs_opts good = {.profile = "tls-server", .issuer_cert = tls_cert,
                            .issuer_key = tls_key, .subject_key = leaf_key,
                            .dns = "www.example.com", .crl_issuer = "tls"};
    struct tbs_opts o;
    struct catena_err err;
    uint8_t *der = NULL;
    size_t der_len = 0;

    (void)state;
    /* Wrong signature algorithm: the TBS says ecdsa-with-SHA384, the TLS
     * CA's key is P-256. */
    o = good;
    o.issuer_key = p384;
    assert_int_equal(sign_refused(s, "tls", "tls-server", &o, &err),
                     CATENA_ERR_POLICY);
    assert_non_null(strstr(err.msg, "signature algorithm"));
    /* Wrong issuer name: a TBS naming the root, sent to the TLS CA. */
    o = good;
    o.issuer_cert = root_cert;
    assert_int_equal(sign_refused(s, "tls", "tls-server", &o, &err),
                     CATENA_ERR_POLICY);
    assert_non_null(strstr(err.msg, "issuer name"));
    /* Profile not allowed for this issuer. */
    assert_int_equal(sign_refused(s, "root", "tls-server", &good, &err),
                     CATENA_ERR_UNAUTHORIZED);
    assert_int_equal(sign_refused(s, "tls", "sub-ca", &good, &err),
                     CATENA_ERR_UNAUTHORIZED);
    assert_int_equal(sign_refused(s, "tls", "no-such-profile", &good, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(sign_refused(s, "nobody", "tls-server", &good, &err),
                     CATENA_ERR_NOT_FOUND);
    /* Validity past the issuer's. */
    o = good;
    o.lifetime = 40LL * 365 * 86400;
    assert_int_equal(sign_refused(s, "tls", "tls-server", &o, &err),
                     CATENA_ERR_POLICY);
    /* The linter refuses what the profile forbids: a TLS certificate
     * longer than the BR maximum (inside the issuer's validity). */
    o = good;
    o.lifetime = 400LL * 86400;
    assert_int_equal(sign_refused(s, "tls", "tls-server", &o, &err),
                     CATENA_ERR_LINT);
    assert_non_null(strstr(err.msg, "lint: "));
    /* Not DER at all, DER with trailing bytes, a lone INTEGER. */
    assert_int_equal(catena_signer_sign_cert(s, "tls", "tls-server",
                                             (const uint8_t *)"garbage", 7,
                                             &der, &der_len, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_signer_sign_cert(
                         s, "tls", "tls-server",
                         (const uint8_t *)"\x30\x03\x02\x01\x01\x00", 6, &der,
                         &der_len, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_signer_sign_cert(s, "tls", "tls-server",
                                             (const uint8_t *)"\x02\x01\x01",
                                             3, &der, &der_len, &err),
                     CATENA_ERR_INVALID);
    /* Every proper prefix of a good TBS, and the TBS with a long-form
     * length where the short form is due (not DER), is refused: the
     * signer's outline reader and the lint between them leave nothing
     * half-parsed to sign. */
    {
        uint8_t *tbs = NULL;
        size_t tbs_len = 0;
        uint8_t *longer;

        build_tbs(&good, &tbs, &tbs_len);
        for (size_t cut = 0; cut < tbs_len; cut += 7) {
            assert_int_not_equal(catena_signer_sign_cert(s, "tls",
                                                         "tls-server", tbs,
                                                         cut, &der, &der_len,
                                                         &err),
                                 CATENA_OK);
            assert_null(der);
        }
        /* tbs[4] starts the first field inside the outer SEQUENCE (header
         * 30 82 LL LL): the version [0] element, A0 03 ... */
        assert_true(tbs[0] == 0x30 && tbs[1] == 0x82 && tbs[4] == 0xa0 &&
                    tbs[5] == 0x03);
        assert_non_null(longer = malloc(tbs_len + 1));
        memcpy(longer, tbs, 5);
        longer[5] = 0x81; /* A0 81 03: the long form of length 3 */
        memcpy(longer + 6, tbs + 5, tbs_len - 5);
        longer[3] = (uint8_t)(longer[3] + 1);
        if (longer[3] == 0) {
            longer[2]++;
        }
        assert_int_equal(catena_signer_sign_cert(s, "tls", "tls-server",
                                                 longer, tbs_len + 1, &der,
                                                 &der_len, &err),
                         CATENA_ERR_LINT);
        free(longer);
        free(tbs);
    }
    /* A root must carry the signing key itself. */
    {
        struct tbs_opts r = {.profile = "root-ca", .issuer_key = root_key,
                             .subject_key = leaf_key, .cn = "Test Root"};

        assert_int_equal(sign_refused(s, "root", "root-ca", &r, &err),
                         CATENA_ERR_POLICY);
        assert_non_null(strstr(err.msg, "self-issued with the key"));
    }
    /* Refusals keep the conversation: a good request still works. */
    X509_free(sign_ok(s, "tls", &good, X509_get0_pubkey(tls_cert)));
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(p384);
    catena_signer_stop(s);
}

/* build_crl makes a TBSCertList for shard |shard| of the TLS CA. */
static void
build_crl(int shard, const char *url_override, uint8_t **tbs, size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    ASN1_INTEGER *number = ASN1_INTEGER_new();
    ASN1_TIME *t = ASN1_TIME_new();
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    char url[256];
    unsigned char *d = NULL;
    int n;
    time_t now = time(NULL);

    snprintf(url, sizeof(url), "%s/crl/tls/%d.crl", BASE_URL, shard);
    if (url_override != NULL) {
        snprintf(url, sizeof(url), "%s", url_override);
    }
    assert_true(X509_CRL_set_version(crl, X509_CRL_VERSION_2));
    assert_true(X509_CRL_set_issuer_name(crl,
                                         X509_get_subject_name(tls_cert)));
    assert_non_null(ASN1_TIME_set(t, now - 60));
    assert_true(X509_CRL_set1_lastUpdate(crl, t));
    assert_non_null(ASN1_TIME_set(t, now + 3 * 86400));
    assert_true(X509_CRL_set1_nextUpdate(crl, t));
    assert_true(ASN1_INTEGER_set_int64(serial, 0x0123456789abcdefLL));
    assert_true(X509_REVOKED_set_serialNumber(rev, serial));
    assert_non_null(ASN1_TIME_set(t, now - 120));
    assert_true(X509_REVOKED_set_revocationDate(rev, t));
    assert_true(X509_CRL_add0_revoked(crl, rev));
    assert_true(ASN1_INTEGER_set_int64(number, (int64_t)now));
    assert_true(X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0));
    akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(tls_cert));
    assert_non_null(akid->keyid);
    assert_true(X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid,
                                      0, 0));
    assert_true(ASN1_STRING_set(uri, url, -1));
    GENERAL_NAME_set0_value(gn, GEN_URI, uri);
    idp->distpoint = DIST_POINT_NAME_new();
    idp->distpoint->type = 0;
    idp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
    assert_true(sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn));
    idp->onlyuser = 1;
    assert_true(X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point,
                                      idp, 1, 0));
    /* The TBS signature algorithm of the CA key, as the crl/ module sets
     * it; signing with the key once is the simplest way to fill it. */
    assert_true(X509_CRL_sort(crl));
    assert_true(X509_CRL_sign(crl, tls_key, EVP_sha256()) > 0);
    n = i2d_re_X509_CRL_tbs(crl, &d);
    assert_true(n > 0);
    *tbs = d;
    *len = (size_t)n;
    ISSUING_DIST_POINT_free(idp);
    AUTHORITY_KEYID_free(akid);
    ASN1_INTEGER_free(serial);
    ASN1_INTEGER_free(number);
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
}

static void
test_sign_crl(void **state)
{
    struct catena_signer *s = start();
    struct catena_err err;
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    const unsigned char *p;
    X509_CRL *crl;

    (void)state;
    build_crl(2, NULL, &tbs, &tbs_len);
    catena_err_clear(&err);
    if (catena_signer_sign_crl(s, "tls", -1, tbs, tbs_len, &der, &der_len,
                               &err) != CATENA_OK) {
        fail_msg("CRL: %s", err.msg);
    }
    p = der;
    crl = d2i_X509_CRL(NULL, &p, (long)der_len);
    assert_non_null(crl);
    assert_ptr_equal(p, der + der_len);
    assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(tls_cert)), 1);
    X509_CRL_free(crl);
    free(der);
    OPENSSL_free(tbs);
    /* A shard URL that is not one of this issuer's. */
    build_crl(0, BASE_URL "/crl/smime/0.crl", &tbs, &tbs_len);
    assert_int_equal(catena_signer_sign_crl(s, "tls", -1, tbs, tbs_len, &der,
                                            &der_len, &err),
                     CATENA_ERR_POLICY);
    /* The TLS CA's CRL asked of the root: wrong issuer name. */
    assert_int_equal(catena_signer_sign_crl(s, "root", -1, tbs, tbs_len, &der,
                                            &der_len, &err),
                     CATENA_ERR_POLICY);
    OPENSSL_free(tbs);
    catena_signer_stop(s);
}

static void
test_sign_ocsp(void **state)
{
    struct catena_signer *s = start();
    struct catena_err err;
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_BASICRESP *got = NULL;
    OCSP_CERTID *cid = NULL;
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    ASN1_TIME *now = X509_gmtime_adj(NULL, 0);
    ASN1_TIME *next = X509_gmtime_adj(NULL, 3 * 86400);
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *certs = sk_X509_new_null();
    unsigned char *rd = NULL;
    int rd_len;
    uint8_t *der = NULL;
    size_t der_len = 0;
    const unsigned char *p;

    (void)state;
    assert_true(ASN1_INTEGER_set_int64(serial, 0x0102030405060708LL));
    cid = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(tls_cert),
                           X509_get0_pubkey_bitstr(tls_cert), serial);
    assert_non_null(cid);
    assert_non_null(OCSP_basic_add1_status(bs, cid, V_OCSP_CERTSTATUS_GOOD, 0,
                                           NULL, now, next));
    /* Signing once with the responder key fills the responder ID; only
     * the ResponseData goes to the signer. */
    assert_int_equal(OCSP_basic_sign(bs, ocsp_cert, ocsp_key, EVP_sha256(),
                                     NULL, OCSP_RESPID_KEY | OCSP_NOCERTS),
                     1);
    rd_len = i2d_OCSP_RESPDATA(OCSP_resp_get0_respdata(bs), &rd);
    assert_true(rd_len > 0);
    catena_err_clear(&err);
    if (catena_signer_sign_ocsp(s, "tls", rd, (size_t)rd_len, &der, &der_len,
                                &err) != CATENA_OK) {
        fail_msg("OCSP: %s", err.msg);
    }
    p = der;
    got = d2i_OCSP_BASICRESP(NULL, &p, (long)der_len);
    assert_non_null(got);
    assert_ptr_equal(p, der + der_len);
    /* The responder certificate is included and chains to the TLS CA. */
    assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(got)), 1);
    assert_true(X509_STORE_add_cert(store, root_cert));
    assert_true(sk_X509_push(certs, tls_cert));
    assert_int_equal(OCSP_basic_verify(got, certs, store, 0), 1);
    OCSP_BASICRESP_free(got);
    free(der);
    /* The same ResponseData for the root: not about its certificates. */
    assert_int_not_equal(catena_signer_sign_ocsp(s, "root", rd,
                                                 (size_t)rd_len, &der,
                                                 &der_len, &err),
                         CATENA_OK);
    OPENSSL_free(rd);
    OCSP_CERTID_free(cid);
    OCSP_BASICRESP_free(bs);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    X509_STORE_free(store);
    sk_X509_free(certs);
    catena_signer_stop(s);
}

static void
test_sign_jws(void **state)
{
    static const char input[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0";
    struct catena_signer *s = start();
    struct catena_err err;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    unsigned char *der = NULL;
    int der_len;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    (void)state;
    assert_int_equal(catena_signer_sign_jws(s, "tls", (const uint8_t *)input,
                                            strlen(input), &sig, &sig_len,
                                            &err),
                     CATENA_OK);
    assert_int_equal(sig_len, 64);
    assert_true(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
                               BN_bin2bn(sig + 32, 32, NULL)));
    der_len = i2d_ECDSA_SIG(es, &der);
    assert_true(der_len > 0);
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
                                          X509_get0_pubkey(tls_cert)),
                     1);
    assert_int_equal(EVP_DigestVerify(md, der, (size_t)der_len,
                                      (const uint8_t *)input, strlen(input)),
                     1);
    free(sig);
    /* The signer signs JWS signing inputs, not arbitrary bytes. */
    assert_int_equal(catena_signer_sign_jws(s, "tls",
                                            (const uint8_t *)"a.b.c", 5, &sig,
                                            &sig_len, &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_signer_sign_jws(s, "tls",
                                            (const uint8_t *)"a b.c", 5, &sig,
                                            &sig_len, &err),
                     CATENA_ERR_INVALID);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    catena_signer_stop(s);
}

/* raw_signer starts the signer by hand so the test can write raw bytes. */
static pid_t
raw_signer(int *fd)
{
    struct catena_ipc_frame f;
    struct catena_err err;
    int sv[2];
    char fdbuf[16];
    pid_t pid;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    snprintf(fdbuf, sizeof(fdbuf), "%d", sv[1]);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"catena", "signer", "--config", conf, "--fd", fdbuf,
                        NULL};

        fcntl(sv[1], F_SETFD, 0);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(sv[1]);
    /* The ready answer. */
    assert_int_equal(catena_ipc_read(sv[0], catena_signer_response_caps,
                                     catena_signer_num_response_caps, 30000,
                                     &f, NULL, &err),
                     CATENA_OK);
    assert_int_equal(f.id, 0);
    catena_ipc_frame_free(&f);
    *fd = sv[0];
    return pid;
}

/* expect_conversation_ends: after |bytes| the signer closes and exits 1. */
static void
expect_conversation_ends(const void *bytes, size_t len, int shut)
{
    struct catena_ipc_frame f;
    struct catena_err err;
    int fd = -1;
    int eof = 0;
    int status = 0;
    pid_t pid = raw_signer(&fd);

    assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
    if (shut) {
        shutdown(fd, SHUT_WR);
    }
    assert_int_equal(catena_ipc_read(fd, catena_signer_response_caps,
                                     catena_signer_num_response_caps, 30000,
                                     &f, &eof, &err),
                     CATENA_ERR_IO);
    /* A close with our bytes still unread arrives as a reset. */
    assert_true(eof == 1 || err.sys_errno == ECONNRESET);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    close(fd);
}

static void
test_garbage_ends_conversation(void **state)
{
    struct catena_signer *s;

    (void)state;
    /* An unknown type, a response type, an over-cap length, a short
     * length, a malformed body, and a frame cut off by EOF. */
    expect_conversation_ends("\x00\x00\x00\x05\x42\x00\x00\x00\x01", 9, 0);
    expect_conversation_ends("\x00\x00\x00\x06\x80\x00\x00\x00\x01\x00", 10,
                             0);
    expect_conversation_ends("\x06\x40\x00\x05\x01\x00\x00\x00\x01", 9, 0);
    expect_conversation_ends("\x00\x00\x00\x02\x01\x00\x00\x00\x01", 9, 0);
    expect_conversation_ends("\x00\x00\x00", 3, 1);
    expect_conversation_ends("\x00\x00\x00\x0c\x01\x00\x00\x00\x01"
                             "\x03tls\x00\xff\xff",
                             16, 0);
    expect_conversation_ends("\x00\x00\x01\x00\x01\x00\x00\x00\x01\x03", 10,
                             1);
    /* After all that, a new signer signs. */
    s = start();
    {
        EVP_PKEY *k = gen_key("P-256");
        struct tbs_opts o = {.profile = "tls-server",
                             .issuer_cert = tls_cert, .issuer_key = tls_key,
                             .subject_key = k, .dns = "after.example.com",
                             .crl_issuer = "tls"};

        X509_free(sign_ok(s, "tls", &o, X509_get0_pubkey(tls_cert)));
        EVP_PKEY_free(k);
    }
    catena_signer_stop(s);
}

static void
test_dead_signer(void **state)
{
    struct catena_signer *s = start();
    EVP_PKEY *k = gen_key("P-256");
    struct tbs_opts o = {.profile = "tls-server", .issuer_cert = tls_cert,
                         .issuer_key = tls_key, .subject_key = k,
                         .dns = "dead.example.com", .crl_issuer = "tls"};
    struct catena_err err;
    int pid = catena_signer_pid(s);

    (void)state;
    assert_int_equal(kill(pid, SIGKILL), 0);
    /* The write may or may not see EPIPE first; either way, no SIGPIPE
     * (the test would die) and no hang. */
    assert_int_equal(sign_refused(s, "tls", "tls-server", &o, &err),
                     CATENA_ERR_SIGNER);
    assert_non_null(strstr(err.msg, "signer process exited (signal 9)"));
    /* Later calls fail at once with the same reason. */
    assert_int_equal(sign_refused(s, "tls", "tls-server", &o, &err),
                     CATENA_ERR_SIGNER);
    assert_non_null(strstr(err.msg, "signal 9"));
    assert_int_equal(catena_signer_pid(s), -1);
    catena_signer_stop(s);
    EVP_PKEY_free(k);
}

static void
test_start_failure(void **state)
{
    struct catena_signer *s = NULL;
    struct catena_err err;
    char bad[700];
    FILE *f;

    (void)state;
    /* A configuration naming a key that does not exist: the signer says
     * why at start, and the start fails. */
    snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
    f = fopen(bad, "w");
    assert_non_null(f);
    fprintf(f, "[issuer \"x\"]\nkey = keys/missing.key\n");
    fclose(f);
    assert_int_equal(catena_signer_start(NULL, bad, &s, &err),
                     CATENA_ERR_SIGNER);
    assert_null(s);
    assert_non_null(strstr(err.msg, "missing.key"));
    unlink(bad);
}

static void
test_sandbox_state(void **state)
{
    struct catena_signer *s = start();
    char path[64];
    char buf[4096];
    FILE *f;
    size_t n;

    (void)state;
    snprintf(path, sizeof(path), "/proc/%d/status", catena_signer_pid(s));
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "NoNewPrivs:\t1"));
#ifdef CATENA_SANDBOX
    assert_non_null(strstr(buf, "Seccomp:\t2"));
#endif
    catena_signer_stop(s);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest frames[] = {
        cmocka_unit_test(test_frame_roundtrip),
        cmocka_unit_test(test_frame_malformed),
        cmocka_unit_test(test_request_body),
        cmocka_unit_test(test_crl_request_body),
        cmocka_unit_test(test_response_body),
        cmocka_unit_test(test_ipc_read_socket),
    };
    const struct CMUnitTest process[] = {
        cmocka_unit_test(test_sign_leaf),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sign_crl),
        cmocka_unit_test(test_sign_ocsp),
        cmocka_unit_test(test_sign_jws),
        cmocka_unit_test(test_garbage_ends_conversation),
        cmocka_unit_test(test_dead_signer),
        cmocka_unit_test(test_start_failure),
        cmocka_unit_test(test_sandbox_state),
    };
    int failed;

    /* Exec'd as the signer by catena_signer_start(NULL, ...). */
    if (argc > 1 && strcmp(argv[1], "signer") == 0) {
        return catena_signer_main(argc - 1, argv + 1);
    }
    failed = cmocka_run_group_tests_name("frames", frames, NULL, NULL);
    failed += cmocka_run_group_tests_name("signer", process, setup_ca,
                                          teardown_ca);
    return failed;
}
