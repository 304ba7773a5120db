/* fuzz_csr.c - CSR validation (ACME finalize and "catena issue" input):
 * the core's signature and key check, and ACME's match of the CSR's names
 * (common name and subjectAltName) against an order's identifiers. */
#include <stdint.h>
#include <stdlib.h>

#include "catena/ca.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"a.example.com", "b.example.com",
                                        "198.51.101.7"};
    unsigned all = CATENA_KEY_P256 | CATENA_KEY_P384 | CATENA_KEY_RSA2048 |
                   CATENA_KEY_RSA3072 | CATENA_KEY_RSA4096 |
                   CATENA_KEY_ED25519;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    struct catena_err err;
    char detail[256];

    if (catena_csr_check(data, size, all, &spki, &spki_len, &err) ==
        CATENA_OK) {
        free(spki);
    }
    for (size_t n = 1; n <= 3; n++) {
        (void)acme_csr_names_match(data, size, names, n, detail,
                                   sizeof(detail));
    }
    return 0;
}
