/* fuzz_jws.c - the ACME request body: flattened JWS, its protected header,
 * the JWK it may carry (key construction and RFC 7638 thumbprint), and the
 * signature check against that key. */
#include <stdint.h>

#include <openssl/evp.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acme_jws jws = {0};
    char detail[256];
    char thumb[48];

    if (acme_jws_parse(data, size, 1, &jws, detail, sizeof(detail)) ==
            ACME_PROB_NONE &&
        jws.jwk != NULL) {
        EVP_PKEY *key = acme_jwk_to_pkey(jws.jwk, detail, sizeof(detail));

        (void)acme_jwk_thumbprint(jws.jwk, thumb);
        if (key != NULL) {
            (void)acme_jws_verify(&jws, key, detail, sizeof(detail));
            EVP_PKEY_free(key);
        }
    }
    acme_jws_clear(&jws);
    return 0;
}
