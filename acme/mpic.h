/*
 * mpic.h (acme internal) - Multi-Perspective Issuance Corroboration (TLS
 * BR 3.2.2.9): what the primary network perspective (this server) decided
 * about a domain or IP validation and about CAA is done again by remote
 * network perspectives ("catena perspective" agents, each on its own
 * network and resolver), and issuance goes ahead only when enough of
 * them agree.
 *
 * The wire format between the two, one HTTPS POST per check:
 *   POST /corroborate   Authorization: Bearer <shared secret>
 *   {"identifier": {"type": "dns"|"ip", "value": V}, "wildcard": bool,
 *    "challenge": {"type": T, "token": K, "keyAuthorization": A},   optional
 *    "caa": {"identities": [..], "accountURI": U, "method": T}}      optional
 *   200 {"perspective": NAME,
 *        "challenge": {"status": "valid"} or {"status": "invalid",
 *                      "problem": {"type": URN, "detail": D}},
 *        "caa": {...the same...}}   (each part only if asked for)
 */
#ifndef CATENA_ACME_MPIC_H
#define CATENA_ACME_MPIC_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"
#include "internal.h"

/* Regional Internet Registries, whose service regions the corroborating
 * perspectives must span (two at least, from 2026-03-15). */
enum acme_rir {
    ACME_RIR_AFRINIC,
    ACME_RIR_APNIC,
    ACME_RIR_ARIN,
    ACME_RIR_LACNIC,
    ACME_RIR_RIPE,
    ACME_RIR__MAX
};

/* acme_rir_parse maps "AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE" (or
 * "RIPE NCC"), in any case, to |*out|; -1 for anything else. */
int acme_rir_parse(const char *s, enum acme_rir *out);

/* acme_rir_name is the canonical name of |r|. */
const char *acme_rir_name(enum acme_rir r);

/* acme_mpic_min_remote: the fewest remote perspectives BR 3.2.2.9 allows
 * at Unix time |now| (2, 3 from 2026-03-15, 4 from 2026-06-15, 5 from
 * 2026-12-15). */
int acme_mpic_min_remote(int64_t now);

/* acme_mpic_next_step: the next date (Unix time) after |now| at which the
 * minimum rises, with that minimum in |*min|; 0 if none is scheduled. */
int64_t acme_mpic_next_step(int64_t now, int *min);

/* acme_mpic_allowed_failures: the Quorum Requirements table, how many of
 * |n| remote perspectives may fail to corroborate (1 for 2..5, 2 for 6 or
 * more; 0 below 2, where no quorum exists). */
int acme_mpic_allowed_failures(size_t n);

/* One remote perspective's answer, as the quorum sees it. */
struct acme_mpic_vote {
    enum acme_rir rir;
    int corroborated; /* it reached the primary's determination */
};

enum acme_mpic_verdict {
    ACME_MPIC_OK,
    ACME_MPIC_TOO_FEW,  /* fewer perspectives than the BRs ask for now */
    ACME_MPIC_QUORUM,   /* too many did not corroborate */
    ACME_MPIC_ONE_RIR,  /* the corroborating ones lie in one RIR region */
};

/*
 * acme_mpic_decide applies BR 3.2.2.9 at |now| to the |n| votes and, for
 * anything but ACME_MPIC_OK, writes why into |why| (for the problem
 * document and the log).
 */
enum acme_mpic_verdict acme_mpic_decide(const struct acme_mpic_vote *votes,
                                        size_t n, int64_t now, char *why,
                                        size_t why_len);

/* Limits on the wire format, both sides. */
#define ACME_MPIC_MAX_BODY (16u * 1024u)  /* a request or an answer */
#define ACME_MPIC_MAX_IDENTITIES 8        /* caa.identities */
#define ACME_MPIC_MAX_NAME 64             /* a perspective's name */
#define ACME_MPIC_MIN_SECRET 32           /* bytes of the shared secret */
#define ACME_MPIC_MAX_SECRET 256

/*
 * acme_mpic_secret_load reads the shared secret from |path|: one line,
 * ACME_MPIC_MIN_SECRET..ACME_MPIC_MAX_SECRET printable bytes (a trailing
 * newline is dropped). |out| has room for ACME_MPIC_MAX_SECRET + 1.
 */
enum catena_rc acme_mpic_secret_load(const char *path, char *out,
                                     struct catena_err *err) CATENA_WUR;

/* ---- the primary's side (mpic_client.c) ------------------------------ */

#define ACME_MPIC_MAX_REMOTE 16

/* The [acme_perspective "NAME"] sections (url, rir) of "catena serve". */
extern const struct catena_config_schema acme_mpic_perspective_schema;

struct catena_config;
struct acme_mpic;

/*
 * acme_mpic_load reads the remote perspectives and [acme]
 * perspective_ca, perspective_secret_file and perspective_timeout. With
 * no perspective configured, *out is NULL (checks from this host only,
 * which is logged). A set the BRs would refuse at |now| even if all of it
 * corroborated (too few, one RIR) is a configuration error.
 */
enum catena_rc acme_mpic_load(const struct catena_config *cfg, int64_t now,
                              struct acme_mpic **out,
                              struct catena_err *err) CATENA_WUR;
void acme_mpic_free(struct acme_mpic *m);

/* What the primary decided and asks the perspectives to corroborate. */
struct acme_mpic_check {
    const char *id_type;   /* "dns" or "ip" */
    const char *id_value;  /* a wildcard's base domain */
    int wildcard;
    const char *chal_type; /* NULL: CAA only */
    const char *token;
    const char *keyauth;
    int caa;               /* also the CAA check (dns identifiers) */
    const char *const *caa_ids;
    size_t num_caa_ids;
    const char *account_uri;
    const char *method;    /* for CAA validationmethods, or NULL */
};

/*
 * acme_mpic_corroborate asks every remote perspective at once and applies
 * the quorum at |now|. Returns ACME_PROB_NONE when issuance may go on;
 * otherwise the problem for the applicant (what a perspective reported,
 * or serverInternal for a failure of the CA's) with |detail| naming each
 * perspective that did not corroborate and why.
 */
enum acme_prob acme_mpic_corroborate(const struct acme_mpic *m,
                                     const struct acme_mpic_check *c,
                                     int64_t now, char *detail,
                                     size_t detail_len);

#endif
