/*
 * jws.c - flattened JSON JWS (RFC 7515) as ACME uses it (RFC 8555 6.2):
 * parsing with caps, JWK import (RFC 7517/7518/8037), RFC 7638 thumbprints
 * and signature verification. Only asymmetric algorithms exist here; "none"
 * and HMAC are refused by name before the header is looked at further.
 * The HMAC'd External Account Binding (eab.c) shares only the flattened
 * form (acme_jws_split), never this algorithm table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "internal.h"

#define JWS_MAX_PROTECTED 8192
#define JWS_MAX_SIG 1024
#define JWK_MAX_COORD 66
#define JWK_MAX_RSA_N 1024 /* 8192-bit modulus */

struct alg_info {
    const char *name;
    const char *digest; /* NULL for EdDSA */
    size_t ec_coord;    /* EC coordinate bytes, 0 if not EC */
    const char *curve;
};

static const struct alg_info alg_table[ACME_ALG__MAX] = {
    [ACME_ALG_ES256] = {"ES256", "SHA256", 32, "P-256"},
    [ACME_ALG_ES384] = {"ES384", "SHA384", 48, "P-384"},
    [ACME_ALG_ES512] = {"ES512", "SHA512", 66, "P-521"},
    [ACME_ALG_RS256] = {"RS256", "SHA256", 0, NULL},
    [ACME_ALG_EDDSA] = {"EdDSA", NULL, 0, NULL},
};

json_t *
acme_jws_algs_json(void)
{
    json_t *a = json_array();

    for (int i = 0; a != NULL && i < ACME_ALG__MAX; i++) {
        json_array_append_new(a, json_string(alg_table[i].name));
    }
    return a;
}

static void
set_detail(char *detail, size_t len, const char *msg)
{
    if (detail != NULL && len > 0) {
        snprintf(detail, len, "%s", msg);
    }
}

void
acme_jws_clear(struct acme_jws *jws)
{
    free(jws->url);
    free(jws->nonce);
    free(jws->kid);
    json_decref(jws->jwk);
    free(jws->payload);
    free(jws->signing_input);
    free(jws->sig);
    memset(jws, 0, sizeof(*jws));
}

static char *
dup_json_string(const json_t *v)
{
    return strndup(json_string_value(v), json_string_length(v));
}

