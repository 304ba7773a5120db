/*
 * test_caa.c - catena_caa_check against a real loopback DNS server
 * (catena-testdns): permission, refusal, issuewild, tree climbing, CNAME,
 * issuemail, RFC 8657 parameters, critical tags, and every way a lookup
 * fails closed (SERVFAIL, REFUSED, timeouts, truncated, garbage); and,
 * against a server of this file, that a truncated UDP answer is asked
 * again over TCP.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "catena/caa.h"
#include "testdns_fixture.h"

static const char *const ids[] = {"catena.test", "other-name.example"};

static const char records[] =
    "# plain permission and refusal\n"
    "us.test CAA 0 issue \"catena.test\"\n"
    "them.test CAA 0 issue \"ca.example\"\n"
    "both.test CAA 0 issue \"ca.example\"\n"
    "both.test CAA 0 issue \"other-name.example\"\n"
    "dot.test CAA 0 issue \"catena.test.\"\n"
    "case.test CAA 0 ISSUE \"CaTeNa.TeSt\"\n"
    "none.test CAA 0 issue \";\"\n"
    "iodef.test CAA 0 iodef \"mailto:x@y.test\"\n"
    "# issuewild\n"
    "w.test CAA 0 issue \"ca.example\"\n"
    "w.test CAA 0 issuewild \"catena.test\"\n"
    "w2.test CAA 0 issue \"catena.test\"\n"
    "w2.test CAA 0 issuewild \";\"\n"
    "w3.test CAA 0 issue \"catena.test\"\n"
    "# tree climbing\n"
    "climb.test CAA 0 issue \"ca.example\"\n"
    "ok.climb.test CAA 0 issue \"catena.test\"\n"
    "deep.x.y.climb2.test A 127.0.0.1\n"
    "climb2.test CAA 0 issue \"catena.test\"\n"
    "# CNAME\n"
    "alias.test CNAME target.test\n"
    "target.test CAA 0 issue \"ca.example\"\n"
    "alias2.test CNAME target2.test\n"
    "alias2.test NOCHASE\n"
    "target2.test CAA 0 issue \"ca.example\"\n"
    "alias3.test CNAME target3.test\n"
    "alias3.test NOCHASE\n"
    "target3.test CAA 0 issue \"catena.test\"\n"
    "loop1.test CNAME loop2.test\n"
    "loop2.test CNAME loop1.test\n"
    "loop1.test NOCHASE\n"
    "loop2.test NOCHASE\n"
    "# tags\n"
    "crit.test CAA 128 tbs \"anything\"\n"
    "crit.test CAA 0 issue \"catena.test\"\n"
    "noncrit.test CAA 0 tbs \"anything\"\n"
    "noncrit.test CAA 0 issue \"catena.test\"\n"
    "critknown.test CAA 128 issue \"catena.test\"\n"
    "# issuemail (RFC 9495)\n"
    "mail.test CAA 0 issuemail \"ca.example\"\n"
    "mail2.test CAA 0 issuemail \"catena.test\"\n"
    "mail2.test CAA 0 issue \";\"\n"
    "# RFC 8657\n"
    "acct.test CAA 0 issue \"catena.test; accounturi=https://ca/acct/1\"\n"
    "vm.test CAA 0 issue \"catena.test; validationmethods=dns-01,tls-alpn-01\"\n"
    "both8657.test CAA 0 issue \"catena.test;accounturi=https://ca/acct/1 ;"
    " validationmethods=http-01 ; other=x\"\n"
    "twoacct.test CAA 0 issue \"catena.test; accounturi=https://ca/acct/1;"
    " accounturi=https://ca/acct/1\"\n"
    "# malformed values authorize nobody\n"
    "mal1.test CAA 0 issue \"catena.test; accounturi\"\n"
    "mal2.test CAA 0 issue \"catena..test\"\n"
    "mal3.test CAA 0 issue \"catena.test junk\"\n"
    "mal4.test CAA 0 issue \"-catena.test\"\n"
    "mal5.test CAA 0 issue \"catena.test; a=b c\"\n"
    "badtag.test CAA 0 is_sue \"catena.test\"\n"
    "badtag.test CAA 0 issue \"catena.test\"\n"
    "# failures\n"
    "sf.test SERVFAIL\n"
    "sfparent.test SERVFAIL\n"
    "child.sfparent.test A 127.0.0.1\n"
    "ref.test REFUSED\n"
    "drop.test DROP\n"
    "tc.test TRUNCATE\n"
    "garbage.test GARBAGE\n"
    "wrongq.test WRONGQ\n"
    "sftarget.test CNAME sf.test\n";

static struct testdns dns;

static int
setup(void **state)
{
    FILE *f;
    char *buf = NULL;
    size_t len = 0;

    (void)state;
    if (testdns_start(&dns) != 0) {
        return -1;
    }
    f = open_memstream(&buf, &len);
    if (f == NULL) {
        return -1;
    }
    fputs(records, f);
    /* A value over the 1024-octet cap authorizes nobody. */
    fputs("long.test CAA 0 issue \"catena.test; x=", f);
    for (int i = 0; i < 1100; i++) {
        fputc('a', f);
    }
    fputs("\"\n", f);
    /* Seventy records at one name: over the cap of 64. */
    for (int i = 0; i < 70; i++) {
        fprintf(f, "many.test CAA 0 issue \"ca%d.example\"\n", i);
    }
    fclose(f);
    if (testdns_write(&dns, buf) != 0) {
        free(buf);
        return -1;
    }
    free(buf);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    testdns_stop(&dns);
    return 0;
}

