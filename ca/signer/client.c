/*
 * client.c - the signer client: starts "catena signer" on a socketpair and
 * sends it requests. Runs in the calling (network-facing) process, which
 * never opens a CA key.
 *
 * One request at a time per handle (a mutex), so a reply always belongs to
 * the request in flight; the id is still checked. Any I/O or protocol
 * error marks the handle dead: the conversation is over, the child is
 * reaped, and every later call fails at once with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catena/ca.h"
#include "catena/log.h"
#include "core.h"
#include "signer/signer.h"

/* Generous bounds on one answer: a million-entry CRL takes seconds to
 * lint and sign; a certificate milliseconds. A signer that hangs past them
 * is killed rather than hanging its callers. */
#define START_TIMEOUT_MS (60 * 1000)
#define SIGN_TIMEOUT_MS (120 * 1000)
#define CRL_TIMEOUT_MS (900 * 1000)

struct catena_signer {
    pthread_mutex_t mu;
    int fd;
    pid_t pid;
    int reaped;
    int status; /* waitpid status once reaped */
    uint32_t next_id;
    int dead;
    char dead_msg[480];
    /* More signer processes that share the batches (catena_signer_start_
     * pool); single requests go to this one. */
    struct catena_signer **pool;
    size_t pool_n;
};

/* sleep_ms waits |ms| milliseconds, resuming after signals. */
static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* reap waits up to |wait_ms| for the child to exit. */
static void
reap(struct catena_signer *s, long wait_ms)
{
    for (long waited = 0; !s->reaped; waited += 10) {
        pid_t r = waitpid(s->pid, &s->status, WNOHANG);

        if (r == s->pid || (r < 0 && errno == ECHILD)) {
            s->reaped = 1;
            break;
        }
        if (waited >= wait_ms) {
            break;
        }
        sleep_ms(10);
    }
}

/* describe_exit words how the child ended (or that it is still there). */
static void
describe_exit(const struct catena_signer *s, char *buf, size_t len)
{
    if (!s->reaped) {
        snprintf(buf, len, "closed the connection");
    } else if (WIFSIGNALED(s->status)) {
        snprintf(buf, len, "exited (signal %d)", WTERMSIG(s->status));
    } else if (WIFEXITED(s->status)) {
        snprintf(buf, len, "exited (status %d)", WEXITSTATUS(s->status));
    } else {
        snprintf(buf, len, "exited");
    }
}

/*
 * fail marks the handle dead after an I/O or protocol failure |cause| and
 * returns CATENA_ERR_SIGNER with a message an operator can act on.
 */
static enum catena_rc
fail(struct catena_signer *s, const char *when, enum catena_rc cause,
     const struct catena_err *detail, struct catena_err *err)
{
    char how[64];

    /* Nothing more can be said on this channel: close it so a signer that
     * is still alive sees EOF and exits, then reap it. */
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (cause == CATENA_ERR_TIMEOUT && !s->reaped) {
        kill(s->pid, SIGKILL);
    }
    reap(s, 2000);
    if (!s->reaped) {
        kill(s->pid, SIGKILL);
        reap(s, 2000);
    }
    describe_exit(s, how, sizeof(how));
    s->dead = 1;
    snprintf(s->dead_msg, sizeof(s->dead_msg),
             "signer process %s %s (%.300s)", how, when,
             detail != NULL && detail->msg[0] != '\0' ? detail->msg
                                                      : catena_rc_name(cause));
    CATENA_ERROR("%s", s->dead_msg);
    return catena_err_set(err, CATENA_ERR_SIGNER, "%s", s->dead_msg);
}

enum catena_rc
catena_signer_start(const char *exe, const char *config_path,
                    struct catena_signer **out, struct catena_err *err)
{
    struct catena_signer *s = NULL;
    struct catena_ipc_frame f;
    struct catena_err ferr;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    int sv[2] = {-1, -1};
    char fdbuf[16];
    char *argv[7];
    const char *path = exe != NULL ? exe : "/proc/self/exe";
    sigset_t all;
    sigset_t old;
    enum catena_rc rc;

