/*
 * internal.h (acme) - what the files of the ACME server share: the server
 * handle, the per-request context, base64url, JWS, problem documents,
 * nonces, the store tables and the validation worker pool.
 */
#ifndef CATENA_ACME_INTERNAL_H
#define CATENA_ACME_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "catena/acme.h"
#include "catena/err.h"
#include "catena/http.h"

struct catena_ca;
struct catena_rows;
struct catena_sql_param;
struct catena_store;

/* Caps on untrusted input, checked before anything is allocated. */
#define ACME_MAX_BODY (64 * 1024)
#define ACME_MAX_CSR (16 * 1024)
#define ACME_MAX_CERT (16 * 1024)
#define ACME_MAX_IDENTIFIERS 100
/* The core profile every ACME order is issued under. */
#define ACME_PROFILE "tls-server"
/* A finalize whose certificate row is still reserved after this long
 * stopped between its two commits (order.c settle_processing). */
#define ACME_STUCK_ISSUANCE_S 300
#define ACME_MAX_CONTACTS 10
#define ACME_MAX_CONTACT_LEN 320
#define ACME_MAX_URL 1024
#define ACME_MAX_NONCE 64
#define ACME_MAX_DNS_NAME 253
#define ACME_MAX_CAA_IDS 8
#define ACME_NONCE_KEY_LEN 32 /* nonce MAC key (nonce.c) */

/* ---- base64url (b64.c) ---------------------------------------------- */

/*
 * acme_b64u_encode returns base64url of |len| bytes without padding
 * (malloc'd, NUL-terminated) or NULL when out of memory.
 */
char *acme_b64u_encode(const uint8_t *data, size_t len);

/*
 * acme_b64u_decode decodes |in_len| characters of strict base64url: the
 * URL-safe alphabet only, no padding, no whitespace, and the unused bits of
 * the last character zero (so every byte string has one encoding). Fails
 * with CATENA_ERR_TOO_BIG if the result would exceed |max_out| bytes. On
 * success |*out| is malloc'd (at least one byte, even for empty input).
 */
enum catena_rc acme_b64u_decode(const char *in, size_t in_len,
                                size_t max_out, uint8_t **out,
                                size_t *out_len) CATENA_WUR;

/* ---- problem documents (problem.c) -------------------------------- */

enum acme_prob {
    ACME_PROB_NONE,
    ACME_PROB_MALFORMED,
    ACME_PROB_BAD_NONCE,
    ACME_PROB_BAD_SIG_ALG,
    ACME_PROB_UNAUTHORIZED,
    ACME_PROB_ACCOUNT_DNE,
    ACME_PROB_SERVER_INTERNAL,
    ACME_PROB_BAD_CSR,
    ACME_PROB_REJECTED_ID,
    ACME_PROB_UNSUPPORTED_ID,
    ACME_PROB_ORDER_NOT_READY,
    ACME_PROB_ALREADY_REVOKED,
    ACME_PROB_BAD_REVOCATION_REASON,
    ACME_PROB_CAA,
    ACME_PROB_DNS,
    ACME_PROB_CONNECTION,
    ACME_PROB_INCORRECT_RESPONSE,
    ACME_PROB_TLS,
    ACME_PROB_UNSUPPORTED_CONTACT,
    ACME_PROB_INVALID_CONTACT,
    ACME_PROB_BAD_PUBLIC_KEY,
    ACME_PROB_EXTERNAL_ACCOUNT_REQUIRED,
    ACME_PROB_ALREADY_REPLACED,
    ACME_PROB_RATE_LIMITED,
    ACME_PROB_NOT_FOUND,         /* malformed, 404 */
    ACME_PROB_METHOD,            /* malformed, 405 */
    ACME_PROB_UNSUPPORTED_MEDIA, /* malformed, 415 */
    ACME_PROB_CONFLICT,          /* malformed, 409 */
    ACME_PROB_TOO_LARGE,         /* malformed, 413: body over the cap */
    ACME_PROB_DEACTIVATED,       /* unauthorized, 401 (RFC 8555 7.3.6) */
    ACME_PROB__MAX
};

/* acme_prob_type returns the full URN of |p|, e.g.
 * "urn:ietf:params:acme:error:badNonce". */
const char *acme_prob_type(enum acme_prob p);

