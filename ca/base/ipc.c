/* ipc.c - the frames of ipc.h over a stream socket. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/bytes.h"
#include "base/ipc.h"

static const struct catena_ipc_cap *
find_cap(const struct catena_ipc_cap *caps, size_t num_caps, uint8_t type)
{
    for (size_t i = 0; i < num_caps; i++) {
        if (caps[i].type == type) {
            return &caps[i];
        }
    }
    return NULL;
}

/* check_body applies the caps of |type| to a body length. */
static enum catena_rc
check_body(const struct catena_ipc_cap *caps, size_t num_caps, uint8_t type,
           uint64_t body_len, struct catena_err *err)
{
    const struct catena_ipc_cap *cap = find_cap(caps, num_caps, type);

    if (cap == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "unknown frame type %u", type);
    }
    if (body_len > cap->max_body) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG,
                              "frame type %u: body of %llu bytes is over "
                              "its cap of %u",
                              type, (unsigned long long)body_len,
                              cap->max_body);
    }
    if (body_len < cap->min_body) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "frame type %u: body of %llu bytes is under "
                              "its minimum of %u",
                              type, (unsigned long long)body_len,
                              cap->min_body);
    }
    return CATENA_OK;
}

enum catena_rc
catena_ipc_parse_header(const uint8_t hdr[CATENA_IPC_HEADER_LEN],
                        const struct catena_ipc_cap *caps, size_t num_caps,
                        uint8_t *type, uint32_t *id, size_t *body_len,
                        struct catena_err *err)
{
    struct catena_reader r;
    uint32_t length = 0;
    uint8_t t = 0;
    uint32_t i = 0;
    enum catena_rc rc;

    catena_reader_init(&r, hdr, CATENA_IPC_HEADER_LEN);
    if (!catena_reader_u32(&r, &length) || !catena_reader_u8(&r, &t) ||
        !catena_reader_u32(&r, &i) || !catena_reader_done(&r)) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "header size");
    }
    if (length < CATENA_IPC_MIN_LENGTH) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "frame length %u is below the minimum of %u",
                              length, CATENA_IPC_MIN_LENGTH);
    }
    if ((rc = check_body(caps, num_caps, t, length - CATENA_IPC_MIN_LENGTH,
                         err)) != CATENA_OK) {
        return rc;
    }
    *type = t;
    *id = i;
    *body_len = length - CATENA_IPC_MIN_LENGTH;
    return CATENA_OK;
}

/* make_header writes the header of a frame whose body passed the caps. */
static enum catena_rc
make_header(uint8_t type, uint32_t id, size_t body_len,
            const struct catena_ipc_cap *caps, size_t num_caps,
            uint8_t hdr[CATENA_IPC_HEADER_LEN], struct catena_err *err)
{
    enum catena_rc rc;
    size_t n = 0;

    if ((rc = check_body(caps, num_caps, type, body_len, err)) != CATENA_OK) {
        return rc;
    }
    if (body_len > UINT32_MAX - CATENA_IPC_MIN_LENGTH) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG, "frame too large");
    }
    {
        uint32_t length = (uint32_t)body_len + CATENA_IPC_MIN_LENGTH;
        const uint8_t b[CATENA_IPC_HEADER_LEN] = {
            (uint8_t)(length >> 24), (uint8_t)(length >> 16),
            (uint8_t)(length >> 8),  (uint8_t)length,
            type,
            (uint8_t)(id >> 24),     (uint8_t)(id >> 16),
            (uint8_t)(id >> 8),      (uint8_t)id};

        for (n = 0; n < CATENA_IPC_HEADER_LEN; n++) {
            hdr[n] = b[n];
        }
    }
    return CATENA_OK;
}

enum catena_rc
catena_ipc_encode(uint8_t type, uint32_t id, const uint8_t *body,
                  size_t body_len, const struct catena_ipc_cap *caps,
                  size_t num_caps, uint8_t **out, size_t *out_len,
                  struct catena_err *err)
{
    uint8_t hdr[CATENA_IPC_HEADER_LEN];
    uint8_t *buf;
    enum catena_rc rc;

    *out = NULL;
    *out_len = 0;
    if ((rc = make_header(type, id, body_len, caps, num_caps, hdr, err)) !=
        CATENA_OK) {
        return rc;
    }
    if ((buf = malloc(CATENA_IPC_HEADER_LEN + body_len)) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    memcpy(buf, hdr, CATENA_IPC_HEADER_LEN);
    if (body_len > 0) {
        memcpy(buf + CATENA_IPC_HEADER_LEN, body, body_len);
    }
    *out = buf;
    *out_len = CATENA_IPC_HEADER_LEN + body_len;
    return CATENA_OK;
}

enum catena_rc
catena_ipc_decode(const uint8_t *buf, size_t len,
                  const struct catena_ipc_cap *caps, size_t num_caps,
                  struct catena_ipc_frame *out, struct catena_err *err)
{
    struct catena_reader r;
    const uint8_t *hdr;
    const uint8_t *body;
    size_t body_len = 0;
    enum catena_rc rc;

