/*
 * ipc.h - length-prefixed frames between the core and its helper processes
 * (the signer). A frame is big-endian
 *
 *     u32 length | u8 type | u32 request id | body
 *
 * where length counts type, id and body. Each conversation has a static
 * const table of the frame types it permits with a minimum and maximum body
 * length; anything else (unknown type, length outside the caps, a frame cut
 * short) is an error after which the conversation must end. Internal to the
 * core: include as "base/ipc.h".
 */
#ifndef CATENA_BASE_IPC_H
#define CATENA_BASE_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"

#define CATENA_IPC_HEADER_LEN 9u /* length, type, id */
#define CATENA_IPC_MIN_LENGTH 5u /* type and id, empty body */

struct catena_ipc_cap {
    uint8_t type;
    uint32_t min_body;
    uint32_t max_body;
};

struct catena_ipc_frame {
    uint8_t type;
    uint32_t id;
    uint8_t *body; /* malloc'd, body_len + 1 bytes, NUL after the body */
    size_t body_len;
};

/*
 * catena_ipc_parse_header checks the 9 header bytes against |caps| and
 * returns the type, id and body length. CATENA_ERR_INVALID for an unknown
 * type or a length below the minimum, CATENA_ERR_TOO_BIG over the cap.
 */
enum catena_rc catena_ipc_parse_header(const uint8_t hdr[CATENA_IPC_HEADER_LEN],
                                       const struct catena_ipc_cap *caps,
                                       size_t num_caps, uint8_t *type,
                                       uint32_t *id, size_t *body_len,
                                       struct catena_err *err) CATENA_WUR;

/*
 * catena_ipc_encode writes one frame into a new buffer |*out| (free()).
 * The body must fit the caps of |type|: we never send what the peer would
 * have to refuse.
 */
enum catena_rc catena_ipc_encode(uint8_t type, uint32_t id,
                                 const uint8_t *body, size_t body_len,
                                 const struct catena_ipc_cap *caps,
                                 size_t num_caps, uint8_t **out,
                                 size_t *out_len,
                                 struct catena_err *err) CATENA_WUR;

/*
 * catena_ipc_decode parses exactly one frame from |buf| (trailing bytes are
 * an error). On success |out| holds a copy of the body.
 */
enum catena_rc catena_ipc_decode(const uint8_t *buf, size_t len,
                                 const struct catena_ipc_cap *caps,
                                 size_t num_caps,
                                 struct catena_ipc_frame *out,
                                 struct catena_err *err) CATENA_WUR;

/*
 * catena_ipc_read reads one whole frame from |fd|, retrying on EINTR and
 * short reads. |timeout_ms| bounds each wait for data (-1 = none). A peer
 * that closes the connection before the first byte sets |*eof| (if not
 * NULL) and returns CATENA_ERR_IO; one that closes mid-frame is a truncated
 * frame (CATENA_ERR_INVALID). A body is allocated only after its length
 * passed the caps.
 */
enum catena_rc catena_ipc_read(int fd, const struct catena_ipc_cap *caps,
                               size_t num_caps, int timeout_ms,
                               struct catena_ipc_frame *out, int *eof,
                               struct catena_err *err) CATENA_WUR;

/*
 * catena_ipc_write sends one frame on socket |fd| (MSG_NOSIGNAL: a dead peer
 * is EPIPE, never SIGPIPE), retrying on EINTR and partial writes.
 */
enum catena_rc catena_ipc_write(int fd, uint8_t type, uint32_t id,
                                const uint8_t *body, size_t body_len,
                                const struct catena_ipc_cap *caps,
                                size_t num_caps,
                                struct catena_err *err) CATENA_WUR;

/* catena_ipc_frame_free wipes and frees the body and resets |f|. */
void catena_ipc_frame_free(struct catena_ipc_frame *f);

#endif
