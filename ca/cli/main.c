/* main.c - the catena binary: dispatch to a sub-command. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "catena/ca.h"
#include "commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"init", catena_cmd_init, "create a root, issuing CAs and a config"},
    {"issue", catena_cmd_issue, "issue a certificate from a CSR"},
    {"revoke", catena_cmd_revoke, "revoke a certificate"},
    {"status", catena_cmd_status, "verify the audit chain, print counts"},
    {"serve", catena_cmd_serve, "run the configured services"},
    {"lint", catena_cmd_lint, "lint certificates, CRLs, OCSP responses"},
    {"crl", catena_cmd_crl, "publish, list and show CRL shards"},
    {"caa", catena_cmd_caa, "check CAA (issue, issuewild, issuemail)"},
    {"acme", catena_cmd_acme, "ACME External Account Binding keys"},
    {"perspective", catena_cmd_perspective,
     "run a remote network perspective (MPIC, TLS BR 3.2.2.9)"},
    {"signer", catena_signer_main, "(internal) the key-holding process"},
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: catena <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    }
}

int
main(int argc, char **argv)
{
    /* A peer that goes away (the signer, an HTTP client, a closed stdout
     * pipe) must become an EPIPE error we report, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "catena: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
