/* proto.c - the signer's wire format (see signer.h): caps and bodies. */
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "signer/signer.h"

/* Names and lengths around the payload: 1 + 64 + 1 + 64 + 4 bytes. */
#define REQ_OVERHEAD (2u + 2u * CATENA_SIGNER_NAME_MAX + 4u)
#define REQ_MIN (1u + 1u + 1u + 4u)

const struct catena_ipc_cap catena_signer_request_caps[] = {
    {CATENA_SIGNER_SIGN_CERT, REQ_MIN, REQ_OVERHEAD + CATENA_SIGNER_TBS_MAX},
    {CATENA_SIGNER_SIGN_CRL, REQ_MIN,
     REQ_OVERHEAD + CATENA_SIGNER_CRL_STATE_LEN + CATENA_SIGNER_CRL_MAX},
    {CATENA_SIGNER_SIGN_OCSP, REQ_MIN, REQ_OVERHEAD + CATENA_SIGNER_TBS_MAX},
    {CATENA_SIGNER_SIGN_JWS, REQ_MIN, REQ_OVERHEAD + CATENA_SIGNER_TBS_MAX},
};
const size_t catena_signer_num_request_caps =
    sizeof(catena_signer_request_caps) / sizeof(catena_signer_request_caps[0]);

/* A signed CRL is its TBS plus an algorithm, a signature (RSA-4096: 512
 * bytes) and headers; 64 KiB of slack covers all of it. */
const struct catena_ipc_cap catena_signer_response_caps[] = {
    {CATENA_SIGNER_RESP, 1u, CATENA_SIGNER_CRL_MAX + 64u * 1024u},
};
const size_t catena_signer_num_response_caps =
    sizeof(catena_signer_response_caps) / sizeof(catena_signer_response_caps[0]);

/* name_ok: printable ASCII without spaces, as issuer and profile names are. */
static int
name_ok(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] <= 0x20 || p[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* encode_parts writes a request body whose payload is |pre| then
 * |payload| (|max| bytes at most). */
static enum catena_rc
encode_parts(const char *issuer, const char *profile, const uint8_t *pre,
             size_t pre_len, const uint8_t *payload, size_t payload_len,
             size_t max, uint8_t **out, size_t *out_len,
             struct catena_err *err)
{
    struct catena_writer w;
    size_t ilen = issuer != NULL ? strlen(issuer) : 0;
    size_t plen = profile != NULL ? strlen(profile) : 0;

    *out = NULL;
    *out_len = 0;
    if (ilen == 0 || ilen > CATENA_SIGNER_NAME_MAX ||
        plen > CATENA_SIGNER_NAME_MAX ||
        !name_ok((const uint8_t *)issuer, ilen) ||
        !name_ok((const uint8_t *)profile, plen)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "issuer and profile names must be 1..%u "
                              "printable bytes",
                              CATENA_SIGNER_NAME_MAX);
    }
    if (payload_len > max) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG,
                              "%zu bytes to sign is over the cap", payload_len);
    }
    catena_writer_init(&w, REQ_OVERHEAD + pre_len + payload_len);
    catena_writer_u8(&w, (uint8_t)ilen);
    catena_writer_bytes(&w, (const uint8_t *)issuer, ilen);
    catena_writer_u8(&w, (uint8_t)plen);
    catena_writer_bytes(&w, (const uint8_t *)profile, plen);
    catena_writer_u32(&w, (uint32_t)(pre_len + payload_len));
    catena_writer_bytes(&w, pre, pre_len);
    catena_writer_bytes(&w, payload, payload_len);
    if (!catena_writer_finish(&w, out, out_len)) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    return CATENA_OK;
}

enum catena_rc
catena_signer_request_encode(const char *issuer, const char *profile,
                             const uint8_t *payload, size_t payload_len,
                             uint8_t **out, size_t *out_len,
                             struct catena_err *err)
{
    return encode_parts(issuer, profile, NULL, 0, payload, payload_len,
                        CATENA_SIGNER_CRL_MAX, out, out_len, err);
}

enum catena_rc
catena_signer_crl_request_encode(const char *issuer, int64_t prev_number,
                                 const uint8_t *tbs, size_t tbs_len,
                                 uint8_t **out, size_t *out_len,
                                 struct catena_err *err)
{
    uint8_t state[CATENA_SIGNER_CRL_STATE_LEN];
    uint64_t v = prev_number < 0 ? 0 : (uint64_t)prev_number;

