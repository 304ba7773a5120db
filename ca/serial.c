/*
 * serial.c - certificate serial numbers and their CRL shard.
 *
 * A serial is the content octets of a positive, minimally encoded DER
 * INTEGER: one instance-prefix byte (so that several nodes sharing a store
 * never draw from the same space) followed by 16 CSPRNG bytes, i.e. 128
 * random bits, well over BR 7.1's 64. The prefix is non-zero, so the
 * encoding is minimal; a prefix with the high bit set gets a leading 00 so
 * the INTEGER stays positive (18 octets, still <= 20).
 */
#include <string.h>

#include <openssl/rand.h>

#include "catena/ca.h"

enum catena_rc
catena_serial_generate(uint8_t prefix, uint8_t out[CATENA_SERIAL_MAX_BYTES],
                       size_t *out_len)
{
    size_t off = 0;

    if (out == NULL || out_len == NULL) {
        return CATENA_ERR_INVALID;
    }
    *out_len = 0;
    /* A zero prefix would make the first octet 00 followed by a random
     * byte: not minimal whenever that byte's high bit is clear. */
    if (prefix == 0) {
        return CATENA_ERR_INVALID;
    }
    if (prefix & 0x80u) {
        out[off++] = 0x00;
    }
    out[off++] = prefix;
    if (RAND_bytes(out + off, CATENA_SERIAL_RANDOM_BYTES) != 1) {
        /* Fail closed: never fall back to a weaker source. */
        memset(out, 0, CATENA_SERIAL_MAX_BYTES);
        return CATENA_ERR_CRYPTO;
    }
    *out_len = off + CATENA_SERIAL_RANDOM_BYTES;
    return CATENA_OK;
}

void
catena_serial_hex(const uint8_t *serial, size_t len, char hex[41])
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    if (len > CATENA_SERIAL_MAX_BYTES) {
        len = CATENA_SERIAL_MAX_BYTES;
    }
    for (i = 0; i < len; i++) {
        hex[2 * i] = digits[serial[i] >> 4];
        hex[2 * i + 1] = digits[serial[i] & 0x0f];
    }
    hex[2 * i] = '\0';
}

int
catena_ca_shard_for_serial(const uint8_t *serial, size_t serial_len,
                           int num_shards)
{
    uint32_t v = 0;
    size_t start;

    if (num_shards <= 1 || serial == NULL) {
        return 0;
    }
    start = serial_len > 4 ? serial_len - 4 : 0;
    for (size_t i = start; i < serial_len; i++) {
        v = (v << 8) | serial[i];
    }
    return (int)(v % (uint32_t)num_shards);
}
