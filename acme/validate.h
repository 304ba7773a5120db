/*
 * validate.h (acme internal) - challenge validation: http-01 (libcurl),
 * dns-01 (ldns), tls-alpn-01 (OpenSSL). Synchronous; the ACME server runs
 * it on its worker pool. Key authorization = token "." thumbprint.
 */
#ifndef CATENA_ACME_VALIDATE_H
#define CATENA_ACME_VALIDATE_H

#include <stddef.h>

#include "catena/err.h"

enum acme_chal_type {
    ACME_CHAL_HTTP01,
    ACME_CHAL_DNS01,
    ACME_CHAL_TLSALPN01,
    ACME_CHAL__MAX
};

/* acme_chal_type_parse maps "http-01", "dns-01", "tls-alpn-01" to their
 * type; anything else (and NULL) to ACME_CHAL__MAX. */
enum acme_chal_type acme_chal_type_parse(const char *s);

/* The ACME problem type a failed validation maps to (RFC 8555 6.7). */
enum acme_validation_problem {
    ACME_VPROB_NONE,
    ACME_VPROB_CONNECTION,         /* "connection" */
    ACME_VPROB_DNS,                /* "dns" */
    ACME_VPROB_INCORRECT_RESPONSE, /* "incorrectResponse" */
    ACME_VPROB_TLS,                /* "tls" */
    ACME_VPROB_UNAUTHORIZED,       /* "unauthorized" */
    ACME_VPROB_MALFORMED,          /* "malformed" */
    ACME_VPROB__MAX
};

struct acme_validation_opts {
    const char *resolver;     /* DNS server "ip:port" for dns-01 and A/AAAA */
    int http_port;            /* port for http-01 (80 in production) */
    int tlsalpn_port;         /* port for tls-alpn-01 (443 in production) */
    unsigned timeout_ms;      /* whole validation; 0 = 10000 */
    /* A libcurl easy handle (CURL *) the caller keeps across http-01
     * validations, reset before each; NULL: each makes its own. */
    void *curl;
};

/*
 * acme_validate checks one challenge for identifier (|id_type| "dns" or
 * "ip", |id_value|) with |token| and |key_authorization|. Returns CATENA_OK
 * if it validated; otherwise an error with |*problem| set to the ACME
 * problem to report and err->msg a client-safe detail (no internal paths).
 */
enum catena_rc acme_validate(const struct acme_validation_opts *opts,
                             enum acme_chal_type type, const char *id_type,
                             const char *id_value, const char *token,
                             const char *key_authorization,
                             enum acme_validation_problem *problem,
                             struct catena_err *err) CATENA_WUR;

/* ---- shared by the acme/validate_*.c files ---------------------------- */

/* Longest token we accept (RFC 8555 8.1: base64url, 128 bits or more). */
#define ACME_VALIDATE_MAX_TOKEN 128
/* Longest key authorization: token "." 43-character thumbprint. */
#define ACME_VALIDATE_MAX_KEYAUTH (ACME_VALIDATE_MAX_TOKEN + 1 + 64)

/*
 * acme_validate_fail records |prob| in |*problem| and a client-safe
 * formatted detail in |err|, and returns |code|.
 */
enum catena_rc acme_validate_fail(enum acme_validation_problem *problem,
                                  enum acme_validation_problem prob,
                                  enum catena_rc code, struct catena_err *err,
                                  const char *fmt, ...) CATENA_PRINTF(5, 6);

/* acme_validate_now_ms returns a monotonic clock in milliseconds. */
long long acme_validate_now_ms(void);

/*
 * acme_validate_left_ms returns the milliseconds left until |deadline|
 * (acme_validate_now_ms scale), at least 1 so that a call made at the
 * deadline times out rather than waiting forever.
 */
unsigned acme_validate_left_ms(long long deadline);

/*
 * acme_validate_addrs returns the addresses to connect to for an
 * identifier: an "ip" identifier is its own (canonical) address; a "dns"
 * one is looked up (AAAA then A) through opts->resolver. |*addrs| is
 * freed with catena_dns_strings_free. No address is a "dns" problem.
 */
enum catena_rc acme_validate_addrs(const struct acme_validation_opts *opts,
                                   const char *id_type, const char *id_value,
                                   long long deadline, char ***addrs,
                                   size_t *num,
                                   enum acme_validation_problem *problem,
                                   struct catena_err *err) CATENA_WUR;

/* The three validators, called by acme_validate after its checks. */
enum catena_rc acme_validate_http01(const struct acme_validation_opts *opts,
                                    const char *id_type, const char *id_value,
                                    const char *token, const char *keyauth,
                                    long long deadline,
                                    enum acme_validation_problem *problem,
                                    struct catena_err *err) CATENA_WUR;
enum catena_rc acme_validate_dns01(const struct acme_validation_opts *opts,
                                   const char *id_value, const char *keyauth,
                                   long long deadline,
                                   enum acme_validation_problem *problem,
                                   struct catena_err *err) CATENA_WUR;
enum catena_rc acme_validate_tlsalpn01(const struct acme_validation_opts *opts,
                                       const char *id_type,
                                       const char *id_value,
                                       const char *keyauth, long long deadline,
                                       enum acme_validation_problem *problem,
                                       struct catena_err *err) CATENA_WUR;

#endif
