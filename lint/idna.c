/*
 * idna.c - is an "xn--" label a real A-label? RFC 5891 5.4 asks that an
 * A-label decode (Punycode, RFC 3492) to a U-label. A certificate or an
 * ACME order naming "xn--" followed by anything else names no domain a
 * browser would ever look up, and shows a user something nobody checked.
 *
 * What is checked: the Punycode decodes without overflow into at most 63
 * code points, every one a Unicode scalar value (no surrogate, nothing
 * above U+10FFFF), no C0/C1 control or noncharacter, ASCII only as
 * lower-case LDH, and at least one non-ASCII code point (an all-ASCII
 * result was never an A-label). Not checked: the IDNA2008 code point
 * tables and NFC, which need Unicode data this pure linter does not carry.
 */
#include <stdint.h>

#include "internal.h"

/* RFC 3492 5: the Bootstring parameters of Punycode. */
#define PUNY_BASE 36u
#define PUNY_TMIN 1u
#define PUNY_TMAX 26u
#define PUNY_SKEW 38u
#define PUNY_DAMP 700u
#define PUNY_BIAS 72u
#define PUNY_N 0x80u
/* A label is at most 63 octets, so never more code points than that. */
#define ULABEL_MAX 63

/* puny_digit: the value of a Punycode digit, or PUNY_BASE if |c| is not
 * one ("a"-"z" and "A"-"Z" are 0-25, "0"-"9" are 26-35). */
static uint32_t
puny_digit(uint8_t c)
{
    if (c >= 'a' && c <= 'z') {
        return (uint32_t)(c - 'a');
    }
    if (c >= 'A' && c <= 'Z') {
        return (uint32_t)(c - 'A');
    }
    if (c >= '0' && c <= '9') {
        return (uint32_t)(c - '0') + 26u;
    }
    return PUNY_BASE;
}

/* puny_adapt: RFC 3492 6.1, the bias after each inserted code point. */
static uint32_t
puny_adapt(uint32_t delta, uint32_t points, int first)
{
    uint32_t k = 0;

    delta = first ? delta / PUNY_DAMP : delta / 2;
    delta += delta / points;
    while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
        delta /= PUNY_BASE - PUNY_TMIN;
        k += PUNY_BASE;
    }
    return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

/* puny_decode: RFC 3492 6.2 into |out| (at most ULABEL_MAX code points);
 * the number decoded, or -1 for anything malformed or out of range. */
static int
puny_decode(const uint8_t *in, size_t len, uint32_t out[ULABEL_MAX])
{
    uint32_t n = PUNY_N, i = 0, bias = PUNY_BIAS;
    size_t basic = 0, pos, count = 0;

    for (size_t j = 0; j < len; j++) {
        if (in[j] == '-') {
            basic = j;
        }
    }
    if (basic > ULABEL_MAX) {
        return -1;
    }
    for (size_t j = 0; j < basic; j++) {
        out[count++] = in[j];
    }
    for (pos = basic > 0 ? basic + 1 : 0; pos < len;) {
        uint32_t old = i, w = 1;

        for (uint32_t k = PUNY_BASE;; k += PUNY_BASE) {
            uint32_t d, t;

            if (pos >= len || (d = puny_digit(in[pos++])) >= PUNY_BASE) {
                return -1;
            }
            if (d > (UINT32_MAX - i) / w) {
                return -1;
            }
            i += d * w;
            t = k <= bias              ? PUNY_TMIN
                : k >= bias + PUNY_TMAX ? PUNY_TMAX
                                        : k - bias;
            if (d < t) {
                break;
            }
            if (w > UINT32_MAX / (PUNY_BASE - t)) {
                return -1;
            }
            w *= PUNY_BASE - t;
        }
        if (count >= ULABEL_MAX) {
            return -1;
        }
        bias = puny_adapt(i - old, (uint32_t)count + 1, old == 0);
        if (i / ((uint32_t)count + 1) > 0x10FFFFu - n) {
            return -1;
        }
        n += i / ((uint32_t)count + 1);
        i %= (uint32_t)count + 1;
        for (size_t j = count; j > i; j--) {
            out[j] = out[j - 1];
        }
        out[i++] = n;
        count++;
    }
    return (int)count;
}

int
lint_alabel_valid(const uint8_t *label, size_t len)
{
    uint32_t u[ULABEL_MAX];
    int n, wide = 0;

    if (len < 5 || (label[0] | 0x20) != 'x' || (label[1] | 0x20) != 'n' ||
        label[2] != '-' || label[3] != '-') {
        return 0;
    }
    n = puny_decode(label + 4, len - 4, u);
    if (n <= 0) {
        return 0;
    }
    for (int k = 0; k < n; k++) {
        uint32_t c = u[k];

        if (c < 0x80) {
            c |= (c >= 'A' && c <= 'Z') ? 0x20u : 0;
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-')) {
                return 0;
            }
            continue;
        }
        if (c <= 0x9F || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF ||
            (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE) {
            return 0;
        }
        wide = 1;
    }
    return wide;
}
