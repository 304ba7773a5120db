/*
 * ocsp.c - the OCSP responder (RFC 6960, RFC 5019 profile).
 *
 * Requests are parsed strictly (DER, no trailing bytes, one CertID as RFC
 * 5019 2.1.1 asks), the issuer is found by its SHA-1 or SHA-256 name and
 * key hashes, the status comes from the store, and the ResponseData is
 * signed by the issuer's delegated OCSP key through the signer. Signed
 * responses are cached per (issuer, hash algorithm, serial) and re-signed
 * before half their validity has passed, and dropped on revocation.
 *
 * A serial that was never issued (absent, RESERVED or FAILED, or issued by
 * another issuer) is answered "unknown", never "good" (BR 4.9.10); we do
 * not use the RFC 6960 2.2 extended "revoked" answer.
 *
 * Like build.c, ResponseData is encoded with a mirror ASN.1 template since
 * OpenSSL only fills responderID and producedAt while signing with a
 * private key, which this process never holds.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

#define OCSP_MAX_ISSUERS 32
#define OCSP_BUCKETS 65536u
/* Beyond this many cached responses new ones are signed per request and
 * not kept, so memory stays bounded whatever serials clients ask for. */
#define OCSP_MAX_CACHED 200000u

/* ResponseData ::= SEQUENCE (RFC 6960 4.2.1). */
typedef struct {
    ASN1_INTEGER *version;
    OCSP_RESPID *responder_id;
    ASN1_GENERALIZEDTIME *produced_at;
    STACK_OF(OCSP_SINGLERESP) *responses;
    STACK_OF(X509_EXTENSION) *extensions;
} OCSP_TBS;

ASN1_SEQUENCE(OCSP_TBS) = {
    ASN1_EXP_OPT(OCSP_TBS, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(OCSP_TBS, responder_id, OCSP_RESPID),
    ASN1_SIMPLE(OCSP_TBS, produced_at, ASN1_GENERALIZEDTIME),
    ASN1_SEQUENCE_OF(OCSP_TBS, responses, OCSP_SINGLERESP),
    ASN1_EXP_SEQUENCE_OF_OPT(OCSP_TBS, extensions, X509_EXTENSION, 1),
} static_ASN1_SEQUENCE_END(OCSP_TBS)

enum { ALG_SHA1, ALG_SHA256, ALG__MAX };

struct ocsp_issuer {
    const char *name; /* borrowed from the CA handle */
    int64_t store_id;
    uint8_t name_hash[ALG__MAX][32];
    uint8_t key_hash[ALG__MAX][32];
    X509 *responder; /* delegated OCSP signing certificate, or NULL */
};

struct cache_entry {
    struct cache_entry *next;
    int issuer;
    int alg;
    char serial[41];
    OCSP_CERTID *cid; /* as asked, to re-sign without a request */
    struct ocsp_answer ans;
};

struct crl_ocsp {
    struct catena_ca *ca;
    int64_t validity;
    struct ocsp_issuer issuers[OCSP_MAX_ISSUERS];
    size_t num_issuers;
    pthread_mutex_t lock; /* guards the cache */
    struct cache_entry **buckets;
    size_t num_cached;
};

static const int alg_len[ALG__MAX] = {20, 32};

static enum catena_rc
load_responder(const char *path, X509 **out, struct catena_err *err)
{
    FILE *f = fopen(path, "r");

    *out = NULL;
    if (f == NULL) {
        return catena_err_set_errno(err, CATENA_ERR_IO, "cannot open %s",
                                    path);
    }
    *out = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (*out == NULL) {
        return catena_err_set_openssl(err, CATENA_ERR_CONFIG,
                                      "%s: not a PEM certificate", path);
    }
    return CATENA_OK;
}

static enum catena_rc
hash_issuer(struct ocsp_issuer *is, X509 *cert, struct catena_err *err)
{
    const EVP_MD *mds[ALG__MAX] = {EVP_sha1(), EVP_sha256()};

    for (int a = 0; a < ALG__MAX; a++) {
        unsigned n1 = 0, n2 = 0;

        /* RFC 6960 4.1.1: hash of the DER issuer name and of the value
         * (excluding tag and length) of the issuer's subjectPublicKey. */
        if (!X509_NAME_digest(X509_get_subject_name(cert), mds[a],
                              is->name_hash[a], &n1) ||
            !X509_pubkey_digest(cert, mds[a], is->key_hash[a], &n2) ||
            n1 != (unsigned)alg_len[a] || n2 != (unsigned)alg_len[a]) {
            return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                          "cannot hash issuer %s", is->name);
        }
    }
    return CATENA_OK;
}