/* acme_prob_from_type maps a full URN back to its problem;
 * ACME_PROB__MAX if it names none of ours. */
enum acme_prob acme_prob_from_type(const char *urn);

/* acme_prob_status returns the HTTP status RFC 8555 6.7 suggests. */
int acme_prob_status(enum acme_prob p);

/*
 * acme_prob_json returns a new problem object {type, detail, status} and,
 * if |subproblems| (stolen, may be NULL) is a non-empty array, adds it.
 */
json_t *acme_prob_json(enum acme_prob p, const char *detail,
                       json_t *subproblems);

/*
 * acme_prob_subproblem returns a new subproblem object for identifier
 * (|id_type|, |id_value|).
 */
json_t *acme_prob_subproblem(enum acme_prob p, const char *detail,
                             const char *id_type, const char *id_value);

/*
 * acme_prob_from_rc maps a core error code to the problem a client sees;
 * |fallback| is used for codes whose meaning depends on the request
 * (CATENA_ERR_INVALID and CATENA_ERR_POLICY: badCSR in finalize, malformed
 * elsewhere).
 */
enum acme_prob acme_prob_from_rc(enum catena_rc rc, enum acme_prob fallback);

/* acme_prob_from_validation maps acme_validate's problem (validate.h). */
enum acme_prob acme_prob_from_validation(int vprob);

/* acme_prob_detail_for_rc returns a client-safe sentence for |rc|. */
const char *acme_prob_detail_for_rc(enum catena_rc rc);

/* ---- JWS (jws.c) ------------------------------------------------------ */

enum acme_jws_alg {
    ACME_ALG_ES256,
    ACME_ALG_ES384,
    ACME_ALG_ES512,
    ACME_ALG_RS256,
    ACME_ALG_EDDSA,
    ACME_ALG__MAX
};

struct acme_jws {
    enum acme_jws_alg alg;
    char *url;          /* protected "url" */
    char *nonce;        /* protected "nonce", NULL if absent */
    char *kid;          /* protected "kid", NULL if jwk */
    json_t *jwk;        /* protected "jwk" (new ref), NULL if kid */
    uint8_t *payload;   /* decoded payload, NUL-terminated */
    size_t payload_len; /* 0 = POST-as-GET */
    /* Kept for verification after the key is known. */
    char *signing_input;
    size_t signing_input_len;
    uint8_t *sig;
    size_t sig_len;
};

/*
 * acme_jws_split reads the flattened JSON serialisation (RFC 7515 7.2.2)
 * every JWS here uses: |root| must have exactly the members "protected",
 * "payload" and "signature", each strict base64url, and the protected
 * header must be a JSON object without duplicate members. On success
 * |*hdr| is that header (new reference) and |out| holds payload, signature
 * and signing input, nothing else. On failure returns the problem
 * (malformed) with a client-safe detail; |*hdr| is NULL, |out| cleared.
 */
enum acme_prob acme_jws_split(const json_t *root, json_t **hdr,
                              struct acme_jws *out, char *detail,
                              size_t detail_len);

/*
 * acme_jws_parse parses a flattened JSON JWS of |len| bytes: exactly the
 * members "protected", "payload", "signature"; the protected header with
 * "alg", "url", exactly one of "jwk"/"kid", and "nonce" if |need_nonce|.
 * Does not verify the signature (the key may come from the store). On
 * failure returns the problem to answer and writes a client-safe detail.
 */
enum acme_prob acme_jws_parse(const uint8_t *body, size_t len,
                              int need_nonce, struct acme_jws *out,
                              char *detail, size_t detail_len);

/* acme_jws_algs_json returns a new array of the JWS algorithms accepted
 * (the "algorithms" of a badSignatureAlgorithm problem, RFC 8555 6.2). */
json_t *acme_jws_algs_json(void);

/* acme_jws_clear frees the members of |jws|. */
void acme_jws_clear(struct acme_jws *jws);

/*
 * acme_jwk_to_pkey builds a public key from a JWK object (EC P-256/384/521,
 * RSA >= 2048 bits, OKP Ed25519) with strict member checks. Returns NULL
 * and a detail on failure.
 */
EVP_PKEY *acme_jwk_to_pkey(const json_t *jwk, char *detail,
                           size_t detail_len);

/*
 * acme_jwk_thumbprint writes the RFC 7638 SHA-256 thumbprint of |jwk| as
 * base64url into |out| (44 bytes suffice). Returns 0 or -1.
 */
