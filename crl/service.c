/*
 * service.c - the CRL/OCSP service of "catena serve": configuration
 * schemas and start/stop.
 */
#include <stddef.h>

#include "catena/config.h"
#include "catena/crl.h"
#include "internal.h"

static const struct catena_config_key crl_keys[] = {
    {"enabled", CATENA_CONF_BOOL, "publish CRLs (default true)"},
    {"next_update", CATENA_CONF_DURATION,
     "nextUpdate - thisUpdate of every CRL (default 24h, at most 10d)"},
    {"refresh", CATENA_CONF_DURATION,
     "regenerate every shard this often (default 6h, < next_update)"},
};

static const struct catena_config_key ocsp_keys[] = {
    {"enabled", CATENA_CONF_BOOL, "answer OCSP requests (default true)"},
    {"validity", CATENA_CONF_DURATION,
     "nextUpdate - thisUpdate of OCSP responses (default 4d, at most 10d); "
     "responses are re-signed before half of it has passed"},
};

static const struct catena_config_schema crl_schema = {
    "crl", 0, crl_keys, sizeof(crl_keys) / sizeof(crl_keys[0])};
static const struct catena_config_schema ocsp_schema = {
    "ocsp", 0, ocsp_keys, sizeof(ocsp_keys) / sizeof(ocsp_keys[0])};

static const struct catena_config_schema *const crl_schemas[] = {
    &crl_schema, &ocsp_schema};

const struct catena_service catena_crl_service = {
    "crl", crl_schemas, sizeof(crl_schemas) / sizeof(crl_schemas[0]),
    catena_crl_service_start, catena_crl_service_stop};
