/*
 * cmd_status.c - "catena status": verify the audit hash chain and print
 * counts. Exits non-zero if the chain is broken or the store fails.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "catena/config.h"
#include "catena/store.h"
#include "cmd_util.h"
#include "commands.h"

static const char *const status_names[CATENA_CERT_STATUS__MAX] = {
    [CATENA_CERT_RESERVED] = "reserved",
    [CATENA_CERT_ISSUED] = "issued",
    [CATENA_CERT_REVOKED] = "revoked",
    [CATENA_CERT_FAILED] = "failed",
};

static int
print_counts(struct catena_store *store)
{
    struct catena_err err;

    catena_err_clear(&err);
    printf("certificates:\n");
    for (int s = 0; s < CATENA_CERT_STATUS__MAX; s++) {
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(s)};
        struct catena_rows *rows = NULL;

        if (catena_store_exec(store,
                              "SELECT COUNT(*) FROM certificates WHERE "
                              "status = $1",
                              p, 1, &rows, &err) != CATENA_OK) {
            fprintf(stderr, "catena status: %s\n", err.msg);
            return -1;
        }
        printf("  %-9s %lld\n", status_names[s],
               (long long)catena_row_int(catena_rows_get(rows, 0), 0));
        catena_rows_free(rows);
    }
    return 0;
}

int
catena_cmd_status(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    struct catena_config *cfg = NULL;
    struct catena_store *store = NULL;
    struct catena_audit_summary sum;
    struct catena_err err;
    const char *url;
    enum catena_rc vrc;
    int rc = 1;
    int c;

    memset(&sum, 0, sizeof(sum));
    catena_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h':
            printf("usage: catena status --config FILE\n");
            return 0;
        default:
            fprintf(stderr, "usage: catena status --config FILE\n");
            return 2;
        }
    }
    if (config == NULL || optind != argc) {
        fprintf(stderr, "usage: catena status --config FILE\n");
        return 2;
    }
    if (catena_cli_load_config(config, &cfg) != 0) {
        goto out;
    }
    url = catena_config_get(cfg, "catena", NULL, "store", NULL);
    if (url == NULL) {
        fprintf(stderr, "catena status: [catena] store is not set\n");
        goto out;
    }
    if (catena_store_open(url, &store, &err) != CATENA_OK) {
        fprintf(stderr, "catena status: %s\n", err.msg);
        goto out;
    }
    if (print_counts(store) != 0) {
        goto out;
    }
    vrc = catena_store_audit_verify(store, &sum, &err);
    printf("audit records: %lld (issue %lld, refuse %lld, revoke %lld)\n",
           (long long)sum.num_records, (long long)sum.num_issue,
           (long long)sum.num_refuse, (long long)sum.num_revoke);
    if (vrc != CATENA_OK || sum.first_bad_id != 0) {
        printf("audit chain: BROKEN at record %lld\n",
               (long long)sum.first_bad_id);
        fprintf(stderr, "catena status: %s\n", err.msg);
        goto out;
    }
    printf("audit chain: ok\n");
    rc = 0;
out:
    catena_store_close(store);
    catena_config_free(cfg);
    return rc;
}