enum acme_prob
acme_jws_split(const json_t *root, json_t **hdr, struct acme_jws *out,
               char *detail, size_t detail_len)
{
    const char *prot = NULL, *payload = NULL, *sig = NULL;
    size_t prot_len = 0, payload_len = 0, sig_len = 0;
    uint8_t *prot_raw = NULL;
    size_t prot_raw_len = 0;
    json_error_t jerr;
    enum acme_prob p = ACME_PROB_MALFORMED;

    memset(out, 0, sizeof(*out));
    *hdr = NULL;
    if (!json_is_object(root) ||
        json_unpack_ex((json_t *)root, &jerr, JSON_STRICT, "{s:s%, s:s%, s:s%}",
                       "protected", &prot, &prot_len, "payload", &payload,
                       &payload_len, "signature", &sig, &sig_len) != 0) {
        set_detail(detail, detail_len,
                   "JWS must be flattened JSON with exactly protected, "
                   "payload and signature");
        goto out;
    }
    if (acme_b64u_decode(prot, prot_len, JWS_MAX_PROTECTED, &prot_raw,
                         &prot_raw_len) != CATENA_OK) {
        set_detail(detail, detail_len,
                   "protected header is not strict base64url");
        goto out;
    }
    *hdr = json_loadb((const char *)prot_raw, prot_raw_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (*hdr == NULL || !json_is_object(*hdr)) {
        set_detail(detail, detail_len, "protected header is not a JSON object");
        goto out;
    }
    if (acme_b64u_decode(payload, payload_len, ACME_MAX_BODY, &out->payload,
                         &out->payload_len) != CATENA_OK) {
        set_detail(detail, detail_len, "payload is not strict base64url");
        goto out;
    }
    if (acme_b64u_decode(sig, sig_len, JWS_MAX_SIG, &out->sig,
                         &out->sig_len) != CATENA_OK) {
        set_detail(detail, detail_len, "signature is not strict base64url");
        goto out;
    }
    /* RFC 7515 5.2: what was signed is the text as sent, not a re-encoding. */
    out->signing_input_len = prot_len + 1 + payload_len;
    out->signing_input = malloc(out->signing_input_len + 1);
    if (out->signing_input == NULL) {
        p = ACME_PROB_SERVER_INTERNAL;
        goto out;
    }
    memcpy(out->signing_input, prot, prot_len);
    out->signing_input[prot_len] = '.';
    memcpy(out->signing_input + prot_len + 1, payload, payload_len);
    out->signing_input[out->signing_input_len] = '\0';
    p = ACME_PROB_NONE;
out:
    if (p != ACME_PROB_NONE) {
        acme_jws_clear(out);
        json_decref(*hdr);
        *hdr = NULL;
    }
    free(prot_raw);
    return p;
}

enum acme_prob
acme_jws_parse(const uint8_t *body, size_t len, int need_nonce,
               struct acme_jws *out, char *detail, size_t detail_len)
{
    json_t *root = NULL, *hdr = NULL;
    const char *alg = NULL;
    json_error_t jerr;
    json_t *v;
    enum acme_prob p = ACME_PROB_MALFORMED;
    int found = 0;

    memset(out, 0, sizeof(*out));
    if (len == 0 || len > ACME_MAX_BODY) {
        set_detail(detail, detail_len, "request body missing or too large");
        goto out;
    }
    root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        set_detail(detail, detail_len, "request body is not a JSON object");
        goto out;
    }
    p = acme_jws_split(root, &hdr, out, detail, detail_len);
    if (p != ACME_PROB_NONE) {
        goto out;
    }
    p = ACME_PROB_MALFORMED;
    v = json_object_get(hdr, "alg");
    if (!json_is_string(v)) {
        set_detail(detail, detail_len, "protected header lacks alg");
        goto out;
    }
    alg = json_string_value(v);
    for (int i = 0; i < ACME_ALG__MAX; i++) {
        if (strcmp(alg, alg_table[i].name) == 0) {
            out->alg = (enum acme_jws_alg)i;
            found = 1;
        }
    }
    if (!found) {
        p = ACME_PROB_BAD_SIG_ALG;
        set_detail(detail, detail_len,
                   "alg must be one of ES256, ES384, ES512, RS256, EdDSA");
        goto out;
    }
    /* RFC 8555 6.2: exactly one of jwk and kid. */
    if ((json_object_get(hdr, "jwk") != NULL) ==
        (json_object_get(hdr, "kid") != NULL)) {
        set_detail(detail, detail_len,
                   "protected header must have exactly one of jwk and kid");
        goto out;
    }
    v = json_object_get(hdr, "jwk");
    if (v != NULL) {
        if (!json_is_object(v)) {
            set_detail(detail, detail_len, "jwk is not an object");
            goto out;
        }
        out->jwk = json_incref(v);
    }
    v = json_object_get(hdr, "kid");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) > ACME_MAX_URL) {
            set_detail(detail, detail_len, "kid is not a URL string");
            goto out;
        }
        out->kid = dup_json_string(v);
    }
    v = json_object_get(hdr, "url");
    if (!json_is_string(v) || json_string_length(v) > ACME_MAX_URL) {
        set_detail(detail, detail_len, "protected header lacks url");
        goto out;
    }
    out->url = dup_json_string(v);
    v = json_object_get(hdr, "nonce");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) >= ACME_MAX_NONCE) {
            p = ACME_PROB_BAD_NONCE;
            set_detail(detail, detail_len, "nonce is not a string");
            goto out;
        }
        out->nonce = dup_json_string(v);
    } else if (need_nonce) {
        p = ACME_PROB_BAD_NONCE;
        set_detail(detail, detail_len, "protected header lacks nonce");
        goto out;
    }
    /* Unencoded payloads (RFC 7797) are not part of ACME. */
    if (json_object_get(hdr, "b64") != NULL ||
        json_object_get(hdr, "crit") != NULL) {
        set_detail(detail, detail_len, "b64 and crit are not allowed");
        goto out;
    }
    p = ACME_PROB_NONE;
out:
    if (p != ACME_PROB_NONE) {
        acme_jws_clear(out);
    }
    json_decref(hdr);
    json_decref(root);
    return p;
}

