/*
 * fixture_io.h - file reading shared by the lint fixture tools (mkcrl,
 * derpatch, lintctx). Test tools only: they read the fixtures they wrote.
 */
#ifndef CATENA_TESTS_LINT_FIXTURE_IO_H
#define CATENA_TESTS_LINT_FIXTURE_IO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Fixtures are a few KiB; refuse anything past this. */
#define FIXTURE_MAX_INPUT (1u << 20)

/*
 * fixture_load reads |path|: PEM (any label; the DER inside is returned
 * and, when |label| is not NULL, the label in a new string to
 * OPENSSL_free) or DER. Returns a malloc'd buffer and sets |*len|, or
 * NULL (|*label| NULL) when unreadable, empty or larger than
 * FIXTURE_MAX_INPUT.
 */
uint8_t *fixture_load(const char *path, size_t *len, char **label);

/* fixture_load_key reads a PEM private key, fixture_load_cert a PEM
 * certificate; each returns NULL when it cannot. */
EVP_PKEY *fixture_load_key(const char *path);
X509 *fixture_load_cert(const char *path);

#endif
