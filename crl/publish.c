/*
 * publish.c - settings, crl/'s tables, CRL numbers, signing and storing
 * shards, and the operator-facing publish/urls/show/export.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/crl.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

/* The advisory lock key shared by every node: "crl" in ASCII. */
#define CRL_LOCK_KEY "6517356"

static const struct catena_store_migration crl_migrations[] = {
    {1, "CREATE TABLE crl_shards ("
        " issuer TEXT NOT NULL,"
        " shard INTEGER NOT NULL,"
        " number BIGINT NOT NULL,"
        " this_update BIGINT NOT NULL,"
        " next_update BIGINT NOT NULL,"
        " num_entries BIGINT NOT NULL,"
        " der BLOB NOT NULL,"
        " PRIMARY KEY (issuer, shard));"
        /* Shard generation reads every entry from this covering index
         * alone (no table lookups: a million entries in sequence), and
         * the poll for revocations made by other processes reads by
         * revocation time. */
        "CREATE INDEX crl_certificates_entries ON certificates"
        " (issuer_id, shard, status, not_after, revoked_at, reason, serial);"
        "CREATE INDEX crl_certificates_revoked ON certificates"
        " (revoked_at)"},
    /* The same two, over revoked certificates only: a CA's certificates
     * are mostly not revoked, and the entries of a run of shards were
     * read past every issued certificate of those shards (status came
     * after shard in the key), and every issuance paid for both. */
    {2, "DROP INDEX crl_certificates_entries;"
        "DROP INDEX crl_certificates_revoked;"
        /* status last: it is always 2 here, but SQLite reads the whole
         * query from the index only if the index holds every column the
         * query names. */
        "CREATE INDEX crl_revoked_entries ON certificates"
        " (issuer_id, shard, not_after, revoked_at, reason, serial, status)"
        " WHERE status = 2;"
        "CREATE INDEX crl_revoked_at ON certificates (revoked_at)"
        " WHERE status = 2"},
};

enum catena_rc
crl_migrate(struct catena_store *store, struct catena_err *err)
{
    return catena_store_migrate(store, "crl", crl_migrations,
                                sizeof(crl_migrations) /
                                    sizeof(crl_migrations[0]),
                                err);
}

enum catena_rc
crl_settings_load(const struct catena_config *cfg, struct crl_settings *out,
                  struct catena_err *err)
{
    enum catena_rc rc;

    memset(out, 0, sizeof(*out));
    if ((rc = catena_config_get_bool(cfg, "crl", NULL, "enabled", 1,
                                     &out->crl_enabled, err)) != CATENA_OK ||
        (rc = catena_config_get_duration(cfg, "crl", NULL, "next_update",
                                         86400, &out->next_update, err)) !=
            CATENA_OK ||
        (rc = catena_config_get_duration(cfg, "crl", NULL, "refresh",
                                         6 * 3600, &out->refresh, err)) !=
            CATENA_OK ||
        (rc = catena_config_get_bool(cfg, "ocsp", NULL, "enabled", 1,
                                     &out->ocsp_enabled, err)) != CATENA_OK ||
        (rc = catena_config_get_duration(cfg, "ocsp", NULL, "validity",
                                         4 * 86400, &out->ocsp_validity,
                                         err)) != CATENA_OK) {
        return rc;
    }
    /* BR 4.9.7: nextUpdate at most ten days after thisUpdate. */
    if (out->next_update < 3600 || out->next_update > CRL_MAX_INTERVAL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[crl] next_update must be 1h..10d");
    }
    if (out->refresh < 60 || out->refresh >= out->next_update) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[crl] refresh must be at least 1m and below "
                              "next_update");
    }
    /* BR 4.9.10: OCSP validity between 8 hours and 10 days. */
    if (out->ocsp_validity < 8 * 3600 ||
        out->ocsp_validity > CRL_MAX_INTERVAL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[ocsp] validity must be 8h..10d");
    }
    return CATENA_OK;
}

