/*
 * caa_issue.c - CAA (RFC 8659) before a publicly-trusted certificate.
 * CA/B Forum TLS BR 3.2.2.8 makes every tls-server issuance check
 * "issue"/"issuewild" for each dNSName; S/MIME BR 3.2.2.3 (RFC 9495) makes
 * every smime-mailbox issuance check "issuemail" for each mailbox's
 * domain. The issuing core does it, so no front door can forget it; a
 * caller that has just checked (ACME, at validation and at finalize within
 * the reuse period) says so in the request. Any lookup error refuses.
 */
#include <stdlib.h>
#include <string.h>

#include "catena/caa.h"
#include "catena/config.h"
#include "core.h"

#define CAA_MAX_IDENTITIES 8
#define CAA_IDENTITY_MAX 253

struct caa_setup {
    char ids[CAA_MAX_IDENTITIES][CAA_IDENTITY_MAX + 1];
    const char *id_ptrs[CAA_MAX_IDENTITIES];
    struct catena_caa_opts opts;
};

/* caa_profile: the profiles whose certificates are publicly trusted and so
 * subject to CAA; private-PKI profiles (service-tls, x509-svid) and CA
 * certificates are not. */
static enum catena_caa_kind
caa_profile(const char *profile, int *applies)
{
    *applies = 1;
    if (strcmp(profile, "tls-server") == 0) {
        return CATENA_CAA_ISSUE;
    }
    if (strcmp(profile, "smime-mailbox") == 0) {
        return CATENA_CAA_ISSUEMAIL;
    }
    *applies = 0;
    return CATENA_CAA_ISSUE;
}

/* caa_setup_load reads [caa]: identities (comma-separated, required),
 * resolver (host:port, default the system's). */
static enum catena_rc
caa_setup_load(const struct catena_config *cfg, struct caa_setup *s,
               struct catena_err *err)
{
    const char *list = catena_config_get(cfg, "caa", NULL, "identities", "");
    const char *p = list;
    const char *id;
    size_t len;
    size_t n = 0;

    memset(s, 0, sizeof(*s));
    while (catena_config_list_next(&p, &id, &len)) {
        if (n == CAA_MAX_IDENTITIES || len > CAA_IDENTITY_MAX) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "[caa] identities: at most %d names "
                                  "of at most %d characters",
                                  CAA_MAX_IDENTITIES, CAA_IDENTITY_MAX);
        }
        memcpy(s->ids[n], id, len);
        s->ids[n][len] = '\0';
        s->id_ptrs[n] = s->ids[n];
        n++;
    }
    if (n == 0) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "CAA must be checked before this certificate, "
                              "but [caa] identities is not set: name the "
                              "domain(s) this CA's CAA records use, or set "
                              "[caa] check = false for a CA that is not "
                              "publicly trusted");
    }
    s->opts.identities = s->id_ptrs;
    s->opts.num_identities = n;
    s->opts.resolver = catena_config_get(cfg, "caa", NULL, "resolver", NULL);
    return CATENA_OK;
}

enum catena_rc
catena_ca_caa_permits(const struct catena_ca *ca, const char *profile,
                      char *const *dns_names, size_t num_dns,
                      char *const *emails, size_t num_emails,
                      struct catena_err *err)
{
    const struct catena_config *cfg = catena_ca_config(ca);
    struct caa_setup s;
    int applies = 0;
    int check = 1;
    enum catena_caa_kind kind = caa_profile(profile, &applies);
    enum catena_rc rc;

    if (!applies) {
        return CATENA_OK;
    }
    if ((rc = catena_config_get_bool(cfg, "caa", NULL, "check", 1, &check,
                                     err)) != CATENA_OK) {
        return rc;
    }
    if (!check) {
        return CATENA_OK;
    }
    if ((rc = caa_setup_load(cfg, &s, err)) != CATENA_OK) {
        return rc;
    }
    if (kind == CATENA_CAA_ISSUE) {
        for (size_t i = 0; i < num_dns; i++) {
            int wild = strncmp(dns_names[i], "*.", 2) == 0;

            if ((rc = catena_caa_check(&s.opts, dns_names[i] + (wild ? 2 : 0),
                                       wild, kind, err)) != CATENA_OK) {
                return rc;
            }
        }
        return CATENA_OK;
    }
    for (size_t i = 0; i < num_emails; i++) {
        const char *at = strrchr(emails[i], '@');

        if (at == NULL || at[1] == '\0') {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "'%s' is not a mailbox", emails[i]);
        }
        if ((rc = catena_caa_check(&s.opts, at + 1, 0, kind, err)) !=
            CATENA_OK) {
            return rc;
        }
    }
    return CATENA_OK;
}

enum catena_rc
catena_caa_cache_configure(const struct catena_config *cfg,
                           struct catena_err *err)
{
    int64_t max_ttl = 0;
    enum catena_rc rc = catena_config_get_duration(
        cfg, "caa", NULL, "cache_max_ttl", CATENA_CAA_CACHE_DEFAULT_MAX_TTL,
        &max_ttl, err);

    if (rc != CATENA_OK) {
        return rc;
    }
    /* The loader refuses values over the limit; this keeps a config made
     * some other way from wrapping the unsigned below. */
    if (max_ttl < 0 || max_ttl > CATENA_CAA_CACHE_LIMIT_MAX_TTL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[caa] cache_max_ttl is at most %ds",
                              CATENA_CAA_CACHE_LIMIT_MAX_TTL);
    }
    return catena_caa_cache_set_max_ttl((unsigned)max_ttl, err);
}
