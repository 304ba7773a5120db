/*
 * worker.c - the validation pool: challenges move pending -> processing
 * when the client posts to them, a worker thread runs acme_validate() and
 * the CAA check, then writes valid/invalid to the challenge and its
 * authorization in one transaction. Each worker has its own store
 * connection (acme_srv_store is per thread).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "catena/caa.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"
#include "mpic.h"
#include "validate.h"

#define QUEUE_CAP 65536

enum acme_prob
acme_caa_run(struct acme_srv *srv, int64_t account_id, const char *domain,
             int wildcard, const char *method, int corroborate, char *detail,
             size_t detail_len)
{
    struct catena_caa_opts o = {0};
    struct catena_err err = {0};
    char acct[ACME_MAX_URL + 32];
    enum catena_rc rc;

    acme_url(srv, acct, sizeof(acct), "/acct/%lld", (long long)account_id);
    o.resolver = srv->dns_resolver;
    o.identities = srv->caa_ids;
    o.num_identities = srv->num_caa_ids;
    o.account_uri = acct;
    o.validation_method = method;
    rc = catena_caa_check(&o, domain, wildcard, CATENA_CAA_ISSUE, &err);
    if (rc == CATENA_OK && corroborate && srv->mpic != NULL) {
        struct acme_mpic_check c = {
            .id_type = "dns", .id_value = domain, .wildcard = wildcard,
            .caa = 1, .caa_ids = srv->caa_ids,
            .num_caa_ids = srv->num_caa_ids, .account_uri = acct,
            .method = method};
        return acme_mpic_corroborate(srv->mpic, &c, acme_now(), detail,
                                     detail_len);
    }
    if (rc == CATENA_OK) {
        return ACME_PROB_NONE;
    }
    /* The CAA message names the DNS record: the client's own data. */
    snprintf(detail, detail_len, "CAA for %s: %s", domain, err.msg);
    if (rc == CATENA_ERR_CAA) {
        return ACME_PROB_CAA;
    }
    /* Fail closed: any other failure is a DNS problem that refuses. */
    return ACME_PROB_DNS;
}

/* process validates challenge |chall_id| (http-01 through |curl|, the
 * worker's own libcurl handle, or NULL) and records the outcome; once it
 * is committed, it is also left in |oc| (oc->status set; the caller frees
 * oc->error_json). */
