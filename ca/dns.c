/*
 * dns.c - DNS lookups through one explicit ldns resolver, for CAA (caa.c)
 * and ACME validation (catena_dns_txt/addrs in caa.h). The resolver is a
 * recursive server we are configured with; we check that each answer
 * belongs to our question, refuse anything but NOERROR/NXDOMAIN, refuse
 * truncated answers, and follow CNAME chains ourselves when the server
 * did not finish them. Every failure is CATENA_ERR_DNS: a lookup we could
 * not complete must never read as "no records" (fail closed).
 *
 * UDP queries go out on sockets of our own, one per lookup and nameserver,
 * connected to the nameserver so the kernel drops datagrams from anyone
 * else: ldns opened, configured and closed a socket per query, which was
 * most of a query's cost (a CAA check is one query per label). A new
 * lookup gets a new socket, so each lookup still has its own source port.
 * ldns builds and parses the packets, and a truncated answer is asked
 * again over TCP through ldns.
 *
 * CAA answers, and only those, are kept in a process-wide cache (the last
 * part of this file) for their DNS TTL: a CAA check asks every parent of
 * the name, and those are the same for every order under one zone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "catena/caa.h"
#include "catena/config.h"
#include "dns.h"

#define DEFAULT_TIMEOUT_MS 5000u
/* Queries one lookup may send, CNAME restarts included. */
#define MAX_QUERIES (CATENA_DNS_MAX_CNAMES + 1)
/* Longest TXT value we return: dns-01 values are 43 characters. */
#define MAX_TXT_LEN 4096

enum catena_rc
catena_dns_canon(const char *name, char out[CATENA_DNS_MAX_NAME + 1],
                 struct catena_err *err)
{
    size_t len, label = 0;

    if (name == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "no DNS name");
    }
    len = strnlen(name, CATENA_DNS_MAX_NAME + 2);
    if (len > 0 && name[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > CATENA_DNS_MAX_NAME) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "DNS name empty or too long");
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0) {
                return catena_err_set(err, CATENA_ERR_INVALID,
                                      "DNS name has an empty label");
            }
            label = 0;
            out[i] = '.';
            continue;
        }
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c - 'A' + 'a');
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_')) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "DNS name has a character outside LDH");
        }
        if (++label > 63) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "DNS label longer than 63 octets");
        }
        out[i] = (char)c;
    }
    out[len] = '\0';
    return CATENA_OK;
}

/* parse_spec splits "ip:port", "[ip6]:port" or a bare IP. */
static enum catena_rc
parse_spec(const char *spec, char host[64], uint16_t *port,
           struct catena_err *err)
{
    const char *colon = strrchr(spec, ':');
    const char *h = spec, *p = NULL;
    size_t hl;
    int64_t v = 53;

    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            goto bad;
        }
        h = spec + 1;
        hl = (size_t)(close - h);
        p = close[1] == ':' ? close + 2 : NULL;
    } else if (colon != NULL && strchr(spec, ':') == colon) {
        hl = (size_t)(colon - spec);
        p = colon + 1;
    } else {
        hl = strlen(spec); /* a bare IPv4 or IPv6 address */
    }
    if (hl == 0 || hl >= 64) {
        goto bad;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (p != NULL && catena_parse_int64(p, 1, 65535, &v) != CATENA_OK) {
        goto bad;
    }
    *port = (uint16_t)v;
    return CATENA_OK;
bad:
    return catena_err_set(err, CATENA_ERR_CONFIG,
                          "DNS resolver \"%.80s\" is not ip:port", spec);
}

/* resolver_new builds the ldns resolver for |spec| (see caa.h) with
 * |timeout_ms| (not 0) per query and a single try. CATENA_ERR_CONFIG for
 * a bad spec. */
static enum catena_rc
resolver_new(const char *spec, unsigned timeout_ms, ldns_resolver **out,
             struct catena_err *err)
{
    ldns_resolver *res = NULL;
    ldns_rdf *ns = NULL;
    enum catena_rc rc;
    struct timeval tv;
    char host[64];
    uint16_t port = 53;
    unsigned char addr[16];

    *out = NULL;
    if (spec == NULL) {
        if (ldns_resolver_new_frm_file(&res, NULL) != LDNS_STATUS_OK) {
            return catena_err_set(err, CATENA_ERR_DNS,
                                  "cannot read the system resolver");
        }
    } else {
        rc = parse_spec(spec, host, &port, err);
        if (rc != CATENA_OK) {
            return rc;
        }
        if (inet_pton(AF_INET, host, addr) == 1) {
            ns = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, addr);
        } else if (inet_pton(AF_INET6, host, addr) == 1) {
            ns = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, addr);
        } else {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "DNS resolver \"%.80s\" is not an IP",
                                  spec);
        }
        res = ldns_resolver_new();
        if (ns == NULL || res == NULL ||
            ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "ldns resolver");
            goto out;
        }
        ldns_resolver_set_port(res, port);
    }
    tv.tv_sec = (time_t)(timeout_ms / 1000);
    tv.tv_usec = (suseconds_t)((timeout_ms % 1000) * 1000);
    ldns_resolver_set_timeout(res, tv);
    /* One try per query: the caller's deadline is the whole budget. */
    ldns_resolver_set_retry(res, 1);
    ldns_resolver_set_retrans(res, 1);
    ldns_resolver_set_recursive(res, true);
    ldns_resolver_set_dnssec(res, false);
    ldns_resolver_set_usevc(res, false);
    /* A truncated UDP answer is retried over TCP, as RFC 7766 asks. */
    ldns_resolver_set_fallback(res, true);
    ldns_resolver_set_random(res, false);
    ldns_resolver_set_defnames(res, false);
    ldns_resolver_set_dnsrch(res, false);
    *out = res;
    res = NULL;
    rc = CATENA_OK;
