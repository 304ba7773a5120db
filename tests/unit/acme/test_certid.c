/* test_certid.c - ARI certID parsing (RFC 9773 4.1) and the default window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void
test_rfc_example(void **state)
{
    /* RFC 9773 appendix A: AKI 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:
     * AE:2C:DE:01:C8:D4, serial 00:87:65:43:21. */
    static const uint8_t aki_want[] = {0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
                                       0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0,
                                       0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
    uint8_t aki[64];
    size_t aki_len = 0;
    char serial[41];
    (void)state;
    assert_int_equal(acme_certid_parse("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
                                       aki, &aki_len, serial),
                     CATENA_OK);
    assert_int_equal(aki_len, sizeof(aki_want));
    assert_memory_equal(aki, aki_want, sizeof(aki_want));
    assert_string_equal(serial, "0087654321");
}

static void
test_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        ".",
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ",
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.",
        ".AIdlQyE",
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE",  /* padding */
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE=",  /* padding */
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdl+yE",   /* standard alphabet */
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE.x", /* three parts */
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AAFlQyE",   /* non-minimal 00 01 */
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.gWVDIQ",    /* negative serial */
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AQIDBAUGBwgJCgsMDQ4PEBESExQVFg", /* 22 B */
    };
    char big[400];
    uint8_t aki[64];
    size_t aki_len;
    char serial[41];
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_not_equal(acme_certid_parse(bad[i], aki, &aki_len, serial),
                             CATENA_OK);
    }
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[100] = '.';
    assert_int_not_equal(acme_certid_parse(big, aki, &aki_len, serial),
                         CATENA_OK);
}

static void
test_default_window(void **state)
{
    int64_t s, e;
    (void)state;
    acme_ari_default_window(0, 90 * 86400, &s, &e);
    assert_int_equal(s, 60 * 86400);
    assert_int_equal(e, 69 * 86400);
    assert_true(s > 0 && e > s && e < 90 * 86400);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_example),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_default_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
