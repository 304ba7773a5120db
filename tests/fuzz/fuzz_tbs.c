/* fuzz_tbs.c - the signer's in-place TBSCertificate outline reader, on the
 * bytes a client sends (the input as a TBS, and the first element of the
 * input when it is a whole Certificate), and the DER wrapper around it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signer/der_span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const struct catena_der_span *s, const uint8_t *d, size_t n)
{
    return s->tlv >= d && s->tlv_len <= n && s->tlv <= d + n - s->tlv_len &&
           s->val >= s->tlv && s->val + s->val_len == s->tlv + s->tlv_len;
}

static void
one(const uint8_t *tbs, size_t len)
{
    struct catena_tbs_cert_view v;
    static const uint8_t alg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                  0xce, 0x3d, 0x04, 0x03, 0x02};
    static const uint8_t sig[72] = {0x30};
    uint8_t *out = NULL;
    size_t out_len = 0;
    const uint8_t *p;
    struct catena_der_span whole;
    struct catena_der_span t;

    if (!catena_tbs_cert_view(tbs, len, &v)) {
        return;
    }
    if (!inside(&v.serial, tbs, len) || !inside(&v.sig_alg, tbs, len) ||
        !inside(&v.issuer, tbs, len) || !inside(&v.not_before, tbs, len) ||
        !inside(&v.not_after, tbs, len) || !inside(&v.subject, tbs, len) ||
        !inside(&v.spki, tbs, len)) {
        abort(); /* a field outside the bytes it was read from */
    }
    if (!catena_der_wrap_signed(tbs, len, alg, sizeof(alg), sig, sizeof(sig),
                                &out, &out_len)) {
        return;
    }
    /* The wrapper's output reads back as one SEQUENCE starting with the
     * exact TBS bytes. */
    p = out;
    if (!catena_der_next(&p, out + out_len, 0x30, &whole) ||
        p != out + out_len) {
        abort();
    }
    p = whole.val;
    if (!catena_der_next(&p, whole.val + whole.val_len, 0x30, &t) ||
        t.tlv_len != len || memcmp(t.tlv, tbs, len) != 0) {
        abort();
    }
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    struct catena_der_span cert;
    struct catena_der_span tbs;

    one(data, size);
    if (catena_der_next(&p, data + size, 0x30, &cert)) {
        p = cert.val;
        if (catena_der_next(&p, cert.val + cert.val_len, 0x30, &tbs)) {
            one(tbs.tlv, tbs.tlv_len);
        }
    }
    return 0;
}
