/*
 * rules_keys.c - section B of LINT-RULES.md: subject public key quality.
 * RSA arithmetic and the EC curve equation use OpenSSL's BIGNUMs.
 */
#include <string.h>

#include <openssl/bn.h>

#include "internal.h"

#define PASS CATENA_LINT_PASS
#define NA CATENA_LINT_NA
#define NE CATENA_LINT_NE
#define WARN CATENA_LINT_WARN
#define ERR CATENA_LINT_ERROR

/* rsa_parts reads RSAPublicKey ::= SEQUENCE { modulus, publicExponent }. */
static int
rsa_parts(const struct lint_cert *c, struct der *mod, struct der *exp)
{
    struct der d = c->spki.key;
    struct der seq;

    if (c->spki.type != LINT_KEY_RSA && c->spki.type != LINT_KEY_RSA_PSS) {
        return 0;
    }
    return der_get(&d, DER_SEQUENCE, &seq) && d.len == 0 &&
           der_get(&seq, DER_INTEGER, mod) && der_get(&seq, DER_INTEGER, exp) &&
           seq.len == 0 && mod->len > 0 && exp->len > 0;
}

static size_t
mod_bits(const struct der *m)
{
    size_t i = 0;
    size_t bits;
    uint8_t top;

    while (i < m->len && m->p[i] == 0) {
        i++;
    }
    if (i == m->len) {
        return 0;
    }
    top = m->p[i];
    bits = (m->len - i - 1) * 8;
    while (top != 0) {
        bits++;
        top >>= 1;
    }
    return bits;
}

enum catena_lint_result
lint_rule_b1(const struct lint_in *in, char *d, size_t n)
{
    static const char *const exact[] = {
        "\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00",
        "\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x08\x2a\x86\x48\xce"
        "\x3d\x03\x01\x07",
        "\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b\x81\x04\x00"
        "\x22",
        "\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b\x81\x04\x00"
        "\x23",
        "\x30\x05\x06\x03\x2b\x65\x70",
        "\x30\x05\x06\x03\x2b\x65\x71",
    };
    static const size_t lens[] = {15, 21, 18, 18, 7, 7};
    const struct lint_spki *k = &in->cert->spki;

    if (k->type == LINT_KEY_DSA) {
        return lint_detail(d, n, ERR, "DSA keys are not allowed");
    }
    if (k->type == LINT_KEY_RSA_PSS) {
        return lint_detail(d, n, ERR, "id-RSASSA-PSS SPKI is not allowed");
    }
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        if (k->alg.len == lens[i] && memcmp(k->alg.p, exact[i], lens[i]) == 0) {
            return PASS;
        }
    }
    return lint_detail(d, n, ERR,
                       "SPKI algorithm %s not allowed or not exactly encoded",
                       lint_key_name(k->type));
}

enum catena_lint_result
lint_rule_b2(const struct lint_in *in, char *d, size_t n)
{
    struct der m;
    struct der e;
    size_t bits;

    if (!rsa_parts(in->cert, &m, &e)) {
        return in->cert->spki.type == LINT_KEY_RSA
                   ? lint_detail(d, n, ERR, "RSAPublicKey is malformed")
                   : NA;
    }
    bits = mod_bits(&m);
    if (bits < 2048) {
        return lint_detail(d, n, ERR, "RSA modulus of %zu bits", bits);
    }
    if (bits % 8 != 0) {
        return lint_detail(d, n, ERR, "RSA modulus of %zu bits (not a multiple of 8)", bits);
    }
    return PASS;
}

enum catena_lint_result
lint_rule_b3(const struct lint_in *in, char *d, size_t n)
{
    struct der m;
    struct der e;
    int64_t v = 0;

    if (!rsa_parts(in->cert, &m, &e)) {
        return NA;
    }
    if (!der_int_minimal(&e) || (e.p[0] & 0x80u) != 0) {
        return lint_detail(d, n, ERR, "RSA exponent negative or not minimal");
    }
    if ((e.p[e.len - 1] & 1u) == 0) {
        return lint_detail(d, n, ERR, "RSA exponent is even");
    }
    if (e.len <= 8 && der_int_small(&e, &v) && v < 3) {
        return lint_detail(d, n, ERR, "RSA exponent is %lld", (long long)v);
    }
    if (e.len > 33 || (e.len == 33 && e.p[0] != 0) ||
        (e.len <= 8 && der_int_small(&e, &v) && v < 65537)) {
        return lint_detail(d, n, WARN,
                           "RSA exponent outside 2^16+1 .. 2^256-1");
    }
    return PASS;
}

