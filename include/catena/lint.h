/*
 * lint.h - the linter: a registry of rules over DER certificates, CRLs and
 * OCSP responses. Pure: DER in, results out; no I/O, no globals but the
 * static const rule table. Used by the signer on every TBS before signing
 * and by "catena lint" on any file.
 */
#ifndef CATENA_LINT_H
#define CATENA_LINT_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"

enum catena_lint_result {
    CATENA_LINT_PASS,
    CATENA_LINT_NA,     /* the rule does not apply */
    CATENA_LINT_NE,     /* not yet effective at the object's date */
    CATENA_LINT_NOTICE,
    CATENA_LINT_WARN,
    CATENA_LINT_ERROR,
    CATENA_LINT_FATAL,  /* could not even be parsed */
    CATENA_LINT_RESULT__MAX
};

enum catena_lint_object {
    CATENA_LINT_OBJ_CERT,
    CATENA_LINT_OBJ_CRL,
    CATENA_LINT_OBJ_OCSP,
    CATENA_LINT_OBJ__MAX
};

/* Which certificate profile the rules judge against. */
enum catena_lint_profile {
    CATENA_LINT_PROFILE_AUTO,        /* guess from EKU / basicConstraints */
    CATENA_LINT_PROFILE_TLS,         /* TLS server subscriber (BR) */
    CATENA_LINT_PROFILE_SMIME,       /* S/MIME mailbox (SBR) */
    CATENA_LINT_PROFILE_SPIFFE,      /* X509-SVID */
    CATENA_LINT_PROFILE_OCSP_SIGNER, /* delegated OCSP responder */
    CATENA_LINT_PROFILE_CA,          /* root or subordinate CA */
    /* TLS server certificate of a private PKI (e.g. Catena's own HTTPS
     * endpoints on loopback): RFC 5280 rules apply, CA/B Forum TLS BR rules
     * (public names, BR policy OIDs) do not. */
    CATENA_LINT_PROFILE_PRIVATE_TLS,
    CATENA_LINT_PROFILE__MAX
};

/*
 * What the caller knows besides the object. Everything is optional (zero /
 * NULL = unknown); rules that need a missing piece answer NE. Pointers are
 * borrowed for the duration of the call.
 */
struct catena_lint_ctx {
    enum catena_lint_profile profile;
    int64_t now;                   /* signing time, Unix seconds; 0 = time() */
    int64_t max_validity_seconds;  /* profile maximum, inclusive length */
    /* Issuer context (rules marked I). */
    const uint8_t *issuer_cert_der;
    size_t issuer_cert_der_len;
    /* The SPKI (DER SubjectPublicKeyInfo) of the key that will sign. */
    const uint8_t *signer_spki_der;
    size_t signer_spki_der_len;
    /* The CRL shard URL the certificate's CRLDP must name / the CRL's IDP. */
    const char *shard_url;
    /* CA state (rules marked S): set by the caller after store lookups. */
    int key_is_blocked;            /* subject key on the blocked list */
    int serial_is_duplicate;       /* serial already used for this issuer */
    /* C13: the cRLNumber of the last CRL issued in the same scope (issuer
     * and shard) is known: prev_crl_number holds it as a big-endian
     * magnitude (leading zero octets allowed), or is NULL when none was
     * issued yet. */
    int has_prev_crl_number;
    const uint8_t *prev_crl_number;
    size_t prev_crl_number_len;
    /* The TBS to be signed is passed, not a signed object (pre-issuance). */
    int is_tbs;
    /* Debian weak-key lists (rule B7); NULL: B7 answers NE. */
    const struct catena_lint_weak_keys *weak_keys;
};

/*
 * Debian weak keys (CVE-2008-0166) for rule B7: openssl-vulnkey
 * fingerprints (the last 80 bits of SHA-1("Modulus=<HEX>\n")) per RSA
 * modulus size. Built once, shared read-only.
 */
struct catena_lint_weak_keys;

enum catena_lint_weak_answer {
    CATENA_LINT_WEAK_NO_LIST,    /* no loaded list covers this size */
    CATENA_LINT_WEAK_NOT_LISTED, /* covered, not on the list */
    CATENA_LINT_WEAK_LISTED,     /* a Debian weak key */
};

#define CATENA_LINT_WEAK_FP_LEN 10 /* 80 bits */

/* Build: new, add every fingerprint (|bits| 0 = any size), seal, then
 * check from any thread. ca/ reads the files (catena_weak_keys_load). */
struct catena_lint_weak_keys *catena_lint_weak_keys_new(void);
enum catena_rc catena_lint_weak_keys_add(
    struct catena_lint_weak_keys *w, int bits,
    const uint8_t fp[CATENA_LINT_WEAK_FP_LEN]) CATENA_WUR;
