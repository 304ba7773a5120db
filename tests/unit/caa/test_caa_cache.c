/*
 * test_caa_cache.c - the CAA answer cache (ca/dns.c) through
 * catena_caa_check, against a real DNS server on loopback UDP that this
 * file runs in a thread: it answers from rules the tests change, with the
 * TTLs, SOA records and rcodes each test needs, and counts the queries
 * that reach it. That count is what the tests assert: a cached answer is
 * one the server never saw asked again.
 *
 * Expiry is shown with TTLs of 1 s and waits of 2.5 s; nothing asserts
 * that anything happens within a time.
 */
#include <limits.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "../../common/test_tmp.h"
#include "catena/caa.h"
#include "catena/config.h"

#define MAX_RULES 16
/* Longer than any test's TTL-bound wait, so "expired" never races. */
#define PAST_TTL_US 2500000

/*
 * How the server answers a name. |qname| "*.zone" matches every name
 * below zone. The answer section holds a CNAME to |cname| (when set) and
 * one CAA record "0 issue |caa|" owned by |caa_owner| (default the name);
 * the authority section an SOA owned by |soa| (when set).
 */
struct rule {
    const char *qname;
    ldns_pkt_rcode rcode;
    const char *caa;
    const char *caa_owner;
    uint32_t caa_ttl;
    const char *cname;
    uint32_t cname_ttl;
    const char *soa;
    uint32_t soa_ttl, soa_min;
    int soa_short;        /* the SOA's RDATA ends after RNAME */
    unsigned num_padding; /* CAA iodef records of PADDING_LEN bytes each */
    int drop;             /* no answer at all */
};

/* One padding record's value: five of them pass the cache's 4 KiB cap on
 * an entry, while each stays under the CAA parser's value limit. */
#define PADDING_LEN 900

struct server {
    int fd;
    pthread_t th;
    pthread_mutex_t lock;
    struct rule rules[MAX_RULES];
    size_t num_rules;
    unsigned queries;
    char resolver[32];
};

static const char *const ids[] = {"catena.test"};

/* rule_matches: |name| (lower case, no trailing dot) against |pat|. */
static int
rule_matches(const char *pat, const char *name)
{
    size_t pl = strlen(pat), nl = strlen(name);

    if (strncmp(pat, "*.", 2) == 0) {
        return nl > pl - 1 && strcmp(name + nl - (pl - 1), pat + 1) == 0;
    }
    return strcmp(pat, name) == 0;
}

/* push_text parses one presentation-format record into |section|;
 * returns it (owned by |p|), or NULL. */
static ldns_rr *
push_text(ldns_pkt *p, ldns_pkt_section section, const char *fmt, ...)
{
    char line[PADDING_LEN + 512];
    ldns_rr *rr = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK) {
        return NULL;
    }
    ldns_pkt_push_rr(p, section, rr);
    return rr;
}

/* build_answer fills reply |rp| for |name| from the first matching rule;
 * returns 0 when the query is to be dropped. No rule: NODATA, no SOA. */
static int
build_answer(struct server *s, const char *name, ldns_pkt *rp)
{
    const struct rule *r = NULL;

    for (size_t i = 0; i < s->num_rules; i++) {
        if (rule_matches(s->rules[i].qname, name)) {
            r = &s->rules[i];
            break;
        }
    }
    if (r == NULL) {
        return 1;
    }
    if (r->drop) {
        return 0;
    }
    ldns_pkt_set_rcode(rp, (uint8_t)r->rcode);
    if (r->cname != NULL) {
        push_text(rp, LDNS_SECTION_ANSWER, "%s. %u IN CNAME %s.", name,
                  r->cname_ttl, r->cname);
    }
    if (r->caa != NULL) {
        push_text(rp, LDNS_SECTION_ANSWER, "%s. %u IN CAA 0 issue \"%s\"",
                  r->caa_owner != NULL ? r->caa_owner : name, r->caa_ttl,
                  r->caa);
    }
    for (unsigned i = 0; i < r->num_padding; i++) {
        char pad[PADDING_LEN + 1];

        memset(pad, 'a', PADDING_LEN);
        pad[PADDING_LEN] = '\0';
        push_text(rp, LDNS_SECTION_ANSWER, "%s. 3600 IN CAA 0 iodef \"%s\"",
                  name, pad);
    }
    if (r->soa != NULL) {
        ldns_rr *soa =
            push_text(rp, LDNS_SECTION_AUTHORITY,
                      "%s. %u IN SOA ns.%s. hostmaster.%s. 1 7200 900 86400 %u",
                      r->soa, r->soa_ttl, r->soa, r->soa, r->soa_min);

        /* On the wire the RDATA then stops after RNAME: a malformed SOA
         * that ldns still parses, with two fields. */
        while (soa != NULL && r->soa_short && ldns_rr_rd_count(soa) > 2) {
            ldns_rdf_deep_free(ldns_rr_pop_rdf(soa));
        }
    }
    return 1;
}

