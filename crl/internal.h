/*
 * internal.h - shared by the files of crl/: settings, CRL building and
 * storage, the OCSP responder and the HTTP handlers. Not public.
 */
#ifndef CATENA_CRL_INTERNAL_H
#define CATENA_CRL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"
#include "catena/service.h"

struct catena_ca;
struct catena_config;
struct catena_store;

/* BR 4.9.7 / 4.9.10: CRL and OCSP intervals never exceed ten days. */
#define CRL_MAX_INTERVAL (10 * 86400)
/* A revoked certificate stays listed this long after it expires, so the
 * first CRLs issued after expiry (and clients with skewed clocks) still
 * see it (BR 4.10.1 forbids removal before expiry). */
#define CRL_EXPIRY_MARGIN 86400
#define CRL_MAX_ISSUER_NAME 64

struct crl_settings {
    int crl_enabled;
    int64_t next_update;   /* seconds after thisUpdate */
    int64_t refresh;       /* regenerate a shard after this long */
    int ocsp_enabled;
    int64_t ocsp_validity; /* nextUpdate - thisUpdate of responses */
};

/* crl_settings_load reads [crl] and [ocsp] with defaults and limits. */
enum catena_rc crl_settings_load(const struct catena_config *cfg,
                                 struct crl_settings *out,
                                 struct catena_err *err) CATENA_WUR;

/* crl_migrate creates crl/'s own tables (idempotent). */
enum catena_rc crl_migrate(struct catena_store *store,
                           struct catena_err *err) CATENA_WUR;

/* What one published shard looks like (der owned by the struct). */
struct crl_shard {
    char issuer[CRL_MAX_ISSUER_NAME];
    int shard;
    int64_t number;
    int64_t this_update;
    int64_t next_update;
    int64_t num_entries;
    uint8_t *der;
    size_t der_len;
};

void crl_shard_clear(struct crl_shard *s);

/*
 * crl_build_tbs builds the TBSCertList DER of shard |shard| of issuer
 * |issuer| listing every revoked certificate of the shard whose notAfter
 * is at most CRL_EXPIRY_MARGIN before |this_update|. |*tbs| is malloc'd.
 */
enum catena_rc crl_build_tbs(const struct catena_ca *ca,
                             const struct catena_config *cfg,
                             struct catena_store *store, const char *issuer,
                             int shard, int64_t this_update,
                             int64_t next_update, int64_t number,
                             uint8_t **tbs, size_t *tbs_len,
                             int64_t *num_entries,
                             struct catena_err *err) CATENA_WUR;

/* A shard's TBSCertList is at most what the signer accepts (its
 * CATENA_SIGNER_CRL_MAX). */
#define CRL_TBS_MAX (64u * 1024u * 1024u)

/* One built TBSCertList: tbs lies inside mem (malloc'd, mem_cap bytes),
 * which is what is freed. */
struct crl_tbs {
    int shard;
    int64_t number;
    uint8_t *tbs;
    size_t tbs_len;
    int64_t entries;
    uint8_t *mem;
    size_t mem_cap;
    /* Set by the sink, optionally: a buffer it is done with (malloc'd,
     * spare_cap bytes) that the builder then fills with the next shard
     * instead of allocating (and faulting in) a new one. */
    uint8_t *spare;
    size_t spare_cap;
};

/* Receives each shard's TBS in shard order and owns job->mem whatever it
 * returns; a non-OK return stops the build. */
typedef enum catena_rc (*crl_tbs_cb)(void *arg, struct crl_tbs *job,
                                     struct catena_err *err);

/*
 * crl_build_shards builds the TBSCertLists of shards |first|..|last| of
 * |issuer| in one ordered pass over the store, calling |done| as soon as
 * each is complete (so signing can overlap building). numbers[i] is the
 * CRL number of shard first + i.
 */
enum catena_rc crl_build_shards(const struct catena_ca *ca,
                                const struct catena_config *cfg,
                                struct catena_store *store,
                                const char *issuer, int first, int last,
                                int64_t this_update, int64_t next_update,
                                const int64_t *numbers, crl_tbs_cb done,
                                void *done_arg,
                                struct catena_err *err) CATENA_WUR;

/*
 * crl_publish_shard builds, signs and stores one shard with a CRL number
 * above the stored one. On success |out| (may be NULL) gets the result.
 */
enum catena_rc crl_publish_shard(struct catena_ca *ca,
                                 const struct catena_config *cfg,
                                 struct catena_store *store,
                                 const struct crl_settings *st,
                                 const char *issuer, int shard,
                                 struct crl_shard *out,
                                 struct catena_err *err) CATENA_WUR;

