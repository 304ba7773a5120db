/*
 * core.h - internal interfaces shared by the files of the issuing core
 * (the .c files in ca/ and ca/cli/). Not a public header: nothing outside ca/ includes
 * it.
 */
#ifndef CATENA_CA_CORE_H
#define CATENA_CA_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "catena/store.h"

#define CATENA_CSR_MAX_LEN (16u * 1024u)
#define CATENA_SPKI_MAX_LEN 4096u

/*
 * catena_key_classify checks |pk| against the key policy (RSA 2048/3072/
 * 4096 with an odd exponent >= 65537; EC P-256/P-384 on a named curve
 * with a valid point; Ed25519) and sets |*type| to its CATENA_KEY_* bit.
 * CATENA_ERR_POLICY if the key is weak or of an unsupported type.
 */
enum catena_rc catena_key_classify(EVP_PKEY *pk, unsigned *type,
                                   struct catena_err *err) CATENA_WUR;

/* catena_key_type returns the CATENA_KEY_* bit of an already validated
 * (or our own) key without re-validating it, or 0. */
unsigned catena_key_type(const EVP_PKEY *pk);

/*
 * catena_csr_parse_key parses and checks a DER CSR like catena_csr_check
 * without building an X509_REQ: on success |*spki| is the subject's
 * SubjectPublicKeyInfo (its fields as received; X509_PUBKEY_get0 on it
 * is not meant to be used) and |*key| its key. Caller frees both.
 */
enum catena_rc catena_csr_parse_key(const uint8_t *csr_der,
                                    size_t csr_der_len, unsigned key_types,
                                    X509_PUBKEY **spki, EVP_PKEY **key,
                                    struct catena_err *err) CATENA_WUR;

/*
 * catena_csr_borrow checks the key of a verified CSR against |key_types|
 * and lends its SubjectPublicKeyInfo and key (valid while |csr| lives;
 * not to be freed). NULLs and CATENA_ERR_POLICY when the type is refused.
 */
enum catena_rc catena_csr_borrow(const struct catena_csr *csr,
                                 unsigned key_types, X509_PUBKEY **spki,
                                 EVP_PKEY **key,
                                 struct catena_err *err) CATENA_WUR;

/* catena_key_type_name returns "P-256", "RSA-2048", ... for one bit. */
const char *catena_key_type_name(unsigned type);

/*
 * catena_spki_parse parses SubjectPublicKeyInfo DER (no trailing bytes,
 * named curves only) and checks it like catena_key_classify. On success
 * |*out| is new (caller frees); X509_PUBKEY_get0 gives its key.
 */
enum catena_rc catena_spki_parse(const uint8_t *der, size_t len,
                                 unsigned key_types, X509_PUBKEY **out,
                                 struct catena_err *err) CATENA_WUR;

/* catena_spki_sha256 hashes the DER SubjectPublicKeyInfo |xpk| (the key
 * blocklist and the CA-key check compare these hashes). */
enum catena_rc catena_spki_sha256(const X509_PUBKEY *xpk, uint8_t out[32],
                                  struct catena_err *err) CATENA_WUR;

/* ---- TBS building (tbs.c) ---------------------------------------------- */

/* Which hierarchy a sub-CA serves: decides its EKU and policy OIDs. */
enum catena_ca_kind {
    CATENA_CA_KIND_NONE,
    CATENA_CA_KIND_TLS,
    CATENA_CA_KIND_SMIME,
    CATENA_CA_KIND_SPIFFE,
};

struct catena_tbs_params {
    const struct catena_profile *profile;
    const uint8_t *serial; /* DER INTEGER content octets */
    size_t serial_len;
    /* The issuer: its certificate, or NULL when self-signing. */
    X509 *issuer_cert;
    /* The key that will sign (public part): picks the signature
     * AlgorithmIdentifier and, when self-signing, the AKI/SKI. */
    EVP_PKEY *issuer_key;
    const X509_NAME *subject; /* NULL = empty subject */
    EVP_PKEY *subject_key;
    /* The subject SPKI as received: copied into the certificate byte for
     * byte (NULL = encode subject_key). */
    const X509_PUBKEY *subject_spki;
    int64_t not_before;
    int64_t not_after;
    const char *const *dns_names; /* canonical */
    size_t num_dns_names;
    const char *const *ips; /* textual */
    size_t num_ips;
    const char *const *emails;
    size_t num_emails;
    const char *const *uris;
    size_t num_uris;
    const char *ocsp_url;       /* NULL = no OCSP in AIA */
    const char *ca_issuers_url; /* NULL = no caIssuers in AIA */
    const char *crl_url;        /* NULL = no CRLDP */
    enum catena_ca_kind ca_kind;
};

