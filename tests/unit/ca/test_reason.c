/* test_reason.c - the CRLReason table: both ways, 7 absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "catena/ca.h"

static const struct {
    int code;
    const char *name;
} expected[] = {
    {0, "unspecified"},         {1, "keyCompromise"},
    {2, "cACompromise"},        {3, "affiliationChanged"},
    {4, "superseded"},          {5, "cessationOfOperation"},
    {6, "certificateHold"},     {8, "removeFromCRL"},
    {9, "privilegeWithdrawn"},  {10, "aACompromise"},
};

static void
test_both_ways(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        int code = -99;

        assert_string_equal(catena_reason_name(expected[i].code),
                            expected[i].name);
        assert_int_equal(catena_reason_from_name(expected[i].name, &code),
                         CATENA_OK);
        assert_int_equal(code, expected[i].code);
    }
}

static void
test_seven_and_out_of_range(void **state)
{
    int code = -99;

    (void)state;
    assert_null(catena_reason_name(7));
    assert_null(catena_reason_name(-1));
    assert_null(catena_reason_name(11));
    assert_int_equal(catena_reason_crl_code(7), -1);
    assert_int_equal(catena_reason_from_name("7", &code), CATENA_ERR_INVALID);
    assert_int_equal(catena_reason_allowed("tls-server", 7, NULL), 0);
    assert_int_equal(catena_reason_allowed("sub-ca", 7, NULL), 0);
}

static void
test_unknown_names(void **state)
{
    const char *bad[] = {"", "keycompromise", "KeyCompromise", "unused",
                         "keyCompromise ", "1", "superseded\n"};
    int code = -99;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(catena_reason_from_name(bad[i], &code),
                         CATENA_ERR_INVALID);
    }
    assert_int_equal(catena_reason_from_name(NULL, &code),
                     CATENA_ERR_INVALID);
    assert_int_equal(code, -99);
}

static void
test_crl_code(void **state)
{
    (void)state;
    /* unspecified means "omit the reasonCode extension". */
    assert_int_equal(catena_reason_crl_code(0), -1);
    for (size_t i = 1; i < sizeof(expected) / sizeof(expected[0]); i++) {
        assert_int_equal(catena_reason_crl_code(expected[i].code),
                         expected[i].code);
    }
}

static void
test_allowed(void **state)
{
    const char *why = NULL;
    const int leaf_ok[] = {0, 1, 3, 4, 5, 9};
    const int leaf_bad[] = {2, 6, 8, 10};

    (void)state;
    for (size_t i = 0; i < sizeof(leaf_ok) / sizeof(leaf_ok[0]); i++) {
        assert_int_equal(catena_reason_allowed("tls-server", leaf_ok[i], &why),
                         1);
        assert_int_equal(
            catena_reason_allowed("smime-mailbox", leaf_ok[i], &why), 1);
    }
    for (size_t i = 0; i < sizeof(leaf_bad) / sizeof(leaf_bad[0]); i++) {
        why = NULL;
        assert_int_equal(
            catena_reason_allowed("tls-server", leaf_bad[i], &why), 0);
        assert_non_null(why);
    }
    assert_int_equal(catena_reason_allowed("sub-ca", 2, &why), 1);
    assert_int_equal(catena_reason_allowed("sub-ca", 6, &why), 0);
    assert_int_equal(catena_reason_allowed("no-such-profile", 1, &why), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_ways),
        cmocka_unit_test(test_seven_and_out_of_range),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_crl_code),
        cmocka_unit_test(test_allowed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
