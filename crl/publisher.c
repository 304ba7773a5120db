/*
 * publisher.c - the CRL/OCSP service thread of "catena serve".
 *
 * One thread keeps every shard fresh: it regenerates a shard when its
 * refresh interval has passed, when a revocation touched it (told by the
 * core's listener in this process, or found by polling the store for
 * revocations made by other processes and nodes), and reloads shards
 * another node published. The served copy is swapped under a lock only
 * after the new CRL is signed and stored, so readers always get a whole,
 * valid CRL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/http.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

/* How often the thread looks at the store when nothing wakes it. */
#define POLL_SECONDS 2
/* Revocations younger than this are re-read on every poll, so one that
 * commits late (its revoked_at is taken before the commit) is not lost. */
#define RECENT_WINDOW 120
#define OCSP_REFRESH_EVERY 30

enum catena_rc
crl_pool_get(struct crl_service *svc, struct catena_store **out,
             struct catena_err *err)
{
    pthread_mutex_lock(&svc->pool_lock);
    if (svc->pool_len > 0) {
        *out = svc->pool[--svc->pool_len];
        pthread_mutex_unlock(&svc->pool_lock);
        return CATENA_OK;
    }
    pthread_mutex_unlock(&svc->pool_lock);
    return catena_store_open(catena_ca_store_url(svc->ca), out, err);
}

void
crl_pool_put(struct crl_service *svc, struct catena_store *store)
{
    if (store == NULL) {
        return;
    }
    pthread_mutex_lock(&svc->pool_lock);
    if (svc->pool_len < CRL_POOL_MAX) {
        svc->pool[svc->pool_len++] = store;
        store = NULL;
    }
    pthread_mutex_unlock(&svc->pool_lock);
    catena_store_close(store);
}

/* swap_in makes |sh| the served copy of its shard (takes its DER). */
static void
swap_in(struct crl_service *svc, struct pub_shard *ps, struct crl_shard *sh)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    struct crl_shard old;

    SHA256(sh->der, sh->der_len, md);
    pthread_rwlock_wrlock(&svc->pub_lock);
    old = ps->cur;
    ps->cur = *sh;
    memset(sh, 0, sizeof(*sh));
    /* A strong validator over the exact bytes (RFC 9110 8.8.3). */
    snprintf(ps->etag, sizeof(ps->etag),
             "\"%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x\"", md[0],
             md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9],
             md[10], md[11]);
    crl_http_date(ps->cur.this_update, ps->last_modified);
    pthread_rwlock_unlock(&svc->pub_lock);
    crl_shard_clear(&old);
}

static struct pub_shard *
find_shard(struct crl_service *svc, int64_t issuer_id, const char *issuer,
           int shard)
{
    for (size_t i = 0; i < svc->num_shards; i++) {
        struct pub_shard *ps = &svc->shards[i];

        if (ps->shard == shard &&
            (issuer != NULL ? strcmp(ps->issuer, issuer) == 0
                            : ps->issuer_id == issuer_id)) {
            return ps;
        }
    }
    return NULL;
}

static void
mark_dirty(struct crl_service *svc, int64_t issuer_id, const char *issuer,
           int shard, const char *serial)
{
    struct pub_shard *ps;

    pthread_mutex_lock(&svc->lock);
    ps = find_shard(svc, issuer_id, issuer, shard);
    if (ps != NULL) {
        ps->dirty = 1;
    }
    svc->wake = 1;
    pthread_cond_signal(&svc->cond);
    pthread_mutex_unlock(&svc->lock);
    crl_ocsp_invalidate(svc->ocsp, serial);
}

/* on_revoke is the core's listener: the revocation has committed. */
static void
on_revoke(void *ctx, const char *issuer, const char *serial)
{
    struct crl_service *svc = ctx;
    uint8_t bytes[CATENA_SERIAL_MAX_BYTES];
    size_t len = 0, n = strlen(serial);
    int num_shards = catena_ca_issuer_num_shards(svc->ca, issuer);

    if (n == 0 || n % 2 != 0 || n / 2 > sizeof(bytes)) {
        return;
    }
    for (size_t i = 0; i < n; i += 2) {
        char pair[3] = {serial[i], serial[i + 1], '\0'};
        char *end = NULL;
        unsigned long v = strtoul(pair, &end, 16);

        if (end != pair + 2) {
            return;
        }
        bytes[len++] = (uint8_t)v;
    }
    mark_dirty(svc, 0, issuer,
               catena_ca_shard_for_serial(bytes, len, num_shards), serial);
}

struct poll_ctx {
    struct crl_service *svc;
    int64_t now;
};