int64_t
crl_next_number(int64_t prev)
{
    struct timespec ts;
    int64_t n;

    /* Nanoseconds since the epoch: time-based so that two nodes (which
     * publish under one advisory lock) never reuse a number, below 2^63
     * until 2262 and so far below the 2^159 limit (RFC 5280 5.2.3). Never
     * below the stored number + 1, so a clock stepping back still yields
     * strictly increasing numbers. */
    clock_gettime(CLOCK_REALTIME, &ts);
    n = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    return n > prev ? n : prev + 1;
}

enum catena_rc
crl_lock(struct catena_store *store, int *got, struct catena_err *err)
{
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    enum catena_rc rc;

    *got = 1;
    if (catena_store_driver(store) != CATENA_STORE_POSTGRES) {
        return CATENA_OK;
    }
    rc = catena_store_exec(store,
                           "SELECT CASE WHEN pg_try_advisory_lock("
                           CRL_LOCK_KEY ") THEN 1 ELSE 0 END",
                           NULL, 0, &rows, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    row = catena_rows_get(rows, 0);
    *got = row != NULL && catena_row_int(row, 0) == 1;
    catena_rows_free(rows);
    return CATENA_OK;
}

void
crl_unlock(struct catena_store *store)
{
    struct catena_err err;

    if (catena_store_driver(store) != CATENA_STORE_POSTGRES) {
        return;
    }
    if (catena_store_exec(store,
                          "SELECT pg_advisory_unlock(" CRL_LOCK_KEY ")",
                          NULL, 0, NULL, &err) != CATENA_OK) {
        CATENA_WARN("cannot release the CRL lock: %s", err.msg);
    }
}

static enum catena_rc
fill_shard(const struct catena_row *row, struct crl_shard *out,
           struct catena_err *err)
{
    const char *issuer = catena_row_text(row, 0);
    size_t len = 0;
    const uint8_t *der = catena_row_blob(row, 6, &len);

    memset(out, 0, sizeof(*out));
    if (issuer == NULL || strlen(issuer) >= sizeof(out->issuer) ||
        der == NULL || len == 0) {
        return catena_err_set(err, CATENA_ERR_STORE, "malformed crl_shards");
    }
    memcpy(out->issuer, issuer, strlen(issuer) + 1);
    out->shard = (int)catena_row_int(row, 1);
    out->number = catena_row_int(row, 2);
    out->this_update = catena_row_int(row, 3);
    out->next_update = catena_row_int(row, 4);
    out->num_entries = catena_row_int(row, 5);
    if ((out->der = malloc(len)) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    memcpy(out->der, der, len);
    out->der_len = len;
    return CATENA_OK;
}

#define SHARD_COLUMNS                                                         \
    "issuer, shard, number, this_update, next_update, num_entries, der"

enum catena_rc
crl_load_shard(struct catena_store *store, const char *issuer, int shard,
               struct crl_shard *out, struct catena_err *err)
{
    const struct catena_sql_param params[] = {CATENA_SQL_P_TEXT(issuer),
                                              CATENA_SQL_P_INT(shard)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    enum catena_rc rc;

    memset(out, 0, sizeof(*out));
    rc = catena_store_exec(store,
                           "SELECT " SHARD_COLUMNS " FROM crl_shards "
                           "WHERE issuer = $1 AND shard = $2",
                           params, 2, &rows, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    row = catena_rows_get(rows, 0);
    if (row == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND,
                            "shard %d of %s not published", shard, issuer);
    } else {
        rc = fill_shard(row, out, err);
    }
    catena_rows_free(rows);
    return rc;
}

/* stored_number reads the CRL number last stored for the shard, or -1
 * when none was: the scope's state the signer's lint checks (C13). */
static enum catena_rc
stored_number(struct catena_store *store, const char *issuer, int shard,
              int64_t *number, struct catena_err *err)
{
    const struct catena_sql_param params[] = {CATENA_SQL_P_TEXT(issuer),
                                              CATENA_SQL_P_INT(shard)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    enum catena_rc rc;

    *number = -1;
    rc = catena_store_exec(store,
                           "SELECT number FROM crl_shards "
                           "WHERE issuer = $1 AND shard = $2",
                           params, 2, &rows, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    row = catena_rows_get(rows, 0);
    if (row != NULL) {
        *number = catena_row_int(row, 0);
    }
    catena_rows_free(rows);
    return CATENA_OK;
}

/* store_shard replaces the stored shard in one statement: readers see
 * the previous CRL until this commits, never a half-written one. */
static enum catena_rc
store_shard(struct catena_store *store, const char *issuer, int shard,
            int64_t number, int64_t this_update, int64_t next_update,
            int64_t entries, const uint8_t *der, size_t der_len,
            struct catena_err *err)
{
    const struct catena_sql_param params[] = {
        CATENA_SQL_P_TEXT(issuer),     CATENA_SQL_P_INT(shard),
        CATENA_SQL_P_INT(number),      CATENA_SQL_P_INT(this_update),
        CATENA_SQL_P_INT(next_update), CATENA_SQL_P_INT(entries),
        CATENA_SQL_P_BLOB(der, der_len),
    };

    return catena_store_exec(
        store,
        "INSERT INTO crl_shards (" SHARD_COLUMNS ") "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (issuer, shard) DO UPDATE SET "
        "number = excluded.number, this_update = excluded.this_update, "
        "next_update = excluded.next_update, "
        "num_entries = excluded.num_entries, der = excluded.der",
        params, 7, NULL, err);
}

enum catena_rc
crl_publish_shard(struct catena_ca *ca, const struct catena_config *cfg,
                  struct catena_store *store, const struct crl_settings *st,
                  const char *issuer, int shard, struct crl_shard *out,
                  struct catena_err *err)
{
    struct catena_signer *signer = catena_ca_signer(ca);
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    int64_t prev = -1, number, entries = 0;
    int64_t now = (int64_t)time(NULL);
    enum catena_rc rc;

    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (signer == NULL) {
        return catena_err_set(err, CATENA_ERR_SIGNER, "no signer running");
    }
    if (strlen(issuer) >= CRL_MAX_ISSUER_NAME) {
        return catena_err_set(err, CATENA_ERR_CONFIG, "issuer name too long");
    }
    if ((rc = stored_number(store, issuer, shard, &prev, err)) != CATENA_OK) {
        return rc;
    }
    number = crl_next_number(prev);
    rc = crl_build_tbs(ca, cfg, store, issuer, shard, now,
                       now + st->next_update, number, &tbs, &tbs_len,
                       &entries, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    /* The signer lints the exact bytes (and the number against the stored
     * one), signs, and verifies. */
    rc = catena_signer_sign_crl(signer, issuer, prev, tbs, tbs_len, &der,
                                &der_len, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    if ((rc = store_shard(store, issuer, shard, number, now,
                          now + st->next_update, entries, der, der_len,
                          err)) != CATENA_OK) {
        goto out;
    }
    if (out != NULL) {
        memcpy(out->issuer, issuer, strlen(issuer) + 1);
        out->shard = shard;
        out->number = number;
        out->this_update = now;
        out->next_update = now + st->next_update;
        out->num_entries = entries;
        out->der = der;
        out->der_len = der_len;
        der = NULL;
    }
    rc = CATENA_OK;
out:
    free(tbs);
    free(der);
    return rc;
}

/*
 * Publishing all shards of an issuer is a pipeline of three stages on
 * two cores: this thread builds shard k+2 from one ordered pass over the
 * store, a signing thread has shard k+1 signed (the signer process works
 * on one request at a time), and a storing thread stores shard k through
 * a connection of its own, so the signer never waits for the store. Each
 * signed CRL is stored and freed at once, so its memory serves the next
 * one instead of every shard's megabytes being live (and faulted in)
 * until the end; each shard is replaced on its own, as catena serve
 * replaces them. Likewise a TBS buffer, once signed, goes back to the
 * builder for a later shard. The first failure stops every stage.
 */
#define SPARE_MAX 4

struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* broadcast on every change below */
    struct catena_signer *signer;
    struct catena_store *writer; /* the storing thread's connection */
    const char *issuer;
    int64_t this_update;
    int64_t next_update;
    struct crl_tbs *jobs; /* num entries; [0, built) handed over */
    uint8_t *spare[SPARE_MAX]; /* signed jobs' TBS buffers, for reuse */
    size_t spare_cap[SPARE_MAX];
    int num_spare;
    const int64_t *prev;  /* stored CRL number of shard i, or -1 */
    uint8_t **der;        /* signed CRL of jobs[i], until stored */
    size_t *der_len;
    int num;
    int built;
    int signed_n;         /* jobs [0, signed_n) are signed */
    int stored;           /* jobs [0, stored) are stored */
    int closed;           /* no more jobs will be built */
    int signing_done;     /* no more jobs will be signed */
    enum catena_rc rc;    /* the first failure of any stage */
    struct catena_err err;
};

/* fail_stage records the first failure (its reason is in |e|). */
static void
fail_stage(struct pipeline *pl, enum catena_rc rc, const struct catena_err *e)
{
    pthread_mutex_lock(&pl->mu);
    if (pl->rc == CATENA_OK) {
        pl->rc = rc;
        pl->err = *e;
    }
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
}

static void *
sign_loop(void *arg)
{
    struct pipeline *pl = arg;

    for (int next = 0;; next++) {
        struct crl_tbs *job;
        struct catena_err err;
        uint8_t *der = NULL;
        size_t der_len = 0;
        enum catena_rc rc;

        pthread_mutex_lock(&pl->mu);
        while (next >= pl->built && !pl->closed && pl->rc == CATENA_OK) {
            pthread_cond_wait(&pl->cv, &pl->mu);
        }
        if (next >= pl->built || pl->rc != CATENA_OK) {
            pl->signing_done = 1;
            pthread_cond_broadcast(&pl->cv);
            pthread_mutex_unlock(&pl->mu);
            break;
        }
        job = &pl->jobs[next];
        pthread_mutex_unlock(&pl->mu);
        /* The signer lints the exact bytes (and the number against the
         * stored one), signs, and verifies. */
        rc = catena_signer_sign_crl(pl->signer, pl->issuer,
                                    pl->prev[job->shard], job->tbs,
                                    job->tbs_len, &der, &der_len, &err);
        pthread_mutex_lock(&pl->mu);
        if (pl->num_spare < SPARE_MAX) {
            pl->spare[pl->num_spare] = job->mem;
            pl->spare_cap[pl->num_spare++] = job->mem_cap;
        } else {
            free(job->mem);
        }
        job->mem = NULL;
        job->tbs = NULL;
        pthread_mutex_unlock(&pl->mu);
        if (rc != CATENA_OK) {
            fail_stage(pl, rc, &err);
            continue; /* to mark signing done */
        }
        pthread_mutex_lock(&pl->mu);
        pl->der[next] = der;
        pl->der_len[next] = der_len;
        pl->signed_n = next + 1;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
    }
    return NULL;
}

static void *
store_loop(void *arg)
{
    struct pipeline *pl = arg;

    for (int next = 0;; next++) {
        struct crl_tbs *job;
        struct catena_err err;
        uint8_t *der;
        enum catena_rc rc;

        pthread_mutex_lock(&pl->mu);
        while (next >= pl->signed_n && !pl->signing_done &&
               pl->rc == CATENA_OK) {
            pthread_cond_wait(&pl->cv, &pl->mu);
        }
        if (next >= pl->signed_n || pl->rc != CATENA_OK) {
            pthread_mutex_unlock(&pl->mu);
            break;
        }
        job = &pl->jobs[next];
        der = pl->der[next];
        pthread_mutex_unlock(&pl->mu);
        rc = store_shard(pl->writer, pl->issuer, job->shard, job->number,
                         pl->this_update, pl->next_update, job->entries, der,
                         pl->der_len[next], &err);
        pthread_mutex_lock(&pl->mu);
        free(pl->der[next]);
        pl->der[next] = NULL;
        if (rc == CATENA_OK) {
            pl->stored = next + 1;
        }
        pthread_mutex_unlock(&pl->mu);
        if (rc != CATENA_OK) {
            fail_stage(pl, rc, &err);
            break;
        }
    }
    return NULL;
}

/* hand_over is the builder's sink: queue the TBS for the signing thread
 * and lend the builder a signed job's buffer, or stop the build once
 * signing or storing failed. */
static enum catena_rc
hand_over(void *arg, struct crl_tbs *job, struct catena_err *err)
{
    struct pipeline *pl = arg;
    enum catena_rc rc;

    pthread_mutex_lock(&pl->mu);
    rc = pl->rc; /* its reason is in pl->err */
    if (rc == CATENA_OK && pl->built < pl->num) {
        pl->jobs[pl->built] = *job;
        pl->jobs[pl->built].spare = NULL;
        pl->built++;
        job->mem = NULL;
        pthread_cond_broadcast(&pl->cv);
    } else if (rc == CATENA_OK) {
        rc = catena_err_set(err, CATENA_ERR_INTERNAL, "too many shards");
    }
    if (rc == CATENA_OK && pl->num_spare > 0) {
        pl->num_spare--;
        job->spare = pl->spare[pl->num_spare];
        job->spare_cap = pl->spare_cap[pl->num_spare];
    }
    pthread_mutex_unlock(&pl->mu);
    free(job->mem);
    job->mem = NULL;
    return rc;
}

/* run_pipeline builds, signs and stores |pl|'s shards with the two
 * helper threads; returns the first failure. */
static enum catena_rc
run_pipeline(struct pipeline *pl, const struct catena_ca *ca,
             const struct catena_config *cfg, struct catena_store *store,
             const int64_t *numbers, struct catena_err *err)
{
    pthread_t signer_thread;
    pthread_t store_thread;
    int have_store = 0;
    enum catena_rc rc;

    if (pthread_mutex_init(&pl->mu, NULL) != 0) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "mutex");
    }
    if (pthread_cond_init(&pl->cv, NULL) != 0) {
        pthread_mutex_destroy(&pl->mu);
        return catena_err_set(err, CATENA_ERR_INTERNAL, "condition variable");
    }
    if (pthread_create(&signer_thread, NULL, sign_loop, pl) != 0) {
        rc = catena_err_set(err, CATENA_ERR_INTERNAL,
                            "cannot start the signing thread");
        goto out;
    }
    have_store = pthread_create(&store_thread, NULL, store_loop, pl) == 0;
    if (!have_store) {
        rc = catena_err_set(err, CATENA_ERR_INTERNAL,
                            "cannot start the storing thread");
        fail_stage(pl, rc, err);
    } else {
        rc = crl_build_shards(ca, cfg, store, pl->issuer, 0, pl->num - 1,
                              pl->this_update, pl->next_update, numbers,
                              hand_over, pl, err);
        if (rc != CATENA_OK) {
            fail_stage(pl, rc, err); /* stops the other stages */
        }
    }
    pthread_mutex_lock(&pl->mu);
    pl->closed = 1;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    pthread_join(signer_thread, NULL);
    if (have_store) {
        pthread_join(store_thread, NULL);
    }
    if (pl->rc != CATENA_OK) {
        /* The first failure, of whichever stage, is the cause. */
        *err = pl->err;
        rc = pl->rc;
    }
out:
    pthread_cond_destroy(&pl->cv);
    pthread_mutex_destroy(&pl->mu);
    return rc;
}

static enum catena_rc
publish_issuer(struct catena_ca *ca, const struct catena_config *cfg,
               struct catena_store *store, struct catena_store *writer,
               const struct crl_settings *st, const char *issuer,
               FILE *report, struct catena_err *err)
{
    int shards = catena_ca_issuer_num_shards(ca, issuer);
    int64_t now = (int64_t)time(NULL);
    struct pipeline pl;
    int64_t *numbers = NULL;
    int64_t *prev = NULL;
    enum catena_rc rc;

    memset(&pl, 0, sizeof(pl));
    if (catena_ca_signer(ca) == NULL) {
        return catena_err_set(err, CATENA_ERR_SIGNER, "no signer running");
    }
    if (strlen(issuer) >= CRL_MAX_ISSUER_NAME) {
        return catena_err_set(err, CATENA_ERR_CONFIG, "issuer name too long");
    }
    if (shards < 1) {
        return CATENA_OK;
    }
    pl.signer = catena_ca_signer(ca);
    pl.writer = writer;
    pl.issuer = issuer;
    pl.this_update = now;
    pl.next_update = now + st->next_update;
    pl.num = shards;
    numbers = calloc((size_t)shards, sizeof(*numbers));
    prev = calloc((size_t)shards, sizeof(*prev));
    pl.prev = prev;
    pl.jobs = calloc((size_t)shards, sizeof(*pl.jobs));
    pl.der = calloc((size_t)shards, sizeof(*pl.der));
    pl.der_len = calloc((size_t)shards, sizeof(*pl.der_len));
    if (numbers == NULL || prev == NULL || pl.jobs == NULL ||
        pl.der == NULL || pl.der_len == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int s = 0; s < shards; s++) {
        if ((rc = stored_number(store, issuer, s, &prev[s], err)) !=
            CATENA_OK) {
            goto out;
        }
        numbers[s] = crl_next_number(prev[s]);
    }
    rc = run_pipeline(&pl, ca, cfg, store, numbers, err);
    for (int s = 0; report != NULL && s < pl.stored; s++) {
        fprintf(report, "%s/%d: number %lld, %lld entries, %zu bytes\n",
                issuer, s, (long long)numbers[s],
                (long long)pl.jobs[s].entries, pl.der_len[s]);
    }
out:
    for (int s = 0; pl.jobs != NULL && pl.der != NULL && s < shards; s++) {
        free(pl.jobs[s].mem);
        free(pl.der[s]);
    }
    for (int i = 0; i < pl.num_spare; i++) {
        free(pl.spare[i]);
    }
    free(pl.jobs);
    free(pl.der);
    free(pl.der_len);
    free(numbers);
    free(prev);
    return rc;
}

enum catena_rc
catena_crl_publish_all(struct catena_ca *ca, const struct catena_config *cfg,
                       struct catena_store *store, FILE *report,
                       struct catena_err *err)
{
    struct crl_settings st;
    struct catena_store *writer = NULL;
    const char *const *names;
    size_t num = 0;
    int got = 0;
    enum catena_rc rc;

    if ((rc = crl_settings_load(cfg, &st, err)) != CATENA_OK ||
        (rc = crl_migrate(store, err)) != CATENA_OK ||
        (rc = crl_lock(store, &got, err)) != CATENA_OK) {
        return rc;
    }
    if (!got) {
        return catena_err_set(err, CATENA_ERR_EXISTS,
                              "another node is publishing CRLs");
    }
    /* The signing thread stores through its own connection while this
     * one reads the entries. */
    if ((rc = catena_store_open(catena_ca_store_url(ca), &writer, err)) ==
        CATENA_OK) {
        names = catena_ca_issuer_names(ca, &num);
        for (size_t i = 0; i < num && rc == CATENA_OK; i++) {
            rc = publish_issuer(ca, cfg, store, writer, &st, names[i], report,
                                err);
        }
    }
    catena_store_close(writer);
    crl_unlock(store);
    return rc;
}

enum catena_rc
catena_crl_urls_json(const struct catena_ca *ca, char **out,
                     struct catena_err *err)
{
    json_t *arr = json_array();
    const char *const *names;
    size_t num = 0;
    char url[1024];
    enum catena_rc rc = CATENA_OK;

    *out = NULL;
    if (arr == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    names = catena_ca_issuer_names(ca, &num);
    for (size_t i = 0; i < num && rc == CATENA_OK; i++) {
        int shards = catena_ca_issuer_num_shards(ca, names[i]);

        for (int s = 0; s < shards; s++) {
            if (catena_ca_shard_url(ca, names[i], s, url, sizeof(url)) !=
                    CATENA_OK ||
                json_array_append_new(arr, json_string(url)) != 0) {
                rc = catena_err_set(err, CATENA_ERR_NOMEM,
                                    "cannot list shard URLs");
                break;
            }
        }
    }
    if (rc == CATENA_OK &&
        (*out = json_dumps(arr, JSON_INDENT(2))) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    json_decref(arr);
    return rc;
}

static void
format_time(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, 32, "%lld", (long long)t);
    }
}

struct show_ctx {
    FILE *out;
    const char *dir;
    struct catena_err *err;
};

static int
show_row(void *vctx, const struct catena_row *row)
{
    struct show_ctx *c = vctx;
    char tu[32], nu[32];
    size_t len = 0;

    (void)catena_row_blob(row, 6, &len);
    format_time(catena_row_int(row, 3), tu);
    format_time(catena_row_int(row, 4), nu);
    fprintf(c->out, "%-10s %5lld %20lld  %s  %s %9lld %10zu\n",
            catena_row_text(row, 0) != NULL ? catena_row_text(row, 0) : "",
            (long long)catena_row_int(row, 1),
            (long long)catena_row_int(row, 2), tu, nu,
            (long long)catena_row_int(row, 5), len);
    return 0;
}

enum catena_rc
catena_crl_show(struct catena_store *store, FILE *out, struct catena_err *err)
{
    struct show_ctx c = {out, NULL, err};
    enum catena_rc rc;

    if ((rc = crl_migrate(store, err)) != CATENA_OK) {
        return rc;
    }
    fprintf(out, "%-10s %5s %20s  %-20s  %-20s %9s %10s\n", "issuer",
            "shard", "number", "thisUpdate", "nextUpdate", "entries",
            "bytes");
    return catena_store_foreach(store,
                                "SELECT " SHARD_COLUMNS " FROM crl_shards "
                                "ORDER BY issuer, shard",
                                NULL, 0, show_row, &c, err);
}

static int
export_row(void *vctx, const struct catena_row *row)
{
    struct show_ctx *c = vctx;
    struct crl_shard sh;
    char path[4096];
    FILE *f;
    int n;
    enum catena_rc rc;

    if ((rc = fill_shard(row, &sh, c->err)) != CATENA_OK) {
        return (int)rc;
    }
    /* Issuer names come from our own configuration, but keep them out of
     * path games anyway. */
    if (strchr(sh.issuer, '/') != NULL || sh.issuer[0] == '.') {
        crl_shard_clear(&sh);
        return (int)catena_err_set(c->err, CATENA_ERR_INVALID,
                                   "unusable issuer name");
    }
    n = snprintf(path, sizeof(path), "%s/%s-%d.crl", c->dir, sh.issuer,
                 sh.shard);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        crl_shard_clear(&sh);
        return (int)catena_err_set(c->err, CATENA_ERR_TOO_BIG, "path");
    }
    f = fopen(path, "wb");
    if (f == NULL || fwrite(sh.der, 1, sh.der_len, f) != sh.der_len) {
        rc = catena_err_set_errno(c->err, CATENA_ERR_IO, "cannot write %s",
                                  path);
        if (f != NULL) {
            fclose(f);
        }
        crl_shard_clear(&sh);
        return (int)rc;
    }
    crl_shard_clear(&sh);
    if (fclose(f) != 0) {
        return (int)catena_err_set_errno(c->err, CATENA_ERR_IO,
                                         "cannot write %s", path);
    }
    return 0;
}

enum catena_rc
catena_crl_export(struct catena_store *store, const char *dir,
                  struct catena_err *err)
{
    struct show_ctx c = {NULL, dir, err};
    enum catena_rc rc;

    if ((rc = crl_migrate(store, err)) != CATENA_OK) {
        return rc;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return catena_err_set_errno(err, CATENA_ERR_IO, "cannot create %s",
                                    dir);
    }
    return catena_store_foreach(store,
                                "SELECT " SHARD_COLUMNS " FROM crl_shards "
                                "ORDER BY issuer, shard",
                                NULL, 0, export_row, &c, err);
}
