/* bytes.c - the bounded reader and capped writer of bytes.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/bytes.h"

void
catena_reader_init(struct catena_reader *r, const uint8_t *data, size_t len)
{
    r->data = data;
    r->len = data != NULL ? len : 0;
}

size_t
catena_reader_len(const struct catena_reader *r)
{
    return r->len;
}

int
catena_reader_bytes(struct catena_reader *r, size_t len, const uint8_t **out)
{
    if (r->len < len) {
        return 0;
    }
    *out = r->data;
    r->data += len;
    r->len -= len;
    return 1;
}

/* read_be reads |n| (<= 4) bytes as a big-endian number. */
static int
read_be(struct catena_reader *r, size_t n, uint32_t *out)
{
    const uint8_t *p;
    uint32_t v = 0;

    if (!catena_reader_bytes(r, n, &p)) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    *out = v;
    return 1;
}

int
catena_reader_u8(struct catena_reader *r, uint8_t *out)
{
    uint32_t v;

    if (!read_be(r, 1, &v)) {
        return 0;
    }
    *out = (uint8_t)v;
    return 1;
}

int
catena_reader_u16(struct catena_reader *r, uint16_t *out)
{
    uint32_t v;

    if (!read_be(r, 2, &v)) {
        return 0;
    }
    *out = (uint16_t)v;
    return 1;
}

int
catena_reader_u32(struct catena_reader *r, uint32_t *out)
{
    return read_be(r, 4, out);
}

int
catena_reader_sub(struct catena_reader *r, size_t len,
                  struct catena_reader *out)
{
    const uint8_t *p;

    if (!catena_reader_bytes(r, len, &p)) {
        return 0;
    }
    catena_reader_init(out, p, len);
    return 1;
}

int
catena_reader_u8_prefixed(struct catena_reader *r, struct catena_reader *out)
{
    struct catena_reader copy = *r;
    uint8_t n;

    /* On failure |r| must not move, so work on a copy. */
    if (!catena_reader_u8(&copy, &n) || !catena_reader_sub(&copy, n, out)) {
        return 0;
    }
    *r = copy;
    return 1;
}

int
catena_reader_u32_prefixed(struct catena_reader *r, struct catena_reader *out)
{
    struct catena_reader copy = *r;
    uint32_t n;

    if (!catena_reader_u32(&copy, &n) || !catena_reader_sub(&copy, n, out)) {
        return 0;
    }
    *r = copy;
    return 1;
}

int
catena_reader_done(const struct catena_reader *r)
{
    return r->len == 0;
}

void
catena_writer_init(struct catena_writer *w, size_t toobig)
{
    memset(w, 0, sizeof(*w));
    w->toobig = toobig;
}

/* reserve makes room for |n| more bytes, doubling up to the ceiling. */
static int
reserve(struct catena_writer *w, size_t n)
{
    size_t want;
    size_t cap;
    uint8_t *grown;

    if (w->failed) {
        return 0;
    }
    if (n > w->toobig || w->len > w->toobig - n) {
        w->failed = 1;
        return 0;
    }
    want = w->len + n;
    if (want <= w->cap) {
        return 1;
    }
    cap = w->cap < 64 ? 64 : w->cap;
    while (cap < want) {
        cap = cap > w->toobig / 2 ? w->toobig : cap * 2;
    }
    /* Not realloc: the old buffer may hold secrets and must be wiped. */
    grown = malloc(cap);
    if (grown == NULL) {
        w->failed = 1;
        return 0;
    }
    if (w->len > 0) {
        memcpy(grown, w->buf, w->len);
    }
    if (w->buf != NULL) {
        OPENSSL_cleanse(w->buf, w->cap);
        free(w->buf);
    }
    w->buf = grown;
    w->cap = cap;
    return 1;
}

int
catena_writer_bytes(struct catena_writer *w, const uint8_t *data, size_t len)
{
    if (!reserve(w, len)) {
        return 0;
    }
    if (len > 0) {
        memcpy(w->buf + w->len, data, len);
    }
    w->len += len;
    return 1;
}

static int
write_be(struct catena_writer *w, uint32_t v, size_t n)
{
    uint8_t b[4];

    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
    return catena_writer_bytes(w, b, n);
}

int
catena_writer_u8(struct catena_writer *w, uint8_t v)
{
    return write_be(w, v, 1);
}

int
catena_writer_u16(struct catena_writer *w, uint16_t v)
{
    return write_be(w, v, 2);
}

int
catena_writer_u32(struct catena_writer *w, uint32_t v)
{
    return write_be(w, v, 4);
}

int
catena_writer_put_u32(struct catena_writer *w, size_t off, uint32_t v)
{
    if (w->failed || off > w->len || w->len - off < 4) {
        return 0;
    }
    for (size_t i = 0; i < 4; i++) {
        w->buf[off + i] = (uint8_t)(v >> (8 * (3 - i)));
    }
    return 1;
}

int
catena_writer_finish(struct catena_writer *w, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (w->failed) {
        catena_writer_cleanup(w);
        return 0;
    }
    if (w->buf == NULL && (w->buf = malloc(1)) == NULL) {
        return 0;
    }
    *out = w->buf;
    *out_len = w->len;
    w->buf = NULL;
    catena_writer_cleanup(w);
    return 1;
}

void
catena_writer_cleanup(struct catena_writer *w)
{
    size_t toobig = w->toobig;

    if (w->buf != NULL) {
        OPENSSL_cleanse(w->buf, w->cap);
        free(w->buf);
    }
    memset(w, 0, sizeof(*w));
    w->toobig = toobig;
}