static int
poll_row(void *vctx, const struct catena_row *row)
{
    struct poll_ctx *c = vctx;
    struct crl_service *svc = c->svc;
    const char *serial = catena_row_text(row, 0);

    if (serial == NULL || strlen(serial) > 40) {
        return 0;
    }
    for (size_t i = 0; i < svc->num_recent; i++) {
        if (strcmp(svc->recent[i].serial, serial) == 0) {
            return 0;
        }
    }
    if (svc->num_recent < CRL_RECENT_MAX) {
        struct recent_revocation *r = &svc->recent[svc->num_recent++];

        memcpy(r->serial, serial, strlen(serial) + 1);
        r->seen_at = c->now;
    }
    mark_dirty(svc, catena_row_int(row, 1), NULL, (int)catena_row_int(row, 2),
               serial);
    return 0;
}

/* poll_revocations finds revocations committed by other processes. */
static void
poll_revocations(struct crl_service *svc, struct catena_store *store)
{
    struct poll_ctx c = {svc, (int64_t)time(NULL)};
    const struct catena_sql_param params[] = {
        CATENA_SQL_P_INT(c.now - RECENT_WINDOW)};
    struct catena_err err;
    size_t kept = 0;

    for (size_t i = 0; i < svc->num_recent; i++) {
        if (svc->recent[i].seen_at >= c.now - 2 * RECENT_WINDOW) {
            svc->recent[kept++] = svc->recent[i];
        }
    }
    svc->num_recent = kept;
    if (catena_store_foreach(store,
                             "SELECT serial, issuer_id, shard FROM "
                             "certificates WHERE status = 2 AND "
                             "revoked_at >= $1",
                             params, 1, poll_row, &c, &err) != CATENA_OK) {
        CATENA_WARN("revocation poll failed: %s", err.msg);
    }
}

/* due says whether |ps| must be regenerated now. */
static int
due(const struct crl_service *svc, const struct pub_shard *ps, int64_t now)
{
    return ps->cur.der == NULL || ps->dirty ||
           now >= ps->cur.this_update + svc->st.refresh ||
           now >= ps->cur.next_update - 3600;
}

/* reload takes a newer copy another node stored, if any. */
static void
reload(struct crl_service *svc, struct catena_store *store,
       struct pub_shard *ps)
{
    struct crl_shard sh;
    struct catena_err err;
    int64_t have;

    if (crl_load_shard(store, ps->issuer, ps->shard, &sh, &err) !=
        CATENA_OK) {
        return;
    }
    pthread_rwlock_rdlock(&svc->pub_lock);
    have = ps->cur.number;
    pthread_rwlock_unlock(&svc->pub_lock);
    if (sh.number > have) {
        swap_in(svc, ps, &sh);
    }
    crl_shard_clear(&sh);
}

static void
publish_due(struct crl_service *svc, struct catena_store *store)
{
    int64_t now = (int64_t)time(NULL);
    int got = 0;
    struct catena_err err;

    for (size_t i = 0; i < svc->num_shards; i++) {
        reload(svc, store, &svc->shards[i]);
    }
    if (crl_lock(store, &got, &err) != CATENA_OK) {
        CATENA_WARN("CRL lock: %s", err.msg);
        return;
    }
    if (!got) {
        return; /* another node publishes; we reload its shards */
    }
    for (size_t i = 0; i < svc->num_shards; i++) {
        struct pub_shard *ps = &svc->shards[i];
        struct crl_shard sh;
        int is_due;

        pthread_mutex_lock(&svc->lock);
        is_due = due(svc, ps, now);
        ps->dirty = 0; /* a revocation from now on marks it again */
        pthread_mutex_unlock(&svc->lock);
        if (!is_due) {
            continue;
        }
        if (crl_publish_shard(svc->ca, svc->cfg, store, &svc->st, ps->issuer,
                              ps->shard, &sh, &err) != CATENA_OK) {
            CATENA_ERROR("CRL %s/%d not published: %s", ps->issuer,
                         ps->shard, err.msg);
            pthread_mutex_lock(&svc->lock);
            ps->dirty = 1;
            pthread_mutex_unlock(&svc->lock);
            continue;
        }
        CATENA_INFO("published CRL %s/%d number %lld (%lld entries)",
                    ps->issuer, ps->shard, (long long)sh.number,
                    (long long)sh.num_entries);
        swap_in(svc, ps, &sh);
    }
    crl_unlock(store);
}

