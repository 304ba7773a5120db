/*
 * internal.h - the linter's parsed views and the rule-function contract.
 * An object is parsed once (parse.c) into byte spans of every field; the
 * rules only read those spans, so no rule re-parses the object.
 */
#ifndef CATENA_LINT_INTERNAL_H
#define CATENA_LINT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "catena/lint.h"
#include "der.h"

#define LINT_MAX_EXTS 40
#define LINT_MAX_EKUS 16

enum lint_key {
    LINT_KEY_NONE,
    LINT_KEY_RSA,
    LINT_KEY_P256,
    LINT_KEY_P384,
    LINT_KEY_P521,
    LINT_KEY_EC_OTHER,   /* another named curve */
    LINT_KEY_EC_EXPLICIT,/* explicit parameters */
    LINT_KEY_ED25519,
    LINT_KEY_ED448,
    LINT_KEY_RSA_PSS,
    LINT_KEY_DSA,
    LINT_KEY_OTHER
};

enum lint_sig {
    LINT_SIG_UNKNOWN,
    LINT_SIG_RSA_SHA256,
    LINT_SIG_RSA_SHA384,
    LINT_SIG_RSA_SHA512,
    LINT_SIG_PSS_SHA256,
    LINT_SIG_PSS_SHA384,
    LINT_SIG_PSS_SHA512,
    LINT_SIG_ECDSA_SHA256,
    LINT_SIG_ECDSA_SHA384,
    LINT_SIG_ECDSA_SHA512,
    LINT_SIG_ED25519,
    LINT_SIG_ED448,
    LINT_SIG_WEAK,       /* MD5/SHA-1 and friends: recognised, refused */
    LINT_SIG_LOOSE       /* a known algorithm with non-canonical bytes */
};

struct lint_ext {
    struct der oid;     /* contents */
    struct der value;   /* extnValue contents (the DER inside) */
    int critical;
    int crit_encoded;   /* critical BOOLEAN present (FALSE must be omitted) */
};

struct lint_time {
    struct der raw;     /* whole TLV */
    int64_t t;          /* Unix seconds */
    int ok;             /* parsed at all */
    int strict;         /* RFC 5280 profile: Z, seconds, no fraction, year */
};

struct lint_spki {
    struct der whole;
    struct der alg;     /* whole AlgorithmIdentifier */
    struct der alg_oid; /* contents */
    struct der params;  /* whole parameters TLV; len 0 if absent */
    struct der key;     /* subjectPublicKey bits, without the unused byte */
    int key_unused_ok;  /* unused-bits octet was 0 */
    enum lint_key type;
};

/* lint_cert.ku_bits: KeyUsage bits (RFC 5280 4.2.1.3), bit i = bit i. */
#define KU_DS 0x001u
#define KU_NR 0x002u
#define KU_KE 0x004u
#define KU_DE 0x008u
#define KU_KA 0x010u
#define KU_CS 0x020u
#define KU_CRL 0x040u
#define KU_EO 0x080u
#define KU_DO 0x100u

struct lint_cert {
    struct der whole;   /* the whole Certificate, or the TBS alone */
    struct der tbs;     /* whole TBSCertificate TLV */
    int64_t version;    /* 0 = v1 (absent), 2 = v3 */
    int version_encoded;
    struct der serial;  /* INTEGER contents */
    struct der sigalg;  /* tbsCertificate.signature, whole */
    struct der outer_sigalg; /* Certificate.signatureAlgorithm; len 0 in TBS */
    struct der sig;     /* signature BIT STRING contents */
    struct der issuer;  /* whole Name */
    struct der subject; /* whole Name */
    struct lint_time not_before, not_after;
    struct lint_spki spki;
    int issuer_uid, subject_uid;
    int exts_encoded;
    size_t num_exts;
    struct lint_ext exts[LINT_MAX_EXTS];
    /* Frequently used extensions (NULL if absent) and their decoded state. */
    const struct lint_ext *bc, *ku, *eku, *san, *aki, *ski, *cdp, *aia, *sia,
        *cp, *nc, *poison, *sct, *nocheck;
    int is_ca;          /* basicConstraints cA TRUE */
    int64_t path_len;   /* -1 when absent */
    int bc_ok, ku_ok, eku_ok, san_ok;
    unsigned ku_bits;   /* bit i = KeyUsage bit i (0 = digitalSignature) */
    size_t num_ekus;
    struct der ekus[LINT_MAX_EKUS];
    int eku_server, eku_client, eku_email, eku_ocsp, eku_any, eku_code,
        eku_time;
    int spiffe_uris;    /* URI SANs with scheme spiffe */
    int self_issued;    /* issuer bytes == subject bytes */
};

