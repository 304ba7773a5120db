/*
 * reason.c - the one table between RFC 5280 CRLReason names and codes.
 *
 * Codes are looked up, never computed: 7 is unassigned in RFC 5280 5.3.1
 * and must not appear anywhere, so a table with a hole is the only honest
 * mapping.
 */
#include <string.h>

#include "catena/ca.h"

struct reason_entry {
    int code;
    const char *name;
    /* May a subscriber (leaf) certificate be revoked with this reason? */
    int leaf_ok;
    /* May a CA certificate be revoked with this reason? */
    int ca_ok;
};

/*
 * BR 7.2.2 / 4.9.1.1 permit for subscriber certificates only unspecified,
 * keyCompromise, affiliationChanged, superseded, cessationOfOperation and
 * privilegeWithdrawn (S/MIME BR 7.2.2 has the same list). certificateHold
 * is forbidden (BR 4.9.13), removeFromCRL only exists in delta CRLs and
 * aACompromise concerns attribute certificates. For CA certificates BR
 * 7.2.2 adds cACompromise.
 */
static const struct reason_entry reasons[] = {
    {CATENA_REASON_UNSPECIFIED, "unspecified", 1, 1},
    {CATENA_REASON_KEY_COMPROMISE, "keyCompromise", 1, 1},
    {CATENA_REASON_CA_COMPROMISE, "cACompromise", 0, 1},
    {CATENA_REASON_AFFILIATION_CHANGED, "affiliationChanged", 1, 1},
    {CATENA_REASON_SUPERSEDED, "superseded", 1, 1},
    {CATENA_REASON_CESSATION_OF_OPERATION, "cessationOfOperation", 1, 1},
    {CATENA_REASON_CERTIFICATE_HOLD, "certificateHold", 0, 0},
    {CATENA_REASON_REMOVE_FROM_CRL, "removeFromCRL", 0, 0},
    {CATENA_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn", 1, 0},
    {CATENA_REASON_AA_COMPROMISE, "aACompromise", 0, 0},
};

#define NUM_REASONS (sizeof(reasons) / sizeof(reasons[0]))

static const struct reason_entry *
reason_by_code(int code)
{
    for (size_t i = 0; i < NUM_REASONS; i++) {
        if (reasons[i].code == code) {
            return &reasons[i];
        }
    }
    return NULL;
}

enum catena_rc
catena_reason_from_name(const char *name, int *code)
{
    if (name == NULL || code == NULL) {
        return CATENA_ERR_INVALID;
    }
    /* Exact, case-sensitive names: "7" or "KEYCOMPROMISE" are not names. */
    for (size_t i = 0; i < NUM_REASONS; i++) {
        if (strcmp(reasons[i].name, name) == 0) {
            *code = reasons[i].code;
            return CATENA_OK;
        }
    }
    return CATENA_ERR_INVALID;
}

const char *
catena_reason_name(int code)
{
    const struct reason_entry *e = reason_by_code(code);

    return e != NULL ? e->name : NULL;
}

int
catena_reason_crl_code(int code)
{
    const struct reason_entry *e = reason_by_code(code);

    /* unspecified is expressed by leaving the extension out (BR 7.2.2). */
    if (e == NULL || e->code == CATENA_REASON_UNSPECIFIED) {
        return -1;
    }
    return e->code;
}

int
catena_reason_allowed(const char *profile, int code, const char **why)
{
    const struct reason_entry *e = reason_by_code(code);
    const struct catena_profile *p = catena_profile_find(profile);
    const char *dummy;

    if (why == NULL) {
        why = &dummy;
    }
    if (e == NULL) {
        *why = "no such CRLReason code (7 is unassigned in RFC 5280)";
        return 0;
    }
    if (p == NULL) {
        *why = "unknown certificate profile";
        return 0;
    }
    if (p->is_ca) {
        if (!e->ca_ok) {
            *why = "reason not permitted for CA certificates (BR 7.2.2)";
            return 0;
        }
    } else if (!e->leaf_ok) {
        *why = e->code == CATENA_REASON_CA_COMPROMISE
                   ? "cACompromise applies to CA certificates only"
                   : "reason not permitted for subscriber certificates "
                     "(BR 7.2.2, 4.9.13)";
        return 0;
    }
    *why = "allowed";
    return 1;
}