out:
    ldns_rdf_deep_free(ns);
    if (res != NULL) {
        ldns_resolver_deep_free(res);
    }
    return rc;
}

/* Most nameservers one lookup tries (resolv.conf allows 3). */
#define MAX_NS 8
/* Query ids drawn at once: one CSPRNG call covers a CAA climb of up to
 * eight labels instead of one call per query. */
#define NUM_IDS 8

/* "addr#port," for each nameserver: the resolver part of a cache key. */
#define CACHE_NS_MAX (MAX_NS * (INET6_ADDRSTRLEN + 8))
/* A whole cache key: nameservers, "|", name, "|", type. */
#define CACHE_KEY_MAX (CACHE_NS_MAX + CATENA_DNS_MAX_NAME + 16)

struct catena_dns {
    ldns_resolver *res;
    unsigned timeout_ms;
    size_t num_ns;
    char cache_ns[CACHE_NS_MAX]; /* "" when the cache is not to be used */
    int fd[MAX_NS];   /* connected UDP socket, -1 until first used */
    int dead[MAX_NS]; /* failed once in this lookup: not asked again */
    uint8_t *buf;     /* one datagram, LDNS_MAX_PACKETLEN */
    uint16_t ids[NUM_IDS];
    size_t num_ids;   /* unused ids left in ids[] */
};

static void cache_ns_key(struct catena_dns *d);
static int cache_key(const struct catena_dns *d, const char *name,
                     ldns_rr_type type, char key[CACHE_KEY_MAX]);
static int cache_get(const char *key, ldns_rr_list **out);
static void cache_put(const char *key, const ldns_rr_list *rrs, uint32_t ttl,
                      int64_t t0_ms);
static int64_t mono_ms(void);

void
catena_dns_close(struct catena_dns *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->num_ns; i++) {
        if (d->fd[i] >= 0) {
            close(d->fd[i]);
        }
    }
    if (d->res != NULL) {
        ldns_resolver_deep_free(d->res);
    }
    free(d->buf);
    free(d);
}

enum catena_rc
catena_dns_open(const char *spec, unsigned timeout_ms,
                struct catena_dns **out, struct catena_err *err)
{
    struct catena_dns *d = calloc(1, sizeof(*d));
    enum catena_rc rc;

    *out = NULL;
    if (d == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "DNS client");
    }
    d->timeout_ms = timeout_ms != 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    if ((rc = resolver_new(spec, d->timeout_ms, &d->res, err)) != CATENA_OK) {
        catena_dns_close(d);
        return rc;
    }
    d->num_ns = ldns_resolver_nameserver_count(d->res);
    if (d->num_ns > MAX_NS) {
        d->num_ns = MAX_NS;
    }
    for (size_t i = 0; i < MAX_NS; i++) {
        d->fd[i] = -1;
    }
    cache_ns_key(d);
    *out = d;
    return CATENA_OK;
}

/* ns_socket returns the connected UDP socket for nameserver |i|, opening
 * it on first use; -1 if that fails. */
static int
ns_socket(struct catena_dns *d, size_t i)
{
    struct sockaddr_storage *sa;
    size_t sa_len = 0;
    int fd;

    if (d->fd[i] >= 0) {
        return d->fd[i];
    }
    sa = ldns_rdf2native_sockaddr_storage(
        ldns_resolver_nameservers(d->res)[i], ldns_resolver_port(d->res),
        &sa_len);
    if (sa == NULL) {
        return -1;
    }
    fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)sa, (socklen_t)sa_len) != 0) {
        close(fd);
        fd = -1;
    }
    free(sa);
    d->fd[i] = fd;
    return fd;
}

/* wait_readable waits up to |ms| for |fd|; 1 when readable, else 0. */
static int
wait_readable(int fd, unsigned ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t deadline = mono_ms() + ms, left = ms;

    for (;;) {
        int n = poll(&p, 1, (int)left);
        if (n > 0) {
            return (p.revents & (POLLIN | POLLERR)) != 0;
        }
        if (n == 0 || errno != EINTR) {
            return 0;
        }
        left = deadline - mono_ms();
        if (left <= 0) {
            return 0;
        }
    }
}

