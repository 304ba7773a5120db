/*
 * test_jws.c - flattened JWS parsing and verification with real keys
 * (P-256, P-384, RSA-2048, Ed25519), and each malformed form a client
 * could send: bad base64, alg none, HMAC, jwk and kid together, extra
 * members, wrong signatures, algorithm/key mismatch; RFC 7638 thumbprint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "internal.h"

static char *
b64(const void *p, size_t n)
{
    return acme_b64u_encode(p, n);
}

static json_t *
bn_member(EVP_PKEY *k, const char *param, size_t pad)
{
    BIGNUM *bn = NULL;
    uint8_t buf[1024];
    int n;
    char *s;
    json_t *j;

    assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
    n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    s = b64(buf, (size_t)n);
    j = json_string(s);
    free(s);
    return j;
}

static json_t *
jwk_of(EVP_PKEY *k)
{
    json_t *j = json_object();
    if (EVP_PKEY_is_a(k, "EC")) {
        char grp[32];
        size_t gl;
        size_t c;
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp,
                                       sizeof(grp), &gl);
        c = strcmp(grp, "prime256v1") == 0 ? 32 : 48;
        json_object_set_new(j, "kty", json_string("EC"));
        json_object_set_new(j, "crv", json_string(c == 32 ? "P-256" : "P-384"));
        json_object_set_new(j, "x", bn_member(k, OSSL_PKEY_PARAM_EC_PUB_X, c));
        json_object_set_new(j, "y", bn_member(k, OSSL_PKEY_PARAM_EC_PUB_Y, c));
    } else if (EVP_PKEY_is_a(k, "RSA")) {
        json_object_set_new(j, "kty", json_string("RSA"));
        json_object_set_new(j, "n", bn_member(k, OSSL_PKEY_PARAM_RSA_N, 0));
        json_object_set_new(j, "e", bn_member(k, OSSL_PKEY_PARAM_RSA_E, 0));
    } else {
        uint8_t raw[32];
        size_t rl = sizeof(raw);
        char *s;
        EVP_PKEY_get_raw_public_key(k, raw, &rl);
        s = b64(raw, rl);
        json_object_set_new(j, "kty", json_string("OKP"));
        json_object_set_new(j, "crv", json_string("Ed25519"));
        json_object_set_new(j, "x", json_string(s));
        free(s);
    }
    return j;
}

/* sign returns the JOSE signature of |input| with |k| for |alg|. */
static char *
sign(EVP_PKEY *k, const char *alg, const char *input)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const char *dg = strcmp(alg, "EdDSA") == 0   ? NULL
                     : strcmp(alg, "ES384") == 0 ? "SHA384"
                                                 : "SHA256";
    uint8_t sig[1024], jose[132];
    size_t sl = sizeof(sig);
    char *out;

    assert_int_equal(EVP_DigestSignInit_ex(md, NULL, dg, NULL, NULL, k, NULL),
                     1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, (const uint8_t *)input,
                                    strlen(input)),
                     1);
    EVP_MD_CTX_free(md);
    if (strncmp(alg, "ES", 2) == 0) {
        const uint8_t *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sl);
        size_t c = strcmp(alg, "ES384") == 0 ? 48 : 32;
        BN_bn2binpad(ECDSA_SIG_get0_r(es), jose, (int)c);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), jose + c, (int)c);
        ECDSA_SIG_free(es);
        return b64(jose, 2 * c);
    }
    out = b64(sig, sl);
    return out;
}

/* make builds a flattened JWS; |hdr| is stolen. */
static char *
make(EVP_PKEY *k, const char *sign_alg, json_t *hdr, const char *payload)
{
    char *h = json_dumps(hdr, JSON_COMPACT), *hb = b64(h, strlen(h));
    char *pb = b64(payload, strlen(payload));
    size_t n = strlen(hb) + strlen(pb) + 2;
    char *input = malloc(n), *sig, *out;
    json_t *o;

    snprintf(input, n, "%s.%s", hb, pb);
    sig = sign(k, sign_alg, input);
    o = json_pack("{s:s, s:s, s:s}", "protected", hb, "payload", pb,
                  "signature", sig);
    out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    json_decref(hdr);
    free(h);
    free(hb);
    free(pb);
    free(input);
    free(sig);
    return out;
}

static json_t *
hdr_jwk(const char *alg, EVP_PKEY *k)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "alg", alg, "nonce", "n1", "url",
                     "https://x/new-account", "jwk", jwk_of(k));
}

static enum acme_prob
parse_verify(const char *body, EVP_PKEY *k)
{
    struct acme_jws j;
    char d[256];
    enum acme_prob p =
        acme_jws_parse((const uint8_t *)body, strlen(body), 1, &j, d, sizeof(d));
    if (p != ACME_PROB_NONE) {
        return p;
    }
    if (k == NULL) {
        EVP_PKEY *jk = acme_jwk_to_pkey(j.jwk, d, sizeof(d));
        assert_non_null(jk);
        p = acme_jws_verify(&j, jk, d, sizeof(d));
        EVP_PKEY_free(jk);
    } else {
        p = acme_jws_verify(&j, k, d, sizeof(d));
    }
    acme_jws_clear(&j);
    return p;
}

static void
good_alg(const char *alg, EVP_PKEY *k)
{
    char *body = make(k, alg, hdr_jwk(alg, k), "{\"a\":1}");
    struct acme_jws j;
    char d[256];
    assert_int_equal(parse_verify(body, NULL), ACME_PROB_NONE);
    assert_int_equal(acme_jws_parse((const uint8_t *)body, strlen(body), 1, &j,
                                    d, sizeof(d)),
                     ACME_PROB_NONE);
    assert_string_equal(j.url, "https://x/new-account");
    assert_string_equal(j.nonce, "n1");
    assert_string_equal((char *)j.payload, "{\"a\":1}");
    acme_jws_clear(&j);
    free(body);
}

