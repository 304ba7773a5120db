/*
 * prepared_key.c - sign and verify with operation contexts made once per
 * key. Pre-hashed signing (EVP_PKEY_sign over the SHA-2 digest) is what
 * "openssl speed" measures; the result is the same signature EVP_DigestSign
 * makes (the digest algorithm is set on the context, so RSA gets its
 * DigestInfo). Ed25519 signs the message itself and keeps the one-shot
 * EVP_DigestSign path.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "signer/prepared_key.h"

static EVP_PKEY_CTX *
op_ctx(EVP_PKEY *k, const EVP_MD *md, int sign)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);

    if (c == NULL ||
        (sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_init(c)) != 1 ||
        EVP_PKEY_CTX_set_signature_md(c, md) != 1) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

enum catena_rc
catena_prepared_key_init(struct catena_prepared_key *pk, EVP_PKEY *key,
                         EVP_PKEY *pub, const struct catena_sig_alg *a,
                         struct catena_err *err)
{
    memset(pk, 0, sizeof(*pk));
    pk->key = key;
    pk->pub = pub;
    if (a->md == NULL) {
        return CATENA_OK;
    }
    if ((pk->md = EVP_MD_fetch(NULL, EVP_MD_get0_name(a->md), NULL)) ==
            NULL ||
        (pk->sign = op_ctx(key, pk->md, 1)) == NULL ||
        (pk->verify = op_ctx(pub, pk->md, 0)) == NULL) {
        catena_prepared_key_clear(pk);
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "cannot set up signing with the key");
    }
    return CATENA_OK;
}

void
catena_prepared_key_clear(struct catena_prepared_key *pk)
{
    EVP_PKEY_CTX_free(pk->sign);
    EVP_PKEY_CTX_free(pk->verify);
    EVP_MD_free(pk->md);
    memset(pk, 0, sizeof(*pk));
}

enum catena_rc
catena_prepared_sign(const struct catena_prepared_key *pk, const uint8_t *in,
                     size_t len, uint8_t **sig, size_t *sig_len,
                     struct catena_err *err)
{
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD_CTX *c = NULL;
    uint8_t *buf = NULL;
    size_t n = 0;
    int ok;

    *sig = NULL;
    *sig_len = 0;
    if (pk->md != NULL) {
        ok = EVP_Digest(in, len, dgst, &dlen, pk->md, NULL) == 1 &&
             EVP_PKEY_sign(pk->sign, NULL, &n, dgst, dlen) == 1 &&
             (buf = malloc(n)) != NULL &&
             EVP_PKEY_sign(pk->sign, buf, &n, dgst, dlen) == 1;
    } else {
        ok = (c = EVP_MD_CTX_new()) != NULL &&
             EVP_DigestSignInit(c, NULL, NULL, NULL, pk->key) == 1 &&
             EVP_DigestSign(c, NULL, &n, in, len) == 1 &&
             (buf = malloc(n)) != NULL &&
             EVP_DigestSign(c, buf, &n, in, len) == 1;
        EVP_MD_CTX_free(c);
    }
    if (!ok) {
        free(buf);
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "signing failed");
    }
    *sig = buf;
    *sig_len = n;
    return CATENA_OK;
}

int
catena_prepared_verify(const struct catena_prepared_key *pk,
                       const uint8_t *in, size_t len, const uint8_t *sig,
                       size_t sig_len)
{
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD_CTX *c = NULL;
    int ok;

    if (pk->md != NULL) {
        ok = EVP_Digest(in, len, dgst, &dlen, pk->md, NULL) == 1 &&
             EVP_PKEY_verify(pk->verify, sig, sig_len, dgst, dlen) == 1;
    } else {
        ok = (c = EVP_MD_CTX_new()) != NULL &&
             EVP_DigestVerifyInit(c, NULL, NULL, NULL, pk->pub) == 1 &&
             EVP_DigestVerify(c, sig, sig_len, in, len) == 1;
        EVP_MD_CTX_free(c);
    }
    ERR_clear_error();
    return ok;
}