/* jwk_member decodes a required base64url member of at most |max| bytes. */
static int
jwk_member(const json_t *jwk, const char *name, size_t max, uint8_t **out,
           size_t *out_len)
{
    const json_t *v = json_object_get(jwk, name);

    if (!json_is_string(v)) {
        return -1;
    }
    if (acme_b64u_decode(json_string_value(v), json_string_length(v), max,
                         out, out_len) != CATENA_OK) {
        return -1;
    }
    return 0;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
    EVP_PKEY *pkey = NULL;

    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        goto out;
    }
    chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (chk == NULL || EVP_PKEY_public_check(chk) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    EVP_PKEY_CTX_free(chk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *
jwk_ec(const json_t *jwk, char *detail, size_t detail_len)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *group = NULL;
    size_t coord = 0, xl = 0, yl = 0;
    uint8_t *x = NULL, *y = NULL, pt[1 + 2 * JWK_MAX_COORD];
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;

    for (int i = 0; i < ACME_ALG__MAX && crv != NULL; i++) {
        if (alg_table[i].curve != NULL && strcmp(crv, alg_table[i].curve) == 0) {
            coord = alg_table[i].ec_coord;
        }
    }
    if (coord == 0) {
        set_detail(detail, detail_len, "EC JWK curve must be P-256/384/521");
        goto out;
    }
    group = coord == 32 ? "prime256v1" : coord == 48 ? "secp384r1" : "secp521r1";
    if (jwk_member(jwk, "x", JWK_MAX_COORD, &x, &xl) != 0 ||
        jwk_member(jwk, "y", JWK_MAX_COORD, &y, &yl) != 0 || xl != coord ||
        yl != coord) {
        set_detail(detail, detail_len, "EC JWK coordinates malformed");
        goto out;
    }
    pt[0] = 0x04;
    memcpy(pt + 1, x, coord);
    memcpy(pt + 1 + coord, y, coord);
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                         1 + 2 * coord) != 1) {
        goto out;
    }
    pkey = pkey_fromdata("EC", bld);
    if (pkey == NULL) {
        set_detail(detail, detail_len, "EC JWK is not a point on its curve");
    }
out:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

static EVP_PKEY *
jwk_rsa(const json_t *jwk, char *detail, size_t detail_len)
{
    uint8_t *n = NULL, *e = NULL;
    size_t nl = 0, el = 0;
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;

    if (jwk_member(jwk, "n", JWK_MAX_RSA_N, &n, &nl) != 0 ||
        jwk_member(jwk, "e", 8, &e, &el) != 0 || nl == 0 || el == 0 ||
        n[0] == 0 || e[0] == 0) {
        set_detail(detail, detail_len, "RSA JWK n/e malformed");
        goto out;
    }
    if (nl < 256) {
        set_detail(detail, detail_len, "RSA keys must be at least 2048 bits");
        goto out;
    }
    bn = BN_bin2bn(n, (int)nl, NULL);
    be = BN_bin2bn(e, (int)el, NULL);
    if (bn == NULL || be == NULL) {
        goto out;
    }
    if (!BN_is_odd(be) || BN_is_one(be)) {
        set_detail(detail, detail_len, "RSA exponent must be odd and > 1");
        goto out;
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
        goto out;
    }
    pkey = pkey_fromdata("RSA", bld);
    if (pkey == NULL) {
        set_detail(detail, detail_len, "RSA JWK rejected");
    }
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return pkey;
}

static EVP_PKEY *
jwk_okp(const json_t *jwk, char *detail, size_t detail_len)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    uint8_t *x = NULL;
    size_t xl = 0;
    EVP_PKEY *pkey = NULL;

    if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
        set_detail(detail, detail_len, "OKP JWK curve must be Ed25519");
        goto out;
    }
    if (jwk_member(jwk, "x", 32, &x, &xl) != 0 || xl != 32) {
        set_detail(detail, detail_len, "Ed25519 JWK x malformed");
        goto out;
    }
    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
out:
    free(x);
    return pkey;
}

EVP_PKEY *
acme_jwk_to_pkey(const json_t *jwk, char *detail, size_t detail_len)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));

    if (!json_is_object(jwk) || kty == NULL) {
        set_detail(detail, detail_len, "JWK lacks kty");
        return NULL;
    }
    /* A private key in a request would be a client bug worth refusing. */
    if (json_object_get(jwk, "d") != NULL || json_object_get(jwk, "p") != NULL) {
        set_detail(detail, detail_len, "JWK contains private key material");
        return NULL;
    }
    if (strcmp(kty, "EC") == 0) {
        return jwk_ec(jwk, detail, detail_len);
    }
    if (strcmp(kty, "RSA") == 0) {
        return jwk_rsa(jwk, detail, detail_len);
    }
    if (strcmp(kty, "OKP") == 0) {
        return jwk_okp(jwk, detail, detail_len);
    }
    set_detail(detail, detail_len, "JWK kty must be EC, RSA or OKP");
    return NULL;
}

