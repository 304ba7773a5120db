/*
 * cmd_perspective.c - "catena perspective": a remote network perspective
 * for Multi-Perspective Issuance Corroboration (acme/perspective.c), run
 * on a host in another network than the ACME server, until SIGTERM or
 * SIGINT. Its config file holds one [perspective] section and nothing of
 * the CA: no keys, no store.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "catena/acme.h"
#include "catena/config.h"
#include "catena/log.h"
#include "cmd_util.h"
#include "commands.h"

static void
perspective_usage(FILE *out)
{
    fprintf(out, "usage: catena perspective --config FILE [--check]\n");
}

int
catena_cmd_perspective(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = NULL;
    struct catena_config *cfg = NULL;
    struct catena_perspective *ps = NULL;
    struct catena_err err = {0};
    sigset_t set;
    int c, sig, check = 0, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:kh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'k': check = 1; break;
        case 'h': perspective_usage(stdout); return 0;
        default: perspective_usage(stderr); return 2;
        }
    }
    if (config == NULL || optind != argc) {
        perspective_usage(stderr);
        return 2;
    }
    if (catena_config_load(config, catena_perspective_schemas,
                           catena_perspective_num_schemas, &cfg,
                           &err) != CATENA_OK) {
        fprintf(stderr, "catena perspective: %s\n", err.msg);
        return 1;
    }
    if (check) {
        printf("%s: ok\n", config);
        catena_config_free(cfg);
        return 0;
    }
    catena_cli_set_log_level(
        catena_config_get(cfg, "perspective", NULL, "log_level", "info"));
    /* As in "catena serve": the signals are waited for, not handled. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        fprintf(stderr, "catena perspective: cannot set up signals\n");
        goto out;
    }
    if (catena_perspective_start(cfg, &ps, &err) != CATENA_OK) {
        fprintf(stderr, "catena perspective: %s\n", err.msg);
        goto out;
    }
    printf("perspective %s: listening on https://%s/corroborate\n",
           catena_config_get(cfg, "perspective", NULL, "name", ""),
           catena_config_get(cfg, "perspective", NULL, "listen", ""));
    fflush(stdout);
    if (sigwait(&set, &sig) != 0) {
        fprintf(stderr, "catena perspective: sigwait failed\n");
        goto out;
    }
    CATENA_INFO("signal %d: shutting down", sig);
    rc = 0;
out:
    catena_perspective_stop(ps);
    catena_config_free(cfg);
    return rc;
}
