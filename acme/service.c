/*
 * service.c - the ACME front door as a catena_service: its [acme]
 * configuration schema and the start/stop pair "catena serve" calls.
 */
#include <stdlib.h>

#include "catena/acme.h"
#include "catena/config.h"
#include "catena/service.h"

static const struct catena_config_key acme_keys[] = {
    {"enabled", CATENA_CONF_BOOL, "serve ACME (default false)"},
    {"listen", CATENA_CONF_LISTEN, "HTTPS listen address, e.g. 127.0.0.1:14000"},
    {"threads", CATENA_CONF_INT, "HTTP worker threads (default 8)"},
    {"tls_cert", CATENA_CONF_PATH, "PEM chain of the HTTPS certificate"},
    {"tls_key", CATENA_CONF_PATH, "PEM private key of the HTTPS certificate"},
    {"base_url", CATENA_CONF_STRING,
     "external https base URL; the directory is <base_url>/directory"},
    {"terms_of_service", CATENA_CONF_STRING, "meta.termsOfService URL"},
    {"website", CATENA_CONF_STRING, "meta.website URL"},
    {"caa_identities", CATENA_CONF_STRING,
     "comma list of CAA issuer domains naming this CA"},
    {"external_account_required", CATENA_CONF_BOOL,
     "require External Account Binding (unsupported: must be false)"},
    {"nonce_lifetime", CATENA_CONF_DURATION, "nonce validity (default 1h)"},
    {"authz_reuse", CATENA_CONF_DURATION,
     "reuse valid authorizations of the account this long (default 0)"},
    {"caa_reuse", CATENA_CONF_DURATION,
     "recheck CAA at finalize when older than this (default 8h)"},
    {"order_lifetime", CATENA_CONF_DURATION, "order expiry (default 7d)"},
    {"authz_lifetime", CATENA_CONF_DURATION,
     "pending authorization expiry (default 7d)"},
    {"workers", CATENA_CONF_INT, "validation worker threads (default 4)"},
    {"dns_resolver", CATENA_CONF_STRING,
     "DNS server ip:port for dns-01, CAA and A/AAAA (default system)"},
    {"http01_port", CATENA_CONF_INT, "port for http-01 (default 80)"},
    {"tlsalpn01_port", CATENA_CONF_INT, "port for tls-alpn-01 (default 443)"},
    {"ari_explanation_url", CATENA_CONF_STRING,
     "explanationURL in renewalInfo answers"},
};

static const struct catena_config_schema acme_schema = {
    "acme", 0, acme_keys, sizeof(acme_keys) / sizeof(acme_keys[0])};

static const struct catena_config_schema *const acme_schemas[] = {
    &acme_schema};

static enum catena_rc
acme_start(const struct catena_service_env *env, void **state,
           struct catena_err *err)
{
    int enabled = 0;
    enum catena_rc rc;

    *state = NULL;
    rc = catena_config_get_bool(env->cfg, "acme", NULL, "enabled", 0,
                                &enabled, err);
    if (rc != CATENA_OK || !enabled) {
        return rc;
    }
    return catena_err_set(err, CATENA_ERR_UNSUPPORTED,
                          "acme: server not built yet");
}

static void
acme_stop(void *state)
{
    (void)state;
}

const struct catena_service catena_acme_service = {
    "acme", acme_schemas, sizeof(acme_schemas) / sizeof(acme_schemas[0]),
    acme_start, acme_stop};
