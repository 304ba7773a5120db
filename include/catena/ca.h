/*
 * ca.h - the issuing core: profiles, serials, validity, the revocation
 * reason table, the signer client, issuance and revocation.
 */
#ifndef CATENA_CA_H
#define CATENA_CA_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "catena/err.h"
#include "catena/lint.h"

struct catena_config;
struct catena_store;
struct catena_signer;
struct catena_ca;

/* ---- revocation reasons (RFC 5280 5.3.1) -------------------------------
 * One table between names and codes; no arithmetic mapping. 7 does not
 * exist. "unspecified" (0) is expressed by omitting the reasonCode
 * extension. */

enum catena_reason {
    CATENA_REASON_UNSPECIFIED = 0,
    CATENA_REASON_KEY_COMPROMISE = 1,
    CATENA_REASON_CA_COMPROMISE = 2,
    CATENA_REASON_AFFILIATION_CHANGED = 3,
    CATENA_REASON_SUPERSEDED = 4,
    CATENA_REASON_CESSATION_OF_OPERATION = 5,
    CATENA_REASON_CERTIFICATE_HOLD = 6,
    /* 7 is unassigned and must never appear. */
    CATENA_REASON_REMOVE_FROM_CRL = 8,
    CATENA_REASON_PRIVILEGE_WITHDRAWN = 9,
    CATENA_REASON_AA_COMPROMISE = 10,
};

/*
 * catena_reason_from_name maps an RFC 5280 name ("keyCompromise", ...) to its
 * code. Unknown names return CATENA_ERR_INVALID.
 */
enum catena_rc catena_reason_from_name(const char *name, int *code) CATENA_WUR;

/* catena_reason_name returns the name of |code|, or NULL if no such code
 * (7, negatives, > 10). */
const char *catena_reason_name(int code);

/*
 * catena_reason_crl_code returns the value for a CRL entry / OCSP reasonCode
 * extension, or -1 when the extension must be omitted (unspecified).
 */
int catena_reason_crl_code(int code);

/*
 * catena_reason_allowed says whether |code| may be used when revoking a
 * certificate of |profile| (e.g. certificateHold and removeFromCRL are never
 * allowed for TLS subscriber certificates; aACompromise never applies to
 * public-key certificates). Returns 1 or 0; |why| gets a static reason.
 */
int catena_reason_allowed(const char *profile, int code, const char **why);

/* ---- profiles -------------------------------------------------------- */

#define CATENA_KEY_P256 0x01u
#define CATENA_KEY_P384 0x02u
#define CATENA_KEY_RSA2048 0x04u
#define CATENA_KEY_RSA3072 0x08u
#define CATENA_KEY_RSA4096 0x10u
#define CATENA_KEY_ED25519 0x20u

struct catena_profile {
    const char *name;                  /* "tls-server", ... */
    enum catena_lint_profile lint_profile;
    int64_t max_lifetime;              /* inclusive, seconds */
    int64_t default_lifetime;          /* seconds */
    unsigned key_types;                /* CATENA_KEY_* accepted */
    int is_ca;
};

/* catena_profile_find returns the built-in profile |name| or NULL. */
const struct catena_profile *catena_profile_find(const char *name);

/*
 * catena_profile_max_lifetime_at returns the longest inclusive lifetime
 * |p| may have for a certificate signed at |now|: for tls-server the BR
 * 6.3.2 date schedule (one day under each limit), otherwise max_lifetime.
 */
int64_t catena_profile_max_lifetime_at(const struct catena_profile *p,
                                       int64_t now);

/* ---- serials and validity ---------------------------------------------- */

#define CATENA_SERIAL_RANDOM_BYTES 16  /* >= 15 CSPRNG bytes, see DESIGN.md */
#define CATENA_SERIAL_MAX_BYTES 20

/*
 * catena_serial_generate writes a serial of 1 prefix byte + 16 CSPRNG bytes
 * into |out| (DER INTEGER content octets, positive, minimal) and sets
 * |*out_len|. Fails closed if the CSPRNG fails.
 */
enum catena_rc catena_serial_generate(uint8_t prefix,
                                      uint8_t out[CATENA_SERIAL_MAX_BYTES],
                                      size_t *out_len) CATENA_WUR;

/* catena_serial_hex writes lower-case hex of |len| bytes into |hex| (41). */
void catena_serial_hex(const uint8_t *serial, size_t len, char hex[41]);

/*
 * catena_validity_not_after returns notBefore + lifetime - 1 s: RFC 5280
 * validity is inclusive, so this certificate is valid for exactly
 * |lifetime| seconds.
 */
