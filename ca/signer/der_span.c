/*
 * der_span.c - the few DER facts the signer needs, read in place. The
 * linter parses and judges every byte of a TBS; the signer only has to
 * find the fields it checks against the issuer (signature algorithm,
 * issuer name, validity, subject key) and to wrap signed bytes. Building
 * an X509 for that (d2i_X509 decodes the subject key through OpenSSL's
 * provider decoders) cost more than the ECDSA signature itself.
 */
#include <stdlib.h>
#include <string.h>

#include "signer/der_span.h"

int
catena_der_next(const uint8_t **p, const uint8_t *end, uint8_t tag,
                struct catena_der_span *out)
{
    const uint8_t *q = *p;
    size_t len;

    if (q >= end || (size_t)(end - q) < 2 || q[0] != tag) {
        return 0;
    }
    out->tlv = q;
    q++;
    if (*q < 0x80) {
        len = *q++;
    } else {
        size_t n = *q++ & 0x7fu;

        /* Indefinite lengths (n == 0) are not DER; four octets are more
         * than any TBS the signer accepts. */
        if (n == 0 || n > 4 || (size_t)(end - q) < n) {
            return 0;
        }
        len = 0;
        while (n-- > 0) {
            len = (len << 8) | *q++;
        }
    }
    if (len > (size_t)(end - q)) {
        return 0;
    }
    out->val = q;
    out->val_len = len;
    out->tlv_len = (size_t)(q - out->tlv) + len;
    *p = q + len;
    return 1;
}

int
catena_tbs_cert_view(const uint8_t *tbs, size_t tbs_len,
                     struct catena_tbs_cert_view *v)
{
    const uint8_t *end = tbs + tbs_len;
    const uint8_t *p = tbs;
    struct catena_der_span whole;
    struct catena_der_span skip;
    struct catena_der_span validity;

    memset(v, 0, sizeof(*v));
    if (!catena_der_next(&p, end, 0x30, &whole) || p != end) {
        return 0;
    }
    p = whole.val;
    end = whole.val + whole.val_len;
    /* version [0] EXPLICIT: optional in the grammar; the lint requires v3 */
    (void)catena_der_next(&p, end, 0xa0, &skip);
    if (!catena_der_next(&p, end, 0x02, &v->serial) ||
        !catena_der_next(&p, end, 0x30, &v->sig_alg) ||
        !catena_der_next(&p, end, 0x30, &v->issuer) ||
        !catena_der_next(&p, end, 0x30, &validity) ||
        !catena_der_next(&p, end, 0x30, &v->subject) ||
        !catena_der_next(&p, end, 0x30, &v->spki)) {
        return 0;
    }
    /* issuerUniqueID [1], subjectUniqueID [2], extensions [3], in order */
    (void)catena_der_next(&p, end, 0x81, &skip);
    (void)catena_der_next(&p, end, 0x82, &skip);
    (void)catena_der_next(&p, end, 0xa3, &skip);
    if (p != end) {
        return 0;
    }
    p = validity.val;
    end = validity.val + validity.val_len;
    if ((!catena_der_next(&p, end, 0x17, &v->not_before) &&
         !catena_der_next(&p, end, 0x18, &v->not_before)) ||
        (!catena_der_next(&p, end, 0x17, &v->not_after) &&
         !catena_der_next(&p, end, 0x18, &v->not_after)) ||
        p != end) {
        return 0;
    }
    return 1;
}

/* put_header writes a DER tag and length at |out| (when not NULL) and
 * returns the header's size. */
static size_t
put_header(uint8_t *out, uint8_t tag, size_t len)
{
    size_t n = 0;
    size_t l = len;
    size_t i;

    while (l > 0) {
        n++;
        l >>= 8;
    }
    if (out != NULL) {
        out[0] = tag;
        if (len < 0x80) {
            out[1] = (uint8_t)len;
        } else {
            out[1] = (uint8_t)(0x80u | n);
            for (i = 0; i < n; i++) {
                out[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
            }
        }
    }
    return len < 0x80 ? 2 : 2 + n;
}

int
catena_der_wrap_signed(const uint8_t *tbs, size_t tbs_len,
                       const uint8_t *alg, size_t alg_len,
                       const uint8_t *sig, size_t sig_len, uint8_t **out,
                       size_t *out_len)
{
    size_t bits_len = 1 + sig_len; /* unused-bits octet, then the bytes */
    size_t bits_hdr = put_header(NULL, 0x03, bits_len);
    size_t body = tbs_len + alg_len + bits_hdr + bits_len;
    size_t hdr = put_header(NULL, 0x30, body);
    uint8_t *d;
    uint8_t *q;

    *out = NULL;
    *out_len = 0;
    if ((d = malloc(hdr + body)) == NULL) {
        return 0;
    }
    q = d + put_header(d, 0x30, body);
    memcpy(q, tbs, tbs_len);
    q += tbs_len;
    memcpy(q, alg, alg_len);
    q += alg_len;
    q += put_header(q, 0x03, bits_len);
    /* A signature is a whole number of octets: no unused bits. */
    *q++ = 0x00;
    memcpy(q, sig, sig_len);
    *out = d;
    *out_len = hdr + body;
    return 1;
}