enum catena_rc
crl_ocsp_new(struct catena_ca *ca, const struct catena_config *cfg,
             const struct crl_settings *st, struct crl_ocsp **out,
             struct catena_err *err)
{
    struct crl_ocsp *o = NULL;
    struct catena_store *store = NULL;
    const char *const *names;
    size_t num = 0;
    X509 *cert = NULL;
    enum catena_rc rc;

    *out = NULL;
    o = calloc(1, sizeof(*o));
    if (o == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    o->ca = ca;
    o->validity = st->ocsp_validity;
    if (pthread_mutex_init(&o->lock, NULL) != 0) {
        free(o);
        return catena_err_set(err, CATENA_ERR_INTERNAL, "mutex");
    }
    o->buckets = calloc(OCSP_BUCKETS, sizeof(*o->buckets));
    if (o->buckets == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = catena_store_open(catena_ca_store_url(ca), &store, err)) !=
        CATENA_OK) {
        goto out;
    }
    names = catena_ca_issuer_names(ca, &num);
    for (size_t i = 0; i < num && o->num_issuers < OCSP_MAX_ISSUERS; i++) {
        struct ocsp_issuer *is = &o->issuers[o->num_issuers];
        size_t len = 0;
        const uint8_t *der = catena_ca_issuer_cert(ca, names[i], &len);
        const unsigned char *p = der;
        const char *resp_path = catena_config_get(cfg, "issuer", names[i],
                                                  "ocsp_cert", NULL);

        is->name = names[i];
        cert = der != NULL ? d2i_X509(NULL, &p, (long)len) : NULL;
        if (cert == NULL) {
            rc = catena_err_set_openssl(err, CATENA_ERR_CONFIG,
                                        "issuer %s unreadable", names[i]);
            goto out;
        }
        if ((rc = hash_issuer(is, cert, err)) != CATENA_OK ||
            (rc = catena_store_issuer_id(store, names[i], &is->store_id,
                                         err)) != CATENA_OK) {
            goto out;
        }
        X509_free(cert);
        cert = NULL;
        /* An issuer without a delegated responder is not served:
         * requests about it get "unauthorized". */
        if (resp_path != NULL &&
            (rc = load_responder(resp_path, &is->responder, err)) !=
                CATENA_OK) {
            goto out;
        }
        o->num_issuers++;
    }
    *out = o;
    o = NULL;
    rc = CATENA_OK;
out:
    X509_free(cert);
    catena_store_close(store);
    crl_ocsp_free(o);
    return rc;
}

static void
answer_clear(struct ocsp_answer *a)
{
    free(a->der);
    memset(a, 0, sizeof(*a));
}

void
crl_ocsp_free(struct crl_ocsp *o)
{
    if (o == NULL) {
        return;
    }
    if (o->buckets != NULL) {
        for (size_t b = 0; b < OCSP_BUCKETS; b++) {
            struct cache_entry *e = o->buckets[b];

            while (e != NULL) {
                struct cache_entry *next = e->next;

                answer_clear(&e->ans);
                OCSP_CERTID_free(e->cid);
                free(e);
                e = next;
            }
        }
        free(o->buckets);
    }
    for (size_t i = 0; i < o->num_issuers; i++) {
        X509_free(o->issuers[i].responder);
    }
    pthread_mutex_destroy(&o->lock);
    free(o);
}

/* status_only builds an unsigned OCSPResponse (malformedRequest,
 * unauthorized, internalError, ...). */