    *out = NULL;
    memset(&f, 0, sizeof(f));
    catena_err_clear(&ferr);
    if (config_path == NULL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "the signer needs a configuration file");
    }
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    s->fd = -1;
    s->pid = -1;
    s->next_id = 1;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return catena_err_set(err, CATENA_ERR_INTERNAL, "mutex");
    }
    /* A stream socket: frames can be far larger than a datagram. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_SIGNER, "socketpair");
        goto out;
    }
    snprintf(fdbuf, sizeof(fdbuf), "%d", sv[1]);
    argv[0] = "catena";
    argv[1] = "signer";
    argv[2] = "--config";
    argv[3] = (char *)(uintptr_t)config_path;
    argv[4] = "--fd";
    argv[5] = fdbuf;
    argv[6] = NULL;
    /* Block signals across fork so the child cannot run a handler of ours
     * before exec; it unblocks everything for the signer. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    s->pid = fork();
    if (s->pid == 0) {
        sigset_t none;

        /* Only async-signal-safe calls between fork and exec. */
        sigemptyset(&none);
        if (fcntl(sv[1], F_SETFD, 0) == 0 &&
            sigprocmask(SIG_SETMASK, &none, NULL) == 0) {
            execv(path, argv);
        }
        _exit(127);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (s->pid < 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_SIGNER, "fork");
        goto out;
    }
    close(sv[1]);
    sv[1] = -1;
    s->fd = sv[0];
    sv[0] = -1;

    /* The signer says it is ready (keys loaded, sandbox up) or why not. */
    rc = catena_ipc_read(s->fd, catena_signer_response_caps,
                         catena_signer_num_response_caps, START_TIMEOUT_MS, &f,
                         NULL, &ferr);
    if (rc != CATENA_OK) {
        rc = fail(s, "at start", rc, &ferr, err);
        goto out;
    }
    if (f.type != CATENA_SIGNER_RESP || f.id != 0) {
        rc = fail(s, "at start", CATENA_ERR_INVALID, NULL, err);
        goto out;
    }
    rc = catena_signer_response_decode(f.body, f.body_len, &der, &der_len,
                                       &ferr);
    if (rc != CATENA_OK || der_len != 0) {
        rc = fail(s, "at start", rc, &ferr, err);
        goto out;
    }
    *out = s;
    s = NULL;
    rc = CATENA_OK;
out:
    catena_ipc_frame_free(&f);
    if (sv[0] >= 0) {
        close(sv[0]);
    }
    if (sv[1] >= 0) {
        close(sv[1]);
    }
    catena_signer_stop(s);
    return rc;
}

