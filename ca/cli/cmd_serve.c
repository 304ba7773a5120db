/*
 * cmd_serve.c - "catena serve": the signer, the store, the plain-HTTP
 * listener (/health, /ca/<issuer>.der) and every configured service, until
 * SIGTERM or SIGINT. "--check" only validates the configuration.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/http.h"
#include "catena/log.h"
#include "catena/service.h"
#include "catena/store.h"
#include "cmd_util.h"
#include "commands.h"

#define MAX_SERVICES 8

static void
serve_usage(FILE *out)
{
    fprintf(out, "usage: catena serve --config FILE [--check]\n");
}

/* Children (the signer) must not inherit our blocked termination
 * signals across exec, or they could not be stopped. */
static void
unblock_in_child(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* GET /ca/<issuer>.der: the caIssuers URL put into every certificate. */
static int
serve_ca_cert(void *ctx, const struct catena_http_request *req,
              struct catena_http_response *resp)
{
    struct catena_ca *ca = ctx;
    const char *name = req->path + strlen("/ca/");
    const char *dot = strrchr(name, '.');
    char issuer[64];
    const uint8_t *der;
    size_t len = 0;

    if (dot == NULL || strcmp(dot, ".der") != 0 ||
        (size_t)(dot - name) >= sizeof(issuer) || dot == name) {
        return catena_http_response_body(resp, 404, "text/plain",
                                         "not found\n", 10);
    }
    memcpy(issuer, name, (size_t)(dot - name));
    issuer[dot - name] = '\0';
    der = catena_ca_issuer_cert(ca, issuer, &len);
    if (der == NULL) {
        return catena_http_response_body(resp, 404, "text/plain",
                                         "not found\n", 10);
    }
    return catena_http_response_body(resp, 200, "application/pkix-cert", der,
                                     len);
}

static int
check_required(const struct catena_config *cfg)
{
    static const char *const required[] = {"store", "base_url"};
    size_t num = 0;
    int rc = 0;

    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (catena_config_get(cfg, "catena", NULL, required[i], NULL) ==
            NULL) {
            fprintf(stderr, "catena serve: [catena] %s is required\n",
                    required[i]);
            rc = 1;
        }
    }
    (void)catena_config_subs(cfg, "issuer", &num);
    if (num == 0) {
        fprintf(stderr, "catena serve: no [issuer \"...\"] section\n");
        rc = 1;
    }
    return rc;
}

int
catena_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int check = 0;
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_http_server *http = NULL;
    struct catena_http_options hopts;
    void *states[MAX_SERVICES] = {0};
    size_t started = 0;
    struct catena_err err;
    sigset_t set;
    int64_t threads = 4;
    int sig = 0;
    int rc = 1;
    int c;

    catena_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'k': check = 1; break;
        case 'h': serve_usage(stdout); return 0;
        default: serve_usage(stderr); return 2;
        }
    }
    if (config == NULL || optind != argc) {
        serve_usage(stderr);
        return 2;
    }
    if (catena_cli_load_config(config, &cfg) != 0) {
        return 1;
    }
    if (check) {
        rc = check_required(cfg);
        if (rc == 0) {
            printf("%s: ok\n", config);
        }
        catena_config_free(cfg);
        return rc;
    }
    catena_cli_apply_log_level(cfg);

    /* Block the termination signals in every thread we will create and
     * wait for them with sigwait: no async handler, no races. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
        pthread_atfork(NULL, NULL, unblock_in_child) != 0) {
        fprintf(stderr, "catena serve: cannot set up signals\n");
        goto out;
    }
    if (catena_ca_open(cfg, 1, &ca, &err) != CATENA_OK) {
        fprintf(stderr, "catena serve: %s\n", err.msg);
        goto out;
    }
    /* Before the services open their connections (they then leave
     * checkpoints to it). */
    if (catena_store_checkpointer_start(
            catena_config_get(cfg, "catena", NULL, "store", NULL), &err) !=
        CATENA_OK) {
        fprintf(stderr, "catena serve: %s\n", err.msg);
        goto out;
    }
    if (catena_config_get_int(cfg, "http", NULL, "threads", 4, &threads,
                              &err) != CATENA_OK ||
        threads < 1 || threads > 256) {
        fprintf(stderr, "catena serve: [http] threads must be 1..256\n");
        goto out;
    }
    memset(&hopts, 0, sizeof(hopts));
    hopts.listen =
        catena_config_get(cfg, "http", NULL, "listen", "127.0.0.1:8080");
    hopts.num_threads = (unsigned)threads;
    if (catena_http_server_new(&hopts, &http, &err) != CATENA_OK ||
        catena_http_route(http, "GET", "/ca/", serve_ca_cert, ca, &err) !=
            CATENA_OK) {
        fprintf(stderr, "catena serve: %s\n", err.msg);
        goto out;
    }
    {
        struct catena_service_env env = {.ca = ca, .cfg = cfg, .http = http};

        for (size_t i = 0;
             i < catena_cli_num_services && i < MAX_SERVICES; i++) {
            const struct catena_service *svc = catena_cli_services[i];

            if (svc->start(&env, &states[i], &err) != CATENA_OK) {
                fprintf(stderr, "catena serve: service %s: %s\n", svc->name,
                        err.msg);
                goto out;
            }
            started = i + 1;
            printf("service %s: %s\n", svc->name,
                   states[i] != NULL ? "on" : "off");
        }
    }
    if (catena_http_server_start(http, &err) != CATENA_OK) {
        fprintf(stderr, "catena serve: %s\n", err.msg);
        goto out;
    }
    printf("listening on http://%s (port %d)\n  health: /health\n"
           "  public base URL: %s\n",
           hopts.listen, catena_http_server_port(http),
           catena_ca_base_url(ca));
    fflush(stdout);
    CATENA_INFO("serving; signer pid %d",
                catena_signer_pid(catena_ca_signer(ca)));
    if (sigwait(&set, &sig) != 0) {
        fprintf(stderr, "catena serve: sigwait failed\n");
        goto out;
    }
    CATENA_INFO("signal %d: shutting down", sig);
    rc = 0;
out:
    /* Services first (they may use the listener and the signer), then the
     * listener (finishes in-flight requests), then the signer. */
    while (started > 0) {
        started--;
        catena_cli_services[started]->stop(states[started]);
    }
    catena_http_server_free(http);
    catena_store_checkpointer_stop();
    catena_ca_close(ca);
    catena_config_free(cfg);
    return rc;
}
