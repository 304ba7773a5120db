/*
 * rules_crl.c - section C of LINT-RULES.md: every CRL we sign, and any CRL
 * given to "catena lint".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PASS CATENA_LINT_PASS
#define NA CATENA_LINT_NA
#define NE CATENA_LINT_NE
#define WARN CATENA_LINT_WARN
#define ERR CATENA_LINT_ERROR

enum catena_lint_result
lint_rule_crl_parse(const struct lint_in *in, char *detail, size_t len)
{
    /* Reached only once the parse has succeeded (engine.c). */
    (void)in;
    (void)detail;
    (void)len;
    return PASS;
}

enum catena_lint_result
lint_rule_c1(const struct lint_in *in, char *d, size_t n)
{
    if (in->crl->version != 1) {
        return lint_detail(d, n, ERR, "CRL version is %s",
                           in->crl->version < 0 ? "absent (v1)" : "not v2");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c2(const struct lint_in *in, char *d, size_t n)
{
    if (in->is_tbs) {
        return NA;
    }
    if (in->crl->was_pem) {
        return lint_detail(d, n, ERR, "the CRL is PEM text, not DER");
    }
    if (in->crl->trailing) {
        return lint_detail(d, n, ERR, "bytes follow the CertificateList");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c12(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_ext *e = in->crl->number;
    struct der v;
    struct der num;

    if (e == NULL) {
        return lint_detail(d, n, ERR, "cRLNumber is missing");
    }
    if (e->critical) {
        return lint_detail(d, n, ERR, "cRLNumber is critical");
    }
    v = e->value;
    if (!der_get(&v, DER_INTEGER, &num) || v.len != 0 ||
        !der_int_minimal(&num)) {
        return lint_detail(d, n, ERR, "cRLNumber is not a DER INTEGER");
    }
    if ((num.p[0] & 0x80u) != 0) {
        return lint_detail(d, n, ERR, "cRLNumber is negative");
    }
    /* < 2^159: at most 20 octets, and a 20th octet only as sign padding. */
    if (num.len > 20 || (num.len == 20 && num.p[0] != 0)) {
        return lint_detail(d, n, ERR, "cRLNumber is 2^159 or more");
    }
    return PASS;
}

/* aki_key_id extracts the keyIdentifier of an AKI value; returns 1 if the
 * AKI holds only a keyIdentifier. */
static int
aki_key_id_only(const struct der *value, struct der *kid, int *has_kid)
{
    struct der d = *value;
    struct der seq;
    int present;

    *has_kid = 0;
    if (!der_get(&d, DER_SEQUENCE, &seq) || d.len != 0 ||
        !der_get_optional(&seq, DER_CTX(0), kid, &present)) {
        return 0;
    }
    *has_kid = present;
    return seq.len == 0;
}

enum catena_lint_result
lint_rule_c14(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_ext *e = in->crl->aki;
    struct der kid;
    int has_kid;

    if (e == NULL) {
        return lint_detail(d, n, ERR, "authorityKeyIdentifier is missing");
    }
    if (e->critical) {
        return lint_detail(d, n, ERR, "authorityKeyIdentifier is critical");
    }
    if (!aki_key_id_only(&e->value, &kid, &has_kid) || !has_kid) {
        return lint_detail(d, n, ERR, "AKI is not a keyIdentifier alone");
    }
    if (in->issuer != NULL) {
        const struct lint_ext *ski = in->issuer->ski;
        struct der v;
        struct der id;

        if (ski == NULL) {
            return lint_detail(d, n, ERR, "the issuer has no SKI to match");
        }
        v = ski->value;
        if (!der_get(&v, DER_OCTET_STRING, &id) || !der_eq(&id, &kid)) {
            return lint_detail(d, n, ERR, "AKI differs from the issuer SKI");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c20(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;

    if (!c->revoked_encoded) {
        return NA;
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        const struct lint_crl_entry *e = &c->entries[i];

        if (e->flags & (LINT_CRLE_EXTS_BAD | LINT_CRLE_REASON_BAD)) {
            return lint_detail(d, n, ERR, "entry %zu: malformed reasonCode", i);
        }
        if (!(e->flags & LINT_CRLE_REASON)) {
            continue;
        }
        if (e->reason > 10 || e->reason == 7) {
            return lint_detail(d, n, ERR,
                               "entry %zu: reasonCode %lu is not a CRLReason",
                               i, (unsigned long)e->reason);
        }
        if (e->flags & LINT_CRLE_REASON_CRIT) {
            return lint_detail(d, n, ERR, "entry %zu: reasonCode is critical",
                               i);
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c21(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;

    if (!c->revoked_encoded) {
        return NA;
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        const struct lint_crl_entry *e = &c->entries[i];
        uint32_t code = e->reason;

        /* cACompromise (2) is allowed for CA entries (pkilint's ARL rule);
         * a CRL cannot tell us the entry's kind, so 2 passes. */
        if ((e->flags & LINT_CRLE_REASON) && code != 1 && code != 2 &&
            code != 3 && code != 4 && code != 5 && code != 9) {
            return lint_detail(d, n, ERR,
                               "entry %zu: reasonCode %lu is not allowed (%s)",
                               i, (unsigned long)code,
                               code == 0 ? "omit it instead of unspecified"
                                         : "BR 7.2.2");
        }
    }
    return PASS;
}

/* put_header writes a minimal DER identifier and length; returns its
 * size (at most 6 bytes for the 32-bit lengths the reader accepts). */
static size_t
put_header(uint8_t *out, uint8_t tag, size_t len)
{
    size_t n = 0;

    out[0] = tag;
    if (len < 0x80) {
        out[1] = (uint8_t)len;
        return 2;
    }
    for (size_t v = len; v > 0; v >>= 8) {
        n++;
    }
    out[1] = (uint8_t)(0x80u | n);
    for (size_t i = 0; i < n; i++) {
        out[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    }
    return 2 + n;
}

/*
 * strict_without_entries returns 1 when |top| (the TBS, or the whole CRL
 * around it) is strict DER once the entries are left out: a copy with an
 * empty revokedCertificates SEQUENCE in their place, every other TLV byte
 * for byte and at its depth, is walked. 0 if not, -1 without memory.
 */
static int
strict_without_entries(const struct lint_crl *c, const struct der *top,
                       int is_tbs)
{
    struct der t = c->tbs;
    struct der w = c->whole;
    struct der tc;
    struct der wc;
    const uint8_t *rev_end = c->revoked.p + c->revoked.len;
    size_t before, after, rest = 0, tbs_body, size, off = 0;
    uint8_t *shadow;
    int ok;

    if (!der_get(&t, DER_SEQUENCE, &tc) ||
        (!is_tbs && !der_get(&w, DER_SEQUENCE, &wc))) {
        return 0;
    }
    before = (size_t)(c->revoked_whole.p - tc.p);
    after = (size_t)(tc.p + tc.len - rev_end);
    tbs_body = before + 2 + after;
    if (!is_tbs) {
        rest = (size_t)(wc.p + wc.len - (tc.p + tc.len)); /* alg, sig */
    }
    size = 2 * 6 + tbs_body + rest;
    if (size > top->len + 12 || (shadow = malloc(size)) == NULL) {
        return -1;
    }
    if (!is_tbs) {
        uint8_t h[6];

        off = put_header(shadow, DER_SEQUENCE,
                         put_header(h, DER_SEQUENCE, tbs_body) + tbs_body +
                             rest);
    }
    off += put_header(shadow + off, DER_SEQUENCE, tbs_body);
    memcpy(shadow + off, tc.p, before);
    off += before;
    shadow[off++] = DER_SEQUENCE;
    shadow[off++] = 0;
    memcpy(shadow + off, rev_end, after);
    off += after;
    if (rest > 0) {
        memcpy(shadow + off, tc.p + tc.len, rest);
        off += rest;
    }
    ok = der_strict(shadow, off, NULL, 0);
    free(shadow);
    return ok;
}

/* entries_strict: every entry is what C3's walk would pass, as the parse
 * found (serial INTEGER minimal; extension list, if any, strict DER). The
 * entries' headers and times were read by the same strict reader. */
static int
entries_strict(const struct lint_crl *c)
{
    for (size_t i = 0; i < c->num_entries; i++) {
        uint32_t f = c->entries[i].flags;

        if (!(f & LINT_CRLE_SERIAL_DER) ||
            ((f & LINT_CRLE_EXTS) && !(f & LINT_CRLE_EXTS_DER))) {
            return 0;
        }
    }
    return 1;
}

enum catena_lint_result
lint_rule_c3(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;
    const struct der *top = in->is_tbs ? &c->tbs : &c->whole;
    char why[96];

    /* A million entries need not be walked a second time: the parse has
     * judged each one, and only the rest of the CRL is walked here. Any
     * doubt, and the whole CRL is walked as before (which also words the
     * finding). */
    if (!c->trailing && !(c->revoked_encoded && entries_strict(c) &&
                          strict_without_entries(c, top, in->is_tbs) == 1) &&
        !der_strict(top->p, top->len, why, sizeof(why))) {
        return lint_detail(d, n, ERR, "not DER: %s", why);
    }
    /* The check above covered the TBS (it is the TBS, or contains it with
     * less depth to spare); only when it was skipped is the TBS walked on
     * its own. A million-entry TBS was walked twice. */
    if (c->trailing && !der_strict(c->tbs.p, c->tbs.len, why, sizeof(why))) {
        return lint_detail(d, n, ERR, "TBSCertList not DER: %s", why);
    }
    for (size_t i = 0; i < c->num_exts; i++) {
        if (c->exts[i].crit_encoded && !c->exts[i].critical) {
            return lint_detail(d, n, ERR, "extension encodes critical FALSE");
        }
        if (!der_strict(c->exts[i].value.p, c->exts[i].value.len, why,
                        sizeof(why))) {
            return lint_detail(d, n, ERR, "extension not DER: %s", why);
        }
    }
    if (!in->is_tbs && !der_eq(&c->outer_sigalg, &c->sigalg)) {
        return lint_detail(d, n, ERR,
                           "signatureAlgorithm differs from the TBS signature");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c4(const struct lint_in *in, char *d, size_t n)
{
    enum lint_sig s = lint_sig_classify(&in->crl->sigalg);

    if (s == LINT_SIG_UNKNOWN || s == LINT_SIG_WEAK || s == LINT_SIG_LOOSE) {
        return lint_detail(d, n, ERR,
                           "signature algorithm not on the allow-list with "
                           "exact bytes");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c5(const struct lint_in *in, char *d, size_t n)
{
    enum lint_key k = in->signer_key != LINT_KEY_NONE ? in->signer_key
                      : in->issuer != NULL         ? in->issuer->spki.type
                                                   : LINT_KEY_NONE;

    if (k == LINT_KEY_NONE) {
        return NE;
    }
    if (!lint_sig_fits_key(lint_sig_classify(&in->crl->sigalg), k)) {
        return lint_detail(d, n, ERR,
                           "signature algorithm does not fit the %s CRL "
                           "signer key",
                           lint_key_name(k));
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c6(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_spki *k = in->signer_spki != NULL ? in->signer_spki
                                : in->issuer != NULL    ? &in->issuer->spki
                                                        : NULL;

    if (in->issuer != NULL && in->issuer->ku != NULL &&
        (in->issuer->ku_bits & 0x40u) == 0) {
        return lint_detail(d, n, ERR, "the issuer lacks cRLSign");
    }
    if (in->is_tbs) {
        return NA;
    }
    if (k == NULL) {
        return NE;
    }
    if (lint_verify(&k->whole, &in->crl->outer_sigalg, &in->crl->tbs,
                    &in->crl->sig) != 1) {
        return lint_detail(d, n, ERR, "signature does not verify");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c7(const struct lint_in *in, char *d, size_t n)
{
    if (in->crl->issuer.len <= 2) {
        return lint_detail(d, n, ERR, "CRL issuer is empty");
    }
    if (in->issuer == NULL) {
        return NE;
    }
    if (!der_eq(&in->crl->issuer, &in->issuer->subject)) {
        return lint_detail(d, n, ERR, "CRL issuer differs from the CA subject");
    }
    return PASS;
}

/* time_problem says what RFC 5280 5.1.2.4 finds wrong with a time of the
 * given decoding, or NULL. */
static const char *
time_problem(int ok, int strict, int gen, int64_t t)
{
    if (!ok) {
        return "not a UTC time with Z";
    }
    if (!strict) {
        return "missing seconds or has fractions";
    }
    if ((t < INT64_C(2524608000)) == gen) {
        return gen ? "GeneralizedTime before 2050" : "UTCTime from 2050";
    }
    return NULL;
}

static const char *
crl_time_problem(const struct lint_time *t)
{
    return time_problem(t->ok, t->strict,
                        t->ok && t->raw.p[0] == DER_GENERALIZEDTIME, t->t);
}

enum catena_lint_result
lint_rule_c8(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;
    const char *w;

    if ((w = crl_time_problem(&c->this_update)) != NULL) {
        return lint_detail(d, n, ERR, "thisUpdate: %s", w);
    }
    if (c->has_next_update && (w = crl_time_problem(&c->next_update)) != NULL) {
        return lint_detail(d, n, ERR, "nextUpdate: %s", w);
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        const struct lint_crl_entry *e = &c->entries[i];

        if ((w = time_problem((e->flags & LINT_CRLE_DATE_OK) != 0,
                              (e->flags & LINT_CRLE_DATE_STRICT) != 0,
                              (e->flags & LINT_CRLE_DATE_GEN) != 0,
                              e->date)) != NULL) {
            return lint_detail(d, n, ERR, "revocationDate: %s", w);
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c9(const struct lint_in *in, char *d, size_t n)
{
    if (!in->crl->has_next_update) {
        return lint_detail(d, n, ERR, "nextUpdate is missing");
    }
    return PASS;
}

/* idp_flags reads the IDP booleans: bit 0 onlyUser, 1 onlyCA,
 * 2 onlySomeReasons, 3 indirect, 4 onlyAttr, 5 has fullName. */
static int
idp_flags(const struct lint_ext *idp, unsigned *flags, struct der *names)
{
    struct der v = idp->value;
    struct der seq;

    *flags = 0;
    names->p = NULL;
    names->len = 0;
    if (!der_get(&v, DER_SEQUENCE, &seq) || v.len != 0) {
        return 0;
    }
    while (seq.len > 0) {
        unsigned tag;
        struct der c;

        if (!der_get_any(&seq, &tag, &c, NULL)) {
            return 0;
        }
        switch (tag) {
        case DER_CTX_C(0): {
            struct der full;

            if (!der_get(&c, DER_CTX_C(0), &full) || c.len != 0) {
                return 0;
            }
            *names = full;
            *flags |= 32;
            break;
        }
        case DER_CTX(1): *flags |= c.len == 1 && c.p[0] ? 1 : 64; break;
        case DER_CTX(2): *flags |= c.len == 1 && c.p[0] ? 2 : 64; break;
        case DER_CTX(3): *flags |= 4; break;
        case DER_CTX(4): *flags |= c.len == 1 && c.p[0] ? 8 : 64; break;
        case DER_CTX(5): *flags |= c.len == 1 && c.p[0] ? 16 : 64; break;
        default: return 0;
        }
    }
    return 1;
}

enum catena_lint_result
lint_rule_c10(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;
    int64_t max = 10 * 86400;
    unsigned flags = 0;
    struct der names;

    if (!c->has_next_update) {
        return NA;
    }
    if (c->next_update.t <= c->this_update.t) {
        return lint_detail(d, n, ERR, "nextUpdate is not after thisUpdate");
    }
    if (c->idp != NULL && idp_flags(c->idp, &flags, &names) && (flags & 2)) {
        max = 366 * 86400; /* a CA-only CRL: 12 months (BR 4.9.7) */
    }
    if (c->next_update.t - c->this_update.t + 1 > max) {
        return lint_detail(d, n, ERR, "nextUpdate more than %lld days after thisUpdate",
                           (long long)(max / 86400));
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c11(const struct lint_in *in, char *d, size_t n)
{
    if (!in->is_tbs) {
        return NE;
    }
    if (in->crl->this_update.t > in->now + 60) {
        return lint_detail(d, n, ERR, "thisUpdate is in the future");
    }
    /* Boulder's maxBackdate is 1 h 5 min. */
    if (in->now - in->crl->this_update.t > 3900) {
        return lint_detail(d, n, ERR, "thisUpdate backdated more than 1h05");
    }
    return PASS;
}

/* crl_number reads the cRLNumber's INTEGER contents, the checks of C12
 * passed; returns 0 when there is no usable number (C12 reports why). */
static int
crl_number(const struct lint_crl *c, struct der *num)
{
    struct der v;

    if (c->number == NULL) {
        return 0;
    }
    v = c->number->value;
    return der_get(&v, DER_INTEGER, num) && v.len == 0 &&
           der_int_minimal(num) && (num->p[0] & 0x80u) == 0;
}

/* magnitude_cmp compares two non-negative big-endian numbers of any
 * length (leading zero octets ignored): <0, 0, >0. */
static int
magnitude_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    while (alen > 0 && a[0] == 0) {
        a++;
        alen--;
    }
    while (blen > 0 && b[0] == 0) {
        b++;
        blen--;
    }
    if (alen != blen) {
        return alen < blen ? -1 : 1;
    }
    return alen == 0 ? 0 : memcmp(a, b, alen);
}

/* number_text writes a number's magnitude as decimal when it fits in 63
 * bits, else as hex, for the operator. */
static void
number_text(const uint8_t *p, size_t len, char *buf, size_t buf_len)
{
    uint64_t v = 0;
    size_t i = 0;

    while (i < len && p[i] == 0) {
        i++;
    }
    if (len - i <= 7 || (len - i == 8 && p[i] < 0x80)) {
        for (; i < len; i++) {
            v = (v << 8) | p[i];
        }
        snprintf(buf, buf_len, "%llu", (unsigned long long)v);
        return;
    }
    snprintf(buf, buf_len, "0x");
    for (size_t o = 2; i < len && o + 3 <= buf_len; i++, o += 2) {
        snprintf(buf + o, buf_len - o, "%02x", p[i]);
    }
}

enum catena_lint_result
lint_rule_c13(const struct lint_in *in, char *d, size_t n)
{
    const struct catena_lint_ctx *ctx = in->ctx;
    struct der num;
    char cur[48];
    char prev[48];

    /* The scope's history is CA state: the caller (the signer, told by the
     * publisher what it last stored for the shard) supplies it. */
    if (!ctx->has_prev_crl_number) {
        return lint_detail(d, n, NE, "needs the scope's previous cRLNumber");
    }
    if (!crl_number(in->crl, &num)) {
        return lint_detail(d, n, NA, "no usable cRLNumber (C12)");
    }
    if (ctx->prev_crl_number == NULL) {
        return PASS; /* the first CRL of its scope */
    }
    if (magnitude_cmp(num.p, num.len, ctx->prev_crl_number,
                      ctx->prev_crl_number_len) <= 0) {
        number_text(num.p, num.len, cur, sizeof(cur));
        number_text(ctx->prev_crl_number, ctx->prev_crl_number_len, prev,
                    sizeof(prev));
        return lint_detail(d, n, ERR,
                           "cRLNumber %s is not above %s, the scope's "
                           "previous one",
                           cur, prev);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c15(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;

    for (size_t i = 0; i < c->num_exts; i++) {
        const struct lint_ext *e = &c->exts[i];

        if (e == c->aki || e == c->number) {
            continue;
        }
        if (e == c->idp) {
            if (!e->critical) {
                return lint_detail(d, n, ERR, "IDP is not critical");
            }
            continue;
        }
        if (DER_OID_IS(&e->oid, lint_oid_delta) ||
            DER_OID_IS(&e->oid, lint_oid_freshest)) {
            return lint_detail(d, n, ERR, "delta CRL extensions are not issued");
        }
        if (e->critical) {
            return lint_detail(d, n, ERR, "unexpected critical CRL extension");
        }
        return lint_detail(d, n, WARN, "unexpected CRL extension");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c16(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;

    if (lint_ext_dups(c->exts, c->num_exts)) {
        return lint_detail(d, n, ERR, "duplicate CRL extension");
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        if (c->entries[i].flags & (LINT_CRLE_EXTS_BAD | LINT_CRLE_EXTS_DUP)) {
            return lint_detail(d, n, ERR, "duplicate or malformed entry extension");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c17(const struct lint_in *in, char *d, size_t n)
{
    if (in->crl->revoked_encoded && in->crl->revoked.len == 0) {
        return lint_detail(d, n, ERR, "revokedCertificates is an empty SEQUENCE");
    }
    if (in->crl->exts_encoded && in->crl->num_exts == 0) {
        return lint_detail(d, n, ERR, "crlExtensions is an empty SEQUENCE");
    }
    return PASS;
}

/* serial_hash: FNV-1a over the serial's content octets. */
static uint32_t
serial_hash(const uint8_t *p, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

enum catena_lint_result
lint_rule_c18(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;
    const uint8_t *base = c->revoked.p;
    uint32_t *slots = NULL; /* entry index + 1; 0 is empty */
    size_t size = 1;
    enum catena_lint_result r = PASS;

    if (!c->revoked_encoded) {
        return NA;
    }
    if (c->num_entries > UINT32_MAX / 4) {
        return lint_detail(d, n, ERR, "too many entries");
    }
    /* An open-addressing set at most half full finds a repeat in linear
     * time (a shard can list a hundred thousand serials); no sorting, and
     * nothing but malloc, as this also runs inside the signer's sandbox. */
    while (size < 2 * c->num_entries) {
        size *= 2;
    }
    if ((slots = calloc(size, sizeof(*slots))) == NULL) {
        return lint_detail(d, n, ERR, "out of memory");
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        const struct lint_crl_entry *e = &c->entries[i];
        size_t h = serial_hash(base + e->serial_off, e->serial_len) &
                   (size - 1);

        while (slots[h] != 0) {
            const struct lint_crl_entry *o = &c->entries[slots[h] - 1];

            if (o->serial_len == e->serial_len &&
                memcmp(base + o->serial_off, base + e->serial_off,
                       e->serial_len) == 0) {
                r = lint_detail(d, n, ERR, "a serial is listed twice");
                goto out;
            }
            h = (h + 1) & (size - 1);
        }
        slots[h] = (uint32_t)(i + 1);
    }
out:
    free(slots);
    return r;
}

enum catena_lint_result
lint_rule_c19(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;

    if (!c->revoked_encoded) {
        return NA;
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        if (c->entries[i].date > c->this_update.t) {
            return lint_detail(d, n, ERR, "revocationDate after thisUpdate");
        }
        if (c->entries[i].date < INT64_C(915148800)) {
            return lint_detail(d, n, ERR, "revocationDate before 1999");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c22(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;
    unsigned flags = 0;
    struct der names;

    /* Only a CA-only CRL tells us its entries are CA certificates. */
    if (c->idp == NULL || !idp_flags(c->idp, &flags, &names) ||
        !(flags & 2) || !c->revoked_encoded) {
        return NA;
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        if (!(c->entries[i].flags & LINT_CRLE_REASON_EXT)) {
            return lint_detail(d, n, ERR, "CA entry without reasonCode");
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c23(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;

    if (!c->revoked_encoded) {
        return NA;
    }
    for (size_t i = 0; i < c->num_entries; i++) {
        uint32_t f = c->entries[i].flags;

        if (!(f & LINT_CRLE_EXTS)) {
            continue;
        }
        if (f & LINT_CRLE_EXTS_BAD) {
            return lint_detail(d, n, ERR, "malformed entry extensions");
        }
        switch ((f & LINT_CRLE_C23_MASK) >> LINT_CRLE_C23_SHIFT) {
        case LINT_C23_CERT_ISSUER:
            return lint_detail(d, n, ERR, "certificateIssuer: indirect CRL");
        case LINT_C23_INVALIDITY_BAD:
            return lint_detail(d, n, ERR, "invalidityDate malformed");
        case LINT_C23_INVALIDITY_LATE:
            return lint_detail(d, n, WARN,
                               "invalidityDate after revocationDate");
        case LINT_C23_OTHER:
            return lint_detail(d, n, ERR,
                               "entry extension other than "
                               "reasonCode/invalidityDate");
        default:
            break;
        }
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c24(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;
    unsigned flags = 0;
    struct der names;
    int matched = 0;

    if (c->idp == NULL) {
        if (in->ctx->shard_url != NULL) {
            return lint_detail(d, n, ERR, "partitioned CRL without IDP");
        }
        return NA;
    }
    if (!c->idp->critical) {
        return lint_detail(d, n, ERR, "IDP is not critical");
    }
    if (!idp_flags(c->idp, &flags, &names)) {
        return lint_detail(d, n, ERR, "IDP is malformed");
    }
    if (flags & 64) {
        return lint_detail(d, n, ERR, "IDP encodes a FALSE boolean (DEFAULT)");
    }
    if (!(flags & 32)) {
        return lint_detail(d, n, ERR, "IDP has no distributionPoint fullName");
    }
    if (flags & (8 | 16)) {
        return lint_detail(d, n, ERR, "IDP asserts indirectCRL or onlyContainsAttributeCerts");
    }
    if ((flags & 3) == 3) {
        return lint_detail(d, n, ERR, "IDP asserts both onlyUser and onlyCA");
    }
    while (names.len > 0) {
        unsigned tag;
        struct der uri;

        if (lint_gn_next(&names, &tag, &uri) != 1 || tag != DER_CTX(6) ||
            uri.len < 8 || memcmp(uri.p, "http://", 7) != 0) {
            return lint_detail(d, n, ERR, "IDP name is not an http:// URI");
        }
        if (in->ctx->shard_url != NULL &&
            uri.len == strlen(in->ctx->shard_url) &&
            memcmp(uri.p, in->ctx->shard_url, uri.len) == 0) {
            matched = 1;
        }
    }
    if (in->ctx->shard_url != NULL && !matched) {
        return lint_detail(d, n, ERR, "IDP does not name the shard URL %s",
                           in->ctx->shard_url);
    }
    if (flags & 4) {
        return lint_detail(d, n, WARN, "IDP onlySomeReasons");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_c25(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_crl *c = in->crl;
    unsigned flags = 0;
    struct der names;

    if (c->idp == NULL || !idp_flags(c->idp, &flags, &names) ||
        !c->revoked_encoded) {
        return NA;
    }
    /* Without the store we can only see reason codes that betray an entry's
     * kind: cACompromise names a CA certificate. */
    for (size_t i = 0; (flags & 1) && i < c->num_entries; i++) {
        if (c->entries[i].flags & LINT_CRLE_REASON_CA) {
            return lint_detail(d, n, ERR, "cACompromise entry in a user-only CRL");
        }
    }
    return in->is_tbs ? PASS : NE;
}