static void *
publisher_main(void *arg)
{
    struct crl_service *svc = arg;
    struct catena_store *store = NULL;
    struct catena_err err;

    for (;;) {
        struct timespec until;

        if (store == NULL &&
            catena_store_open(catena_ca_store_url(svc->ca), &store, &err) !=
                CATENA_OK) {
            CATENA_ERROR("CRL publisher: %s", err.msg);
        }
        if (store != NULL) {
            poll_revocations(svc, store);
            if (svc->st.crl_enabled) {
                publish_due(svc, store);
            }
            if (svc->ocsp != NULL &&
                time(NULL) >= svc->last_ocsp_refresh + OCSP_REFRESH_EVERY) {
                crl_ocsp_refresh(svc->ocsp, store);
                svc->last_ocsp_refresh = (int64_t)time(NULL);
            }
        }
        pthread_mutex_lock(&svc->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += POLL_SECONDS;
        while (!svc->stop && !svc->wake) {
            if (pthread_cond_timedwait(&svc->cond, &svc->lock, &until) ==
                ETIMEDOUT) {
                break;
            }
        }
        svc->wake = 0;
        if (svc->stop) {
            pthread_mutex_unlock(&svc->lock);
            break;
        }
        pthread_mutex_unlock(&svc->lock);
    }
    catena_store_close(store);
    return NULL;
}

static void
service_free(struct crl_service *svc)
{
    if (svc == NULL) {
        return;
    }
    for (size_t i = 0; i < svc->num_shards; i++) {
        crl_shard_clear(&svc->shards[i].cur);
    }
    free(svc->shards);
    for (size_t i = 0; i < svc->pool_len; i++) {
        catena_store_close(svc->pool[i]);
    }
    crl_ocsp_free(svc->ocsp);
    pthread_rwlock_destroy(&svc->pub_lock);
    pthread_mutex_destroy(&svc->lock);
    pthread_cond_destroy(&svc->cond);
    pthread_mutex_destroy(&svc->pool_lock);
    free(svc);
}

/* init_shards lists every (issuer, shard) and loads what is stored. */
static enum catena_rc
init_shards(struct crl_service *svc, struct catena_store *store,
            struct catena_err *err)
{
    const char *const *names;
    size_t num = 0, total = 0;
    enum catena_rc rc;

    names = catena_ca_issuer_names(svc->ca, &num);
    for (size_t i = 0; i < num; i++) {
        total += (size_t)catena_ca_issuer_num_shards(svc->ca, names[i]);
    }
    svc->shards = calloc(total > 0 ? total : 1, sizeof(*svc->shards));
    if (svc->shards == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < num; i++) {
        int n = catena_ca_issuer_num_shards(svc->ca, names[i]);
        int64_t id = 0;

        if (strlen(names[i]) >= CRL_MAX_ISSUER_NAME) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "issuer name %s too long", names[i]);
        }
        if ((rc = catena_store_issuer_id(store, names[i], &id, err)) !=
            CATENA_OK) {
            return rc;
        }
        for (int s = 0; s < n; s++) {
            struct pub_shard *ps = &svc->shards[svc->num_shards++];

            memcpy(ps->issuer, names[i], strlen(names[i]) + 1);
            ps->issuer_id = id;
            ps->shard = s;
            ps->num_shards = n;
            reload(svc, store, ps);
        }
    }
    return CATENA_OK;
}

enum catena_rc
catena_crl_service_start(const struct catena_service_env *env, void **state,
                         struct catena_err *err)
{
    struct crl_service *svc = NULL;
    struct catena_store *store = NULL;
    enum catena_rc rc;

    *state = NULL;
    svc = calloc(1, sizeof(*svc));
    if (svc == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    pthread_rwlock_init(&svc->pub_lock, NULL);
    pthread_mutex_init(&svc->lock, NULL);
    pthread_cond_init(&svc->cond, NULL);
    pthread_mutex_init(&svc->pool_lock, NULL);
    svc->ca = env->ca;
    svc->cfg = env->cfg;
    if ((rc = crl_settings_load(env->cfg, &svc->st, err)) != CATENA_OK) {
        goto out;
    }
    if (!svc->st.crl_enabled && !svc->st.ocsp_enabled) {
        rc = CATENA_OK; /* switched off: *state stays NULL */
        goto out;
    }
    if ((rc = catena_store_open(catena_ca_store_url(env->ca), &store,
                                err)) != CATENA_OK ||
        (rc = crl_migrate(store, err)) != CATENA_OK ||
        (rc = init_shards(svc, store, err)) != CATENA_OK) {
        goto out;
    }
    if (svc->st.ocsp_enabled &&
        (rc = crl_ocsp_new(env->ca, env->cfg, &svc->st, &svc->ocsp, err)) !=
            CATENA_OK) {
        goto out;
    }
    if (env->http != NULL &&
        (rc = crl_http_routes(svc, env->http, err)) != CATENA_OK) {
        goto out;
    }
    catena_ca_on_revoke(env->ca, on_revoke, svc);
    if (pthread_create(&svc->thread, NULL, publisher_main, svc) != 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_INTERNAL,
                                  "cannot start the CRL publisher");
        goto out;
    }
    svc->thread_started = 1;
    *state = svc;
    svc = NULL;
    rc = CATENA_OK;
out:
    catena_store_close(store);
    service_free(svc);
    return rc;
}

void
catena_crl_service_stop(void *state)
{
    struct crl_service *svc = state;

    if (svc == NULL) {
        return;
    }
    if (svc->thread_started) {
        pthread_mutex_lock(&svc->lock);
        svc->stop = 1;
        pthread_cond_signal(&svc->cond);
        pthread_mutex_unlock(&svc->lock);
        pthread_join(svc->thread, NULL);
    }
    service_free(svc);
}
