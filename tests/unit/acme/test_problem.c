/* test_problem.c - the error -> problem document mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "validate.h"

static void
test_types_and_statuses(void **state)
{
    (void)state;
    assert_string_equal(acme_prob_type(ACME_PROB_BAD_NONCE),
                        "urn:ietf:params:acme:error:badNonce");
    assert_int_equal(acme_prob_status(ACME_PROB_BAD_NONCE), 400);
    assert_int_equal(acme_prob_status(ACME_PROB_UNAUTHORIZED), 403);
    /* RFC 8555 7.3.6: a deactivated account's request is 401, of the same
     * type as the other unauthorized cases (403); a body over the cap is
     * a malformed request with 413. */
    assert_int_equal(acme_prob_status(ACME_PROB_DEACTIVATED), 401);
    assert_int_equal(acme_prob_status(ACME_PROB_TOO_LARGE), 413);
    assert_string_equal(acme_prob_type(ACME_PROB_DEACTIVATED),
                        acme_prob_type(ACME_PROB_UNAUTHORIZED));
    assert_string_equal(acme_prob_type(ACME_PROB_TOO_LARGE),
                        acme_prob_type(ACME_PROB_MALFORMED));
    assert_int_equal(acme_prob_status(ACME_PROB_ORDER_NOT_READY), 403);
    assert_int_equal(acme_prob_status(ACME_PROB_ALREADY_REPLACED), 409);
    assert_string_equal(acme_prob_type(ACME_PROB_ALREADY_REPLACED),
                        "urn:ietf:params:acme:error:alreadyReplaced");
    assert_int_equal(acme_prob_status(ACME_PROB_NOT_FOUND), 404);
    assert_string_equal(acme_prob_type(ACME_PROB_NOT_FOUND),
                        "urn:ietf:params:acme:error:malformed");
    assert_int_equal(acme_prob_status(ACME_PROB_SERVER_INTERNAL), 500);
    assert_int_equal(acme_prob_status(ACME_PROB_RATE_LIMITED), 429);
    /* Out-of-range values fall back to serverInternal, never crash. */
    assert_int_equal(acme_prob_status((enum acme_prob)999), 500);
    for (int p = 0; p < ACME_PROB__MAX; p++) {
        assert_non_null(acme_prob_type((enum acme_prob)p));
        assert_true(strncmp(acme_prob_type((enum acme_prob)p),
                            "urn:ietf:params:acme:error:", 27) == 0);
        assert_true(acme_prob_status((enum acme_prob)p) >= 400);
    }
}

static void
test_rc_mapping(void **state)
{
    (void)state;
    assert_int_equal(acme_prob_from_rc(CATENA_ERR_CAA, ACME_PROB_MALFORMED),
                     ACME_PROB_CAA);
    assert_int_equal(acme_prob_from_rc(CATENA_ERR_DNS, ACME_PROB_MALFORMED),
                     ACME_PROB_DNS);
    assert_int_equal(acme_prob_from_rc(CATENA_ERR_POLICY, ACME_PROB_BAD_CSR),
                     ACME_PROB_BAD_CSR);
    assert_int_equal(acme_prob_from_rc(CATENA_ERR_INVALID, ACME_PROB_MALFORMED),
                     ACME_PROB_MALFORMED);
    assert_int_equal(acme_prob_from_rc(CATENA_ERR_NOT_FOUND,
                                       ACME_PROB_MALFORMED),
                     ACME_PROB_NOT_FOUND);
    assert_int_equal(acme_prob_from_rc(CATENA_ERR_STORE, ACME_PROB_MALFORMED),
                     ACME_PROB_SERVER_INTERNAL);
    assert_int_equal(acme_prob_from_rc(CATENA_ERR_SIGNER, ACME_PROB_MALFORMED),
                     ACME_PROB_SERVER_INTERNAL);
    for (int rc = 0; rc < CATENA_RC__MAX; rc++) {
        assert_non_null(acme_prob_detail_for_rc((enum catena_rc)rc));
    }
}

static void
test_validation_mapping(void **state)
{
    (void)state;
    assert_int_equal(acme_prob_from_validation(ACME_VPROB_CONNECTION),
                     ACME_PROB_CONNECTION);
    assert_int_equal(acme_prob_from_validation(ACME_VPROB_DNS), ACME_PROB_DNS);
    assert_int_equal(acme_prob_from_validation(ACME_VPROB_TLS), ACME_PROB_TLS);
    assert_int_equal(acme_prob_from_validation(ACME_VPROB_INCORRECT_RESPONSE),
                     ACME_PROB_INCORRECT_RESPONSE);
    assert_int_equal(acme_prob_from_validation(ACME_VPROB_UNAUTHORIZED),
                     ACME_PROB_UNAUTHORIZED);
    /* "failed without a reason" still reports a failure. */
    assert_int_equal(acme_prob_from_validation(ACME_VPROB_NONE),
                     ACME_PROB_INCORRECT_RESPONSE);
}

static void
test_json(void **state)
{
    json_t *sub = json_array(), *o;
    (void)state;
    json_array_append_new(sub, acme_prob_subproblem(ACME_PROB_REJECTED_ID,
                                                    "bad", "dns", "x..y"));
    o = acme_prob_json(ACME_PROB_REJECTED_ID, "refused", sub);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "type")),
                        "urn:ietf:params:acme:error:rejectedIdentifier");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 400);
    assert_int_equal(json_array_size(json_object_get(o, "subproblems")), 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(o, "subproblems"), 0),
                            "identifier"),
            "value")),
        "x..y");
    json_decref(o);
    /* Invalid UTF-8 detail is dropped, not emitted. */
    o = acme_prob_json(ACME_PROB_MALFORMED, "\xff\xfe", NULL);
    assert_non_null(o);
    assert_null(json_object_get(o, "detail"));
    assert_null(json_object_get(o, "subproblems"));
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_and_statuses),
        cmocka_unit_test(test_rc_mapping),
        cmocka_unit_test(test_validation_mapping),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