static enum catena_rc
status_only(int status, struct ocsp_answer *ans, struct catena_err *err)
{
    OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
    unsigned char *der = NULL;
    int len = resp != NULL ? i2d_OCSP_RESPONSE(resp, &der) : -1;
    enum catena_rc rc = CATENA_OK;

    memset(ans, 0, sizeof(*ans));
    if (len <= 0 || (ans->der = malloc((size_t)len)) == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM, "OCSPResponse");
    } else {
        memcpy(ans->der, der, (size_t)len);
        ans->der_len = (size_t)len;
    }
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    return rc;
}

static size_t
bucket_of(int issuer, int alg, const char *serial)
{
    /* FNV-1a: serials are CSPRNG output, any mixing will do. */
    uint32_t h = 2166136261u ^ (uint32_t)(issuer * 2 + alg);

    for (const char *p = serial; *p != '\0'; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    return h % OCSP_BUCKETS;
}

static int
answer_copy(const struct ocsp_answer *in, struct ocsp_answer *out)
{
    *out = *in;
    out->der = malloc(in->der_len);
    if (out->der == NULL) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    memcpy(out->der, in->der, in->der_len);
    return 0;
}

/* cache_get copies a fresh cached answer into |out|; 1 if found. */
static int
cache_get(struct crl_ocsp *o, int issuer, int alg, const char *serial,
          int64_t now, struct ocsp_answer *out)
{
    size_t b = bucket_of(issuer, alg, serial);
    int found = 0;

    pthread_mutex_lock(&o->lock);
    for (struct cache_entry *e = o->buckets[b]; e != NULL; e = e->next) {
        if (e->issuer == issuer && e->alg == alg &&
            strcmp(e->serial, serial) == 0) {
            /* Stale past half the validity: the caller re-signs. */
            if (now < e->ans.this_update + o->validity / 2 &&
                answer_copy(&e->ans, out) == 0) {
                found = 1;
            }
            break;
        }
    }
    pthread_mutex_unlock(&o->lock);
    return found;
}

static void
cache_put(struct crl_ocsp *o, int issuer, int alg, const char *serial,
          OCSP_CERTID *cid, const struct ocsp_answer *ans)
{
    size_t b = bucket_of(issuer, alg, serial);
    struct cache_entry *e;

    pthread_mutex_lock(&o->lock);
    for (e = o->buckets[b]; e != NULL; e = e->next) {
        if (e->issuer == issuer && e->alg == alg &&
            strcmp(e->serial, serial) == 0) {
            struct ocsp_answer copy;

            if (answer_copy(ans, &copy) == 0) {
                answer_clear(&e->ans);
                e->ans = copy;
            }
            goto out;
        }
    }
    if (o->num_cached >= OCSP_MAX_CACHED) {
        goto out;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL || (e->cid = OCSP_CERTID_dup(cid)) == NULL ||
        answer_copy(ans, &e->ans) != 0) {
        if (e != NULL) {
            OCSP_CERTID_free(e->cid);
        }
        free(e);
        goto out;
    }
    e->issuer = issuer;
    e->alg = alg;
    memcpy(e->serial, serial, strlen(serial) + 1);
    e->next = o->buckets[b];
    o->buckets[b] = e;
    o->num_cached++;
out:
    pthread_mutex_unlock(&o->lock);
}

void
crl_ocsp_invalidate(struct crl_ocsp *o, const char *serial)
{
    if (o == NULL || serial == NULL || strlen(serial) > 40) {
        return;
    }
    for (size_t i = 0; i < o->num_issuers; i++) {
        for (int a = 0; a < ALG__MAX; a++) {
            size_t b = bucket_of((int)i, a, serial);
            struct cache_entry **pp;

            pthread_mutex_lock(&o->lock);
            pp = &o->buckets[b];
            while (*pp != NULL) {
                struct cache_entry *e = *pp;

                if (e->issuer == (int)i && e->alg == a &&
                    strcmp(e->serial, serial) == 0) {
                    *pp = e->next;
                    answer_clear(&e->ans);
                    OCSP_CERTID_free(e->cid);
                    free(e);
                    o->num_cached--;
                } else {
                    pp = &e->next;
                }
            }
            pthread_mutex_unlock(&o->lock);
        }
    }
}

/* serial_hex writes the store's form of an INTEGER: lower-case hex of the
 * DER content octets. Returns -1 for negative or over-long serials, which
 * we never issue. */
static int
serial_hex(const ASN1_INTEGER *serial, char out[41])
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *mag = ASN1_STRING_get0_data(serial);
    int len = ASN1_STRING_length(serial);
    size_t n = 0;

    if (ASN1_STRING_type(serial) != V_ASN1_INTEGER || len < 0 ||
        len > CATENA_SERIAL_MAX_BYTES) {
        return -1;
    }
    while (len > 0 && mag[0] == 0) {
        mag++;
        len--;
    }
    if (len == 0 || (mag[0] & 0x80) != 0) {
        if (len >= CATENA_SERIAL_MAX_BYTES) {
            return -1;
        }
        out[n++] = '0';
        out[n++] = '0';
    }
    for (int i = 0; i < len; i++) {
        out[n++] = digits[mag[i] >> 4];
        out[n++] = digits[mag[i] & 0x0f];
    }
    out[n] = '\0';
    return 0;
}

