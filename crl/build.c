/*
 * build.c - the TBSCertList of one CRL shard.
 *
 * OpenSSL's X509_CRL has no setter for tbsCertList.signature (the inner
 * AlgorithmIdentifier) short of signing with a private key, which only the
 * signer holds. So the TBSCertList is encoded through a mirror ASN.1
 * template of RFC 5280 5.1 built with OpenSSL's own template macros and
 * item types (X509_ALGOR, X509_NAME, ASN1_TIME, X509_REVOKED,
 * X509_EXTENSION): OpenSSL writes every byte, we only choose the fields.
 * Entries are streamed from the store and need no sorting.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/store.h"
#include "internal.h"

/* TBSCertList ::= SEQUENCE (RFC 5280 5.1). */
typedef struct {
    ASN1_INTEGER *version;
    X509_ALGOR *signature;
    X509_NAME *issuer;
    ASN1_TIME *this_update;
    ASN1_TIME *next_update;
    STACK_OF(X509_REVOKED) *revoked;
    STACK_OF(X509_EXTENSION) *extensions;
} CRL_TBS;

ASN1_SEQUENCE(CRL_TBS) = {
    ASN1_OPT(CRL_TBS, version, ASN1_INTEGER),
    ASN1_SIMPLE(CRL_TBS, signature, X509_ALGOR),
    ASN1_SIMPLE(CRL_TBS, issuer, X509_NAME),
    ASN1_SIMPLE(CRL_TBS, this_update, ASN1_TIME),
    ASN1_OPT(CRL_TBS, next_update, ASN1_TIME),
    ASN1_SEQUENCE_OF_OPT(CRL_TBS, revoked, X509_REVOKED),
    ASN1_EXP_SEQUENCE_OF_OPT(CRL_TBS, extensions, X509_EXTENSION, 0),
} static_ASN1_SEQUENCE_END(CRL_TBS)

void
crl_shard_clear(struct crl_shard *s)
{
    if (s == NULL) {
        return;
    }
    free(s->der);
    memset(s, 0, sizeof(*s));
}

/* The signature AlgorithmIdentifier follows the issuer's key (BR 7.1.3.2),
 * never the issuer certificate's own signatureAlgorithm. */
static enum catena_rc
sigalg_for_key(EVP_PKEY *pk, X509_ALGOR **out, struct catena_err *err)
{
    char group[64];
    size_t group_len = 0;
    int nid;
    int ptype = V_ASN1_UNDEF;

    *out = NULL;
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_EC:
        if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), &group_len)) {
            return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                          "issuer EC key has no named curve");
        }
        if (strcmp(group, SN_X9_62_prime256v1) == 0) {
            nid = NID_ecdsa_with_SHA256;
        } else if (strcmp(group, SN_secp384r1) == 0) {
            nid = NID_ecdsa_with_SHA384;
        } else {
            return catena_err_set(err, CATENA_ERR_CRYPTO,
                                  "issuer curve %s is not supported", group);
        }
        break;
    case EVP_PKEY_RSA:
        /* RFC 4055: PKCS#1 v1.5 AlgorithmIdentifiers carry NULL. */
        nid = NID_sha256WithRSAEncryption;
        ptype = V_ASN1_NULL;
        break;
    case EVP_PKEY_ED25519:
        nid = NID_ED25519;
        break;
    default:
        return catena_err_set(err, CATENA_ERR_CRYPTO,
                              "issuer key type is not supported");
    }
    *out = X509_ALGOR_new();
    if (*out == NULL ||
        !X509_ALGOR_set0(*out, OBJ_nid2obj(nid), ptype, NULL)) {
        X509_ALGOR_free(*out);
        *out = NULL;
        return catena_err_set_openssl(err, CATENA_ERR_NOMEM,
                                      "X509_ALGOR_set0");
    }
    return CATENA_OK;
}

/* hex_to_bytes decodes the store's lower-case serial hex (<= 20 octets). */
static int
hex_to_bytes(const char *hex, uint8_t out[CATENA_SERIAL_MAX_BYTES],
             size_t *out_len)
{
    size_t n = hex != NULL ? strlen(hex) : 0;

    if (n == 0 || n % 2 != 0 || n / 2 > CATENA_SERIAL_MAX_BYTES) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = hex[i];
        int v;

        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v = c - 'A' + 10;
        } else {
            return -1;
        }
        if (i % 2 == 0) {
            out[i / 2] = (uint8_t)(v << 4);
        } else {
            out[i / 2] |= (uint8_t)v;
        }
    }
    *out_len = n / 2;
    return 0;
}

struct entry_ctx {
    STACK_OF(X509_REVOKED) *revoked;
    ASN1_INTEGER *serial;  /* scratch, copied into each entry */
    ASN1_TIME *when;       /* scratch */
    ASN1_ENUMERATED *code; /* scratch */
    int64_t count;
    struct catena_err *err;
};

