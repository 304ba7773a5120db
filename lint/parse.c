/*
 * parse.c - one strict pass over a certificate, CRL or OCSP response into
 * the byte spans of internal.h. Malformed input fails the parse (a FATAL
 * finding); legal-but-wrong content is left for the rules to judge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FAIL(msg)                                                              \
    do {                                                                       \
        snprintf(why, why_len, "%s", (msg));                                   \
        return 0;                                                              \
    } while (0)

int
lint_days_from_civil(int64_t y, unsigned m, unsigned d, int64_t *out)
{
    /* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
     * calendar, no table and no libc time zone. */
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
    int64_t era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return 0;
    }
    if (m == 2 && d == 29 &&
        !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 0;
    }
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *out = era * 146097 + (int64_t)doe - 719468;
    return 1;
}

int64_t
lint_epoch_const(int y, int m, int d)
{
    int64_t days = 0;

    (void)lint_days_from_civil(y, (unsigned)m, (unsigned)d, &days);
    return days * 86400;
}

static int
digits(const uint8_t *p, size_t n, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return 1;
}

int
lint_parse_time(unsigned tag, const struct der *c, struct lint_time *t)
{
    const uint8_t *p = c->p;
    size_t n = c->len;
    size_t ylen = tag == DER_GENERALIZEDTIME ? 4 : 2;
    unsigned y, mo, d, h, mi, s = 0;
    int64_t year;
    int64_t days;
    size_t off;

    t->ok = 0;
    t->strict = 0;
    t->t = 0;
    if ((tag != DER_UTCTIME && tag != DER_GENERALIZEDTIME) ||
        n < ylen + 8 + 1 || !digits(p, ylen, &y) ||
        !digits(p + ylen, 2, &mo) || !digits(p + ylen + 2, 2, &d) ||
        !digits(p + ylen + 4, 2, &h) || !digits(p + ylen + 6, 2, &mi)) {
        return 0;
    }
    off = ylen + 8;
    /* Seconds are optional in BER; RFC 5280 requires them. */
    if (n >= off + 2 && digits(p + off, 2, &s)) {
        off += 2;
    } else {
        s = 0;
    }
    int frac = 0;
    if (off < n && p[off] == '.' && tag == DER_GENERALIZEDTIME) {
        frac = 1;
        off++;
        while (off < n && p[off] >= '0' && p[off] <= '9') {
            off++;
        }
    }
    if (off + 1 != n || p[off] != 'Z') {
        return 0; /* local time or an offset: we refuse to guess */
    }
    year = tag == DER_UTCTIME ? (y >= 50 ? 1900 + y : 2000 + y) : y;
    if (h > 23 || mi > 59 || s > 59 ||
        !lint_days_from_civil(year, mo, d, &days)) {
        return 0;
    }
    t->t = days * 86400 + h * 3600 + mi * 60 + s;
    t->ok = 1;
    t->strict = !frac && n == ylen + 11;
    return 1;
}

static int
get_time(struct der *d, struct lint_time *t)
{
    unsigned tag;
    struct der c;

    if (!der_get_any(d, &tag, &c, &t->raw) ||
        (tag != DER_UTCTIME && tag != DER_GENERALIZEDTIME)) {
        return 0;
    }
    (void)lint_parse_time(tag, &c, t);
    return 1;
}

int
lint_parse_exts(struct der list, struct lint_ext *exts, size_t max,
                size_t *num)
{
    *num = 0;
    while (list.len > 0) {
        struct der ext;
        struct der crit;
        int present;
        struct lint_ext *e;

        if (*num == max || !der_get(&list, DER_SEQUENCE, &ext)) {
            return 0;
        }
        e = &exts[(*num)++];
        memset(e, 0, sizeof(*e));
        if (!der_get(&ext, DER_OID, &e->oid) ||
            !der_get_optional(&ext, DER_BOOLEAN, &crit, &present)) {
            return 0;
        }
        if (present) {
            if (crit.len != 1) {
                return 0;
            }
            e->crit_encoded = 1;
            e->critical = crit.p[0] != 0;
        }
        if (!der_get(&ext, DER_OCTET_STRING, &e->value) || ext.len != 0) {
            return 0;
        }
    }
    return 1;
}

