/*
 * validate_dns01.c - dns-01 (RFC 8555 8.4): a TXT record at
 * "_acme-challenge.<domain>" (wildcard label removed) whose value is
 * base64url(SHA-256(key authorization)), looked up through the configured
 * resolver with CNAMEs followed (caa.h catena_dns_txt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "catena/caa.h"
#include "internal.h"
#include "validate.h"

/* Most TXT records we look through: more is not a real deployment. */
#define MAX_TXT_RRS 32

enum catena_rc
acme_validate_dns01(const struct acme_validation_opts *opts,
                    const char *id_value, const char *keyauth,
                    long long deadline, enum acme_validation_problem *problem,
                    struct catena_err *err)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char name[300];
    char **vals = NULL;
    char *want = NULL;
    size_t num = 0, wl;
    enum catena_rc rc;

    if (strncmp(id_value, "*.", 2) == 0) {
        id_value += 2;
    }
    if (strlen(id_value) > 253 - strlen("_acme-challenge.")) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "identifier too long");
    }
    snprintf(name, sizeof(name), "_acme-challenge.%s", id_value);
    SHA256((const unsigned char *)keyauth, strlen(keyauth), digest);
    want = acme_b64u_encode(digest, sizeof(digest));
    if (want == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "dns-01 digest");
    }
    wl = strlen(want);
    rc = catena_dns_txt(opts->resolver, acme_validate_left_ms(deadline), name,
                        &vals, &num, err);
    if (rc != CATENA_OK) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%.255s", err != NULL ? err->msg : "");
        rc = acme_validate_fail(problem, ACME_VPROB_DNS, CATENA_ERR_DNS, err,
                                "DNS lookup of TXT %s failed: %s", name, msg);
        goto out;
    }
    if (num == 0) {
        rc = acme_validate_fail(problem, ACME_VPROB_UNAUTHORIZED,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "no TXT record found at %s", name);
        goto out;
    }
    if (num > MAX_TXT_RRS) {
        rc = acme_validate_fail(problem, ACME_VPROB_UNAUTHORIZED,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "too many TXT records at %s", name);
        goto out;
    }
    for (size_t i = 0; i < num; i++) {
        if (strlen(vals[i]) == wl && CRYPTO_memcmp(vals[i], want, wl) == 0) {
            rc = CATENA_OK;
            goto out;
        }
    }
    rc = acme_validate_fail(problem, ACME_VPROB_INCORRECT_RESPONSE,
                            CATENA_ERR_UNAUTHORIZED, err,
                            "no TXT record at %s matches the key "
                            "authorization (%zu found)",
                            name, num);
out:
    catena_dns_strings_free(vals, num);
    free(want);
    return rc;
}
