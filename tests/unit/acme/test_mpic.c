/*
 * test_mpic.c - the rules of Multi-Perspective Issuance Corroboration
 * (TLS BR 3.2.2.9) as acme/mpic_quorum.c applies them: the phased minimum
 * on each side of every step, the Quorum Requirements table, the two-RIR
 * rule, and the shared secret's file format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mpic.h"

#define MAR_2026 INT64_C(1773532800) /* 2026-03-15 */
#define JUN_2026 INT64_C(1781481600) /* 2026-06-15 */
#define DEC_2026 INT64_C(1797292800) /* 2026-12-15 */
#define NOV_2026 INT64_C(1795478400) /* 2026-11-24 */

static void
test_min_remote(void **state)
{
    int min = 0;

    (void)state;
    assert_int_equal(acme_mpic_min_remote(INT64_C(1757894400)), 2);
    assert_int_equal(acme_mpic_min_remote(MAR_2026 - 1), 2);
    assert_int_equal(acme_mpic_min_remote(MAR_2026), 3);
    assert_int_equal(acme_mpic_min_remote(JUN_2026 - 1), 3);
    assert_int_equal(acme_mpic_min_remote(JUN_2026), 4);
    assert_int_equal(acme_mpic_min_remote(NOV_2026), 4);
    assert_int_equal(acme_mpic_min_remote(DEC_2026 - 1), 4);
    assert_int_equal(acme_mpic_min_remote(DEC_2026), 5);
    assert_int_equal(acme_mpic_min_remote(INT64_C(4102444800)), 5);
    assert_int_equal(acme_mpic_next_step(NOV_2026, &min), DEC_2026);
    assert_int_equal(min, 5);
    assert_int_equal(acme_mpic_next_step(MAR_2026, &min), JUN_2026);
    assert_int_equal(min, 4);
    assert_int_equal(acme_mpic_next_step(DEC_2026, &min), 0);
    assert_int_equal(min, 5);
}

static void
test_quorum_table(void **state)
{
    static const int allowed[] = {0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2};

    (void)state;
    for (size_t n = 0; n < sizeof(allowed) / sizeof(allowed[0]); n++) {
        assert_int_equal(acme_mpic_allowed_failures(n), allowed[n]);
    }
}

/* votes_of fills |v| with |n| votes in the RIRs of |rirs| (one letter
 * each: A ARIN, R RIPE, P APNIC, L LACNIC, F AFRINIC), the first
 * |failed| of them not corroborating. */
static void
votes_of(struct acme_mpic_vote *v, const char *rirs, size_t failed)
{
    for (size_t i = 0; rirs[i] != '\0'; i++) {
        switch (rirs[i]) {
        case 'A': v[i].rir = ACME_RIR_ARIN; break;
        case 'R': v[i].rir = ACME_RIR_RIPE; break;
        case 'P': v[i].rir = ACME_RIR_APNIC; break;
        case 'L': v[i].rir = ACME_RIR_LACNIC; break;
        default: v[i].rir = ACME_RIR_AFRINIC; break;
        }
        v[i].corroborated = i >= failed;
    }
}

static void
test_decide(void **state)
{
    static const struct {
        const char *rirs;
        size_t failed;
        int64_t now;
        enum acme_mpic_verdict want;
    } cases[] = {
        {"ARPA", 0, NOV_2026, ACME_MPIC_OK},
        {"ARPA", 1, NOV_2026, ACME_MPIC_OK},
        {"ARPA", 2, NOV_2026, ACME_MPIC_QUORUM},
        {"ARP", 0, NOV_2026, ACME_MPIC_TOO_FEW},   /* 4 from 2026-06-15 */
        {"ARP", 0, JUN_2026 - 1, ACME_MPIC_OK},
        {"ARPA", 0, DEC_2026, ACME_MPIC_TOO_FEW},  /* 5 from 2026-12-15 */
        {"ARPAR", 1, DEC_2026, ACME_MPIC_OK},
        {"ARPARL", 2, DEC_2026, ACME_MPIC_OK},     /* 6: two may fail */
        {"ARPARL", 3, DEC_2026, ACME_MPIC_QUORUM},
        {"RRRR", 0, NOV_2026, ACME_MPIC_ONE_RIR},
        /* the corroborating ones count: ARIN fails, three RIPE remain */
        {"ARRR", 1, NOV_2026, ACME_MPIC_ONE_RIR},
        {"RRRA", 1, NOV_2026, ACME_MPIC_OK},
        /* before 2026-03-15 one region was enough */
        {"RR", 0, MAR_2026 - 1, ACME_MPIC_OK},
        {"RR", 1, MAR_2026 - 1, ACME_MPIC_OK},
        {"RR", 2, MAR_2026 - 1, ACME_MPIC_QUORUM},
        {"R", 0, MAR_2026 - 1, ACME_MPIC_TOO_FEW},
        {"", 0, MAR_2026 - 1, ACME_MPIC_TOO_FEW},
    };
    struct acme_mpic_vote v[16];
    char why[300];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].rirs);

        votes_of(v, cases[i].rirs, cases[i].failed);
        why[0] = '\0';
        if (acme_mpic_decide(v, n, cases[i].now, why, sizeof(why)) !=
            cases[i].want) {
            fail_msg("case %zu (%s, %zu failed): %s", i, cases[i].rirs,
                     cases[i].failed, why);
        }
        if (cases[i].want != ACME_MPIC_OK) {
            assert_true(strstr(why, "3.2.2.9") != NULL ||
                        strstr(why, "did not corroborate") != NULL);
        }
    }
}

