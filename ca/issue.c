/*
 * issue.c - issuing one certificate.
 *
 * Order matters and is the point of this file: check the key, record the
 * serial (RESERVED) in the store, build the TBS, let the signer lint and
 * sign it, then store the DER and the audit record in one transaction. A
 * crash anywhere leaves at worst a RESERVED serial with no certificate,
 * never a certificate the store does not know. A caller's hook writes in
 * the same two transactions (ACME: the order's claim with the reservation,
 * its "valid" with the certificate), so its state moves with the core's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "catena/log.h"
#include "catena/store.h"
#include "core.h"

#define MAX_NAMES 100
#define MAX_NAME_LEN 2048
#define NAMES_BUF (MAX_NAMES * 256)

/* Backdating by a minute absorbs clock skew between us, the signer and
 * relying parties, far inside BR 7.1.2.7's 48 hours. */
#define BACKDATE 60

struct names {
    char *dns[MAX_NAMES];
    size_t num_dns;
    char *ips[MAX_NAMES];
    size_t num_ips;
    char *emails[MAX_NAMES];
    size_t num_emails;
    char *uris[MAX_NAMES];
    size_t num_uris;
};

static void
names_clear(struct names *n)
{
    for (size_t i = 0; i < n->num_dns; i++) {
        free(n->dns[i]);
    }
    for (size_t i = 0; i < n->num_ips; i++) {
        free(n->ips[i]);
    }
    for (size_t i = 0; i < n->num_emails; i++) {
        free(n->emails[i]);
    }
    for (size_t i = 0; i < n->num_uris; i++) {
        free(n->uris[i]);
    }
    memset(n, 0, sizeof(*n));
}

static int
has_dup(char *const *list, size_t num, const char *s)
{
    for (size_t i = 0; i < num; i++) {
        if (strcmp(list[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
is_ascii_printable(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* canonical_names lower-cases DNS names (A-labels only), normalises IP
 * text, lower-cases mailbox domains and drops exact duplicates. */
static enum catena_rc
canonical_names(const struct catena_issue_req *req, struct names *n,
                struct catena_err *err)
{
    char buf[254];
    enum catena_rc rc;

    if (req->num_dns_names > MAX_NAMES || req->num_ips > MAX_NAMES ||
        req->num_emails > MAX_NAMES || req->num_uris > MAX_NAMES) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG,
                              "more than %d names of one type", MAX_NAMES);
    }
    for (size_t i = 0; i < req->num_dns_names; i++) {
        if ((rc = catena_name_canonical_dns(req->dns_names[i], buf, err)) !=
            CATENA_OK) {
            return rc;
        }
        if (has_dup(n->dns, n->num_dns, buf)) {
            continue;
        }
        if ((n->dns[n->num_dns] = strdup(buf)) == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        n->num_dns++;
    }
    for (size_t i = 0; i < req->num_ips; i++) {
        unsigned char addr[16];
        char text[INET6_ADDRSTRLEN];
        int af = strchr(req->ips[i], ':') != NULL ? AF_INET6 : AF_INET;

        if (strlen(req->ips[i]) >= sizeof(text) ||
            inet_pton(af, req->ips[i], addr) != 1 ||
            inet_ntop(af, addr, text, sizeof(text)) == NULL) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "not an IP address");
        }
        if (has_dup(n->ips, n->num_ips, text)) {
            continue;
        }
        if ((n->ips[n->num_ips] = strdup(text)) == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        n->num_ips++;
    }
    for (size_t i = 0; i < req->num_emails; i++) {
        const char *e = req->emails[i];
        const char *at = strrchr(e, '@');
        char *copy;

        if (strlen(e) > 254 || at == NULL || at == e || at[1] == '\0' ||
            !is_ascii_printable(e) || strchr(e, '<') != NULL ||
            strchr(e, '>') != NULL || strchr(e, ',') != NULL) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "not a plain ASCII mailbox address");
        }
        if ((rc = catena_name_canonical_dns(at + 1, buf, err)) !=
            CATENA_OK) {
            return rc;
        }
        /* The local part is case-sensitive (RFC 5321 2.4); the domain is
         * not. */
        copy = malloc((size_t)(at - e) + 1 + strlen(buf) + 1);
        if (copy == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        memcpy(copy, e, (size_t)(at - e) + 1);
        memcpy(copy + (at - e) + 1, buf, strlen(buf) + 1);
        if (has_dup(n->emails, n->num_emails, copy)) {
            free(copy);
            continue;
        }
        n->emails[n->num_emails++] = copy;
    }
    for (size_t i = 0; i < req->num_uris; i++) {
        const char *u = req->uris[i];

        if (strlen(u) > MAX_NAME_LEN || !is_ascii_printable(u) ||
            strchr(u, ',') != NULL || strstr(u, "://") == NULL) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "not an absolute ASCII URI");
        }
        if (has_dup(n->uris, n->num_uris, u)) {
            continue;
        }
        if ((n->uris[n->num_uris] = strdup(u)) == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        n->num_uris++;
    }
    return CATENA_OK;
}

/* check_names enforces which name types each profile carries. */
static enum catena_rc
check_names(const struct catena_ca *ca, const struct catena_profile *p,
            const struct names *n, struct catena_err *err)
{
    const char *name = p->name;

    if (strcmp(name, "tls-server") == 0 || strcmp(name, "service-tls") == 0) {
        if (n->num_dns + n->num_ips == 0 || n->num_emails + n->num_uris) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "tls-server needs DNS names or IP "
                                  "addresses and nothing else (BR "
                                  "7.1.2.7.12)");
        }
    } else if (strcmp(name, "smime-mailbox") == 0) {
        if (n->num_emails == 0 || n->num_dns + n->num_ips + n->num_uris) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "smime-mailbox needs mailbox addresses "
                                  "and nothing else");
        }
    } else if (strcmp(name, "x509-svid") == 0) {
        const char *td = catena_ca_trust_domain(ca);
        size_t td_len = strlen(td);

        if (n->num_uris != 1 || n->num_emails + n->num_ips) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "an X509-SVID has exactly one URI SAN "
                                  "(X509-SVID §2)");
        }
        if (strncmp(n->uris[0], "spiffe://", 9) != 0) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "the SVID URI must be a spiffe:// ID");
        }
        if (td_len > 0 && (strncmp(n->uris[0] + 9, td, td_len) != 0 ||
                           n->uris[0][9 + td_len] != '/')) {
            return catena_err_set(err, CATENA_ERR_POLICY,
                                  "the SPIFFE ID is not in trust domain %s "
                                  "or has no path",
                                  td);
        }
    } else if (n->num_dns + n->num_ips + n->num_emails + n->num_uris) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "profile %s takes no subject names", name);
    }
    return CATENA_OK;
}

