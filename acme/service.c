/*
 * service.c - the ACME front door as a catena_service: its [acme]
 * configuration schema and the start/stop pair "catena serve" calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "catena/acme.h"
#include "catena/config.h"
#include "catena/ca.h"
#include "catena/http.h"
#include "catena/log.h"
#include "catena/service.h"
#include "catena/store.h"
#include "internal.h"
#include "mpic.h"

static const struct catena_config_key acme_keys[] = {
    {"enabled", CATENA_CONF_BOOL, "serve ACME (default false)"},
    {"listen", CATENA_CONF_LISTEN, "HTTPS listen address, e.g. 127.0.0.1:14000"},
    {"threads", CATENA_CONF_INT, "HTTP worker threads (default 8)"},
    {"tls_cert", CATENA_CONF_PATH, "PEM chain of the HTTPS certificate"},
    {"tls_key", CATENA_CONF_PATH, "PEM private key of the HTTPS certificate"},
    {"base_url", CATENA_CONF_STRING,
     "external https base URL; the directory is <base_url>/directory"},
    {"terms_of_service", CATENA_CONF_STRING, "meta.termsOfService URL"},
    {"website", CATENA_CONF_STRING, "meta.website URL"},
    {"caa_identities", CATENA_CONF_STRING,
     "comma list of CAA issuer domains naming this CA"},
    {"external_account_required", CATENA_CONF_BOOL,
     "newAccount needs an External Account Binding (catena acme eab add; "
     "default false)"},
    {"nonce_lifetime", CATENA_CONF_DURATION, "nonce validity (default 1h)"},
    {"authz_reuse", CATENA_CONF_DURATION,
     "reuse valid authorizations of the account this long (default 0)"},
    {"caa_reuse", CATENA_CONF_DURATION,
     "recheck CAA at finalize when older than this (default 8h)"},
    {"order_lifetime", CATENA_CONF_DURATION, "order expiry (default 7d)"},
    {"authz_lifetime", CATENA_CONF_DURATION,
     "pending authorization expiry (default 7d)"},
    {"workers", CATENA_CONF_INT, "validation worker threads (default 4)"},
    {"dns_resolver", CATENA_CONF_STRING,
     "DNS server ip:port for dns-01, CAA and A/AAAA (default system)"},
    {"http01_port", CATENA_CONF_INT, "port for http-01 (default 80)"},
    {"tlsalpn01_port", CATENA_CONF_INT, "port for tls-alpn-01 (default 443)"},
    {"challenge_wait", CATENA_CONF_DURATION,
     "answer a challenge POST when its validation ends, waiting at most "
     "this long (0..10s, default 1s; 0 = answer \"processing\" at once)"},
    {"ari_explanation_url", CATENA_CONF_STRING,
     "explanationURL in renewalInfo answers"},
    {"perspective_ca", CATENA_CONF_PATH,
     "PEM trust anchors of the remote perspectives' HTTPS certificates"},
    {"perspective_secret_file", CATENA_CONF_PATH,
     "file with the secret presented to the remote perspectives"},
    {"perspective_timeout", CATENA_CONF_DURATION,
     "how long to wait for all remote perspectives (1..60s, default 15s)"},
};

static const struct catena_config_schema acme_schema = {
    "acme", 0, acme_keys, sizeof(acme_keys) / sizeof(acme_keys[0])};

static const struct catena_config_schema *const acme_schemas[] = {
    &acme_schema, &acme_mpic_perspective_schema};

/* The route handler lives in server.c. */
int acme_dispatch(void *ctx, const struct catena_http_request *req,
                  struct catena_http_response *resp);

static void
store_destructor(void *p)
{
    catena_store_close(p);
}

static void
srv_free(struct acme_srv *srv)
{
    if (srv == NULL) {
        return;
    }
    /* Parked answers go out first (the listener cannot stop with any).
     * The listener's threads close their store connections as they exit,
     * so it goes next, then the workers, then the key. */
    acme_waits_stop(srv);
    catena_http_server_free(srv->http);
    acme_workers_stop(srv);
    acme_waits_free(srv);
    if (srv->store_key_ok) {
        struct catena_store *st = pthread_getspecific(srv->store_key);
        catena_store_close(st);
        pthread_setspecific(srv->store_key, NULL);
        pthread_key_delete(srv->store_key);
    }
    free(srv->caa_buf);
    acme_mpic_free(srv->mpic);
    acme_nonce_key_clear(&srv->nonce_key);
    free(srv);
}

