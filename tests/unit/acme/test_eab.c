/*
 * test_eab.c - External Account Binding (acme/eab.c) on a real SQLite
 * store: keys made by catena_acme_eab_add, bindings MAC'd here with
 * OpenSSL as a client would; HS256/384/512 accepted; wrong MAC, unknown
 * kid, other algorithms, a nonce, another url, extra or missing header
 * members, a payload with another key, malformed JWS forms refused with
 * the problem each must get; a key binds once; the list shows it.
 * CATENA_TEST_STORE_URL=postgresql://... runs it on PostgreSQL instead
 * (kids are random per run, so a database may be reused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "catena/acme.h"
#include "catena/store.h"
#include "internal.h"
#include "../../common/test_tmp.h"

#define URL "https://acme.example.com/new-account"

/* Two account keys (public P-256 points; only compared as keys here). */
static const char *const jwk_a =
    "{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char *const jwk_b =
    "{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
    "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}";

struct fx {
    char dir[256];
    struct catena_store *st;
    char kid[CATENA_ACME_EAB_MAX_KID + 1];
    uint8_t *key;
    size_t key_len;
    json_t *outer; /* jwk_a */
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    struct catena_err err = {0};
    char url[4096], *hmac = NULL;

    if (test_mkdtemp(fx->dir, sizeof(fx->dir), "test_acme_eab.") == NULL) {
        return -1;
    }
    if (getenv("CATENA_TEST_STORE_URL") != NULL) {
        snprintf(url, sizeof(url), "%s", getenv("CATENA_TEST_STORE_URL"));
    } else {
        snprintf(url, sizeof(url), "sqlite:%s/catena.db", fx->dir);
    }
    if (catena_store_open(url, &fx->st, &err) != CATENA_OK ||
        catena_acme_eab_add(fx->st, NULL, fx->kid, &hmac, &err) != CATENA_OK ||
        acme_b64u_decode(hmac, strlen(hmac), 1024, &fx->key, &fx->key_len) !=
            CATENA_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    free(hmac);
    fx->outer = json_loads(jwk_a, 0, NULL);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    char path[512];

    catena_store_close(fx->st);
    for (size_t i = 0; i < 3; i++) {
        static const char *const sfx[] = {"", "-wal", "-shm"};
        snprintf(path, sizeof(path), "%s/catena.db%s", fx->dir, sfx[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    json_decref(fx->outer);
    free(fx->key);
    free(fx);
    return 0;
}

/*
 * eab builds an externalAccountBinding object: protected header |hdr|
 * (JSON text), payload |payload| (JSON text), MAC'd with |digest| under
 * |key| (no MAC when |digest| is NULL).
 */
static json_t *
eab(const char *hdr, const char *payload, const char *digest,
    const uint8_t *key, size_t key_len)
{
    char *h = acme_b64u_encode((const uint8_t *)hdr, strlen(hdr));
    char *p = acme_b64u_encode((const uint8_t *)payload, strlen(payload));
    char input[4096], *sig;
    uint8_t mac[64];
    size_t mac_len = 0;
    json_t *o;

    snprintf(input, sizeof(input), "%s.%s", h, p);
    if (digest != NULL) {
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, key,
                                  key_len, (const uint8_t *)input,
                                  strlen(input), mac, sizeof(mac), &mac_len));
    }
    sig = acme_b64u_encode(mac, mac_len);
    o = json_pack("{s:s, s:s, s:s}", "protected", h, "payload", p, "signature",
                  sig);
    free(h);
    free(p);
    free(sig);
    return o;
}

/* hdr writes a protected header for |alg| and |kid| with |extra| (JSON
 * members, may be "") appended. */
static const char *
hdr(char buf[512], const char *alg, const char *kid, const char *url,
    const char *extra)
{
    snprintf(buf, 512, "{\"alg\":\"%s\",\"kid\":\"%s\",\"url\":\"%s\"%s}", alg,
             kid, url, extra);
    return buf;
}

static enum acme_prob
check(struct fx *fx, json_t *e)
{
    char kid[CATENA_ACME_EAB_MAX_KID + 1] = "", detail[256] = "";
    enum acme_prob p =
        acme_eab_check(fx->st, e, URL, fx->outer, kid, detail, sizeof(detail));

    if (p == ACME_PROB_NONE) {
        assert_string_equal(kid, fx->kid);
    } else {
        assert_true(detail[0] != '\0');
    }
    json_decref(e);
    return p;
}

static void
test_add(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    char kid[CATENA_ACME_EAB_MAX_KID + 1], *hmac = NULL, named[32];
    char long_kid[CATENA_ACME_EAB_MAX_KID + 2];
    static const char *const bad[] = {"",          "a b", "-x",
                                      "k\xc3\xa9", "a/b", "a\"b"};

    /* The random kid is 32 hex digits; the key 512 bits. */
    assert_int_equal(strlen(fx->kid), 32);
    assert_int_equal(strspn(fx->kid, "0123456789abcdef"), 32);
    assert_int_equal(fx->key_len, 64);
    /* Operator-named kids carry the random one's start: unique per run. */
    snprintf(named, sizeof(named), "ops.team_1-%.8s", fx->kid);
    assert_int_equal(catena_acme_eab_add(fx->st, named, kid, &hmac, &err),
                     CATENA_OK);
    assert_string_equal(kid, named);
    assert_true(hmac[0] != '-');
    free(hmac);
    hmac = NULL;
    assert_int_equal(catena_acme_eab_add(fx->st, named, kid, &hmac, &err),
                     CATENA_ERR_EXISTS);
    assert_null(hmac);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(catena_acme_eab_add(fx->st, bad[i], kid, &hmac, &err),
                         CATENA_ERR_INVALID);
        assert_null(hmac);
    }
    memset(long_kid, 'k', sizeof(long_kid) - 1);
    memcpy(long_kid + 40, fx->kid, 8);
    long_kid[sizeof(long_kid) - 1] = '\0';
    assert_int_equal(catena_acme_eab_add(fx->st, long_kid, kid, &hmac, &err),
                     CATENA_ERR_INVALID);
    long_kid[CATENA_ACME_EAB_MAX_KID] = '\0';
    assert_int_equal(catena_acme_eab_add(fx->st, long_kid, kid, &hmac, &err),
                     CATENA_OK);
    free(hmac);
    /* No key text starts with "-" (redrawn), over many draws. */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(catena_acme_eab_add(fx->st, NULL, kid, &hmac, &err),
                         CATENA_OK);
        assert_true(hmac[0] != '-');
        free(hmac);
    }
}

