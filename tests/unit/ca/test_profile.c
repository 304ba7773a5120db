/* test_profile.c - the built-in profiles and the BR validity schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "catena/ca.h"

#define DAY INT64_C(86400)

static void
test_find(void **state)
{
    const char *names[] = {"tls-server", "service-tls", "smime-mailbox",
                           "x509-svid",
                           "ocsp-signer", "sub-ca", "root-ca"};

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct catena_profile *p = catena_profile_find(names[i]);

        assert_non_null(p);
        assert_string_equal(p->name, names[i]);
        assert_true(p->default_lifetime > 0);
        assert_true(p->default_lifetime <= p->max_lifetime);
        assert_true(p->key_types != 0);
    }
    assert_null(catena_profile_find("tls"));
    assert_null(catena_profile_find(""));
    assert_null(catena_profile_find(NULL));
}

static void
test_fields(void **state)
{
    const struct catena_profile *tls = catena_profile_find("tls-server");
    const struct catena_profile *smime = catena_profile_find("smime-mailbox");
    const struct catena_profile *svid = catena_profile_find("x509-svid");
    const struct catena_profile *root = catena_profile_find("root-ca");

    (void)state;
    assert_int_equal(tls->lint_profile, CATENA_LINT_PROFILE_TLS);
    assert_false(tls->key_types & CATENA_KEY_ED25519); /* BR 6.1.5 */
    assert_true(tls->key_types & CATENA_KEY_RSA2048);
    assert_true(smime->key_types & CATENA_KEY_ED25519);
    assert_int_equal(smime->max_lifetime, 825 * DAY);
    assert_int_equal(svid->max_lifetime, DAY);
    assert_true(root->is_ca);
    assert_false(tls->is_ca);
    /* BR 7.1.2.1.1: 2922..9132 days. */
    assert_true(root->default_lifetime >= 2922 * DAY);
    assert_true(root->max_lifetime <= 9132 * DAY);
}

static void
test_tls_schedule(void **state)
{
    const struct catena_profile *tls = catena_profile_find("tls-server");
    const struct catena_profile *smime = catena_profile_find("smime-mailbox");

    (void)state;
    assert_int_equal(catena_profile_max_lifetime_at(tls, 1735689600),
                     397 * DAY); /* 2025-01-01 */
    assert_int_equal(catena_profile_max_lifetime_at(tls, 1773532800),
                     199 * DAY); /* 2026-03-15 */
    assert_int_equal(catena_profile_max_lifetime_at(tls, 1805068799),
                     199 * DAY);
    assert_int_equal(catena_profile_max_lifetime_at(tls, 1805068800),
                     99 * DAY); /* 2027-03-15 */
    assert_int_equal(catena_profile_max_lifetime_at(tls, 1868227200),
                     46 * DAY); /* 2029-03-15 */
    assert_int_equal(catena_profile_max_lifetime_at(smime, 1868227200),
                     825 * DAY);
    assert_int_equal(catena_profile_max_lifetime_at(NULL, 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_tls_schedule),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