void
catena_signer_stop(struct catena_signer *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->pool_n; i++) {
        catena_signer_stop(s->pool[i]);
    }
    free(s->pool);
    s->pool = NULL;
    s->pool_n = 0;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    /* EOF makes the signer exit; give it a moment, then insist. */
    if (s->pid > 0) {
        reap(s, 5000);
        if (!s->reaped) {
            kill(s->pid, SIGKILL);
            reap(s, 5000);
        }
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int
catena_signer_pid(const struct catena_signer *s)
{
    return s != NULL && !s->dead ? (int)s->pid : -1;
}

/*
 * send_body sends one encoded request |body| (freed here) and waits for
 * its answer. On success |*out| (malloc'd) holds the DER. Refusals keep
 * the handle alive; anything else ends the conversation.
 */
static enum catena_rc
send_body(struct catena_signer *s, enum catena_signer_req type,
          uint8_t *body, size_t body_len, uint8_t **out, size_t *out_len,
          struct catena_err *err)
{
    struct catena_ipc_frame f;
    struct catena_err ferr;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    uint32_t id;
    enum catena_rc rc;

    memset(&f, 0, sizeof(f));
    catena_err_clear(&ferr);
    pthread_mutex_lock(&s->mu);
    if (s->dead) {
        rc = catena_err_set(err, CATENA_ERR_SIGNER, "%s", s->dead_msg);
        goto out;
    }
    id = s->next_id++;
    if (s->next_id == 0) {
        s->next_id = 1; /* 0 is the start-up answer */
    }
    rc = catena_ipc_write(s->fd, (uint8_t)type, id, body, body_len,
                          catena_signer_request_caps,
                          catena_signer_num_request_caps, &ferr);
    if (rc == CATENA_ERR_TOO_BIG) {
        /* Over a cap: refused before anything was sent. */
        rc = catena_err_set(err, rc, "%s", ferr.msg);
        goto out;
    }
    if (rc != CATENA_OK) {
        rc = fail(s, "during request", rc, &ferr, err);
        goto out;
    }
    rc = catena_ipc_read(s->fd, catena_signer_response_caps,
                         catena_signer_num_response_caps,
                         type == CATENA_SIGNER_SIGN_CRL ? CRL_TIMEOUT_MS
                                                        : SIGN_TIMEOUT_MS,
                         &f, NULL, &ferr);
    if (rc != CATENA_OK) {
        rc = fail(s, "during request", rc, &ferr, err);
        goto out;
    }
    if (f.id != id) {
        rc = fail(s, "during request", CATENA_ERR_INVALID, NULL, err);
        goto out;
    }
    rc = catena_signer_response_decode(f.body, f.body_len, &der, &der_len,
                                       err);
    if (rc == CATENA_ERR_SIGNER) {
        rc = fail(s, "during request", rc, err, err);
        goto out;
    }
    if (rc != CATENA_OK) {
        goto out;
    }
    if (type == CATENA_SIGNER_SIGN_CRL && der_len > 0 && der == f.body + 1) {
        /* A signed CRL is megabytes: the frame body becomes the caller's
         * buffer, moved down over the status byte, rather than a fresh
         * allocation to copy it into. */
        memmove(f.body, der, der_len);
        *out = f.body;
        *out_len = der_len;
        f.body = NULL;
        f.body_len = 0;
        rc = CATENA_OK;
        goto out;
    }
    if (der_len == 0 || (*out = malloc(der_len)) == NULL) {
        rc = der_len == 0 ? catena_err_set(err, CATENA_ERR_SIGNER,
                                           "the signer returned nothing")
                          : catena_err_set(err, CATENA_ERR_NOMEM,
                                           "out of memory");
        goto out;
    }
    memcpy(*out, der, der_len);
    *out_len = der_len;
    rc = CATENA_OK;
out:
    pthread_mutex_unlock(&s->mu);
    catena_ipc_frame_free(&f);
    free(body);
    return rc;
}

/* request encodes one request and has send_body exchange it. */
static enum catena_rc
request(struct catena_signer *s, enum catena_signer_req type,
        const char *issuer, const char *profile, const uint8_t *payload,
        size_t payload_len, uint8_t **out, size_t *out_len,
        struct catena_err *err)
{
    uint8_t *body = NULL;
    size_t body_len = 0;
    enum catena_rc rc;

    *out = NULL;
    *out_len = 0;
    if (s == NULL) {
        return catena_err_set(err, CATENA_ERR_SIGNER, "no signer running");
    }
    /* Malformed requests are refused here, before the channel is used. */
    if ((rc = catena_signer_request_encode(issuer, profile, payload,
                                           payload_len, &body, &body_len,
                                           err)) != CATENA_OK) {
        return rc;
    }
    return send_body(s, type, body, body_len, out, out_len, err);
}

enum catena_rc
catena_signer_sign_cert(struct catena_signer *signer, const char *issuer,
                        const char *profile, const uint8_t *tbs,
                        size_t tbs_len, uint8_t **cert_der,
                        size_t *cert_der_len, struct catena_err *err)
{
    if (profile == NULL || profile[0] == '\0') {
        *cert_der = NULL;
        *cert_der_len = 0;
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "a certificate needs a profile");
    }
    return request(signer, CATENA_SIGNER_SIGN_CERT, issuer, profile, tbs,
                   tbs_len, cert_der, cert_der_len, err);
}

enum catena_rc
catena_signer_sign_crl(struct catena_signer *signer, const char *issuer,
                       int64_t prev_number, const uint8_t *tbs,
                       size_t tbs_len, uint8_t **crl_der, size_t *crl_der_len,
                       struct catena_err *err)
{
    uint8_t *body = NULL;
    size_t body_len = 0;
    enum catena_rc rc;

    *crl_der = NULL;
    *crl_der_len = 0;
    if (signer == NULL) {
        return catena_err_set(err, CATENA_ERR_SIGNER, "no signer running");
    }
    if ((rc = catena_signer_crl_request_encode(issuer, prev_number, tbs,
                                               tbs_len, &body, &body_len,
                                               err)) != CATENA_OK) {
        return rc;
    }
    return send_body(signer, CATENA_SIGNER_SIGN_CRL, body, body_len, crl_der,
                     crl_der_len, err);
}

enum catena_rc
catena_signer_sign_ocsp(struct catena_signer *signer, const char *issuer,
                        const uint8_t *response_data,
                        size_t response_data_len, uint8_t **basic_der,
                        size_t *basic_der_len, struct catena_err *err)
{
    return request(signer, CATENA_SIGNER_SIGN_OCSP, issuer, "", response_data,
                   response_data_len, basic_der, basic_der_len, err);
}

enum catena_rc
catena_signer_sign_jws(struct catena_signer *signer, const char *key_name,
                       const uint8_t *input, size_t input_len, uint8_t **sig,
                       size_t *sig_len, struct catena_err *err)
{
    return request(signer, CATENA_SIGNER_SIGN_JWS, key_name, "", input,
                   input_len, sig, sig_len, err);
}

