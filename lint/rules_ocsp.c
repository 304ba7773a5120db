/*
 * rules_ocsp.c - OCSP responses (RFC 6960; BR 4.9.9, 4.9.10, 7.3): the
 * basic response, responder ID, thisUpdate/nextUpdate window, signature
 * algorithm and the delegated responder certificate.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "internal.h"

#define PASS CATENA_LINT_PASS
#define NA CATENA_LINT_NA
#define NE CATENA_LINT_NE
#define WARN CATENA_LINT_WARN
#define ERR CATENA_LINT_ERROR

enum catena_lint_result
lint_rule_ocsp_parse(const struct lint_in *in, char *detail, size_t len)
{
    /* Reached only once the parse has succeeded (engine.c). */
    (void)in;
    (void)detail;
    (void)len;
    return PASS;
}

/* responder_cert parses the first certificate of the response. */
static int
responder_cert(const struct lint_in *in, struct lint_cert *rc)
{
    struct der it = in->ocsp->certs;
    struct der whole;
    char why[8];

    if (!in->ocsp->certs_encoded || !der_get_whole(&it, DER_SEQUENCE, &whole)) {
        return 0;
    }
    return lint_parse_cert(whole.p, whole.len, 0, rc, why, sizeof(why));
}

/* responder_spki: the key that signs: the ctx signer, the embedded
 * delegated responder, or the CA itself. */
static const struct lint_spki *
responder_spki(const struct lint_in *in, struct lint_cert *rc)
{
    if (in->signer_spki != NULL) {
        return in->signer_spki;
    }
    if (responder_cert(in, rc)) {
        return &rc->spki;
    }
    if (in->issuer != NULL) {
        return &in->issuer->spki;
    }
    return NULL;
}

enum catena_lint_result
lint_rule_o1(const struct lint_in *in, char *d, size_t n)
{
    if (in->is_tbs) {
        return NA;
    }
    if (in->ocsp->status != 0) {
        return lint_detail(d, n, ERR, "responseStatus is %lld, not successful",
                           (long long)in->ocsp->status);
    }
    if (!DER_OID_IS(&in->ocsp->resp_type, lint_oid_ocsp_basic)) {
        return lint_detail(d, n, ERR, "responseType is not id-pkix-ocsp-basic");
    }
    return PASS;
}

/* The remaining rules need a ResponseData. */
#define NEED_TBS(in)                                                           \
    do {                                                                       \
        if ((in)->ocsp->tbs.len == 0) {                                        \
            return NA;                                                         \
        }                                                                      \
    } while (0)

enum catena_lint_result
lint_rule_o2(const struct lint_in *in, char *d, size_t n)
{
    struct lint_cert *rc = malloc(sizeof(*rc));
    const struct lint_spki *k;
    enum catena_lint_result r = PASS;

    NEED_TBS(in);
    if (rc == NULL) {
        return lint_detail(d, n, ERR, "out of memory");
    }
    k = responder_spki(in, rc);
    if (in->ocsp->responder_tag == DER_CTX_C(2)) {
        uint8_t h[SHA_DIGEST_LENGTH];

        if (in->ocsp->responder.len != SHA_DIGEST_LENGTH) {
            r = lint_detail(d, n, ERR, "responderID byKey is not a SHA-1 hash");
        } else if (k == NULL) {
            r = NE;
        } else {
            SHA1(k->key.p, k->key.len, h);
            if (memcmp(h, in->ocsp->responder.p, sizeof(h)) != 0) {
                r = lint_detail(d, n, ERR, "responderID byKey is not the signing key");
            }
        }
    } else {
        const struct der *subj = responder_cert(in, rc) ? &rc->subject
                                 : in->issuer != NULL  ? &in->issuer->subject
                                                       : NULL;

        if (subj == NULL) {
            r = NE;
        } else if (!der_eq(subj, &in->ocsp->responder)) {
            r = lint_detail(d, n, ERR, "responderID byName is not the responder's subject");
        }
    }
    free(rc);
    return r;
}

