/*
 * certid.c - the ARI certID (RFC 9773 4.1) parser and the default
 * suggested renewal window. No store access, so unit tests and fuzzers can
 * drive it alone.
 */
#include <stdlib.h>
#include <string.h>

#include "catena/ca.h"
#include "internal.h"

#define CERTID_MAX 200

enum catena_rc
acme_certid_parse(const char *cert_id, uint8_t aki[64], size_t *aki_len,
                  char serial_hex[41])
{
    const char *dot;
    uint8_t *a = NULL, *s = NULL;
    size_t al = 0, sl = 0, len;
    enum catena_rc rc = CATENA_ERR_INVALID;

    len = strnlen(cert_id, CERTID_MAX + 1);
    if (len > CERTID_MAX) {
        return CATENA_ERR_INVALID;
    }
    dot = strchr(cert_id, '.');
    if (dot == NULL || dot == cert_id || dot[1] == '\0' ||
        strchr(dot + 1, '.') != NULL) {
        return CATENA_ERR_INVALID;
    }
    /* acme_b64u_decode already refuses "=" padding and other alphabets. */
    if (acme_b64u_decode(cert_id, (size_t)(dot - cert_id), 64, &a, &al) !=
            CATENA_OK ||
        acme_b64u_decode(dot + 1, len - (size_t)(dot + 1 - cert_id), 21, &s,
                         &sl) != CATENA_OK) {
        goto out;
    }
    if (al == 0 || sl == 0 || sl > 21) {
        goto out;
    }
    /* A DER INTEGER's content: minimal, so a leading 00 only before a byte
     * with the top bit set; serials are positive. */
    if ((s[0] & 0x80) != 0 || (sl > 1 && s[0] == 0 && (s[1] & 0x80) == 0)) {
        goto out;
    }
    if (sl > CATENA_SERIAL_MAX_BYTES) {
        goto out;
    }
    memcpy(aki, a, al);
    *aki_len = al;
    catena_serial_hex(s, sl, serial_hex);
    rc = CATENA_OK;
out:
    free(a);
    free(s);
    return rc;
}

void
acme_ari_default_window(int64_t not_before, int64_t not_after, int64_t *start,
                        int64_t *end)
{
    int64_t life = not_after - not_before;

    if (life < 0) {
        life = 0;
    }
    *start = not_before + life * 2 / 3;
    *end = *start + life / 10;
}

