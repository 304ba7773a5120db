/*
 * testdns.c - a small authoritative-and-recursive-looking DNS server on
 * loopback UDP for tests, built with ldns. It answers from a data file it
 * re-reads for every query, so tests (and tests/integration/lib/dns.sh)
 * change records by rewriting the file; no reload step, no races beyond
 * an atomic rename.
 *
 * Usage: catena-testdns ADDR:PORT DATAFILE   (port 0 = pick one)
 * Prints "port N" on stdout once it listens; exits when its parent does.
 *
 * Data file, one record per line ("#" comments):
 *   NAME A 127.0.0.1         NAME AAAA ::1        NAME TXT "v1" "v2"
 *   NAME CNAME target.test   NAME CAA FLAGS TAG VALUE (VALUE: rest of line,
 *                            one pair of surrounding quotes removed)
 * and per-name behaviours that apply to every query type of NAME:
 *   NAME SERVFAIL | REFUSED | DROP (no answer) | TRUNCATE (TC bit, no data)
 *   NAME GARBAGE (an unparsable reply) | NOCHASE (answer a CNAME without
 *   its target, as a server that does not recurse) | WRONGQ (a reply
 *   whose question is another name)
 * A query type after a behaviour limits it to that type: "x SERVFAIL CAA".
 * Records owned by "*" answer for any name without data of that type
 * ("* A 127.0.0.1" makes every name resolve to loopback).
 * Names are case-insensitive, written without the trailing dot. The
 * server chases CNAMEs within its own data, like a recursive resolver.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define MAX_LINE 2048
#define MAX_CHASE 10

struct rec {
    char name[256];
    char type[16];
    char rest[MAX_LINE];
};

struct data {
    struct rec *r;
    size_t n;
};

static void
lower(char *s)
{
    for (; *s != '\0'; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

static void
data_free(struct data *d)
{
    free(d->r);
    d->r = NULL;
    d->n = 0;
}

/* data_load reads the whole file; a missing file is an empty zone. */
static int
data_load(const char *path, struct data *d)
{
    FILE *f = fopen(path, "r");
    char line[MAX_LINE];

    d->r = NULL;
    d->n = 0;
    if (f == NULL) {
        return errno == ENOENT ? 0 : -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        struct rec *nr, *r;
        char *p = line, *name, *type;
        size_t l = strcspn(line, "\r\n");
        line[l] = '\0';
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (*p == '\0' || *p == '#') {
            continue;
        }
        name = p;
        p += strcspn(p, " \t");
        if (*p != '\0') {
            *p++ = '\0';
        }
        while (isspace((unsigned char)*p)) {
            p++;
        }
        type = p;
        p += strcspn(p, " \t");
        if (*p != '\0') {
            *p++ = '\0';
        }
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (strlen(name) >= sizeof(r->name) || strlen(type) >= sizeof(r->type)) {
            continue;
        }
        nr = realloc(d->r, (d->n + 1) * sizeof(*nr));
        if (nr == NULL) {
            fclose(f);
            return -1;
        }
        d->r = nr;
        r = &d->r[d->n++];
        /* Lengths were checked above; memcpy says so to the compiler. */
        memcpy(r->name, name, strlen(name) + 1);
        l = strlen(r->name);
        if (l > 0 && r->name[l - 1] == '.') {
            r->name[l - 1] = '\0';
        }
        lower(r->name);
        snprintf(r->type, sizeof(r->type), "%s", type);
        for (char *t = r->type; *t != '\0'; t++) {
            *t = (char)toupper((unsigned char)*t);
        }
        snprintf(r->rest, sizeof(r->rest), "%s", p);
    }
    fclose(f);
    return 0;
}

/* caa_rr builds a CAA record by hand from its three fields. */
static ldns_rr *
caa_rr(const char *owner, const char *rest)
{
    char buf[MAX_LINE], tag[256];
    char *p = buf, *t, *v;
    unsigned long flags;
    size_t tl, vl;
    ldns_rr *rr = NULL;
    ldns_rdf *own = NULL;

    snprintf(buf, sizeof(buf), "%s", rest);
    flags = strtoul(p, &p, 10);
    while (isspace((unsigned char)*p)) {
        p++;
    }
    t = p;
    p += strcspn(p, " \t");
    tl = (size_t)(p - t);
    if (tl == 0 || tl > 255 || flags > 255) {
        return NULL;
    }
    tag[0] = (char)tl;
    memcpy(tag + 1, t, tl);
    while (isspace((unsigned char)*p)) {
        p++;
    }
    v = p;
    vl = strlen(v);
    if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
        v++;
        vl -= 2;
    }
    snprintf(buf + sizeof(buf) / 2, sizeof(buf) / 2, "%s.", owner);
    own = ldns_dname_new_frm_str(buf + sizeof(buf) / 2);
    rr = ldns_rr_new();
    if (rr == NULL || own == NULL) {
        ldns_rdf_deep_free(own);
        ldns_rr_free(rr);
        return NULL;
    }
    ldns_rr_set_owner(rr, own);
    ldns_rr_set_type(rr, LDNS_RR_TYPE_CAA);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, 60);
    ldns_rr_push_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8,
                                              (uint8_t)flags));
    ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TAG, tl + 1, tag));
    ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_LONG_STR,
                                               vl > 0 ? vl : 0, v));
    return rr;
}

