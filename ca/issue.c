/*
 * issue.c - issuing one certificate.
 *
 * Order matters and is the point of this file: check the key, record the
 * serial (RESERVED) in the store, build the TBS, let the signer lint and
 * sign it, then store the DER and the audit record in one transaction. A
 * crash anywhere leaves at worst a RESERVED serial with no certificate,
 * never a certificate the store does not know.
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
 * by an AlgorithmIdentifier and a signature that verifies with the issuer
 * key. The signer verifies too (lint A6), but the core must not store or
 * hand out bytes it did not ask for. The TBS is compared byte for byte,
 * so only the two trailing fields need parsing: no certificate decode.
 */
static enum catena_rc
check_signed(const uint8_t *der, size_t der_len, const uint8_t *tbs,
             size_t tbs_len, EVP_PKEY *issuer_key, struct catena_err *err)
{
    const unsigned char *p = der;
    const unsigned char *end = der + der_len;
    long len = 0;
    int tag = 0;
    int cls = 0;
    X509_ALGOR *alg = NULL;
    ASN1_BIT_STRING *sig = NULL;
    EVP_MD_CTX *md = NULL;
    const EVP_MD *digest = EVP_sha256();
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
    if (sig == NULL || p != end) {
        rc = catena_err_set_openssl(err, CATENA_ERR_SIGNER,
                                    "the signer returned malformed DER");
        goto out;
    }
    switch (catena_key_type(issuer_key)) {
    case CATENA_KEY_P384:
        digest = EVP_sha384();
        break;
    case CATENA_KEY_ED25519:
        digest = NULL;
        break;
    default:
        break;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL ||
        EVP_DigestVerifyInit(md, NULL, digest, NULL, issuer_key) != 1 ||
        EVP_DigestVerify(md, ASN1_STRING_get0_data(sig),
                         (size_t)ASN1_STRING_length(sig), tbs,
                         tbs_len) != 1) {
        rc = catena_err_set_openssl(err, CATENA_ERR_SIGNER,
                                    "the signature does not verify with "
                                    "the issuer key");
        goto out;
    }
    rc = CATENA_OK;
out:
    EVP_MD_CTX_free(md);
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

enum catena_rc
catena_ca_issue_ex(struct catena_ca *ca, struct catena_store *store,
                   const struct catena_issue_req *req,
                   const struct catena_issue_extra *extra,
                   struct catena_issued **out, struct catena_err *err)
{
    const struct catena_profile *prof;
    const char *issuer_name;
    X509 *issuer_cert = NULL;
    EVP_PKEY *issuer_key = NULL;
    EVP_PKEY *subject_key = NULL; /* borrowed from spki_x */
    X509_REQ *csr = NULL;
    X509_PUBKEY *spki_x = NULL;     /* the subject SPKI (maybe borrowed) */
    X509_PUBKEY *spki_owned = NULL; /* set when parsed from req->spki_der */
    uint8_t spki_hash[32];
    char spki_hex[65];
    int blocked = 0;
    struct names names;
    char *joined = NULL;
    int64_t now = (int64_t)time(NULL);
    int64_t def_life = 0;
    int64_t max_life = 0;
    int64_t life;
    int64_t nb;
    int64_t na;
    uint8_t serial[CATENA_SERIAL_MAX_BYTES];
    size_t serial_len = 0;
    struct catena_cert_row row;
    int shard = 0;
    char crl_url[600];
    char ocsp_url[600];
    char aia_url[600];
    int self_signed;
    struct catena_tbs_params tp;
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    uint8_t *cert_der = NULL;
    size_t cert_der_len = 0;
    struct catena_issued *issued = NULL;
    char *leaf_pem = NULL;
    enum catena_rc rc;

    memset(&names, 0, sizeof(names));
    memset(&row, 0, sizeof(row));
    *out = NULL;
    prof = catena_profile_find(req->profile);
    if (prof == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "unknown profile %s",
                              req->profile != NULL ? req->profile : "(none)");
    }
    self_signed = strcmp(prof->name, "root-ca") == 0;
    if (self_signed) {
        if (extra == NULL || extra->self_key == NULL || extra->subject == NULL) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "root-ca needs the key and subject");
        }
        issuer_name = req->issuer != NULL ? req->issuer : "root";
    } else {
        issuer_name = req->issuer != NULL
                          ? req->issuer
                          : catena_ca_issuer_for_profile(ca, prof->name);
        if (issuer_name == NULL ||
            !catena_ca_issuer_signs(ca, issuer_name, prof->name)) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "no issuer is configured for profile %s",
                                  prof->name);
        }
        issuer_cert = catena_ca_issuer_x509(ca, issuer_name);
        if (issuer_cert == NULL) {
            return catena_err_set(err, CATENA_ERR_NOT_FOUND,
                                  "issuer %s has no certificate", issuer_name);
        }
    }
    if (catena_ca_signer(ca) == NULL) {
        return catena_err_set(err, CATENA_ERR_SIGNER, "no signer running");
    }

    /* The subject key: from a CSR (proof of possession) or a bare SPKI.
     * Parsed once; everything after uses this X509_PUBKEY. */
    if ((req->csr_der != NULL) == (req->spki_der != NULL)) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "give exactly one of a CSR or a public key");
        goto out;
    }
    if (req->csr_der != NULL) {
        rc = catena_csr_parse(req->csr_der, req->csr_der_len, prof->key_types,
                              &csr, err);
        /* Borrowed from the request, not X509_PUBKEY_dup'ed: OpenSSL 3.0's
         * dup loses the BIT STRING's unused-bits flag and re-encodes an
         * EC point ending in zero bits differently, so the SPKI hash (key
         * blocklist, CA-key check) would not match the certificate's. */
        if (rc == CATENA_OK) {
            spki_x = X509_REQ_get_X509_PUBKEY(csr);
        }
    } else {
        rc = catena_spki_parse(req->spki_der, req->spki_der_len,
                               prof->key_types, &spki_owned, err);
        spki_x = spki_owned;
    }
    if (rc != CATENA_OK) {
        if (rc == CATENA_ERR_POLICY) {
            audit_refusal(store, rc, issuer_name, prof->name, NULL, err);
        }
        goto out;
    }
    subject_key = X509_PUBKEY_get0(spki_x);
    if (subject_key == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "unusable public key");
        goto out;
    }
    if ((rc = catena_spki_sha256(spki_x, spki_hash, err)) != CATENA_OK) {
        goto out;
    }
    hex32(spki_hash, spki_hex);
    /* BR 6.1.1.3: refuse keys reported compromised, and never certify a
     * CA's own key in an end-entity certificate. Store errors refuse. */
    if ((rc = catena_store_key_is_blocked(store, spki_hash, &blocked,
                                          err)) != CATENA_OK) {
        goto out;
    }
    if (blocked) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "the key is blocked (revoked for "
                            "keyCompromise)");
        audit_refusal(store, rc, issuer_name, prof->name, spki_hex, err);
        goto out;
    }
    if (!prof->is_ca && catena_ca_is_ca_key(ca, spki_hash)) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "the key belongs to a CA (BR 6.1.1.3)");
        audit_refusal(store, rc, issuer_name, prof->name, spki_hex, err);
        goto out;
    }
    if (self_signed) {
        issuer_key = extra->self_key;
        if (EVP_PKEY_eq(issuer_key, subject_key) != 1) {
            rc = catena_err_set(err, CATENA_ERR_INVALID,
                                "a root certifies its own key");
            goto out;
        }
        EVP_PKEY_up_ref(issuer_key);
    } else {
        issuer_key = X509_get_pubkey(issuer_cert);
        if (issuer_key == NULL) {
            rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                        "issuer %s key", issuer_name);
            goto out;
        }
    }

    if ((rc = canonical_names(req, &names, err)) != CATENA_OK ||
        (rc = check_names(ca, prof, &names, err)) != CATENA_OK) {
        goto out;
    }
    joined = malloc(NAMES_BUF);
    if (joined == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    join_names(&names, joined, NAMES_BUF);

    /* Validity: notAfter = notBefore + lifetime - 1 (inclusive). */
    if ((rc = catena_ca_profile_lifetimes(ca, prof, now, &def_life,
                                          &max_life, err)) != CATENA_OK) {
        goto out;
    }
    life = req->lifetime > 0 ? req->lifetime : def_life;
    if (life > max_life) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "lifetime of %lld s is over the %s maximum of "
                            "%lld s",
                            (long long)life, prof->name, (long long)max_life);
        goto out;
    }
    nb = now - BACKDATE;
    na = catena_validity_not_after(nb, life);
    if (issuer_cert != NULL) {
        /* Never outlive the issuer: such a certificate stops validating
         * before its notAfter anyway (lint A13). */
        const ASN1_TIME *ina = X509_get0_notAfter(issuer_cert);
        struct tm tm;
        int64_t issuer_na;

        if (!ASN1_TIME_to_tm(ina, &tm)) {
            rc = catena_err_set(err, CATENA_ERR_CRYPTO, "issuer notAfter");
            goto out;
        }
        issuer_na = (int64_t)timegm(&tm);
        if (issuer_na <= nb) {
            rc = catena_err_set(err, CATENA_ERR_POLICY,
                                "issuer %s has expired", issuer_name);
            goto out;
        }
        if (na > issuer_na) {
            na = issuer_na;
        }
    }

    /* Serial and shard; the CRLDP is the shard's URL so it matches the
     * IDP of the CRL that will list this certificate (lint A33). */
    if ((rc = catena_serial_generate(catena_ca_instance_prefix(ca), serial,
                                     &serial_len)) != CATENA_OK) {
        catena_err_set(err, rc, "the CSPRNG failed");
        goto out;
    }
    catena_serial_hex(serial, serial_len, row.serial);
    catena_ca_ocsp_url(ca, ocsp_url, sizeof(ocsp_url));
    snprintf(aia_url, sizeof(aia_url), "%s/ca/%s.der",
             catena_ca_base_url(ca), issuer_name);
    crl_url[0] = '\0';
    if (!self_signed) {
        shard = catena_ca_shard_for_serial(
            serial, serial_len, catena_ca_issuer_num_shards(ca, issuer_name));
        if (catena_ca_shard_url(ca, issuer_name, shard, crl_url,
                                sizeof(crl_url)) != CATENA_OK) {
            rc = catena_err_set(err, CATENA_ERR_CONFIG,
                                "cannot make the CRL URL of %s", issuer_name);
            goto out;
        }
    }

    /* Record the serial before anything is signed. The root has no issuer
     * row to refer to yet, so its reservation is an audit record. */
    if (!self_signed) {
        row.issuer_id = catena_ca_issuer_store_id(ca, issuer_name);
        snprintf(row.profile, sizeof(row.profile), "%s", prof->name);
        row.not_before = nb;
        row.not_after = na;
        row.names = joined;
        memcpy(row.spki_sha256, spki_hash, 32);
        row.status = CATENA_CERT_RESERVED;
        row.reason = -1;
        row.shard = shard;
        if (req->replaces != NULL) {
            snprintf(row.replaces, sizeof(row.replaces), "%s", req->replaces);
        }
        row.account_id = req->account_id;
        row.created_at = now;
        if ((rc = catena_store_cert_reserve(store, &row, err)) != CATENA_OK) {
            row.names = NULL;
            goto out;
        }
        row.names = NULL;
    } else if ((rc = audit(store, "reserve", row.serial, issuer_name,
                           prof->name, NULL, spki_hex, NULL, err)) !=
               CATENA_OK) {
        goto out;
    }

    memset(&tp, 0, sizeof(tp));
    tp.profile = prof;
    tp.serial = serial;
    tp.serial_len = serial_len;
    tp.issuer_cert = issuer_cert;
    tp.issuer_key = issuer_key;
    tp.subject = extra != NULL ? extra->subject : NULL;
    tp.subject_key = subject_key;
    tp.subject_spki = spki_x;
    tp.not_before = nb;
    tp.not_after = na;
    tp.dns_names = (const char *const *)names.dns;
    tp.num_dns_names = names.num_dns;
    tp.ips = (const char *const *)names.ips;
    tp.num_ips = names.num_ips;
    tp.emails = (const char *const *)names.emails;
    tp.num_emails = names.num_emails;
    tp.uris = (const char *const *)names.uris;
    tp.num_uris = names.num_uris;
    tp.ca_kind = extra != NULL ? extra->ca_kind : CATENA_CA_KIND_NONE;
    if (strcmp(prof->name, "tls-server") == 0 ||
        strcmp(prof->name, "service-tls") == 0 ||
        strcmp(prof->name, "smime-mailbox") == 0) {
        tp.ocsp_url = ocsp_url;
        tp.ca_issuers_url = aia_url;
        tp.crl_url = crl_url;
    } else if (strcmp(prof->name, "sub-ca") == 0) {
        tp.ca_issuers_url = aia_url;
        tp.crl_url = crl_url;
    }
    rc = catena_tbs_build(&tp, &tbs, &tbs_len, err);
    if (rc == CATENA_OK) {
        rc = catena_signer_sign_cert(catena_ca_signer(ca), issuer_name,
                                     prof->name, tbs, tbs_len, &cert_der,
                                     &cert_der_len, err);
    }
    if (rc != CATENA_OK) {
        if (rc == CATENA_ERR_SIGNER || !is_refusal(rc)) {
            /* We do not know whether the signer signed: the row stays
             * RESERVED (never issued) for an operator to see. */
            CATENA_ERROR("serial %s left RESERVED: %s", row.serial,
                         err != NULL ? err->msg : catena_rc_name(rc));
            goto out;
        }
        if (!self_signed) {
            struct catena_err ferr;

            catena_err_clear(&ferr);
            if (catena_store_begin(store, &ferr) != CATENA_OK ||
                catena_store_cert_set_failed(store, row.serial, &ferr) !=
                    CATENA_OK ||
                audit(store, "refuse", row.serial, issuer_name, prof->name,
                      joined, spki_hex, err != NULL ? err->msg : "refused",
                      &ferr) != CATENA_OK ||
                catena_store_commit(store, &ferr) != CATENA_OK) {
                catena_store_rollback(store);
                CATENA_ERROR("cannot record the refusal of %s: %s",
                             row.serial, ferr.msg);
            }
        } else {
            audit_refusal(store, rc, issuer_name, prof->name, spki_hex, err);
        }
        goto out;
    }
    if ((rc = check_signed(cert_der, cert_der_len, tbs, tbs_len, issuer_key,
                           err)) != CATENA_OK) {
        goto out;
    }

    /* DER and audit record together, or neither. */
    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        goto out;
    }
    if ((!self_signed &&
         (rc = catena_store_cert_set_issued(store, row.serial, cert_der,
                                            cert_der_len, err)) !=
             CATENA_OK) ||
        (rc = audit(store, "issue", row.serial, issuer_name, prof->name,
                    joined, spki_hex, NULL, err)) != CATENA_OK ||
        (rc = catena_store_commit(store, err)) != CATENA_OK) {
        catena_store_rollback(store);
        goto out;
    }

    issued = calloc(1, sizeof(*issued));
    leaf_pem = cert_pem(cert_der, cert_der_len);
    if (issued == NULL || leaf_pem == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    {
        const char *chain = self_signed
                                ? ""
                                : catena_ca_issuer_chain_pem(ca, issuer_name);
        size_t a = strlen(leaf_pem);
        size_t b = chain != NULL ? strlen(chain) : 0;

        issued->chain_pem = malloc(a + b + 1);
        if (issued->chain_pem == NULL) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            goto out;
        }
        memcpy(issued->chain_pem, leaf_pem, a);
        if (b > 0) {
            memcpy(issued->chain_pem + a, chain, b);
        }
        issued->chain_pem[a + b] = '\0';
    }
    memcpy(issued->serial, row.serial, sizeof(issued->serial));
    issued->der = cert_der;
    issued->der_len = cert_der_len;
    cert_der = NULL;
    issued->not_before = nb;
    issued->not_after = na;
    *out = issued;
    issued = NULL;
    rc = CATENA_OK;
out:
    catena_issued_free(issued);
    free(leaf_pem);
    free(cert_der);
    OPENSSL_free(tbs);
    free(joined);
    names_clear(&names);
    EVP_PKEY_free(issuer_key);
    X509_PUBKEY_free(spki_owned);
    X509_REQ_free(csr);
    return rc;
}

enum catena_rc
catena_ca_issue(struct catena_ca *ca, struct catena_store *store,
                const struct catena_issue_req *req,
                struct catena_issued **out, struct catena_err *err)
{
    const struct catena_profile *p = catena_profile_find(req->profile);

    /* CA certificates need a subject only "catena init" decides. */
    if (p != NULL && (p->is_ca || strcmp(p->name, "ocsp-signer") == 0)) {
        *out = NULL;
        return catena_err_set(err, CATENA_ERR_UNSUPPORTED,
                              "profile %s is issued by catena init only",
                              p->name);
    }
    return catena_ca_issue_ex(ca, store, req, NULL, out, err);
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