enum catena_lint_result
lint_rule_o3(const struct lint_in *in, char *d, size_t n)
{
    struct der it = in->ocsp->responses;
    struct lint_ocsp_single s;
    int64_t ref = in->is_tbs ? in->now : in->ocsp->produced_at.t;

    NEED_TBS(in);
    while (lint_ocsp_next_single(&it, &s) == 1) {
        if (s.this_update.t > ref + 60) {
            return lint_detail(d, n, ERR, "thisUpdate is in the future");
        }
        if (!s.has_next_update) {
            return lint_detail(d, n, ERR, "nextUpdate is missing");
        }
        if (s.next_update.t <= s.this_update.t) {
            return lint_detail(d, n, ERR, "nextUpdate not after thisUpdate");
        }
        if (s.next_update.t - s.this_update.t + 1 < 8 * 3600) {
            return lint_detail(d, n, ERR, "validity interval under 8 hours");
        }
        if (s.next_update.t - s.this_update.t + 1 > 10 * 86400) {
            return lint_detail(d, n, ERR, "validity interval over 10 days");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_o4(const struct lint_in *in, char *d, size_t n)
{
    struct lint_cert *rc;
    const struct lint_spki *k;
    enum lint_sig s;
    enum catena_lint_result r = PASS;

    if (in->is_tbs || in->ocsp->sigalg.len == 0) {
        return in->is_tbs ? NA : NA;
    }
    s = lint_sig_classify(&in->ocsp->sigalg);
    if (s == LINT_SIG_UNKNOWN || s == LINT_SIG_WEAK || s == LINT_SIG_LOOSE) {
        return lint_detail(d, n, ERR, "signature algorithm not allowed");
    }
    if ((rc = malloc(sizeof(*rc))) == NULL) {
        return lint_detail(d, n, ERR, "out of memory");
    }
    k = responder_spki(in, rc);
    if (k != NULL && !lint_sig_fits_key(s, k->type)) {
        r = lint_detail(d, n, ERR, "signature algorithm does not fit the %s responder key",
                        lint_key_name(k->type));
    }
    free(rc);
    return r;
}

enum catena_lint_result
lint_rule_o5(const struct lint_in *in, char *d, size_t n)
{
    struct lint_cert *rc = malloc(sizeof(*rc));
    enum catena_lint_result r = PASS;

    if (rc == NULL) {
        return lint_detail(d, n, ERR, "out of memory");
    }
    if (in->is_tbs || !responder_cert(in, rc)) {
        free(rc);
        return NA;
    }
    if (in->issuer != NULL && der_eq(&rc->spki.whole, &in->issuer->spki.whole)) {
        r = NA; /* the CA signs itself */
    } else if (!rc->eku_ocsp) {
        r = lint_detail(d, n, ERR, "responder certificate lacks id-kp-OCSPSigning");
    } else if (rc->nocheck == NULL) {
        r = lint_detail(d, n, ERR, "responder certificate lacks id-pkix-ocsp-nocheck");
    } else if (rc->is_ca) {
        r = lint_detail(d, n, ERR, "responder certificate is a CA");
    } else if (in->issuer != NULL && !der_eq(&rc->issuer, &in->issuer->subject)) {
        r = lint_detail(d, n, ERR, "responder certificate not issued by the CA");
    }
    free(rc);
    return r;
}

enum catena_lint_result
lint_rule_o6(const struct lint_in *in, char *d, size_t n)
{
    static const char sha1[] = "\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00";
    static const char sha1_np[] = "\x30\x07\x06\x05\x2b\x0e\x03\x02\x1a";
    static const char sha256[] = "\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04"
                                 "\x02\x01\x05\x00";
    struct der it = in->ocsp->responses;
    struct lint_ocsp_single s;

    NEED_TBS(in);
    while (lint_ocsp_next_single(&it, &s) == 1) {
        int is1 = (s.hash_alg.len == 11 && memcmp(s.hash_alg.p, sha1, 11) == 0) ||
                  (s.hash_alg.len == 9 && memcmp(s.hash_alg.p, sha1_np, 9) == 0);
        int is256 = s.hash_alg.len == 15 && memcmp(s.hash_alg.p, sha256, 15) == 0;
        uint8_t h[SHA256_DIGEST_LENGTH];
        size_t hl = is1 ? SHA_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;

        if (!is1 && !is256) {
            return lint_detail(d, n, ERR, "CertID hash is not SHA-1 or SHA-256");
        }
        if (s.name_hash.len != hl || s.key_hash.len != hl) {
            return lint_detail(d, n, ERR, "CertID hashes have the wrong length");
        }
        if (in->issuer == NULL) {
            continue;
        }
        if (is1) {
            SHA1(in->issuer->subject.p, in->issuer->subject.len, h);
        } else {
            SHA256(in->issuer->subject.p, in->issuer->subject.len, h);
        }
        if (memcmp(h, s.name_hash.p, hl) != 0) {
            return lint_detail(d, n, ERR, "issuerNameHash is not the CA's");
        }
        if (is1) {
            SHA1(in->issuer->spki.key.p, in->issuer->spki.key.len, h);
        } else {
            SHA256(in->issuer->spki.key.p, in->issuer->spki.key.len, h);
        }
        if (memcmp(h, s.key_hash.p, hl) != 0) {
            return lint_detail(d, n, ERR, "issuerKeyHash is not the CA's");
        }
    }
    return in->issuer == NULL ? NE : PASS;
}

enum catena_lint_result
lint_rule_o7(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_ocsp *o = in->ocsp;
    const struct der *top = in->is_tbs ? &o->tbs : &o->whole;
    char why[96];

    if (!der_strict(top->p, top->len, why, sizeof(why))) {
        return lint_detail(d, n, ERR, "not DER: %s", why);
    }
    if (o->tbs.len == 0) {
        return PASS;
    }
    if (o->version_encoded) {
        return lint_detail(d, n, ERR, "version v1 encoded (DEFAULT)");
    }
    if (!o->produced_at.ok || !o->produced_at.strict ||
        o->produced_at.raw.p[0] != DER_GENERALIZEDTIME) {
        return lint_detail(d, n, ERR, "producedAt is not GeneralizedTime with Z and seconds");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_o8(const struct lint_in *in, char *d, size_t n)
{
    struct der it = in->ocsp->responses;
    struct lint_ocsp_single s;
    int any = 0;

    NEED_TBS(in);
    while (lint_ocsp_next_single(&it, &s) == 1) {
        if (s.status_tag != DER_CTX_C(1)) {
            continue;
        }
        any = 1;
        if (s.has_reason && (s.reason > 10 || s.reason == 7)) {
            return lint_detail(d, n, ERR, "revocationReason %lld is not a CRLReason",
                               (long long)s.reason);
        }
        if (s.has_reason && s.reason == 0) {
            return lint_detail(d, n, ERR, "unspecified must be omitted");
        }
        if (s.revocation_time.t > s.this_update.t) {
            return lint_detail(d, n, ERR, "revocationTime after thisUpdate");
        }
    }
    return any ? PASS : NA;
}

enum catena_lint_result
lint_rule_o9(const struct lint_in *in, char *d, size_t n)
{
    struct lint_cert *rc;
    const struct lint_spki *k;
    enum catena_lint_result r = PASS;

    if (in->is_tbs || in->ocsp->sigalg.len == 0) {
        return NA;
    }
    if ((rc = malloc(sizeof(*rc))) == NULL) {
        return lint_detail(d, n, ERR, "out of memory");
    }
    k = responder_spki(in, rc);
    if (k == NULL) {
        r = NE;
    } else if (lint_verify(&k->whole, &in->ocsp->sigalg, &in->ocsp->tbs,
                           &in->ocsp->sig) != 1) {
        r = lint_detail(d, n, ERR, "signature does not verify");
    }
    free(rc);
    return r;
}