static enum catena_rc
check_full(const char *resolver, const char *domain, int wildcard,
           enum catena_caa_kind kind, const char *acct, const char *method,
           struct catena_err *err)
{
    struct catena_caa_opts o = {0};
    o.resolver = resolver;
    o.identities = ids;
    o.num_identities = 2;
    o.account_uri = acct;
    o.validation_method = method;
    o.timeout_ms = 500;
    return catena_caa_check(&o, domain, wildcard, kind, err);
}

static enum catena_rc
check(const char *domain, int wildcard)
{
    struct catena_err err = {0};
    enum catena_rc rc = check_full(dns.resolver, domain, wildcard,
                                   CATENA_CAA_ISSUE, NULL, "http-01", &err);
    if (rc != CATENA_OK) {
        print_message("  %s: %s\n", domain, err.msg);
    }
    return rc;
}

static void
test_permitted(void **state)
{
    (void)state;
    assert_int_equal(check("nothing.here.test", 0), CATENA_OK);
    assert_int_equal(check("us.test", 0), CATENA_OK);
    assert_int_equal(check("Us.Test.", 0), CATENA_OK);
    assert_int_equal(check("both.test", 0), CATENA_OK);
    assert_int_equal(check("case.test", 0), CATENA_OK);
    /* A set without issue properties does not restrict issuance. */
    assert_int_equal(check("iodef.test", 0), CATENA_OK);
}