/*
 * catena_tbs_build builds the TBSCertificate DER for |p|. On success
 * |*tbs| (malloc'd via OPENSSL_malloc, free with OPENSSL_free) holds it.
 */
enum catena_rc catena_tbs_build(const struct catena_tbs_params *p,
                                uint8_t **tbs, size_t *tbs_len,
                                struct catena_err *err) CATENA_WUR;

/* catena_name_canonical_dns lower-cases |in|, strips one trailing dot and
 * refuses non-ASCII, empty names and characters outside LDH, '.', '*'.
 * |out| must hold 254 bytes. */
enum catena_rc catena_name_canonical_dns(const char *in, char out[254],
                                         struct catena_err *err) CATENA_WUR;

/* ---- CA handle internals (ca.c) ------------------------------------------ */

/*
 * catena_ca_open_ex is catena_ca_open that, with |allow_missing|, skips
 * issuers whose certificate file does not exist yet (used by "catena init"
 * while it creates them).
 */
enum catena_rc catena_ca_open_ex(const struct catena_config *cfg,
                                 int start_signer, int allow_missing,
                                 struct catena_ca **out,
                                 struct catena_err *err) CATENA_WUR;

/* catena_ca_issuer_x509 returns issuer |name|'s certificate (borrowed). */
X509 *catena_ca_issuer_x509(const struct catena_ca *ca, const char *name);

/* catena_ca_issuer_for_profile returns the first issuer whose "profiles"
 * list names |profile|, or NULL. */
const char *catena_ca_issuer_for_profile(const struct catena_ca *ca,
                                         const char *profile);

/* catena_ca_instance_prefix returns the configured serial prefix. */
uint8_t catena_ca_instance_prefix(const struct catena_ca *ca);

/* catena_ca_trust_domain returns [catena] trust_domain or "". */
const char *catena_ca_trust_domain(const struct catena_ca *ca);

/* catena_ca_profile_lifetimes applies [profile "x"] overrides. */
/* catena_weak_keys_load reads the Debian weak-key lists in |dir| for lint
 * rule B7 (weak_keys_file.c). */
enum catena_rc catena_weak_keys_load(const char *dir,
                                     struct catena_lint_weak_keys **out,
                                     struct catena_err *err) CATENA_WUR;

/* catena_ca_config is the configuration the CA was opened with. */
const struct catena_config *catena_ca_config(const struct catena_ca *ca);

/*
 * catena_ca_caa_permits checks CAA (caa_issue.c) for a certificate of
 * |profile| naming |dns_names| (tls-server: issue/issuewild) or |emails|
 * (smime-mailbox: issuemail), per [caa]. Other profiles need no CAA.
 * CATENA_ERR_CAA when a record forbids, CATENA_ERR_DNS on any lookup
 * failure, CATENA_ERR_CONFIG when [caa] is incomplete.
 */
enum catena_rc catena_ca_caa_permits(const struct catena_ca *ca,
                                     const char *profile,
                                     char *const *dns_names, size_t num_dns,
                                     char *const *emails, size_t num_emails,
                                     struct catena_err *err) CATENA_WUR;

enum catena_rc catena_ca_profile_lifetimes(const struct catena_ca *ca,
                                           const struct catena_profile *p,
                                           int64_t now, int64_t *def,
                                           int64_t *max,
                                           struct catena_err *err) CATENA_WUR;

/* catena_ca_is_ca_key says whether |spki_sha256| is one of the loaded
 * issuers' keys. */
int catena_ca_is_ca_key(const struct catena_ca *ca,
                        const uint8_t spki_sha256[32]);

/* catena_serial_normalise accepts hex (any case, optional colons) of a
 * serial of 1..20 octets and writes the store's lower-case form. */
enum catena_rc catena_serial_normalise(const char *in, char out[41],
                                       struct catena_err *err) CATENA_WUR;

/* catena_ca_find_cert normalises |serial_in| into |serial| and loads its
 * row (clear it); CATENA_ERR_NOT_FOUND names the serial. */
enum catena_rc catena_ca_find_cert(struct catena_store *store,
                                   const char *serial_in, char serial[41],
                                   struct catena_cert_row *row,
                                   struct catena_err *err) CATENA_WUR;

/* What revoking one serial did (catena_ca_revoke_in_tx). */
struct catena_revoke_outcome {
    char serial[41];    /* normalised */
    const char *issuer; /* the CA's name for the issuer, or NULL */
    int changed;        /* 0: it was revoked already */
    int replaced;       /* a newer certificate replaced it (replaced_by) */
};

