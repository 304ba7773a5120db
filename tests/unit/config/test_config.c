/* test_config.c - the INI loader: good files, and each kind of bad one. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catena/config.h"
#include "../../common/test_tmp.h"

static char dir[256];

static void
write_conf(const char *name, const char *text, size_t len, char *path)
{
    FILE *f;

    snprintf(path, PATH_MAX, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static enum catena_rc
load_text(const char *text, struct catena_config **cfg, struct catena_err *err)
{
    char path[PATH_MAX];

    write_conf("t.conf", text, strlen(text), path);
    catena_err_clear(err);
    return catena_config_load(path, catena_core_config_schemas,
                              catena_core_num_config_schemas, cfg, err);
}

/* expect_error loads |text| and checks the error code and that the message
 * contains |needle| (file:line or the offending name). */
static void
expect_error(const char *text, const char *needle)
{
    struct catena_config *cfg = (struct catena_config *)1;
    struct catena_err err;

    assert_int_equal(load_text(text, &cfg, &err), CATENA_ERR_CONFIG);
    assert_null(cfg);
    assert_int_equal(err.code, CATENA_ERR_CONFIG);
    if (strstr(err.msg, needle) == NULL) {
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    }
}

static const char good[] =
    "# comment\n"
    "; another\n"
    "\n"
    "[catena]\n"
    "dir = data\n"
    "store = sqlite:/tmp/x.db\n"
    "instance_prefix = 7\n"
    "base_url = http://127.0.0.1:8080\n"
    "\n"
    "[http]\n"
    "listen = [::1]:8443\n"
    "threads = 4\n"
    "\n"
    "[issuer \"root\"]\n"
    "cert = /abs/root.pem\n"
    "key = keys/root.key\n"
    "num_shards = 1\n"
    "\n"
    "[issuer \"tls\"]\n"
    "cert = tls.pem\n"
    "profiles = tls-server,ocsp-signer\n"
    "num_shards = 4\n"
    "\n"
    "[profile \"tls-server\"]\n"
    "lifetime = 90d\n"
    "max_lifetime = 2160h\n"
    "\n"
    "[issuer \"root\"]\n"
    "parent =\n";

static void
test_good(void **state)
{
    struct catena_config *cfg = NULL;
    struct catena_err err;
    const char *const *subs;
    size_t num = 0;
    int64_t v = 0;
    char want[PATH_MAX + 32];
    char real[PATH_MAX];

    (void)state;
    assert_int_equal(load_text(good, &cfg, &err), CATENA_OK);
    assert_non_null(realpath(dir, real));
    snprintf(want, sizeof(want), "%s/t.conf", real);
    assert_string_equal(catena_config_path(cfg), want);
    /* PATH values resolve against the file's directory. */
    snprintf(want, sizeof(want), "%s/data", real);
    assert_string_equal(catena_config_get(cfg, "catena", NULL, "dir", NULL),
                        want);
    snprintf(want, sizeof(want), "%s/keys/root.key", real);
    assert_string_equal(catena_config_get(cfg, "issuer", "root", "key", NULL),
                        want);
    assert_string_equal(catena_config_get(cfg, "issuer", "root", "cert", NULL),
                        "/abs/root.pem");
    assert_string_equal(catena_config_get(cfg, "issuer", "root", "parent",
                                          "x"),
                        "");
    assert_null(catena_config_get(cfg, "issuer", "tls", "key", NULL));
    assert_string_equal(catena_config_get(cfg, "issuer", "nope", "cert", "d"),
                        "d");
    assert_string_equal(catena_config_get(cfg, "http", NULL, "listen", NULL),
                        "[::1]:8443");
    assert_int_equal(catena_config_get_int(cfg, "catena", NULL,
                                           "instance_prefix", 1, &v, &err),
                     CATENA_OK);
    assert_int_equal(v, 7);
    assert_int_equal(catena_config_get_int(cfg, "issuer", "smime",
                                           "num_shards", 3, &v, &err),
                     CATENA_OK);
    assert_int_equal(v, 3);
    assert_int_equal(catena_config_get_duration(cfg, "profile", "tls-server",
                                                "lifetime", 0, &v, &err),
                     CATENA_OK);
    assert_int_equal(v, 90 * 86400);
    assert_int_equal(catena_config_get_duration(cfg, "profile", "tls-server",
                                                "max_lifetime", 0, &v, &err),
                     CATENA_OK);
    assert_int_equal(v, 2160 * 3600);
    /* A STRING read as an int is malformed, and says so. */
    assert_int_equal(catena_config_get_int(cfg, "catena", NULL, "store", 0,
                                           &v, &err),
                     CATENA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "store"));
    subs = catena_config_subs(cfg, "issuer", &num);
    assert_int_equal(num, 2);
    assert_string_equal(subs[0], "root");
    assert_string_equal(subs[1], "tls");
    subs = catena_config_subs(cfg, "profile", &num);
    assert_int_equal(num, 1);
    assert_string_equal(subs[0], "tls-server");
    (void)catena_config_subs(cfg, "acme", &num);
    assert_int_equal(num, 0);
    catena_config_free(cfg);
    catena_config_free(NULL);
}

