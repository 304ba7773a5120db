/*
 * rules_ocsp.c - OCSP responses (RFC 6960; BR 4.9.9, 4.9.10, 7.3): the
 * basic response, responder ID, thisUpdate/nextUpdate window, signature
 * algorithm and the delegated responder certificate.
 */
#include <string.h>

#include "internal.h"

#define PASS CATENA_LINT_PASS
#define NA CATENA_LINT_NA
#define NE CATENA_LINT_NE
#define WARN CATENA_LINT_WARN
#define ERR CATENA_LINT_ERROR

enum catena_lint_result
lint_rule_ocsp_parse(const struct lint_in *in, char *detail, size_t len)
{
    /* Reached only once the parse has succeeded (engine.c). */
    (void)in;
    (void)detail;
    (void)len;
    return PASS;
}
