/*
 * crl_fixture.h - a throw-away CA for the crl/ unit tests: an issuing CA
 * and a delegated OCSP responder made with OpenSSL, a configuration, a
 * real SQLite store and a real signer (this test binary re-executed as
 * "signer").
 */
#ifndef CRL_FIXTURE_H
#define CRL_FIXTURE_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct catena_ca;
struct catena_config;
struct catena_store;

struct crl_fixture {
    char dir[256];
    char conf_path[300];
    struct catena_config *cfg;
    struct catena_ca *ca;
    struct catena_store *store;
    int64_t issuer_id;
    X509 *issuer;
    X509 *responder;
};

/* fixture_main dispatches "signer" to the real signer; returns -1 else. */
int fixture_main(int argc, char **argv);

/* fixture_setup creates everything; fixture_teardown removes it. */
int fixture_setup(struct crl_fixture *fx);
void fixture_teardown(struct crl_fixture *fx);

/*
 * fixture_add_cert inserts a certificate row with serial |hex| into its
 * shard: |status| (store.h), revoked at |revoked_at| with RFC 5280
 * |reason| (-1 = none), expiring at |not_after|. Returns its shard.
 */
int fixture_add_cert(struct crl_fixture *fx, const char *hex, int status,
                     int64_t revoked_at, int reason, int64_t not_after);

#endif