/* join_names makes the store's comma-separated list of SAN values. */
static void
join_names(const struct names *n, char *buf, size_t len)
{
    char *const *lists[] = {n->dns, n->ips, n->emails, n->uris};
    size_t counts[] = {n->num_dns, n->num_ips, n->num_emails, n->num_uris};
    size_t off = 0;

    buf[0] = '\0';
    for (size_t l = 0; l < 4; l++) {
        for (size_t i = 0; i < counts[l]; i++) {
            int w = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
                             lists[l][i]);
            if (w < 0 || (size_t)w >= len - off) {
                return; /* truncated: the list is informational */
            }
            off += (size_t)w;
        }
    }
}

static void
hex32(const uint8_t in[32], char out[65])
{
    static const char d[] = "0123456789abcdef";

    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[64] = '\0';
}

/* audit writes one record; detail is built with jansson so untrusted
 * strings are escaped correctly. */
static enum catena_rc
audit(struct catena_store *store, const char *kind, const char *serial,
      const char *issuer, const char *profile, const char *names,
      const char *spki_hex, const char *why, struct catena_err *err)
{
    json_t *o = json_object();
    char *text = NULL;
    enum catena_rc rc;

    if (o == NULL ||
        (serial && json_object_set_new(o, "serial", json_string(serial))) ||
        (issuer && json_object_set_new(o, "issuer", json_string(issuer))) ||
        (profile &&
         json_object_set_new(o, "profile", json_string(profile))) ||
        (names && json_object_set_new(o, "names", json_string(names))) ||
        (spki_hex &&
         json_object_set_new(o, "spki_sha256", json_string(spki_hex))) ||
        (why && json_object_set_new(o, "reason", json_string(why))) ||
        (text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM,
                            "cannot build the audit record");
        goto out;
    }
    rc = catena_store_audit_append(store, kind, text, err);
out:
    free(text);
    json_decref(o);
    return rc;
}

/* audit_refusal records a policy refusal; its own failure is logged and
 * the original refusal returned (the request fails either way). */
static enum catena_rc
audit_refusal(struct catena_store *store, enum catena_rc rc,
              const char *issuer, const char *profile, const char *spki_hex,
              struct catena_err *err)
{
    struct catena_err aerr;

    catena_err_clear(&aerr);
    if (audit(store, "refuse", NULL, issuer, profile, NULL, spki_hex,
              err != NULL ? err->msg : catena_rc_name(rc),
              &aerr) != CATENA_OK) {
        CATENA_ERROR("cannot audit a refusal: %s", aerr.msg);
    }
    return rc;
}

/*
 * check_signed makes sure the signer's answer is exactly our TBS followed
 * by an AlgorithmIdentifier and a BIT STRING, nothing else: the core must
 * not store or hand out bytes it did not ask for. The TBS is compared byte
 * for byte, so only the two trailing fields need parsing. The signature
 * itself is verified once, by the signer, before it answers (lint A6 and
 * its post-sign X509_verify): repeating that verification here doubled the
 * cost of an ECDSA issuance (verify is dearer than sign) for no assurance
 * the signer, which holds the key, could not already undermine.
 */
static enum catena_rc
check_signed(const uint8_t *der, size_t der_len, const uint8_t *tbs,
             size_t tbs_len, struct catena_err *err)
{
    const unsigned char *p = der;
    const unsigned char *end = der + der_len;
    long len = 0;
    int tag = 0;
    int cls = 0;
    X509_ALGOR *alg = NULL;
    ASN1_BIT_STRING *sig = NULL;
    enum catena_rc rc;

    if (der_len > 64 * 1024 ||
        (ASN1_get_object(&p, &len, &tag, &cls, (long)der_len) & 0x80) ||
        tag != V_ASN1_SEQUENCE || p + len != end ||
        (size_t)(end - p) < tbs_len || memcmp(p, tbs, tbs_len) != 0) {
        return catena_err_set(err, CATENA_ERR_SIGNER,
                              "the signer returned a certificate that does "
                              "not contain the requested TBS");
    }
    p += tbs_len;
    alg = d2i_X509_ALGOR(NULL, &p, end - p);
    sig = alg != NULL ? d2i_ASN1_BIT_STRING(NULL, &p, end - p) : NULL;
    if (sig == NULL || p != end || ASN1_STRING_length(sig) <= 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_SIGNER,
                                    "the signer returned malformed DER");
        goto out;
    }
    rc = CATENA_OK;
