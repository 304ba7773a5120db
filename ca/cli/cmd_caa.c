/*
 * cmd_caa.c - "catena caa check": the CAA decision (RFC 8659, RFC 8657,
 * RFC 9495 issuemail) for a name, as the ACME server and S/MIME issuance
 * make it, for operators investigating a refusal.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "catena/caa.h"
#include "catena/err.h"
#include "commands.h"

#define MAX_IDENTITIES 16

static void
caa_usage(FILE *out)
{
    fprintf(out,
            "usage: catena caa check --identity DOMAIN [--identity ...]\n"
            "                        [--resolver IP:PORT] [--wildcard | "
            "--email]\n"
            "                        [--account-uri URI] [--method "
            "http-01|dns-01|tls-alpn-01]\n"
            "                        NAME\n"
            "\n"
            "NAME is a DNS name, or with --email a mailbox whose domain "
            "part is checked\nfor issuemail. Exit 0: issuance permitted; 1: "
            "CAA forbids it or the lookup\nfailed (fail closed); 2: usage.\n");
}

int
catena_cmd_caa(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"identity", required_argument, NULL, 'i'},
        {"resolver", required_argument, NULL, 'r'},
        {"wildcard", no_argument, NULL, 'w'},
        {"email", no_argument, NULL, 'e'},
        {"account-uri", required_argument, NULL, 'a'},
        {"method", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *identities[MAX_IDENTITIES];
    struct catena_caa_opts opts = {.identities = identities};
    struct catena_err err = {0};
    enum catena_caa_kind kind = CATENA_CAA_ISSUE;
    const char *name;
    const char *at;
    int wildcard = 0;
    int c;

    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        caa_usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout
                                                               : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (opts.num_identities == MAX_IDENTITIES) {
                fprintf(stderr, "catena caa: at most %d identities\n",
                        MAX_IDENTITIES);
                return 2;
            }
            identities[opts.num_identities++] = optarg;
            break;
        case 'r': opts.resolver = optarg; break;
        case 'w': wildcard = 1; break;
        case 'e': kind = CATENA_CAA_ISSUEMAIL; break;
        case 'a': opts.account_uri = optarg; break;
        case 'm': opts.validation_method = optarg; break;
        case 'h': caa_usage(stdout); return 0;
        default: caa_usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || opts.num_identities == 0 ||
        (wildcard && kind == CATENA_CAA_ISSUEMAIL)) {
        caa_usage(stderr);
        return 2;
    }
    name = argv[optind];
    if (kind == CATENA_CAA_ISSUEMAIL) {
        /* RFC 9495: the relevant domain is the mailbox's domain part. */
        at = strrchr(name, '@');
        if (at == NULL || at == name || at[1] == '\0') {
            fprintf(stderr, "catena caa: '%s' is not a mailbox\n", name);
            return 2;
        }
        name = at + 1;
    } else if (strncmp(name, "*.", 2) == 0) {
        name += 2;
        wildcard = 1;
    }
    if (catena_caa_check(&opts, name, wildcard, kind, &err) != CATENA_OK) {
        printf("refused: %s (%s)\n", err.msg, catena_rc_name(err.code));
        return 1;
    }
    printf("permitted: %s%s (%s)\n", wildcard ? "*." : "", name,
           kind == CATENA_CAA_ISSUEMAIL ? "issuemail"
           : wildcard                   ? "issuewild"
                                        : "issue");
    return 0;
}