int64_t catena_validity_not_after(int64_t not_before, int64_t lifetime);

/* catena_validity_inclusive_length returns notAfter - notBefore + 1. */
int64_t catena_validity_inclusive_length(int64_t not_before,
                                         int64_t not_after);

/* ---- signature algorithms ----------------------------------------------
 * The one place that derives a signature AlgorithmIdentifier from a key
 * (BR 7.1.3.2; DESIGN.md): never from a certificate's own signature. The
 * TBS builders (certificates, CRLs) and the signer all use it, so the
 * algorithm a TBS names and the one the signer signs with cannot drift. */

struct evp_pkey_st;
struct evp_md_st;
struct X509_algor_st;

struct catena_sig_alg {
    int nid;                       /* e.g. NID_ecdsa_with_SHA256 */
    int null_params;               /* RSA PKCS#1 v1.5: parameters NULL */
    const struct evp_md_st *md;    /* NULL for Ed25519 */
    size_t jose_half;              /* ECDSA JOSE r||s half length, or 0 */
};

/*
 * catena_sig_alg_for_key fills |out| for |key|: P-256 -> ecdsa-with-SHA256,
 * P-384 -> ecdsa-with-SHA384, RSA (>= 2048 bits) -> sha256WithRSAEncryption
 * with NULL parameters, Ed25519 -> Ed25519. Other keys: CATENA_ERR_POLICY.
 */
enum catena_rc catena_sig_alg_for_key(const struct evp_pkey_st *key,
                                      struct catena_sig_alg *out,
                                      struct catena_err *err) CATENA_WUR;

/* catena_sig_alg_set writes |a| into the AlgorithmIdentifier |alg|. */
enum catena_rc catena_sig_alg_set(const struct catena_sig_alg *a,
                                  struct X509_algor_st *alg,
                                  struct catena_err *err) CATENA_WUR;

/* ---- signer (client side) ------------------------------------------------
 * The only process that opens CA private keys. "catena signer" runs
 * catena_signer_main in a child forked+exec'd on a socketpair. */

enum catena_signer_req {
    CATENA_SIGNER_SIGN_CERT = 1, /* issuer, profile, TBSCertificate */
    CATENA_SIGNER_SIGN_CRL = 2,  /* issuer, TBSCertList */
    CATENA_SIGNER_SIGN_OCSP = 3, /* issuer, ResponseData (responder key) */
    CATENA_SIGNER_SIGN_JWS = 4,  /* key name, JWS signing input */
    CATENA_SIGNER_REQ__MAX
};

/*
 * catena_signer_start forks and execs "|exe| signer --config |config_path|
 * --fd N" (|exe| NULL = /proc/self/exe) and returns a client handle. The
 * handle is safe to use from several threads (requests are serialised or
 * pipelined by id).
 */
enum catena_rc catena_signer_start(const char *exe, const char *config_path,
                                   struct catena_signer **out,
                                   struct catena_err *err) CATENA_WUR;

/* catena_signer_stop closes the channel and reaps the child; NULL no-op. */
void catena_signer_stop(struct catena_signer *signer);

/* catena_signer_pid returns the child's pid (for tests), or -1. */
int catena_signer_pid(const struct catena_signer *signer);

/*
 * catena_signer_sign_cert asks for |tbs| (TBSCertificate DER) to be linted
 * against |profile| and signed by issuer |issuer|. On success |*cert_der|
 * (malloc'd, caller frees) holds the whole Certificate. A lint refusal
 * returns CATENA_ERR_LINT with the failing rule names in err->msg; a dead
 * signer CATENA_ERR_SIGNER.
 */
enum catena_rc catena_signer_sign_cert(struct catena_signer *signer,
                                       const char *issuer,
                                       const char *profile,
                                       const uint8_t *tbs, size_t tbs_len,
                                       uint8_t **cert_der,
                                       size_t *cert_der_len,
                                       struct catena_err *err) CATENA_WUR;

/*
 * catena_signer_sign_crl: TBSCertList in, whole CertificateList out.
 * |prev_number| is the cRLNumber of the last CRL stored for the same
 * scope (issuer and shard), or -1 if none was: the signer's lint refuses
 * a CRL whose number is not above it (CATENA_ERR_LINT, rule C13).
 */
enum catena_rc catena_signer_sign_crl(struct catena_signer *signer,
                                      const char *issuer,
                                      int64_t prev_number,
                                      const uint8_t *tbs, size_t tbs_len,
                                      uint8_t **crl_der,
                                      size_t *crl_der_len,
                                      struct catena_err *err) CATENA_WUR;