out:
    ASN1_BIT_STRING_free(sig);
    X509_ALGOR_free(alg);
    return rc;
}

/* cert_pem writes |der| as one PEM CERTIFICATE block (malloc'd). */
static char *
cert_pem(const uint8_t *der, size_t der_len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    char *copy = NULL;
    long n;

    if (b == NULL ||
        PEM_write_bio(b, "CERTIFICATE", "", der, (long)der_len) <= 0) {
        goto out;
    }
    n = BIO_get_mem_data(b, &data);
    if (n <= 0 || (copy = malloc((size_t)n + 1)) == NULL) {
        goto out;
    }
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
out:
    BIO_free(b);
    return copy;
}

/* A refusal the signer answered explicitly: the TBS was never signed. */
static int
is_refusal(enum catena_rc rc)
{
    return rc == CATENA_ERR_LINT || rc == CATENA_ERR_POLICY ||
           rc == CATENA_ERR_INVALID || rc == CATENA_ERR_UNAUTHORIZED;
}

/* Where one request of a batch has got to. */
enum stage {
    STAGE_FAILED,   /* refused or failed before anything was recorded */
    STAGE_PREPARED, /* checked; serial chosen, not yet recorded */
    STAGE_RESERVED, /* serial recorded: from here the row must stay */
    STAGE_SIGNED,   /* signer answered with a certificate we checked */
    STAGE_REFUSED,  /* the signer (or the TBS builder) refused it */
    STAGE_DONE,     /* DER and audit record committed */
};

/* The state of one request between the phases of a batch. */
struct item {
    const struct catena_issue_req *req;
    const struct catena_issue_extra *extra;
    enum stage stage;
    enum catena_rc rc;
    struct catena_err err;
    const struct catena_profile *prof;
    const char *issuer_name;
    X509 *issuer_cert; /* borrowed from the CA handle */
    EVP_PKEY *issuer_key;
    EVP_PKEY *subject_key;   /* key_owned, or borrowed from spki_x */
    EVP_PKEY *key_owned;     /* the CSR's key */
    X509_PUBKEY *spki_x;     /* the subject SPKI */
    X509_PUBKEY *spki_owned;
    uint8_t spki_hash[32];
    char spki_hex[65];
    int self_signed;
    struct names names;
    char *joined;
    int64_t nb;
    int64_t na;
    uint8_t serial[CATENA_SERIAL_MAX_BYTES];
    size_t serial_len;
    struct catena_cert_row row;
    char crl_url[600];
    char ocsp_url[600];
    char aia_url[600];
    uint8_t *tbs;
    size_t tbs_len;
    uint8_t *cert_der;
    size_t cert_der_len;
};

static void
item_clear(struct item *it)
{
    free(it->cert_der);
    OPENSSL_free(it->tbs);
    free(it->joined);
    names_clear(&it->names);
    EVP_PKEY_free(it->issuer_key);
    X509_PUBKEY_free(it->spki_owned);
    EVP_PKEY_free(it->key_owned);
    it->cert_der = NULL;
    it->tbs = NULL;
    it->joined = NULL;
    it->issuer_key = NULL;
    it->spki_owned = NULL;
    it->key_owned = NULL;
}

/*
 * prepare does everything that needs no record yet: the profile and
 * issuer, the subject key and its checks, names, validity, the serial and
 * the URLs. Refusals of policy are audited here.
 */
