/*
 * dcv_reuse.c - how long a domain or IP validation may be relied on
 * (TLS BR 4.2.1, as amended by ballot SC-081): 398 days before 2026-03-15,
 * then 200, then 100 from 2027-03-15 and 10 from 2029-03-15, counted back
 * from the issuance. An authorization stops being valid when its
 * validation would be too old to issue with, whatever the configuration.
 */
#include "internal.h"

#define DAY INT64_C(86400)

int64_t
acme_dcv_reuse_max(int64_t now)
{
    /* Each step's first second, UTC, and the limit from then on. */
    static const struct {
        int64_t from;
        int64_t max;
    } steps[] = {
        {INT64_C(1868227200), 10 * DAY},  /* 2029-03-15 */
        {INT64_C(1805068800), 100 * DAY}, /* 2027-03-15 */
        {INT64_C(1773532800), 200 * DAY}, /* 2026-03-15 */
    };

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (now >= steps[i].from) {
            return steps[i].max;
        }
    }
    return 398 * DAY;
}
