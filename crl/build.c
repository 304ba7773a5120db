/*
 * build.c - the TBSCertList of one CRL shard.
 *
 * OpenSSL's X509_CRL has no setter for tbsCertList.signature (the inner
 * AlgorithmIdentifier) short of signing with a private key, which only the
 * signer holds. So the TBSCertList is encoded through a mirror ASN.1
 * template of RFC 5280 5.1 built with OpenSSL's own template macros and
 * item types (X509_ALGOR, X509_NAME, ASN1_TIME, X509_REVOKED,
 * X509_EXTENSION): OpenSSL writes every byte, we only choose the fields.
 * Entries are streamed from the store in one pass for a run of shards and
 * need no sorting, each written by put_entry into the buffer that becomes
 * the shard's TBS: OpenSSL encodes the fields before revokedCertificates
 * (once per run) and the extensions after it (per shard) through two
 * partial templates, and the TBSCertList is laid out around the entries
 * where they lie, its headers written by ASN1_put_object, so a shard's
 * megabytes of entries are never copied.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/store.h"
#include "internal.h"

/* TBSCertList ::= SEQUENCE (RFC 5280 5.1), in two parts: the fields
 * before revokedCertificates, and crlExtensions after it. Each part is
 * encoded as a SEQUENCE whose contents are the TBS's own fields. */
typedef struct {
    ASN1_INTEGER *version;
    X509_ALGOR *signature;
    X509_NAME *issuer;
    ASN1_TIME *this_update;
    ASN1_TIME *next_update;
} CRL_TBS_HEAD;

ASN1_SEQUENCE(CRL_TBS_HEAD) = {
    ASN1_OPT(CRL_TBS_HEAD, version, ASN1_INTEGER),
    ASN1_SIMPLE(CRL_TBS_HEAD, signature, X509_ALGOR),
    ASN1_SIMPLE(CRL_TBS_HEAD, issuer, X509_NAME),
    ASN1_SIMPLE(CRL_TBS_HEAD, this_update, ASN1_TIME),
    ASN1_OPT(CRL_TBS_HEAD, next_update, ASN1_TIME),
} static_ASN1_SEQUENCE_END(CRL_TBS_HEAD)

typedef struct {
    STACK_OF(X509_EXTENSION) *extensions;
} CRL_TBS_TAIL;