/*
 * udp_exchange sends |wire| to each nameserver in turn until one answers
 * within the timeout and parses the first datagram it sends back into
 * |*ans| (the caller checks it is ours). A nameserver that fails is not
 * asked again in this lookup, as ldns does. No answer at all, or one that
 * does not parse, is CATENA_ERR_DNS. A stray datagram left on the socket
 * by an earlier query (a duplicate) is read as this query's answer and
 * refused by the caller as not ours: a failed lookup, never a wrong one.
 */
static enum catena_rc
udp_exchange(struct catena_dns *d, const uint8_t *wire, size_t wire_len,
             const char *name, ldns_pkt **ans, struct catena_err *err)
{
    *ans = NULL;
    if (d->buf == NULL && (d->buf = malloc(LDNS_MAX_PACKETLEN)) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "DNS buffer");
    }
    for (size_t i = 0; i < d->num_ns; i++) {
        int fd;
        ssize_t n;

        if (d->dead[i] || (fd = ns_socket(d, i)) < 0) {
            d->dead[i] = 1;
            continue;
        }
        if (send(fd, wire, wire_len, 0) != (ssize_t)wire_len ||
            !wait_readable(fd, d->timeout_ms) ||
            (n = recv(fd, d->buf, LDNS_MAX_PACKETLEN, 0)) <= 0) {
            d->dead[i] = 1;
            continue;
        }
        if (ldns_wire2pkt(ans, d->buf, (size_t)n) != LDNS_STATUS_OK) {
            *ans = NULL;
            return catena_err_set(err, CATENA_ERR_DNS,
                                  "DNS answer for %s does not parse", name);
        }
        return CATENA_OK;
    }
    return catena_err_set(err, CATENA_ERR_DNS,
                          "DNS query for %s: no answer from the resolver",
                          name);
}

/*
 * exchange asks |query| over UDP and, when the answer is truncated, again
 * over TCP (RFC 7766) through ldns.
 */
static enum catena_rc
exchange(struct catena_dns *d, ldns_pkt *query, const char *name,
         ldns_pkt **ans, struct catena_err *err)
{
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    ldns_status st;
    enum catena_rc rc;

    *ans = NULL;
    if (ldns_pkt2wire(&wire, query, &wire_len) != LDNS_STATUS_OK) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "DNS query for %s",
                              name);
    }
    rc = udp_exchange(d, wire, wire_len, name, ans, err);
    free(wire);
    if (rc != CATENA_OK || !ldns_pkt_tc(*ans)) {
        return rc;
    }
    ldns_pkt_free(*ans);
    *ans = NULL;
    ldns_resolver_set_usevc(d->res, true);
    st = ldns_resolver_send_pkt(ans, d->res, query);
    ldns_resolver_set_usevc(d->res, false);
    if (st != LDNS_STATUS_OK || *ans == NULL) {
        ldns_pkt_free(*ans);
        *ans = NULL;
        return catena_err_set(err, CATENA_ERR_DNS, "DNS query for %s: %s",
                              name,
                              st != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(st)
                                                   : "no answer over TCP");
    }
    return CATENA_OK;
}

/* next_id returns an unpredictable query id in |*id|; -1 if the CSPRNG
 * fails. */
static int
next_id(struct catena_dns *d, uint16_t *id)
{
    if (d->num_ids == 0) {
        if (RAND_bytes((unsigned char *)d->ids, sizeof(d->ids)) != 1) {
            return -1;
        }
        d->num_ids = NUM_IDS;
    }
    *id = d->ids[--d->num_ids];
    return 0;
}

/* send_one sends one query and checks that the answer is ours and usable. */
static enum catena_rc
send_one(struct catena_dns *d, const char *name, ldns_rr_type type,
         ldns_pkt **out, struct catena_err *err)
{
    ldns_rdf *qname = NULL;
    ldns_pkt *query = NULL, *ans = NULL;
    ldns_rr *q;
    ldns_pkt_rcode rcode;
    enum catena_rc rc;
    char fqdn[CATENA_DNS_MAX_NAME + 2];
    size_t n = strlen(name);
    uint16_t id = 0;

    *out = NULL;
    memcpy(fqdn, name, n);
    fqdn[n] = '.';
    fqdn[n + 1] = '\0';
    qname = ldns_dname_new_frm_str(fqdn);
    if (qname == NULL) {
        rc = catena_err_set(err, CATENA_ERR_INVALID, "bad DNS name %s", name);
        goto out;
    }
    if (next_id(d, &id) != 0) {
        rc = catena_err_set(err, CATENA_ERR_CRYPTO, "RAND_bytes failed");
        goto out;
    }
    /* The resolver's settings (resolver_new: no EDNS, no DO bit) shape
     * the query; only its id is ours. */
    if (ldns_resolver_prepare_query_pkt(&query, d->res, qname, type,
                                        LDNS_RR_CLASS_IN,
                                        LDNS_RD) != LDNS_STATUS_OK) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "DNS query for %s", name);
        goto out;
    }
    ldns_pkt_set_id(query, id);
    if ((rc = exchange(d, query, name, &ans, err)) != CATENA_OK) {
        goto out;
    }
    if (!ldns_pkt_qr(ans) || ldns_pkt_id(ans) != ldns_pkt_id(query)) {
        rc = catena_err_set(err, CATENA_ERR_DNS,
                            "DNS answer for %s is not a reply to our query",
                            name);
        goto out;
    }
    if (ldns_pkt_tc(ans)) {
        rc = catena_err_set(err, CATENA_ERR_DNS,
                            "DNS answer for %s is truncated", name);
        goto out;
    }
    rcode = ldns_pkt_get_rcode(ans);
    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
        ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rcode);
        rc = catena_err_set(err, CATENA_ERR_DNS, "DNS query for %s: %s", name,
                            lt != NULL ? lt->name : "unknown rcode");
        goto out;
    }
    q = ldns_rr_list_rr(ldns_pkt_question(ans), 0);
    if (ldns_pkt_qdcount(ans) != 1 || q == NULL ||
        ldns_rr_get_type(q) != type ||
        ldns_dname_compare(ldns_rr_owner(q), qname) != 0) {
        rc = catena_err_set(err, CATENA_ERR_DNS,
                            "DNS answer for %s has another question", name);
        goto out;
    }
    if (ldns_rr_list_rr_count(ldns_pkt_answer(ans)) >
        CATENA_DNS_MAX_RRS + CATENA_DNS_MAX_CNAMES) {
        rc = catena_err_set(err, CATENA_ERR_DNS,
                            "DNS answer for %s has too many records", name);
        goto out;
    }
    *out = ans;
    ans = NULL;
    rc = CATENA_OK;