/*
 * catena_signer_sign_ocsp: ResponseData in (signed with the delegated OCSP
 * key of issuer |issuer|), whole BasicOCSPResponse out, with the responder
 * certificate in its certs field.
 */
enum catena_rc catena_signer_sign_ocsp(struct catena_signer *signer,
                                       const char *issuer,
                                       const uint8_t *response_data,
                                       size_t response_data_len,
                                       uint8_t **basic_der,
                                       size_t *basic_der_len,
                                       struct catena_err *err) CATENA_WUR;

/*
 * catena_signer_sign_jws signs a JWS signing input with key |key_name| and
 * returns the JOSE-format signature (ES256: r||s, 64 bytes).
 */
enum catena_rc catena_signer_sign_jws(struct catena_signer *signer,
                                      const char *key_name,
                                      const uint8_t *input, size_t input_len,
                                      uint8_t **sig, size_t *sig_len,
                                      struct catena_err *err) CATENA_WUR;

/* catena_signer_main is "catena signer": the child's entry point. */
int catena_signer_main(int argc, char **argv);

/* ---- the CA handle ----------------------------------------------------- */

/*
 * catena_ca_open loads issuer certificates (never keys) from |cfg|, and,
 * if |start_signer|, starts the signer. |cfg| is borrowed and must outlive
 * the handle. Store connections are passed to each call so that each
 * thread uses its own.
 */
enum catena_rc catena_ca_open(const struct catena_config *cfg,
                              int start_signer, struct catena_ca **out,
                              struct catena_err *err) CATENA_WUR;
void catena_ca_close(struct catena_ca *ca);

/* catena_ca_signer returns the signer handle (borrowed) or NULL. */
struct catena_signer *catena_ca_signer(struct catena_ca *ca);

/* catena_ca_store_url returns the configured store URL. */
const char *catena_ca_store_url(const struct catena_ca *ca);

/* catena_ca_base_url returns the public HTTP base URL (no trailing /). */
const char *catena_ca_base_url(const struct catena_ca *ca);

/* catena_ca_issuer_names lists the configured issuers (borrowed). */
const char *const *catena_ca_issuer_names(const struct catena_ca *ca,
                                          size_t *num);

/*
 * catena_ca_issuer_name_by_id maps a store issuer id (the issuer_id of a
 * certificate row) back to the issuer's name (borrowed), or NULL. The ids
 * are those the store gave when the CA was opened, so no query is needed.
 */
const char *catena_ca_issuer_name_by_id(const struct catena_ca *ca,
                                        int64_t id);

/*
 * catena_ca_issuer_cert returns issuer |name|'s certificate DER (borrowed)
 * or NULL. catena_ca_issuer_chain_pem returns its chain up to but not
 * including the root, as PEM (borrowed).
 */
const uint8_t *catena_ca_issuer_cert(const struct catena_ca *ca,
                                     const char *name, size_t *len);
const char *catena_ca_issuer_chain_pem(const struct catena_ca *ca,
                                       const char *name);

/* catena_ca_issuer_num_shards returns the number of CRL shards (>= 1). */
int catena_ca_issuer_num_shards(const struct catena_ca *ca, const char *name);

/*
 * catena_ca_shard_url writes the URL of CRL shard |shard| of issuer |name|
 * ("<base_url>/crl/<name>/<shard>.crl"). Certificates' CRLDP and the CRL's
 * IDP both come from here, so they are byte-identical.
 */
enum catena_rc catena_ca_shard_url(const struct catena_ca *ca,
                                   const char *name, int shard, char *buf,
                                   size_t buf_len) CATENA_WUR;

/*
 * catena_ca_shard_for_serial returns the shard of a serial: the last four
 * serial bytes as a big-endian number modulo |num_shards|. Deterministic,
 * so the signer can check a TBS's CRLDP names the right shard; fixed at
 * issuance because the store records it.
 */
int catena_ca_shard_for_serial(const uint8_t *serial, size_t serial_len,
                               int num_shards);

/* catena_ca_ocsp_url writes "<base_url>/ocsp". */
void catena_ca_ocsp_url(const struct catena_ca *ca, char *buf,
                        size_t buf_len);

/* ---- issuance ---------------------------------------------------------- */