/*
 * catena_ca_revoke_in_tx is catena_ca_revoke_ex inside the caller's
 * transaction and without telling listeners: the caller commits, then
 * calls catena_ca_notify_revoke for each outcome that changed. Refusals
 * (unknown serial, never issued, reason not allowed) happen before any
 * write.
 */
enum catena_rc catena_ca_revoke_in_tx(struct catena_ca *ca,
                                      struct catena_store *store,
                                      const char *serial, int reason,
                                      unsigned flags,
                                      struct catena_revoke_outcome *out,
                                      struct catena_err *err) CATENA_WUR;

/* catena_ca_notify_revoke calls the revocation listeners. */
void catena_ca_notify_revoke(struct catena_ca *ca, const char *issuer,
                             const char *serial);

/* catena_ca_set_signer replaces the signer handle (init restarts it). */
void catena_ca_set_signer(struct catena_ca *ca, struct catena_signer *s);


/* catena_ca_issuer_signs says whether issuer |name| signs |profile|. */
int catena_ca_issuer_signs(const struct catena_ca *ca, const char *name,
                           const char *profile);

/* catena_ca_issuer_store_id returns the store id of issuer |name|, or 0. */
int64_t catena_ca_issuer_store_id(const struct catena_ca *ca,
                                  const char *name);

/* ---- issuance internals (issue.c) ------------------------------------- */

struct catena_issue_extra {
    const X509_NAME *subject;  /* CA and OCSP-signer certificates */
    enum catena_ca_kind ca_kind;
    EVP_PKEY *self_key;        /* root-ca: the public key that self-signs */
};

/* catena_ca_issue_ex is catena_ca_issue with a subject and CA kind. */
enum catena_rc catena_ca_issue_ex(struct catena_ca *ca,
                                  struct catena_store *store,
                                  const struct catena_issue_req *req,
                                  const struct catena_issue_extra *extra,
                                  struct catena_issued **out,
                                  struct catena_err *err) CATENA_WUR;

/* ---- pipelined signing (signer/client.c) ------------------------------ */

/* One certificate to sign in a batch: the inputs, then the answer. */
struct catena_signer_cert_job {
    const char *issuer;
    const char *profile;
    const uint8_t *tbs;
    size_t tbs_len;
    uint8_t *der;          /* out: malloc'd Certificate, or NULL */
    size_t der_len;        /* out */
    struct catena_err err; /* out: err.code is this job's result */
};

/*
 * catena_signer_sign_cert_batch sends the |n| requests without waiting
 * for each answer (a bounded number of bytes in flight) and reads the
 * answers in order, each matched to its request id. A refusal (lint,
 * policy) fails only its job. If the channel dies, every job without an
 * answer is CATENA_ERR_SIGNER (it may or may not have been signed) and so
 * is the return value; otherwise CATENA_OK (look at each job's err.code).
 */
enum catena_rc catena_signer_sign_cert_batch(
    struct catena_signer *signer, struct catena_signer_cert_job *jobs,
    size_t n, struct catena_err *err) CATENA_WUR;

/* The most extra processes catena_signer_start_pool starts. */
#define CATENA_SIGNER_POOL_MAX 15

/*
 * catena_signer_start_pool starts |nproc| signer processes behind one
 * handle: catena_signer_sign_cert_batch splits each batch between them
 * (one thread per process), everything else goes to the first, whose pid
 * catena_signer_pid returns. A process that dies fails only its share.
 */
enum catena_rc catena_signer_start_pool(const char *exe,
                                        const char *config_path, size_t nproc,
                                        struct catena_signer **out,
                                        struct catena_err *err) CATENA_WUR;

/* ---- key ceremony (keygen.c) ------------------------------------------ */

/*
 * catena_keygen generates a key of |type| (p256, p384, rsa2048, rsa3072,
 * rsa4096, ed25519), writes it to |path| (PKCS#8 PEM, 0600, created
 * exclusively) and returns only its public half in |*pub_out|.
 */
enum catena_rc catena_keygen(const char *type, const char *path,
                             EVP_PKEY **pub_out,
                             struct catena_err *err) CATENA_WUR;

/* ---- files (file.c) ---------------------------------------------------- */

/*
 * catena_file_read reads all of |path| ("-" = stdin), at most |cap|
 * bytes (more is CATENA_ERR_TOO_BIG). |*out| is malloc'd and
 * NUL-terminated; |out_len| may be NULL.
 */
enum catena_rc catena_file_read(const char *path, size_t cap, uint8_t **out,
                                size_t *out_len,
                                struct catena_err *err) CATENA_WUR;

#endif
