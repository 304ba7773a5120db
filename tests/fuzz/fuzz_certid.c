/* fuzz_certid.c - the ARI certID from the renewalInfo URL path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t aki[64];
    size_t aki_len;
    char serial[41];
    char *text = malloc(size + 1);

    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0'; /* the path is a C string by the time it arrives */
    if (acme_certid_parse(text, aki, &aki_len, serial) == CATENA_OK &&
        strlen(serial) > 40) {
        abort(); /* the parser promised a 40-digit hex serial at most */
    }
    free(text);
    return 0;
}
