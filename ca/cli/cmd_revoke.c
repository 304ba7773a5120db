/* cmd_revoke.c - "catena revoke": revoke one certificate by serial, or a
 * list of them (mass revocation, with the ARI "renew now" step before). */
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
            "       catena revoke --config FILE --serials-from FILE|- "
            "--reason NAME\n"
            "                     [--unreplaced OUT]\n"
            "       catena revoke --config FILE --serials-from FILE|- "
            "--renew-now\n"
            "                     [--unreplaced OUT]\n"
            "--renew-now moves each listed certificate's ARI window into the "
            "past (RFC 9773)\n"
            "so ACME clients renew at once; run it first, revoke later. "
            "--unreplaced\n"
            "writes the serials that no newer certificate has replaced "
            "yet.\n"
            "reasons (RFC 5280): unspecified keyCompromise cACompromise "
            "affiliationChanged\n"
            "  superseded cessationOfOperation certificateHold "
            "removeFromCRL\n"
            "  privilegeWithdrawn aACompromise (which are allowed depends on "
            "the profile)\n");
}

/* mass prints the summary of a list run; 0 when the whole list went
 * through (refusals of single serials make it 1, so scripts notice). */
static int
mass(struct catena_ca *ca, struct catena_store *store, const char *from,
     int renew, int code, const char *unreplaced_path)
{
    FILE *in = strcmp(from, "-") == 0 ? stdin : fopen(from, "r");
    FILE *unrep = NULL;
    struct catena_mass_summary sum;
    struct catena_err err;
    enum catena_rc rc;

    catena_err_clear(&err);
    if (in == NULL) {
        perror(from);
        return 1;
    }
    if (unreplaced_path != NULL &&
        (unrep = fopen(unreplaced_path, "w")) == NULL) {
        perror(unreplaced_path);
        if (in != stdin) {
            fclose(in);
        }
        return 1;
    }
    rc = catena_ca_mass_revoke(ca, store, in,
                               renew ? CATENA_MASS_RENEW_NOW
                                     : CATENA_MASS_REVOKE,
                               code, unrep, &sum, &err);
    if (in != stdin) {
        fclose(in);
    }
    if (unrep != NULL && fclose(unrep) != 0 && rc == CATENA_OK) {
        perror(unreplaced_path);
        rc = CATENA_ERR_IO;
    }
    printf("listed %zu: %s %zu, %s %zu, unknown %zu, refused %zu; "
           "replaced by a newer certificate %zu, not replaced %zu\n",
           sum.listed, renew ? "renew-now set" : "revoked", sum.done,
           renew ? "not in use" : "already revoked", sum.already,
           sum.unknown, sum.refused, sum.replaced, sum.not_replaced);
    if (rc != CATENA_OK) {
        fprintf(stderr, "catena revoke: stopped: %s: %s (rerun the list to "
                        "finish; done rows stay done)\n",
                catena_rc_name(err.code), err.msg);
        return 1;
    }
    return sum.unknown + sum.refused > 0;
}

int
catena_cmd_revoke(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"serial", required_argument, NULL, 's'},
        {"serials-from", required_argument, NULL, 'f'},
        {"reason", required_argument, NULL, 'r'},
        {"renew-now", no_argument, NULL, 'n'},
        {"unreplaced", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    const char *serial = NULL;
    const char *from = NULL;
    const char *reason_name = NULL;
    const char *unreplaced = NULL;
    int renew = 0;
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
        case 'f': from = optarg; break;
        case 'r': reason_name = optarg; break;
        case 'n': renew = 1; break;
        case 'u': unreplaced = optarg; break;
        case 'h': revoke_usage(stdout); return 0;
        default: revoke_usage(stderr); return 2;
        }
    }
    /* Exactly one of --serial / --serials-from; a reason unless the list
     * only gets the renewal signal; --unreplaced only with a list. */
    if (config == NULL || optind != argc || (serial == NULL) == (from == NULL) ||
        (renew && (from == NULL || reason_name != NULL)) ||
        (!renew && reason_name == NULL) ||
        (unreplaced != NULL && from == NULL)) {
        revoke_usage(stderr);
        return 2;
    }
    /* Names only: numbers invite "7", which does not exist. */
    if (!renew && catena_reason_from_name(reason_name, &code) != CATENA_OK) {
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
            CATENA_OK) {
        fprintf(stderr, "catena revoke: %s: %s\n", catena_rc_name(err.code),
                err.msg);
        goto out;
    }
    if (from != NULL) {
        rc = mass(ca, store, from, renew, code, unreplaced);
        goto out;
    }
    if (catena_ca_revoke(ca, store, serial, code, &err) != CATENA_OK) {
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