static void
test_refused(void **state)
{
    struct catena_err err = {0};
    (void)state;
    assert_int_equal(check_full(dns.resolver, "them.test", 0,
                                CATENA_CAA_ISSUE, NULL, "http-01", &err),
                     CATENA_ERR_CAA);
    assert_non_null(strstr(err.msg, "ca.example"));
    assert_non_null(strstr(err.msg, "them.test"));
    assert_int_equal(check("none.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("none.test", 1), CATENA_ERR_CAA);
}

static void
test_issuewild(void **state)
{
    (void)state;
    assert_int_equal(check("w.test", 1), CATENA_OK);
    assert_int_equal(check("*.w.test", 0), CATENA_OK);
    assert_int_equal(check("w.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("w2.test", 1), CATENA_ERR_CAA);
    assert_int_equal(check("w2.test", 0), CATENA_OK);
    /* Without issuewild, issue governs wildcards too. */
    assert_int_equal(check("w3.test", 1), CATENA_OK);
    assert_int_equal(check("them.test", 1), CATENA_ERR_CAA);
}

static void
test_climbing(void **state)
{
    (void)state;
    assert_int_equal(check("a.b.climb.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("climb.test", 0), CATENA_ERR_CAA);
    /* The closest non-empty set wins, even if a parent would refuse. */
    assert_int_equal(check("ok.climb.test", 0), CATENA_OK);
    assert_int_equal(check("x.ok.climb.test", 0), CATENA_OK);
    assert_int_equal(check("deep.x.y.climb2.test", 0), CATENA_OK);
}

static void
test_cname(void **state)
{
    (void)state;
    /* The server follows the chain. */
    assert_int_equal(check("alias.test", 0), CATENA_ERR_CAA);
    /* The server stops at the CNAME: we ask for the target ourselves. */
    assert_int_equal(check("alias2.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("alias3.test", 0), CATENA_OK);
    /* A loop ends in an error, not in "no CAA". */
    assert_int_equal(check("loop1.test", 0), CATENA_ERR_DNS);
    /* A CNAME whose target fails fails. */
    assert_int_equal(check("sftarget.test", 0), CATENA_ERR_DNS);
}

static void
test_tags(void **state)
{
    struct catena_err err = {0};
    (void)state;
    assert_int_equal(check_full(dns.resolver, "crit.test", 0,
                                CATENA_CAA_ISSUE, NULL, NULL, &err),
                     CATENA_ERR_CAA);
    assert_non_null(strstr(err.msg, "critical"));
    assert_int_equal(check_full(dns.resolver, "crit.test", 0,
                                CATENA_CAA_ISSUEMAIL, NULL, NULL, &err),
                     CATENA_ERR_CAA);
    assert_int_equal(check("noncrit.test", 0), CATENA_OK);
    /* The critical bit on a tag we understand changes nothing. */
    assert_int_equal(check("critknown.test", 0), CATENA_OK);
}

static void
test_issuemail(void **state)
{
    struct catena_err err = {0};
    (void)state;
    assert_int_equal(check_full(dns.resolver, "mail.test", 0,
                                CATENA_CAA_ISSUEMAIL, NULL, NULL, &err),
                     CATENA_ERR_CAA);
    assert_non_null(strstr(err.msg, "issuemail"));
    /* issuemail does not restrict TLS issuance, nor issue S/MIME. */
    assert_int_equal(check("mail.test", 0), CATENA_OK);
    assert_int_equal(check_full(dns.resolver, "mail2.test", 0,
                                CATENA_CAA_ISSUEMAIL, NULL, NULL, &err),
                     CATENA_OK);
    assert_int_equal(check("mail2.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check_full(dns.resolver, "them.test", 0,
                                CATENA_CAA_ISSUEMAIL, NULL, NULL, &err),
                     CATENA_OK);
    assert_int_equal(check_full(dns.resolver, "nothing.test", 0,
                                CATENA_CAA_ISSUEMAIL, NULL, NULL, &err),
                     CATENA_OK);
}

static void
test_rfc8657(void **state)
{
    struct catena_err err = {0};
    const char *r = dns.resolver;
    const enum catena_caa_kind k = CATENA_CAA_ISSUE;
    (void)state;
    assert_int_equal(
        check_full(r, "acct.test", 0, k, "https://ca/acct/1", "http-01", &err),
        CATENA_OK);
    assert_int_equal(
        check_full(r, "acct.test", 0, k, "https://ca/acct/2", "http-01", &err),
        CATENA_ERR_CAA);
    assert_int_equal(check_full(r, "acct.test", 0, k, NULL, "http-01", &err),
                     CATENA_ERR_CAA);
    assert_int_equal(check_full(r, "vm.test", 0, k, NULL, "dns-01", &err),
                     CATENA_OK);
    assert_int_equal(check_full(r, "vm.test", 0, k, NULL, "tls-alpn-01", &err),
                     CATENA_OK);
    assert_int_equal(check_full(r, "vm.test", 0, k, NULL, "http-01", &err),
                     CATENA_ERR_CAA);
    assert_int_equal(check_full(r, "vm.test", 0, k, NULL, "dns", &err),
                     CATENA_ERR_CAA);
    assert_int_equal(check_full(r, "vm.test", 0, k, NULL, NULL, &err),
                     CATENA_ERR_CAA);
    assert_int_equal(check_full(r, "both8657.test", 0, k, "https://ca/acct/1",
                                "http-01", &err),
                     CATENA_OK);
    assert_int_equal(check_full(r, "both8657.test", 0, k, "https://ca/acct/1",
                                "dns-01", &err),
                     CATENA_ERR_CAA);
    assert_int_equal(check_full(r, "twoacct.test", 0, k, "https://ca/acct/1",
                                "http-01", &err),
                     CATENA_ERR_CAA);
}

static void
test_malformed_values(void **state)
{
    (void)state;
    assert_int_equal(check("mal1.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("mal2.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("mal3.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("mal4.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("mal5.test", 0), CATENA_ERR_CAA);
    assert_int_equal(check("long.test", 0), CATENA_ERR_CAA);
    /* A tag outside [A-Za-z0-9] is a malformed record: refuse. */
    assert_int_equal(check("badtag.test", 0), CATENA_ERR_CAA);
    /* RFC 8659 4.2: an issuer-domain-name has no trailing dot. */
    assert_int_equal(check("dot.test", 0), CATENA_ERR_CAA);
}

static void
test_fail_closed(void **state)
{
    (void)state;
    assert_int_equal(check("sf.test", 0), CATENA_ERR_DNS);
    /* A failure on the way up refuses too. */
    assert_int_equal(check("child.sfparent.test", 0), CATENA_ERR_DNS);
    assert_int_equal(check("ref.test", 0), CATENA_ERR_DNS);
    assert_int_equal(check("drop.test", 0), CATENA_ERR_DNS);
    assert_int_equal(check("tc.test", 0), CATENA_ERR_DNS);
    assert_int_equal(check("garbage.test", 0), CATENA_ERR_DNS);
    assert_int_equal(check("wrongq.test", 0), CATENA_ERR_DNS);
    assert_int_equal(check("many.test", 0), CATENA_ERR_DNS);
}

static void
test_silent_resolver(void **state)
{
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof(sa);
    struct catena_err err = {0};
    char res[32];
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    (void)state;
    /* A bound socket that never answers: every query times out. */
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(res, sizeof(res), "127.0.0.1:%u", ntohs(sa.sin_port));
    assert_int_equal(check_full(res, "us.test", 0, CATENA_CAA_ISSUE, NULL,
                                NULL, &err),
                     CATENA_ERR_DNS);
    close(fd);
}

/*
 * A nameserver whose UDP answers are all truncated (TC, no records) and
 * whose TCP answers, on the same port, carry one CAA record naming
 * another CA: only a client that asks again over TCP sees the refusal.
 */
struct tc_server {
    int udp, tcp;
    pthread_t udp_th, tcp_th;
};

/* tc_answer builds the answer to query |q| (|qlen| bytes) in |out|;
 * returns its length, or 0 for a query it does not understand. */
static size_t
tc_answer(const uint8_t *q, size_t qlen, int truncated, uint8_t *out,
          size_t cap)
{
    static const uint8_t caa[] = {0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a',
                                  '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
    size_t i = 12, qend, n;
    int want_caa;

    while (i < qlen && q[i] != 0) {
        i += 1u + q[i];
    }
    qend = i + 5;
    if (qlen < 12 || qend > qlen || qend + 12 + sizeof(caa) > cap) {
        return 0;
    }
    want_caa = q[i + 1] == 1 && q[i + 2] == 1; /* type 257 */
    memcpy(out, q, qend);
    out[2] = 0x81 | (truncated ? 0x02 : 0); /* QR, RD (and TC) */
    out[3] = 0x80;                           /* RA, NOERROR */
    out[4] = 0;
    out[5] = 1;
    memset(out + 6, 0, 6);
    n = qend;
    if (!truncated && want_caa) {
        const uint8_t rr[] = {0xc0, 0x0c, 1, 1, 0, 1, 0, 0, 0, 60, 0,
                              sizeof(caa)};
        out[7] = 1;
        memcpy(out + n, rr, sizeof(rr));
        n += sizeof(rr);
        memcpy(out + n, caa, sizeof(caa));
        n += sizeof(caa);
    }
    return n;
}

static void *
tc_udp_main(void *arg)
{
    struct tc_server *t = arg;
    uint8_t q[512], a[600];
    struct sockaddr_storage from;

    for (;;) {
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(t->udp, q, sizeof(q), 0,
                             (struct sockaddr *)&from, &fl);
        size_t al;
        if (n <= 0) {
            return NULL; /* shut down */
        }
        al = tc_answer(q, (size_t)n, 1, a, sizeof(a));
        if (al > 0) {
            (void)sendto(t->udp, a, al, 0, (struct sockaddr *)&from, fl);
        }
    }
}

static void *
tc_tcp_main(void *arg)
{
    struct tc_server *t = arg;
    uint8_t q[514], a[602];

    for (;;) {
        int c = accept(t->tcp, NULL, NULL);
        size_t got = 0, need = 2, al;
        if (c < 0) {
            return NULL;
        }
        while (got < need && got < sizeof(q)) {
            ssize_t n = read(c, q + got, need - got);
            if (n <= 0) {
                break;
            }
            got += (size_t)n;
            if (got == 2) {
                need = 2u + (size_t)((q[0] << 8) | q[1]);
            }
        }
        al = got == need ? tc_answer(q + 2, got - 2, 0, a + 2, sizeof(a) - 2)
                         : 0;
        if (al > 0) {
            ssize_t w;
            a[0] = (uint8_t)(al >> 8);
            a[1] = (uint8_t)al;
            w = write(c, a, al + 2);
            (void)w; /* a short write fails the client's lookup */
        }
        close(c);
    }
}

static void
test_truncated_over_tcp(void **state)
{
    struct tc_server t;
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof(sa);
    struct catena_err err = {0};
    char res[32];
    int one = 1;

    (void)state;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    t.udp = socket(AF_INET, SOCK_DGRAM, 0);
    t.tcp = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(t.udp >= 0 && t.tcp >= 0);
    assert_int_equal(bind(t.udp, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(t.udp, (struct sockaddr *)&sa, &sl), 0);
    setsockopt(t.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(t.tcp, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(t.tcp, 8), 0);
    assert_int_equal(pthread_create(&t.udp_th, NULL, tc_udp_main, &t), 0);
    assert_int_equal(pthread_create(&t.tcp_th, NULL, tc_tcp_main, &t), 0);
    snprintf(res, sizeof(res), "127.0.0.1:%u", ntohs(sa.sin_port));
    assert_int_equal(check_full(res, "x.tc.test", 0, CATENA_CAA_ISSUE, NULL,
                                NULL, &err),
                     CATENA_ERR_CAA);
    assert_non_null(strstr(err.msg, "ca.example"));
    /* The threads end when their sockets are shut down. */
    shutdown(t.udp, SHUT_RDWR);
    shutdown(t.tcp, SHUT_RDWR);
    pthread_join(t.udp_th, NULL);
    pthread_join(t.tcp_th, NULL);
    close(t.udp);
    close(t.tcp);
}

static void
test_bad_input(void **state)
{
    struct catena_err err = {0};
    char longname[300];
    (void)state;
    assert_int_equal(check_full("not-an-ip:53", "us.test", 0, CATENA_CAA_ISSUE,
                                NULL, NULL, &err),
                     CATENA_ERR_CONFIG);
    assert_int_equal(check_full("127.0.0.1:99999", "us.test", 0,
                                CATENA_CAA_ISSUE, NULL, NULL, &err),
                     CATENA_ERR_CONFIG);
    assert_int_equal(check("a..test", 0), CATENA_ERR_INVALID);
    assert_int_equal(check("sp ace.test", 0), CATENA_ERR_INVALID);
    assert_int_equal(check("", 0), CATENA_ERR_INVALID);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(check(longname, 0), CATENA_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permitted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_issuewild),
        cmocka_unit_test(test_climbing),
        cmocka_unit_test(test_cname),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_issuemail),
        cmocka_unit_test(test_rfc8657),
        cmocka_unit_test(test_malformed_values),
        cmocka_unit_test(test_fail_closed),
        cmocka_unit_test(test_silent_resolver),
        cmocka_unit_test(test_truncated_over_tcp),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