static enum catena_rc
prepare(struct catena_ca *ca, struct catena_store *store, struct item *it,
        int64_t now)
{
    const struct catena_issue_req *req = it->req;
    const struct catena_issue_extra *extra = it->extra;
    const struct catena_profile *prof;
    struct catena_err *err = &it->err;
    int blocked = 0;
    int64_t def_life = 0;
    int64_t max_life = 0;
    int64_t life;
    enum catena_rc rc;

    prof = it->prof = catena_profile_find(req->profile);
    if (prof == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "unknown profile %s",
                              req->profile != NULL ? req->profile : "(none)");
    }
    it->self_signed = strcmp(prof->name, "root-ca") == 0;
    if (it->self_signed) {
        if (extra == NULL || extra->self_key == NULL ||
            extra->subject == NULL) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "root-ca needs the key and subject");
        }
        it->issuer_name = req->issuer != NULL ? req->issuer : "root";
    } else {
        it->issuer_name = req->issuer != NULL
                              ? req->issuer
                              : catena_ca_issuer_for_profile(ca, prof->name);
        if (it->issuer_name == NULL ||
            !catena_ca_issuer_signs(ca, it->issuer_name, prof->name)) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "no issuer is configured for profile %s",
                                  prof->name);
        }
        it->issuer_cert = catena_ca_issuer_x509(ca, it->issuer_name);
        if (it->issuer_cert == NULL) {
            return catena_err_set(err, CATENA_ERR_NOT_FOUND,
                                  "issuer %s has no certificate",
                                  it->issuer_name);
        }
    }
    if (catena_ca_signer(ca) == NULL) {
        return catena_err_set(err, CATENA_ERR_SIGNER, "no signer running");
    }

    /* The subject key: from a CSR (proof of possession) or a bare SPKI.
     * Parsed once; everything after uses this X509_PUBKEY. */
    if ((req->csr_der != NULL) + (req->csr != NULL) +
            (req->spki_der != NULL) !=
        1) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "give exactly one of a CSR or a public key");
    }
    if (req->csr != NULL) {
        /* Verified by catena_csr_verify; only the profile's key types are
         * left to check. */
        rc = catena_csr_borrow(req->csr, prof->key_types, &it->spki_x,
                               &it->subject_key, err);
    } else if (req->csr_der != NULL) {
        /* The SPKI keeps the received algorithm and key bits, so its hash
         * (key blocklist, CA-key check) and the certificate's copy are the
         * bytes the subscriber sent. */
        rc = catena_csr_parse_key(req->csr_der, req->csr_der_len,
                                  prof->key_types, &it->spki_owned,
                                  &it->key_owned, err);
        it->spki_x = it->spki_owned;
        it->subject_key = it->key_owned;
    } else {
        rc = catena_spki_parse(req->spki_der, req->spki_der_len,
                               prof->key_types, &it->spki_owned, err);
        it->spki_x = it->spki_owned;
        if (rc == CATENA_OK) {
            it->subject_key = X509_PUBKEY_get0(it->spki_x);
        }
    }
    if (rc != CATENA_OK) {
        if (rc == CATENA_ERR_POLICY) {
            audit_refusal(store, rc, it->issuer_name, prof->name, NULL, err);
        }
        return rc;
    }
    if (it->subject_key == NULL) {
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "unusable public key");
    }
    if ((rc = catena_spki_sha256(it->spki_x, it->spki_hash, err)) !=
        CATENA_OK) {
        return rc;
    }
    hex32(it->spki_hash, it->spki_hex);
    /* BR 6.1.1.3: refuse keys reported compromised, and never certify a
     * CA's own key in an end-entity certificate. Store errors refuse. */
    if ((rc = catena_store_key_is_blocked(store, it->spki_hash, &blocked,
                                          err)) != CATENA_OK) {
        return rc;
    }
    if (blocked) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "the key is blocked (revoked for "
                            "keyCompromise)");
        return audit_refusal(store, rc, it->issuer_name, prof->name,
                             it->spki_hex, err);
    }
    if (!prof->is_ca && catena_ca_is_ca_key(ca, it->spki_hash)) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "the key belongs to a CA (BR 6.1.1.3)");
        return audit_refusal(store, rc, it->issuer_name, prof->name,
                             it->spki_hex, err);
    }
    if (it->self_signed) {
        if (EVP_PKEY_eq(extra->self_key, it->subject_key) != 1) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "a root certifies its own key");
        }
        it->issuer_key = extra->self_key;
        EVP_PKEY_up_ref(it->issuer_key);
    } else {
        it->issuer_key = X509_get_pubkey(it->issuer_cert);
        if (it->issuer_key == NULL) {
            return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                          "issuer %s key", it->issuer_name);
        }
    }

    if ((rc = canonical_names(req, &it->names, err)) != CATENA_OK ||
        (rc = check_names(ca, prof, &it->names, err)) != CATENA_OK) {
        return rc;
    }
    /* CAA last among the checks: it is the one that goes to the network. */
    if (!req->caa_checked &&
        (rc = catena_ca_caa_permits(ca, prof->name, it->names.dns,
                                    it->names.num_dns, it->names.emails,
                                    it->names.num_emails, err)) !=
            CATENA_OK) {
        if (rc == CATENA_ERR_CAA || rc == CATENA_ERR_DNS) {
            audit_refusal(store, rc, it->issuer_name, prof->name,
                          it->spki_hex, err);
        }
        return rc;
    }
    it->joined = malloc(NAMES_BUF);
    if (it->joined == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    join_names(&it->names, it->joined, NAMES_BUF);

    /* Validity: notAfter = notBefore + lifetime - 1 (inclusive). */
    if ((rc = catena_ca_profile_lifetimes(ca, prof, now, &def_life,
                                          &max_life, err)) != CATENA_OK) {
        return rc;
    }
    life = req->lifetime > 0 ? req->lifetime : def_life;
    if (life > max_life) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "lifetime of %lld s is over the %s maximum of "
                              "%lld s",
                              (long long)life, prof->name,
                              (long long)max_life);
    }
    it->nb = now - BACKDATE;
    it->na = catena_validity_not_after(it->nb, life);
    if (it->issuer_cert != NULL) {
        /* Never outlive the issuer: such a certificate stops validating
         * before its notAfter anyway (lint A13). */
        const ASN1_TIME *ina = X509_get0_notAfter(it->issuer_cert);
        struct tm tm;
        int64_t issuer_na;

        if (!ASN1_TIME_to_tm(ina, &tm)) {
            return catena_err_set(err, CATENA_ERR_CRYPTO, "issuer notAfter");
        }
        issuer_na = (int64_t)timegm(&tm);
        if (issuer_na <= it->nb) {
            return catena_err_set(err, CATENA_ERR_POLICY,
                                  "issuer %s has expired", it->issuer_name);
        }
        if (it->na > issuer_na) {
            it->na = issuer_na;
        }
    }

    /* Serial and shard; the CRLDP is the shard's URL so it matches the
     * IDP of the CRL that will list this certificate (lint A33). */
    if ((rc = catena_serial_generate(catena_ca_instance_prefix(ca),
                                     it->serial, &it->serial_len)) !=
        CATENA_OK) {
        return catena_err_set(err, rc, "the CSPRNG failed");
    }
    catena_serial_hex(it->serial, it->serial_len, it->row.serial);
    catena_ca_ocsp_url(ca, it->ocsp_url, sizeof(it->ocsp_url));
    snprintf(it->aia_url, sizeof(it->aia_url), "%s/ca/%s.der",
             catena_ca_base_url(ca), it->issuer_name);
    it->crl_url[0] = '\0';
    if (!it->self_signed) {
        it->row.shard = catena_ca_shard_for_serial(
            it->serial, it->serial_len,
            catena_ca_issuer_num_shards(ca, it->issuer_name));
        if (catena_ca_shard_url(ca, it->issuer_name, it->row.shard,
                                it->crl_url,
                                sizeof(it->crl_url)) != CATENA_OK) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "cannot make the CRL URL of %s",
                                  it->issuer_name);
        }
    }
    return CATENA_OK;
}