static void
process(struct acme_srv *srv, int64_t chall_id, void *curl,
        struct acme_chall_outcome *oc)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(chall_id)};
    struct catena_err err = {0}, verr = {0};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    struct catena_store *st = acme_srv_store(srv, &err);
    struct acme_validation_opts vo = {0};
    enum acme_validation_problem vp = ACME_VPROB_NONE;
    enum acme_prob prob = ACME_PROB_NONE;
    enum acme_chal_type ct;
    char keyauth[128], detail[600] = "", *errjson = NULL;
    const char *type, *token, *id_type, *id_value, *tp;
    int64_t authz_id, account_id, now;
    int wildcard;

    if (st == NULL) {
        CATENA_ERROR("acme: worker store: %s", err.msg);
        return;
    }
    if (catena_store_exec(st,
                          "SELECT c.type, c.token, c.status, a.id, "
                          "a.account_id, a.id_type, a.id_value, a.wildcard, "
                          "acc.thumbprint FROM acme_challenges c JOIN "
                          "acme_authzs a ON a.id = c.authz_id JOIN "
                          "acme_accounts acc ON acc.id = a.account_id WHERE "
                          "c.id = $1",
                          p, 1, &rows, &err) != CATENA_OK) {
        CATENA_ERROR("acme: worker load: %s", err.msg);
        return;
    }
    row = catena_rows_get(rows, 0);
    if (row == NULL || strcmp(catena_row_text(row, 2), "processing") != 0) {
        goto out;
    }
    type = catena_row_text(row, 0);
    token = catena_row_text(row, 1);
    authz_id = catena_row_int(row, 3);
    account_id = catena_row_int(row, 4);
    id_type = catena_row_text(row, 5);
    id_value = catena_row_text(row, 6);
    wildcard = catena_row_int(row, 7) != 0;
    tp = catena_row_text(row, 8);
    /* RFC 8555 8.1: keyAuthorization = token || '.' || thumbprint. */
    snprintf(keyauth, sizeof(keyauth), "%s.%s", token, tp);
    ct = acme_chal_type_parse(type);
    vo.resolver = srv->dns_resolver;
    vo.http_port = srv->http01_port;
    vo.tlsalpn_port = srv->tlsalpn01_port;
    vo.timeout_ms = 10000;
    vo.curl = curl;
    if (ct == ACME_CHAL__MAX || (wildcard && ct != ACME_CHAL_DNS01)) {
        prob = ACME_PROB_MALFORMED;
        snprintf(detail, sizeof(detail),
                 "challenge type not usable for this identifier");
    } else if (acme_validate(&vo, ct, id_type, id_value, token, keyauth, &vp,
                             &verr) != CATENA_OK) {
        prob = acme_prob_from_validation(vp);
        snprintf(detail, sizeof(detail), "%s", verr.msg);
    } else if (strcmp(id_type, "dns") == 0) {
        prob = acme_caa_run(srv, account_id, id_value, wildcard, type, 0,
                            detail, sizeof(detail));
    }
    /* This host's checks passed: the remote perspectives must agree on
     * both (BR 3.2.2.9), in one round. */
    if (prob == ACME_PROB_NONE && srv->mpic != NULL) {
        char acct[ACME_MAX_URL + 32];
        struct acme_mpic_check c = {
            .id_type = id_type, .id_value = id_value, .wildcard = wildcard,
            .chal_type = type, .token = token, .keyauth = keyauth,
            .caa = strcmp(id_type, "dns") == 0, .caa_ids = srv->caa_ids,
            .num_caa_ids = srv->num_caa_ids, .account_uri = acct,
            .method = type};

        acme_url(srv, acct, sizeof(acct), "/acct/%lld",
                 (long long)account_id);
        prob = acme_mpic_corroborate(srv->mpic, &c, acme_now(), detail,
                                     sizeof(detail));
    }
    now = acme_now();
    if (prob != ACME_PROB_NONE) {
        json_t *pj = acme_prob_json(prob, detail, NULL);
        errjson = pj != NULL ? json_dumps(pj, JSON_COMPACT) : NULL;
        json_decref(pj);
        CATENA_INFO("acme: challenge %lld (%s) invalid: %s",
                    (long long)chall_id, type, acme_prob_type(prob));
    } else {
        CATENA_INFO("acme: challenge %lld (%s) valid", (long long)chall_id,
                    type);
    }
    if (acme_tx_begin(st, &err) != CATENA_OK) {
        goto fail;
    }
    {
        struct catena_sql_param pc[] = {
            CATENA_SQL_P_TEXT(prob == ACME_PROB_NONE ? "valid" : "invalid"),
            CATENA_SQL_P_INT(prob == ACME_PROB_NONE ? now : 0),
            errjson != NULL ? CATENA_SQL_P_TEXT(errjson) : CATENA_SQL_P_NULL(),
            CATENA_SQL_P_INT(chall_id)};
        /* A valid authorization lasts no longer than its validation may
         * be relied on (BR 4.2.1): then every use of it, in this order or
         * reused by a later one, is within the limit. */
        struct catena_sql_param pa[] = {
            CATENA_SQL_P_TEXT(prob == ACME_PROB_NONE ? "valid" : "invalid"),
            CATENA_SQL_P_INT(prob == ACME_PROB_NONE ? now : 0),
            CATENA_SQL_P_TEXT(type), CATENA_SQL_P_INT(authz_id),
            CATENA_SQL_P_INT(now + acme_dcv_reuse_max(now))};
        if (catena_store_exec(st,
                             "UPDATE acme_challenges SET status = $1, "
                             "validated_at = $2, error = $3 WHERE id = $4",
                             pc, 4, NULL, &err) != CATENA_OK ||
            catena_store_exec(st,
                             "UPDATE acme_authzs SET status = $1, "
                             "validated_at = $2, caa_checked_at = $2, "
                             "method = $3, expires = CASE WHEN expires > $5 "
                             "THEN $5 ELSE expires END WHERE id = $4 AND "
                             "status = 'pending'",
                             pa, 5, NULL, &err) != CATENA_OK) {
            acme_tx_rollback(st);
            goto fail;
        }
    }
    if (acme_tx_commit(st, &err) != CATENA_OK) {
        goto fail;
    }
    oc->status = prob == ACME_PROB_NONE ? "valid" : "invalid";
    oc->validated_at = prob == ACME_PROB_NONE ? now : 0;
    oc->error_json = errjson;
    errjson = NULL;
    goto out;
