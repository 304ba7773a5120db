/*
 * b64.c - strict base64url (RFC 4648 section 5, no padding) over OpenSSL's
 * EVP_EncodeBlock/EVP_DecodeBlock. Strict so that every byte string has
 * exactly one encoding: JWS, nonces, tokens and ARI certIDs depend on it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

char *
acme_b64u_encode(const uint8_t *data, size_t len)
{
    char *out = NULL;
    size_t n;
    int w;

    if (len > (size_t)INT32_MAX / 2) {
        return NULL;
    }
    n = 4 * ((len + 2) / 3) + 1;
    out = malloc(n);
    if (out == NULL) {
        return NULL;
    }
    w = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    if (w < 0) {
        free(out);
        return NULL;
    }
    /* Translate to the URL-safe alphabet and drop the padding. */
    while (w > 0 && out[w - 1] == '=') {
        w--;
    }
    out[w] = '\0';
    for (int i = 0; i < w; i++) {
        if (out[i] == '+') {
            out[i] = '-';
        } else if (out[i] == '/') {
            out[i] = '_';
        }
    }
    return out;
}

static int
b64u_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

enum catena_rc
acme_b64u_decode(const char *in, size_t in_len, size_t max_out,
                 uint8_t **out, size_t *out_len)
{
    char *tmp = NULL;
    uint8_t *buf = NULL;
    enum catena_rc rc = CATENA_ERR_INVALID;
    size_t rem = in_len % 4, padded, full;
    int n;

    *out = NULL;
    *out_len = 0;
    /* A single leftover character cannot encode a whole byte. */
    if (rem == 1) {
        return CATENA_ERR_INVALID;
    }
    full = in_len / 4 * 3 + (rem == 0 ? 0 : rem - 1);
    if (full > max_out) {
        return CATENA_ERR_TOO_BIG;
    }
    for (size_t i = 0; i < in_len; i++) {
        if (b64u_value(in[i]) < 0) {
            return CATENA_ERR_INVALID;
        }
    }
    /* Non-canonical encodings leave bits set that the decoder drops. */
    if (rem == 2 && (b64u_value(in[in_len - 1]) & 0x0f) != 0) {
        return CATENA_ERR_INVALID;
    }
    if (rem == 3 && (b64u_value(in[in_len - 1]) & 0x03) != 0) {
        return CATENA_ERR_INVALID;
    }
    padded = in_len + (rem == 0 ? 0 : 4 - rem);
    tmp = malloc(padded + 1);
    buf = malloc(padded / 4 * 3 + 1);
    if (tmp == NULL || buf == NULL) {
        rc = CATENA_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < in_len; i++) {
        char c = in[i];
        tmp[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    for (size_t i = in_len; i < padded; i++) {
        tmp[i] = '=';
    }
    tmp[padded] = '\0';
    if (padded > 0) {
        n = EVP_DecodeBlock(buf, (const unsigned char *)tmp, (int)padded);
        if (n < 0 || (size_t)n != padded / 4 * 3) {
            goto out;
        }
    }
    buf[full] = 0;
    *out = buf;
    *out_len = full;
    buf = NULL;
    rc = CATENA_OK;
out:
    free(tmp);
    free(buf);
    return rc;
}
