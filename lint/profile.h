/*
 * profile.h - small helpers the profile rule files (TLS, S/MIME, SPIFFE,
 * CA) share. Static inline so each file stays self-contained.
 */
#ifndef CATENA_LINT_PROFILE_H
#define CATENA_LINT_PROFILE_H

#include <string.h>

#include "internal.h"

#define PASS CATENA_LINT_PASS
#define NA CATENA_LINT_NA
#define NE CATENA_LINT_NE
#define WARN CATENA_LINT_WARN
#define ERR CATENA_LINT_ERROR

#define ONLY(in, p)                                                            \
    do {                                                                       \
        if ((in)->profile != (p)) {                                            \
            return NA;                                                         \
        }                                                                      \
    } while (0)

/* name_has reports whether the Name holds an attribute |oid| (3 octets or
 * other length), counting them. */
static inline int
name_count(const struct der *name, const uint8_t *oid, size_t oid_len,
           struct der *first)
{
    struct lint_name_it it;
    struct lint_atv a;
    int count = 0;

    lint_name_begin(&it, name);
    while (lint_name_next(&it, &a) == 1) {
        if (der_oid_is(&a.oid, oid, oid_len)) {
            if (count == 0 && first != NULL) {
                *first = a.value;
            }
            count++;
        }
    }
    return count;
}

/* san_iter yields SAN entries: 1, 0 at end. */
static inline int
san_begin(const struct lint_cert *c, struct der *seq)
{
    struct der v;

    if (c->san == NULL) {
        return 0;
    }
    v = c->san->value;
    return der_get(&v, DER_SEQUENCE, seq);
}

static inline int
is_spiffe(const struct der *uri)
{
    return uri->len >= 9 && memcmp(uri->p, "spiffe://", 9) == 0;
}

#endif
