/*
 * der.c - the linter's bounded DER reader and strict-DER walker. Every
 * read checks the remaining length first; nothing here allocates.
 */
#include <stdio.h>
#include <string.h>

#include "der.h"

void
der_init(struct der *d, const uint8_t *p, size_t len)
{
    d->p = p;
    d->len = p == NULL ? 0 : len;
}

/* parse_header reads identifier and length octets. Only the definite,
 * minimal length form is DER (X.690 10.1); lengths above 2^32 are refused
 * because nothing we lint is that large. */
static int
parse_header(const struct der *d, unsigned *tag, size_t *hdr_len,
             size_t *body_len)
{
    size_t n;
    size_t len = 0;
    uint8_t b;

    if (d->len < 2) {
        return 0;
    }
    if ((d->p[0] & 0x1fu) == 0x1fu) {
        return 0; /* high tag numbers appear in nothing we parse */
    }
    *tag = d->p[0];
    b = d->p[1];
    if (b < 0x80u) {
        len = b;
        *hdr_len = 2;
    } else {
        n = b & 0x7fu;
        if (n == 0 || n > 4 || d->len < 2 + n) {
            return 0; /* indefinite length, or absurdly long */
        }
        if (d->p[2] == 0) {
            return 0; /* leading zero length octet: not minimal */
        }
        for (size_t i = 0; i < n; i++) {
            len = (len << 8) | d->p[2 + i];
        }
        if (len < 0x80u) {
            return 0; /* long form for a short length: not minimal */
        }
        *hdr_len = 2 + n;
    }
    if (len > d->len - *hdr_len) {
        return 0;
    }
    *body_len = len;
    return 1;
}

int
der_peek(const struct der *d)
{
    unsigned tag;
    size_t h;
    size_t b;

    if (!parse_header(d, &tag, &h, &b)) {
        return -1;
    }
    return (int)tag;
}

int
der_get_any(struct der *d, unsigned *tag, struct der *contents,
            struct der *whole)
{
    unsigned t;
    size_t h;
    size_t b;

    if (!parse_header(d, &t, &h, &b)) {
        return 0;
    }
    if (tag != NULL) {
        *tag = t;
    }
    if (contents != NULL) {
        contents->p = d->p + h;
        contents->len = b;
    }
    if (whole != NULL) {
        whole->p = d->p;
        whole->len = h + b;
    }
    d->p += h + b;
    d->len -= h + b;
    return 1;
}

int
der_get(struct der *d, unsigned tag, struct der *contents)
{
    struct der copy = *d;
    unsigned t;

    if (!der_get_any(&copy, &t, contents, NULL) || t != tag) {
        return 0;
    }
    *d = copy;
    return 1;
}

int
der_get_whole(struct der *d, unsigned tag, struct der *whole)
{
    struct der copy = *d;
    unsigned t;

    if (!der_get_any(&copy, &t, NULL, whole) || t != tag) {
        return 0;
    }
    *d = copy;
    return 1;
}

int
der_get_optional(struct der *d, unsigned tag, struct der *contents,
                 int *present)
{
    *present = 0;
    if (d->len == 0 || d->p[0] != tag) {
        return 1;
    }
    if (!der_get(d, tag, contents)) {
        return 0;
    }
    *present = 1;
    return 1;
}

int
der_eq(const struct der *a, const struct der *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

int
der_oid_is(const struct der *oid_contents, const uint8_t *oid, size_t oid_len)
{
    return oid_contents->len == oid_len &&
           memcmp(oid_contents->p, oid, oid_len) == 0;
}

int
der_int_minimal(const struct der *c)
{
    if (c->len == 0) {
        return 0;
    }
    if (c->len > 1 && ((c->p[0] == 0x00 && (c->p[1] & 0x80u) == 0) ||
                       (c->p[0] == 0xff && (c->p[1] & 0x80u) != 0))) {
        return 0;
    }
    return 1;
}

int
der_int_small(const struct der *c, int64_t *out)
{
    uint64_t v = 0;

    if (!der_int_minimal(c) || (c->p[0] & 0x80u) != 0 || c->len > 8) {
        return 0;
    }
    for (size_t i = 0; i < c->len; i++) {
        v = (v << 8) | c->p[i];
    }
    if (v > (UINT64_C(1) << 62)) {
        return 0;
    }
    *out = (int64_t)v;
    return 1;
}

/* set_order compares two encodings as X.690 11.6 orders SET OF elements:
 * as octet strings, the shorter padded with zeros at its end. */
static int
set_order(const struct der *a, const struct der *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->p, b->p, n);

    if (c != 0) {
        return c;
    }
    for (size_t i = n; i < a->len; i++) {
        if (a->p[i] != 0) {
            return 1;
        }
    }
    for (size_t i = n; i < b->len; i++) {
        if (b->p[i] != 0) {
            return -1;
        }
    }
    return 0;
}