static ldns_rr *
make_rr(const struct rec *r)
{
    char line[MAX_LINE + 300];
    ldns_rr *rr = NULL;

    if (strcmp(r->type, "CAA") == 0) {
        return caa_rr(r->name, r->rest);
    }
    snprintf(line, sizeof(line), "%s. 60 IN %s %s", r->name, r->type,
             r->rest);
    if (ldns_rr_new_frm_str(&rr, line, 60, NULL, NULL) != LDNS_STATUS_OK) {
        fprintf(stderr, "testdns: bad record: %s\n", line);
        return NULL;
    }
    return rr;
}

/*
 * find_special finds behaviour |type| for |name|; a behaviour line with a
 * query type after it ("NAME SERVFAIL CAA") applies to that type only.
 */
static const struct rec *
find_special(const struct data *d, const char *name, const char *type,
             const char *qtype)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->r[i].name, name) == 0 &&
            strcmp(d->r[i].type, type) == 0 &&
            (d->r[i].rest[0] == '\0' ||
             strcasecmp(d->r[i].rest, qtype) == 0)) {
            return &d->r[i];
        }
    }
    return NULL;
}

/* name_exists: a record owned by |name| or below it (an empty non-terminal). */
static int
name_exists(const struct data *d, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < d->n; i++) {
        size_t l = strlen(d->r[i].name);
        if (strcmp(d->r[i].name, name) == 0 ||
            (l > nl && d->r[i].name[l - nl - 1] == '.' &&
             strcmp(d->r[i].name + l - nl, name) == 0)) {
            return 1;
        }
    }
    return 0;
}