/* run_hook runs the request's hook for |step| in the transaction its
 * caller has open. Whatever the hook failed with, the request fails as a
 * store error: the hook's code means nothing to the core, and a refusal's
 * code (POLICY, LINT, ...) would tell the caller nothing was signed. */
static enum catena_rc
run_hook(struct catena_store *store, const struct item *it,
         enum catena_issue_step step, struct catena_err *err)
{
    const struct catena_issue_req *req = it->req;
    struct catena_err herr;
    enum catena_rc rc;

    if (req->hook == NULL) {
        return CATENA_OK;
    }
    catena_err_clear(&herr);
    rc = req->hook(req->hook_arg, store, step, it->row.serial, &herr);
    if (rc == CATENA_OK) {
        return CATENA_OK;
    }
    return catena_err_set(err, CATENA_ERR_STORE, "issue hook at %s: %s",
                          step == CATENA_ISSUE_STEP_RESERVE ? "reserve"
                                                            : "issued",
                          herr.msg[0] != '\0' ? herr.msg : catena_rc_name(rc));
}

/* reserve records the serial before anything is signed, with the hook's
 * writes. The root has no issuer row to refer to yet, so its reservation
 * is an audit record. Runs inside a transaction when there is a hook. */
static enum catena_rc
reserve(struct catena_ca *ca, struct catena_store *store, struct item *it,
        int64_t now, struct catena_err *err)
{
    const struct catena_issue_req *req = it->req;
    struct catena_cert_row *row = &it->row;
    enum catena_rc rc;

    if (it->self_signed) {
        if ((rc = audit(store, "reserve", row->serial, it->issuer_name,
                        it->prof->name, NULL, it->spki_hex, NULL, err)) !=
            CATENA_OK) {
            return rc;
        }
        return run_hook(store, it, CATENA_ISSUE_STEP_RESERVE, err);
    }
    row->issuer_id = catena_ca_issuer_store_id(ca, it->issuer_name);
    snprintf(row->profile, sizeof(row->profile), "%s", it->prof->name);
    row->not_before = it->nb;
    row->not_after = it->na;
    row->names = it->joined;
    memcpy(row->spki_sha256, it->spki_hash, 32);
    row->status = CATENA_CERT_RESERVED;
    row->reason = -1;
    if (req->replaces != NULL) {
        snprintf(row->replaces, sizeof(row->replaces), "%s", req->replaces);
    }
    row->account_id = req->account_id;
    row->created_at = now;
    rc = catena_store_cert_reserve(store, row, err);
    row->names = NULL; /* owned by it->joined */
    if (rc != CATENA_OK) {
        return rc;
    }
    return run_hook(store, it, CATENA_ISSUE_STEP_RESERVE, err);
}

/* reserve_one records one serial on its own. Without a hook that is one
 * statement; with one, a transaction holds the hook's writes too. */
static enum catena_rc
reserve_one(struct catena_ca *ca, struct catena_store *store, struct item *it,
            int64_t now, struct catena_err *err)
{
    enum catena_rc rc;

    if (it->req->hook == NULL) {
        return reserve(ca, store, it, now, err);
    }
    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        return rc;
    }
    if ((rc = reserve(ca, store, it, now, err)) != CATENA_OK ||
        (rc = catena_store_commit(store, err)) != CATENA_OK) {
        catena_store_rollback(store);
    }
    return rc;
}

/* reserve_all records every prepared serial in one transaction; if that
 * fails, each gets its own so one bad row cannot sink the others. */
static void
reserve_all(struct catena_ca *ca, struct catena_store *store,
            struct item *items, size_t n, int64_t now)
{
    struct catena_err terr;
    size_t num = 0;

    catena_err_clear(&terr);
    for (size_t i = 0; i < n; i++) {
        num += items[i].stage == STAGE_PREPARED;
    }
    if (num == 0) {
        return;
    }
    if (num > 1 && catena_store_begin(store, &terr) == CATENA_OK) {
        size_t i;

        for (i = 0; i < n; i++) {
            if (items[i].stage == STAGE_PREPARED &&
                reserve(ca, store, &items[i], now, &terr) != CATENA_OK) {
                break;
            }
        }
        if (i == n && catena_store_commit(store, &terr) == CATENA_OK) {
            for (i = 0; i < n; i++) {
                if (items[i].stage == STAGE_PREPARED) {
                    items[i].stage = STAGE_RESERVED;
                }
            }
            return;
        }
        catena_store_rollback(store);
        CATENA_WARN("reserving %zu serials together failed (%s): one by "
                    "one",
                    num, terr.msg);
    }
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];

        if (it->stage != STAGE_PREPARED) {
            continue;
        }
        if ((it->rc = reserve_one(ca, store, it, now, &it->err)) != CATENA_OK) {
            it->stage = STAGE_FAILED;
        } else {
            it->stage = STAGE_RESERVED;
        }
    }
}