static void
test_good_algs(void **state)
{
    struct fx *fx = *state;
    static const char *const algs[][2] = {
        {"HS256", "SHA256"}, {"HS384", "SHA384"}, {"HS512", "SHA512"}};
    char h[512];

    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(
            check(fx, eab(hdr(h, algs[i][0], fx->kid, URL, ""), jwk_a,
                          algs[i][1], fx->key, fx->key_len)),
            ACME_PROB_NONE);
    }
    /* The payload is compared as a key: member order and the optional
     * members RFC 7638 leaves out do not matter. */
    assert_int_equal(
        check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""),
                      "{\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
                      "\"use\":\"sig\",\"crv\":\"P-256\",\"kty\":\"EC\","
                      "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"}",
                      "SHA256", fx->key, fx->key_len)),
        ACME_PROB_NONE);
}

static void
test_refused(void **state)
{
    struct fx *fx = *state;
    uint8_t other[64];
    char h[512];
    json_t *e;

    memcpy(other, fx->key, sizeof(other));
    other[10] ^= 1;
    /* Wrong MAC key, unknown kid, kid we never issue. */
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a,
                                   "SHA256", other, sizeof(other))),
                     ACME_PROB_UNAUTHORIZED);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", "no-such-kid", URL, ""),
                                   jwk_a, "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_UNAUTHORIZED);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", "a b", URL, ""), jwk_a,
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_UNAUTHORIZED);
    /* The MAC of another algorithm than the header names. */
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a,
                                   "SHA512", fx->key, fx->key_len)),
                     ACME_PROB_UNAUTHORIZED);
    /* A truncated MAC. */
    e = eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a, "SHA256", fx->key,
            fx->key_len);
    {
        char s[64];
        snprintf(s, sizeof(s), "%.40s",
                 json_string_value(json_object_get(e, "signature")));
        json_object_set_new(e, "signature", json_string(s));
    }
    assert_int_equal(check(fx, e), ACME_PROB_UNAUTHORIZED);
    /* An empty MAC. */
    assert_int_equal(
        check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a, NULL, NULL, 0)),
        ACME_PROB_UNAUTHORIZED);
    /* Not a MAC algorithm. */
    assert_int_equal(
        check(fx, eab(hdr(h, "none", fx->kid, URL, ""), jwk_a, NULL, NULL, 0)),
        ACME_PROB_BAD_SIG_ALG);
    assert_int_equal(check(fx, eab(hdr(h, "RS256", fx->kid, URL, ""), jwk_a,
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_BAD_SIG_ALG);
    assert_int_equal(check(fx, eab(hdr(h, "hs256", fx->kid, URL, ""), jwk_a,
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_BAD_SIG_ALG);
    /* Header rules: no nonce, the outer url, exactly alg/kid/url. */
    assert_int_equal(
        check(fx, eab(hdr(h, "HS256", fx->kid, URL, ",\"nonce\":\"abc\""),
                      jwk_a, "SHA256", fx->key, fx->key_len)),
        ACME_PROB_MALFORMED);
    assert_int_equal(
        check(fx, eab(hdr(h, "HS256", fx->kid,
                          "https://acme.example.com/new-order", ""),
                      jwk_a, "SHA256", fx->key, fx->key_len)),
        ACME_PROB_MALFORMED);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL,
                                       ",\"jwk\":{\"kty\":\"oct\"}"),
                                   jwk_a, "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_MALFORMED);
    assert_int_equal(check(fx, eab("{\"alg\":\"HS256\",\"url\":\"" URL "\"}",
                                   jwk_a, "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_MALFORMED);
    assert_int_equal(
        check(fx, eab("{\"alg\":\"HS256\",\"kid\":7,\"url\":\"" URL "\"}",
                      jwk_a, "SHA256", fx->key, fx->key_len)),
        ACME_PROB_MALFORMED);
    assert_int_equal(
        check(fx, eab("{\"alg\":\"HS256\",\"kid\":\"\",\"url\":\"" URL "\"}",
                      jwk_a, "SHA256", fx->key, fx->key_len)),
        ACME_PROB_MALFORMED);
    assert_int_equal(
        check(fx, eab("[1]", jwk_a, "SHA256", fx->key, fx->key_len)),
        ACME_PROB_MALFORMED);
    /* Payload: another key, not JSON, a private key, not a key. */
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_b,
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_MALFORMED);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), "{x",
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_MALFORMED);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""),
                                   "{\"kty\":\"EC\",\"crv\":\"P-256\","
                                   "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tu"
                                   "s9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue65"
                                   "9LNpXW6pCyStikYjKIWI5a0\",\"d\":\"AA\"}",
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_MALFORMED);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), "{}",
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_MALFORMED);
}

