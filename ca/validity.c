/*
 * validity.c - RFC 5280 validity arithmetic.
 *
 * Validity is inclusive of both notBefore and notAfter (RFC 5280
 * 4.1.2.5), so a certificate meant to live L seconds ends at
 * notBefore + L - 1. Getting this wrong by one second is how CAs have
 * exceeded the BR maximum; this file is the only place that does it.
 */
#include <stdint.h>

#include "catena/ca.h"

int64_t
catena_validity_not_after(int64_t not_before, int64_t lifetime)
{
    if (lifetime < 1) {
        /* A zero or negative lifetime is a caller bug; a one-second
         * certificate is the shortest valid answer and lint catches it. */
        lifetime = 1;
    }
    if (not_before > INT64_MAX - lifetime) {
        return INT64_MAX;
    }
    return not_before + lifetime - 1;
}

int64_t
catena_validity_inclusive_length(int64_t not_before, int64_t not_after)
{
    if (not_after < not_before) {
        return 0;
    }
    return not_after - not_before + 1;
}