struct cert_status {
    int status; /* V_OCSP_CERTSTATUS_* */
    int reason; /* OCSP_REVOKED_STATUS_NOSTATUS = omitted */
    int64_t revoked_at;
};

static enum catena_rc
lookup_status(const struct ocsp_issuer *is, struct catena_store *store,
              const char *serial, struct cert_status *out,
              struct catena_err *err)
{
    struct catena_cert_row row;
    enum catena_rc rc;

    memset(&row, 0, sizeof(row));
    out->status = V_OCSP_CERTSTATUS_UNKNOWN;
    out->reason = OCSP_REVOKED_STATUS_NOSTATUS;
    out->revoked_at = 0;
    rc = catena_store_cert_get(store, serial, &row, err);
    if (rc == CATENA_ERR_NOT_FOUND) {
        catena_err_clear(err);
        return CATENA_OK;
    }
    if (rc != CATENA_OK) {
        return rc;
    }
    if (row.issuer_id == is->store_id) {
        if (row.status == CATENA_CERT_ISSUED) {
            out->status = V_OCSP_CERTSTATUS_GOOD;
        } else if (row.status == CATENA_CERT_REVOKED) {
            int code = catena_reason_crl_code(row.reason);

            out->status = V_OCSP_CERTSTATUS_REVOKED;
            out->revoked_at = row.revoked_at;
            out->reason = code >= 0 ? code : OCSP_REVOKED_STATUS_NOSTATUS;
        }
    }
    catena_cert_row_clear(&row);
    return CATENA_OK;
}

/* sign_answer builds ResponseData for one CertID, has the signer sign it
 * with the delegated key, and wraps the result in an OCSPResponse. */
static enum catena_rc
sign_answer(struct crl_ocsp *o, const struct ocsp_issuer *is,
            OCSP_CERTID *cid, const struct cert_status *cs, int64_t now,
            struct ocsp_answer *ans, struct catena_err *err)
{
    OCSP_BASICRESP *scratch = OCSP_BASICRESP_new();
    OCSP_BASICRESP *basic = NULL;
    OCSP_RESPONSE *resp = NULL;
    ASN1_TIME *this_upd = ASN1_TIME_set(NULL, (time_t)now);
    ASN1_TIME *next_upd = ASN1_TIME_set(NULL, (time_t)(now + o->validity));
    ASN1_TIME *rev = NULL;
    OCSP_TBS t;
    unsigned char *tbs = NULL;
    unsigned char *der = NULL;
    uint8_t *signed_der = NULL;
    size_t signed_len = 0;
    const unsigned char *p;
    int len;
    enum catena_rc rc;