/* Request bytes allowed in flight on the socket before the next answer
 * is read. Every answer is at most its request plus a signature, so both
 * directions stay well inside the default AF_UNIX buffers: neither side
 * can block on a full socket while the other waits for it. */
#define PIPELINE_BYTES (48u * 1024u)

/* sign_batch_one is the pipelined exchange with one signer process. */
static enum catena_rc
sign_batch_one(struct catena_signer *s, struct catena_signer_cert_job *jobs,
               size_t n, struct catena_err *err)
{
    uint8_t **bodies = NULL;
    size_t *lens = NULL;
    size_t *order = NULL; /* jobs that go on the wire, in sending order */
    uint32_t *ids = NULL;
    size_t m = 0;
    size_t sent = 0;
    size_t done = 0;
    size_t inflight = 0;
    int locked = 0;
    enum catena_rc rc = CATENA_OK;

    for (size_t i = 0; i < n; i++) {
        jobs[i].der = NULL;
        jobs[i].der_len = 0;
        catena_err_set(&jobs[i].err, CATENA_ERR_SIGNER,
                       "the signer did not answer");
    }
    if (s == NULL) {
        for (size_t i = 0; i < n; i++) {
            catena_err_set(&jobs[i].err, CATENA_ERR_SIGNER,
                           "no signer running");
        }
        return catena_err_set(err, CATENA_ERR_SIGNER, "no signer running");
    }
    bodies = calloc(n + 1, sizeof(*bodies));
    lens = calloc(n + 1, sizeof(*lens));
    order = calloc(n + 1, sizeof(*order));
    ids = calloc(n + 1, sizeof(*ids));
    if (bodies == NULL || lens == NULL || order == NULL || ids == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Malformed requests are refused one by one, before the channel is
     * used; the rest of the batch goes ahead. */
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].profile == NULL || jobs[i].profile[0] == '\0') {
            catena_err_set(&jobs[i].err, CATENA_ERR_INVALID,
                           "a certificate needs a profile");
            continue;
        }
        if (catena_signer_request_encode(jobs[i].issuer, jobs[i].profile,
                                         jobs[i].tbs, jobs[i].tbs_len,
                                         &bodies[i], &lens[i],
                                         &jobs[i].err) != CATENA_OK) {
            continue;
        }
        order[m++] = i;
    }
    pthread_mutex_lock(&s->mu);
    locked = 1;
    if (s->dead) {
        for (size_t k = 0; k < m; k++) {
            catena_err_set(&jobs[order[k]].err, CATENA_ERR_SIGNER, "%s",
                           s->dead_msg);
        }
        rc = catena_err_set(err, CATENA_ERR_SIGNER, "%s", s->dead_msg);
        goto out;
    }
    /* The signer answers in order, so the answer to read next always
     * belongs to the oldest request in flight; its id is still checked. */
    while (done < m) {
        struct catena_ipc_frame f;
        struct catena_err ferr;
        struct catena_signer_cert_job *j;
        const uint8_t *der = NULL;
        size_t der_len = 0;
        enum catena_rc jrc;

        catena_err_clear(&ferr);
        while (sent < m &&
               (sent == done || inflight + lens[order[sent]] <= PIPELINE_BYTES)) {
            size_t i = order[sent];

            ids[sent] = s->next_id++;
            if (s->next_id == 0) {
                s->next_id = 1; /* 0 is the start-up answer */
            }
            rc = catena_ipc_write(s->fd, CATENA_SIGNER_SIGN_CERT, ids[sent],
                                  bodies[i], lens[i],
                                  catena_signer_request_caps,
                                  catena_signer_num_request_caps, &ferr);
            if (rc != CATENA_OK) {
                /* A request over the caps was checked by encode already:
                 * any failure here is the channel's. */
                rc = fail(s, "during a batch", rc, &ferr, err);
                goto dead;
            }
            inflight += lens[i];
            sent++;
        }
        memset(&f, 0, sizeof(f));
        rc = catena_ipc_read(s->fd, catena_signer_response_caps,
                             catena_signer_num_response_caps, SIGN_TIMEOUT_MS,
                             &f, NULL, &ferr);
        if (rc != CATENA_OK || f.id != ids[done]) {
            catena_ipc_frame_free(&f);
            rc = fail(s, "during a batch",
                      rc != CATENA_OK ? rc : CATENA_ERR_INVALID,
                      rc != CATENA_OK ? &ferr : NULL, err);
            goto dead;
        }
        j = &jobs[order[done]];
        catena_err_clear(&j->err);
        jrc = catena_signer_response_decode(f.body, f.body_len, &der,
                                            &der_len, &j->err);
        if (jrc == CATENA_ERR_SIGNER) {
            catena_ipc_frame_free(&f);
            rc = fail(s, "during a batch", jrc, &j->err, err);
            goto dead;
        }
        if (jrc == CATENA_OK) {
            if (der_len == 0) {
                catena_err_set(&j->err, CATENA_ERR_SIGNER,
                               "the signer returned nothing");
            } else if ((j->der = malloc(der_len)) == NULL) {
                catena_err_set(&j->err, CATENA_ERR_NOMEM, "out of memory");
            } else {
                memcpy(j->der, der, der_len);
                j->der_len = der_len;
            }
        }
        catena_ipc_frame_free(&f);
        inflight -= lens[order[done]];
        done++;
    }
    rc = CATENA_OK;
    goto out;