/* add_entry turns one row (serial, revoked_at, reason) into an entry. */
static int
add_entry(void *vctx, const struct catena_row *row)
{
    struct entry_ctx *c = vctx;
    uint8_t bytes[CATENA_SERIAL_MAX_BYTES];
    size_t len = 0;
    size_t skip = 0;
    X509_REVOKED *r = NULL;
    int code;

    if (hex_to_bytes(catena_row_text(row, 0), bytes, &len) != 0) {
        return catena_err_set(c->err, CATENA_ERR_STORE,
                              "malformed serial in the store");
    }
    /* The store keeps DER content octets (a leading 00 for positive
     * numbers with the top bit set); ASN1_INTEGER wants the magnitude. */
    while (skip + 1 < len && bytes[skip] == 0) {
        skip++;
    }
    code = catena_reason_crl_code((int)catena_row_int(row, 2));
    r = X509_REVOKED_new();
    if (r == NULL || !ASN1_STRING_set(c->serial, bytes + skip,
                                      (int)(len - skip)) ||
        !X509_REVOKED_set_serialNumber(r, c->serial) ||
        ASN1_TIME_set(c->when, (time_t)catena_row_int(row, 1)) == NULL ||
        !X509_REVOKED_set_revocationDate(r, c->when)) {
        goto fail;
    }
    /* unspecified (-1) is expressed by omitting reasonCode (BR 7.2.2). */
    if (code >= 0 && (!ASN1_ENUMERATED_set(c->code, code) ||
                      X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, c->code,
                                                0, 0) != 1)) {
        goto fail;
    }
    if (sk_X509_REVOKED_push(c->revoked, r) <= 0) {
        goto fail;
    }
    c->count++;
    return 0;
fail:
    X509_REVOKED_free(r);
    return catena_err_set_openssl(c->err, CATENA_ERR_NOMEM,
                                  "cannot build a CRL entry");
}

/* Which certificates an issuer's shards list, for the IDP's
 * onlyContainsUserCerts / onlyContainsCACerts (RFC 5280 5.2.5). */
static void
issuer_scope(const struct catena_config *cfg, const char *issuer,
             int *only_user, int *only_ca)
{
    const char *profiles = catena_config_get(cfg, "issuer", issuer,
                                             "profiles", "");
    int ca_profiles = strstr(profiles, "sub-ca") != NULL ||
                      strstr(profiles, "root-ca") != NULL;
    int leaf_profiles = strstr(profiles, "tls-server") != NULL ||
                        strstr(profiles, "smime-mailbox") != NULL ||
                        strstr(profiles, "x509-svid") != NULL ||
                        strstr(profiles, "ocsp-signer") != NULL;

    *only_user = leaf_profiles && !ca_profiles;
    *only_ca = ca_profiles && !leaf_profiles;
}

static int
push_ext(STACK_OF(X509_EXTENSION) *exts, int nid, int crit, void *value)
{
    X509_EXTENSION *ext = X509V3_EXT_i2d(nid, crit, value);

    if (ext == NULL || sk_X509_EXTENSION_push(exts, ext) <= 0) {
        X509_EXTENSION_free(ext);
        return -1;
    }
    return 0;
}

/* build_extensions: AKI (issuer SKI), cRLNumber, and the critical IDP
 * naming this shard's URL as catena_ca_shard_url writes it, so it is
 * byte-identical to the certificates' CRLDP. */
static enum catena_rc
build_extensions(const struct catena_ca *ca, const struct catena_config *cfg,
                 X509 *issuer_cert, const char *issuer, int shard,
                 int64_t number, STACK_OF(X509_EXTENSION) *exts,
                 struct catena_err *err)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer_cert);
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
    GENERAL_NAME *gn = NULL;
    ASN1_IA5STRING *uri = NULL;
    char url[1024];
    int only_user = 0, only_ca = 0;
    enum catena_rc rc;

    if (ski == NULL) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "issuer %s has no subjectKeyIdentifier", issuer);
        goto out;
    }
    if (catena_ca_shard_url(ca, issuer, shard, url, sizeof(url)) !=
        CATENA_OK) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "no URL for shard %d of %s", shard, issuer);
        goto out;
    }
    if (akid == NULL || num == NULL || idp == NULL ||
        (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
        !ASN1_INTEGER_set_int64(num, number)) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM, "CRL extensions");
        goto out;
    }
    idp->distpoint = DIST_POINT_NAME_new();
    gn = GENERAL_NAME_new();
    uri = ASN1_IA5STRING_new();
    if (idp->distpoint == NULL || gn == NULL || uri == NULL ||
        !ASN1_STRING_set(uri, url, (int)strlen(url))) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM, "IDP");
        goto out;
    }
    GENERAL_NAME_set0_value(gn, GEN_URI, uri);
    uri = NULL;
    idp->distpoint->type = 0; /* fullName */
    idp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
    if (idp->distpoint->name.fullname == NULL ||
        sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn) <= 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM, "IDP");
        goto out;
    }
    gn = NULL;
    issuer_scope(cfg, issuer, &only_user, &only_ca);
    /* DER: a FALSE boolean with DEFAULT FALSE is omitted, which OpenSSL's
     * ASN1_FBOOLEAN does for 0. */
    idp->onlyuser = only_user ? 0xff : 0;
    idp->onlyCA = only_ca ? 0xff : 0;
    if (push_ext(exts, NID_authority_key_identifier, 0, akid) != 0 ||
        push_ext(exts, NID_crl_number, 0, num) != 0 ||
        push_ext(exts, NID_issuing_distribution_point, 1, idp) != 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM,
                                    "cannot encode CRL extensions");
        goto out;
    }
    rc = CATENA_OK;