static BIGNUM *
modulus_bn(const struct lint_cert *c)
{
    struct der m;
    struct der e;

    if (!rsa_parts(c, &m, &e) || (m.p[0] & 0x80u) != 0) {
        return NULL;
    }
    return BN_bin2bn(m.p, (int)m.len, NULL);
}

/* The odd primes below 752 (NIST SP 800-89 5.3.3). */
static const unsigned short small_primes[] = {
    3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,  47,
    53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103, 107, 109,
    113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191,
    193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269,
    271, 277, 281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353,
    359, 367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433, 439,
    443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503, 509, 521, 523,
    541, 547, 557, 563, 569, 571, 577, 587, 593, 599, 601, 607, 613, 617,
    619, 631, 641, 643, 647, 653, 659, 661, 673, 677, 683, 691, 701, 709,
    719, 727, 733, 739, 743, 751};
#define NUM_SMALL_PRIMES (sizeof(small_primes) / sizeof(small_primes[0]))

static int square_maybe(const BIGNUM *x);

/* isqrt_word: floor(sqrt(v)) digit by digit (v < 2^62). */
static uint64_t
isqrt_word(uint64_t v)
{
    uint64_t r = 0;
    uint64_t bit = UINT64_C(1) << 62;

    while (bit > v) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

/* isqrt sets |r| = floor(sqrt(a)) by Newton's method. */
static int
isqrt(BIGNUM *r, const BIGNUM *a, BN_CTX *ctx)
{
    BIGNUM *x = BN_CTX_get(ctx);
    BIGNUM *y = BN_CTX_get(ctx);

    if (y == NULL) {
        return 0;
    }
    if (BN_is_zero(a)) {
        BN_zero(r);
        return 1;
    }
    /* Start just above the root: with t = a >> s (s even, t one word),
     * sqrt(a) < sqrt(t + 1) * 2^(s/2) <= (isqrt(t) + 1) * 2^(s/2). From
     * there Newton needs a few steps where 2^ceil(bits/2) needed a dozen
     * 1024-bit divisions. */
    {
        int lim = sizeof(BN_ULONG) >= 8 ? 62 : 30;
        int bits = BN_num_bits(a);
        int sh = bits > lim ? bits - lim : 0;

        sh += sh & 1;
        if (!BN_rshift(x, a, sh) ||
            !BN_set_word(x, (BN_ULONG)(isqrt_word(BN_get_word(x)) + 1)) ||
            !BN_lshift(x, x, sh / 2)) {
            return 0;
        }
    }
    for (;;) {
        /* y = (x + a/x) / 2 */
        if (!BN_div(y, NULL, a, x, ctx) || !BN_add(y, y, x) ||
            !BN_rshift1(y, y)) {
            return 0;
        }
        if (BN_cmp(y, x) >= 0) {
            break;
        }
        if (!BN_copy(x, y)) {
            return 0;
        }
    }
    return BN_copy(r, x) != NULL;
}

enum catena_lint_result
lint_rule_b4(const struct lint_in *in, char *d, size_t n)
{
    BIGNUM *nn = modulus_bn(in->cert);
    BN_CTX *ctx = NULL;
    enum catena_lint_result r = PASS;

    if (nn == NULL) {
        return rsa_parts(in->cert, &(struct der){0}, &(struct der){0}) ?
               lint_detail(d, n, ERR, "RSA modulus is negative") : NA;
    }
    if (!BN_is_odd(nn)) {
        r = lint_detail(d, n, ERR, "RSA modulus is even");
        goto out;
    }
    /* One BN_mod_word per run of primes whose product fits a word, then
     * the residue modulo each prime: a multi-precision division per prime
     * was a third of an RSA certificate's lint. */
    for (size_t i = 0; i < NUM_SMALL_PRIMES;) {
        BN_ULONG m = 1;
        BN_ULONG res;
        size_t j = i;

        while (j < NUM_SMALL_PRIMES && m <= ((BN_ULONG)-1) / small_primes[j]) {
            m *= small_primes[j++];
        }
        res = BN_mod_word(nn, m);
        if (res == (BN_ULONG)-1) {
            r = lint_detail(d, n, ERR, "out of memory");
            goto out;
        }
        for (; i < j; i++) {
            if (res % small_primes[i] == 0) {
                r = lint_detail(d, n, ERR, "RSA modulus divisible by %u",
                                small_primes[i]);
                goto out;
            }
        }
    }
    /* Perfect squares (the only perfect powers with the two equal prime
     * factors an RSA generator can produce); cubes and higher powers of
     * primes >= 752 are not checked. */
    /* Quadratic residues rule out almost every non-square without the
     * square root. */
    ctx = square_maybe(nn) ? BN_CTX_new() : NULL;
    if (ctx != NULL) {
        BN_CTX_start(ctx);
        BIGNUM *s = BN_CTX_get(ctx);
        BIGNUM *sq = BN_CTX_get(ctx);

        if (sq != NULL && isqrt(s, nn, ctx) && BN_sqr(sq, s, ctx) &&
            BN_cmp(sq, nn) == 0) {
            r = lint_detail(d, n, ERR, "RSA modulus is a perfect square");
        }
        BN_CTX_end(ctx);
    }
out:
    BN_CTX_free(ctx);
    BN_free(nn);
    return r;
}

/* square_maybe filters non-squares cheaply by quadratic residues. */
/* QR_MOD = 64 * 63 * 65 * 11: a square is a quadratic residue modulo
 * each factor, which rules out ~99.2% of non-squares. */
#define QR_MOD (64u * 63u * 65u * 11u)

/* qr_maybe: 0 if a number congruent to |res| modulo QR_MOD is surely not
 * a square, 1 if it may be. */
static int
qr_maybe(uint64_t res)
{
    static const unsigned mods[] = {64, 63, 65, 11};

    for (size_t i = 0; i < 4; i++) {
        unsigned r = (unsigned)(res % mods[i]);
        int found = 0;

        for (unsigned k = 0; k <= mods[i] / 2; k++) {
            if ((k * k) % mods[i] == r) {
                found = 1;
                break;
            }
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

static int
square_maybe(const BIGNUM *x)
{
    BN_ULONG all = BN_mod_word(x, QR_MOD);

    /* On failure, say "maybe": the caller then takes the root. */
    return all == (BN_ULONG)-1 || qr_maybe((uint64_t)all);
}

#define FERMAT_ROUNDS 110

enum catena_lint_result
lint_rule_b5(const struct lint_in *in, char *d, size_t n)
{
    BIGNUM *nn = modulus_bn(in->cert);
    BN_CTX *ctx = NULL;
    enum catena_lint_result r = PASS;

    if (nn == NULL) {
        return NA;
    }
    ctx = BN_CTX_new();
    if (ctx == NULL) {
        r = lint_detail(d, n, ERR, "out of memory");
        goto out;
    }
    BN_CTX_start(ctx);
    BIGNUM *a = BN_CTX_get(ctx);
    BIGNUM *b2 = BN_CTX_get(ctx);
    BIGNUM *b = BN_CTX_get(ctx);
    BIGNUM *t = BN_CTX_get(ctx);

    /* a = ceil(sqrt(N)); b2 = a^2 - N; each round a += 1 and
     * b2 += 2a - 1, and a square b2 = b^2 gives N = (a-b)(a+b). */
    if (t == NULL || !isqrt(a, nn, ctx) || !BN_sqr(t, a, ctx)) {
        r = lint_detail(d, n, ERR, "out of memory");
        goto end;
    }
    if (BN_cmp(t, nn) < 0 && !BN_add_word(a, 1)) {
        goto end;
    }
    if (!BN_sqr(b2, a, ctx) || !BN_sub(b2, b2, nn)) {
        goto end;
    }
    /* The rounds run on a and b2 modulo QR_MOD (words): only a round whose
     * b2 may be a square computes b2 = (a + i)^2 - N as a BIGNUM. Doing
     * every round in BIGNUMs was half of an RSA certificate's lint. */
    {
        BN_ULONG am = BN_mod_word(a, QR_MOD);
        BN_ULONG bm = BN_mod_word(b2, QR_MOD);

        if (am == (BN_ULONG)-1 || bm == (BN_ULONG)-1) {
            r = lint_detail(d, n, ERR, "out of memory");
            goto end;
        }
        for (int i = 0; i < FERMAT_ROUNDS; i++) {
            if (qr_maybe((uint64_t)bm)) {
                if (!BN_copy(t, a) || !BN_add_word(t, (BN_ULONG)i) ||
                    !BN_sqr(b2, t, ctx) || !BN_sub(b2, b2, nn)) {
                    r = lint_detail(d, n, ERR, "out of memory");
                    goto end;
                }
                if (isqrt(b, b2, ctx) && BN_sqr(t, b, ctx) &&
                    BN_cmp(t, b2) == 0) {
                    r = lint_detail(d, n, ERR,
                                    "RSA modulus factored by Fermat in %d rounds",
                                    i + 1);
                    goto end;
                }
            }
            /* b2 += 2a + 1; a += 1 (mod QR_MOD) */
            bm = (BN_ULONG)(((uint64_t)bm + 2 * (uint64_t)am + 1) % QR_MOD);
            am = (BN_ULONG)(((uint64_t)am + 1) % QR_MOD);
        }
    }
end:
    BN_CTX_end(ctx);
out:
    BN_CTX_free(ctx);
    BN_free(nn);
    return r;
}

/* ROCA (CVE-2017-15361): RSALib moduli are 65537^k mod M, so N mod p lies
 * in the subgroup generated by 65537 for each small prime p of M. A
 * random modulus does so for every one of these primes with negligible
 * probability. */
static const unsigned char roca_primes[] = {
    3,  5,  7,  11, 13, 17,  19,  23,  29,  31,  37,  41,  43,
    47, 53, 59, 61, 67, 71,  73,  79,  83,  89,  97,  101, 103,
    107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};

enum catena_lint_result
lint_rule_b6(const struct lint_in *in, char *d, size_t n)
{
    BIGNUM *nn = modulus_bn(in->cert);
    int hit = 1;

    if (nn == NULL) {
        return NA;
    }
    for (size_t i = 0; i < sizeof(roca_primes) && hit; i++) {
        unsigned p = roca_primes[i];
        unsigned r = (unsigned)BN_mod_word(nn, p);
        unsigned g = 65537 % p;
        unsigned x = 1;
        int in_group = 0;

        for (unsigned k = 0; k < p; k++) {
            if (x == r) {
                in_group = 1;
                break;
            }
            x = (x * g) % p;
        }
        hit = in_group;
    }
    BN_free(nn);
    if (hit) {
        return lint_detail(d, n, ERR, "RSA modulus has the ROCA fingerprint");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_b7(const struct lint_in *in, char *d, size_t n)
{
    BIGNUM *nn;
    char *hex;
    int bits;
    enum catena_lint_weak_answer a;

    if (in->cert->spki.type != LINT_KEY_RSA) {
        return NA;
    }
    /* The lists are the operator's to install (weak_keys.c): without one
     * the rule cannot tell, and says so rather than pass. */
    if (in->ctx->weak_keys == NULL) {
        return lint_detail(d, n, NE,
                           "no Debian weak-key list is configured "
                           "([lint] debian_weak_keys)");
    }
    if ((nn = modulus_bn(in->cert)) == NULL) {
        return NA;
    }
    bits = BN_num_bits(nn);
    hex = BN_bn2hex(nn);
    BN_free(nn);
    if (hex == NULL) {
        return lint_detail(d, n, NE, "out of memory");
    }
    a = catena_lint_weak_keys_check(in->ctx->weak_keys, hex, bits);
    OPENSSL_free(hex);
    switch (a) {
    case CATENA_LINT_WEAK_LISTED:
        return lint_detail(d, n, ERR,
                           "RSA-%d modulus is a Debian weak key "
                           "(CVE-2008-0166)",
                           bits);
    case CATENA_LINT_WEAK_NOT_LISTED:
        return PASS;
    default:
        /* BR 6.1.1.3: weak keys of sizes the lists do not cover must be
         * rejected too; a key that cannot be checked is not signed. */
        return lint_detail(d, n, ERR,
                           "no loaded Debian weak-key list covers RSA-%d",
                           bits);
    }
}

enum catena_lint_result
lint_rule_b8(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_cert *c = in->cert;

    if (in->ctx->key_is_blocked) {
        return lint_detail(d, n, ERR, "the subject key is blocked");
    }
    if (in->issuer != NULL && !c->self_issued &&
        der_eq(&c->spki.whole, &in->issuer->spki.whole) && !c->is_ca) {
        return lint_detail(d, n, ERR, "subscriber key is the CA's key");
    }
    if (in->signer_spki != NULL && !c->self_issued && !c->is_ca &&
        der_eq(&c->spki.whole, &in->signer_spki->whole)) {
        return lint_detail(d, n, ERR, "subscriber key is the signing key");
    }
    return in->is_tbs ? PASS : NE;
}

enum catena_lint_result
lint_rule_b9(const struct lint_in *in, char *d, size_t n)
{
    switch (in->cert->spki.type) {
    case LINT_KEY_P256:
    case LINT_KEY_P384:
    case LINT_KEY_P521:
        return PASS;
    case LINT_KEY_EC_OTHER:
        return lint_detail(d, n, ERR, "EC curve is not P-256/P-384/P-521");
    case LINT_KEY_EC_EXPLICIT:
        return lint_detail(d, n, ERR, "EC key with explicit parameters");
    default:
        return NA;
    }
}

/*
 * The prime p and coefficient b of the NIST curves (FIPS 186-4 D.1.2; all
 * have a = -3 and cofactor 1), as "openssl ecparam -param_enc explicit"
 * prints them. test_lint checks them against OpenSSL's built-in groups.
 * They let B10 check y^2 = x^3 - 3x + b (mod p) with a few BIGNUM
 * operations: building an EC_GROUP per certificate (Montgomery set-up,
 * generator precomputation) cost more than every other rule together.
 */
static const uint8_t p256_p[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
static const uint8_t p256_b[32] = {
    0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55,
    0x76, 0x98, 0x86, 0xbc, 0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6,
    0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b,
};
static const uint8_t p384_p[48] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
};
static const uint8_t p384_b[48] = {
    0xb3, 0x31, 0x2f, 0xa7, 0xe2, 0x3e, 0xe7, 0xe4, 0x98, 0x8e, 0x05, 0x6b,
    0xe3, 0xf8, 0x2d, 0x19, 0x18, 0x1d, 0x9c, 0x6e, 0xfe, 0x81, 0x41, 0x12,
    0x03, 0x14, 0x08, 0x8f, 0x50, 0x13, 0x87, 0x5a, 0xc6, 0x56, 0x39, 0x8d,
    0x8a, 0x2e, 0xd1, 0x9d, 0x2a, 0x85, 0xc8, 0xed, 0xd3, 0xec, 0x2a, 0xef,
};
static const uint8_t p521_p[66] = {
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
static const uint8_t p521_b[66] = {
    0x00, 0x51, 0x95, 0x3e, 0xb9, 0x61, 0x8e, 0x1c, 0x9a, 0x1f, 0x92, 0x9a,
    0x21, 0xa0, 0xb6, 0x85, 0x40, 0xee, 0xa2, 0xda, 0x72, 0x5b, 0x99, 0xb3,
    0x15, 0xf3, 0xb8, 0xb4, 0x89, 0x91, 0x8e, 0xf1, 0x09, 0xe1, 0x56, 0x19,
    0x39, 0x51, 0xec, 0x7e, 0x93, 0x7b, 0x16, 0x52, 0xc0, 0xbd, 0x3b, 0xb1,
    0xbf, 0x07, 0x35, 0x73, 0xdf, 0x88, 0x3d, 0x2c, 0x34, 0xf1, 0xef, 0x45,
    0x1f, 0xd4, 0x6b, 0x50, 0x3f, 0x00,
};

struct nist_curve {
    const uint8_t *p, *b;
    size_t field;
};

static const struct nist_curve curve_p256 = {p256_p, p256_b, 32};
static const struct nist_curve curve_p384 = {p384_p, p384_b, 48};
static const struct nist_curve curve_p521 = {p521_p, p521_b, 66};

/* on_curve: 1 if the uncompressed point X||Y (each |cv->field| octets)
 * has 0 <= X, Y < p and lies on the curve, 0 if not, -1 on allocation
 * failure. The NIST curves have cofactor 1 and an uncompressed encoding
 * cannot name the point at infinity, so this is the whole public-key
 * validation of SP 800-56A 5.6.2.3.3 (the n*Q check adds nothing). */
static int
on_curve(const struct nist_curve *cv, const uint8_t *xy)
{
    BN_CTX *ctx = BN_CTX_new();
    int r = -1;

    if (ctx == NULL) {
        return -1;
    }
    BN_CTX_start(ctx);
    BIGNUM *p = BN_CTX_get(ctx);
    BIGNUM *b = BN_CTX_get(ctx);
    BIGNUM *x = BN_CTX_get(ctx);
    BIGNUM *y = BN_CTX_get(ctx);
    BIGNUM *lhs = BN_CTX_get(ctx);
    BIGNUM *rhs = BN_CTX_get(ctx);
    BIGNUM *t = BN_CTX_get(ctx);

    if (t == NULL || BN_bin2bn(cv->p, (int)cv->field, p) == NULL ||
        BN_bin2bn(cv->b, (int)cv->field, b) == NULL ||
        BN_bin2bn(xy, (int)cv->field, x) == NULL ||
        BN_bin2bn(xy + cv->field, (int)cv->field, y) == NULL) {
        goto out;
    }
    if (BN_cmp(x, p) >= 0 || BN_cmp(y, p) >= 0) {
        r = 0;
        goto out;
    }
    /* rhs = x^3 - 3x + b = (x^2 - 3) * x + b (mod p) */
    if (!BN_mod_sqr(t, x, p, ctx) || !BN_sub_word(t, 3) ||
        !BN_mod_mul(rhs, t, x, p, ctx) || !BN_mod_add(rhs, rhs, b, p, ctx) ||
        !BN_mod_sqr(lhs, y, p, ctx)) {
        goto out;
    }
    r = BN_cmp(lhs, rhs) == 0;
out:
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    return r;
}

enum catena_lint_result
lint_rule_b10(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_spki *k = &in->cert->spki;
    const struct nist_curve *cv;
    int ok;

    switch (k->type) {
    case LINT_KEY_P256: cv = &curve_p256; break;
    case LINT_KEY_P384: cv = &curve_p384; break;
    case LINT_KEY_P521: cv = &curve_p521; break;
    default: return NA;
    }
    if (!k->key_unused_ok || k->key.len != 1 + 2 * cv->field ||
        k->key.p[0] != 0x04) {
        return lint_detail(d, n, ERR, "EC point is not uncompressed 04||X||Y");
    }
    ok = on_curve(cv, k->key.p + 1);
    if (ok < 0) {
        return lint_detail(d, n, ERR, "out of memory");
    }
    if (ok == 0) {
        return lint_detail(d, n, ERR, "EC point is not on the curve");
    }
    return PASS;
}

enum catena_lint_result
lint_rule_b11(const struct lint_in *in, char *d, size_t n)
{
    const struct lint_spki *k = &in->cert->spki;

    if (k->type != LINT_KEY_ED25519 && k->type != LINT_KEY_ED448) {
        return NA;
    }
    if (!k->key_unused_ok ||
        k->key.len != (k->type == LINT_KEY_ED25519 ? 32u : 57u)) {
        return lint_detail(d, n, ERR, "EdDSA key has the wrong length");
    }
    if (in->profile == CATENA_LINT_PROFILE_TLS ||
        (k->type == LINT_KEY_ED448 && in->profile == CATENA_LINT_PROFILE_SPIFFE)) {
        return lint_detail(d, n, ERR, "EdDSA key not allowed in this profile");
    }
    return PASS;
}