int acme_jwk_thumbprint(const json_t *jwk, char out[48]);

/*
 * acme_jwk_canonical returns the RFC 7638 canonical JSON text (malloc'd)
 * of the required members of |jwk|, or NULL.
 */
char *acme_jwk_canonical(const json_t *jwk);

/*
 * acme_jws_verify checks that |key| suits the JWS algorithm and verifies
 * the signature. Returns ACME_PROB_NONE, ACME_PROB_BAD_SIG_ALG for a key
 * that does not fit the algorithm, or ACME_PROB_MALFORMED for a bad
 * signature.
 */
enum acme_prob acme_jws_verify(const struct acme_jws *jws, EVP_PKEY *key,
                               char *detail, size_t detail_len);

/* ---- External Account Binding (eab.c) ---------------------------------- */

/*
 * acme_eab_check verifies the "externalAccountBinding" member |eab| of a
 * newAccount payload (RFC 8555 7.3.4): a flattened JWS whose protected
 * header has exactly alg (HS256, HS384 or HS512), kid and url, url equal
 * to |outer_url|, no nonce; a MAC that verifies, in constant time, under
 * the stored key of kid; a payload that is the same key as |outer_jwk|;
 * and a kid not yet bound. Writes the kid into |kid_out| and returns NONE,
 * or returns the problem (malformed, badSignatureAlgorithm, unauthorized
 * for an unknown kid, a wrong MAC or a bound kid, serverInternal) with a
 * client-safe detail. Binding is acme_eab_bind's job.
 */
enum acme_prob acme_eab_check(struct catena_store *store, const json_t *eab,
                              const char *outer_url, const json_t *outer_jwk,
                              char kid_out[CATENA_ACME_EAB_MAX_KID + 1],
                              char *detail, size_t detail_len);

/*
 * acme_eab_bind binds key |kid| to account |account_id| at |now|; call it
 * inside the transaction that inserts the account. Returns
 * CATENA_ERR_UNAUTHORIZED if the key is bound already (a concurrent
 * request won).
 */
enum catena_rc acme_eab_bind(struct catena_store *store, const char *kid,
                             int64_t account_id, int64_t now,
                             struct catena_err *err) CATENA_WUR;

/* acme_eab_algs_json returns a new array of the EAB MAC algorithms. */
json_t *acme_eab_algs_json(void);

/*
 * A nonce MAC key (nonce.c): HMAC-SHA256 set up once with the secret. Each MAC
 * works on a duplicate of |mac| (never on |mac| itself, which threads
 * share), so no per-request algorithm fetch or key schedule happens.
 */
struct acme_nonce_key {
    EVP_MAC_CTX *mac;
};

/* ---- the server -------------------------------------------------------- */

struct acme_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t *ids;
    size_t cap, head, num;
    int stopping;
};

/* A validation's committed outcome, as the worker hands it over. */
struct acme_chall_outcome {
    const char *status;      /* "valid" / "invalid"; NULL = not known */
    int64_t validated_at;    /* 0 unless valid */
    char *error_json;        /* problem document or NULL */
};

/* A parked challenge answer (chall_wait.c); handed back to the listener
 * with the unpark, which frees it (acme_chall_wait_free) after the
 * answer. The challenge's own fields are kept so a known outcome is
 * answered without reading the store again. */
struct acme_chall_wait {
    int64_t chall_id;
    int64_t authz_id;
    char type[16];
    char token[64];
    int64_t deadline_ms;  /* CLOCK_MONOTONIC */
    struct catena_http_ticket *ticket;
    int done;             /* acme_chall_done unparked it */
    int known;            /* ... and left the outcome below */
    char status[16];
    int64_t validated_at;
    char *error_json;
    struct acme_chall_wait *next;
};

struct acme_waits {
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* wakes the timer: first wait, or stopping */
    struct acme_chall_wait *head;
    size_t num;
    int stopping;
    int started;
    pthread_t timer;
};

struct acme_mpic;

struct acme_srv {
    struct catena_ca *ca;
    const char *store_url;
    struct catena_http_server *http;
    pthread_key_t store_key;
    int store_key_ok;