static void
test_algorithms(void **state)
{
    EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    (void)state;
    good_alg("ES256", p256);
    good_alg("ES384", p384);
    good_alg("RS256", rsa);
    good_alg("EdDSA", ed);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
}

static void
test_refused_algs(void **state)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *k384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    static const char *const algs[] = {"none", "HS256", "HS512", "ES256K",
                                       "PS256", "es256", ""};
    char *body;
    (void)state;
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        body = make(k, "ES256", hdr_jwk(algs[i], k), "{}");
        assert_int_equal(parse_verify(body, NULL), ACME_PROB_BAD_SIG_ALG);
        free(body);
    }
    /* ES384 claimed with a P-256 key. */
    body = make(k, "ES256", hdr_jwk("ES384", k), "{}");
    assert_int_equal(parse_verify(body, NULL), ACME_PROB_BAD_SIG_ALG);
    free(body);
    /* RS256 claimed with an EC key. */
    body = make(k, "ES256", hdr_jwk("RS256", k), "{}");
    assert_int_equal(parse_verify(body, NULL), ACME_PROB_BAD_SIG_ALG);
    free(body);
    /* Signed by another key than the one in the header. */
    body = make(k384, "ES384", hdr_jwk("ES384", k384), "{}");
    assert_int_equal(parse_verify(body, k384), ACME_PROB_NONE);
    assert_int_equal(parse_verify(body, k), ACME_PROB_BAD_SIG_ALG);
    free(body);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k384);
}

static void
test_malformed(void **state)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    json_t *h;
    char *body;
    static const char *const bad_bodies[] = {
        "",
        "[]",
        "{}",
        "{\"protected\":\"e30\",\"payload\":\"\"}",
        "{\"protected\":\"e30=\",\"payload\":\"\",\"signature\":\"\"}",
        "{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"\","
        "\"header\":{}}",
        "{\"protected\":\"e30\",\"protected\":\"e30\",\"payload\":\"\","
        "\"signature\":\"\"}",
        "{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"\"}",
        "{\"protected\":\"!!\",\"payload\":\"\",\"signature\":\"\"}",
        "{\"protected\":1,\"payload\":\"\",\"signature\":\"\"}",
        "not json",
    };
    struct acme_jws j;
    char d[256];
    (void)state;
    for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
        assert_int_not_equal(acme_jws_parse((const uint8_t *)bad_bodies[i],
                                            strlen(bad_bodies[i]), 1, &j, d,
                                            sizeof(d)),
                             ACME_PROB_NONE);
    }
    /* Both jwk and kid. */
    h = hdr_jwk("ES256", k);
    json_object_set_new(h, "kid", json_string("https://x/acct/1"));
    body = make(k, "ES256", h, "{}");
    assert_int_equal(parse_verify(body, NULL), ACME_PROB_MALFORMED);
    free(body);
    /* Neither. */
    h = hdr_jwk("ES256", k);
    json_object_del(h, "jwk");
    body = make(k, "ES256", h, "{}");
    assert_int_equal(parse_verify(body, k), ACME_PROB_MALFORMED);
    free(body);
    /* No nonce. */
    h = hdr_jwk("ES256", k);
    json_object_del(h, "nonce");
    body = make(k, "ES256", h, "{}");
    assert_int_equal(parse_verify(body, NULL), ACME_PROB_BAD_NONCE);
    free(body);
    /* No url. */
    h = hdr_jwk("ES256", k);
    json_object_del(h, "url");
    body = make(k, "ES256", h, "{}");
    assert_int_equal(parse_verify(body, NULL), ACME_PROB_MALFORMED);
    free(body);
    /* Wrong key verifies nothing. */
    body = make(k, "ES256", hdr_jwk("ES256", k), "{}");
    assert_int_equal(parse_verify(body, other), ACME_PROB_MALFORMED);
    /* A flipped payload character breaks the signature. */
    {
        char *p = strstr(body, "\"payload\":\"") + 11;
        *p = *p == 'e' ? 'f' : 'e';
        assert_int_not_equal(parse_verify(body, NULL), ACME_PROB_NONE);
    }
    free(body);
    /* Oversized body. */
    {
        size_t n = ACME_MAX_BODY + 10;
        char *big = malloc(n + 1);
        memset(big, ' ', n);
        big[n] = '\0';
        assert_int_equal(acme_jws_parse((const uint8_t *)big, n, 1, &j, d,
                                        sizeof(d)),
                         ACME_PROB_MALFORMED);
        free(big);
    }
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

static void
test_jwk(void **state)
{
    char d[256], tp[48];
    json_t *j;
    EVP_PKEY *k;
    (void)state;
    /* RFC 7638 3.1 example key and thumbprint. */
    j = json_pack(
        "{s:s, s:s, s:s, s:s}", "kty", "RSA", "n",
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPF"
        "FxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93"
        "lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZ"
        "Hzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3X"
        "PksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e", "AQAB", "alg", "RS256");
    assert_int_equal(acme_jwk_thumbprint(j, tp), 0);
    assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    k = acme_jwk_to_pkey(j, d, sizeof(d));
    assert_non_null(k);
    EVP_PKEY_free(k);
    json_decref(j);
    /* Malformed keys. */
    static const char *const bad[] = {
        "{}",
        "{\"kty\":\"oct\",\"k\":\"AAAA\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AAAA\",\"y\":\"AAAA\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\","
        "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
        "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\",\"d\":\"AAAA\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        k = acme_jwk_to_pkey(j, d, sizeof(d));
        assert_null(k);
        json_decref(j);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_refused_algs),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_jwk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