static void
test_malformed_forms(void **state)
{
    struct fx *fx = *state;
    char h[512];
    json_t *e;

    assert_int_equal(check(fx, json_string("abc")), ACME_PROB_MALFORMED);
    assert_int_equal(check(fx, json_array()), ACME_PROB_MALFORMED);
    assert_int_equal(check(fx, json_object()), ACME_PROB_MALFORMED);
    /* An extra member, a missing one, a number, padding, bad base64. */
    e = eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a, "SHA256", fx->key,
            fx->key_len);
    json_object_set_new(e, "header", json_object());
    assert_int_equal(check(fx, e), ACME_PROB_MALFORMED);
    e = eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a, "SHA256", fx->key,
            fx->key_len);
    json_object_del(e, "payload");
    assert_int_equal(check(fx, e), ACME_PROB_MALFORMED);
    e = eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a, "SHA256", fx->key,
            fx->key_len);
    json_object_set_new(e, "signature", json_integer(1));
    assert_int_equal(check(fx, e), ACME_PROB_MALFORMED);
    e = eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a, "SHA256", fx->key,
            fx->key_len);
    {
        char s[1024];
        snprintf(s, sizeof(s),
                 "%s=", json_string_value(json_object_get(e, "signature")));
        json_object_set_new(e, "signature", json_string(s));
    }
    assert_int_equal(check(fx, e), ACME_PROB_MALFORMED);
    e = eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a, "SHA256", fx->key,
            fx->key_len);
    json_object_set_new(e, "protected", json_string("e30+"));
    assert_int_equal(check(fx, e), ACME_PROB_MALFORMED);
    /* A protected header with a duplicate member. */
    assert_int_equal(check(fx, eab("{\"alg\":\"HS256\",\"alg\":\"HS256\","
                                   "\"kid\":\"x\",\"url\":\"" URL "\"}",
                                   jwk_a, "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_MALFORMED);
}

/* remove deletes an unbound key only: afterwards it binds nothing. */
static void
test_remove(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    char h[512], kid2[CATENA_ACME_EAB_MAX_KID + 1], *hmac = NULL;

    assert_int_equal(catena_acme_eab_remove(fx->st, "no-such-kid", &err),
                     CATENA_ERR_NOT_FOUND);
    assert_int_equal(catena_acme_eab_remove(fx->st, "-bad", &err),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_acme_eab_remove(fx->st, fx->kid, &err),
                     CATENA_OK);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a,
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_UNAUTHORIZED);
    assert_int_equal(acme_eab_bind(fx->st, fx->kid, 42, 1700000000, &err),
                     CATENA_ERR_UNAUTHORIZED);
    assert_int_equal(catena_acme_eab_remove(fx->st, fx->kid, &err),
                     CATENA_ERR_NOT_FOUND);
    /* A bound key stays, with its binding. */
    assert_int_equal(catena_acme_eab_add(fx->st, "bound-one", kid2, &hmac,
                                         &err),
                     CATENA_OK);
    free(hmac);
    assert_int_equal(acme_eab_bind(fx->st, "bound-one", 7, 1700000000, &err),
                     CATENA_OK);
    assert_int_equal(catena_acme_eab_remove(fx->st, "bound-one", &err),
                     CATENA_ERR_EXISTS);
    assert_non_null(strstr(err.msg, "bound to account 7"));
}

static void
test_bind_once(void **state)
{
    struct fx *fx = *state;
    struct catena_err err = {0};
    char h[512], *list = NULL, *line, *end;
    size_t list_len = 0;
    FILE *f;

    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a,
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_NONE);
    assert_int_equal(acme_eab_bind(fx->st, fx->kid, 42, 1700000000, &err),
                     CATENA_OK);
    /* A second account, or a second bind racing the first: refused. */
    assert_int_equal(acme_eab_bind(fx->st, fx->kid, 43, 1700000001, &err),
                     CATENA_ERR_UNAUTHORIZED);
    assert_int_equal(check(fx, eab(hdr(h, "HS256", fx->kid, URL, ""), jwk_a,
                                   "SHA256", fx->key, fx->key_len)),
                     ACME_PROB_UNAUTHORIZED);
    assert_int_equal(acme_eab_bind(fx->st, "no-such-kid", 44, 1700000002, &err),
                     CATENA_ERR_UNAUTHORIZED);
    f = open_memstream(&list, &list_len);
    assert_non_null(f);
    assert_int_equal(
        catena_acme_eab_list(fx->st, "https://acme.example.com", f, &err),
        CATENA_OK);
    fclose(f);
    /* The key's own line: bound at 1700000000 to account 42, not 43. */
    line = strstr(list, fx->kid);
    assert_non_null(line);
    end = strchr(line, '\n');
    assert_non_null(end);
    *end = '\0';
    assert_non_null(strstr(line, "2023-11-14T22:13:20Z"));
    assert_non_null(strstr(line, "https://acme.example.com/acct/42"));
    assert_null(strstr(line, "/acct/43"));
    free(list);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_algs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
