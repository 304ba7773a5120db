/*
 * profile.c - the built-in certificate profiles.
 *
 * A profile fixes what kind of certificate is made: lint profile, allowed
 * subject key types, default and maximum validity. The extensions each
 * profile carries are built in tbs.c from the same names.
 */
#include <string.h>

#include "catena/ca.h"

#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)

#define KEY_EC (CATENA_KEY_P256 | CATENA_KEY_P384)
#define KEY_RSA (CATENA_KEY_RSA2048 | CATENA_KEY_RSA3072 | CATENA_KEY_RSA4096)

static const struct catena_profile profiles[] = {
    /* BR 6.3.2: 398 days is the ceiling ever allowed; the date schedule
     * below (catena_profile_max_lifetime_at) narrows it. EdDSA is not
     * permitted by BR 6.1.5. */
    {"tls-server", CATENA_LINT_PROFILE_TLS, 398 * DAY, 90 * DAY,
     KEY_EC | KEY_RSA, 0},
    /* Catena's own HTTPS endpoints (the ACME listener): a private-PKI
     * server certificate, so names such as "localhost" are allowed and no
     * BR policy OID is asserted; the linter still applies RFC 5280. */
    {"service-tls", CATENA_LINT_PROFILE_PRIVATE_TLS, 398 * DAY, 90 * DAY,
     KEY_EC | KEY_RSA, 0},
    /* SBR 6.3.2: 825 days for Strict; SBR 7.1.3.1.3 allows Ed25519. */
    {"smime-mailbox", CATENA_LINT_PROFILE_SMIME, 825 * DAY, 365 * DAY,
     KEY_EC | KEY_RSA | CATENA_KEY_ED25519, 0},
    /* SVIDs are short-lived by design; a day is the longest we sign. */
    {"x509-svid", CATENA_LINT_PROFILE_SPIFFE, 24 * HOUR, 1 * HOUR,
     KEY_EC | KEY_RSA | CATENA_KEY_ED25519, 0},
    /* Delegated OCSP responders carry ocsp-nocheck, so they must be short
     * enough that not being able to revoke them is tolerable. */
    {"ocsp-signer", CATENA_LINT_PROFILE_OCSP_SIGNER, 90 * DAY, 60 * DAY,
     KEY_EC | KEY_RSA | CATENA_KEY_ED25519, 0},
    {"sub-ca", CATENA_LINT_PROFILE_CA, 3653 * DAY, 3652 * DAY,
     KEY_EC | KEY_RSA | CATENA_KEY_ED25519, 1},
    /* BR 7.1.2.1.1: roots live between 2922 and 9132 days. */
    {"root-ca", CATENA_LINT_PROFILE_CA, 9131 * DAY, 7305 * DAY,
     KEY_EC | KEY_RSA | CATENA_KEY_ED25519, 1},
};

const struct catena_profile *
catena_profile_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (strcmp(profiles[i].name, name) == 0) {
            return &profiles[i];
        }
    }
    return NULL;
}

/*
 * BR 6.3.2 as amended by SC-081: the maximum depends on the date of
 * issuance. We stay one day under each limit because the BRs say
 * certificates SHOULD NOT be issued for the maximum permissible time
 * (and the linter warns there, and warnings block).
 */
static const struct {
    int64_t until; /* exclusive */
    int64_t max;
} tls_schedule[] = {
    {INT64_C(1773532800), 397 * DAY}, /* before 2026-03-15: 398 */
    {INT64_C(1805068800), 199 * DAY}, /* before 2027-03-15: 200 */
    {INT64_C(1868227200), 99 * DAY},  /* before 2029-03-15: 100 */
    {INT64_MAX, 46 * DAY},            /* from then on: 47 */
};

int64_t
catena_profile_max_lifetime_at(const struct catena_profile *p, int64_t now)
{
    if (p == NULL) {
        return 0;
    }
    if (p->lint_profile != CATENA_LINT_PROFILE_TLS) {
        return p->max_lifetime;
    }
    for (size_t i = 0; i < sizeof(tls_schedule) / sizeof(tls_schedule[0]);
         i++) {
        if (now < tls_schedule[i].until) {
            return tls_schedule[i].max < p->max_lifetime
                       ? tls_schedule[i].max
                       : p->max_lifetime;
        }
    }
    return p->max_lifetime;
}