struct lint_crl {
    struct der whole;
    struct der tbs;
    int64_t version;   /* -1 absent (v1) */
    struct der sigalg;
    struct der outer_sigalg;
    struct der sig;
    struct der issuer;
    struct lint_time this_update, next_update;
    int has_next_update;
    int revoked_encoded;
    struct der revoked; /* contents of revokedCertificates */
    struct der revoked_whole; /* ... and its whole TLV */
    int exts_encoded;
    size_t num_exts;
    struct lint_ext exts[LINT_MAX_EXTS];
    const struct lint_ext *aki, *number, *idp;
    int was_pem;       /* the input was PEM, not DER (C2) */
    int trailing;      /* bytes followed the CertificateList (C2) */
    /* Every revokedCertificates entry, decoded once (malloc'd; freed by
     * lint_crl_release). */
    struct lint_crl_entry *entries;
    size_t num_entries;
};

/*
 * What the per-entry rules need to know about one revokedCertificates
 * entry. lint_parse_crl decodes each entry (serial, date, extensions,
 * reasonCode, invalidityDate) exactly once into this compact record; the
 * rules loop over the array and never re-read the entry's DER. A million
 * entries take 24 MB.
 */
struct lint_crl_entry {
    int64_t date;        /* revocationDate, Unix seconds; 0 if !DATE_OK */
    uint32_t serial_off; /* serial INTEGER contents, from lint_crl.revoked.p */
    uint32_t serial_len;
    uint32_t reason;     /* reasonCode, with LINT_CRLE_REASON (saturated) */
    uint32_t flags;      /* LINT_CRLE_* */
};

#define LINT_CRLE_DATE_OK 0x0001u     /* revocationDate is a UTC time */
#define LINT_CRLE_DATE_STRICT 0x0002u /* ... with seconds, no fraction */
#define LINT_CRLE_DATE_GEN 0x0004u    /* ... a GeneralizedTime */
#define LINT_CRLE_EXTS 0x0008u        /* crlEntryExtensions present */
#define LINT_CRLE_EXTS_BAD 0x0010u    /* ... malformed, or more than 16 */
#define LINT_CRLE_EXTS_DUP 0x0020u    /* ... one OID twice */
#define LINT_CRLE_REASON_EXT 0x0040u  /* a reasonCode extension */
#define LINT_CRLE_REASON 0x0080u      /* ... whose value decoded */
#define LINT_CRLE_REASON_BAD 0x0100u  /* ... whose value is malformed */
#define LINT_CRLE_REASON_CRIT 0x0200u /* ... marked critical */
#define LINT_CRLE_REASON_CA 0x0400u   /* ... value bytes 0a 01 02-like (2) */
#define LINT_CRLE_EXTS_DER 0x0800u    /* the extension list is strict DER */
#define LINT_CRLE_SERIAL_DER 0x8000u  /* the serial INTEGER is minimal */
/* C23's first finding in extension order, in bits 12..14. */
#define LINT_CRLE_C23_SHIFT 12
#define LINT_CRLE_C23_MASK 0x7000u
enum lint_crle_c23 {
    LINT_C23_OK,
    LINT_C23_CERT_ISSUER,    /* certificateIssuer: an indirect CRL */
    LINT_C23_INVALIDITY_BAD, /* invalidityDate malformed */
    LINT_C23_INVALIDITY_LATE,/* invalidityDate after revocationDate */
    LINT_C23_OTHER           /* another entry extension */
};

struct lint_ocsp {
    struct der whole;
    int64_t status;      /* responseStatus; -1 in TBS mode */
    struct der resp_type; /* OID contents; len 0 in TBS mode */
    struct der tbs;       /* whole ResponseData */
    int version_encoded;
    unsigned responder_tag; /* DER_CTX_C(1) byName / DER_CTX_C(2) byKey */
    struct der responder;   /* byName: whole Name; byKey: OCTET contents */
    struct lint_time produced_at;
    struct der responses;   /* contents of the SEQUENCE OF SingleResponse */
    int exts_encoded;
    struct der exts;
    struct der sigalg;      /* whole; len 0 in TBS mode */
    struct der sig;
    struct der certs;       /* contents of [0] certs SEQUENCE; len 0 if none */
    int certs_encoded;
};