    char base_url[ACME_MAX_URL];   /* no trailing slash */
    char base_path[ACME_MAX_URL];  /* path part of base_url, no trailing / */
    const char *terms_of_service;
    const char *website;
    char *caa_buf;                 /* storage for caa_ids */
    const char *caa_ids[ACME_MAX_CAA_IDS];
    size_t num_caa_ids;
    const char *dns_resolver;
    const char *ari_explanation_url;
    int64_t nonce_lifetime;
    struct acme_nonce_key nonce_key;
    int64_t authz_reuse;
    int64_t caa_reuse;
    int64_t order_lifetime;
    int64_t authz_lifetime;
    int http01_port;
    int tlsalpn01_port;
    int eab_required;              /* [acme] external_account_required */
    struct acme_mpic *mpic;        /* remote perspectives; NULL = none */

    struct acme_queue queue;
    pthread_t *workers;
    size_t num_workers;
    int64_t challenge_wait_ms;     /* [acme] challenge_wait; 0 = off */
    struct acme_waits waits;
};

/*
 * acme_srv_store returns the calling thread's own store connection (opened
 * on first use, closed when the thread exits), or NULL if it cannot open.
 */
struct catena_store *acme_srv_store(struct acme_srv *srv,
                                    struct catena_err *err);

/* acme_now returns the current Unix time. */
int64_t acme_now(void);

/* acme_time_str writes RFC 3339 UTC time |t| into |buf| (32 bytes). */
void acme_time_str(int64_t t, char buf[32]);

/* ---- store tables (db.c) ------------------------------------------- */

/* acme_db_migrate creates or upgrades the acme tables. */
enum catena_rc acme_db_migrate(struct catena_store *store,
                               struct catena_err *err) CATENA_WUR;

/*
 * Transactions (db.c). The SQLite driver queues this process's writers on
 * its own gate (ca/store/sqlite.c). acme_tx_commit rolls back a commit
 * that fails, so the connection is left outside any transaction either
 * way.
 */
enum catena_rc acme_tx_begin(struct catena_store *store,
                             struct catena_err *err) CATENA_WUR;
enum catena_rc acme_tx_commit(struct catena_store *store,
                              struct catena_err *err) CATENA_WUR;
void acme_tx_rollback(struct catena_store *store);

/* ---- nonces (nonce.c) -------------------------------------------- */

/* acme_nonce_key_set makes |key| from |secret|. */
enum catena_rc acme_nonce_key_set(struct acme_nonce_key *key,
                                  const uint8_t secret[ACME_NONCE_KEY_LEN],
                                  struct catena_err *err) CATENA_WUR;

/* acme_nonce_key_clear frees |key| (a cleared key may be cleared again). */
void acme_nonce_key_clear(struct acme_nonce_key *key);

/*
 * acme_nonce_key_load reads the nonce MAC secret from the store, creating
 * it on first use (every node sharing the store gets the same one), and
 * sets |key| from it.
 */
enum catena_rc acme_nonce_key_load(struct catena_store *store,
                                   struct acme_nonce_key *key,
                                   struct catena_err *err) CATENA_WUR;

/*
 * acme_nonce_new writes a fresh nonce valid for |lifetime| seconds into
 * |out|. It touches no store: the nonce carries its expiry under a MAC.
 */
enum catena_rc acme_nonce_new(const struct acme_nonce_key *key,
                              int64_t lifetime, char out[ACME_MAX_NONCE],
                              struct catena_err *err) CATENA_WUR;

/*
 * acme_nonce_check sets |*ok| to 1 if |nonce| is well-formed, carries a
 * valid MAC under |key| and has not expired, with |*expires| its expiry.
 * It touches no store: whether the nonce was used is for
 * acme_nonce_record or acme_nonce_record_tx to find out.
 */
enum catena_rc acme_nonce_check(const struct acme_nonce_key *key,
                                const char *nonce, int *ok, int64_t *expires,
                                struct catena_err *err) CATENA_WUR;

/*
 * acme_nonce_record records the use of a checked |nonce| in a transaction
 * of its own (shared with concurrent callers) and returns once it is
 * committed: |*ok| is 1 for the first use, 0 if it was used before (here,
 * on another node, or before a restart).
 */
enum catena_rc acme_nonce_record(struct catena_store *store,
                                 const char *nonce, int *ok,
                                 struct catena_err *err) CATENA_WUR;

/*
 * acme_nonce_record_tx records the use like acme_nonce_record, but inside
 * the transaction the caller has open on |store|: the use is committed
 * with the caller's writes or not at all.
 */
