/* test_validity.c - inclusive validity arithmetic (RFC 5280 4.1.2.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "catena/ca.h"

static void
test_not_after(void **state)
{
    (void)state;
    /* 90 days starting at 1000: last valid second is 1000 + 90d - 1. */
    assert_int_equal(catena_validity_not_after(1000, 90 * 86400),
                     1000 + 90 * 86400 - 1);
    assert_int_equal(catena_validity_not_after(0, 1), 0);
    /* A non-positive lifetime degrades to one second, never negative. */
    assert_int_equal(catena_validity_not_after(50, 0), 50);
    assert_int_equal(catena_validity_not_after(INT64_MAX - 5, 100),
                     INT64_MAX);
}

static void
test_inclusive_length(void **state)
{
    int64_t nb = 1700000000;

    (void)state;
    for (int64_t life = 1; life < 400 * 86400; life += 86399) {
        int64_t na = catena_validity_not_after(nb, life);

        assert_int_equal(catena_validity_inclusive_length(nb, na), life);
    }
    assert_int_equal(catena_validity_inclusive_length(10, 10), 1);
    assert_int_equal(catena_validity_inclusive_length(10, 9), 0);
    /* 398 days + 1 s is over the old BR limit: the classic off-by-one. */
    assert_true(catena_validity_inclusive_length(nb, nb + 398 * 86400) >
                398 * 86400);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_after),
        cmocka_unit_test(test_inclusive_length),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
