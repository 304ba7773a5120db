/* cmd_revoke.c - "catena revoke": revoke one certificate by serial. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/store.h"
#include "cmd_util.h"
#include "commands.h"

static void
revoke_usage(FILE *out)
{
    fprintf(out,
            "usage: catena revoke --config FILE --serial HEX --reason NAME\n"
            "reasons (RFC 5280): unspecified keyCompromise cACompromise "
            "affiliationChanged\n"
            "  superseded cessationOfOperation certificateHold "
            "removeFromCRL\n"
            "  privilegeWithdrawn aACompromise (which are allowed depends on "
            "the profile)\n");
}

int
catena_cmd_revoke(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"serial", required_argument, NULL, 's'},
        {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    const char *serial = NULL;
    const char *reason_name = NULL;
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_store *store = NULL;
    struct catena_err err;
    int code = -1;
    int rc = 1;
    int c;

    catena_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 's': serial = optarg; break;
        case 'r': reason_name = optarg; break;
        case 'h': revoke_usage(stdout); return 0;
        default: revoke_usage(stderr); return 2;
        }
    }
    if (config == NULL || serial == NULL || reason_name == NULL ||
        optind != argc) {
        revoke_usage(stderr);
        return 2;
    }
    /* Names only: numbers invite "7", which does not exist. */
    if (catena_reason_from_name(reason_name, &code) != CATENA_OK) {
        fprintf(stderr,
                "catena revoke: '%s' is not an RFC 5280 reason name "
                "(there is no reason 7; give a name, e.g. keyCompromise)\n",
                reason_name);
        revoke_usage(stderr);
        return 2;
    }
    if (catena_cli_load_config(config, &cfg) != 0) {
        goto out;
    }
    catena_cli_apply_log_level(cfg);
    /* Revocation signs nothing itself: no signer needed here. */
    if (catena_ca_open(cfg, 0, &ca, &err) != CATENA_OK ||
        catena_store_open(catena_ca_store_url(ca), &store, &err) !=
            CATENA_OK ||
        catena_ca_revoke(ca, store, serial, code, &err) != CATENA_OK) {
        fprintf(stderr, "catena revoke: %s: %s\n", catena_rc_name(err.code),
                err.msg);
        goto out;
    }
    printf("revoked %s (%s)\n", serial, reason_name);
    rc = 0;
out:
    catena_store_close(store);
    catena_ca_close(ca);
    catena_config_free(cfg);
    return rc;
}