enum catena_rc acme_nonce_record_tx(struct catena_store *store,
                                    const char *nonce, int *ok,
                                    struct catena_err *err) CATENA_WUR;

/*
 * acme_nonce_use consumes |nonce|: acme_nonce_check, then
 * acme_nonce_record. |*ok| is 1 only for a good nonce's first use.
 */
enum catena_rc acme_nonce_use(struct catena_store *store,
                              const struct acme_nonce_key *key,
                              const char *nonce, int *ok,
                              struct catena_err *err) CATENA_WUR;

/* ---- requests ---------------------------------------------------------- */

struct acme_account {
    int64_t id;
    char status[16];
    json_t *jwk;      /* new reference */
    EVP_PKEY *key;
    json_t *contact;  /* array, new reference */
};

void acme_account_clear(struct acme_account *acct);

/* acme_account_load loads account |id|; CATENA_ERR_NOT_FOUND if none. */
enum catena_rc acme_account_load(struct catena_store *store, int64_t id,
                                 struct acme_account *out,
                                 struct catena_err *err) CATENA_WUR;

/*
 * acme_account_key_is reports whether the SubjectPublicKeyInfo DER |spki|
 * (|len| bytes) encodes the key of |acct|, as DER of the same key: 1 yes,
 * 0 no, -1 error. The account key's DER is kept with the cached key.
 */
int acme_account_key_is(const struct acme_account *acct, const uint8_t *spki,
                        size_t len);

/*
 * acme_csr_names_match checks that the DER CSR's subjectAltName holds
 * exactly |names| (the order's identifiers, "*." kept; dNSName and
 * iPAddress only, each name at least once) and that every common name is
 * one of them. Signature and key are not its business (catena_csr_verify).
 * Returns 1, or 0 with a client-safe |detail|.
 */
int acme_csr_names_match(const uint8_t *der, size_t len,
                         const char *const *names, size_t num, char *detail,
                         size_t dlen);

struct acme_req {
    struct acme_srv *srv;
    struct catena_store *store;
    const struct catena_http_request *http;
    struct catena_http_response *resp;
    const char *path;   /* request path below base_path */
    int64_t now;
    struct acme_jws jws;
    struct acme_account acct; /* when the JWS used "kid" */
    EVP_PKEY *jwk_key;        /* when the JWS used "jwk" */
    /* A nonce checked by acme_post_verify_deferred whose use is not yet
     * committed (see there), its expiry, and whether the open request
     * transaction holds its use. */
    int nonce_pending;
    int nonce_in_tx;
    int parked;         /* answered later: see acme_chall_park */
};

/* Replies. Each returns 0 so a handler can "return acme_reply_...". */
int acme_reply_json(struct acme_req *r, int status, json_t *obj);
int acme_reply_problem(struct acme_req *r, enum acme_prob p,
                       const char *detail);
int acme_reply_problem_json(struct acme_req *r, json_t *prob);
int acme_reply_rc(struct acme_req *r, enum catena_rc rc,
                  enum acme_prob fallback);
/* acme_reply_jws_problem answers problem |p| about a JWS; for
 * badSignatureAlgorithm it adds the "algorithms" array RFC 8555 6.2 asks
 * for, made by |algs| (acme_jws_algs_json or acme_eab_algs_json). */
int acme_reply_jws_problem(struct acme_req *r, enum acme_prob p,
                           const char *detail, json_t *(*algs)(void));
int acme_header(struct acme_req *r, const char *name, const char *value);
/* acme_url writes base_url + |fmt| expansion into |buf|. */
void acme_url(const struct acme_srv *srv, char *buf, size_t len,
              const char *fmt, ...) CATENA_PRINTF(4, 5);

/*
 * acme_post_verify authenticates a POST: JWS parse, nonce, url, key by
 * kid (must be a valid account) or jwk (only if |allow_jwk|; kid only if
 * |allow_kid|). On failure it has already written the problem reply and
 * returns -1.
 */
int acme_post_verify(struct acme_req *r, int allow_jwk, int allow_kid);

