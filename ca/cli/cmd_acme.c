/*
 * cmd_acme.c - "catena acme eab": create External Account Binding keys
 * (RFC 8555 7.3.4) to hand to ACME clients, list them with the accounts
 * they bound, and remove one not yet used. Works on the store directly;
 * no server needed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "catena/acme.h"
#include "catena/config.h"
#include "catena/store.h"
#include "cmd_util.h"
#include "commands.h"

static void
acme_usage(FILE *out)
{
    fprintf(out,
            "usage: catena acme eab add    --config FILE [--kid KID]\n"
            "       catena acme eab list   --config FILE\n"
            "       catena acme eab remove --config FILE --kid KID\n"
            "add   create a key for one ACME account; prints its kid and\n"
            "      the base64url HMAC key (certbot --eab-kid/--eab-hmac-key,\n"
            "      lego --eab --kid/--hmac). KID: 1-%d of A-Z a-z 0-9 . _ -,\n"
            "      not starting with - (default: 32 random hex digits)\n"
            "list  the keys: kid, created, bound, account\n"
            "remove  delete a key not yet bound to an account\n",
            CATENA_ACME_EAB_MAX_KID);
}

/* eab_add creates a key and prints it; the HMAC key is wiped after. */
static int
eab_add(struct catena_store *store, const char *kid)
{
    char kid_out[CATENA_ACME_EAB_MAX_KID + 1];
    char *hmac = NULL;
    struct catena_err err;
    int rc = 1;

    catena_err_clear(&err);
    if (catena_acme_eab_add(store, kid, kid_out, &hmac, &err) != CATENA_OK) {
        fprintf(stderr, "catena acme eab add: %s\n", err.msg);
        return 1;
    }
    printf("kid: %s\nhmac_key: %s\n", kid_out, hmac);
    if (fflush(stdout) == 0 && !ferror(stdout)) {
        rc = 0;
    } else {
        /* The key exists but nobody saw it: say so rather than lose it. */
        fprintf(stderr,
                "catena acme eab add: writing the key failed; kid %s was "
                "created and cannot be shown again\n",
                kid_out);
    }
    OPENSSL_cleanse(hmac, strlen(hmac));
    free(hmac);
    return rc;
}

int
catena_cmd_acme(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"kid", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *kid = NULL, *url, *sub;
    struct catena_config *cfg = NULL;
    struct catena_store *store = NULL;
    struct catena_err err;
    char base[1024];
    int rc = 1;
    int c;

    catena_err_clear(&err);
    if (argc >= 2 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        acme_usage(stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "eab") != 0 ||
        (strcmp(argv[2], "add") != 0 && strcmp(argv[2], "list") != 0 &&
         strcmp(argv[2], "remove") != 0)) {
        acme_usage(stderr);
        return 2;
    }
    sub = argv[2];
    optind = 1;
    while ((c = getopt_long(argc - 2, argv + 2, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'k': kid = optarg; break;
        case 'h': acme_usage(stdout); return 0;
        default: acme_usage(stderr); return 2;
        }
    }
    if (config == NULL || optind != argc - 2 ||
        (kid != NULL && strcmp(sub, "list") == 0) ||
        (kid == NULL && strcmp(sub, "remove") == 0)) {
        acme_usage(stderr);
        return 2;
    }
    if (catena_cli_load_config(config, &cfg) != 0) {
        goto out;
    }
    catena_cli_apply_log_level(cfg);
    url = catena_config_get(cfg, "catena", NULL, "store", NULL);
    if (url == NULL) {
        fprintf(stderr, "catena acme: [catena] store is not set\n");
        goto out;
    }
    if (catena_store_open(url, &store, &err) != CATENA_OK) {
        fprintf(stderr, "catena acme: %s\n", err.msg);
        goto out;
    }
    if (strcmp(sub, "add") == 0) {
        rc = eab_add(store, kid);
        goto out;
    }
    if (strcmp(sub, "remove") == 0) {
        if (catena_acme_eab_remove(store, kid, &err) != CATENA_OK) {
            fprintf(stderr, "catena acme eab remove: %s\n", err.msg);
            goto out;
        }
        printf("removed %s\n", kid);
        rc = 0;
        goto out;
    }
    url = catena_config_get(cfg, "acme", NULL, "base_url", NULL);
    if (url != NULL) {
        /* The server drops trailing slashes from base_url; so do we. */
        size_t n;
        snprintf(base, sizeof(base), "%s", url);
        for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--) {
            base[n - 1] = '\0';
        }
    }
    if (catena_acme_eab_list(store, url != NULL ? base : NULL, stdout,
                             &err) != CATENA_OK) {
        fprintf(stderr, "catena acme eab list: %s\n", err.msg);
        goto out;
    }
    rc = 0;
out:
    catena_store_close(store);
    catena_config_free(cfg);
    return rc;
}