out:
    ASN1_IA5STRING_free(uri);
    GENERAL_NAME_free(gn);
    ISSUING_DIST_POINT_free(idp);
    ASN1_INTEGER_free(num);
    AUTHORITY_KEYID_free(akid);
    return rc;
}

enum catena_rc
crl_build_tbs(const struct catena_ca *ca, const struct catena_config *cfg,
              struct catena_store *store, const char *issuer, int shard,
              int64_t this_update, int64_t next_update, int64_t number,
              uint8_t **tbs, size_t *tbs_len, int64_t *num_entries,
              struct catena_err *err)
{
    static const char sql[] =
        "SELECT serial, revoked_at, reason FROM certificates "
        "WHERE issuer_id = $1 AND shard = $2 AND status = 2 "
        "AND not_after >= $3 AND revoked_at <= $4";
    size_t cert_len = 0;
    const uint8_t *cert_der = catena_ca_issuer_cert(ca, issuer, &cert_len);
    const unsigned char *p = cert_der;
    X509 *cert = NULL;
    CRL_TBS t;
    struct entry_ctx ec;
    int64_t issuer_id = 0;
    unsigned char *der = NULL;
    int len;
    enum catena_rc rc;

    memset(&t, 0, sizeof(t));
    memset(&ec, 0, sizeof(ec));
    *tbs = NULL;
    *tbs_len = 0;
    *num_entries = 0;
    if (cert_der == NULL ||
        (cert = d2i_X509(NULL, &p, (long)cert_len)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND, "no issuer %s",
                            issuer);
        goto out;
    }
    if ((rc = catena_store_issuer_id(store, issuer, &issuer_id, err)) !=
        CATENA_OK) {
        goto out;
    }
    if ((rc = sigalg_for_key(X509_get0_pubkey(cert), &t.signature, err)) !=
        CATENA_OK) {
        goto out;
    }
    t.version = ASN1_INTEGER_new();
    /* RFC 5280 5.1.2.4: the issuer is byte-identical to the CA subject. */
    t.issuer = X509_NAME_dup(X509_get_subject_name(cert));
    t.this_update = ASN1_TIME_set(NULL, (time_t)this_update);
    t.next_update = ASN1_TIME_set(NULL, (time_t)next_update);
    t.extensions = sk_X509_EXTENSION_new_null();
    ec.revoked = sk_X509_REVOKED_new_null();
    ec.serial = ASN1_INTEGER_new();
    ec.when = ASN1_TIME_new();
    ec.code = ASN1_ENUMERATED_new();
    ec.err = err;
    if (t.version == NULL || !ASN1_INTEGER_set(t.version, 1) ||
        t.issuer == NULL || t.this_update == NULL ||
        t.next_update == NULL || t.extensions == NULL ||
        ec.revoked == NULL || ec.serial == NULL || ec.when == NULL ||
        ec.code == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM, "CRL fields");
        goto out;
    }
    if ((rc = build_extensions(ca, cfg, cert, issuer, shard, number,
                               t.extensions, err)) != CATENA_OK) {
        goto out;
    }
    {
        const struct catena_sql_param params[] = {
            CATENA_SQL_P_INT(issuer_id),
            CATENA_SQL_P_INT(shard),
            CATENA_SQL_P_INT(this_update - CRL_EXPIRY_MARGIN),
            CATENA_SQL_P_INT(this_update),
        };

        rc = catena_store_foreach(store, sql, params, 4, add_entry, &ec,
                                  err);
        if (rc != CATENA_OK) {
            goto out;
        }
    }
    /* RFC 5280 5.1.2.6: no empty revokedCertificates SEQUENCE. */
    if (sk_X509_REVOKED_num(ec.revoked) > 0) {
        t.revoked = ec.revoked;
    }
    len = ASN1_item_i2d((ASN1_VALUE *)&t, &der, ASN1_ITEM_rptr(CRL_TBS));
    t.revoked = NULL;
    if (len <= 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot encode the TBSCertList");
        goto out;
    }
    if ((*tbs = malloc((size_t)len)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(*tbs, der, (size_t)len);
    *tbs_len = (size_t)len;
    *num_entries = ec.count;
    rc = CATENA_OK;
out:
    OPENSSL_free(der);
    sk_X509_REVOKED_pop_free(ec.revoked, X509_REVOKED_free);
    ASN1_INTEGER_free(ec.serial);
    ASN1_TIME_free(ec.when);
    ASN1_ENUMERATED_free(ec.code);
    ASN1_INTEGER_free(t.version);
    X509_ALGOR_free(t.signature);
    X509_NAME_free(t.issuer);
    ASN1_TIME_free(t.this_update);
    ASN1_TIME_free(t.next_update);
    sk_X509_EXTENSION_pop_free(t.extensions, X509_EXTENSION_free);
    X509_free(cert);
    return rc;
}