static void *
server_main(void *arg)
{
    struct server *s = arg;
    uint8_t q[1500];

    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n =
            recvfrom(s->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        ldns_pkt *qp = NULL, *rp = NULL;
        uint8_t *wire = NULL;
        size_t wl = 0;
        char *owner;
        int send_it;

        if (n <= 0) {
            return NULL; /* shut down */
        }
        if (ldns_wire2pkt(&qp, q, (size_t)n) != LDNS_STATUS_OK) {
            continue;
        }
        owner = ldns_rdf2str(
            ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(qp), 0)));
        rp = ldns_pkt_new();
        if (owner == NULL || rp == NULL) {
            free(owner);
            ldns_pkt_free(rp);
            ldns_pkt_free(qp);
            continue;
        }
        owner[strlen(owner) - 1] = '\0'; /* the root dot */
        ldns_pkt_set_id(rp, ldns_pkt_id(qp));
        ldns_pkt_set_qr(rp, true);
        ldns_pkt_set_rd(rp, true);
        ldns_pkt_set_ra(rp, true);
        ldns_pkt_push_rr(
            rp, LDNS_SECTION_QUESTION,
            ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(qp), 0)));
        pthread_mutex_lock(&s->lock);
        s->queries++;
        send_it = build_answer(s, owner, rp);
        pthread_mutex_unlock(&s->lock);
        if (send_it && ldns_pkt2wire(&wire, rp, &wl) == LDNS_STATUS_OK) {
            (void)sendto(s->fd, wire, wl, 0, (struct sockaddr *)&from, fl);
        }
        free(wire);
        free(owner);
        ldns_pkt_free(rp);
        ldns_pkt_free(qp);
    }
}