/* crl_lock / crl_unlock take the cluster-wide CRL advisory lock under
 * PostgreSQL (no-ops under SQLite). *got says whether it was taken. */
enum catena_rc crl_lock(struct catena_store *store, int *got,
                        struct catena_err *err) CATENA_WUR;
void crl_unlock(struct catena_store *store);

/*
 * crl_load_shard reads the stored shard (issuer, shard) into |out|;
 * CATENA_ERR_NOT_FOUND if none was published yet.
 */
enum catena_rc crl_load_shard(struct catena_store *store, const char *issuer,
                              int shard, struct crl_shard *out,
                              struct catena_err *err) CATENA_WUR;

/* crl_next_number returns a time-based CRL number greater than |prev|. */
int64_t crl_next_number(int64_t prev);

/* ---- OCSP (ocsp.c) ---------------------------------------------------- */

struct crl_ocsp;

#define OCSP_MAX_REQUEST 4096

/* Outcome of an OCSP lookup, for the HTTP layer. */
struct ocsp_answer {
    uint8_t *der;          /* OCSPResponse, malloc'd */
    size_t der_len;
    int successful;        /* 1: signed response with the times below */
    int64_t this_update;
    int64_t next_update;
    int64_t produced_at;
};

enum catena_rc crl_ocsp_new(struct catena_ca *ca,
                            const struct catena_config *cfg,
                            const struct crl_settings *st,
                            struct crl_ocsp **out,
                            struct catena_err *err) CATENA_WUR;
void crl_ocsp_free(struct crl_ocsp *o);

/*
 * crl_ocsp_respond answers the DER request |req| (untrusted, capped at
 * OCSP_MAX_REQUEST). Malformed requests and unknown issuers still yield
 * an (unsigned) OCSPResponse in |ans|; only internal failures return an
 * error. |store| is a connection of the calling thread.
 */
enum catena_rc crl_ocsp_respond(struct crl_ocsp *o, struct catena_store *store,
                                const uint8_t *req, size_t req_len,
                                struct ocsp_answer *ans,
                                struct catena_err *err) CATENA_WUR;

/* crl_ocsp_invalidate drops cached responses for |serial| (hex). */
void crl_ocsp_invalidate(struct crl_ocsp *o, const char *serial);

/* crl_ocsp_refresh re-signs cached responses older than half their
 * validity. */
void crl_ocsp_refresh(struct crl_ocsp *o, struct catena_store *store);

/* ---- the service (publisher.c, http.c) ---------------------------------- */

#include <pthread.h>

#define CRL_POOL_MAX 16
#define CRL_RECENT_MAX 4096

/* One published shard as served; guarded by crl_service.pub_lock. */
struct pub_shard {
    char issuer[CRL_MAX_ISSUER_NAME];
    int64_t issuer_id;
    int shard;
    int num_shards;
    int dirty; /* a revocation since the last generation */
    struct crl_shard cur;
    char etag[48];
    char last_modified[40];
};

struct recent_revocation {
    char serial[41];
    int64_t seen_at;
};

struct crl_service {
    struct catena_ca *ca;
    const struct catena_config *cfg;
    struct crl_settings st;
    struct crl_ocsp *ocsp;
    struct pub_shard *shards;
    size_t num_shards;
    pthread_rwlock_t pub_lock;
    pthread_mutex_t lock; /* guards stop, wake, dirty flags */
    pthread_cond_t cond;
    int stop;
    int wake;
    pthread_t thread;
    int thread_started;
    pthread_mutex_t pool_lock;
    struct catena_store *pool[CRL_POOL_MAX];
    size_t pool_len;
    struct recent_revocation recent[CRL_RECENT_MAX];
    size_t num_recent;
    int64_t last_ocsp_refresh;
};

/* crl_pool_get / crl_pool_put lend a store connection to one thread. */
enum catena_rc crl_pool_get(struct crl_service *svc,
                            struct catena_store **out,
                            struct catena_err *err) CATENA_WUR;
void crl_pool_put(struct crl_service *svc, struct catena_store *store);

/* crl_http_routes adds /crl/, /ca/ and /ocsp to |http|. */
struct catena_http_server;
enum catena_rc crl_http_routes(struct crl_service *svc,
                               struct catena_http_server *http,
                               struct catena_err *err) CATENA_WUR;

/* crl_http_date formats |t| as an HTTP date (RFC 9110 5.6.7). */
void crl_http_date(int64_t t, char buf[40]);


enum catena_rc catena_crl_service_start(const struct catena_service_env *env,
                                        void **state,
                                        struct catena_err *err) CATENA_WUR;
void catena_crl_service_stop(void *state);

#endif
