/*
 * caa.c - may we issue for this name? RFC 8659 (CAA), RFC 8657
 * (accounturi, validationmethods), RFC 9495 (issuemail).
 *
 * The relevant RRset is the first non-empty CAA RRset found by querying
 * the name and then each parent up to, but not including, the root; each
 * query follows CNAMEs (dns.c) and is answered from the process's CAA
 * cache while an earlier answer's TTL lasts (dns.c, caa.h), so the parents
 * shared by many names are asked once per TTL. Any lookup failure other
 * than NXDOMAIN or NODATA refuses with CATENA_ERR_DNS (and is never
 * cached): an attacker who can make the lookup fail must not be able to
 * skip the check.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "catena/caa.h"
#include "dns.h"

/* Longest property value we read; longer ones authorize nothing. */
#define MAX_VALUE_LEN 1024
/* Longest property tag (RFC 8659 4.1.1 advises at most 15). */
#define MAX_TAG_LEN 15
/* The critical bit of the flags octet (RFC 8659 4.1). */
#define CAA_FLAG_CRITICAL 0x80

/* Tags we understand; a critical tag outside this list refuses. */
static const char *const known_tags[] = {
    "issue", "issuewild", "iodef", "issuemail", "contactemail", "contactphone",
};

struct caa_prop {
    unsigned flags;
    char tag[MAX_TAG_LEN + 1];    /* lower case */
    char value[MAX_VALUE_LEN + 1]; /* NUL-terminated copy */
    int value_ok;                 /* 0 if over the cap or holding a NUL */
};

static int
is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static int
is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