static void
test_unknown_key(void **state)
{
    (void)state;
    expect_error("[catena]\nstore = x\nstroe = y\n", ":3: unknown key");
    expect_error("[catena]\nstore = x\nstroe = y\n", "stroe");
}

static void
test_unknown_section(void **state)
{
    (void)state;
    expect_error("[catena]\nstore = x\n\n[acme]\nx = 1\n",
                 ":5: unknown section [acme]");
}

static void
test_bad_values(void **state)
{
    (void)state;
    expect_error("[catena]\ninstance_prefix = 12x\n", ":2:");
    expect_error("[catena]\ninstance_prefix = \n", "integer");
    expect_error("[catena]\ninstance_prefix = +5\n", "integer");
    expect_error("[catena]\ninstance_prefix = 99999999999999999999\n",
                 "integer");
    expect_error("[profile \"x\"]\nlifetime = 90y\n", ":2: [profile]");
    expect_error("[profile \"x\"]\nlifetime = d\n", "duration");
    expect_error("[profile \"x\"]\nlifetime = -1d\n", "duration");
    expect_error("[profile \"x\"]\nlifetime = 999999999999999999d\n",
                 "duration");
    expect_error("[http]\nlisten = 8080\n", "host:port");
    expect_error("[http]\nlisten = localhost:http\n", "host:port");
    expect_error("[http]\nlisten = localhost:65536\n", "host:port");
    expect_error("[http]\nlisten = ::1:80\n", "host:port");
    expect_error("[http]\nlisten = []:80\n", "host:port");
    expect_error("[issuer \"a\"]\ncert =\n", "path");
    /* A duration with a ceiling: the CAA cache cap, at most 8h. */
    expect_error("[caa]\ncache_max_ttl = 28801\n",
                 ":2: [caa] cache_max_ttl is at most 28800s");
    expect_error("[caa]\ncache_max_ttl = 9h\n", "at most 28800s");
    expect_error("[caa]\ncache_max_ttl = 5x\n", "duration");
}

/* The ceiling lets the largest value through. */
static void
test_duration_cap(void **state)
{
    struct catena_config *cfg = NULL;
    struct catena_err err;
    int64_t v = 0;

    (void)state;
    assert_int_equal(load_text("[caa]\ncache_max_ttl = 8h\n", &cfg, &err),
                     CATENA_OK);
    assert_int_equal(catena_config_get_duration(cfg, "caa", NULL,
                                                "cache_max_ttl", 300, &v, &err),
                     CATENA_OK);
    assert_int_equal(v, 28800);
    catena_config_free(cfg);
}

static void
test_duplicates(void **state)
{
    (void)state;
    expect_error("[catena]\nstore = a\nstore = b\n", ":3: duplicate key");
    /* The same key in a repeated section header is still a duplicate. */
    expect_error("[issuer \"a\"]\nnum_shards = 1\n[issuer \"b\"]\n"
                 "num_shards = 1\n[issuer \"a\"]\nnum_shards = 2\n",
                 ":6: duplicate key");
}

static void
test_malformed_syntax(void **state)
{
    char text[512];

    (void)state;
    expect_error("store = x\n", ":1: key \"store\" outside");
    expect_error("[catena\nstore = x\n", ":1: syntax error");
    expect_error("[catena]\njust words\n", ":2: syntax error");
    expect_error("[issuer]\nkey = x\n", "needs a quoted name");
    expect_error("[catena \"x\"]\nstore = x\n", "takes no name");
    expect_error("[issuer \"\"]\nkey = x\n", "malformed section");
    expect_error("[issuer tls]\nkey = x\n", "malformed section");
    expect_error("[issuer \"a\"b]\nkey = x\n", "malformed section");
    expect_error("[Catena]\nstore = x\n", "malformed section");
    expect_error("[catena]\nstore = x\n  base_url = y\n",
                 ":3: indented line");
    /* libinih's buffer would silently cut this line: refuse instead. */
    memset(text, 0, sizeof(text));
    memcpy(text, "[catena]\nstore = ", 17);
    memset(text + 17, 'a', 300);
    text[17 + 300] = '\n';
    expect_error(text, ":2: line too long");
}