static void
test_rir_names(void **state)
{
    enum acme_rir r;

    (void)state;
    assert_int_equal(acme_rir_parse("ripe", &r), 0);
    assert_int_equal(r, ACME_RIR_RIPE);
    assert_int_equal(acme_rir_parse("RIPE NCC", &r), 0);
    assert_int_equal(r, ACME_RIR_RIPE);
    assert_int_equal(acme_rir_parse("Arin", &r), 0);
    assert_int_equal(r, ACME_RIR_ARIN);
    assert_int_equal(acme_rir_parse("LACNIC", &r), 0);
    assert_int_equal(acme_rir_parse("AFRINIC", &r), 0);
    assert_int_equal(acme_rir_parse("APNIC", &r), 0);
    assert_string_equal(acme_rir_name(r), "APNIC");
    assert_int_equal(acme_rir_parse("IANA", &r), -1);
    assert_int_equal(acme_rir_parse("", &r), -1);
    assert_int_equal(acme_rir_parse(NULL, &r), -1);
}

static void
test_problem_types(void **state)
{
    (void)state;
    assert_int_equal(acme_prob_from_type(acme_prob_type(ACME_PROB_CAA)),
                     ACME_PROB_CAA);
    assert_int_equal(acme_prob_from_type(
                         acme_prob_type(ACME_PROB_INCORRECT_RESPONSE)),
                     ACME_PROB_INCORRECT_RESPONSE);
    assert_int_equal(acme_prob_from_type("urn:ietf:params:acme:error:malformed"),
                     ACME_PROB_MALFORMED);
    assert_int_equal(acme_prob_from_type("urn:ietf:params:acme:error:nope"),
                     ACME_PROB__MAX);
    assert_int_equal(acme_prob_from_type(NULL), ACME_PROB__MAX);
}

/* secret_case writes |content| to a file and loads it. */
static enum catena_rc
secret_case(const char *content, size_t len, char *out)
{
    char path[] = "/tmp/catena-mpic-secret-XXXXXX";
    struct catena_err err = {0};
    int fd = mkstemp(path);
    enum catena_rc rc;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    rc = acme_mpic_secret_load(path, out, &err);
    unlink(path);
    return rc;
}

static void
test_secret_file(void **state)
{
    char out[ACME_MPIC_MAX_SECRET + 1];
    char big[ACME_MPIC_MAX_SECRET + 2];
    const char *good = "0123456789abcdef0123456789abcdef";
    struct catena_err err = {0};

    (void)state;
    assert_int_equal(secret_case(good, strlen(good), out), CATENA_OK);
    assert_string_equal(out, good);
    assert_int_equal(secret_case("0123456789abcdef0123456789abcdef\n", 33,
                                 out),
                     CATENA_OK);
    assert_string_equal(out, good);
    /* too short, a space, a NUL, two lines, too long */
    assert_int_equal(secret_case("short\n", 6, out), CATENA_ERR_CONFIG);
    assert_int_equal(secret_case("0123456789abcdef 123456789abcdef0", 33, out),
                     CATENA_ERR_CONFIG);
    assert_int_equal(secret_case("0123456789abcdef\0" "123456789abcdef01", 34,
                                 out),
                     CATENA_ERR_CONFIG);
    assert_int_equal(secret_case("0123456789abcdef0123456789abcdef\nxx\n", 36,
                                 out),
                     CATENA_ERR_CONFIG);
    memset(big, 'a', sizeof(big));
    assert_int_equal(secret_case(big, sizeof(big), out), CATENA_ERR_CONFIG);
    assert_int_equal(acme_mpic_secret_load("/nonexistent/secret", out, &err),
                     CATENA_ERR_CONFIG);
    assert_int_equal(acme_mpic_secret_load(NULL, out, &err), CATENA_ERR_CONFIG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_remote),
        cmocka_unit_test(test_quorum_table),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_rir_names),
        cmocka_unit_test(test_problem_types),
        cmocka_unit_test(test_secret_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
