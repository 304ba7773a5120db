/*
 * mpic_secret.c - the secret the primary presents to its remote network
 * perspectives (a bearer token over TLS), read the same way on both sides.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mpic.h"

enum catena_rc
acme_mpic_secret_load(const char *path, char *out, struct catena_err *err)
{
    char buf[ACME_MPIC_MAX_SECRET + 3];
    size_t n;
    FILE *f;

    out[0] = '\0';
    if (path == NULL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "no secret file configured");
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        return catena_err_set_errno(err, CATENA_ERR_CONFIG, "%s", path);
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0';
    }
    if (n > 0 && buf[n - 1] == '\r') {
        buf[--n] = '\0';
    }
    for (size_t i = 0; i < n; i++) {
        if (buf[i] <= ' ' || buf[i] > '~') {
            OPENSSL_cleanse(buf, sizeof(buf));
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "%s: the secret must be one line of "
                                  "printable characters without spaces",
                                  path);
        }
    }
    if (n < ACME_MPIC_MIN_SECRET || n > ACME_MPIC_MAX_SECRET) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "%s: the secret must be %d..%d characters "
                              "(e.g. openssl rand -hex 32)",
                              path, ACME_MPIC_MIN_SECRET,
                              ACME_MPIC_MAX_SECRET);
    }
    memcpy(out, buf, n + 1);
    OPENSSL_cleanse(buf, sizeof(buf));
    return CATENA_OK;
}