/* The two write transactions of an issuance, where an issue hook runs. */
enum catena_issue_step {
    /* The serial is reserved (RESERVED row, or the root's audit record);
     * nothing is signed yet. */
    CATENA_ISSUE_STEP_RESERVE,
    /* The signed certificate is recorded as issued, with its audit
     * record. Not reached by refusals: their FAILED row commits without
     * the hook, and the issuance returns the refusal. */
    CATENA_ISSUE_STEP_ISSUED,
    CATENA_ISSUE_STEP__MAX
};

/*
 * catena_issue_hook is a caller's own writes made inside the core's
 * transaction of |step|, on |store| (the handle the issuance was given,
 * with that transaction open), after the core's writes of the step and
 * before its commit, so both commit together or not at all. |serial| is
 * the request's serial (hex). Run only SQL through |store|; never begin
 * or end the transaction. A failure (any code but CATENA_OK, with |err|
 * filled) rolls the step back and fails the request with
 * CATENA_ERR_STORE: at RESERVE nothing is recorded or signed; at ISSUED
 * the signed certificate is never recorded as issued nor returned (its
 * row stays RESERVED, as when the signer's answer is lost).
 *
 * A step's hook may run more than once: when the shared transaction of a
 * batch fails, each request is tried again in a transaction of its own,
 * the earlier writes being rolled back. A call is therefore no sign of a
 * commit; CATENA_OK from the issuance is (both steps committed). After a
 * failure, whether the RESERVE step committed is found in the store (the
 * hook can write the serial it was given).
 */
typedef enum catena_rc (*catena_issue_hook)(void *arg,
                                            struct catena_store *store,
                                            enum catena_issue_step step,
                                            const char *serial,
                                            struct catena_err *err);

struct catena_issue_req {
    const char *profile;      /* "tls-server", "smime-mailbox", ... */
    const char *issuer;       /* NULL = the issuer configured for profile */
    /* Exactly one of a CSR (signature checked here), a CSR the caller
     * verified already (catena_csr_verify), or a bare SPKI (SVIDs). */
    const uint8_t *csr_der;
    size_t csr_der_len;
    const struct catena_csr *csr;
    const uint8_t *spki_der;
    size_t spki_der_len;
    const char *const *dns_names;
    size_t num_dns_names;
    const char *const *ips;
    size_t num_ips;
    const char *const *emails;
    size_t num_emails;
    const char *const *uris;
    size_t num_uris;
    int64_t lifetime;          /* seconds; 0 = profile default */
    int64_t account_id;        /* ACME account or 0 */
    const char *replaces;      /* serial hex this certificate replaces */
    /* The caller checked CAA for these names just now (ACME, within its
     * reuse period); otherwise the core checks per [caa]. */
    int caa_checked;
    /* Optional (NULL: the core's writes only): the caller's writes in
     * the core's transactions, with |hook_arg| (see catena_issue_hook). */
    catena_issue_hook hook;
    void *hook_arg;
};

struct catena_issued {
    char serial[41];
    uint8_t *der;
    size_t der_len;
    char *chain_pem;           /* leaf first, then intermediates */
    int64_t not_before;
    int64_t not_after;
};

/*
 * catena_csr_check parses a DER CSR (<= 16 KiB), verifies its signature and
 * checks the key type against |key_types| (CATENA_KEY_*). On success
 * |*spki_der| (malloc'd) holds its SubjectPublicKeyInfo.
 */
enum catena_rc catena_csr_check(const uint8_t *csr_der, size_t csr_der_len,
                                unsigned key_types, uint8_t **spki_der,
                                size_t *spki_der_len,
                                struct catena_err *err) CATENA_WUR;

/*
 * A CSR whose signature verified and whose key passed the key checks.
 * Only catena_csr_verify makes one, so a caller that has checked a CSR
 * itself (ACME finalize) hands it to catena_ca_issue without the core
 * parsing and verifying the same DER again; the core still checks the
 * key against the profile, the blocklist and the CA keys.
 */
struct catena_csr;

/*
 * catena_csr_verify is catena_csr_check returning the verified CSR: on
 * success |*out| is new (catena_csr_free), NULL on failure.
 */
enum catena_rc catena_csr_verify(const uint8_t *csr_der, size_t csr_der_len,
                                 unsigned key_types, struct catena_csr **out,
                                 struct catena_err *err) CATENA_WUR;

/* catena_csr_spki_der returns the CSR's SubjectPublicKeyInfo DER as
 * received (borrowed) and its length in |*len|. */
const uint8_t *catena_csr_spki_der(const struct catena_csr *csr,
                                   size_t *len);

/* catena_csr_free frees |csr|; NULL is a no-op. */
void catena_csr_free(struct catena_csr *csr);