/*
 * acme_post_verify_deferred is acme_post_verify for handlers whose writes
 * open with acme_req_tx_begin: the nonce is checked (MAC, expiry) but its
 * use is recorded inside that transaction, so a request that writes costs
 * one transaction, not two. If the handler ends without having committed
 * it, acme_dispatch records the use before answering; either way a nonce
 * found used turns the answer into badNonce, and nothing is written under
 * a used nonce.
 */
int acme_post_verify_deferred(struct acme_req *r, int allow_jwk,
                              int allow_kid);

/*
 * acme_req_tx_begin opens the request's write transaction (the write
 * gate, acme_tx_begin) and records the deferred nonce's use first inside
 * it. Returns 0, or -1 after replying (badNonce when the nonce was used,
 * serverInternal on a store error) with nothing left open.
 * acme_req_tx_commit commits (a failed commit is rolled back);
 * acme_req_tx_rollback rolls back, and the nonce's use is then recorded
 * by acme_dispatch.
 */
int acme_req_tx_begin(struct acme_req *r);

/*
 * acme_req_nonce_record records a deferred nonce's use at once, for a
 * handler about to write outside acme_req_tx_begin. Returns 0 (also when
 * nothing was deferred), or -1 after replying badNonce or serverInternal.
 */
int acme_req_nonce_record(struct acme_req *r);
enum catena_rc acme_req_tx_commit(struct acme_req *r,
                                  struct catena_err *err) CATENA_WUR;
void acme_req_tx_rollback(struct acme_req *r);

/*
 * acme_payload_object parses the JWS payload as a JSON object (duplicates
 * rejected). On failure it replies malformed and returns NULL.
 */
json_t *acme_payload_object(struct acme_req *r);

/* Handlers (account.c, order.c, finalize.c, ari.c). */
int acme_h_new_account(struct acme_req *r);
int acme_h_account(struct acme_req *r, int64_t id, int orders_list);
/* acme_h_account_orders: a later page of the account's orders list, the
 * orders older than order |before| (the next link of the page before). */
int acme_h_account_orders(struct acme_req *r, int64_t id, int64_t before);
int acme_h_key_change(struct acme_req *r);
int acme_h_new_order(struct acme_req *r);
int acme_h_order(struct acme_req *r, int64_t id);
int acme_h_authz(struct acme_req *r, int64_t id);
int acme_h_challenge(struct acme_req *r, int64_t id);
int acme_h_finalize(struct acme_req *r, int64_t id);
int acme_h_cert(struct acme_req *r, const char *serial);
int acme_h_revoke(struct acme_req *r);
int acme_h_renewal_info(struct acme_req *r, const char *cert_id);

/* ---- identifiers (order.c) ------------------------------------------ */

/*
 * acme_ident_canon checks and canonicalises an identifier: "dns" names are
 * lower-cased LDH labels (a leading "*." sets |*wildcard|, stripped from
 * |out|), "ip" addresses are written in inet_ntop form. Returns the
 * problem (rejectedIdentifier / unsupportedIdentifier) or NONE.
 */
enum acme_prob acme_ident_canon(const char *type, const char *value,
                                char out[ACME_MAX_DNS_NAME + 1],
                                int *wildcard);

/* ---- ARI (ari.c) ------------------------------------------------------ */

/*
 * acme_certid_parse splits an ARI certID "b64u(AKI keyid).b64u(serial)"
 * (strict base64url, no padding) into the AKI bytes and the lower-case hex
 * serial (content octets, leading 00 kept). Returns CATENA_ERR_INVALID for
 * anything malformed.
 */
enum catena_rc acme_certid_parse(const char *cert_id, uint8_t aki[64],
                                 size_t *aki_len, char serial_hex[41])
    CATENA_WUR;

/*
 * acme_dcv_reuse_max: the longest a domain or IP validation may be relied
 * on for an issuance at |now| (TLS BR 4.2.1 with ballot SC-081's
 * schedule), in seconds. A valid authorization expires no later than its
 * validation plus this, and is reused only within it.
 */
int64_t acme_dcv_reuse_max(int64_t now);

/*
 * acme_ari_default_window computes the window used when none is stored:
 * starting at 2/3 of the validity, one tenth of it long.
 */
void acme_ari_default_window(int64_t not_before, int64_t not_after,
                             int64_t *start, int64_t *end);