struct lint_ocsp_single {
    struct der hash_alg;   /* whole */
    struct der name_hash, key_hash, serial;
    unsigned status_tag;   /* 0x80 good, 0xa1 revoked, 0x82 unknown */
    struct lint_time revocation_time;
    int has_reason;
    int64_t reason;
    struct lint_time this_update, next_update;
    int has_next_update;
};

struct lint_in {
    const struct catena_lint_ctx *ctx;
    int is_tbs;
    int64_t now;              /* signing time, or time() */
    int64_t when;             /* date effective dates are judged against */
    enum catena_lint_profile profile; /* resolved from AUTO */
    const struct lint_cert *cert;
    const struct lint_crl *crl;
    const struct lint_ocsp *ocsp;
    const struct lint_cert *issuer; /* parsed issuer certificate, or NULL */
    enum lint_key signer_key;       /* LINT_KEY_NONE if unknown */
    const struct lint_spki *signer_spki;
};

typedef enum catena_lint_result (*lint_check_fn)(const struct lint_in *in,
                                                 char *detail, size_t len);

/* Parsing (parse.c). Each returns 1, or 0 with a reason in |why|. */
int lint_parse_cert(const uint8_t *der, size_t len, int is_tbs,
                    struct lint_cert *c, char *why, size_t why_len);
/* lint_parse_crl also returns -1 when it cannot allocate the entries. */
int lint_parse_crl(const uint8_t *der, size_t len, int is_tbs,
                   struct lint_crl *c, char *why, size_t why_len);
int lint_parse_ocsp(const uint8_t *der, size_t len, int is_tbs,
                    struct lint_ocsp *o, char *why, size_t why_len);
int lint_parse_spki(struct der whole, struct lint_spki *k);
int lint_parse_time(unsigned tag, const struct der *c, struct lint_time *t);
int lint_parse_exts(struct der list, struct lint_ext *exts, size_t max,
                    size_t *num);
/* lint_crl_release frees what lint_parse_crl allocated in |c|. */
void lint_crl_release(struct lint_crl *c);
int lint_ocsp_next_single(struct der *it, struct lint_ocsp_single *s);

/* Shared helpers (util.c). */
const struct lint_ext *lint_ext_find(const struct lint_ext *exts, size_t num,
                                     const uint8_t *oid, size_t oid_len);