out:
    ldns_rdf_deep_free(qname);
    ldns_pkt_free(query);
    ldns_pkt_free(ans);
    return rc;
}

/* ttl_value reads a TTL as RFC 2181 8 says: one with the top bit set is 0. */
static uint32_t
ttl_value(uint32_t t)
{
    return t > 0x7fffffffu ? 0 : t;
}

static uint32_t
min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/*
 * walk_chain follows CNAMEs from |cur| inside |ans|: it leaves in |cur| the
 * last name of the chain and appends to |found| copies of the |type|
 * records owned by it. |*ttl| is lowered to the TTL of every record it
 * uses, CNAMEs followed included. Returns -1 on a chain longer than we
 * allow.
 */
static int
walk_chain(ldns_pkt *ans, ldns_rdf **cur, ldns_rr_type type,
           ldns_rr_list *found, unsigned *hops, uint32_t *ttl)
{
    ldns_rr_list *an = ldns_pkt_answer(ans);
    size_t n = ldns_rr_list_rr_count(an);

    for (;;) {
        ldns_rdf *next = NULL;
        uint32_t next_ttl = 0;
        for (size_t i = 0; i < n; i++) {
            ldns_rr *rr = ldns_rr_list_rr(an, i);
            if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
                ldns_dname_compare(ldns_rr_owner(rr), *cur) != 0) {
                continue;
            }
            if (ldns_rr_get_type(rr) == type) {
                ldns_rr *c = ldns_rr_clone(rr);
                if (c == NULL || !ldns_rr_list_push_rr(found, c)) {
                    ldns_rr_free(c);
                    return -2;
                }
                *ttl = min_u32(*ttl, ttl_value(ldns_rr_ttl(rr)));
            } else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
                       type != LDNS_RR_TYPE_CNAME &&
                       ldns_rr_rd_count(rr) == 1) {
                next = ldns_rr_rdf(rr, 0);
                next_ttl = ttl_value(ldns_rr_ttl(rr));
            }
        }
        if (ldns_rr_list_rr_count(found) > 0 || next == NULL) {
            return 0;
        }
        *ttl = min_u32(*ttl, next_ttl);
        if (++*hops > CATENA_DNS_MAX_CNAMES) {
            return -1;
        }
        ldns_rdf_deep_free(*cur);
        *cur = ldns_rdf_clone(next);
        if (*cur == NULL) {
            return -2;
        }
    }
}

/*
 * negative_ttl is how long the negative answer |ans| for |name| may be
 * reused (RFC 2308 5): min(TTL, MINIMUM) of the SOA in its authority
 * section. 0 (not to be kept) without such an SOA, or with one that is
 * malformed or owned by a name that does not enclose |name|: that SOA
 * says nothing about |name|'s zone.
 */
static uint32_t
negative_ttl(const ldns_pkt *ans, const ldns_rdf *name)
{
    const ldns_rr_list *ns = ldns_pkt_authority(ans);
    uint32_t ttl = UINT32_MAX;

    for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(ns, i);
        const ldns_rdf *owner = ldns_rr_owner(rr), *minimum;

        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
            ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
            continue;
        }
        if (owner == NULL || (ldns_dname_compare(owner, name) != 0 &&
                              !ldns_dname_is_subdomain(name, owner))) {
            return 0;
        }
        minimum = ldns_rr_rd_count(rr) == 7 ? ldns_rr_rdf(rr, 6) : NULL;
        if (minimum == NULL || ldns_rdf_size(minimum) != 4) {
            return 0;
        }
        ttl = min_u32(ttl, min_u32(ttl_value(ldns_rr_ttl(rr)),
                                   ttl_value(ldns_rdf2native_int32(minimum))));
    }
    return ttl == UINT32_MAX ? 0 : ttl;
}