ASN1_SEQUENCE(CRL_TBS_TAIL) = {
    ASN1_EXP_SEQUENCE_OF_OPT(CRL_TBS_TAIL, extensions, X509_EXTENSION, 0),
} static_ASN1_SEQUENCE_END(CRL_TBS_TAIL)

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
    struct catena_sig_alg a;
    enum catena_rc rc;

    *out = NULL;
    if ((rc = catena_sig_alg_for_key(pk, &a, err)) != CATENA_OK) {
        return rc;
    }
    *out = X509_ALGOR_new();
    if (*out == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "X509_ALGOR_new");
    }
    if ((rc = catena_sig_alg_set(&a, *out, err)) != CATENA_OK) {
        X509_ALGOR_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Hex digit values plus one; 0 is not a hex digit. A table rather than
 * range tests: random serials made those branches a coin toss, and the
 * decode the hottest loop of a million-entry build. */
static const uint8_t hex_digit[256] = {
    ['0'] = 1,   ['1'] = 2,   ['2'] = 3,   ['3'] = 4,   ['4'] = 5,
    ['5'] = 6,   ['6'] = 7,   ['7'] = 8,   ['8'] = 9,   ['9'] = 10,
    ['a'] = 11,  ['b'] = 12,  ['c'] = 13,  ['d'] = 14,  ['e'] = 15,
    ['f'] = 16,  ['A'] = 11,  ['B'] = 12,  ['C'] = 13,  ['D'] = 14,
    ['E'] = 15,  ['F'] = 16,
};

/* hex_to_bytes decodes the store's lower-case serial hex (<= 20 octets). */
static int
hex_to_bytes(const char *hex, uint8_t out[CATENA_SERIAL_MAX_BYTES],
             size_t *out_len)
{
    size_t n = hex != NULL ? strnlen(hex, 2 * CATENA_SERIAL_MAX_BYTES + 1)
                           : 0;
    unsigned bad = 0;

    if (n == 0 || n % 2 != 0 || n / 2 > CATENA_SERIAL_MAX_BYTES) {
        return -1;
    }
    for (size_t i = 0; i < n; i += 2) {
        unsigned hi = hex_digit[(unsigned char)hex[i]];
        unsigned lo = hex_digit[(unsigned char)hex[i + 1]];

        bad |= (hi == 0) | (lo == 0);
        out[i / 2] = (uint8_t)(((hi - 1) << 4) | ((lo - 1) & 0x0f));
    }
    *out_len = n / 2;
    return bad ? -1 : 0;
}

/* Reason codes a CRL entry can carry (RFC 5280 5.3.1: 0..10). */
#define CRL_REASON_SLOTS 11

/*
 * One pass over the store builds the TBSCertLists of a run of shards.
 * Entries are encoded by OpenSSL straight into one growing buffer from a
 * reused serial and date and per-reason extension lists encoded once, so
 * a million entries cost no per-entry allocation; the buffer then becomes
 * the shard's TBS, with the head (fields before the entries) in the room
 * kept in front of them and the extensions appended.
 */
struct builder {
    const struct catena_ca *ca;
    const struct catena_config *cfg;
    const char *issuer;
    X509 *cert;
    int64_t this_update;
    int64_t next_update;
    const int64_t *numbers; /* CRL number of shard first + i */
    int first;
    int last;
    int cur;                /* shard whose entries are being collected */
    crl_tbs_cb done;
    void *done_arg;
    ASN1_STRING *by_reason[CRL_REASON_SLOTS]; /* encoded entry extensions */
    ASN1_INTEGER *serial;   /* reused for every row */
    ASN1_TIME *date;
    /* What serial and date point into (lent, never owned by OpenSSL),
     * rewritten for every row without an allocation. */
    uint8_t serial_buf[CATENA_SERIAL_MAX_BYTES];
    char date_buf[16];
    unsigned char *head;    /* contents of the encoded CRL_TBS_HEAD */
    size_t head_len;
    size_t room;            /* kept in front of the entries: headers, head */
    uint8_t *buf;           /* room bytes, then entries */
    size_t used;
    size_t cap;
    size_t last_len;        /* the previous shard's TBS and room */
    int64_t count;
    struct catena_err *err;
};

/* Room for one TBS or SEQUENCE OF header (32-bit lengths: 6 bytes), and
 * the most one entry can take (20-octet serial, GeneralizedTime,
 * reasonCode: under 80 bytes). */
#define CRL_SEQ_HEADER_MAX 8
#define CRL_ENTRY_MAX 160

/* reason_exts returns the encoded crlEntryExtensions for |code|, made on
 * first use; *none is set for unspecified (-1), which is expressed by
 * omitting reasonCode (BR 7.2.2). */
static ASN1_STRING *
reason_exts(struct builder *b, int code, int *none)
{
    ASN1_ENUMERATED *e = NULL;
    X509_EXTENSION *ext = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    ASN1_STRING *out = NULL;
    unsigned char *der = NULL;
    int n;

    *none = code < 0 || code >= CRL_REASON_SLOTS;
    if (*none || b->by_reason[code] != NULL) {
        return *none ? NULL : b->by_reason[code];
    }
    if ((e = ASN1_ENUMERATED_new()) != NULL && ASN1_ENUMERATED_set(e, code) &&
        (ext = X509V3_EXT_i2d(NID_crl_reason, 0, e)) != NULL &&
        (exts = sk_X509_EXTENSION_new_null()) != NULL &&
        sk_X509_EXTENSION_push(exts, ext) > 0) {
        ext = NULL;
        if ((n = i2d_X509_EXTENSIONS(exts, &der)) > 0 &&
            (out = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) != NULL &&
            !ASN1_STRING_set(out, der, n)) {
            ASN1_STRING_free(out);
            out = NULL;
        }
    }
    OPENSSL_free(der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_EXTENSION_free(ext);
    ASN1_ENUMERATED_free(e);
    b->by_reason[code] = out;
    return out;
}

static int
reserve(struct builder *b, size_t more)
{
    size_t want = b->used + more;
    uint8_t *n;

    if (want <= b->cap) {
        return 0;
    }
    /* A shard's TBS goes to the signer whole: never past its cap. */
    if (want > CRL_TBS_MAX) {
        return -1;
    }
    want = want < 2 * b->cap ? 2 * b->cap : want;
    if ((n = realloc(b->buf, want)) == NULL) {
        return -1;
    }
    b->buf = n;
    b->cap = want;
    return 0;
}

/* civil_from_days turns days since 1970-01-01 into a proleptic Gregorian
 * date (the inverse of the lint's days_from_civil: whole 400-year eras,
 * then the year of the era counted from March). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468; /* days from 0000-03-01 */
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/*
 * set_time points |tm| at |buf| holding |t| as RFC 5280 requires
 * (UTCTime through 2049, GeneralizedTime after, seconds and Z). Only the
 * characters are written here, by arithmetic: gmtime_r (time zone lock
 * and all) and an allocation per entry were a fifth of an entry's cost;
 * OpenSSL still encodes the TLV. |buf| must outlive the encoding and is
 * detached before |tm| is freed.
 */
static int
set_time(ASN1_TIME *tm, char buf[16], int64_t t)
{
    int64_t days = (t >= 0 ? t : t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    unsigned v[7];
    size_t o = 0;

    civil_from_days(days, &y, &m, &d);
    if (y < 1950 || y > 9999) {
        return -1;
    }
    v[0] = (unsigned)(y / 100);
    v[1] = (unsigned)(y % 100);
    v[2] = m;
    v[3] = d;
    v[4] = (unsigned)(secs / 3600);
    v[5] = (unsigned)(secs / 60 % 60);
    v[6] = (unsigned)(secs % 60);
    for (size_t i = y < 2050 ? 1 : 0; i < 7; i++) {
        buf[o++] = (char)('0' + v[i] / 10);
        buf[o++] = (char)('0' + v[i] % 10);
    }
    buf[o++] = 'Z';
    tm->type = y < 2050 ? V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME;
    tm->data = (unsigned char *)buf;
    tm->length = (int)o;
    return 0;
}

static enum catena_rc finish_shard(struct builder *b);

/*
 * put_entry appends one revokedCertificates entry (RFC 5280 5.1) to the
 * buffer: OpenSSL encodes the serial INTEGER and the date, the reason's
 * extension list was encoded once by i2d_X509_EXTENSIONS, and
 * ASN1_put_object writes the SEQUENCE header around them. A template for
 * the entry cost more than twice as much per entry (it sizes every field
 * before writing it). Returns 0, or -1 if OpenSSL fails.
 */
static int
put_entry(struct builder *b, const ASN1_STRING *exts)
{
    unsigned char body[CRL_ENTRY_MAX];
    unsigned char *q = body;
    unsigned char *out = b->buf + b->used;
    int a;
    int t;
    int len;

    /* A serial of at most 20 octets, a date, a reason's extensions: the
     * entry's header and body stay within CRL_ENTRY_MAX, reserved. */
    if ((exts != NULL && exts->length > CRL_ENTRY_MAX - 64) ||
        (a = i2d_ASN1_INTEGER(b->serial, &q)) <= 0 ||
        (t = i2d_ASN1_TIME(b->date, &q)) <= 0) {
        return -1;
    }
    len = a + t;
    if (exts != NULL) {
        memcpy(q, exts->data, (size_t)exts->length);
        len += exts->length;
    }
    ASN1_put_object(&out, 1, len, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(out, body, (size_t)len);
    b->used = (size_t)(out + len - b->buf);
    return 0;
}

/* add_entry appends one row (shard, serial, revoked_at, reason). */
static int
add_entry(void *vb, const struct catena_row *row)
{
    struct builder *b = vb;
    size_t len = 0;
    size_t skip = 0;
    int64_t shard = catena_row_int(row, 0);
    int none = 0;
    const ASN1_STRING *exts;
    enum catena_rc rc;

    if (shard < b->cur || shard > b->last) {
        return catena_err_set(b->err, CATENA_ERR_STORE,
                              "CRL rows out of shard order");
    }
    while (b->cur < shard) {
        if ((rc = finish_shard(b)) != CATENA_OK) {
            return rc;
        }
    }
    if (hex_to_bytes(catena_row_text(row, 1), b->serial_buf, &len) != 0) {
        return catena_err_set(b->err, CATENA_ERR_STORE,
                              "malformed serial in the store");
    }
    /* The store keeps DER content octets (a leading 00 for positive
     * numbers with the top bit set); ASN1_INTEGER wants the magnitude. */
    while (skip + 1 < len && b->serial_buf[skip] == 0) {
        skip++;
    }
    exts = reason_exts(b, catena_reason_crl_code((int)catena_row_int(row, 3)),
                       &none);
    /* The serial and date are rewritten in place, pointing at the
     * builder's buffers. */
    b->serial->type = V_ASN1_INTEGER;
    b->serial->data = b->serial_buf + skip;
    b->serial->length = (int)(len - skip);
    if ((exts == NULL && !none) || reserve(b, CRL_ENTRY_MAX) != 0 ||
        set_time(b->date, b->date_buf, catena_row_int(row, 2)) != 0 ||
        put_entry(b, exts) != 0) {
        return catena_err_set_openssl(b->err, CATENA_ERR_NOMEM,
                                      "cannot build a CRL entry");
    }
    b->count++;
    return 0;
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

/* contents_of encodes |v| with |it| (a SEQUENCE) and returns the
 * encoding's contents in |*out| (OPENSSL_free the |*mem| it lies in). */
static int
contents_of(const ASN1_VALUE *v, const ASN1_ITEM *it, unsigned char **mem,
            const unsigned char **out, size_t *out_len)
{
    const unsigned char *p;
    long len = 0;
    int tag = 0;
    int cls = 0;
    int n;

    *mem = NULL;
    if ((n = ASN1_item_i2d((ASN1_VALUE *)(uintptr_t)v, mem, it)) <= 0) {
        return -1;
    }
    p = *mem;
    if (ASN1_get_object(&p, &len, &tag, &cls, n) & 0x80 ||
        p + len != *mem + n) {
        return -1;
    }
    *out = p;
    *out_len = (size_t)len;
    return 0;
}

/* encode_head encodes the fields before revokedCertificates, the same for
 * every shard of the run, into b->head. */
static enum catena_rc
encode_head(struct builder *b)
{
    CRL_TBS_HEAD h;
    unsigned char *mem = NULL;
    const unsigned char *c = NULL;
    size_t len = 0;
    enum catena_rc rc;

    memset(&h, 0, sizeof(h));
    if ((rc = sigalg_for_key(X509_get0_pubkey(b->cert), &h.signature,
                             b->err)) != CATENA_OK) {
        return rc;
    }
    h.version = ASN1_INTEGER_new();
    /* RFC 5280 5.1.2.4: the issuer is byte-identical to the CA subject. */
    h.issuer = X509_NAME_dup(X509_get_subject_name(b->cert));
    h.this_update = ASN1_TIME_set(NULL, (time_t)b->this_update);
    h.next_update = ASN1_TIME_set(NULL, (time_t)b->next_update);
    if (h.version == NULL || !ASN1_INTEGER_set(h.version, 1) ||
        h.issuer == NULL || h.this_update == NULL || h.next_update == NULL ||
        contents_of((ASN1_VALUE *)&h, ASN1_ITEM_rptr(CRL_TBS_HEAD), &mem, &c,
                    &len) != 0 ||
        (b->head = malloc(len)) == NULL) {
        rc = catena_err_set_openssl(b->err, CATENA_ERR_NOMEM, "CRL fields");
    } else {
        memcpy(b->head, c, len);
        b->head_len = len;
        /* The TBS and revokedCertificates headers go around the head. */
        b->room = len + 2 * CRL_SEQ_HEADER_MAX;
        rc = CATENA_OK;
    }
    OPENSSL_free(mem);
    ASN1_INTEGER_free(h.version);
    X509_ALGOR_free(h.signature);
    X509_NAME_free(h.issuer);
    ASN1_TIME_free(h.this_update);
    ASN1_TIME_free(h.next_update);
    return rc;
}

/* finish_shard lays shard b->cur's TBSCertList out around its entries in
 * b->buf, hands that buffer to b->done, and moves on to the next shard
 * with the buffer b->done gave back (or a new one). */
static enum catena_rc
finish_shard(struct builder *b)
{
    CRL_TBS_TAIL t;
    unsigned char *mem = NULL;
    const unsigned char *tail = NULL;
    size_t tail_len = 0;
    size_t entries = b->used - b->room;
    size_t rev_hdr = 0;
    size_t body;
    size_t start;
    unsigned char *p;
    struct crl_tbs job;
    enum catena_rc rc;

    memset(&job, 0, sizeof(job));
    if ((t.extensions = sk_X509_EXTENSION_new_null()) == NULL) {
        return catena_err_set_openssl(b->err, CATENA_ERR_NOMEM,
                                      "CRL extensions");
    }
    if ((rc = build_extensions(b->ca, b->cfg, b->cert, b->issuer, b->cur,
                               b->numbers[b->cur - b->first], t.extensions,
                               b->err)) != CATENA_OK) {
        goto out;
    }
    if (contents_of((ASN1_VALUE *)&t, ASN1_ITEM_rptr(CRL_TBS_TAIL), &mem,
                    &tail, &tail_len) != 0 ||
        reserve(b, tail_len) != 0) {
        rc = catena_err_set_openssl(b->err, CATENA_ERR_NOMEM,
                                    "cannot encode the CRL extensions");
        goto out;
    }
    memcpy(b->buf + b->used, tail, tail_len);
    /* RFC 5280 5.1.2.6: no empty revokedCertificates SEQUENCE. */
    if (b->count > 0) {
        rev_hdr = (size_t)ASN1_object_size(1, (int)entries, V_ASN1_SEQUENCE) -
                  entries;
    }
    body = b->head_len + rev_hdr + entries + tail_len;
    start = b->room - rev_hdr - b->head_len -
            ((size_t)ASN1_object_size(1, (int)body, V_ASN1_SEQUENCE) - body);
    if (body > CRL_TBS_MAX || start > b->room) {
        rc = catena_err_set(b->err, CATENA_ERR_TOO_BIG,
                            "shard %d's CRL is too large", b->cur);
        goto out;
    }
    p = b->buf + start;
    ASN1_put_object(&p, 1, (int)body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(p, b->head, b->head_len);
    p += b->head_len;
    if (b->count > 0) {
        ASN1_put_object(&p, 1, (int)entries, V_ASN1_SEQUENCE,
                        V_ASN1_UNIVERSAL);
    }
    job.mem = b->buf;
    job.mem_cap = b->cap;
    job.tbs = b->buf + start;
    job.tbs_len = b->used + tail_len - start;
    job.shard = b->cur;
    job.number = b->numbers[b->cur - b->first];
    job.entries = b->count;
    b->last_len = b->used + tail_len;
    b->buf = NULL;
    b->cap = 0;
    b->used = b->room;
    b->count = 0;
    b->cur++;
    /* done owns job.mem from here, whatever it returns, and may lend a
     * buffer it is done with for the next shard. */
    rc = b->done(b->done_arg, &job, b->err);
    b->buf = job.spare;
    b->cap = job.spare_cap;
    /* A new buffer gets half as much again as the last shard took: pages
     * are only touched as entries are written, and the next shard, a
     * little larger, then needs no realloc (a copy, and faults, of
     * megabytes). */
    if (rc == CATENA_OK && b->buf == NULL &&
        reserve(b, b->last_len < CRL_TBS_MAX / 2 ? b->last_len * 3 / 2
                                                 : CRL_TBS_MAX - b->room) !=
            0) {
        rc = catena_err_set(b->err, CATENA_ERR_NOMEM, "out of memory");
    }
out:
    OPENSSL_free(mem);
    sk_X509_EXTENSION_pop_free(t.extensions, X509_EXTENSION_free);
    return rc;
}

enum catena_rc
crl_build_shards(const struct catena_ca *ca, const struct catena_config *cfg,
                 struct catena_store *store, const char *issuer, int first,
                 int last, int64_t this_update, int64_t next_update,
                 const int64_t *numbers, crl_tbs_cb done, void *done_arg,
                 struct catena_err *err)
{
    /* Ordered by shard, served by the crl_revoked_entries index (over
     * revoked certificates only: "status = 2" must stay literal for it to
     * apply) without a sort. */
    static const char sql[] =
        "SELECT shard, serial, revoked_at, reason FROM certificates "
        "WHERE issuer_id = $1 AND shard >= $2 AND shard <= $3 "
        "AND status = 2 AND not_after >= $4 AND revoked_at <= $5 "
        "ORDER BY shard";
    size_t cert_len = 0;
    const uint8_t *cert_der = catena_ca_issuer_cert(ca, issuer, &cert_len);
    const unsigned char *p = cert_der;
    struct builder b;
    int64_t issuer_id = 0;
    enum catena_rc rc;

    memset(&b, 0, sizeof(b));
    b.ca = ca;
    b.cfg = cfg;
    b.issuer = issuer;
    b.this_update = this_update;
    b.next_update = next_update;
    b.numbers = numbers;
    b.first = first;
    b.last = last;
    b.cur = first;
    b.done = done;
    b.done_arg = done_arg;
    b.err = err;
    if (first < 0 || last < first) {
        rc = catena_err_set(err, CATENA_ERR_INVALID, "no shards to build");
        goto out;
    }
    if (cert_der == NULL ||
        (b.cert = d2i_X509(NULL, &p, (long)cert_len)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND, "no issuer %s",
                            issuer);
        goto out;
    }
    if ((rc = catena_store_issuer_id(store, issuer, &issuer_id, err)) !=
        CATENA_OK || (rc = encode_head(&b)) != CATENA_OK) {
        goto out;
    }
    b.used = b.room;
    b.serial = ASN1_INTEGER_new();
    b.date = ASN1_TIME_new();
    if (b.serial == NULL || b.date == NULL ||
        reserve(&b, 64 * 1024) != 0) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    {
        const struct catena_sql_param params[] = {
            CATENA_SQL_P_INT(issuer_id),
            CATENA_SQL_P_INT(first),
            CATENA_SQL_P_INT(last),
            CATENA_SQL_P_INT(this_update - CRL_EXPIRY_MARGIN),
            CATENA_SQL_P_INT(this_update),
        };

        rc = catena_store_foreach(store, sql, params, 5, add_entry, &b, err);
        if (rc != CATENA_OK) {
            goto out;
        }
    }
    /* The last shard with rows, and any empty ones after it. */
    while (b.cur <= last) {
        if ((rc = finish_shard(&b)) != CATENA_OK) {
            goto out;
        }
    }
    rc = CATENA_OK;
out:
    for (size_t i = 0; i < CRL_REASON_SLOTS; i++) {
        ASN1_STRING_free(b.by_reason[i]);
    }
    /* Detach the builder's buffers before OpenSSL frees the holders. */
    if (b.serial != NULL) {
        b.serial->data = NULL;
        b.serial->length = 0;
    }
    if (b.date != NULL) {
        b.date->data = NULL;
        b.date->length = 0;
    }
    ASN1_INTEGER_free(b.serial);
    ASN1_TIME_free(b.date);
    free(b.buf);
    free(b.head);
    X509_free(b.cert);
    return rc;
}

/* keep_one is crl_build_tbs's sink for its single shard. */
static enum catena_rc
keep_one(void *arg, struct crl_tbs *job, struct catena_err *err)
{
    (void)err;
    *(struct crl_tbs *)arg = *job;
    return CATENA_OK;
}

enum catena_rc
crl_build_tbs(const struct catena_ca *ca, const struct catena_config *cfg,
              struct catena_store *store, const char *issuer, int shard,
              int64_t this_update, int64_t next_update, int64_t number,
              uint8_t **tbs, size_t *tbs_len, int64_t *num_entries,
              struct catena_err *err)
{
    struct crl_tbs job;
    enum catena_rc rc;

    memset(&job, 0, sizeof(job));
    rc = crl_build_shards(ca, cfg, store, issuer, shard, shard, this_update,
                          next_update, &number, keep_one, &job, err);
    if (rc != CATENA_OK) {
        free(job.mem);
        *tbs = NULL;
        *tbs_len = 0;
        *num_entries = 0;
        return rc;
    }
    /* The caller frees the TBS itself: move it to the buffer's start. */
    memmove(job.mem, job.tbs, job.tbs_len);
    *tbs = job.mem;
    *tbs_len = job.tbs_len;
    *num_entries = job.entries;
    return CATENA_OK;
}