    memset(&t, 0, sizeof(t));
    memset(ans, 0, sizeof(*ans));
    if (cs->status == V_OCSP_CERTSTATUS_REVOKED) {
        rev = ASN1_TIME_set(NULL, (time_t)cs->revoked_at);
    }
    t.responder_id = OCSP_RESPID_new();
    t.produced_at = ASN1_GENERALIZEDTIME_set(NULL, (time_t)now);
    t.responses = sk_OCSP_SINGLERESP_new_null();
    if (scratch == NULL || this_upd == NULL || next_upd == NULL ||
        (cs->status == V_OCSP_CERTSTATUS_REVOKED && rev == NULL) ||
        t.responder_id == NULL || t.produced_at == NULL ||
        t.responses == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM, "OCSP fields");
        goto out;
    }
    /* RFC 5019 2.2.3: responderID byKey, the delegated responder's key. */
    if (!OCSP_RESPID_set_by_key(t.responder_id, is->responder) ||
        OCSP_basic_add1_status(scratch, cid, cs->status, cs->reason, rev,
                               this_upd, next_upd) == NULL ||
        sk_OCSP_SINGLERESP_push(t.responses, OCSP_resp_get0(scratch, 0)) <=
            0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot build the SingleResponse");
        goto out;
    }
    len = ASN1_item_i2d((ASN1_VALUE *)&t, &tbs, ASN1_ITEM_rptr(OCSP_TBS));
    if (len <= 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot encode ResponseData");
        goto out;
    }
    rc = catena_signer_sign_ocsp(catena_ca_signer(o->ca), is->name, tbs,
                                 (size_t)len, &signed_der, &signed_len, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    p = signed_der;
    basic = d2i_OCSP_BASICRESP(NULL, &p, (long)signed_len);
    if (basic == NULL || p != signed_der + signed_len ||
        (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
                                     basic)) == NULL ||
        (len = i2d_OCSP_RESPONSE(resp, &der)) <= 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_SIGNER,
                                    "the signer returned no "
                                    "BasicOCSPResponse");
        goto out;
    }
    if ((ans->der = malloc((size_t)len)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(ans->der, der, (size_t)len);
    ans->der_len = (size_t)len;
    ans->successful = 1;
    ans->this_update = now;
    ans->next_update = now + o->validity;
    ans->produced_at = now;
    rc = CATENA_OK;
out:
    /* The SingleResponse belongs to |scratch|. */
    sk_OCSP_SINGLERESP_free(t.responses);
    OCSP_RESPID_free(t.responder_id);
    ASN1_GENERALIZEDTIME_free(t.produced_at);
    OPENSSL_free(tbs);
    OPENSSL_free(der);
    free(signed_der);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(basic);
    OCSP_BASICRESP_free(scratch);
    ASN1_TIME_free(this_upd);
    ASN1_TIME_free(next_upd);
    ASN1_TIME_free(rev);
    return rc;
}

/* find_issuer matches a CertID's hashes; -1 if none, -2 for a hash
 * algorithm we do not support. */
static int
find_issuer(const struct crl_ocsp *o, OCSP_CERTID *cid, int *alg_out)
{
    ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
    ASN1_OBJECT *md = NULL;
    ASN1_INTEGER *serial = NULL;
    int alg;

    if (!OCSP_id_get0_info(&nh, &md, &kh, &serial, cid)) {
        return -1;
    }
    switch (OBJ_obj2nid(md)) {
    case NID_sha1:
        alg = ALG_SHA1;
        break;
    case NID_sha256:
        alg = ALG_SHA256;
        break;
    default:
        return -2;
    }
    *alg_out = alg;
    if (ASN1_STRING_length(nh) != alg_len[alg] ||
        ASN1_STRING_length(kh) != alg_len[alg]) {
        return -1;
    }
    for (size_t i = 0; i < o->num_issuers; i++) {
        if (memcmp(ASN1_STRING_get0_data(nh), o->issuers[i].name_hash[alg],
                   (size_t)alg_len[alg]) == 0 &&
            memcmp(ASN1_STRING_get0_data(kh), o->issuers[i].key_hash[alg],
                   (size_t)alg_len[alg]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* answer_for signs (or takes from the cache) the answer for one CertID. */
static enum catena_rc
answer_for(struct crl_ocsp *o, struct catena_store *store, int idx, int alg,
           OCSP_CERTID *cid, const char *serial, int force,
           struct ocsp_answer *ans, struct catena_err *err)
{
    const struct ocsp_issuer *is = &o->issuers[idx];
    struct cert_status cs;
    int64_t now = (int64_t)time(NULL);
    enum catena_rc rc;

    if (!force && cache_get(o, idx, alg, serial, now, ans)) {
        return CATENA_OK;
    }
    if ((rc = lookup_status(is, store, serial, &cs, err)) != CATENA_OK ||
        (rc = sign_answer(o, is, cid, &cs, now, ans, err)) != CATENA_OK) {
        return rc;
    }
    cache_put(o, idx, alg, serial, cid, ans);
    return CATENA_OK;
}

enum catena_rc
crl_ocsp_respond(struct crl_ocsp *o, struct catena_store *store,
                 const uint8_t *req, size_t req_len, struct ocsp_answer *ans,
                 struct catena_err *err)
{
    const unsigned char *p = req;
    OCSP_REQUEST *r = NULL;
    OCSP_CERTID *cid;
    ASN1_INTEGER *serial = NULL;
    ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
    ASN1_OBJECT *md = NULL;
    char hex[41];
    int idx, alg = 0;
    enum catena_rc rc;

    memset(ans, 0, sizeof(*ans));
    if (req == NULL || req_len == 0 || req_len > OCSP_MAX_REQUEST) {
        return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, ans, err);
    }
    r = d2i_OCSP_REQUEST(NULL, &p, (long)req_len);
    /* One CertID per request (RFC 5019 2.1.1); no trailing bytes. */
    if (r == NULL || p != req + req_len ||
        OCSP_request_onereq_count(r) != 1) {
        ERR_clear_error();
        rc = status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, ans, err);
        goto out;
    }
    cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(r, 0));
    idx = find_issuer(o, cid, &alg);
    if (idx < 0 || o->issuers[idx].responder == NULL ||
        !OCSP_id_get0_info(&nh, &md, &kh, &serial, cid)) {
        rc = status_only(OCSP_RESPONSE_STATUS_UNAUTHORIZED, ans, err);
        goto out;
    }
    if (serial_hex(serial, hex) != 0) {
        /* Not a serial we could have issued; still answered (unknown)
         * with a fixed key so the cache is not polluted. */
        memcpy(hex, "negative", sizeof("negative"));
    }
    rc = answer_for(o, store, idx, alg, cid, hex, 0, ans, err);
    if (rc != CATENA_OK) {
        CATENA_ERROR("OCSP: %s", err != NULL ? err->msg : "");
        rc = status_only(OCSP_RESPONSE_STATUS_INTERNALERROR, ans, err);
    }
out:
    OCSP_REQUEST_free(r);
    return rc;
}

#define REFRESH_BATCH 256

struct stale {
    int issuer;
    int alg;
    char serial[41];
    OCSP_CERTID *cid;
};

void
crl_ocsp_refresh(struct crl_ocsp *o, struct catena_store *store)
{
    struct stale batch[REFRESH_BATCH];
    /* Re-sign a little before half the validity so a response is never
     * served past it while the refresh runs. */
    int64_t margin = o->validity / 8;
    size_t start = 0;

    while (start < OCSP_BUCKETS) {
        size_t n = 0;
        int64_t now = (int64_t)time(NULL);

        pthread_mutex_lock(&o->lock);
        for (; start < OCSP_BUCKETS && n < REFRESH_BATCH; start++) {
            for (struct cache_entry *e = o->buckets[start];
                 e != NULL && n < REFRESH_BATCH; e = e->next) {
                if (now + margin >= e->ans.this_update + o->validity / 2 &&
                    (batch[n].cid = OCSP_CERTID_dup(e->cid)) != NULL) {
                    batch[n].issuer = e->issuer;
                    batch[n].alg = e->alg;
                    memcpy(batch[n].serial, e->serial, sizeof(e->serial));
                    n++;
                }
            }
        }
        pthread_mutex_unlock(&o->lock);
        for (size_t i = 0; i < n; i++) {
            struct ocsp_answer ans;
            struct catena_err err;

            if (answer_for(o, store, batch[i].issuer, batch[i].alg,
                           batch[i].cid, batch[i].serial, 1, &ans,
                           &err) != CATENA_OK) {
                CATENA_WARN("OCSP refresh of %s failed: %s", batch[i].serial,
                            err.msg);
            }
            answer_clear(&ans);
            OCSP_CERTID_free(batch[i].cid);
        }
    }
}