dead:
    /* Every request without an answer may or may not have been signed. */
    for (size_t k = done; k < m; k++) {
        catena_err_set(&jobs[order[k]].err, CATENA_ERR_SIGNER, "%s",
                       s->dead_msg);
    }
out:
    if (locked) {
        pthread_mutex_unlock(&s->mu);
    }
    for (size_t i = 0; bodies != NULL && i < n; i++) {
        free(bodies[i]);
    }
    free(bodies);
    free(lens);
    free(order);
    free(ids);
    return rc;
}

struct pool_part {
    struct catena_signer *s;
    struct catena_signer_cert_job *jobs;
    size_t n;
    enum catena_rc rc;
    struct catena_err err;
};

static void *
pool_part_run(void *arg)
{
    struct pool_part *p = arg;

    p->rc = sign_batch_one(p->s, p->jobs, p->n, &p->err);
    return NULL;
}

enum catena_rc
catena_signer_sign_cert_batch(struct catena_signer *s,
                              struct catena_signer_cert_job *jobs, size_t n,
                              struct catena_err *err)
{
    struct pool_part parts[1 + CATENA_SIGNER_POOL_MAX];
    pthread_t th[1 + CATENA_SIGNER_POOL_MAX];
    int started[1 + CATENA_SIGNER_POOL_MAX];
    size_t k;
    size_t off = 0;
    enum catena_rc rc = CATENA_OK;

    if (s == NULL || s->pool_n == 0 || n < 2) {
        return sign_batch_one(s, jobs, n, err);
    }
    /* One contiguous share per process, each exchanged by its own thread:
     * the processes lint and sign in parallel. */
    k = 1 + s->pool_n < n ? 1 + s->pool_n : n;
    for (size_t i = 0; i < k; i++) {
        size_t share = n / k + (i < n % k ? 1 : 0);

        parts[i] = (struct pool_part){
            .s = i == 0 ? s : s->pool[i - 1],
            .jobs = jobs + off,
            .n = share,
        };
        catena_err_clear(&parts[i].err);
        off += share;
        started[i] = i > 0 && pthread_create(&th[i], NULL, pool_part_run,
                                             &parts[i]) == 0;
    }
    for (size_t i = 0; i < k; i++) {
        if (!started[i]) {
            pool_part_run(&parts[i]); /* this thread's share, or no thread */
        }
    }
    for (size_t i = 0; i < k; i++) {
        if (started[i]) {
            pthread_join(th[i], NULL);
        }
        if (parts[i].rc != CATENA_OK && rc == CATENA_OK) {
            rc = parts[i].rc;
            if (err != NULL) {
                *err = parts[i].err;
            }
        }
    }
    return rc;
}

enum catena_rc
catena_signer_start_pool(const char *exe, const char *config_path,
                         size_t nproc, struct catena_signer **out,
                         struct catena_err *err)
{
    struct catena_signer *s = NULL;
    enum catena_rc rc;

    *out = NULL;
    if (nproc < 1 || nproc > 1 + CATENA_SIGNER_POOL_MAX) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "a signer pool has 1..%d processes",
                              1 + CATENA_SIGNER_POOL_MAX);
    }
    if ((rc = catena_signer_start(exe, config_path, &s, err)) != CATENA_OK) {
        return rc;
    }
    if (nproc > 1 &&
        (s->pool = calloc(nproc - 1, sizeof(*s->pool))) == NULL) {
        catena_signer_stop(s);
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 1; i < nproc; i++) {
        if ((rc = catena_signer_start(exe, config_path, &s->pool[i - 1],
                                      err)) != CATENA_OK) {
            catena_signer_stop(s);
            return rc;
        }
        s->pool_n = i;
    }
    *out = s;
    return CATENA_OK;
}
