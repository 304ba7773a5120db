/*
 * fixture_io.c - see fixture_io.h.
 */
#include "fixture_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

uint8_t *
fixture_load(const char *path, size_t *len, char **label)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t n = 0;

    if (label != NULL) {
        *label = NULL;
    }
    if (f == NULL) {
        return NULL;
    }
    data = malloc(FIXTURE_MAX_INPUT + 1);
    if (data != NULL) {
        n = fread(data, 1, FIXTURE_MAX_INPUT + 1, f);
    }
    fclose(f);
    if (data == NULL || n == 0 || n > FIXTURE_MAX_INPUT) {
        free(data);
        return NULL;
    }
    /* DER starts with a SEQUENCE; anything else is tried as PEM. */
    if (data[0] != 0x30) {
        BIO *bio = BIO_new_mem_buf(data, (int)n);
        char *name = NULL;
        char *header = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        uint8_t *copy = NULL;

        if (bio != NULL && PEM_read_bio(bio, &name, &header, &der, &dlen) == 1 &&
            dlen > 0 && (copy = malloc((size_t)dlen)) != NULL) {
            memcpy(copy, der, (size_t)dlen);
            n = (size_t)dlen;
            if (label != NULL) {
                *label = name;
                name = NULL;
            }
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        BIO_free(bio);
        free(data);
        data = copy;
    }
    *len = n;
    return data;
}

/* read_pem opens |path| and runs one of OpenSSL's PEM_read_* on it. */
static void *
read_pem(const char *path, int key)
{
    FILE *f = fopen(path, "r");
    void *obj = NULL;

    if (f == NULL) {
        return NULL;
    }
    obj = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
              : (void *)PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return obj;
}

EVP_PKEY *
fixture_load_key(const char *path)
{
    return read_pem(path, 1);
}

X509 *
fixture_load_cert(const char *path)
{
    return read_pem(path, 0);
}
