/*
 * mpic_quorum.c - the rules of TLS BR 3.2.2.9 as data: the phased minimum
 * number of remote network perspectives, the Quorum Requirements table,
 * and the two-RIR rule for the perspectives that corroborate. Pure
 * functions of the votes and the date, so every step is unit-tested.
 * Before 2025-09-15 the BRs let a failed quorum pass; Catena never does.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mpic.h"

/* Each step's first second, UTC, and the minimum from then on. */
static const struct {
    int64_t from;
    int min;
} min_steps[] = {
    {INT64_C(1773532800), 3}, /* 2026-03-15 */
    {INT64_C(1781481600), 4}, /* 2026-06-15 */
    {INT64_C(1797292800), 5}, /* 2026-12-15 */
};
#define NUM_STEPS (sizeof(min_steps) / sizeof(min_steps[0]))

/* From 2026-03-15 the corroborating perspectives must span two RIRs. */
#define TWO_RIRS_FROM INT64_C(1773532800)

static const char *const rir_names[ACME_RIR__MAX] = {
    "AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"};

int
acme_rir_parse(const char *s, enum acme_rir *out)
{
    if (s == NULL) {
        return -1;
    }
    if (strcasecmp(s, "RIPE NCC") == 0) {
        *out = ACME_RIR_RIPE;
        return 0;
    }
    for (int i = 0; i < ACME_RIR__MAX; i++) {
        if (strcasecmp(s, rir_names[i]) == 0) {
            *out = (enum acme_rir)i;
            return 0;
        }
    }
    return -1;
}

const char *
acme_rir_name(enum acme_rir r)
{
    return (int)r >= 0 && r < ACME_RIR__MAX ? rir_names[r] : "?";
}

int
acme_mpic_min_remote(int64_t now)
{
    int min = 2;

    for (size_t i = 0; i < NUM_STEPS; i++) {
        if (now >= min_steps[i].from) {
            min = min_steps[i].min;
        }
    }
    return min;
}

int64_t
acme_mpic_next_step(int64_t now, int *min)
{
    for (size_t i = 0; i < NUM_STEPS; i++) {
        if (now < min_steps[i].from) {
            *min = min_steps[i].min;
            return min_steps[i].from;
        }
    }
    *min = acme_mpic_min_remote(now);
    return 0;
}

int
acme_mpic_allowed_failures(size_t n)
{
    if (n < 2) {
        return 0;
    }
    return n >= 6 ? 2 : 1;
}

enum acme_mpic_verdict
acme_mpic_decide(const struct acme_mpic_vote *votes, size_t n, int64_t now,
                 char *why, size_t why_len)
{
    int min = acme_mpic_min_remote(now);
    int allowed = acme_mpic_allowed_failures(n);
    int failed = 0;
    unsigned rirs = 0;
    int num_rirs = 0;

    if (n < (size_t)min) {
        snprintf(why, why_len,
                 "%zu remote network perspectives configured; TLS BR "
                 "3.2.2.9 requires at least %d",
                 n, min);
        return ACME_MPIC_TOO_FEW;
    }
    for (size_t i = 0; i < n; i++) {
        if (!votes[i].corroborated) {
            failed++;
        } else if ((int)votes[i].rir >= 0 && votes[i].rir < ACME_RIR__MAX &&
                   !(rirs & (1u << votes[i].rir))) {
            rirs |= 1u << votes[i].rir;
            num_rirs++;
        }
    }
    if (failed > allowed) {
        snprintf(why, why_len,
                 "%d of %zu remote network perspectives did not corroborate "
                 "(at most %d may not)",
                 failed, n, allowed);
        return ACME_MPIC_QUORUM;
    }
    if (now >= TWO_RIRS_FROM && num_rirs < 2) {
        snprintf(why, why_len,
                 "the %zu corroborating remote network perspectives lie in "
                 "%d RIR service region%s (TLS BR 3.2.2.9 requires two)",
                 n - (size_t)failed, num_rirs, num_rirs == 1 ? "" : "s");
        return ACME_MPIC_ONE_RIR;
    }
    return ACME_MPIC_OK;
}