void catena_lint_weak_keys_seal(struct catena_lint_weak_keys *w);
void catena_lint_weak_keys_free(struct catena_lint_weak_keys *w);
/* |modulus_hex_upper| as "openssl x509 -modulus" prints it, no "0x". */
enum catena_lint_weak_answer
catena_lint_weak_keys_check(const struct catena_lint_weak_keys *w,
                            const char *modulus_hex_upper, int bits);

struct catena_lint_rule {
    const char *name;        /* stable: e_..., w_..., n_... */
    const char *description;
    const char *citation;    /* e.g. "RFC 5280 4.1.2.5; BR 6.3.2" */
    const char *zlint;       /* equivalent zlint names, comma-separated, or "" */
    const char *source;      /* "RFC5280", "CABF_BR", "CABF_SMIME_BR", ... */
    enum catena_lint_object object;
    int64_t effective;       /* Unix seconds from which it applies; 0 = always */
    enum catena_lint_result severity; /* result when it fails */
    unsigned flags;          /* CATENA_LINT_F_* */
};

#define CATENA_LINT_F_ISSUER 0x1u /* needs the issuer context */
#define CATENA_LINT_F_STATE 0x2u  /* needs CA state from the store */

struct catena_lint_finding {
    const struct catena_lint_rule *rule;
    enum catena_lint_result result;
    char detail[160];        /* why, for the operator; may be empty */
};

struct catena_lint_report {
    struct catena_lint_finding *findings; /* one per rule run */
    size_t num_findings;
    enum catena_lint_result worst;        /* highest of notice..fatal, or PASS */
};

/*
 * catena_lint_rules returns the static rule table and sets |*num_rules|.
 */
const struct catena_lint_rule *catena_lint_rules(size_t *num_rules);

/*
 * catena_lint_cert lints a certificate. With ctx->is_tbs, |der| is a
 * TBSCertificate about to be signed (the signature AlgorithmIdentifier
 * already in it); otherwise a whole Certificate. On success |*out| is a new
 * report the caller frees with catena_lint_report_free; an unparseable input
 * still returns CATENA_OK with a FATAL finding. Only allocation failure
 * returns an error (CATENA_ERR_NOMEM) with |*out| NULL.
 */
enum catena_rc catena_lint_cert(const uint8_t *der, size_t der_len,
                                const struct catena_lint_ctx *ctx,
                                struct catena_lint_report **out) CATENA_WUR;

/* catena_lint_crl: as catena_lint_cert, for a TBSCertList or CertificateList. */
enum catena_rc catena_lint_crl(const uint8_t *der, size_t der_len,
                               const struct catena_lint_ctx *ctx,
                               struct catena_lint_report **out) CATENA_WUR;

/*
 * catena_lint_ocsp: as catena_lint_cert, for a ResponseData (is_tbs) or a
 * whole OCSPResponse. The issuer context is the CA whose certificates the
 * response is about; signer_spki_der is the responder's key.
 */
enum catena_rc catena_lint_ocsp(const uint8_t *der, size_t der_len,
                                const struct catena_lint_ctx *ctx,
                                struct catena_lint_report **out) CATENA_WUR;

/*
 * The name rules of the TLS profile, for refusing an identifier before any
 * work is done on it (an ACME newOrder) rather than at signing.
 * catena_lint_dns_name_public: 1 if |name| (LDH, wildcard allowed as the
 * whole left-most label) may appear in a publicly-trusted TLS certificate;
 * else 0 with a reason in |*why| (may be NULL). catena_lint_ip_public: 1 if
 * the 4- or 16-octet address is public.
 */
int catena_lint_dns_name_public(const char *name, const char **why);
/* catena_lint_suffix_list_load reads the Public Suffix List the name
 * rules use now rather than at their first use: a process that may not
 * open files later (the sandboxed signer) calls it first. 1 if a list is
 * loaded; without one every name is refused. */
int catena_lint_suffix_list_load(void);
int catena_lint_ip_public(const uint8_t *ip, size_t len);

/* catena_lint_report_free frees |report|; NULL is a no-op. */
void catena_lint_report_free(struct catena_lint_report *report);

/*
 * catena_lint_report_errors writes the names of failing rules at or above
 * |min| into |buf| as "name: detail; name: detail" (truncated to |buf_len|)
 * and returns how many there were.
 */
size_t catena_lint_report_errors(const struct catena_lint_report *report,
                                 enum catena_lint_result min, char *buf,
                                 size_t buf_len);

/* catena_lint_result_name returns "pass", "NA", "NE", "notice", "warn",
 * "error" or "fatal". */
const char *catena_lint_result_name(enum catena_lint_result result);

#endif