/*
 * resolve is catena_dns_query without the cache: it asks the network and
 * sets |*ttl| to how long the result may be reused, 0 when not at all.
 *
 * The TTL is taken here, where the CNAMEs are seen, not per packet: the
 * cache keeps what catena_dns_query returns for the name asked, the
 * records at the end of the chain, so that result lasts only as long as
 * every link that led to it. A CAA check may then reuse "alias has CAA x"
 * without asking again for the alias, the CNAME, or its target.
 */
static enum catena_rc
resolve(struct catena_dns *d, const char *name, ldns_rr_type type,
        ldns_rr_list **out, uint32_t *ttl, struct catena_err *err)
{
    ldns_rr_list *found = ldns_rr_list_new();
    ldns_pkt *ans = NULL;
    ldns_rdf *cur = NULL, *asked = NULL;
    char fqdn[CATENA_DNS_MAX_NAME + 2], qn[CATENA_DNS_MAX_NAME + 1];
    unsigned hops = 0;
    uint32_t min_ttl = UINT32_MAX;
    enum catena_rc rc;
    size_t n = strlen(name);

    *out = NULL;
    *ttl = 0;
    if (found == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "ldns list");
    }
    if (n > CATENA_DNS_MAX_NAME) {
        rc = catena_err_set(err, CATENA_ERR_INVALID, "DNS name too long");
        goto out;
    }
    memcpy(qn, name, n + 1);
    for (int q = 0; q < MAX_QUERIES; q++) {
        int w;
        ldns_pkt_free(ans);
        ans = NULL;
        rc = send_one(d, qn, type, &ans, err);
        if (rc != CATENA_OK) {
            goto out;
        }
        memcpy(fqdn, qn, strlen(qn));
        fqdn[strlen(qn)] = '.';
        fqdn[strlen(qn) + 1] = '\0';
        ldns_rdf_deep_free(asked);
        asked = ldns_dname_new_frm_str(fqdn);
        ldns_rdf_deep_free(cur);
        cur = ldns_rdf_clone(asked);
        if (asked == NULL || cur == NULL) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "ldns name");
            goto out;
        }
        w = walk_chain(ans, &cur, type, found, &hops, &min_ttl);
        if (w == -1) {
            rc = catena_err_set(err, CATENA_ERR_DNS,
                                "CNAME chain from %s is too long", name);
            goto out;
        }
        if (w < 0) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "ldns copy");
            goto out;
        }
        if (ldns_rr_list_rr_count(found) > CATENA_DNS_MAX_RRS) {
            rc = catena_err_set(err, CATENA_ERR_DNS,
                                "too many records for %s", name);
            goto out;
        }
        /*
         * Done when we have records, when the chain did not move, or when
         * the server said the chain's target does not exist. Otherwise the
         * server stopped at a CNAME: ask for its target ourselves.
         */
        if (ldns_rr_list_rr_count(found) > 0 ||
            ldns_dname_compare(cur, asked) == 0 ||
            ldns_pkt_get_rcode(ans) == LDNS_RCODE_NXDOMAIN) {
            if (ldns_rr_list_rr_count(found) == 0) {
                min_ttl = min_u32(min_ttl, negative_ttl(ans, cur));
            }
            *ttl = min_ttl == UINT32_MAX ? 0 : min_ttl;
            *out = found;
            found = NULL;
            rc = CATENA_OK;
            goto out;
        }
        {
            char *s = ldns_rdf2str(cur);
            struct catena_err e2 = {0};
            enum catena_rc crc =
                s != NULL ? catena_dns_canon(s, qn, &e2) : CATENA_ERR_NOMEM;
            free(s);
            if (crc != CATENA_OK) {
                rc = catena_err_set(err, CATENA_ERR_DNS,
                                    "bad CNAME target under %s", name);
                goto out;
            }
        }
    }
    rc = catena_err_set(err, CATENA_ERR_DNS, "CNAME chain from %s too long",
                        name);
out:
    ldns_pkt_free(ans);
    ldns_rdf_deep_free(cur);
    ldns_rdf_deep_free(asked);
    if (found != NULL) {
        ldns_rr_list_deep_free(found);
    }
    return rc;
}

enum catena_rc
catena_dns_query(struct catena_dns *d, const char *name, ldns_rr_type type,
                 ldns_rr_list **out, struct catena_err *err)
{
    char key[CACHE_KEY_MAX];
    /* Only CAA: dns-01 must see a TXT record the moment it is published,
     * and http-01 and tls-alpn-01 connect where the name points now. */
    int cached = type == LDNS_RR_TYPE_CAA && cache_key(d, name, type, key);
    uint32_t ttl = 0;
    int64_t t0;
    enum catena_rc rc;

    *out = NULL;
    if (cached && cache_get(key, out)) {
        return CATENA_OK;
    }
    /* The TTL runs from before the question left: the entry never
     * outlives what the resolver allowed. */
    t0 = mono_ms();
    rc = resolve(d, name, type, out, &ttl, err);
    if (rc == CATENA_OK && cached) {
        cache_put(key, *out, ttl, t0);
    }
    return rc;
}

