/*
 * cmd_crl.c - "catena crl": publish (regenerate and sign every shard now),
 * urls (the CCADB JSON array of shard URLs), show (a summary of stored
 * shards) and export (write stored shards as DER files).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/crl.h"
#include "catena/store.h"
#include "cmd_util.h"
#include "commands.h"

static void
crl_usage(FILE *out)
{
    fprintf(out,
            "usage: catena crl publish --config FILE\n"
            "       catena crl urls    --config FILE\n"
            "       catena crl show    --config FILE\n"
            "       catena crl export  --config FILE --dir DIR\n"
            "publish  generate and sign every CRL shard now\n"
            "urls     print the JSON array of shard URLs (CCADB)\n"
            "show     summarise the stored shards\n"
            "export   write each stored shard to DIR/<issuer>-<shard>.crl\n");
}

int
catena_cmd_crl(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    const char *dir = NULL;
    const char *sub;
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_store *store = NULL;
    struct catena_err err;
    char *json = NULL;
    int need_signer, need_ca;
    int rc = 1;
    int c;

    catena_err_clear(&err);
    if (argc < 2) {
        crl_usage(stderr);
        return 2;
    }
    sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        crl_usage(stdout);
        return 0;
    }
    if (strcmp(sub, "publish") != 0 && strcmp(sub, "urls") != 0 &&
        strcmp(sub, "show") != 0 && strcmp(sub, "export") != 0) {
        crl_usage(stderr);
        return 2;
    }
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd': dir = optarg; break;
        case 'h': crl_usage(stdout); return 0;
        default: crl_usage(stderr); return 2;
        }
    }
    if (config == NULL || optind != argc - 1 ||
        (strcmp(sub, "export") == 0) != (dir != NULL)) {
        crl_usage(stderr);
        return 2;
    }
    if (catena_cli_load_config(config, &cfg) != 0) {
        goto out;
    }
    catena_cli_apply_log_level(cfg);
    need_signer = strcmp(sub, "publish") == 0;
    need_ca = need_signer || strcmp(sub, "urls") == 0;
    if (need_ca && catena_ca_open(cfg, need_signer, &ca, &err) != CATENA_OK) {
        goto fail;
    }
    if (strcmp(sub, "urls") == 0) {
        if (catena_crl_urls_json(ca, &json, &err) != CATENA_OK) {
            goto fail;
        }
        printf("%s\n", json);
        rc = 0;
        goto out;
    }
    if (catena_store_open(catena_config_get(cfg, "catena", NULL, "store",
                                            ""),
                          &store, &err) != CATENA_OK) {
        goto fail;
    }
    if (strcmp(sub, "publish") == 0) {
        if (catena_crl_publish_all(ca, cfg, store, stdout, &err) !=
            CATENA_OK) {
            goto fail;
        }
    } else if (strcmp(sub, "show") == 0) {
        if (catena_crl_show(store, stdout, &err) != CATENA_OK) {
            goto fail;
        }
    } else if (catena_crl_export(store, dir, &err) != CATENA_OK) {
        goto fail;
    }
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "catena crl %s: %s: %s\n", sub, catena_rc_name(err.code),
            err.msg);
out:
    free(json);
    catena_store_close(store);
    catena_ca_close(ca);
    catena_config_free(cfg);
    return rc;
}
