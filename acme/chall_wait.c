/*
 * chall_wait.c - challenge POSTs answered once their validation is done.
 *
 * Validation runs on the worker pool, and most validations finish within
 * milliseconds. Answering the challenge POST at once with "processing"
 * makes every client sleep and poll: lego sleeps Retry-After (a whole
 * second) and polls the authorization, certbot polls on its own schedule.
 * So the POST is parked in the listener (no thread held) until the worker
 * reports the outcome or [acme] challenge_wait passes, whichever is first;
 * then the answer shows the challenge as it is by then. The wait is only
 * an optimisation: the stored status stays the truth, so a client that
 * gets "processing" polls as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* More parked answers than this are answered at once: each holds a
 * connection, and MHD's own connection limit is about as high. */
#define MAX_PARKED 1024

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* unlink_where removes from |w|'s list every wait that |pick| selects and
 * returns them as a list of their own. Call with the mutex held. */
static struct acme_chall_wait *
unlink_where(struct acme_waits *w, int (*pick)(const struct acme_chall_wait *,
                                               int64_t),
             int64_t arg)
{
    struct acme_chall_wait *out = NULL, **pp = &w->head;

    while (*pp != NULL) {
        struct acme_chall_wait *cw = *pp;

        if (pick(cw, arg)) {
            *pp = cw->next;
            cw->next = out;
            out = cw;
            w->num--;
        } else {
            pp = &cw->next;
        }
    }
    return out;
}

/* unpark_all hands every wait of |list| back to the listener. After the
 * unpark the listener owns (and frees) the wait, so it is not touched
 * again here. */
static void
unpark_all(struct acme_chall_wait *list)
{
    while (list != NULL) {
        struct acme_chall_wait *next = list->next;
        struct catena_http_ticket *t = list->ticket;

        list->next = NULL;
        catena_http_unpark(t);
        list = next;
    }
}

static int
pick_chall(const struct acme_chall_wait *cw, int64_t chall_id)
{
    return cw->chall_id == chall_id;
}

static int
pick_expired(const struct acme_chall_wait *cw, int64_t now_ms)
{
    return cw->deadline_ms <= now_ms;
}

static int
pick_any(const struct acme_chall_wait *cw, int64_t unused)
{
    (void)cw;
    (void)unused;
    return 1;
}

/* timer_main answers the waits whose validation took longer than the
 * configured wait. */
static void *
timer_main(void *arg)
{
    struct acme_waits *w = arg;

    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        int64_t now = mono_ms(), first = INT64_MAX;
        struct acme_chall_wait *due;

        for (const struct acme_chall_wait *cw = w->head; cw != NULL;
             cw = cw->next) {
            if (cw->deadline_ms < first) {
                first = cw->deadline_ms;
            }
        }
        if (first <= now) {
            due = unlink_where(w, pick_expired, now);
            pthread_mutex_unlock(&w->mu);
            unpark_all(due);
            pthread_mutex_lock(&w->mu);
        } else if (first == INT64_MAX) {
            pthread_cond_wait(&w->cv, &w->mu);
        } else {
            struct timespec ts;

            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)((first - now) / 1000);
            ts.tv_nsec += (long)((first - now) % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

enum catena_rc
acme_waits_start(struct acme_srv *srv, struct catena_err *err)
{
    struct acme_waits *w = &srv->waits;
    pthread_condattr_t ca;

    if (srv->challenge_wait_ms <= 0) {
        return CATENA_OK;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->timer, NULL, timer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return catena_err_set_errno(err, CATENA_ERR_INTERNAL,
                                    "pthread_create");
    }
    w->started = 1;
    return CATENA_OK;
}

void
acme_waits_stop(struct acme_srv *srv)
{
    struct acme_waits *w = &srv->waits;
    struct acme_chall_wait *all;

    if (!w->started) {
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    all = unlink_where(w, pick_any, 0);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    /* The listener refuses to stop while a request is parked. */
    unpark_all(all);
    pthread_join(w->timer, NULL);
}

void
acme_waits_free(struct acme_srv *srv)
{
    struct acme_waits *w = &srv->waits;

    if (!w->started) {
        return;
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    w->started = 0;
}

void
acme_chall_wait_free(struct acme_chall_wait *cw)
{
    if (cw != NULL) {
        free(cw->error_json);
        free(cw);
    }
}

static void
chall_wait_free_cb(void *cw)
{
    acme_chall_wait_free(cw);
}

int
acme_chall_park(struct acme_req *r, int64_t chall_id, int64_t authz_id,
                const char *type, const char *token)
{
    struct acme_waits *w = &r->srv->waits;
    struct acme_chall_wait *cw;

    if (!w->started) {
        return -1;
    }
    cw = calloc(1, sizeof(*cw));
    if (cw == NULL) {
        return -1;
    }
    cw->chall_id = chall_id;
    cw->authz_id = authz_id;
    if (snprintf(cw->type, sizeof(cw->type), "%s", type) >=
            (int)sizeof(cw->type) ||
        snprintf(cw->token, sizeof(cw->token), "%s", token) >=
            (int)sizeof(cw->token)) {
        free(cw);
        return -1;
    }
    cw->deadline_ms = mono_ms() + r->srv->challenge_wait_ms;
    pthread_mutex_lock(&w->mu);
    if (w->stopping || w->num >= MAX_PARKED) {
        pthread_mutex_unlock(&w->mu);
        free(cw);
        return -1;
    }
    /* Parked under the mutex: no one can unpark it before it is parked. */
    cw->ticket = catena_http_park(r->http, cw, chall_wait_free_cb);
    cw->next = w->head;
    w->head = cw;
    w->num++;
    if (cw->next == NULL || cw->deadline_ms < cw->next->deadline_ms) {
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    r->parked = 1;
    return 0;
}

void
acme_chall_done(struct acme_srv *srv, int64_t chall_id,
                const struct acme_chall_outcome *oc)
{
    struct acme_waits *w = &srv->waits;
    struct acme_chall_wait *done;

    if (!w->started) {
        return;
    }
    pthread_mutex_lock(&w->mu);
    done = unlink_where(w, pick_chall, chall_id);
    pthread_mutex_unlock(&w->mu);
    /* Unlinked, so only this thread sees them until the unpark. */
    for (struct acme_chall_wait *cw = done; cw != NULL; cw = cw->next) {
        cw->done = 1;
        if (oc == NULL) {
            continue;
        }
        snprintf(cw->status, sizeof(cw->status), "%s", oc->status);
        cw->validated_at = oc->validated_at;
        cw->error_json =
            oc->error_json != NULL ? strdup(oc->error_json) : NULL;
        /* Without its error the answer would say less than the store. */
        cw->known = oc->error_json == NULL || cw->error_json != NULL;
    }
    unpark_all(done);
}