void
catena_dns_strings_free(char **vals, size_t num)
{
    if (vals == NULL) {
        return;
    }
    for (size_t i = 0; i < num; i++) {
        free(vals[i]);
    }
    free(vals);
}

/* txt_value joins one TXT record's character-strings; NULL if unusable. */
static char *
txt_value(const ldns_rr *rr)
{
    size_t total = 0, off = 0, nrd = ldns_rr_rd_count(rr);
    char *v;

    for (size_t i = 0; i < nrd; i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        /* An ldns STR rdf is a length octet followed by that many bytes. */
        if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR ||
            ldns_rdf_size(f) < 1 ||
            ldns_rdf_data(f)[0] != ldns_rdf_size(f) - 1) {
            return NULL;
        }
        total += ldns_rdf_size(f) - 1;
        if (total > MAX_TXT_LEN) {
            return NULL;
        }
    }
    v = malloc(total + 1);
    if (v == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < nrd; i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        size_t l = ldns_rdf_size(f) - 1;
        memcpy(v + off, ldns_rdf_data(f) + 1, l);
        off += l;
    }
    v[off] = '\0';
    if (memchr(v, '\0', off) != NULL) {
        free(v);
        return NULL;
    }
    return v;
}

/*
 * push_str appends |s| to a string array sized for |cap| entries; |s| is
 * taken (freed on failure).
 */
static int
push_str(char ***vals, size_t *num, size_t cap, char *s)
{
    if (*vals == NULL) {
        *vals = calloc(cap + 1, sizeof(**vals));
        if (*vals == NULL) {
            free(s);
            return -1;
        }
    }
    (*vals)[(*num)++] = s;
    return 0;
}

enum catena_rc
catena_dns_lookup_start(const char *spec, unsigned timeout_ms,
                        const char *name, char canon[CATENA_DNS_MAX_NAME + 1],
                        struct catena_dns **d, struct catena_err *err)
{
    enum catena_rc rc = catena_dns_canon(name, canon, err);

    *d = NULL;
    if (rc != CATENA_OK) {
        return rc;
    }
    return catena_dns_open(spec, timeout_ms, d, err);
}

enum catena_rc
catena_dns_txt(const char *resolver, unsigned timeout_ms, const char *name,
               char ***vals, size_t *num, struct catena_err *err)
{
    struct catena_dns *d = NULL;
    ldns_rr_list *rrs = NULL;
    char canon[CATENA_DNS_MAX_NAME + 1];
    enum catena_rc rc;
    size_t n;

    *vals = NULL;
    *num = 0;
    rc = catena_dns_lookup_start(resolver, timeout_ms, name, canon, &d, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    rc = catena_dns_query(d, canon, LDNS_RR_TYPE_TXT, &rrs, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    n = ldns_rr_list_rr_count(rrs);
    for (size_t i = 0; i < n; i++) {
        char *v = txt_value(ldns_rr_list_rr(rrs, i));
        if (v == NULL) {
            continue; /* over the cap or holding a NUL: matches nothing */
        }
        if (push_str(vals, num, n, v) != 0) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "TXT values");
            goto out;
        }
    }
    rc = CATENA_OK;
out:
    if (rc != CATENA_OK) {
        catena_dns_strings_free(*vals, *num);
        *vals = NULL;
        *num = 0;
    }
    if (rrs != NULL) {
        ldns_rr_list_deep_free(rrs);
    }
    catena_dns_close(d);
    return rc;
}

enum catena_rc
catena_dns_addrs(const char *resolver, unsigned timeout_ms, const char *name,
                 char ***addrs, size_t *num, struct catena_err *err)
{
    static const ldns_rr_type types[] = {LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_A};
    struct catena_dns *d = NULL;
    ldns_rr_list *rrs[2] = {NULL, NULL};
    char canon[CATENA_DNS_MAX_NAME + 1];
    enum catena_rc rc;
    size_t total;

    *addrs = NULL;
    *num = 0;
    rc = catena_dns_lookup_start(resolver, timeout_ms, name, canon, &d, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    for (int t = 0; t < 2; t++) {
        rc = catena_dns_query(d, canon, types[t], &rrs[t], err);
        if (rc != CATENA_OK) {
            goto out;
        }
    }
    total = ldns_rr_list_rr_count(rrs[0]) + ldns_rr_list_rr_count(rrs[1]);
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(rrs[t]); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(rrs[t], i);
            const ldns_rdf *f = ldns_rr_rd_count(rr) == 1
                                    ? ldns_rr_rdf(rr, 0)
                                    : NULL;
            char buf[INET6_ADDRSTRLEN];
            int af = t == 0 ? AF_INET6 : AF_INET;
            size_t want = t == 0 ? 16 : 4;
            char *s;
            if (f == NULL || ldns_rdf_size(f) != want ||
                inet_ntop(af, ldns_rdf_data(f), buf, sizeof(buf)) == NULL) {
                rc = catena_err_set(err, CATENA_ERR_DNS,
                                    "malformed address record for %s", canon);
                goto out;
            }
            s = strdup(buf);
            if (s == NULL || push_str(addrs, num, total, s) != 0) {
                rc = catena_err_set(err, CATENA_ERR_NOMEM, "addresses");
                goto out;
            }
        }
    }
    rc = CATENA_OK;
