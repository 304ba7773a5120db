/*
 * signer.h - internals of the signer: the wire format shared by the client
 * (client.c, in the calling process) and the signer process (main.c,
 * sign.c, sandbox.c). Internal to ca/signer/.
 *
 * A request body is
 *     u8 len | issuer | u8 len | profile | u32 len | payload
 * with names of 1..64 (issuer) and 0..64 (profile) bytes and nothing after
 * the payload. A CRL request's payload is
 *     u8 has_prev | u64 prev | TBSCertList
 * where prev is the cRLNumber of the last CRL stored for the same scope
 * (issuer and shard), has_prev 0 (and prev 0) when there was none. A
 * response (type CATENA_SIGNER_RESP, same request id) is
 *     u8 0 | DER                          on success, or
 *     u8 1 | u32 rc | u16 len | message   on refusal.
 * The signer's first frame is a response with id 0: success (empty DER)
 * once its keys are loaded and the sandbox is up, or why it cannot start.
 */
#ifndef CATENA_SIGNER_INTERNAL_H
#define CATENA_SIGNER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/ipc.h"
#include "catena/ca.h"
#include "catena/err.h"

#define CATENA_SIGNER_RESP 0x80u
#define CATENA_SIGNER_NAME_MAX 64u
#define CATENA_SIGNER_TBS_MAX (64u * 1024u)
#define CATENA_SIGNER_CRL_MAX (64u * 1024u * 1024u)
#define CATENA_SIGNER_MSG_MAX 480u

/* Frame caps: what the signer accepts, and what the client accepts. */
extern const struct catena_ipc_cap catena_signer_request_caps[];
extern const size_t catena_signer_num_request_caps;
extern const struct catena_ipc_cap catena_signer_response_caps[];
extern const size_t catena_signer_num_response_caps;

/* A decoded request: views into the frame body. */
struct catena_signer_request {
    char issuer[CATENA_SIGNER_NAME_MAX + 1];
    char profile[CATENA_SIGNER_NAME_MAX + 1];
    const uint8_t *payload;
    size_t payload_len;
};

/* catena_signer_request_encode builds a request body (free()). */
enum catena_rc catena_signer_request_encode(const char *issuer,
                                            const char *profile,
                                            const uint8_t *payload,
                                            size_t payload_len,
                                            uint8_t **out, size_t *out_len,
                                            struct catena_err *err) CATENA_WUR;

/* The CRL scope's state in front of a CRL request's TBSCertList. */
#define CATENA_SIGNER_CRL_STATE_LEN 9u

/*
 * catena_signer_crl_request_encode builds the body of a CRL request:
 * |prev_number| is the scope's last stored cRLNumber, or -1 for none.
 */
enum catena_rc catena_signer_crl_request_encode(const char *issuer,
                                                int64_t prev_number,
                                                const uint8_t *tbs,
                                                size_t tbs_len, uint8_t **out,
                                                size_t *out_len,
                                                struct catena_err *err)
    CATENA_WUR;

/*
 * catena_signer_crl_payload_decode splits a CRL request's payload into
 * the previous cRLNumber (-1: none) and the TBSCertList (a view). A
 * has_prev other than 0 or 1, a number above INT64_MAX, or a number with
 * has_prev 0 is malformed.
 */
enum catena_rc catena_signer_crl_payload_decode(const uint8_t *payload,
                                                size_t len,
                                                int64_t *prev_number,
                                                const uint8_t **tbs,
                                                size_t *tbs_len,
                                                struct catena_err *err)
    CATENA_WUR;

/*
 * catena_signer_request_decode parses a request body: names within their
 * caps and printable, no NUL, payload length exact, no trailing bytes.
 */
enum catena_rc catena_signer_request_decode(const uint8_t *body, size_t len,
                                            struct catena_signer_request *out,
                                            struct catena_err *err) CATENA_WUR;

/* catena_signer_response_encode builds a response body (free()): DER when
 * |rc| is CATENA_OK, else |rc| and |msg|. */
enum catena_rc catena_signer_response_encode(enum catena_rc rc,
                                             const char *msg,
                                             const uint8_t *der,
                                             size_t der_len, uint8_t **out,
                                             size_t *out_len,
                                             struct catena_err *err) CATENA_WUR;

/*
 * catena_signer_response_decode parses a response body. A refusal comes
 * back as its rc with the message in |err|; success sets |*der| (a view
 * into |body|) and |*der_len|.
 */
enum catena_rc catena_signer_response_decode(const uint8_t *body, size_t len,
                                             const uint8_t **der,
                                             size_t *der_len,
                                             struct catena_err *err) CATENA_WUR;

/* ---- the signer process ------------------------------------------------ */

struct catena_signer_keys;
struct catena_config;

/*
 * catena_signer_keys_load opens every issuer's key (and OCSP key) named by
 * |cfg|, loads the certificates that exist, and checks each key matches its
 * certificate. Only the signer process calls this.
 */
enum catena_rc catena_signer_keys_load(const struct catena_config *cfg,
                                       struct catena_signer_keys **out,
                                       struct catena_err *err) CATENA_WUR;
void catena_signer_keys_free(struct catena_signer_keys *keys);

/*
 * catena_signer_handle answers one request of |type|: checks what it is
 * asked to sign, lints it, signs, assembles and verifies. On success
 * |*der| (malloc'd) is the signed object.
 */
enum catena_rc catena_signer_handle(const struct catena_signer_keys *keys,
                                    enum catena_signer_req type,
                                    const struct catena_signer_request *req,
                                    uint8_t **der, size_t *der_len,
                                    struct catena_err *err) CATENA_WUR;

/*
 * catena_signer_drop_privileges switches to |user| (all or nothing) and
 * sets NO_NEW_PRIVS; catena_signer_sandbox installs the seccomp allowlist
 * (a no-op unless built with CATENA_SANDBOX). Both fail closed.
 */
enum catena_rc catena_signer_drop_privileges(const char *user,
                                             struct catena_err *err) CATENA_WUR;
enum catena_rc catena_signer_sandbox(struct catena_err *err) CATENA_WUR;

#endif
