/*
 * replay.c - runs a fuzz target without libFuzzer: every seed file as is,
 * then a fixed number of deterministic mutations of each (bit flips, byte
 * sets, truncations, deletions, duplications, insertions). Built with the
 * sanitizers, this is the short fuzz run ctest does on every build; the
 * same targets link against libFuzzer with -DCATENA_FUZZ=ON and clang.
 *
 * usage: fuzz_<target>_replay ITERATIONS SEED_FILE...
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (1u << 20)

/* xorshift64*: fixed seed so a failure reproduces exactly. */
static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static size_t
mutate(uint8_t *buf, size_t len, size_t cap, uint64_t *s)
{
    size_t pos = len > 0 ? (size_t)(next_rand(s) % len) : 0;
    size_t n = 1 + (size_t)(next_rand(s) % 16);

    switch (next_rand(s) % 6) {
    case 0: /* flip a bit */
        if (len > 0) {
            buf[pos] ^= (uint8_t)(1u << (next_rand(s) % 8));
        }
        break;
    case 1: /* set a byte to an interesting value */
        if (len > 0) {
            static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80,
                                           0x81, 0x82, 0x84, 0xff};
            buf[pos] = vals[next_rand(s) % sizeof(vals)];
        }
        break;
    case 2: /* truncate */
        len = pos;
        break;
    case 3: /* delete a run */
        if (pos + n > len) {
            n = len - pos;
        }
        memmove(buf + pos, buf + pos + n, len - pos - n);
        len -= n;
        break;
    case 4: /* duplicate a run */
        if (pos + n > len) {
            n = len - pos;
        }
        if (len + n <= cap) {
            memmove(buf + pos + n, buf + pos, len - pos);
            len += n;
        }
        break;
    default: /* insert random bytes */
        if (len + n <= cap) {
            memmove(buf + pos + n, buf + pos, len - pos);
            for (size_t i = 0; i < n; i++) {
                buf[pos + i] = (uint8_t)next_rand(s);
            }
            len += n;
        }
        break;
    }
    return len;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;

    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    buf = malloc(MAX_INPUT);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    *len = fread(buf, 1, MAX_INPUT, f);
    fclose(f);
    return buf;
}

int
main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long iterations;
    uint64_t state = UINT64_C(0x9e3779b97f4a7c15);
    uint8_t *work = malloc(MAX_INPUT);
    unsigned long runs = 0;

    if (argc < 3 || work == NULL) {
        fprintf(stderr, "usage: %s ITERATIONS SEED_FILE...\n", argv[0]);
        return 2;
    }
    errno = 0;
    iterations = strtoul(argv[1], &end, 10);
    if (errno != 0 || *end != '\0') {
        fprintf(stderr, "bad iteration count '%s'\n", argv[1]);
        return 2;
    }
    for (int a = 2; a < argc; a++) {
        size_t seed_len;
        uint8_t *seed = read_file(argv[a], &seed_len);

        if (seed == NULL) {
            return 1;
        }
        LLVMFuzzerTestOneInput(seed, seed_len);
        runs++;
        for (unsigned long i = 0; i < iterations; i++) {
            size_t len = seed_len;
            int rounds = 1 + (int)(next_rand(&state) % 4);

            memcpy(work, seed, seed_len);
            for (int r = 0; r < rounds; r++) {
                len = mutate(work, len, MAX_INPUT, &state);
            }
            LLVMFuzzerTestOneInput(work, len);
            runs++;
        }
        free(seed);
    }
    free(work);
    printf("%s: %lu inputs, no crash\n", argv[0], runs);
    return 0;
}