char *
acme_jwk_canonical(const json_t *jwk)
{
    static const char *const ec[] = {"crv", "kty", "x", "y", NULL};
    static const char *const rsa[] = {"e", "kty", "n", NULL};
    static const char *const okp[] = {"crv", "kty", "x", NULL};
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *const *members = NULL;
    json_t *o = NULL;
    char *s = NULL;

    if (kty == NULL) {
        return NULL;
    }
    members = strcmp(kty, "EC") == 0    ? ec
              : strcmp(kty, "RSA") == 0 ? rsa
              : strcmp(kty, "OKP") == 0 ? okp
                                        : NULL;
    if (members == NULL || (o = json_object()) == NULL) {
        return NULL;
    }
    for (size_t i = 0; members[i] != NULL; i++) {
        json_t *v = json_object_get(jwk, members[i]);
        if (!json_is_string(v)) {
            goto out;
        }
        json_object_set(o, members[i], v);
    }
    /* RFC 7638 3.3: lexicographic order, no whitespace. */
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
out:
    json_decref(o);
    return s;
}

int
acme_jwk_thumbprint(const json_t *jwk, char out[48])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char *canon = acme_jwk_canonical(jwk), *b = NULL;
    int ret = -1;

    if (canon == NULL) {
        return -1;
    }
    SHA256((const unsigned char *)canon, strlen(canon), md);
    b = acme_b64u_encode(md, sizeof(md));
    if (b != NULL && strlen(b) < 48) {
        memcpy(out, b, strlen(b) + 1);
        ret = 0;
    }
    free(b);
    free(canon);
    return ret;
}

/* jose_to_der turns a JOSE r||s ECDSA signature into DER. */
static int
jose_to_der(const uint8_t *sig, size_t sig_len, size_t coord,
            uint8_t **der, size_t *der_len)
{
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *p = NULL;
    int n, ret = -1;

    if (sig_len != 2 * coord) {
        return -1;
    }
    r = BN_bin2bn(sig, (int)coord, NULL);
    s = BN_bin2bn(sig + coord, (int)coord, NULL);
    es = ECDSA_SIG_new();
    if (r == NULL || s == NULL || es == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        goto out;
    }
    n = i2d_ECDSA_SIG(es, &p);
    if (n <= 0) {
        goto out;
    }
    *der = p;
    *der_len = (size_t)n;
    ret = 0;
out:
    ECDSA_SIG_free(es);
    return ret;
}

enum acme_prob
acme_jws_verify(const struct acme_jws *jws, EVP_PKEY *key, char *detail,
                size_t detail_len)
{
    const struct alg_info *ai = &alg_table[jws->alg];
    EVP_MD_CTX *md = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    const uint8_t *sig = jws->sig;
    size_t sig_len = jws->sig_len;
    enum acme_prob p = ACME_PROB_BAD_SIG_ALG;
    int ok = 0;

    /* The algorithm must fit the key exactly (RFC 7518 3.4: ES256 means
     * P-256 and SHA-256). */
    switch (jws->alg) {
    case ACME_ALG_ES256:
    case ACME_ALG_ES384:
    case ACME_ALG_ES512: {
        char grp[32] = "";
        size_t gl = 0;
        const char *want = jws->alg == ACME_ALG_ES256   ? "prime256v1"
                           : jws->alg == ACME_ALG_ES384 ? "secp384r1"
                                                        : "secp521r1";
        if (!EVP_PKEY_is_a(key, "EC") ||
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                           grp, sizeof(grp), &gl) != 1 ||
            strcmp(grp, want) != 0) {
            set_detail(detail, detail_len, "alg does not match the key");
            goto out;
        }
        if (jose_to_der(jws->sig, jws->sig_len, ai->ec_coord, &der,
                        &der_len) != 0) {
            p = ACME_PROB_MALFORMED;
            set_detail(detail, detail_len, "ECDSA signature has wrong length");
            goto out;
        }
        sig = der;
        sig_len = der_len;
        break;
    }
    case ACME_ALG_RS256:
        if (!EVP_PKEY_is_a(key, "RSA")) {
            set_detail(detail, detail_len, "alg does not match the key");
            goto out;
        }
        break;
    case ACME_ALG_EDDSA:
        if (!EVP_PKEY_is_a(key, "ED25519")) {
            set_detail(detail, detail_len, "alg does not match the key");
            goto out;
        }
        break;
    default:
        goto out;
    }
    p = ACME_PROB_MALFORMED;
    md = EVP_MD_CTX_new();
    if (md == NULL ||
        EVP_DigestVerifyInit_ex(md, NULL, ai->digest, NULL, NULL, key,
                                NULL) != 1) {
        p = ACME_PROB_SERVER_INTERNAL;
        goto out;
    }
    ok = EVP_DigestVerify(md, sig, sig_len,
                          (const unsigned char *)jws->signing_input,
                          jws->signing_input_len) == 1;
    if (!ok) {
        set_detail(detail, detail_len, "JWS signature does not verify");
        goto out;
    }
    p = ACME_PROB_NONE;
out:
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return p;
}
