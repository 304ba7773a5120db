/*
 * err.h - Catena's one error enum and the operator-facing error record.
 *
 * Fallible functions return enum catena_rc (0 = CATENA_OK) and fill an
 * optional struct catena_err. Operator text never reaches an ACME client:
 * acme/problem.c is the one place that maps a code to a problem document.
 */
#ifndef CATENA_ERR_H
#define CATENA_ERR_H

#include <stddef.h>

#define CATENA_WUR __attribute__((warn_unused_result))
#define CATENA_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum catena_rc {
    CATENA_OK = 0,
    CATENA_ERR_NOMEM,        /* allocation failed */
    CATENA_ERR_IO,           /* file or socket I/O failed (see sys_errno) */
    CATENA_ERR_INVALID,      /* malformed input: bad DER, JSON, CSR, frame */
    CATENA_ERR_TOO_BIG,      /* input over its length cap */
    CATENA_ERR_NOT_FOUND,    /* no such serial, account, issuer, ... */
    CATENA_ERR_EXISTS,       /* already there (duplicate key, replaced) */
    CATENA_ERR_POLICY,       /* refused by policy: weak/blocked key, reason */
    CATENA_ERR_LINT,         /* the linter found an error-level problem */
    CATENA_ERR_STORE,        /* the database failed */
    CATENA_ERR_CRYPTO,       /* OpenSSL failed */
    CATENA_ERR_SIGNER,       /* the signer process failed or went away */
    CATENA_ERR_CONFIG,       /* bad or unknown configuration */
    CATENA_ERR_DNS,          /* DNS lookup failed (fail closed) */
    CATENA_ERR_CAA,          /* CAA forbids issuance */
    CATENA_ERR_UNAUTHORIZED, /* the caller may not do this */
    CATENA_ERR_UNSUPPORTED,  /* a well-formed request we do not support */
    CATENA_ERR_TIMEOUT,      /* a deadline passed */
    CATENA_ERR_INTERNAL,     /* a bug: an invariant did not hold */
    CATENA_RC__MAX
};

struct catena_err {
    enum catena_rc code;
    int sys_errno;  /* errno at the failure, or 0 */
    char msg[512];  /* for the operator, never for a client */
};

/*
 * catena_err_set records |code| and a formatted message in |err| (which may
 * be NULL) and returns |code|, so callers can write
 * "return catena_err_set(err, CATENA_ERR_INVALID, "...")".
 */
enum catena_rc catena_err_set(struct catena_err *err, enum catena_rc code,
                              const char *fmt, ...) CATENA_PRINTF(3, 4);

/* catena_err_set_errno is catena_err_set that also records errno. */
enum catena_rc catena_err_set_errno(struct catena_err *err,
                                    enum catena_rc code, const char *fmt, ...)
    CATENA_PRINTF(3, 4);

/*
 * catena_err_set_openssl is catena_err_set that appends OpenSSL's error
 * queue (and clears it) to the message. Returns CATENA_ERR_CRYPTO unless
 * |code| says otherwise.
 */
enum catena_rc catena_err_set_openssl(struct catena_err *err,
                                      enum catena_rc code, const char *fmt,
                                      ...) CATENA_PRINTF(3, 4);

/* catena_err_clear resets |err| to CATENA_OK with an empty message. */
void catena_err_clear(struct catena_err *err);

/* catena_rc_name returns a static, stable name such as "invalid". */
const char *catena_rc_name(enum catena_rc code);

#endif