static void
answer(int fd, const unsigned char *q, size_t ql, const struct sockaddr *from,
       socklen_t fromlen, const char *datafile)
{
    ldns_pkt *qp = NULL, *rp = NULL;
    ldns_rr *qrr;
    struct data d = {0};
    char name[300], *s;
    uint8_t *wire = NULL;
    size_t wl = 0, l;
    ldns_rr_type qt;
    int chase = 1, found = 0;
    char tname[16];

    if (ldns_wire2pkt(&qp, q, ql) != LDNS_STATUS_OK ||
        ldns_pkt_qdcount(qp) != 1) {
        goto out;
    }
    qrr = ldns_rr_list_rr(ldns_pkt_question(qp), 0);
    qt = ldns_rr_get_type(qrr);
    s = ldns_rdf2str(ldns_rr_owner(qrr));
    if (s == NULL) {
        goto out;
    }
    snprintf(name, sizeof(name), "%s", s);
    free(s);
    l = strlen(name);
    if (l > 0 && name[l - 1] == '.') {
        name[l - 1] = '\0';
    }
    lower(name);
    {
        const ldns_rr_descriptor *desc = ldns_rr_descript(qt);
        snprintf(tname, sizeof(tname), "%s",
                 desc != NULL && desc->_name != NULL ? desc->_name : "?");
    }
    if (data_load(datafile, &d) != 0) {
        goto out;
    }
    if (find_special(&d, name, "DROP", tname) != NULL) {
        goto out;
    }
    if (find_special(&d, name, "GARBAGE", tname) != NULL) {
        unsigned char junk[7] = {q[0], q[1], 0x81, 0x80, 0x00, 0x01, 0xff};
        (void)sendto(fd, junk, sizeof(junk), 0, from, fromlen);
        goto out;
    }
    rp = ldns_pkt_new();
    if (rp == NULL) {
        goto out;
    }
    ldns_pkt_set_id(rp, ldns_pkt_id(qp));
    ldns_pkt_set_qr(rp, true);
    ldns_pkt_set_aa(rp, true);
    ldns_pkt_set_ra(rp, true);
    ldns_pkt_set_rd(rp, ldns_pkt_rd(qp));
    ldns_pkt_set_opcode(rp, ldns_pkt_get_opcode(qp));
    if (find_special(&d, name, "WRONGQ", tname) != NULL) {
        ldns_rr *o = ldns_rr_clone(qrr);
        ldns_rdf *other = ldns_dname_new_frm_str("other.invalid.");
        ldns_rdf_deep_free(ldns_rr_owner(o));
        ldns_rr_set_owner(o, other);
        ldns_pkt_push_rr(rp, LDNS_SECTION_QUESTION, o);
    } else {
        ldns_pkt_push_rr(rp, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
    }
    if (find_special(&d, name, "SERVFAIL", tname) != NULL) {
        ldns_pkt_set_rcode(rp, LDNS_RCODE_SERVFAIL);
    } else if (find_special(&d, name, "REFUSED", tname) != NULL) {
        ldns_pkt_set_rcode(rp, LDNS_RCODE_REFUSED);
    } else if (find_special(&d, name, "TRUNCATE", tname) != NULL) {
        ldns_pkt_set_tc(rp, true);
    } else {
        char cur[300];
        snprintf(cur, sizeof(cur), "%s", name);
        chase = find_special(&d, name, "NOCHASE", tname) == NULL;
        for (int hop = 0; hop < MAX_CHASE; hop++) {
            const struct rec *cn = NULL;
            int here = 0;
            for (size_t i = 0; i < d.n; i++) {
                if (strcmp(d.r[i].name, cur) != 0) {
                    continue;
                }
                if (strcmp(d.r[i].type, tname) == 0) {
                    ldns_rr *rr = make_rr(&d.r[i]);
                    if (rr != NULL) {
                        ldns_pkt_push_rr(rp, LDNS_SECTION_ANSWER, rr);
                        here = 1;
                    }
                } else if (strcmp(d.r[i].type, "CNAME") == 0) {
                    cn = &d.r[i];
                }
            }
            if (!here && cn == NULL) {
                /* "*" lines answer for every name without its own data. */
                for (size_t i = 0; i < d.n; i++) {
                    if (strcmp(d.r[i].name, "*") == 0 &&
                        strcmp(d.r[i].type, tname) == 0) {
                        struct rec def = d.r[i];
                        ldns_rr *rr;
                        if (strlen(cur) >= sizeof(def.name)) {
                            continue;
                        }
                        memcpy(def.name, cur, strlen(cur) + 1);
                        rr = make_rr(&def);
                        if (rr != NULL) {
                            ldns_pkt_push_rr(rp, LDNS_SECTION_ANSWER, rr);
                            here = 1;
                        }
                    }
                }
            }
            if (here || cn == NULL || qt == LDNS_RR_TYPE_CNAME) {
                found |= here;
                if (!found && hop == 0 && !name_exists(&d, cur)) {
                    ldns_pkt_set_rcode(rp, LDNS_RCODE_NXDOMAIN);
                }
                break;
            }
            {
                ldns_rr *rr = make_rr(cn);
                if (rr != NULL) {
                    ldns_pkt_push_rr(rp, LDNS_SECTION_ANSWER, rr);
                }
            }
            found = 1;
            if (!chase) {
                break;
            }
            snprintf(cur, sizeof(cur), "%.290s", cn->rest);
            l = strlen(cur);
            if (l > 0 && cur[l - 1] == '.') {
                cur[l - 1] = '\0';
            }
            lower(cur);
        }
    }
    if (ldns_pkt2wire(&wire, rp, &wl) == LDNS_STATUS_OK) {
        (void)sendto(fd, wire, wl, 0, from, fromlen);
    }
out:
    free(wire);
    ldns_pkt_free(qp);
    ldns_pkt_free(rp);
    data_free(&d);
}

int
main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char host[64];
    const char *colon;
    unsigned char buf[4096];
    int fd, af;
    unsigned long port;
    pid_t parent;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ADDR:PORT DATAFILE\n", argv[0]);
        return 2;
    }
    colon = strrchr(argv[1], ':');
    if (colon == NULL || (size_t)(colon - argv[1]) >= sizeof(host)) {
        fprintf(stderr, "testdns: bad address %s\n", argv[1]);
        return 2;
    }
    memcpy(host, argv[1], (size_t)(colon - argv[1]));
    host[colon - argv[1]] = '\0';
    port = strtoul(colon + 1, NULL, 10);
    memset(&ss, 0, sizeof(ss));
    if (host[0] == '[') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        size_t hl = strlen(host);
        memmove(host, host + 1, hl);
        host[hl - 2] = '\0';
        af = AF_INET6;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
            return 2;
        }
        sl = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        af = AF_INET;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
            return 2;
        }
        sl = sizeof(*s4);
    }
    fd = socket(af, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        perror("testdns: bind");
        return 1;
    }
    printf("port %u\n", af == AF_INET6
                            ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                            : ntohs(((struct sockaddr_in *)&ss)->sin_port));
    fflush(stdout);
    parent = getppid();
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;
        /* A test that crashed never stops us: follow our parent out. */
        if (getppid() != parent) {
            return 0;
        }
        if (poll(&p, 1, 500) <= 0) {
            continue;
        }
        n = recvfrom(fd, buf, sizeof(buf), 0,
                             (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("testdns: recvfrom");
            return 1;
        }
        answer(fd, buf, (size_t)n, (struct sockaddr *)&from, fl, argv[2]);
    }
}