static void
server_start(struct server *s)
{
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof(sa);

    memset(s, 0, sizeof(*s));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(s->resolver, sizeof(s->resolver), "127.0.0.1:%u",
             ntohs(sa.sin_port));
    assert_int_equal(pthread_mutex_init(&s->lock, NULL), 0);
    assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void
server_stop(struct server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->th, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
}

/* server_set replaces the rules. */
static void
server_set(struct server *s, const struct rule *rules, size_t n)
{
    assert_true(n <= MAX_RULES);
    pthread_mutex_lock(&s->lock);
    memcpy(s->rules, rules, n * sizeof(*rules));
    s->num_rules = n;
    pthread_mutex_unlock(&s->lock);
}

static unsigned
server_queries(struct server *s)
{
    unsigned n;

    pthread_mutex_lock(&s->lock);
    n = s->queries;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static enum catena_rc
check_at(const char *resolver, const char *domain, struct catena_err *err)
{
    struct catena_caa_opts o = {0};

    o.resolver = resolver;
    o.identities = ids;
    o.num_identities = 1;
    o.validation_method = "http-01";
    o.timeout_ms = 300;
    catena_err_clear(err);
    return catena_caa_check(&o, domain, 0, CATENA_CAA_ISSUE, err);
}

static enum catena_rc
check(struct server *s, const char *domain)
{
    struct catena_err err = {0};

    return check_at(s->resolver, domain, &err);
}

static void
set_max_ttl(unsigned seconds)
{
    struct catena_err err = {0};

    assert_int_equal(catena_caa_cache_set_max_ttl(seconds, &err), CATENA_OK);
}

/*
 * expect_asked_again checks |name| twice, PAST_TTL_US apart, and asserts
 * the queries each check made: |first|, then |again| (what had expired).
 */
static void
expect_asked_again(struct server *s, const char *name, unsigned first,
                   unsigned again)
{
    unsigned n = server_queries(s);

    assert_int_equal(check(s, name), CATENA_OK);
    assert_int_equal(server_queries(s) - n, first);
    usleep(PAST_TTL_US);
    n = server_queries(s);
    assert_int_equal(check(s, name), CATENA_OK);
    assert_int_equal(server_queries(s) - n, again);
}

/*
 * expect_not_kept checks each of |names| twice and asserts that both
 * checks asked the server (for the name alone: its parents are kept).
 */
static void
expect_not_kept(struct server *s, const char *const *names, size_t num)
{
    for (size_t i = 0; i < num; i++) {
        unsigned before = server_queries(s);

        assert_int_equal(check(s, names[i]), CATENA_OK);
        assert_int_equal(check(s, names[i]), CATENA_OK);
        print_message("  %s: %u queries for two checks\n", names[i],
                      server_queries(s) - before);
        assert_int_equal(server_queries(s) - before, 2);
    }
}

/* Each test starts from an empty cache with the default cap. */
static int
setup(void **state)
{
    struct catena_err err = {0};

    (void)state;
    return catena_caa_cache_set_max_ttl(CATENA_CAA_CACHE_DEFAULT_MAX_TTL,
                                        &err) == CATENA_OK
               ? 0
               : -1;
}

/* A positive answer is reused within its TTL, and its refusal with it. */
static void
test_positive_within_ttl(void **state)
{
    struct server s;
    struct catena_err err = {0};
    const struct rule rules[] = {
        {.qname = "ok.example.com", .caa = "catena.test", .caa_ttl = 60},
        {.qname = "no.example.com", .caa = "ca.example.net", .caa_ttl = 60},
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 2);
    assert_int_equal(check(&s, "ok.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 1);
    assert_int_equal(check(&s, "OK.Example.COM."), CATENA_OK);
    assert_int_equal(server_queries(&s), 1);
    assert_int_equal(check_at(s.resolver, "no.example.com", &err),
                     CATENA_ERR_CAA);
    assert_int_equal(server_queries(&s), 2);
    assert_int_equal(check_at(s.resolver, "no.example.com", &err),
                     CATENA_ERR_CAA);
    assert_non_null(strstr(err.msg, "ca.example.net"));
    assert_int_equal(server_queries(&s), 2);
    server_stop(&s);
}

/* After its TTL an answer is asked again, and a change is then seen. */
static void
test_positive_after_ttl(void **state)
{
    struct server s;
    const struct rule before[] = {
        {.qname = "short.example.com", .caa = "catena.test", .caa_ttl = 1},
    };
    const struct rule after[] = {
        {.qname = "short.example.com", .caa = "ca.example.net", .caa_ttl = 1},
    };

    (void)state;
    server_start(&s);
    server_set(&s, before, 1);
    assert_int_equal(check(&s, "short.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 1);
    server_set(&s, after, 1);
    usleep(PAST_TTL_US);
    assert_int_equal(check(&s, "short.example.com"), CATENA_ERR_CAA);
    assert_int_equal(server_queries(&s), 2);
    server_stop(&s);
}

/*
 * RFC 2308 5: NXDOMAIN and NODATA with an SOA are kept for
 * min(SOA TTL, MINIMUM), at every level of the climb.
 */
static void
test_negative_with_soa(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "nx.example.com",
         .rcode = LDNS_RCODE_NXDOMAIN,
         .soa = "example.com",
         .soa_ttl = 60,
         .soa_min = 60},
        {.qname = "example.com",
         .soa = "example.com",
         .soa_ttl = 600,
         .soa_min = 60},
        {.qname = "com", .soa = "com", .soa_ttl = 60, .soa_min = 900},
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 3);
    assert_int_equal(check(&s, "nx.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 3);
    assert_int_equal(check(&s, "nx.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 3);
    server_stop(&s);
}

/* The negative TTL is the smaller of the two: MINIMUM 1 s here. */
static void
test_negative_soa_minimum(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "example.org",
         .soa = "example.org",
         .soa_ttl = 3600,
         .soa_min = 1},
        {.qname = "org", .soa = "org", .soa_ttl = 3600, .soa_min = 3600},
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 2);
    /* example.org expires, org does not. */
    expect_asked_again(&s, "example.org", 2, 1);
    server_stop(&s);
}

/*
 * Negative answers that are not kept: no SOA; an SOA of TTL 0 or MINIMUM 0
 * (pebble-challtestsrv answers "challtestsrv.invalid. 0 SOA ... 1"); an
 * SOA whose owner does not enclose the name.
 */
static void
test_negative_not_cached(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "nosoa.example.com", .rcode = LDNS_RCODE_NXDOMAIN},
        {.qname = "nodata.example.com"},
        {.qname = "ttl0.example.com",
         .soa = "example.com",
         .soa_ttl = 0,
         .soa_min = 60},
        {.qname = "min0.example.com",
         .soa = "example.com",
         .soa_ttl = 60,
         .soa_min = 0},
        {.qname = "elsewhere.example.com",
         .rcode = LDNS_RCODE_NXDOMAIN,
         .soa = "challtestsrv.invalid",
         .soa_ttl = 60,
         .soa_min = 60},
        /* The parents are kept, so each check asks for the name alone. */
        {.qname = "example.com",
         .soa = "example.com",
         .soa_ttl = 60,
         .soa_min = 60},
        {.qname = "com", .soa = "com", .soa_ttl = 60, .soa_min = 60},
    };
    static const char *const names[] = {
        "nosoa.example.com", "nodata.example.com",    "ttl0.example.com",
        "min0.example.com",  "elsewhere.example.com",
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 7);
    assert_int_equal(check(&s, "example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 2);
    expect_not_kept(&s, names, sizeof(names) / sizeof(names[0]));
    server_stop(&s);
}

/*
 * Malformed or out-of-range parts of an answer that still parses are
 * never kept: an SOA whose RDATA stops after RNAME (no MINIMUM); TTLs
 * with the top bit set, which RFC 2181 8 reads as 0, on an SOA and on a
 * CAA record; and a positive answer over the 4 KiB cap on an entry.
 */
static void
test_malformed_not_cached(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "short.example.com",
         .soa = "example.com",
         .soa_ttl = 60,
         .soa_min = 60,
         .soa_short = 1},
        {.qname = "soattl.example.com",
         .soa = "example.com",
         .soa_ttl = 0x80000000u,
         .soa_min = 60},
        {.qname = "caattl.example.com",
         .caa = "catena.test",
         .caa_ttl = 0x80000000u},
        {.qname = "big.example.com",
         .caa = "catena.test",
         .caa_ttl = 60,
         .num_padding = 5},
        {.qname = "example.com",
         .soa = "example.com",
         .soa_ttl = 60,
         .soa_min = 60},
        {.qname = "com", .soa = "com", .soa_ttl = 60, .soa_min = 60},
    };
    static const char *const names[] = {
        "short.example.com",
        "soattl.example.com",
        "caattl.example.com",
        "big.example.com",
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 6);
    assert_int_equal(check(&s, "example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 2);
    expect_not_kept(&s, names, sizeof(names) / sizeof(names[0]));
    server_stop(&s);
}

/* Failures are never kept: the next check asks again and sees the fix. */
static void
test_failures_not_cached(void **state)
{
    struct server s;
    struct catena_err err = {0};
    const struct rule broken[] = {
        {.qname = "sf.example.com",
         .rcode = LDNS_RCODE_SERVFAIL,
         .soa = "example.com",
         .soa_ttl = 60,
         .soa_min = 60},
        {.qname = "ref.example.com", .rcode = LDNS_RCODE_REFUSED},
        {.qname = "drop.example.com", .drop = 1},
    };
    const struct rule fixed[] = {
        {.qname = "*.example.com", .caa = "catena.test", .caa_ttl = 60},
    };
    static const char *const names[] = {"sf.example.com", "ref.example.com",
                                        "drop.example.com"};

    (void)state;
    server_start(&s);
    server_set(&s, broken, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(check_at(s.resolver, names[i], &err), CATENA_ERR_DNS);
        assert_int_equal(check_at(s.resolver, names[i], &err), CATENA_ERR_DNS);
        assert_int_equal(server_queries(&s), 2 * (i + 1));
    }
    server_set(&s, fixed, 1);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(check(&s, names[i]), CATENA_OK);
    }
    assert_int_equal(server_queries(&s), 9);
    server_stop(&s);
}

/*
 * A positive answer reached through a CNAME lasts as long as the shortest
 * link: CNAME TTL 1, CAA TTL 3600.
 */
static void
test_cname_ttl(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "alias.example.com",
         .cname = "target.example.net",
         .cname_ttl = 1,
         .caa = "catena.test",
         .caa_owner = "target.example.net",
         .caa_ttl = 3600},
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 1);
    expect_asked_again(&s, "alias.example.com", 1, 1);
    server_stop(&s);
}

/* cache_max_ttl caps a long TTL: 3600 s from the server, 1 s kept. */
static void
test_cap(void **state)
{
    struct server s;
    struct catena_err err = {0};
    const struct rule rules[] = {
        {.qname = "long.example.com", .caa = "catena.test", .caa_ttl = 3600},
    };

    (void)state;
    assert_int_equal(
        catena_caa_cache_set_max_ttl(CATENA_CAA_CACHE_LIMIT_MAX_TTL + 1, &err),
        CATENA_ERR_CONFIG);
    set_max_ttl(CATENA_CAA_CACHE_LIMIT_MAX_TTL);
    set_max_ttl(1);
    server_start(&s);
    server_set(&s, rules, 1);
    expect_asked_again(&s, "long.example.com", 1, 1);
    server_stop(&s);
}

/* A cap of 0 turns the cache off; setting a cap empties it. */
static void
test_disabled(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "off.example.com", .caa = "catena.test", .caa_ttl = 3600},
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 1);
    assert_int_equal(check(&s, "off.example.com"), CATENA_OK);
    assert_int_equal(check(&s, "off.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 1);
    set_max_ttl(0);
    assert_int_equal(check(&s, "off.example.com"), CATENA_OK);
    assert_int_equal(check(&s, "off.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 3);
    set_max_ttl(60);
    assert_int_equal(check(&s, "off.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 4);
    catena_caa_cache_flush();
    assert_int_equal(check(&s, "off.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 5);
    server_stop(&s);
}

/* The key holds the resolver: another server is asked, and believed. */
static void
test_key_has_resolver(void **state)
{
    struct server a, b;
    const struct rule ra[] = {
        {.qname = "two.example.com", .caa = "catena.test", .caa_ttl = 3600},
    };
    const struct rule rb[] = {
        {.qname = "two.example.com", .caa = "ca.example.net", .caa_ttl = 3600},
    };

    (void)state;
    server_start(&a);
    server_start(&b);
    server_set(&a, ra, 1);
    server_set(&b, rb, 1);
    assert_int_equal(check(&a, "two.example.com"), CATENA_OK);
    assert_int_equal(check(&b, "two.example.com"), CATENA_ERR_CAA);
    assert_int_equal(check(&a, "two.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&a), 1);
    assert_int_equal(server_queries(&b), 1);
    server_stop(&a);
    server_stop(&b);
}

/* TXT (dns-01) and addresses are never cached. */
static void
test_only_caa(void **state)
{
    struct server s;
    struct catena_err err = {0};
    const struct rule rules[] = {
        {.qname = "_acme-challenge.example.com",
         .soa = "example.com",
         .soa_ttl = 3600,
         .soa_min = 3600},
    };
    char **vals = NULL;
    size_t num = 0;

    (void)state;
    server_start(&s);
    server_set(&s, rules, 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(catena_dns_txt(s.resolver, 300,
                                        "_acme-challenge.example.com", &vals,
                                        &num, &err),
                         CATENA_OK);
        assert_int_equal(num, 0);
        assert_int_equal(catena_dns_addrs(s.resolver, 300,
                                          "_acme-challenge.example.com", &vals,
                                          &num, &err),
                         CATENA_OK);
        assert_int_equal(num, 0);
    }
    /* One TXT and two address queries per round. */
    assert_int_equal(server_queries(&s), 6);
    server_stop(&s);
}

/*
 * The table has a fixed size: after 3000 distinct names, most of the
 * first are gone (a table that kept them all would answer from memory).
 */
static void
test_bounded(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "*.many.example.com", .caa = "catena.test", .caa_ttl = 3600},
    };
    char name[64];
    unsigned before;

    (void)state;
    server_start(&s);
    server_set(&s, rules, 1);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "n%d.many.example.com", i);
        assert_int_equal(check(&s, name), CATENA_OK);
    }
    assert_int_equal(server_queries(&s), 3000);
    before = server_queries(&s);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "n%d.many.example.com", i);
        assert_int_equal(check(&s, name), CATENA_OK);
    }
    print_message("  3000 names again: %u queries\n",
                  server_queries(&s) - before);
    assert_true(server_queries(&s) - before >= 3000 - 1024);
    server_stop(&s);
}

struct hammer {
    struct server *s;
    int id;
    int failures;
};

static void *
hammer_main(void *arg)
{
    struct hammer *h = arg;
    struct catena_err err = {0};
    char name[64];

    for (int i = 0; i < 300; i++) {
        int refused = i % 3 == 0;

        snprintf(name, sizeof(name), "n%d.%s%d.example.com", i % 40,
                 refused ? "r" : "t", h->id % 2);
        if (check_at(h->s->resolver, name, &err) !=
            (refused ? CATENA_ERR_CAA : CATENA_OK)) {
            h->failures++;
        }
        if (h->id == 0 && i % 50 == 0) {
            catena_caa_cache_flush();
        }
    }
    return NULL;
}

/* Threads looking up, storing and flushing at once get right answers
 * (run under ASan in the sanitizer build). Zones t* permit, r* refuse;
 * *0 answers live 60 s, *1 answers 1 s. */
static void
test_threads(void **state)
{
    struct server s;
    struct hammer h[4];
    pthread_t th[4];
    const struct rule rules[] = {
        {.qname = "*.t0.example.com", .caa = "catena.test", .caa_ttl = 60},
        {.qname = "*.t1.example.com", .caa = "catena.test", .caa_ttl = 1},
        {.qname = "*.r0.example.com", .caa = "ca.example.net", .caa_ttl = 60},
        {.qname = "*.r1.example.com", .caa = "ca.example.net", .caa_ttl = 1},
    };

    (void)state;
    server_start(&s);
    server_set(&s, rules, 4);
    for (int i = 0; i < 4; i++) {
        h[i] = (struct hammer){.s = &s, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &h[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(h[i].failures, 0);
    }
    server_stop(&s);
}

/* [caa] cache_max_ttl: 0 turns the cache off, over 8h is refused. */
static void
test_config(void **state)
{
    struct server s;
    struct catena_err err = {0};
    struct catena_config *cfg = NULL;
    const struct rule rules[] = {
        {.qname = "conf.example.com", .caa = "catena.test", .caa_ttl = 3600},
    };
    char dir[256], path[PATH_MAX];
    FILE *f;

    (void)state;
    assert_non_null(test_mkdtemp(dir, sizeof(dir), "catena-caacache-"));
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[caa]\ncache_max_ttl = 9h\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(catena_config_load(path, catena_core_config_schemas,
                                        catena_core_num_config_schemas, &cfg,
                                        &err),
                     CATENA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "cache_max_ttl"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[caa]\ncache_max_ttl = 0\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(catena_config_load(path, catena_core_config_schemas,
                                        catena_core_num_config_schemas, &cfg,
                                        &err),
                     CATENA_OK);
    assert_int_equal(catena_caa_cache_configure(cfg, &err), CATENA_OK);
    catena_config_free(cfg);
    unlink(path);
    rmdir(dir);

    server_start(&s);
    server_set(&s, rules, 1);
    assert_int_equal(check(&s, "conf.example.com"), CATENA_OK);
    assert_int_equal(check(&s, "conf.example.com"), CATENA_OK);
    assert_int_equal(server_queries(&s), 2);
    server_stop(&s);
}

/*
 * The figure the cache is for: one CAA check of a 4-label name under a
 * zone without CAA (NODATA with the zone's SOA at every level), cold and
 * then warm, and a sibling name under the same zone.
 */
static void
test_measure(void **state)
{
    struct server s;
    const struct rule rules[] = {
        {.qname = "*.bench.example.com",
         .soa = "example.com",
         .soa_ttl = 300,
         .soa_min = 300},
        {.qname = "bench.example.com",
         .soa = "example.com",
         .soa_ttl = 300,
         .soa_min = 300},
        {.qname = "example.com",
         .soa = "example.com",
         .soa_ttl = 300,
         .soa_min = 300},
        {.qname = "com", .soa = "com", .soa_ttl = 900, .soa_min = 86400},
    };
    unsigned n, off_first, off_again, cold, warm, sibling;

    (void)state;
    server_start(&s);
    server_set(&s, rules, 4);
    set_max_ttl(0);
    assert_int_equal(check(&s, "o123-c4-x.bench.example.com"), CATENA_OK);
    off_first = server_queries(&s);
    n = server_queries(&s);
    assert_int_equal(check(&s, "o123-c4-x.bench.example.com"), CATENA_OK);
    off_again = server_queries(&s) - n;
    set_max_ttl(CATENA_CAA_CACHE_DEFAULT_MAX_TTL);
    n = server_queries(&s);
    assert_int_equal(check(&s, "o123-c4-x.bench.example.com"), CATENA_OK);
    cold = server_queries(&s) - n;
    n = server_queries(&s);
    assert_int_equal(check(&s, "o123-c4-x.bench.example.com"), CATENA_OK);
    warm = server_queries(&s) - n;
    n = server_queries(&s);
    assert_int_equal(check(&s, "o124-c4-x.bench.example.com"), CATENA_OK);
    sibling = server_queries(&s) - n;
    print_message("  CAA check of o123-c4-x.bench.example.com, DNS exchanges "
                  "seen by the server: cache off %u, again %u; cache on: "
                  "cold %u, warm %u; sibling o124-c4-x.bench.example.com "
                  "%u\n",
                  off_first, off_again, cold, warm, sibling);
    assert_int_equal(off_first, 4);
    assert_int_equal(off_again, 4);
    assert_int_equal(cold, 4);
    assert_int_equal(warm, 0);
    assert_int_equal(sibling, 1);
    server_stop(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_positive_within_ttl, setup),
        cmocka_unit_test_setup(test_positive_after_ttl, setup),
        cmocka_unit_test_setup(test_negative_with_soa, setup),
        cmocka_unit_test_setup(test_negative_soa_minimum, setup),
        cmocka_unit_test_setup(test_negative_not_cached, setup),
        cmocka_unit_test_setup(test_malformed_not_cached, setup),
        cmocka_unit_test_setup(test_failures_not_cached, setup),
        cmocka_unit_test_setup(test_cname_ttl, setup),
        cmocka_unit_test_setup(test_cap, setup),
        cmocka_unit_test_setup(test_disabled, setup),
        cmocka_unit_test_setup(test_key_has_resolver, setup),
        cmocka_unit_test_setup(test_only_caa, setup),
        cmocka_unit_test_setup(test_bounded, setup),
        cmocka_unit_test_setup(test_threads, setup),
        cmocka_unit_test_setup(test_config, setup),
        cmocka_unit_test_setup(test_measure, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    catena_caa_cache_flush();
    return rc;
}
