/*
 * validate_common.c - acme_validate: checks what every challenge type
 * shares (identifier type, token and key authorization syntax, wildcards
 * only through dns-01, IP identifiers never through dns-01) and hands the
 * challenge to its validator with one deadline for the whole validation.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catena/caa.h"
#include "validate.h"

#define DEFAULT_TIMEOUT_MS 10000u
/* Each DNS query gets at most this much of the validation's budget. */
#define DNS_QUERY_MS 5000u

enum catena_rc
acme_validate_fail(enum acme_validation_problem *problem,
                   enum acme_validation_problem prob, enum catena_rc code,
                   struct catena_err *err, const char *fmt, ...)
{
    va_list ap;

    *problem = prob;
    if (err != NULL) {
        err->code = code;
        err->sys_errno = 0;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

long long
acme_validate_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned
acme_validate_left_ms(long long deadline)
{
    long long left = deadline - acme_validate_now_ms();

    return left < 1 ? 1u : (unsigned)left;
}

enum catena_rc
acme_validate_addrs(const struct acme_validation_opts *opts,
                    const char *id_type, const char *id_value,
                    long long deadline, char ***addrs, size_t *num,
                    enum acme_validation_problem *problem,
                    struct catena_err *err)
{
    unsigned char bin[16];
    char text[INET6_ADDRSTRLEN];
    unsigned left = acme_validate_left_ms(deadline);
    enum catena_rc rc;

    *addrs = NULL;
    *num = 0;
    if (strcmp(id_type, "ip") == 0) {
        int af = strchr(id_value, ':') != NULL ? AF_INET6 : AF_INET;
        if (inet_pton(af, id_value, bin) != 1 ||
            inet_ntop(af, bin, text, sizeof(text)) == NULL) {
            return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                      CATENA_ERR_INVALID, err,
                                      "invalid IP identifier");
        }
        *addrs = calloc(2, sizeof(**addrs));
        if (*addrs == NULL || ((*addrs)[0] = strdup(text)) == NULL) {
            free(*addrs);
            *addrs = NULL;
            return catena_err_set(err, CATENA_ERR_NOMEM, "address");
        }
        *num = 1;
        return CATENA_OK;
    }
    rc = catena_dns_addrs(opts->resolver,
                          left < DNS_QUERY_MS ? left : DNS_QUERY_MS, id_value,
                          addrs, num, err);
    if (rc != CATENA_OK) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err != NULL ? err->msg : "");
        return acme_validate_fail(problem, ACME_VPROB_DNS, CATENA_ERR_DNS, err,
                                  "DNS lookup for %s failed: %.300s",
                                  id_value, msg);
    }
    if (*num == 0) {
        return acme_validate_fail(problem, ACME_VPROB_DNS, CATENA_ERR_DNS, err,
                                  "no A or AAAA records for %s", id_value);
    }
    return CATENA_OK;
}

/* b64u_token: 1..128 base64url characters, as RFC 8555 8.1 asks. */
static int
b64u_token(const char *s, size_t max)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (n >= max || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return n > 0;
}

enum catena_rc
acme_validate(const struct acme_validation_opts *opts,
              enum acme_chal_type type, const char *id_type,
              const char *id_value, const char *token,
              const char *key_authorization,
              enum acme_validation_problem *problem, struct catena_err *err)
{
    enum acme_validation_problem scratch = ACME_VPROB_NONE;
    long long deadline;
    size_t tl;
    int wildcard, is_ip;

    if (problem == NULL) {
        problem = &scratch;
    }
    *problem = ACME_VPROB_NONE;
    if (opts == NULL || id_type == NULL || id_value == NULL ||
        token == NULL || key_authorization == NULL) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INTERNAL, err,
                                  "validation without its inputs");
    }
    is_ip = strcmp(id_type, "ip") == 0;
    if (!is_ip && strcmp(id_type, "dns") != 0) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "unsupported identifier type");
    }
    /* The key authorization must be exactly token "." thumbprint. */
    tl = strlen(token);
    if (!b64u_token(token, ACME_VALIDATE_MAX_TOKEN) ||
        strncmp(key_authorization, token, tl) != 0 ||
        key_authorization[tl] != '.' ||
        !b64u_token(key_authorization + tl + 1, 64)) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "malformed token or key authorization");
    }
    if (is_ip) {
        unsigned char bin[16];
        int af = strchr(id_value, ':') != NULL ? AF_INET6 : AF_INET;
        if (inet_pton(af, id_value, bin) != 1) {
            return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                      CATENA_ERR_INVALID, err,
                                      "invalid IP identifier");
        }
    }
    wildcard = strncmp(id_value, "*.", 2) == 0;
    /* RFC 8555 7.1.3: wildcards only through dns-01; RFC 8738 7: never
     * an IP address through dns-01. */
    if (wildcard && type != ACME_CHAL_DNS01) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "wildcard identifiers need dns-01");
    }
    if (is_ip && (type == ACME_CHAL_DNS01 || wildcard)) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "IP identifiers cannot use dns-01");
    }
    deadline = acme_validate_now_ms() +
               (opts->timeout_ms != 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS);
    switch (type) {
    case ACME_CHAL_HTTP01:
        return acme_validate_http01(opts, id_type, id_value, token,
                                    key_authorization, deadline, problem, err);
    case ACME_CHAL_DNS01:
        return acme_validate_dns01(opts, id_value, key_authorization, deadline,
                                   problem, err);
    case ACME_CHAL_TLSALPN01:
        return acme_validate_tlsalpn01(opts, id_type, id_value,
                                       key_authorization, deadline, problem,
                                       err);
    default:
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "unknown challenge type");
    }
}

enum acme_chal_type
acme_chal_type_parse(const char *s)
{
    static const char *const names[ACME_CHAL__MAX] = {
        [ACME_CHAL_HTTP01] = "http-01",
        [ACME_CHAL_DNS01] = "dns-01",
        [ACME_CHAL_TLSALPN01] = "tls-alpn-01",
    };

    for (int t = 0; s != NULL && t < ACME_CHAL__MAX; t++) {
        if (strcmp(s, names[t]) == 0) {
            return (enum acme_chal_type)t;
        }
    }
    return ACME_CHAL__MAX;
}