static enum catena_rc
get_dur(const struct catena_config *cfg, const char *key, int64_t def,
        int64_t *out, struct catena_err *err)
{
    return catena_config_get_duration(cfg, "acme", NULL, key, def, out, err);
}

/* split_caa_ids splits the comma list of CAA identities. */
static enum catena_rc
split_caa_ids(struct acme_srv *srv, const char *list, struct catena_err *err)
{
    char *cur, *next;

    if (list == NULL || list[0] == '\0') {
        return CATENA_OK;
    }
    srv->caa_buf = strdup(list);
    if (srv->caa_buf == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "caa_identities");
    }
    for (cur = srv->caa_buf; cur != NULL; cur = next) {
        next = strchr(cur, ',');
        if (next != NULL) {
            *next++ = '\0';
        }
        while (*cur == ' ') {
            cur++;
        }
        for (char *e = cur + strlen(cur); e > cur && e[-1] == ' ';) {
            *--e = '\0';
        }
        if (*cur == '\0') {
            continue;
        }
        if (srv->num_caa_ids >= ACME_MAX_CAA_IDS) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "acme.caa_identities: at most %d entries",
                                  ACME_MAX_CAA_IDS);
        }
        srv->caa_ids[srv->num_caa_ids++] = cur;
    }
    return CATENA_OK;
}

/* requeue_processing hands challenges left "processing" by a previous run
 * back to the workers. */
static void
requeue_processing(struct acme_srv *srv, struct catena_store *st)
{
    struct catena_rows *rows = NULL;

    if (catena_store_exec(st,
                          "SELECT id FROM acme_challenges WHERE status = "
                          "'processing' LIMIT 10000",
                          NULL, 0, &rows, NULL) != CATENA_OK) {
        return;
    }
    for (size_t i = 0; i < catena_rows_count(rows); i++) {
        if (acme_workers_enqueue(srv, catena_row_int(catena_rows_get(rows, i),
                                                     0)) != 0) {
            break;
        }
    }
    catena_rows_free(rows);
}

static enum catena_rc
acme_start(const struct catena_service_env *env, void **state,
           struct catena_err *err)
{
    const struct catena_config *cfg = env->cfg;
    struct acme_srv *srv = NULL;
    struct catena_store *st = NULL;
    struct catena_http_options ho = {0};
    int enabled = 0, ear = 0;
    int64_t workers = 4, threads = 8, port = 0, chall_wait = 1;
    const char *base, *slash;
    char route[ACME_MAX_URL + 2];
    enum catena_rc rc;