/* build_tbs fills the TBS parameters of a reserved item and encodes it. */
static enum catena_rc
build_tbs(struct item *it)
{
    const struct catena_profile *prof = it->prof;
    const struct catena_issue_extra *extra = it->extra;
    struct catena_tbs_params tp;

    memset(&tp, 0, sizeof(tp));
    tp.profile = prof;
    tp.serial = it->serial;
    tp.serial_len = it->serial_len;
    tp.issuer_cert = it->issuer_cert;
    tp.issuer_key = it->issuer_key;
    tp.subject = extra != NULL ? extra->subject : NULL;
    tp.subject_key = it->subject_key;
    tp.subject_spki = it->spki_x;
    tp.not_before = it->nb;
    tp.not_after = it->na;
    tp.dns_names = (const char *const *)it->names.dns;
    tp.num_dns_names = it->names.num_dns;
    tp.ips = (const char *const *)it->names.ips;
    tp.num_ips = it->names.num_ips;
    tp.emails = (const char *const *)it->names.emails;
    tp.num_emails = it->names.num_emails;
    tp.uris = (const char *const *)it->names.uris;
    tp.num_uris = it->names.num_uris;
    tp.ca_kind = extra != NULL ? extra->ca_kind : CATENA_CA_KIND_NONE;
    if (strcmp(prof->name, "tls-server") == 0 ||
        strcmp(prof->name, "service-tls") == 0 ||
        strcmp(prof->name, "smime-mailbox") == 0) {
        tp.ocsp_url = it->ocsp_url;
        tp.ca_issuers_url = it->aia_url;
        tp.crl_url = it->crl_url;
    } else if (strcmp(prof->name, "sub-ca") == 0) {
        tp.ca_issuers_url = it->aia_url;
        tp.crl_url = it->crl_url;
    }
    return catena_tbs_build(&tp, &it->tbs, &it->tbs_len, &it->err);
}

/* after_sign sorts a reserved item by what the signer (or the TBS
 * builder) said: signed and checked, refused, or unknown. */
static void
after_sign(struct item *it, enum catena_rc rc)
{
    if (rc == CATENA_OK) {
        rc = check_signed(it->cert_der, it->cert_der_len, it->tbs,
                          it->tbs_len, &it->err);
    }
    it->rc = rc;
    if (rc == CATENA_OK) {
        it->stage = STAGE_SIGNED;
    } else if (rc == CATENA_ERR_SIGNER || !is_refusal(rc)) {
        /* We do not know whether the signer signed: the row stays
         * RESERVED (never issued) for an operator to see. */
        CATENA_ERROR("serial %s left RESERVED: %s", it->row.serial,
                     it->err.msg);
        it->stage = STAGE_FAILED;
    } else {
        it->stage = STAGE_REFUSED;
    }
}

/* sign_all sends every built TBS to the signer in one pipelined batch. */
static void
sign_all(struct catena_ca *ca, struct item *items, size_t n)
{
    struct catena_signer_cert_job *jobs = NULL;
    size_t *which = NULL;
    size_t m = 0;
    struct catena_err berr;

    catena_err_clear(&berr);
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];
        enum catena_rc rc;

        if (it->stage != STAGE_RESERVED) {
            continue;
        }
        if ((rc = build_tbs(it)) != CATENA_OK) {
            after_sign(it, rc);
            continue;
        }
        m++;
    }
    if (m == 0) {
        return;
    }
    jobs = calloc(m, sizeof(*jobs));
    which = calloc(m, sizeof(*which));
    if (jobs == NULL || which == NULL) {
        /* Nothing was sent: the rows stay RESERVED, never signed. */
        for (size_t i = 0; i < n; i++) {
            if (items[i].stage == STAGE_RESERVED) {
                catena_err_set(&items[i].err, CATENA_ERR_NOMEM,
                               "out of memory");
                after_sign(&items[i], CATENA_ERR_NOMEM);
            }
        }
        goto out;
    }
    m = 0;
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];

        if (it->stage != STAGE_RESERVED) {
            continue;
        }
        jobs[m].issuer = it->issuer_name;
        jobs[m].profile = it->prof->name;
        jobs[m].tbs = it->tbs;
        jobs[m].tbs_len = it->tbs_len;
        which[m++] = i;
    }
    /* Each job carries its own answer; a dead channel has already been
     * logged and marked every unanswered job CATENA_ERR_SIGNER. */
    if (catena_signer_sign_cert_batch(catena_ca_signer(ca), jobs, m,
                                      &berr) != CATENA_OK) {
        CATENA_DEBUG("batch of %zu: %s", m, berr.msg);
    }
    for (size_t k = 0; k < m; k++) {
        struct item *it = &items[which[k]];

        it->cert_der = jobs[k].der;
        it->cert_der_len = jobs[k].der_len;
        it->err = jobs[k].err;
        after_sign(it, jobs[k].err.code);
    }
out:
    free(jobs);
    free(which);
}