out:
    if (rc != CATENA_OK) {
        catena_dns_strings_free(*addrs, *num);
        *addrs = NULL;
        *num = 0;
    }
    for (int t = 0; t < 2; t++) {
        if (rrs[t] != NULL) {
            ldns_rr_list_deep_free(rrs[t]);
        }
    }
    catena_dns_close(d);
    return rc;
}

/* ---- the CAA answer cache ---------------------------------------------- */

/*
 * One table for the whole process, because the callers that check CAA (the
 * ACME workers, the issuing core) each open a new client per check and
 * share nothing else; it is the one mutable global of the core besides
 * signal flags, and it holds public DNS data only, nothing secret a forked
 * child could leak.
 *
 * Memory is bounded: CACHE_SETS x CACHE_WAYS entries of at most
 * CACHE_ENTRY_MAX_BYTES of records each (about 4 MiB of record data in
 * all). A key hashes to one set of CACHE_WAYS entries; a new answer takes
 * the slot of its own key, else a free or expired one, else the least
 * recently used. The hash is not keyed: names chosen to collide can only
 * evict entries, which costs a query, never a wrong answer.
 *
 * The mutex guards the table only; nobody holds it across network I/O.
 * A hit is cloned out under it, so the caller owns what it gets.
 */
#define CACHE_SETS 256
#define CACHE_WAYS 4
#define CACHE_ENTRY_MAX_BYTES 4096

struct cache_entry {
    char *key; /* NULL: a free slot */
    uint64_t hash;
    ldns_rr_list *rrs;  /* the answer: empty for NXDOMAIN or NODATA */
    int64_t expires_ms; /* CLOCK_MONOTONIC */
    uint64_t used;      /* LRU stamp */
};

static struct {
    pthread_mutex_t lock;
    unsigned max_ttl; /* seconds; 0 = the cache is off */
    uint64_t stamp;
    struct cache_entry e[CACHE_SETS][CACHE_WAYS];
} caa_cache = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .max_ttl = CATENA_CAA_CACHE_DEFAULT_MAX_TTL,
};

static int64_t
mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* cache_ns_key writes the nameservers of |d| as "addr#port,..." into
 * d->cache_ns, or leaves it empty (the cache unused) if it cannot. */
static void
cache_ns_key(struct catena_dns *d)
{
    ldns_rdf **ns = ldns_resolver_nameservers(d->res);
    size_t off = 0;

    d->cache_ns[0] = '\0';
    for (size_t i = 0; i < d->num_ns; i++) {
        char *a = ldns_rdf2str(ns[i]);
        int n = a != NULL ? snprintf(d->cache_ns + off,
                                     sizeof(d->cache_ns) - off, "%s#%u,", a,
                                     (unsigned)ldns_resolver_port(d->res))
                          : -1;

        free(a);
        if (n < 0 || (size_t)n >= sizeof(d->cache_ns) - off) {
            d->cache_ns[0] = '\0';
            return;
        }
        off += (size_t)n;
    }
}

/* cache_key writes the key of (|d|'s nameservers, |name|, |type|) into
 * |key|; 0 when there is none (the cache is then unused). |name| is taken
 * as spelled: the CAA check (caa.c) asks with lower-cased names, and a
 * name spelled otherwise only misses the cache, never gets another
 * name's answer. */
static int
cache_key(const struct catena_dns *d, const char *name, ldns_rr_type type,
          char key[CACHE_KEY_MAX])
{
    int n;

    if (d->cache_ns[0] == '\0') {
        return 0;
    }
    n = snprintf(key, CACHE_KEY_MAX, "%s|%s|%u", d->cache_ns, name,
                 (unsigned)type);
    return n > 0 && (size_t)n < CACHE_KEY_MAX;
}

/* key_hash is FNV-1a over |key|. */
static uint64_t
key_hash(const char *key)
{
    uint64_t h = 0xcbf29ce484222325u;

    for (; *key != '\0'; key++) {
        h = (h ^ (unsigned char)*key) * 0x100000001b3u;
    }
    return h;
}

/* list_bytes is about the wire size of |rrs|, for the per-entry cap. */
static size_t
list_bytes(const ldns_rr_list *rrs)
{
    size_t total = 0;

    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

        total +=
            10 +
            (ldns_rr_owner(rr) != NULL ? ldns_rdf_size(ldns_rr_owner(rr)) : 0);
        for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
            total += ldns_rdf_size(ldns_rr_rdf(rr, j));
        }
    }
    return total;
}

/* entry_take empties |e| (under the lock) and hands back what it held,
 * to be freed after the lock is released. */
static void
entry_take(struct cache_entry *e, char **key, ldns_rr_list **rrs)
{
    *key = e->key;
    *rrs = e->rrs;
    memset(e, 0, sizeof(*e));
}