const struct lint_ext *
lint_ext_find(const struct lint_ext *exts, size_t num, const uint8_t *oid,
              size_t oid_len)
{
    for (size_t i = 0; i < num; i++) {
        if (der_oid_is(&exts[i].oid, oid, oid_len)) {
            return &exts[i];
        }
    }
    return NULL;
}

static const uint8_t alg_rsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                  0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
                                  0x00};
static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                  0x0d, 0x01, 0x01, 0x01};
static const uint8_t oid_pss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                  0x0d, 0x01, 0x01, 0x0a};
static const uint8_t oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_dsa[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce,
                                   0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_ed25519[] = {0x2b, 0x65, 0x70};
static const uint8_t oid_ed448[] = {0x2b, 0x65, 0x71};

int
lint_parse_spki(struct der whole, struct lint_spki *k)
{
    struct der d = whole;
    struct der spki;
    struct der alg;
    struct der bits;

    memset(k, 0, sizeof(*k));
    k->whole = whole;
    if (!der_get(&d, DER_SEQUENCE, &spki) || d.len != 0 ||
        !der_get_any(&spki, NULL, NULL, &k->alg) ||
        !der_get(&spki, DER_BIT_STRING, &bits) || spki.len != 0 ||
        bits.len < 1) {
        return 0;
    }
    d = k->alg;
    if (!der_get(&d, DER_SEQUENCE, &alg) ||
        !der_get(&alg, DER_OID, &k->alg_oid)) {
        return 0;
    }
    if (alg.len > 0 && !der_get_any(&alg, NULL, NULL, &k->params)) {
        return 0;
    }
    if (alg.len != 0) {
        return 0;
    }
    k->key_unused_ok = bits.p[0] == 0;
    k->key.p = bits.p + 1;
    k->key.len = bits.len - 1;
    if (DER_OID_IS(&k->alg_oid, oid_rsa)) {
        k->type = LINT_KEY_RSA;
    } else if (DER_OID_IS(&k->alg_oid, oid_pss)) {
        k->type = LINT_KEY_RSA_PSS;
    } else if (DER_OID_IS(&k->alg_oid, oid_dsa)) {
        k->type = LINT_KEY_DSA;
    } else if (DER_OID_IS(&k->alg_oid, oid_ed25519)) {
        k->type = LINT_KEY_ED25519;
    } else if (DER_OID_IS(&k->alg_oid, oid_ed448)) {
        k->type = LINT_KEY_ED448;
    } else if (DER_OID_IS(&k->alg_oid, oid_ec)) {
        struct der p = k->params;
        struct der curve;

        if (der_get(&p, DER_OID, &curve)) {
            k->type = DER_OID_IS(&curve, oid_p256)   ? LINT_KEY_P256
                      : DER_OID_IS(&curve, oid_p384) ? LINT_KEY_P384
                      : DER_OID_IS(&curve, oid_p521) ? LINT_KEY_P521
                                                     : LINT_KEY_EC_OTHER;
        } else {
            k->type = LINT_KEY_EC_EXPLICIT;
        }
    } else {
        k->type = LINT_KEY_OTHER;
    }
    (void)alg_rsa;
    return 1;
}

/* decode_cert_exts fills the shortcuts and decoded values the rules share.
 * A malformed value here is not a parse failure: the owning rule reports
 * it (zlint, too, reports e.g. a broken basicConstraints as a finding). */
static void
decode_cert_exts(struct lint_cert *c)
{
    struct der d;
    struct der v;

    c->bc = lint_ext_find(c->exts, c->num_exts, lint_oid_bc, 3);
    c->ku = lint_ext_find(c->exts, c->num_exts, lint_oid_ku, 3);
    c->eku = lint_ext_find(c->exts, c->num_exts, lint_oid_eku, 3);
    c->san = lint_ext_find(c->exts, c->num_exts, lint_oid_san, 3);
    c->aki = lint_ext_find(c->exts, c->num_exts, lint_oid_aki, 3);
    c->ski = lint_ext_find(c->exts, c->num_exts, lint_oid_ski, 3);
    c->cdp = lint_ext_find(c->exts, c->num_exts, lint_oid_cdp, 3);
    c->cp = lint_ext_find(c->exts, c->num_exts, lint_oid_cp, 3);
    c->nc = lint_ext_find(c->exts, c->num_exts, lint_oid_nc, 3);
    c->aia = lint_ext_find(c->exts, c->num_exts, lint_oid_aia, 8);
    c->sia = lint_ext_find(c->exts, c->num_exts, lint_oid_sia, 8);
    c->poison = lint_ext_find(c->exts, c->num_exts, lint_oid_poison, 10);
    c->sct = lint_ext_find(c->exts, c->num_exts, lint_oid_sct, 10);
    c->nocheck = lint_ext_find(c->exts, c->num_exts, lint_oid_nocheck, 9);
    c->path_len = -1;

    c->bc_ok = 1;
    if (c->bc != NULL) {
        d = c->bc->value;
        c->bc_ok = 0;
        if (der_get(&d, DER_SEQUENCE, &v) && d.len == 0) {
            struct der b;
            struct der n;
            int present;

            if (der_get_optional(&v, DER_BOOLEAN, &b, &present) &&
                (!present || b.len == 1)) {
                c->is_ca = present && b.p[0] != 0;
                if (der_get_optional(&v, DER_INTEGER, &n, &present) &&
                    v.len == 0) {
                    c->bc_ok = 1;
                    if (present && !der_int_small(&n, &c->path_len)) {
                        c->path_len = -2; /* negative or huge */
                    }
                }
            }
        }
    }
    c->ku_ok = 1;
    if (c->ku != NULL) {
        d = c->ku->value;
        c->ku_ok = der_get(&d, DER_BIT_STRING, &v) && d.len == 0 &&
                   v.len >= 1 && v.len <= 3 && v.p[0] <= 7;
        if (c->ku_ok) {
            for (size_t i = 1; i < v.len; i++) {
                for (unsigned b = 0; b < 8; b++) {
                    if (v.p[i] & (0x80u >> b)) {
                        c->ku_bits |= 1u << ((i - 1) * 8 + b);
                    }
                }
            }
        }
    }
    c->eku_ok = 1;
    if (c->eku != NULL) {
        d = c->eku->value;
        c->eku_ok = der_get(&d, DER_SEQUENCE, &v) && d.len == 0;
        while (c->eku_ok && v.len > 0) {
            struct der oid;

            if (!der_get(&v, DER_OID, &oid)) {
                c->eku_ok = 0;
                break;
            }
            if (c->num_ekus < LINT_MAX_EKUS) {
                c->ekus[c->num_ekus++] = oid;
            }
            c->eku_server |= DER_OID_IS(&oid, lint_oid_kp_server);
            c->eku_client |= DER_OID_IS(&oid, lint_oid_kp_client);
            c->eku_email |= DER_OID_IS(&oid, lint_oid_kp_email);
            c->eku_ocsp |= DER_OID_IS(&oid, lint_oid_kp_ocsp);
            c->eku_code |= DER_OID_IS(&oid, lint_oid_kp_code);
            c->eku_time |= DER_OID_IS(&oid, lint_oid_kp_time);
            c->eku_any |= DER_OID_IS(&oid, lint_oid_any_eku);
        }
    }
    c->san_ok = 1;
    if (c->san != NULL) {
        d = c->san->value;
        c->san_ok = der_get(&d, DER_SEQUENCE, &v) && d.len == 0;
        while (c->san_ok && v.len > 0) {
            unsigned tag;
            struct der val;

            if (lint_gn_next(&v, &tag, &val) != 1) {
                c->san_ok = 0;
                break;
            }
            if (tag == DER_CTX(6) && val.len >= 9 &&
                memcmp(val.p, "spiffe://", 9) == 0) {
                c->spiffe_uris++;
            }
        }
    }
}

int
lint_parse_cert(const uint8_t *der, size_t len, int is_tbs,
                struct lint_cert *c, char *why, size_t why_len)
{
    struct der in;
    struct der cert;
    struct der tbs;
    struct der t;
    struct der v;
    struct der bits;
    int present;

    memset(c, 0, sizeof(*c));
    der_init(&in, der, len);
    c->whole.p = der;
    c->whole.len = len;
    if (is_tbs) {
        if (!der_get_whole(&in, DER_SEQUENCE, &c->tbs) || in.len != 0) {
            FAIL("not one DER SEQUENCE (TBSCertificate)");
        }
    } else {
        if (!der_get(&in, DER_SEQUENCE, &cert) || in.len != 0) {
            FAIL("not one DER SEQUENCE (Certificate), or trailing bytes");
        }
        if (!der_get_whole(&cert, DER_SEQUENCE, &c->tbs) ||
            !der_get_whole(&cert, DER_SEQUENCE, &c->outer_sigalg) ||
            !der_get(&cert, DER_BIT_STRING, &bits) || cert.len != 0 ||
            bits.len < 1) {
            FAIL("Certificate is not tbsCertificate, signatureAlgorithm, "
                 "signature");
        }
        c->sig = bits;
    }
    t = c->tbs;
    if (!der_get(&t, DER_SEQUENCE, &tbs)) {
        FAIL("malformed TBSCertificate");
    }
    if (!der_get_optional(&tbs, DER_CTX_C(0), &v, &present)) {
        FAIL("malformed version");
    }
    c->version = 0;
    if (present) {
        struct der n;

        c->version_encoded = 1;
        if (!der_get(&v, DER_INTEGER, &n) || v.len != 0 ||
            !der_int_minimal(&n) || n.len > 4) {
            FAIL("malformed version");
        }
        c->version = (int8_t)n.p[n.len - 1];
        if (n.len > 1) {
            c->version = 99; /* out of range, reported by the rule */
        }
    }
    if (!der_get(&tbs, DER_INTEGER, &c->serial) ||
        !der_get_whole(&tbs, DER_SEQUENCE, &c->sigalg) ||
        !der_get_whole(&tbs, DER_SEQUENCE, &c->issuer) ||
        !der_get(&tbs, DER_SEQUENCE, &v) || !get_time(&v, &c->not_before) ||
        !get_time(&v, &c->not_after) || v.len != 0 ||
        !der_get_whole(&tbs, DER_SEQUENCE, &c->subject) ||
        !der_get_whole(&tbs, DER_SEQUENCE, &v)) {
        FAIL("malformed TBSCertificate fields");
    }
    if (!lint_parse_spki(v, &c->spki)) {
        FAIL("malformed subjectPublicKeyInfo");
    }
    if (!der_get_optional(&tbs, DER_CTX(1), &t, &c->issuer_uid) ||
        !der_get_optional(&tbs, DER_CTX(2), &t, &c->subject_uid) ||
        !der_get_optional(&tbs, DER_CTX_C(3), &v, &c->exts_encoded) ||
        tbs.len != 0) {
        FAIL("malformed or unexpected fields after subjectPublicKeyInfo");
    }
    if (c->exts_encoded) {
        struct der list;

        if (!der_get(&v, DER_SEQUENCE, &list) || v.len != 0 ||
            !lint_parse_exts(list, c->exts, LINT_MAX_EXTS, &c->num_exts)) {
            FAIL("malformed extensions (or more than 40)");
        }
    }
    c->self_issued = der_eq(&c->issuer, &c->subject);
    decode_cert_exts(c);
    return 1;
}

/*
 * Entries of one CRL mostly repeat a handful of extension lists byte for
 * byte (one per reason code): the facts decoded from a list are kept for
 * its bytes, and an entry with the same bytes takes them over instead of
 * decoding the list again. Lists with an invalidityDate are never kept:
 * C23 compares that date with the entry's own.
 */
#define CRL_EXTS_MEMO 8
#define CRL_EXTS_MEMO_MAX 64 /* bytes; reasonCode alone takes 14 */

struct crl_exts_memo {
    struct der list[CRL_EXTS_MEMO];
    uint32_t flags[CRL_EXTS_MEMO];
    uint32_t reason[CRL_EXTS_MEMO];
    size_t num;
};

/* crl_entry_exts decodes an entry's crlEntryExtensions (contents of the
 * SEQUENCE) into flags: what C16, C20-C23 and C25 judge. */
static void
crl_entry_exts(struct der list, struct der whole, struct lint_crl_entry *e,
               struct crl_exts_memo *memo)
{
    struct lint_ext exts[16];
    size_t num = 0;
    const struct lint_ext *r;
    unsigned c23 = LINT_C23_OK;
    int keep = list.len <= CRL_EXTS_MEMO_MAX;
    uint32_t own = e->flags;

    for (size_t i = 0; keep && i < memo->num; i++) {
        if (der_eq(&memo->list[i], &list)) {
            e->flags |= memo->flags[i];
            e->reason = memo->reason[i];
            return;
        }
    }
    e->flags |= LINT_CRLE_EXTS;
    if (!lint_parse_exts(list, exts, 16, &num)) {
        e->flags |= LINT_CRLE_EXTS_BAD; /* rare: not worth a slot */
        return;
    }
    /* What C3's walk would find in the list, for it to skip the entries
     * (a list that does not parse is left to the walk itself). */
    if (der_strict(whole.p, whole.len, NULL, 0)) {
        e->flags |= LINT_CRLE_EXTS_DER;
    }
    if (lint_ext_dups(exts, num)) {
        e->flags |= LINT_CRLE_EXTS_DUP;
    }
    if ((r = lint_ext_find(exts, num, lint_oid_reason, 3)) != NULL) {
        struct der v = r->value;
        struct der x;
        int64_t code = 0;

        e->flags |= LINT_CRLE_REASON_EXT;
        if (r->critical) {
            e->flags |= LINT_CRLE_REASON_CRIT;
        }
        if (r->value.len == 3 && r->value.p[2] == 2) {
            e->flags |= LINT_CRLE_REASON_CA;
        }
        if (!der_get(&v, DER_ENUMERATED, &x) || v.len != 0 ||
            !der_int_small(&x, &code)) {
            e->flags |= LINT_CRLE_REASON_BAD;
        } else {
            e->flags |= LINT_CRLE_REASON;
            e->reason = code > UINT32_MAX ? UINT32_MAX : (uint32_t)code;
        }
    }
    /* C23 reports the first offending extension in the entry's order. */
    for (size_t i = 0; i < num; i++) {
        if (DER_OID_IS(&exts[i].oid, lint_oid_invalidity)) {
            keep = 0; /* judged against this entry's date */
        }
        if (c23 != LINT_C23_OK) {
            continue;
        }
        if (DER_OID_IS(&exts[i].oid, lint_oid_cert_issuer)) {
            c23 = LINT_C23_CERT_ISSUER;
        } else if (DER_OID_IS(&exts[i].oid, lint_oid_invalidity)) {
            struct der v = exts[i].value;
            struct der gt;
            struct lint_time t;

            if (!der_get(&v, DER_GENERALIZEDTIME, &gt) ||
                !lint_parse_time(DER_GENERALIZEDTIME, &gt, &t)) {
                c23 = LINT_C23_INVALIDITY_BAD;
            } else if (t.t > e->date) {
                c23 = LINT_C23_INVALIDITY_LATE;
            }
        } else if (!DER_OID_IS(&exts[i].oid, lint_oid_reason)) {
            c23 = LINT_C23_OTHER;
        }
    }
    e->flags |= c23 << LINT_CRLE_C23_SHIFT;
    if (keep && memo->num < CRL_EXTS_MEMO) {
        memo->list[memo->num] = list;
        memo->flags[memo->num] = e->flags & ~own; /* the list's facts */
        memo->reason[memo->num] = e->reason;
        memo->num++;
    }
}

/* crl_entry reads the next entry of |it| (inside |revoked|) into |e|:
 * 1 = read, 0 = end, -1 = malformed. */
static int
crl_entry(const struct der *revoked, struct der *it, struct lint_crl_entry *e,
          struct crl_exts_memo *memo)
{
    struct der ent;
    struct der serial;
    struct der exts;
    struct der exts_whole;
    struct lint_time date;
    unsigned tag = 0;
    int has_exts = 0;

    if (it->len == 0) {
        return 0;
    }
    memset(e, 0, sizeof(*e));
    if (!der_get(it, DER_SEQUENCE, &ent) ||
        !der_get(&ent, DER_INTEGER, &serial) || !get_time(&ent, &date)) {
        return -1;
    }
    /* Only crlEntryExtensions may follow, and nothing after them. */
    if (ent.len != 0) {
        if (!der_get_any(&ent, &tag, &exts, &exts_whole) ||
            tag != DER_SEQUENCE || ent.len != 0) {
            return -1;
        }
        has_exts = 1;
    }
    /* The reader caps lengths at 2^32 - 1, so offsets fit. */
    e->serial_off = (uint32_t)(serial.p - revoked->p);
    e->serial_len = (uint32_t)serial.len;
    e->date = date.t;
    if (der_int_minimal(&serial)) {
        e->flags |= LINT_CRLE_SERIAL_DER;
    }
    if (date.ok) {
        e->flags |= LINT_CRLE_DATE_OK;
    }
    if (date.strict) {
        e->flags |= LINT_CRLE_DATE_STRICT;
    }
    if (date.raw.p[0] == DER_GENERALIZEDTIME) {
        e->flags |= LINT_CRLE_DATE_GEN;
    }
    if (has_exts) {
        crl_entry_exts(exts, exts_whole, e, memo);
    }
    return 1;
}

/* The smallest entry: SEQUENCE { INTEGER, time } with empty contents. */
#define CRL_ENTRY_MIN_BYTES 6

void
lint_crl_release(struct lint_crl *c)
{
    free(c->entries);
    c->entries = NULL;
    c->num_entries = 0;
}

int
lint_parse_crl(const uint8_t *der, size_t len, int is_tbs,
               struct lint_crl *c, char *why, size_t why_len)
{
    struct der in;
    struct der crl;
    struct der tbs;
    struct der t;
    struct der v;
    int present;

    memset(c, 0, sizeof(*c));
    der_init(&in, der, len);
    c->whole.p = der;
    c->whole.len = len;
    c->version = -1;
    if (is_tbs) {
        if (!der_get_whole(&in, DER_SEQUENCE, &c->tbs) || in.len != 0) {
            FAIL("not one DER SEQUENCE (TBSCertList)");
        }
    } else {
        if (!der_get(&in, DER_SEQUENCE, &crl)) {
            FAIL("not a DER SEQUENCE (CertificateList)");
        }
        c->trailing = in.len != 0;
        if (!der_get_whole(&crl, DER_SEQUENCE, &c->tbs) ||
            !der_get_whole(&crl, DER_SEQUENCE, &c->outer_sigalg) ||
            !der_get(&crl, DER_BIT_STRING, &c->sig) || crl.len != 0) {
            FAIL("CertificateList is not tbsCertList, signatureAlgorithm, "
                 "signature");
        }
    }
    t = c->tbs;
    if (!der_get(&t, DER_SEQUENCE, &tbs) ||
        !der_get_optional(&tbs, DER_INTEGER, &v, &present)) {
        FAIL("malformed TBSCertList");
    }
    if (present) {
        if (!der_int_small(&v, &c->version)) {
            c->version = 99;
        }
    }
    if (!der_get_whole(&tbs, DER_SEQUENCE, &c->sigalg) ||
        !der_get_whole(&tbs, DER_SEQUENCE, &c->issuer) ||
        !get_time(&tbs, &c->this_update)) {
        FAIL("malformed TBSCertList signature, issuer or thisUpdate");
    }
    if (der_peek(&tbs) == DER_UTCTIME || der_peek(&tbs) == DER_GENERALIZEDTIME) {
        if (!get_time(&tbs, &c->next_update)) {
            FAIL("malformed nextUpdate");
        }
        c->has_next_update = 1;
    }
    c->revoked_whole.p = tbs.p;
    if (!der_get_optional(&tbs, DER_SEQUENCE, &c->revoked,
                          &c->revoked_encoded) ||
        !der_get_optional(&tbs, DER_CTX_C(0), &v, &c->exts_encoded) ||
        tbs.len != 0) {
        FAIL("malformed revokedCertificates or crlExtensions");
    }
    if (c->revoked_encoded) {
        struct der it = c->revoked;
        size_t cap = c->revoked.len / CRL_ENTRY_MIN_BYTES + 1;
        struct crl_exts_memo memo;
        int r = 0;

        c->revoked_whole.len =
            (size_t)(c->revoked.p + c->revoked.len - c->revoked_whole.p);
        memo.num = 0;
        /* Sized by the bytes, never by a count the input states: pages
         * past the entries actually present are never touched. */
        if ((c->entries = malloc(cap * sizeof(*c->entries))) == NULL) {
            snprintf(why, why_len, "out of memory");
            return -1;
        }
        while (c->num_entries < cap &&
               (r = crl_entry(&c->revoked, &it, &c->entries[c->num_entries],
                              &memo)) == 1) {
            c->num_entries++;
        }
        if (r < 0) {
            lint_crl_release(c);
            FAIL("malformed revokedCertificates entry");
        }
    }
    if (c->exts_encoded) {
        struct der list;

        if (!der_get(&v, DER_SEQUENCE, &list) || v.len != 0 ||
            !lint_parse_exts(list, c->exts, LINT_MAX_EXTS, &c->num_exts)) {
            FAIL("malformed crlExtensions");
        }
    }
    c->aki = lint_ext_find(c->exts, c->num_exts, lint_oid_aki, 3);
    c->number = lint_ext_find(c->exts, c->num_exts, lint_oid_crl_number, 3);
    c->idp = lint_ext_find(c->exts, c->num_exts, lint_oid_idp, 3);
    return 1;
}

int
lint_ocsp_next_single(struct der *it, struct lint_ocsp_single *s)
{
    struct der sr;
    struct der id;
    struct der st;
    struct der v;
    struct der x;
    unsigned tag;
    int present;

    if (it->len == 0) {
        return 0;
    }
    memset(s, 0, sizeof(*s));
    if (!der_get(it, DER_SEQUENCE, &sr) || !der_get(&sr, DER_SEQUENCE, &id) ||
        !der_get_whole(&id, DER_SEQUENCE, &s->hash_alg) ||
        !der_get(&id, DER_OCTET_STRING, &s->name_hash) ||
        !der_get(&id, DER_OCTET_STRING, &s->key_hash) ||
        !der_get(&id, DER_INTEGER, &s->serial) || id.len != 0 ||
        !der_get_any(&sr, &tag, &st, NULL)) {
        return -1;
    }
    s->status_tag = tag;
    if (tag == DER_CTX_C(1)) {
        if (!get_time(&st, &s->revocation_time) ||
            !der_get_optional(&st, DER_CTX_C(0), &v, &present) ||
            st.len != 0) {
            return -1;
        }
        if (present) {
            if (!der_get(&v, DER_ENUMERATED, &x) || v.len != 0 ||
                !der_int_small(&x, &s->reason)) {
                return -1;
            }
            s->has_reason = 1;
        }
    } else if ((tag != DER_CTX(0) && tag != DER_CTX(2)) || st.len != 0) {
        return -1;
    }
    if (!get_time(&sr, &s->this_update) ||
        !der_get_optional(&sr, DER_CTX_C(0), &v, &s->has_next_update)) {
        return -1;
    }
    if (s->has_next_update && (!get_time(&v, &s->next_update) || v.len != 0)) {
        return -1;
    }
    if (!der_get_optional(&sr, DER_CTX_C(1), &v, &present) || sr.len != 0) {
        return -1;
    }
    return 1;
}

int
lint_parse_ocsp(const uint8_t *der, size_t len, int is_tbs,
                struct lint_ocsp *o, char *why, size_t why_len)
{
    struct der in;
    struct der v;
    struct der t;
    struct der rd;
    int present;

    memset(o, 0, sizeof(*o));
    der_init(&in, der, len);
    o->whole.p = der;
    o->whole.len = len;
    o->status = -1;
    if (is_tbs) {
        if (!der_get_whole(&in, DER_SEQUENCE, &o->tbs) || in.len != 0) {
            FAIL("not one DER SEQUENCE (ResponseData)");
        }
    } else {
        struct der resp;
        struct der st;
        struct der rb;
        struct der basic;
        struct der b;

        if (!der_get(&in, DER_SEQUENCE, &resp) || in.len != 0 ||
            !der_get(&resp, DER_ENUMERATED, &st) ||
            !der_int_small(&st, &o->status) ||
            !der_get_optional(&resp, DER_CTX_C(0), &rb, &present) ||
            resp.len != 0) {
            FAIL("not an OCSPResponse");
        }
        if (!present) {
            return 1; /* an error status carries no body */
        }
        if (!der_get(&rb, DER_SEQUENCE, &v) || rb.len != 0 ||
            !der_get(&v, DER_OID, &o->resp_type) ||
            !der_get(&v, DER_OCTET_STRING, &basic) || v.len != 0) {
            FAIL("malformed responseBytes");
        }
        if (!DER_OID_IS(&o->resp_type, lint_oid_ocsp_basic)) {
            return 1; /* not a basic response: the rule says so */
        }
        if (!der_get(&basic, DER_SEQUENCE, &b) || basic.len != 0 ||
            !der_get_whole(&b, DER_SEQUENCE, &o->tbs) ||
            !der_get_whole(&b, DER_SEQUENCE, &o->sigalg) ||
            !der_get(&b, DER_BIT_STRING, &o->sig) ||
            !der_get_optional(&b, DER_CTX_C(0), &v, &o->certs_encoded) ||
            b.len != 0) {
            FAIL("malformed BasicOCSPResponse");
        }
        if (o->certs_encoded &&
            (!der_get(&v, DER_SEQUENCE, &o->certs) || v.len != 0)) {
            FAIL("malformed BasicOCSPResponse certs");
        }
    }
    t = o->tbs;
    if (!der_get(&t, DER_SEQUENCE, &rd) ||
        !der_get_optional(&rd, DER_CTX_C(0), &v, &o->version_encoded) ||
        !der_get_any(&rd, &o->responder_tag, &v, NULL)) {
        FAIL("malformed ResponseData");
    }
    if (o->responder_tag == DER_CTX_C(1)) {
        if (!der_get_whole(&v, DER_SEQUENCE, &o->responder) || v.len != 0) {
            FAIL("malformed responderID byName");
        }
    } else if (o->responder_tag == DER_CTX_C(2)) {
        if (!der_get(&v, DER_OCTET_STRING, &o->responder) || v.len != 0) {
            FAIL("malformed responderID byKey");
        }
    } else {
        FAIL("responderID is neither byName nor byKey");
    }
    if (!get_time(&rd, &o->produced_at) ||
        !der_get(&rd, DER_SEQUENCE, &o->responses) ||
        !der_get_optional(&rd, DER_CTX_C(1), &v, &o->exts_encoded) ||
        rd.len != 0) {
        FAIL("malformed ResponseData fields");
    }
    if (o->exts_encoded && (!der_get(&v, DER_SEQUENCE, &o->exts) || v.len != 0)) {
        FAIL("malformed responseExtensions");
    }
    {
        struct der it = o->responses;
        struct lint_ocsp_single s;
        int r;

        while ((r = lint_ocsp_next_single(&it, &s)) == 1) {
        }
        if (r < 0) {
            FAIL("malformed SingleResponse");
        }
    }
    return 1;
}
