/*
 * der_span.h - DER elements located in place (no decoding, no copies), for
 * the signer's checks of a TBS against its issuer.
 */
#ifndef CATENA_SIGNER_DER_SPAN_H
#define CATENA_SIGNER_DER_SPAN_H

#include <stddef.h>
#include <stdint.h>

/* One element: its whole TLV and its contents. */
struct catena_der_span {
    const uint8_t *tlv;
    size_t tlv_len;
    const uint8_t *val;
    size_t val_len;
};

/*
 * catena_der_next reads the element at *p (ending before |end|) when its
 * single-octet tag is |tag|, advancing *p past it. Returns 0 (and leaves
 * *p alone) on another tag, a non-DER length form or an overrun.
 */
int catena_der_next(const uint8_t **p, const uint8_t *end, uint8_t tag,
                    struct catena_der_span *out);

/* The TBSCertificate fields the signer checks. */
struct catena_tbs_cert_view {
    struct catena_der_span serial;     /* INTEGER */
    struct catena_der_span sig_alg;    /* AlgorithmIdentifier */
    struct catena_der_span issuer;     /* Name */
    struct catena_der_span not_before; /* UTCTime or GeneralizedTime */
    struct catena_der_span not_after;
    struct catena_der_span subject;    /* Name */
    struct catena_der_span spki;       /* SubjectPublicKeyInfo */
};

/*
 * catena_tbs_cert_view locates the fields of a TBSCertificate (RFC 5280
 * 4.1) that is exactly |tbs_len| bytes. Returns 0 when the outline is not
 * a TBSCertificate's; the contents of each field are the lint's to judge.
 */
int catena_tbs_cert_view(const uint8_t *tbs, size_t tbs_len,
                         struct catena_tbs_cert_view *v);

/*
 * catena_der_wrap_signed writes SEQUENCE { tbs, alg, BIT STRING sig } to a
 * malloc()ed *out: the TBS bytes verbatim. Returns 0 when out of memory.
 */
int catena_der_wrap_signed(const uint8_t *tbs, size_t tbs_len,
                           const uint8_t *alg, size_t alg_len,
                           const uint8_t *sig, size_t sig_len, uint8_t **out,
                           size_t *out_len);

#endif