enum lint_sig lint_sig_classify(const struct der *alg);
int lint_sig_fits_key(enum lint_sig sig, enum lint_key key);
const char *lint_key_name(enum lint_key key);
enum catena_lint_result lint_detail(char *d, size_t n,
                                    enum catena_lint_result r,
                                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* lint_name_next reads the next AttributeTypeAndValue of a Name's RDN
 * sequence: |it| starts as the Name's contents; |set| tracks the RDN.
 * Returns 1, 0 at the end, -1 when malformed. */
struct lint_atv {
    struct der oid;    /* contents */
    unsigned tag;      /* string type */
    struct der value;  /* contents */
    int rdn_index;
    int multi;         /* the RDN holds more than one ATV */
};
struct lint_name_it {
    struct der rdns;
    struct der set;
    int rdn_index;
    int multi;
};
void lint_name_begin(struct lint_name_it *it, const struct der *whole_name);
int lint_name_next(struct lint_name_it *it, struct lint_atv *atv);
/* lint_gn_next reads the next GeneralName from a GeneralNames contents. */
int lint_gn_next(struct der *it, unsigned *tag, struct der *value);
int lint_days_from_civil(int64_t y, unsigned m, unsigned d, int64_t *out);

/* Names (names.c). lint_dns_valid: LDH labels (A-labels allowed), label
 * <= 63, name <= 253, no empty label; wildcard only as the whole left-most
 * label when |wildcard_ok|. Returns 1, or 0 with a reason. */
int lint_dns_valid(const uint8_t *p, size_t len, int wildcard_ok,
                   const char **why);
/* lint_alabel_valid: 1 if the "xn--" label |label| decodes (RFC 3492) to
 * a plausible U-label (idna.c says what is and is not checked). */
int lint_alabel_valid(const uint8_t *label, size_t len);
/* lint_name_internal: 1 (with a reason) if the valid DNS name |p| is under
 * a reserved or internal TLD, or has one label, or fails
 * lint_name_suffix: names no public CA may certify. */
int lint_name_internal(const uint8_t *p, size_t len, const char **why);
/* lint_name_suffix: 1 (with a reason) if the DNS name |p| (wildcard
 * allowed) ends in a TLD the Public Suffix List's ICANN section does not
 * have, is itself a public suffix, or is a wildcard directly left of one
 * (BR 3.2.2.6). A name that is not LDH is left to lint_dns_valid. */
int lint_name_suffix(const uint8_t *p, size_t len, const char **why);
/* lint_ip_reserved: 1 if the 4- or 16-octet address is not public. */
int lint_ip_reserved(const uint8_t *ip, size_t len);
/* lint_uri_host: the host of "scheme://host[:port]/..." or 0. */
int lint_uri_host(const struct der *uri, struct der *scheme, struct der *host);
int lint_ascii_printable(const struct der *s);
/* lint_verify: 1 if |sig| (BIT STRING contents) over |tbs| verifies with
 * the SPKI |spki| under algorithm |alg| (whole AlgorithmIdentifier), 0 if
 * not, -1 if the algorithm or key is unsupported. */
int lint_verify(const struct der *spki, const struct der *alg,
                const struct der *tbs, const struct der *sig);
/* lint_ski_matches: 1 if |kid| is one of the RFC 5280 / RFC 7093 key
 * identifiers of the subjectPublicKey bits |key| (whole SPKI |spki|). */
int lint_ski_matches(const struct der *kid, const struct lint_spki *spki);
/* lint_aki_kid: 1 if the AKI value is a keyIdentifier alone. */
int lint_aki_kid(const struct der *value, struct der *kid, int *has_kid);
/* lint_ext_dups: 1 if some OID appears twice. */
int lint_ext_dups(const struct lint_ext *exts, size_t num);
/* lint_first_policy: the policy OIDs of a certificatePolicies value. */
size_t lint_policies(const struct lint_ext *cp, struct der *oids, size_t max,
                     int *ok);
int lint_oid_prefix(const struct der *oid, const uint8_t *prefix, size_t len);

/* The day the certificate or CRL starts, at 00:00:00 UTC. */
#define LINT_DATE(y, m, d) lint_epoch_const((y), (m), (d))
int64_t lint_epoch_const(int y, int m, int d);

/* OIDs (contents octets) used by more than one file. */
extern const uint8_t lint_oid_bc[3], lint_oid_ku[3], lint_oid_eku[3],
    lint_oid_san[3], lint_oid_ian[3], lint_oid_aki[3], lint_oid_ski[3],
    lint_oid_cdp[3], lint_oid_cp[3], lint_oid_nc[3], lint_oid_crl_number[3],
    lint_oid_reason[3], lint_oid_invalidity[3], lint_oid_cert_issuer[3],
    lint_oid_idp[3], lint_oid_delta[3], lint_oid_freshest[3],
    lint_oid_pc[3], lint_oid_pm[3], lint_oid_inhibit[3], lint_oid_sda[3],
    lint_oid_aia[8], lint_oid_sia[8], lint_oid_poison[10], lint_oid_sct[10],
    lint_oid_nocheck[9], lint_oid_kp_server[8], lint_oid_kp_client[8],
    lint_oid_kp_email[8], lint_oid_kp_ocsp[8], lint_oid_kp_code[8],
    lint_oid_kp_time[8], lint_oid_any_eku[4], lint_oid_ad_ocsp[8],
    lint_oid_ad_ca_issuers[8], lint_oid_ocsp_basic[9], lint_oid_cn[3],
    lint_oid_c[3], lint_oid_o[3], lint_oid_ou[3], lint_oid_l[3],
    lint_oid_st[3], lint_oid_street[3], lint_oid_postal[3],
    lint_oid_serial_number[3], lint_oid_given_name[3], lint_oid_surname[3],
    lint_oid_pseudonym[3], lint_oid_email[9], lint_oid_qc[8],
    lint_oid_any_policy[4];

/* The rule functions: one per rule in rules.def. */
#define LINT_RULE(id, obj, name, sev, flags, eff, src, cite, zl, desc)        \
    enum catena_lint_result lint_rule_##id(const struct lint_in *in,           \
                                           char *detail, size_t len);
#include "rules.def"
#undef LINT_RULE

#endif