    state[0] = prev_number < 0 ? 0 : 1;
    for (size_t i = 0; i < 8; i++) {
        state[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    }
    return encode_parts(issuer, "", state, sizeof(state), tbs, tbs_len,
                        CATENA_SIGNER_CRL_MAX, out, out_len, err);
}

enum catena_rc
catena_signer_crl_payload_decode(const uint8_t *payload, size_t len,
                                 int64_t *prev_number, const uint8_t **tbs,
                                 size_t *tbs_len, struct catena_err *err)
{
    uint64_t v = 0;

    *prev_number = -1;
    *tbs = NULL;
    *tbs_len = 0;
    if (len < CATENA_SIGNER_CRL_STATE_LEN || payload[0] > 1) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "malformed CRL scope state");
    }
    for (size_t i = 0; i < 8; i++) {
        v = (v << 8) | payload[1 + i];
    }
    if (v > (uint64_t)INT64_MAX || (payload[0] == 0 && v != 0)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "malformed CRL scope state");
    }
    *prev_number = payload[0] == 0 ? -1 : (int64_t)v;
    *tbs = payload + CATENA_SIGNER_CRL_STATE_LEN;
    *tbs_len = len - CATENA_SIGNER_CRL_STATE_LEN;
    return CATENA_OK;
}

enum catena_rc
catena_signer_request_decode(const uint8_t *body, size_t len,
                             struct catena_signer_request *out,
                             struct catena_err *err)
{
    struct catena_reader r;
    struct catena_reader issuer;
    struct catena_reader profile;
    struct catena_reader payload;

    memset(out, 0, sizeof(*out));
    catena_reader_init(&r, body, len);
    if (!catena_reader_u8_prefixed(&r, &issuer) ||
        !catena_reader_u8_prefixed(&r, &profile) ||
        !catena_reader_u32_prefixed(&r, &payload)) {
        return catena_err_set(err, CATENA_ERR_INVALID, "truncated request");
    }
    if (!catena_reader_done(&r)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "%zu trailing bytes after the request",
                              catena_reader_len(&r));
    }
    if (issuer.len == 0 || issuer.len > CATENA_SIGNER_NAME_MAX ||
        profile.len > CATENA_SIGNER_NAME_MAX ||
        !name_ok(issuer.data, issuer.len) ||
        !name_ok(profile.data, profile.len)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "malformed issuer or profile name");
    }
    memcpy(out->issuer, issuer.data, issuer.len);
    out->issuer[issuer.len] = '\0';
    if (profile.len > 0) {
        memcpy(out->profile, profile.data, profile.len);
    }
    out->profile[profile.len] = '\0';
    out->payload = payload.data;
    out->payload_len = payload.len;
    return CATENA_OK;
}

enum catena_rc
catena_signer_response_encode(enum catena_rc rc, const char *msg,
                              const uint8_t *der, size_t der_len,
                              uint8_t **out, size_t *out_len,
                              struct catena_err *err)
{
    struct catena_writer w;

    catena_writer_init(&w, CATENA_SIGNER_CRL_MAX + 64u * 1024u);
    if (rc == CATENA_OK) {
        catena_writer_u8(&w, 0);
        catena_writer_bytes(&w, der, der_len);
    } else {
        size_t mlen = msg != NULL ? strlen(msg) : 0;

        if (mlen > CATENA_SIGNER_MSG_MAX) {
            mlen = CATENA_SIGNER_MSG_MAX;
        }
        catena_writer_u8(&w, 1);
        catena_writer_u32(&w, (uint32_t)rc);
        catena_writer_u16(&w, (uint16_t)mlen);
        catena_writer_bytes(&w, (const uint8_t *)msg, mlen);
    }
    if (!catena_writer_finish(&w, out, out_len)) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG,
                              "response over its cap or out of memory");
    }
    return CATENA_OK;
}

enum catena_rc
catena_signer_response_decode(const uint8_t *body, size_t len,
                              const uint8_t **der, size_t *der_len,
                              struct catena_err *err)
{
    struct catena_reader r;
    uint8_t status = 0;
    uint32_t code = 0;
    uint16_t mlen = 0;
    const uint8_t *msg = NULL;
    char text[CATENA_SIGNER_MSG_MAX + 1];

    *der = NULL;
    *der_len = 0;
    catena_reader_init(&r, body, len);
    if (!catena_reader_u8(&r, &status) || status > 1) {
        return catena_err_set(err, CATENA_ERR_SIGNER,
                              "malformed answer from the signer");
    }
    if (status == 0) {
        *der_len = catena_reader_len(&r);
        return catena_reader_bytes(&r, *der_len, der)
                   ? CATENA_OK
                   : catena_err_set(err, CATENA_ERR_INTERNAL, "reader");
    }
    if (!catena_reader_u32(&r, &code) || !catena_reader_u16(&r, &mlen) ||
        mlen > CATENA_SIGNER_MSG_MAX || !catena_reader_bytes(&r, mlen, &msg) ||
        !catena_reader_done(&r) || code == CATENA_OK ||
        code >= CATENA_RC__MAX) {
        return catena_err_set(err, CATENA_ERR_SIGNER,
                              "malformed refusal from the signer");
    }
    /* The signer is trusted, but its text still goes to logs: escape. */
    for (size_t i = 0; i < mlen; i++) {
        text[i] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? (char)msg[i] : '?';
    }
    text[mlen] = '\0';
    return catena_err_set(err, (enum catena_rc)code, "%s", text);
}