static int
strict_fail(char *why, size_t why_len, const uint8_t *base, const uint8_t *at,
            const char *what)
{
    if (why != NULL && why_len > 0) {
        snprintf(why, why_len, "%s at offset %zu", what, (size_t)(at - base));
    }
    return 0;
}

static int
strict_walk(const uint8_t *base, struct der d, int depth, char *why,
            size_t why_len)
{
    if (depth > DER_MAX_DEPTH) {
        return strict_fail(why, why_len, base, d.p, "nesting too deep");
    }
    while (d.len > 0) {
        unsigned tag;
        struct der c;
        struct der whole;
        const uint8_t *at = d.p;

        if (!der_get_any(&d, &tag, &c, &whole)) {
            return strict_fail(why, why_len, base, at,
                               "malformed or non-minimal TLV header");
        }
        if ((tag & DER_CONSTRUCTED) != 0) {
            if (tag == DER_SET) {
                struct der it = c;
                struct der prev = {NULL, 0};

                while (it.len > 0) {
                    struct der el;

                    if (!der_get_any(&it, NULL, NULL, &el)) {
                        return strict_fail(why, why_len, base, it.p,
                                           "malformed SET element");
                    }
                    if (prev.p != NULL && set_order(&prev, &el) > 0) {
                        return strict_fail(why, why_len, base, el.p,
                                           "SET OF elements out of order");
                    }
                    prev = el;
                }
            }
            if (!strict_walk(base, c, depth + 1, why, why_len)) {
                return 0;
            }
            continue;
        }
        if ((tag & 0xc0u) != 0) {
            continue; /* context/application primitive: no schema here */
        }
        switch (tag) {
        case DER_BOOLEAN:
            if (c.len != 1 || (c.p[0] != 0x00 && c.p[0] != 0xff)) {
                return strict_fail(why, why_len, base, at,
                                   "BOOLEAN not 0x00/0xFF");
            }
            break;
        case DER_INTEGER:
        case DER_ENUMERATED:
            if (!der_int_minimal(&c)) {
                return strict_fail(why, why_len, base, at,
                                   "INTEGER not minimally encoded");
            }
            break;
        case DER_NULL:
            if (c.len != 0) {
                return strict_fail(why, why_len, base, at, "NULL not empty");
            }
            break;
        case DER_BIT_STRING:
            if (c.len == 0 || c.p[0] > 7 || (c.len == 1 && c.p[0] != 0) ||
                (c.len > 1 &&
                 (c.p[c.len - 1] & ((1u << c.p[0]) - 1u)) != 0)) {
                return strict_fail(why, why_len, base, at,
                                   "BIT STRING unused bits not zero");
            }
            break;
        case DER_OID:
            if (c.len == 0 || (c.p[c.len - 1] & 0x80u) != 0) {
                return strict_fail(why, why_len, base, at, "malformed OID");
            }
            for (size_t i = 0; i < c.len; i++) {
                if (c.p[i] == 0x80u && (i == 0 || (c.p[i - 1] & 0x80u) == 0)) {
                    return strict_fail(why, why_len, base, at,
                                       "OID arc not minimal");
                }
            }
            break;
        default:
            break;
        }
    }
    return 1;
}

int
der_strict(const uint8_t *p, size_t len, char *why, size_t why_len)
{
    struct der d;
    struct der one;

    der_init(&d, p, len);
    if (!der_get_any(&d, NULL, NULL, &one)) {
        return strict_fail(why, why_len, p, p, "malformed TLV header");
    }
    if (d.len != 0) {
        return strict_fail(why, why_len, p, d.p, "trailing bytes");
    }
    return strict_walk(p, one, 0, why, why_len);
}

void
der_oid_text(const struct der *oid, char *buf, size_t buf_len)
{
    size_t off = 0;
    uint64_t v = 0;
    int first = 1;

    if (buf_len == 0) {
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < oid->len && off < buf_len; i++) {
        if (v > (UINT64_MAX >> 7)) {
            return;
        }
        v = (v << 7) | (oid->p[i] & 0x7fu);
        if ((oid->p[i] & 0x80u) != 0) {
            continue;
        }
        int n;
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            n = snprintf(buf + off, buf_len - off, "%u.%llu", a,
                         (unsigned long long)(v - 40u * a));
            first = 0;
        } else {
            n = snprintf(buf + off, buf_len - off, ".%llu",
                         (unsigned long long)v);
        }
        if (n < 0) {
            return;
        }
        off += (size_t)n;
        v = 0;
    }
}
