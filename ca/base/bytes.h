/*
 * bytes.h - a bounded byte reader and a capped growable writer (after
 * BoringSSL's CBS/CBB and curl's dynbuf). Every read either consumes what
 * it asks for and returns 1, or consumes nothing and returns 0; parsers
 * finish with catena_reader_done so trailing bytes are refused. Internal to
 * the core: include as "base/bytes.h".
 */
#ifndef CATENA_BASE_BYTES_H
#define CATENA_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct catena_reader {
    const uint8_t *data;
    size_t len; /* bytes left */
};

/* catena_reader_init points |r| at |len| bytes of |data| (borrowed). */
void catena_reader_init(struct catena_reader *r, const uint8_t *data,
                        size_t len);

/* catena_reader_len returns the number of unread bytes. */
size_t catena_reader_len(const struct catena_reader *r);

/* Big-endian integers. Return 1 on success, 0 if too few bytes remain. */
int catena_reader_u8(struct catena_reader *r, uint8_t *out);
int catena_reader_u16(struct catena_reader *r, uint16_t *out);
int catena_reader_u32(struct catena_reader *r, uint32_t *out);

/* catena_reader_bytes sets |*out| to the next |len| bytes (borrowed). */
int catena_reader_bytes(struct catena_reader *r, size_t len,
                        const uint8_t **out);

/* catena_reader_sub makes |out| a reader over the next |len| bytes. */
int catena_reader_sub(struct catena_reader *r, size_t len,
                      struct catena_reader *out);

/* catena_reader_u8_prefixed / _u32_prefixed read a length then that many
 * bytes into |out|. */
int catena_reader_u8_prefixed(struct catena_reader *r,
                              struct catena_reader *out);
int catena_reader_u32_prefixed(struct catena_reader *r,
                               struct catena_reader *out);

/* catena_reader_done returns 1 iff nothing is left: "rest must be empty". */
int catena_reader_done(const struct catena_reader *r);

/*
 * The writer grows on the heap up to |toobig| bytes; past it (or on
 * allocation failure) it enters a failed state where every write returns
 * 0, so a caller may check only the last call.
 */
struct catena_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    size_t toobig;
    int failed;
};

/* catena_writer_init prepares an empty writer capped at |toobig| bytes. */
void catena_writer_init(struct catena_writer *w, size_t toobig);

int catena_writer_u8(struct catena_writer *w, uint8_t v);
int catena_writer_u16(struct catena_writer *w, uint16_t v);
int catena_writer_u32(struct catena_writer *w, uint32_t v);
int catena_writer_bytes(struct catena_writer *w, const uint8_t *data,
                        size_t len);

/* catena_writer_put_u32 overwrites 4 bytes at |off| (a length filled in
 * afterwards). Returns 0 if |off| + 4 is past the end. */
int catena_writer_put_u32(struct catena_writer *w, size_t off, uint32_t v);

/*
 * catena_writer_finish hands the buffer to the caller (free with free())
 * and resets |w|. Returns 0, with |*out| NULL, if the writer failed.
 */
int catena_writer_finish(struct catena_writer *w, uint8_t **out,
                         size_t *out_len);

/* catena_writer_cleanup frees the buffer (wiped first: it may hold
 * signatures or TBS data) and resets |w|. */
void catena_writer_cleanup(struct catena_writer *w);

#endif