static void
test_nul_and_missing(void **state)
{
    static const char with_nul[] = "[catena]\nstore = a\0b\n";
    struct catena_config *cfg = NULL;
    struct catena_err err;
    char path[PATH_MAX];

    (void)state;
    write_conf("nul.conf", with_nul, sizeof(with_nul) - 1, path);
    assert_int_equal(catena_config_load(path, catena_core_config_schemas,
                                        catena_core_num_config_schemas, &cfg,
                                        &err),
                     CATENA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, ":2: NUL byte"));
    snprintf(path, sizeof(path), "%s/does-not-exist.conf", dir);
    assert_int_equal(catena_config_load(path, catena_core_config_schemas,
                                        catena_core_num_config_schemas, &cfg,
                                        &err),
                     CATENA_ERR_CONFIG);
    assert_null(cfg);
}

static void
test_lenient(void **state)
{
    static const char text[] = "[catena]\nstore = x\n[acme]\nanything = 1\n"
                               "[crl \"x\"]\nwhatever = 2\n";
    static const char strict[] = "[acme]\nx = 1\n[catena]\nbogus = 1\n";
    struct catena_config *cfg = NULL;
    struct catena_err err;
    char path[PATH_MAX];

    (void)state;
    write_conf("l.conf", text, strlen(text), path);
    assert_int_equal(catena_config_load_ex(path, catena_core_config_schemas,
                                           catena_core_num_config_schemas,
                                           CATENA_CONFIG_SKIP_UNKNOWN_SECTIONS,
                                           &cfg, &err),
                     CATENA_OK);
    assert_null(catena_config_get(cfg, "acme", NULL, "anything", NULL));
    assert_string_equal(catena_config_get(cfg, "catena", NULL, "store", NULL),
                        "x");
    catena_config_free(cfg);
    /* Known sections stay strict. */
    write_conf("l2.conf", strict, strlen(strict), path);
    assert_int_equal(catena_config_load_ex(path, catena_core_config_schemas,
                                           catena_core_num_config_schemas,
                                           CATENA_CONFIG_SKIP_UNKNOWN_SECTIONS,
                                           &cfg, &err),
                     CATENA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, ":4: unknown key"));
}

static void
test_parse_int64(void **state)
{
    int64_t v = 0;

    (void)state;
    assert_int_equal(catena_parse_int64("0", 0, 10, &v), CATENA_OK);
    assert_int_equal(v, 0);
    assert_int_equal(catena_parse_int64("-5", -10, 10, &v), CATENA_OK);
    assert_int_equal(v, -5);
    assert_int_equal(catena_parse_int64("9223372036854775807", INT64_MIN,
                                        INT64_MAX, &v),
                     CATENA_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(catena_parse_int64("-9223372036854775808", INT64_MIN,
                                        INT64_MAX, &v),
                     CATENA_OK);
    assert_true(v == INT64_MIN);
    v = 42;
    assert_int_equal(catena_parse_int64("9223372036854775808", INT64_MIN,
                                        INT64_MAX, &v),
                     CATENA_ERR_INVALID);
    assert_int_equal(v, 42);
    assert_int_equal(catena_parse_int64("11", 0, 10, &v), CATENA_ERR_INVALID);
    assert_int_equal(catena_parse_int64("", 0, 10, &v), CATENA_ERR_INVALID);
    assert_int_equal(catena_parse_int64(" 1", 0, 10, &v), CATENA_ERR_INVALID);
    assert_int_equal(catena_parse_int64("1 ", 0, 10, &v), CATENA_ERR_INVALID);
    assert_int_equal(catena_parse_int64("+1", 0, 10, &v), CATENA_ERR_INVALID);
    assert_int_equal(catena_parse_int64("-", -5, 10, &v), CATENA_ERR_INVALID);
    assert_int_equal(catena_parse_int64("0x10", 0, 100, &v),
                     CATENA_ERR_INVALID);
    assert_int_equal(catena_parse_int64(NULL, 0, 10, &v), CATENA_ERR_INVALID);
}

static int
setup(void **state)
{
    (void)state;
    return test_mkdtemp(dir, sizeof(dir), "catena-config-") == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    static const char *const files[] = {"t.conf", "nul.conf", "l.conf",
                                        "l2.conf"};
    char path[PATH_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    return rmdir(dir);
}

/* Comma lists: blanks trimmed, empty entries skipped, nothing else
 * dropped or merged. */
static void
test_list_next(void **state)
{
    const char *p = " a, bb ,,\tccc\t, ,d";
    const char *want[] = {"a", "bb", "ccc", "d"};
    const char *item;
    size_t len;
    size_t n = 0;

    (void)state;
    while (catena_config_list_next(&p, &item, &len)) {
        assert_true(n < 4);
        assert_int_equal(len, strlen(want[n]));
        assert_memory_equal(item, want[n], len);
        n++;
    }
    assert_int_equal(n, 4);
    p = "";
    assert_int_equal(catena_config_list_next(&p, &item, &len), 0);
    p = " , ,";
    assert_int_equal(catena_config_list_next(&p, &item, &len), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_duration_cap),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_malformed_syntax),
        cmocka_unit_test(test_nul_and_missing),
        cmocka_unit_test(test_lenient),
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_list_next),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