    *state = NULL;
    rc = catena_config_get_bool(cfg, "acme", NULL, "enabled", 0, &enabled,
                                err);
    if (rc != CATENA_OK || !enabled) {
        return rc;
    }
    rc = catena_config_get_bool(cfg, "acme", NULL,
                                "external_account_required", 0, &ear, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "acme");
    }
    srv->eab_required = ear;
    srv->ca = env->ca;
    srv->store_url = catena_ca_store_url(env->ca);
    base = catena_config_get(cfg, "acme", NULL, "base_url", NULL);
    if (base == NULL || strncmp(base, "https://", 8) != 0 ||
        strlen(base) >= ACME_MAX_URL - 64) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.base_url must be set to an https:// URL");
        goto out;
    }
    snprintf(srv->base_url, sizeof(srv->base_url), "%s", base);
    while (strlen(srv->base_url) > 8 &&
           srv->base_url[strlen(srv->base_url) - 1] == '/') {
        srv->base_url[strlen(srv->base_url) - 1] = '\0';
    }
    slash = strchr(srv->base_url + 8, '/');
    snprintf(srv->base_path, sizeof(srv->base_path), "%s",
             slash != NULL ? slash : "");
    srv->terms_of_service =
        catena_config_get(cfg, "acme", NULL, "terms_of_service", NULL);
    srv->website = catena_config_get(cfg, "acme", NULL, "website", NULL);
    srv->dns_resolver =
        catena_config_get(cfg, "acme", NULL, "dns_resolver", NULL);
    srv->ari_explanation_url =
        catena_config_get(cfg, "acme", NULL, "ari_explanation_url", NULL);
    if ((rc = split_caa_ids(srv, catena_config_get(cfg, "acme", NULL,
                                                   "caa_identities", NULL),
                            err)) != CATENA_OK ||
        (rc = get_dur(cfg, "nonce_lifetime", 3600, &srv->nonce_lifetime,
                      err)) != CATENA_OK ||
        (rc = get_dur(cfg, "authz_reuse", 0, &srv->authz_reuse, err)) !=
            CATENA_OK ||
        (rc = get_dur(cfg, "caa_reuse", 8 * 3600, &srv->caa_reuse, err)) !=
            CATENA_OK ||
        (rc = get_dur(cfg, "order_lifetime", 7 * 86400, &srv->order_lifetime,
                      err)) != CATENA_OK ||
        (rc = get_dur(cfg, "authz_lifetime", 7 * 86400, &srv->authz_lifetime,
                      err)) != CATENA_OK ||
        (rc = get_dur(cfg, "challenge_wait", 1, &chall_wait, err)) !=
            CATENA_OK ||
        (rc = catena_config_get_int(cfg, "acme", NULL, "workers", 4, &workers,
                                    err)) != CATENA_OK ||
        (rc = catena_config_get_int(cfg, "acme", NULL, "threads", 8, &threads,
                                    err)) != CATENA_OK) {
        goto out;
    }
    /* TLS BR 3.2.2.8: issue within 8 hours of the CAA check (or the
     * record's TTL if longer, which is not kept): a longer reuse would let
     * a stale check stand in for the one the BRs require. */
    if (srv->caa_reuse < 0 || srv->caa_reuse > 8 * 3600) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.caa_reuse: 0..8h (TLS BR 3.2.2.8 allows "
                            "issuance at most 8 hours after the CAA check)");
        goto out;
    }
    if (chall_wait < 0 || chall_wait > 10) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.challenge_wait: 0..10s");
        goto out;
    }
    srv->challenge_wait_ms = chall_wait * 1000;
    rc = acme_mpic_load(cfg, acme_now(), &srv->mpic, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    if (workers < 1 || workers > 256 || threads < 1 || threads > 256) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.workers and acme.threads: 1..256");
        goto out;
    }
    if ((rc = catena_config_get_int(cfg, "acme", NULL, "http01_port", 80,
                                    &port, err)) != CATENA_OK) {
        goto out;
    }
    srv->http01_port = (int)port;
    if ((rc = catena_config_get_int(cfg, "acme", NULL, "tlsalpn01_port", 443,
                                    &port, err)) != CATENA_OK) {
        goto out;
    }
    srv->tlsalpn01_port = (int)port;
    if (srv->http01_port < 1 || srv->http01_port > 65535 ||
        srv->tlsalpn01_port < 1 || srv->tlsalpn01_port > 65535) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.http01_port/tlsalpn01_port: 1..65535");
        goto out;
    }
    if (pthread_key_create(&srv->store_key, store_destructor) != 0) {
        rc = catena_err_set(err, CATENA_ERR_INTERNAL, "pthread_key_create");
        goto out;
    }
    srv->store_key_ok = 1;
    rc = catena_store_open(srv->store_url, &st, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    rc = acme_db_migrate(st, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    rc = acme_nonce_key_load(st, &srv->nonce_key, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    rc = acme_workers_start(srv, (size_t)workers, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    rc = acme_waits_start(srv, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    requeue_processing(srv, st);
    ho.listen = catena_config_get(cfg, "acme", NULL, "listen",
                                  "127.0.0.1:14000");
    ho.tls_cert_file = catena_config_get(cfg, "acme", NULL, "tls_cert", NULL);
    ho.tls_key_file = catena_config_get(cfg, "acme", NULL, "tls_key", NULL);
    ho.num_threads = (unsigned)threads;
    ho.max_body = ACME_MAX_BODY;
    if (ho.tls_cert_file == NULL || ho.tls_key_file == NULL) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.tls_cert and acme.tls_key are required "
                            "(ACME is served over HTTPS only)");
        goto out;
    }
    rc = catena_http_server_new(&ho, &srv->http, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    snprintf(route, sizeof(route), "%s/", srv->base_path);
    rc = catena_http_route(srv->http, NULL, route, acme_dispatch, srv, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    rc = catena_http_server_start(srv->http, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    CATENA_INFO("acme: directory %s/directory (listening on %s)",
                srv->base_url, ho.listen);
    fprintf(stdout, "ACME directory: %s/directory\n", srv->base_url);
    fflush(stdout);
    *state = srv;
    srv = NULL;
out:
    catena_store_close(st);
    srv_free(srv);
    return rc;
}

static void
acme_stop(void *state)
{
    srv_free(state);
}

const struct catena_service catena_acme_service = {
    "acme", acme_schemas, sizeof(acme_schemas) / sizeof(acme_schemas[0]),
    acme_start, acme_stop};