/* record stores the outcome of one signed or refused item: DER, audit
 * record and the hook's writes, or FAILED and the refusal. Runs inside a
 * transaction. */
static enum catena_rc
record(struct catena_store *store, struct item *it, struct catena_err *err)
{
    enum catena_rc rc;

    if (it->stage == STAGE_REFUSED) {
        if (!it->self_signed &&
            (rc = catena_store_cert_set_failed(store, it->row.serial, err)) !=
                CATENA_OK) {
            return rc;
        }
        return audit(store, "refuse", it->self_signed ? NULL : it->row.serial,
                     it->issuer_name, it->prof->name,
                     it->self_signed ? NULL : it->joined, it->spki_hex,
                     it->err.msg[0] != '\0' ? it->err.msg : "refused", err);
    }
    if ((!it->self_signed && (rc = catena_store_cert_set_issued(
                                  store, it->row.serial, it->cert_der,
                                  it->cert_der_len, err)) != CATENA_OK) ||
        (rc = audit(store, "issue", it->row.serial, it->issuer_name,
                    it->prof->name, it->joined, it->spki_hex, NULL, err)) !=
            CATENA_OK) {
        return rc;
    }
    return run_hook(store, it, CATENA_ISSUE_STEP_ISSUED, err);
}

/* record_one commits one item's outcome on its own. */
static enum catena_rc
record_one(struct catena_store *store, struct item *it,
           struct catena_err *err)
{
    enum catena_rc rc;

    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        return rc;
    }
    if ((rc = record(store, it, err)) != CATENA_OK ||
        (rc = catena_store_commit(store, err)) != CATENA_OK) {
        catena_store_rollback(store);
    }
    return rc;
}

/* settle is the end of a recorded item: DONE, or the refusal returned. */
static void
settle(struct item *it, enum catena_rc rc, const struct catena_err *rerr)
{
    if (it->stage == STAGE_REFUSED) {
        if (rc != CATENA_OK) {
            CATENA_ERROR("cannot record the refusal of %s: %s",
                         it->row.serial, rerr->msg);
        }
        it->stage = STAGE_FAILED; /* it->rc/err keep the refusal */
        return;
    }
    if (rc != CATENA_OK) {
        /* Signed, never handed out: the row stays RESERVED for an
         * operator to see, as when the signer's answer is lost. */
        CATENA_ERROR("serial %s signed but not recorded as issued: %s",
                     it->row.serial, rerr->msg);
        it->rc = rc;
        it->err = *rerr;
        it->stage = STAGE_FAILED;
        return;
    }
    it->stage = STAGE_DONE;
}

/*
 * record_all stores every signed certificate and every refusal, with their
 * audit records, in one transaction: the audit chain is extended in order
 * under one lock. If that transaction fails, each item is tried on its own.
 */
static void
record_all(struct catena_store *store, struct item *items, size_t n)
{
    struct catena_err terr;
    size_t num = 0;

    catena_err_clear(&terr);
    for (size_t i = 0; i < n; i++) {
        num += items[i].stage == STAGE_SIGNED ||
               items[i].stage == STAGE_REFUSED;
    }
    if (num == 0) {
        return;
    }
    if (num > 1 && catena_store_begin(store, &terr) == CATENA_OK) {
        size_t i;

        for (i = 0; i < n; i++) {
            if ((items[i].stage == STAGE_SIGNED ||
                 items[i].stage == STAGE_REFUSED) &&
                record(store, &items[i], &terr) != CATENA_OK) {
                break;
            }
        }
        if (i == n && catena_store_commit(store, &terr) == CATENA_OK) {
            for (i = 0; i < n; i++) {
                if (items[i].stage == STAGE_SIGNED ||
                    items[i].stage == STAGE_REFUSED) {
                    settle(&items[i], CATENA_OK, &terr);
                }
            }
            return;
        }
        catena_store_rollback(store);
        CATENA_WARN("recording %zu certificates together failed (%s): one "
                    "by one",
                    num, terr.msg);
    }
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];
        enum catena_rc rc;

        if (it->stage != STAGE_SIGNED && it->stage != STAGE_REFUSED) {
            continue;
        }
        catena_err_clear(&terr);
        rc = record_one(store, it, &terr);
        settle(it, rc, &terr);
    }
}

/* make_issued builds the caller's result for a recorded item. */
static enum catena_rc
make_issued(struct catena_ca *ca, struct item *it,
            struct catena_issued **out)
{
    struct catena_issued *issued = calloc(1, sizeof(*issued));
    char *leaf_pem = cert_pem(it->cert_der, it->cert_der_len);
    const char *chain = it->self_signed
                            ? ""
                            : catena_ca_issuer_chain_pem(ca, it->issuer_name);
    size_t a;
    size_t b = chain != NULL ? strlen(chain) : 0;
    enum catena_rc rc;