fail:
    CATENA_ERROR("acme: challenge %lld: store: %s", (long long)chall_id,
                 err.msg);
out:
    free(errjson);
    catena_rows_free(rows);
}

static void *
worker_main(void *arg)
{
    struct acme_srv *srv = arg;
    struct acme_queue *q = &srv->queue;
    /* Kept for this worker's http-01 validations; without one, each
     * makes its own. */
    CURL *curl = curl_easy_init();

    for (;;) {
        int64_t id;
        pthread_mutex_lock(&q->mu);
        while (q->num == 0 && !q->stopping) {
            pthread_cond_wait(&q->cv, &q->mu);
        }
        if (q->stopping) {
            pthread_mutex_unlock(&q->mu);
            break;
        }
        id = q->ids[q->head];
        q->head = (q->head + 1) % q->cap;
        q->num--;
        pthread_mutex_unlock(&q->mu);
        struct acme_chall_outcome oc = {0};

        process(srv, id, curl, &oc);
        /* Whatever the outcome, a parked challenge POST can now answer;
         * without one committed, it reads the store. */
        acme_chall_done(srv, id, oc.status != NULL ? &oc : NULL);
        free(oc.error_json);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

int
acme_workers_enqueue(struct acme_srv *srv, int64_t id)
{
    struct acme_queue *q = &srv->queue;
    int ret = -1;

    pthread_mutex_lock(&q->mu);
    if (q->num < q->cap && !q->stopping) {
        q->ids[(q->head + q->num) % q->cap] = id;
        q->num++;
        pthread_cond_signal(&q->cv);
        ret = 0;
    }
    pthread_mutex_unlock(&q->mu);
    return ret;
}

enum catena_rc
acme_workers_start(struct acme_srv *srv, size_t num, struct catena_err *err)
{
    struct acme_queue *q = &srv->queue;

    q->ids = calloc(QUEUE_CAP, sizeof(*q->ids));
    srv->workers = calloc(num, sizeof(*srv->workers));
    if (q->ids == NULL || srv->workers == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "acme workers");
    }
    q->cap = QUEUE_CAP;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    for (size_t i = 0; i < num; i++) {
        if (pthread_create(&srv->workers[i], NULL, worker_main, srv) != 0) {
            return catena_err_set_errno(err, CATENA_ERR_INTERNAL,
                                        "pthread_create");
        }
        srv->num_workers++;
    }
    return CATENA_OK;
}

void
acme_workers_stop(struct acme_srv *srv)
{
    struct acme_queue *q = &srv->queue;

    if (q->ids == NULL) {
        free(srv->workers);
        return;
    }
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    for (size_t i = 0; i < srv->num_workers; i++) {
        pthread_join(srv->workers[i], NULL);
    }
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->ids);
    free(srv->workers);
    q->ids = NULL;
    srv->workers = NULL;
}