/*
 * catena_ca_issue issues one certificate: checks the key (type, size,
 * blocked), records the serial, builds the TBS, has the signer lint and
 * sign it, stores the DER and appends the audit record. Refusals are
 * audited too. On success |*out| is new (free with catena_issued_free).
 */
enum catena_rc catena_ca_issue(struct catena_ca *ca,
                               struct catena_store *store,
                               const struct catena_issue_req *req,
                               struct catena_issued **out,
                               struct catena_err *err) CATENA_WUR;

void catena_issued_free(struct catena_issued *issued);

/*
 * catena_ca_revoke revokes |serial| with |reason| (an RFC 5280 code) after
 * checking the reason is allowed for the certificate's profile. Revoking
 * again is idempotent. keyCompromise also blocks the key. Audited.
 */
enum catena_rc catena_ca_revoke(struct catena_ca *ca,
                                struct catena_store *store,
                                const char *serial, int reason,
                                struct catena_err *err) CATENA_WUR;

/* Blocks the certificate's key whatever the reason: the request proved
 * control of it (ACME revocation signed with the certificate's key). */
#define CATENA_REVOKE_BLOCK_KEY 1u

/*
 * catena_ca_revoke_ex is catena_ca_revoke with |flags| (CATENA_REVOKE_*);
 * |*changed| (when not NULL) is 0 when the certificate was revoked
 * already. The key is blocked in that case too.
 */
enum catena_rc catena_ca_revoke_ex(struct catena_ca *ca,
                                   struct catena_store *store,
                                   const char *serial, int reason,
                                   unsigned flags, int *changed,
                                   struct catena_err *err) CATENA_WUR;

/* Mass revocation (revoke_many.c). */
enum catena_mass_action {
    CATENA_MASS_RENEW_NOW, /* ARI window into the past: "renew now" */
    CATENA_MASS_REVOKE,    /* revoke with the given reason */
};

struct catena_mass_summary {
    size_t listed;       /* serials read */
    size_t done;         /* revoked now / window moved now */
    size_t already;      /* revoked before / not in use (revoked, expired) */
    size_t unknown;      /* no such serial */
    size_t refused;      /* malformed, never issued, reason not allowed */
    size_t replaced;     /* of done + already: a newer certificate exists */
    size_t not_replaced; /* of done + already: nothing replaced it yet */
};

/*
 * catena_ca_mass_revoke applies |action| to every serial listed in
 * |serials| (hex, one per line; blank lines and "#" comments skipped),
 * committing every 1,000 rows. Refusals of single serials are counted and
 * reported on stderr, and the list goes on; a store error stops it (rows
 * of earlier batches stay done; running the list again finishes it).
 * Serials that nothing has replaced yet are written to |unreplaced| (may
 * be NULL), one per line. Each revocation is audited as catena_ca_revoke
 * audits it.
 */
enum catena_rc catena_ca_mass_revoke(struct catena_ca *ca,
                                     struct catena_store *store,
                                     FILE *serials,
                                     enum catena_mass_action action,
                                     int reason, FILE *unreplaced,
                                     struct catena_mass_summary *sum,
                                     struct catena_err *err) CATENA_WUR;

/*
 * Revocation listeners: crl/ registers one so a revocation triggers CRL and
 * OCSP refreshes within seconds. Called after the revocation committed.
 */
typedef void (*catena_revoke_listener)(void *ctx, const char *issuer,
                                       const char *serial);
void catena_ca_on_revoke(struct catena_ca *ca, catena_revoke_listener fn,
                         void *ctx);

/* The largest batch catena_ca_issue_batch takes. */
#define CATENA_ISSUE_BATCH_MAX 1024

/*
 * catena_ca_issue_batch issues |n| end-entity certificates like |n| calls
 * of catena_ca_issue, but records all serials in one transaction before
 * anything is signed, pipelines the signing requests, and records all
 * certificates and audit records in one transaction. Each request stands
 * alone: outs[i] is its certificate (free with catena_issued_free) or
 * NULL, and errs[i] (if |errs| is not NULL) its error, errs[i].code being
 * CATENA_OK on success. A lint or policy refusal fails only its request
 * (its row FAILED, a refuse audit record); if the signer dies, the rows
 * without an answer stay RESERVED. Returns CATENA_OK when every request
 * was issued, else the first failure's code.
 */
enum catena_rc catena_ca_issue_batch(struct catena_ca *ca,
                                     struct catena_store *store,
                                     const struct catena_issue_req *reqs,
                                     size_t n, struct catena_issued **outs,
                                     struct catena_err *errs) CATENA_WUR;

#endif
