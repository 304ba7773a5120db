/*
 * prepared_key.h - a signing key and its verifying key, set up once. The
 * signer signs and verifies thousands of times with the same keys; setting
 * up an OpenSSL 3 operation (algorithm fetch, context, key import) costs
 * about as much as an ECDSA signature, so it is done at load and each
 * signature only hashes and signs.
 */
#ifndef CATENA_SIGNER_PREPARED_KEY_H
#define CATENA_SIGNER_PREPARED_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "catena/ca.h"
#include "catena/err.h"

struct catena_prepared_key {
    EVP_PKEY *key;        /* borrowed: signs */
    EVP_PKEY *pub;        /* borrowed: verifies (the certificate's key) */
    EVP_MD *md;           /* NULL: the algorithm hashes itself (Ed25519) */
    EVP_PKEY_CTX *sign;   /* set up for pre-hashed input, NULL for Ed25519 */
    EVP_PKEY_CTX *verify;
};

/* catena_prepared_key_init sets |pk| up to sign with |key| per |a| and to
 * verify with |pub|; both stay owned by the caller and must outlive |pk|. */
enum catena_rc catena_prepared_key_init(struct catena_prepared_key *pk,
                                        EVP_PKEY *key, EVP_PKEY *pub,
                                        const struct catena_sig_alg *a,
                                        struct catena_err *err) CATENA_WUR;
void catena_prepared_key_clear(struct catena_prepared_key *pk);

/* catena_prepared_sign signs |in| into a malloc()ed *sig (PKCS#1 v1.5 for
 * RSA, DER Ecdsa-Sig-Value for ECDSA, raw for Ed25519). */
enum catena_rc catena_prepared_sign(const struct catena_prepared_key *pk,
                                    const uint8_t *in, size_t len,
                                    uint8_t **sig, size_t *sig_len,
                                    struct catena_err *err) CATENA_WUR;

/* catena_prepared_verify is 1 when |sig| over |in| verifies with pk->pub. */
int catena_prepared_verify(const struct catena_prepared_key *pk,
                           const uint8_t *in, size_t len, const uint8_t *sig,
                           size_t sig_len);

#endif
