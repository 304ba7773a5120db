/*
 * test_dcv_reuse.c - the validation reuse limit (TLS BR 4.2.1, ballot
 * SC-081) on each side of every step of its schedule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"

#define DAY INT64_C(86400)

static void
test_schedule(void **state)
{
    static const struct {
        int64_t at;
        int64_t days;
    } cases[] = {
        {0, 398},
        {INT64_C(1735689600), 398},      /* 2025-01-01 */
        {INT64_C(1773532800) - 1, 398},  /* 2026-03-14 23:59:59 */
        {INT64_C(1773532800), 200},      /* 2026-03-15 */
        {INT64_C(1795478400), 200},      /* 2026-11-24 */
        {INT64_C(1805068800) - 1, 200},  /* 2027-03-14 23:59:59 */
        {INT64_C(1805068800), 100},      /* 2027-03-15 */
        {INT64_C(1868227200) - 1, 100},  /* 2029-03-14 23:59:59 */
        {INT64_C(1868227200), 10},       /* 2029-03-15 */
        {INT64_C(4102444800), 10},       /* 2100-01-01 */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(acme_dcv_reuse_max(cases[i].at), cases[i].days * DAY);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
