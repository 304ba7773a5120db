/*
 * keygen.c - generating CA and server keys for "catena init" (the key
 * ceremony). Keys are written as unencrypted PKCS#8 PEM, mode 0600,
 * created exclusively so an existing key is never overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "catena/ca.h"
#include "core.h"

enum catena_rc
catena_keygen(const char *type, const char *path, EVP_PKEY **pub_out,
              struct catena_err *err)
{
    EVP_PKEY *pk = NULL;
    FILE *f = NULL;
    int fd = -1;
    unsigned char *der = NULL;
    const unsigned char *p;
    int len;
    enum catena_rc rc;

    *pub_out = NULL;
    if (strcmp(type, "p256") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    } else if (strcmp(type, "p384") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    } else if (strcmp(type, "rsa2048") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    } else if (strcmp(type, "rsa3072") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    } else if (strcmp(type, "rsa4096") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    } else if (strcmp(type, "ed25519") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "unknown key type %s", type);
    }
    if (pk == NULL) {
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "key generation failed");
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "cannot create %s",
                                  path);
        goto out;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "fdopen %s", path);
        goto out;
    }
    fd = -1;
    if (PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
        fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_IO, "cannot write %s",
                                    path);
        goto out;
    }
    /* Hand back only the public half: the private key leaves memory
     * here and is read again only by the signer. */
    len = i2d_PUBKEY(pk, &der);
    p = der;
    if (len <= 0 || (*pub_out = d2i_PUBKEY(NULL, &p, len)) == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot extract the public key");
        goto out;
    }
    rc = CATENA_OK;
out:
    OPENSSL_free(der);
    if (f != NULL) {
        fclose(f);
    }
    if (fd >= 0) {
        close(fd);
    }
    EVP_PKEY_free(pk);
    return rc;
}