static void
entry_free(char *key, ldns_rr_list *rrs)
{
    free(key);
    if (rrs != NULL) {
        ldns_rr_list_deep_free(rrs);
    }
}

/*
 * cache_get copies the live entry for |key| into |*out| (the caller's to
 * free) and returns 1; 0 on a miss, an expired entry (dropped) or a copy
 * that could not be made, and always while the cache is off.
 */
static int
cache_get(const char *key, ldns_rr_list **out)
{
    uint64_t h = key_hash(key);
    int64_t now = mono_ms();
    struct cache_entry *set = caa_cache.e[h % CACHE_SETS];
    char *old_key = NULL;
    ldns_rr_list *old_rrs = NULL;
    int hit = 0;

    pthread_mutex_lock(&caa_cache.lock);
    for (size_t w = 0; caa_cache.max_ttl > 0 && w < CACHE_WAYS; w++) {
        struct cache_entry *e = &set[w];

        if (e->key == NULL || e->hash != h || strcmp(e->key, key) != 0) {
            continue;
        }
        if (now >= e->expires_ms) {
            entry_take(e, &old_key, &old_rrs);
            break;
        }
        *out = ldns_rr_list_clone(e->rrs);
        if (*out != NULL) {
            e->used = ++caa_cache.stamp;
            hit = 1;
        }
        break;
    }
    pthread_mutex_unlock(&caa_cache.lock);
    entry_free(old_key, old_rrs);
    return hit;
}

/* slot_rank orders the slots a new answer may take: free, then expired,
 * then live (among equals, the least recently used). */
static int
slot_rank(const struct cache_entry *e, int64_t now)
{
    return e->key == NULL ? 0 : now >= e->expires_ms ? 1 : 2;
}

/*
 * cache_put keeps a copy of |rrs| under |key| for |ttl| seconds from
 * |t0_ms|, at most the configured cap. Nothing is kept for a TTL of 0, a
 * cache that is off, an answer over the size cap, or when memory is short
 * (the next check asks the resolver again, which is always correct).
 */
static void
cache_put(const char *key, const ldns_rr_list *rrs, uint32_t ttl, int64_t t0_ms)
{
    uint64_t h = key_hash(key);
    struct cache_entry *set = caa_cache.e[h % CACHE_SETS], *victim = NULL;
    char *k, *old_key = NULL;
    ldns_rr_list *copy, *old_rrs = NULL;
    int64_t now;

    if (ttl == 0 || list_bytes(rrs) > CACHE_ENTRY_MAX_BYTES) {
        return;
    }
    /* Copies are made outside the lock; only the swap happens inside. */
    k = strdup(key);
    copy = ldns_rr_list_clone(rrs);
    if (k == NULL || copy == NULL) {
        entry_free(k, copy);
        return;
    }
    now = mono_ms();
    pthread_mutex_lock(&caa_cache.lock);
    if (caa_cache.max_ttl > 0) {
        for (size_t w = 0; w < CACHE_WAYS; w++) {
            struct cache_entry *e = &set[w];

            if (e->key != NULL && e->hash == h && strcmp(e->key, key) == 0) {
                victim = e;
                break;
            }
            if (victim == NULL || slot_rank(e, now) < slot_rank(victim, now) ||
                (slot_rank(e, now) == slot_rank(victim, now) &&
                 e->used < victim->used)) {
                victim = e;
            }
        }
        entry_take(victim, &old_key, &old_rrs);
        victim->key = k;
        victim->hash = h;
        victim->rrs = copy;
        victim->expires_ms =
            t0_ms + (int64_t)min_u32(ttl, caa_cache.max_ttl) * 1000;
        victim->used = ++caa_cache.stamp;
        k = NULL;
        copy = NULL;
    }
    pthread_mutex_unlock(&caa_cache.lock);
    entry_free(old_key, old_rrs);
    entry_free(k, copy);
}

void
catena_caa_cache_flush(void)
{
    pthread_mutex_lock(&caa_cache.lock);
    for (size_t s = 0; s < CACHE_SETS; s++) {
        for (size_t w = 0; w < CACHE_WAYS; w++) {
            char *k;
            ldns_rr_list *rrs;

            entry_take(&caa_cache.e[s][w], &k, &rrs);
            entry_free(k, rrs);
        }
    }
    pthread_mutex_unlock(&caa_cache.lock);
}

enum catena_rc
catena_caa_cache_set_max_ttl(unsigned seconds, struct catena_err *err)
{
    if (seconds > CATENA_CAA_CACHE_LIMIT_MAX_TTL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "CAA cache: the TTL cap is at most %d s "
                              "(CA/B Forum TLS BR 3.2.2.8)",
                              CATENA_CAA_CACHE_LIMIT_MAX_TTL);
    }
    pthread_mutex_lock(&caa_cache.lock);
    caa_cache.max_ttl = seconds;
    pthread_mutex_unlock(&caa_cache.lock);
    /* An entry kept under a longer cap must not outlive the new one. A
     * check between the two steps may still store an answer, but under
     * the new cap: cache_put reads it under the lock. */
    catena_caa_cache_flush();
    return CATENA_OK;
}