    memset(out, 0, sizeof(*out));
    catena_reader_init(&r, buf, len);
    if (!catena_reader_bytes(&r, CATENA_IPC_HEADER_LEN, &hdr)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "truncated frame header (%zu bytes)", len);
    }
    if ((rc = catena_ipc_parse_header(hdr, caps, num_caps, &out->type,
                                      &out->id, &body_len, err)) !=
        CATENA_OK) {
        return rc;
    }
    if (!catena_reader_bytes(&r, body_len, &body)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "truncated frame: %zu of %zu body bytes",
                              catena_reader_len(&r), body_len);
    }
    if (!catena_reader_done(&r)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "%zu trailing bytes after the frame",
                              catena_reader_len(&r));
    }
    if ((out->body = malloc(body_len + 1)) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    if (body_len > 0) {
        memcpy(out->body, body, body_len);
    }
    out->body[body_len] = '\0';
    out->body_len = body_len;
    return CATENA_OK;
}

/*
 * read_full reads exactly |len| bytes. Sets |*got| to the bytes read so
 * the caller can tell a clean EOF (0) from a truncated frame.
 */
static enum catena_rc
read_full(int fd, uint8_t *buf, size_t len, int timeout_ms, size_t *got,
          struct catena_err *err)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n;

        if (timeout_ms >= 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int pr = poll(&p, 1, timeout_ms);

            if (pr < 0 && errno == EINTR) {
                continue;
            }
            if (pr < 0) {
                *got = off;
                return catena_err_set_errno(err, CATENA_ERR_IO, "poll");
            }
            if (pr == 0) {
                *got = off;
                return catena_err_set(err, CATENA_ERR_TIMEOUT,
                                      "no answer within %d ms", timeout_ms);
            }
        }
        n = read(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            *got = off;
            return catena_err_set_errno(err, CATENA_ERR_IO, "read");
        }
        if (n == 0) {
            *got = off;
            return CATENA_OK; /* EOF: the caller compares *got with len */
        }
        off += (size_t)n;
    }
    *got = off;
    return CATENA_OK;
}

enum catena_rc
catena_ipc_read(int fd, const struct catena_ipc_cap *caps, size_t num_caps,
                int timeout_ms, struct catena_ipc_frame *out, int *eof,
                struct catena_err *err)
{
    uint8_t hdr[CATENA_IPC_HEADER_LEN];
    uint8_t *body = NULL;
    size_t body_len = 0;
    size_t got = 0;
    enum catena_rc rc;

    memset(out, 0, sizeof(*out));
    if (eof != NULL) {
        *eof = 0;
    }
    if ((rc = read_full(fd, hdr, sizeof(hdr), timeout_ms, &got, err)) !=
        CATENA_OK) {
        return rc;
    }
    if (got == 0) {
        if (eof != NULL) {
            *eof = 1;
        }
        return catena_err_set(err, CATENA_ERR_IO,
                              "the peer closed the connection");
    }
    if (got < sizeof(hdr)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "truncated frame header (%zu bytes then EOF)",
                              got);
    }
    if ((rc = catena_ipc_parse_header(hdr, caps, num_caps, &out->type,
                                      &out->id, &body_len, err)) !=
        CATENA_OK) {
        return rc;
    }
    /* The length passed the caps above, so this allocation is bounded. */
    if ((body = malloc(body_len + 1)) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    if ((rc = read_full(fd, body, body_len, timeout_ms, &got, err)) !=
        CATENA_OK) {
        goto out;
    }
    if (got < body_len) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "truncated frame: %zu of %zu body bytes then EOF",
                            got, body_len);
        goto out;
    }
    body[body_len] = '\0';
    out->body = body;
    out->body_len = body_len;
    body = NULL;
    rc = CATENA_OK;
out:
    if (body != NULL) {
        OPENSSL_cleanse(body, body_len + 1);
        free(body);
    }
    return rc;
}

enum catena_rc
catena_ipc_write(int fd, uint8_t type, uint32_t id, const uint8_t *body,
                 size_t body_len, const struct catena_ipc_cap *caps,
                 size_t num_caps, struct catena_err *err)
{
    uint8_t hdr[CATENA_IPC_HEADER_LEN];
    struct iovec iov[2];
    size_t niov = body_len > 0 ? 2 : 1;
    size_t first = 0;
    enum catena_rc rc;

    if ((rc = make_header(type, id, body_len, caps, num_caps, hdr, err)) !=
        CATENA_OK) {
        return rc;
    }
    iov[0].iov_base = hdr;
    iov[0].iov_len = sizeof(hdr);
    iov[1].iov_base = (void *)(uintptr_t)body;
    iov[1].iov_len = body_len;
    while (first < niov) {
        struct msghdr msg;
        ssize_t n;

        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov[first];
        msg.msg_iovlen = niov - first;
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return catena_err_set_errno(err, CATENA_ERR_IO, "send");
        }
        /* Advance past what was sent; partial writes are normal for
         * large bodies on a stream socket. */
        while (n > 0 && first < niov) {
            if ((size_t)n >= iov[first].iov_len) {
                n -= (ssize_t)iov[first].iov_len;
                iov[first].iov_len = 0;
                first++;
            } else {
                iov[first].iov_base = (uint8_t *)iov[first].iov_base + n;
                iov[first].iov_len -= (size_t)n;
                n = 0;
            }
        }
    }
    return CATENA_OK;
}

void
catena_ipc_frame_free(struct catena_ipc_frame *f)
{
    if (f->body != NULL) {
        OPENSSL_cleanse(f->body, f->body_len + 1);
        free(f->body);
    }
    memset(f, 0, sizeof(*f));
}
