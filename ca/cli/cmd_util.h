/*
 * cmd_util.h - helpers shared by the core's sub-commands (cmd_init.c,
 * cmd_issue.c, cmd_revoke.c, cmd_status.c, cmd_serve.c).
 */
#ifndef CATENA_CLI_CMD_UTIL_H
#define CATENA_CLI_CMD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"

struct catena_config;
struct catena_service;

/* The services "catena serve" runs, in start order. */
extern const struct catena_service *const catena_cli_services[];
extern const size_t catena_cli_num_services;

/*
 * catena_cli_load_config loads |path| checked against the core schemas and
 * every service's schemas. Prints the error and returns non-zero on
 * failure.
 */
int catena_cli_load_config(const char *path, struct catena_config **out);

/* catena_cli_apply_log_level sets the logger from [catena] log_level. */
void catena_cli_apply_log_level(const struct catena_config *cfg);

/* catena_cli_set_log_level sets the logger from a level name ("debug",
 * "info", "warn", "error"); other names leave it as it is. */
void catena_cli_set_log_level(const char *level);

#endif
