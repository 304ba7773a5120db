/* cmd_util.c - configuration loading and bounded file reads for the CLI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catena/acme.h"
#include "catena/config.h"
#include "catena/crl.h"
#include "catena/log.h"
#include "catena/service.h"
#include "cmd_util.h"

const struct catena_service *const catena_cli_services[] = {
    &catena_crl_service,
    &catena_acme_service,
};
const size_t catena_cli_num_services =
    sizeof(catena_cli_services) / sizeof(catena_cli_services[0]);

#define MAX_SCHEMAS 64

int
catena_cli_load_config(const char *path, struct catena_config **out)
{
    const struct catena_config_schema *schemas[MAX_SCHEMAS];
    size_t n = 0;
    struct catena_err err;

    catena_err_clear(&err);
    for (size_t i = 0; i < catena_core_num_config_schemas && n < MAX_SCHEMAS;
         i++) {
        schemas[n++] = catena_core_config_schemas[i];
    }
    for (size_t s = 0; s < catena_cli_num_services; s++) {
        const struct catena_service *svc = catena_cli_services[s];

        for (size_t i = 0; i < svc->num_schemas && n < MAX_SCHEMAS; i++) {
            schemas[n++] = svc->schemas[i];
        }
    }
    if (catena_config_load(path, schemas, n, out, &err) != CATENA_OK) {
        fprintf(stderr, "catena: %s\n", err.msg);
        return 1;
    }
    return 0;
}

void
catena_cli_apply_log_level(const struct catena_config *cfg)
{
    catena_cli_set_log_level(
        catena_config_get(cfg, "catena", NULL, "log_level", "info"));
}

void
catena_cli_set_log_level(const char *level)
{
    static const char *const names[CATENA_LOG_LEVEL__MAX] = {
        "debug", "info", "warn", "error"};

    for (int i = 0; i < CATENA_LOG_LEVEL__MAX; i++) {
        if (strcmp(level, names[i]) == 0) {
            catena_log_set_level((enum catena_log_level)i);
        }
    }
}
