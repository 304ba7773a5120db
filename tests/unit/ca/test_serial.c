/* test_serial.c - serial numbers: positive, minimal, <= 20 octets, unique. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>

#include "catena/ca.h"

/* DER round trip: the content octets of the INTEGER OpenSSL encodes from
 * the value must be exactly our bytes (that is what "minimal" means). */
static void
assert_minimal_positive(const uint8_t *s, size_t len)
{
    BIGNUM *bn = BN_bin2bn(s, (int)len, NULL);
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    unsigned char *der = NULL;
    int der_len = i2d_ASN1_INTEGER(ai, &der);

    assert_true(len >= 1 && len <= CATENA_SERIAL_MAX_BYTES);
    assert_true((s[0] & 0x80) == 0);                  /* positive */
    assert_false(len > 1 && s[0] == 0 && !(s[1] & 0x80)); /* minimal */
    assert_true(der_len > 2);
    assert_int_equal(der[1], len);
    assert_memory_equal(der + 2, s, len);
    OPENSSL_free(der);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
}

static void
test_prefix_low(void **state)
{
    uint8_t s[CATENA_SERIAL_MAX_BYTES];
    size_t len = 0;

    (void)state;
    assert_int_equal(catena_serial_generate(0x01, s, &len), CATENA_OK);
    assert_int_equal(len, 1 + CATENA_SERIAL_RANDOM_BYTES);
    assert_int_equal(s[0], 0x01);
    assert_minimal_positive(s, len);
    assert_int_equal(catena_serial_generate(0x7f, s, &len), CATENA_OK);
    assert_int_equal(s[0], 0x7f);
    assert_minimal_positive(s, len);
}

static void
test_prefix_high_bit(void **state)
{
    uint8_t s[CATENA_SERIAL_MAX_BYTES];
    size_t len = 0;

    (void)state;
    for (unsigned p = 0x80; p <= 0xff; p++) {
        assert_int_equal(catena_serial_generate((uint8_t)p, s, &len),
                         CATENA_OK);
        assert_int_equal(len, 2 + CATENA_SERIAL_RANDOM_BYTES);
        assert_int_equal(s[0], 0x00);
        assert_int_equal(s[1], p);
        assert_minimal_positive(s, len);
    }
}

static void
test_prefix_zero_refused(void **state)
{
    uint8_t s[CATENA_SERIAL_MAX_BYTES];
    size_t len = 99;

    (void)state;
    assert_int_equal(catena_serial_generate(0, s, &len), CATENA_ERR_INVALID);
    assert_int_equal(len, 0);
}

static void
test_hex(void **state)
{
    const uint8_t s[] = {0x00, 0x9a, 0x0f, 0xff};
    char hex[41];

    (void)state;
    catena_serial_hex(s, sizeof(s), hex);
    assert_string_equal(hex, "009a0fff");
}

static void
test_shard(void **state)
{
    const uint8_t s[] = {0x01, 0xaa, 0x00, 0x00, 0x01, 0x05};

    (void)state;
    /* last four bytes 0x00000105 = 261 */
    assert_int_equal(catena_ca_shard_for_serial(s, sizeof(s), 1), 0);
    assert_int_equal(catena_ca_shard_for_serial(s, sizeof(s), 16), 261 % 16);
    assert_int_equal(catena_ca_shard_for_serial(s, sizeof(s), 7), 261 % 7);
    assert_int_equal(catena_ca_shard_for_serial(s + 4, 2, 7), 261 % 7);
}

/* 10^6 draws, no duplicate: an open-addressing hash set of the random
 * parts. 128 random bits make a collision astronomically unlikely, so a
 * duplicate here means the generator is broken (e.g. not reseeded). */
#define DRAWS 1000000u
#define SLOTS (1u << 21)

static void
test_no_duplicates(void **state)
{
    uint8_t (*set)[CATENA_SERIAL_RANDOM_BYTES] =
        calloc(SLOTS, CATENA_SERIAL_RANDOM_BYTES);
    uint8_t *used = calloc(SLOTS, 1);
    uint8_t s[CATENA_SERIAL_MAX_BYTES];
    size_t len;

    (void)state;
    assert_non_null(set);
    assert_non_null(used);
    for (unsigned i = 0; i < DRAWS; i++) {
        uint32_t h;

        assert_int_equal(catena_serial_generate(0x42, s, &len), CATENA_OK);
        memcpy(&h, s + 1, sizeof(h));
        h &= SLOTS - 1;
        while (used[h]) {
            assert_memory_not_equal(set[h], s + 1,
                                    CATENA_SERIAL_RANDOM_BYTES);
            h = (h + 1) & (SLOTS - 1);
        }
        used[h] = 1;
        memcpy(set[h], s + 1, CATENA_SERIAL_RANDOM_BYTES);
    }
    free(set);
    free(used);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_low),
        cmocka_unit_test(test_prefix_high_bit),
        cmocka_unit_test(test_prefix_zero_refused),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_shard),
        cmocka_unit_test(test_no_duplicates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