/*
 * acme_replaces_check checks a newOrder "replaces" certID for account
 * |account_id| and identifiers |names| (canonical, "*." kept for
 * wildcards): writes the serial replaced into |serial_out|. Returns the
 * problem to answer or NONE. An order already replacing it blocks only if,
 * read at |now|, it is not invalid. Call it inside the write transaction
 * that inserts the replacing order: it locks the certificate's row.
 */
enum acme_prob acme_replaces_check(struct catena_store *store,
                                   int64_t account_id, const char *cert_id,
                                   const char *const *names, size_t num_names,
                                   int64_t now, char serial_out[41],
                                   char *detail, size_t detail_len);

/* ---- validation pool (worker.c) ----------------------------------------- */

enum catena_rc acme_workers_start(struct acme_srv *srv, size_t num,
                                  struct catena_err *err) CATENA_WUR;
void acme_workers_stop(struct acme_srv *srv);
/* acme_workers_enqueue queues challenge |id|; -1 if the queue is full. */
int acme_workers_enqueue(struct acme_srv *srv, int64_t id);

/*
 * Challenge answers that wait for their validation (chall_wait.c).
 * acme_waits_start starts the timer (nothing when challenge_wait is 0);
 * acme_waits_stop answers every parked request and refuses new ones
 * (before the listener stops); acme_waits_free after the listener and the
 * workers are gone. acme_chall_park parks |r| (0; r->parked set) or
 * returns -1 (answer now); park before queueing the validation, so the
 * worker's acme_chall_done, which answers every request parked on
 * |chall_id|, cannot come first; with |oc| (NULL when the outcome was
 * not recorded) the answer needs no store read. The listener then calls
 * the handler again and acme_h_challenge_resumed answers.
 */
enum catena_rc acme_waits_start(struct acme_srv *srv,
                                struct catena_err *err) CATENA_WUR;
void acme_waits_stop(struct acme_srv *srv);
void acme_waits_free(struct acme_srv *srv);
int acme_chall_park(struct acme_req *r, int64_t chall_id, int64_t authz_id,
                    const char *type, const char *token);
void acme_chall_done(struct acme_srv *srv, int64_t chall_id,
                     const struct acme_chall_outcome *oc);
void acme_chall_wait_free(struct acme_chall_wait *cw);
int acme_h_challenge_resumed(struct acme_req *r, struct acme_chall_wait *cw);

/*
 * acme_caa_run runs the CAA check for one identifier (used at validation
 * and at finalize) and, with |corroborate| and remote perspectives
 * configured, has them check it too (the worker asks them for the
 * challenge and CAA in one round instead). Returns the problem or NONE.
 */
enum acme_prob acme_caa_run(struct acme_srv *srv, int64_t account_id,
                            const char *domain, int wildcard,
                            const char *method, int corroborate, char *detail,
                            size_t detail_len);

/* ---- orders (order.c) ---------------------------------------------------- */

struct acme_order_ident {
    int64_t authz_id;
    char type[8];
    char value[ACME_MAX_DNS_NAME + 1];
    int wildcard;
    char authz_status[16]; /* effective: "expired" when past expiry */
    char method[16];       /* challenge type that validated, or "" */
    int64_t caa_checked_at;
};

struct acme_order {
    int64_t id;
    int64_t account_id;
    char status[16];
    int64_t expires;
    char *error;           /* problem JSON text or NULL */
    char serial[41];
    char replaces[41];
    char replaces_certid[200];
    size_t num_idents;
    struct acme_order_ident idents[ACME_MAX_IDENTIFIERS];
};

/*
 * acme_order_load loads order |id| with its identifiers and brings its
 * status up to date (RFC 8555 7.1.6: expiry, authorization outcomes),
 * storing a change. The caller frees it with acme_order_free.
 */
enum catena_rc acme_order_load(struct catena_store *store, int64_t id,
                               int64_t now, struct acme_order **out,
                               struct catena_err *err) CATENA_WUR;

/*
 * acme_order_peek is acme_order_load without storing the status it works
 * out: for a caller whose next write decides on the order's state itself
 * (finalize claims the order with a statement that checks readiness).
 */
enum catena_rc acme_order_peek(struct catena_store *store, int64_t id,
                               int64_t now, struct acme_order **out,
                               struct catena_err *err) CATENA_WUR;
void acme_order_free(struct acme_order *o);

/* acme_order_reply answers with the order object (and Location if asked). */
int acme_order_reply(struct acme_req *r, int status,
                     const struct acme_order *o, int location);

#endif