/* get_prop reads one CAA record's rdata; -1 if it is malformed. */
static int
get_prop(const ldns_rr *rr, struct caa_prop *p)
{
    const ldns_rdf *f, *t, *v;
    size_t tl, vl;

    if (ldns_rr_rd_count(rr) != 3) {
        return -1;
    }
    f = ldns_rr_rdf(rr, 0);
    t = ldns_rr_rdf(rr, 1);
    v = ldns_rr_rdf(rr, 2);
    if (ldns_rdf_size(f) != 1 || ldns_rdf_size(t) < 2) {
        return -1;
    }
    p->flags = ldns_rdf_data(f)[0];
    /* ldns keeps the tag with its length octet in front. */
    tl = ldns_rdf_data(t)[0];
    if (tl + 1 != ldns_rdf_size(t) || tl == 0 || tl > MAX_TAG_LEN) {
        return -1;
    }
    for (size_t i = 0; i < tl; i++) {
        int c = ldns_rdf_data(t)[i + 1];
        if (!is_alnum(c)) {
            return -1;
        }
        p->tag[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    p->tag[tl] = '\0';
    vl = ldns_rdf_size(v);
    p->value_ok = vl <= MAX_VALUE_LEN &&
                  (vl == 0 || memchr(ldns_rdf_data(v), '\0', vl) == NULL);
    if (p->value_ok) {
        if (vl > 0) {
            memcpy(p->value, ldns_rdf_data(v), vl);
        }
        p->value[vl] = '\0';
    } else {
        p->value[0] = '\0';
    }
    return 0;
}

static int
known_tag(const char *tag)
{
    for (size_t i = 0; i < sizeof(known_tags) / sizeof(known_tags[0]); i++) {
        if (strcmp(tag, known_tags[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* is_domain checks the issuer-domain-name grammar of RFC 8659 4.2. */
static int
is_domain(const char *s, size_t len)
{
    size_t label = 0;

    if (len == 0 || len > CATENA_DNS_MAX_NAME) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (label == 0 || s[i - 1] == '-') {
                return 0;
            }
            label = 0;
        } else if (is_alnum(s[i]) || (s[i] == '-' && label > 0)) {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0 && s[len - 1] != '-';
}

/* names_us says whether issuer domain |d| is one of our identities. */
static int
names_us(const struct catena_caa_opts *opts, const char *d, size_t len)
{
    for (size_t i = 0; i < opts->num_identities; i++) {
        const char *id = opts->identities[i];
        size_t il = id != NULL ? strlen(id) : 0;
        if (il > 0 && id[il - 1] == '.') {
            il--; /* identities may be written with the root dot */
        }
        if (il == len && strncasecmp(id, d, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* method_listed says whether |want| is in the comma list |v| (|vl| long). */
static int
method_listed(const char *v, size_t vl, const char *want)
{
    size_t wl = want != NULL ? strlen(want) : 0;
    size_t start = 0;

    if (wl == 0) {
        return 0; /* no method to match: fail closed */
    }
    for (size_t i = 0; i <= vl; i++) {
        if (i == vl || v[i] == ',') {
            if (i - start == wl && memcmp(v + start, want, wl) == 0) {
                return 1;
            }
            start = i + 1;
        }
    }
    return 0;
}

/*
 * authorizes parses an issue/issuewild/issuemail value (RFC 8659 4.2:
 * issuer-domain-name, then ";"-separated tag=value parameters) and says
 * whether it lets us issue. A malformed value authorizes nobody, and an
 * empty issuer (as in ";") forbids everybody.
 */
static int
authorizes(const struct catena_caa_opts *opts, const char *v)
{
    const char *p = v, *dom;
    size_t dl;
    int acct_seen = 0, acct_ok = 0, meth_seen = 0, meth_ok = 0;

    while (is_wsp(*p)) {
        p++;
    }
    dom = p;
    while (is_alnum(*p) || *p == '.' || *p == '-') {
        p++;
    }
    dl = (size_t)(p - dom);
    while (is_wsp(*p)) {
        p++;
    }
    if (*p != '\0' && *p != ';') {
        return 0;
    }
    if (dl == 0 || !is_domain(dom, dl) || !names_us(opts, dom, dl)) {
        return 0;
    }
    if (*p == ';') {
        p++;
    }
    for (;;) {
        const char *tag, *val;
        size_t tl, vl;
        while (is_wsp(*p)) {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        tag = p;
        while (is_alnum(*p) || *p == '-') {
            p++;
        }
        tl = (size_t)(p - tag);
        while (is_wsp(*p)) {
            p++;
        }
        if (tl == 0 || *p != '=') {
            return 0;
        }
        p++;
        while (is_wsp(*p)) {
            p++;
        }
        val = p;
        while (*p >= 0x21 && *p <= 0x7e && *p != ';') {
            p++;
        }
        vl = (size_t)(p - val);
        while (is_wsp(*p)) {
            p++;
        }
        if (*p != '\0' && *p != ';') {
            return 0;
        }
        if (tl == 10 && strncasecmp(tag, "accounturi", 10) == 0) {
            /* Two accounturi parameters are ambiguous: authorize nobody. */
            if (acct_seen++) {
                return 0;
            }
            acct_ok = opts->account_uri != NULL &&
                      strlen(opts->account_uri) == vl &&
                      memcmp(opts->account_uri, val, vl) == 0;
        } else if (tl == 17 && strncasecmp(tag, "validationmethods", 17) == 0) {
            if (meth_seen++) {
                return 0;
            }
            meth_ok = method_listed(val, vl, opts->validation_method);
        }
        /* Unknown parameters are ignored (RFC 8659 4.2). */
        if (*p == ';') {
            p++;
        }
    }
    return (!acct_seen || acct_ok) && (!meth_seen || meth_ok);
}

/* quote writes a printable, shortened copy of |s| for an error message. */
static void
quote(const char *s, char *out, size_t out_len)
{
    size_t o = 0;

    for (size_t i = 0; s[i] != '\0' && o + 4 < out_len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (char)((c >= 0x20 && c < 0x7f && c != '"') ? c : '?');
        if (i >= 120) {
            out[o++] = '.';
            out[o++] = '.';
            break;
        }
    }
    out[o] = '\0';
}

/* decide applies the relevant RRset |rrs| found at |owner|. */
static enum catena_rc
decide(const struct catena_caa_opts *opts, const ldns_rr_list *rrs,
       const char *owner, int wildcard, enum catena_caa_kind kind,
       struct catena_err *err)
{
    size_t n = ldns_rr_list_rr_count(rrs);
    struct caa_prop p;
    const char *want;
    int have_wild = 0, considered = 0;
    char q[160];

    for (size_t i = 0; i < n; i++) {
        if (get_prop(ldns_rr_list_rr(rrs, i), &p) != 0) {
            return catena_err_set(err, CATENA_ERR_CAA,
                                  "malformed CAA record at %s", owner);
        }
        if ((p.flags & CAA_FLAG_CRITICAL) != 0 && !known_tag(p.tag)) {
            return catena_err_set(err, CATENA_ERR_CAA,
                                  "CAA at %s has unknown critical tag %s",
                                  owner, p.tag);
        }
        have_wild |= strcmp(p.tag, "issuewild") == 0;
    }
    if (kind == CATENA_CAA_ISSUEMAIL) {
        want = "issuemail";
    } else if (wildcard && have_wild) {
        want = "issuewild"; /* RFC 8659 4.3: issuewild overrides issue */
    } else {
        want = "issue";
    }
    for (size_t i = 0; i < n; i++) {
        if (get_prop(ldns_rr_list_rr(rrs, i), &p) != 0 ||
            strcmp(p.tag, want) != 0) {
            continue;
        }
        considered++;
        if (p.value_ok && authorizes(opts, p.value)) {
            return CATENA_OK;
        }
    }
    if (considered == 0) {
        return CATENA_OK; /* the set says nothing about this kind */
    }
    /* Name the first refusing record: it is the domain owner's own data. */
    for (size_t i = 0; i < n; i++) {
        if (get_prop(ldns_rr_list_rr(rrs, i), &p) == 0 &&
            strcmp(p.tag, want) == 0) {
            quote(p.value, q, sizeof(q));
            break;
        }
    }
    return catena_err_set(err, CATENA_ERR_CAA,
                          "CAA at %s forbids issuance (%s \"%s\"%s)", owner,
                          want, q, considered > 1 ? ", ..." : "");
}

enum catena_rc
catena_caa_check(const struct catena_caa_opts *opts, const char *domain,
                 int wildcard, enum catena_caa_kind kind,
                 struct catena_err *err)
{
    struct catena_dns *d = NULL;
    ldns_rr_list *rrs = NULL;
    char canon[CATENA_DNS_MAX_NAME + 1];
    const char *name;
    enum catena_rc rc;

    if (opts == NULL || domain == NULL) {
        return catena_err_set(err, CATENA_ERR_INTERNAL, "caa: no input");
    }
    if (strncmp(domain, "*.", 2) == 0) {
        domain += 2;
        wildcard = 1;
    }
    rc = catena_dns_lookup_start(opts->resolver, opts->timeout_ms, domain,
                                 canon, &d, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    /* Climb: the name, then each parent, never the root itself. */
    for (name = canon; name != NULL;) {
        const char *dot;
        rc = catena_dns_query(d, name, LDNS_RR_TYPE_CAA, &rrs, err);
        if (rc != CATENA_OK) {
            goto out;
        }
        if (ldns_rr_list_rr_count(rrs) > 0) {
            rc = decide(opts, rrs, name, wildcard, kind, err);
            goto out;
        }
        ldns_rr_list_deep_free(rrs);
        rrs = NULL;
        dot = strchr(name, '.');
        name = dot != NULL ? dot + 1 : NULL;
    }
    rc = CATENA_OK; /* no CAA anywhere: issuance is unrestricted */
out:
    if (rrs != NULL) {
        ldns_rr_list_deep_free(rrs);
    }
    catena_dns_close(d);
    return rc;
}