    if (issued == NULL || leaf_pem == NULL) {
        rc = catena_err_set(&it->err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    a = strlen(leaf_pem);
    issued->chain_pem = malloc(a + b + 1);
    if (issued->chain_pem == NULL) {
        rc = catena_err_set(&it->err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(issued->chain_pem, leaf_pem, a);
    if (b > 0) {
        memcpy(issued->chain_pem + a, chain, b);
    }
    issued->chain_pem[a + b] = '\0';
    memcpy(issued->serial, it->row.serial, sizeof(issued->serial));
    issued->der = it->cert_der;
    issued->der_len = it->cert_der_len;
    it->cert_der = NULL;
    issued->not_before = it->nb;
    issued->not_after = it->na;
    *out = issued;
    issued = NULL;
    rc = CATENA_OK;
out:
    catena_issued_free(issued);
    free(leaf_pem);
    return rc;
}

/*
 * issue_batch is the whole issuance of |n| requests in four steps, each
 * done for all of them before the next: check and choose serials, record
 * every serial (one transaction), sign (one pipelined signer exchange),
 * record every DER and audit record (one transaction). The invariant of
 * the single path holds per row: nothing is signed before its serial is
 * committed, and a row whose signing is in doubt stays RESERVED. Each
 * request's hook writes in both transactions; one that fails sinks its
 * shared transaction, and the retry one by one sinks only its request.
 */
static enum catena_rc
issue_batch(struct catena_ca *ca, struct catena_store *store,
            const struct catena_issue_req *reqs,
            const struct catena_issue_extra *extra, size_t n,
            struct catena_issued **outs, struct catena_err *errs)
{
    struct item *items = NULL;
    int64_t now = (int64_t)time(NULL);
    enum catena_rc first = CATENA_OK;

    for (size_t i = 0; i < n; i++) {
        outs[i] = NULL;
        if (errs != NULL) {
            catena_err_clear(&errs[i]);
        }
    }
    if (n == 0) {
        return CATENA_OK;
    }
    if (n > CATENA_ISSUE_BATCH_MAX) {
        for (size_t i = 0; i < n && errs != NULL; i++) {
            catena_err_set(&errs[i], CATENA_ERR_TOO_BIG,
                           "more than %d requests in one batch",
                           CATENA_ISSUE_BATCH_MAX);
        }
        return CATENA_ERR_TOO_BIG;
    }
    items = calloc(n, sizeof(*items));
    if (items == NULL) {
        for (size_t i = 0; i < n && errs != NULL; i++) {
            catena_err_set(&errs[i], CATENA_ERR_NOMEM, "out of memory");
        }
        return CATENA_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];

        it->req = &reqs[i];
        it->extra = extra;
        catena_err_clear(&it->err);
        it->rc = prepare(ca, store, it, now);
        it->stage = it->rc == CATENA_OK ? STAGE_PREPARED : STAGE_FAILED;
    }
    reserve_all(ca, store, items, n, now);
    sign_all(ca, items, n);
    record_all(store, items, n);
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];

        if (it->stage == STAGE_DONE) {
            it->rc = make_issued(ca, it, &outs[i]);
        }
        if (it->rc != CATENA_OK && it->err.code == CATENA_OK) {
            catena_err_set(&it->err, it->rc, "%s", catena_rc_name(it->rc));
        }
        if (errs != NULL) {
            errs[i] = it->err;
        }
        if (first == CATENA_OK) {
            first = it->rc;
        }
        item_clear(it);
    }
    free(items);
    return first;
}

enum catena_rc
catena_ca_issue_ex(struct catena_ca *ca, struct catena_store *store,
                   const struct catena_issue_req *req,
                   const struct catena_issue_extra *extra,
                   struct catena_issued **out, struct catena_err *err)
{
    struct catena_err e;
    enum catena_rc rc;

    catena_err_clear(&e);
    rc = issue_batch(ca, store, req, extra, 1, out, &e);
    if (err != NULL) {
        *err = e;
    }
    return rc;
}

/* only_end_entity refuses the profiles only "catena init" may issue. */
static enum catena_rc
only_end_entity(const struct catena_issue_req *req, struct catena_err *err)
{
    const struct catena_profile *p = catena_profile_find(req->profile);

    /* CA certificates need a subject only "catena init" decides. */
    if (p != NULL && (p->is_ca || strcmp(p->name, "ocsp-signer") == 0)) {
        return catena_err_set(err, CATENA_ERR_UNSUPPORTED,
                              "profile %s is issued by catena init only",
                              p->name);
    }
    return CATENA_OK;
}

enum catena_rc
catena_ca_issue(struct catena_ca *ca, struct catena_store *store,
                const struct catena_issue_req *req,
                struct catena_issued **out, struct catena_err *err)
{
    enum catena_rc rc;

    *out = NULL;
    if ((rc = only_end_entity(req, err)) != CATENA_OK) {
        return rc;
    }
    return catena_ca_issue_ex(ca, store, req, NULL, out, err);
}

enum catena_rc
catena_ca_issue_batch(struct catena_ca *ca, struct catena_store *store,
                      const struct catena_issue_req *reqs, size_t n,
                      struct catena_issued **outs, struct catena_err *errs)
{
    for (size_t i = 0; i < n; i++) {
        enum catena_rc rc;

        outs[i] = NULL;
        if ((rc = only_end_entity(&reqs[i], errs != NULL ? &errs[i] : NULL)) !=
            CATENA_OK) {
            /* Checked before anything is recorded: the whole batch is the
             * caller's mistake. */
            for (size_t k = 0; k < n && errs != NULL; k++) {
                if (k != i) {
                    catena_err_set(&errs[k], rc, "request %zu of the batch "
                                   "is for a profile init issues", i);
                }
            }
            return rc;
        }
    }
    return issue_batch(ca, store, reqs, NULL, n, outs, errs);
}

void
catena_issued_free(struct catena_issued *issued)
{
    if (issued == NULL) {
        return;
    }
    free(issued->der);
    free(issued->chain_pem);
    free(issued);
}
