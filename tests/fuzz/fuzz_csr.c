/* fuzz_csr.c - CSR validation (ACME finalize and "catena issue" input). */
#include <stdint.h>
#include <stdlib.h>

#include "catena/ca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned all = CATENA_KEY_P256 | CATENA_KEY_P384 | CATENA_KEY_RSA2048 |
                   CATENA_KEY_RSA3072 | CATENA_KEY_RSA4096 |
                   CATENA_KEY_ED25519;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    struct catena_err err;

    if (catena_csr_check(data, size, all, &spki, &spki_len, &err) ==
        CATENA_OK) {
        free(spki);
    }
    return 0;
}
