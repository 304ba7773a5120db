/* test_b64.c - strict base64url: round trips and every kind of refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static int
dec(const char *s, size_t max, uint8_t **out, size_t *len)
{
    return acme_b64u_decode(s, strlen(s), max, out, len);
}

static void
test_roundtrip(void **state)
{
    (void)state;
    for (size_t n = 0; n < 70; n++) {
        uint8_t buf[70];
        uint8_t *out = NULL;
        size_t ol = 0;
        char *e;
        for (size_t i = 0; i < n; i++) {
            buf[i] = (uint8_t)(i * 37 + 251);
        }
        e = acme_b64u_encode(buf, n);
        assert_non_null(e);
        assert_null(strchr(e, '='));
        assert_null(strchr(e, '+'));
        assert_null(strchr(e, '/'));
        assert_int_equal(dec(e, 100, &out, &ol), CATENA_OK);
        assert_int_equal(ol, n);
        assert_memory_equal(out, buf, n);
        free(out);
        free(e);
    }
}

static void
test_known(void **state)
{
    uint8_t *out = NULL;
    size_t ol = 0;
    (void)state;
    assert_int_equal(dec("-_8", 10, &out, &ol), CATENA_OK);
    assert_int_equal(ol, 2);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    free(out);
    assert_int_equal(dec("", 10, &out, &ol), CATENA_OK);
    assert_int_equal(ol, 0);
    free(out);
}

static void
test_refusals(void **state)
{
    static const char *const bad[] = {
        "QQ==",   /* padding */
        "QQ=",    /* partial padding */
        "+/8",    /* standard alphabet */
        "QU JD",  /* whitespace */
        "QUJD\n", /* newline */
        "Q",      /* one leftover character */
        "QUJDR",  /* 5 = 1 mod 4 */
        "QR",     /* non-canonical: low bits set */
        "QUE",    /* canonical would be QUE with low 2 bits 0: E=4 ok */
        "QUF",    /* F=5: low bits set */
        "QU\x80" "D",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *out = NULL;
        size_t ol = 0;
        enum catena_rc rc = dec(bad[i], 100, &out, &ol);
        if (strcmp(bad[i], "QUE") == 0) {
            assert_int_equal(rc, CATENA_OK);
            free(out);
            continue;
        }
        assert_int_not_equal(rc, CATENA_OK);
        assert_null(out);
    }
}

static void
test_cap(void **state)
{
    uint8_t *out = NULL;
    size_t ol = 0;
    (void)state;
    assert_int_equal(dec("QUJD", 2, &out, &ol), CATENA_ERR_TOO_BIG);
    assert_null(out);
    assert_int_equal(dec("QUJD", 3, &out, &ol), CATENA_OK);
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
