/* err.c - filling struct catena_err; no global error state. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "catena/err.h"

static const char *const rc_names[CATENA_RC__MAX] = {
    [CATENA_OK] = "ok",
    [CATENA_ERR_NOMEM] = "nomem",
    [CATENA_ERR_IO] = "io",
    [CATENA_ERR_INVALID] = "invalid",
    [CATENA_ERR_TOO_BIG] = "too-big",
    [CATENA_ERR_NOT_FOUND] = "not-found",
    [CATENA_ERR_EXISTS] = "exists",
    [CATENA_ERR_POLICY] = "policy",
    [CATENA_ERR_LINT] = "lint",
    [CATENA_ERR_STORE] = "store",
    [CATENA_ERR_CRYPTO] = "crypto",
    [CATENA_ERR_SIGNER] = "signer",
    [CATENA_ERR_CONFIG] = "config",
    [CATENA_ERR_DNS] = "dns",
    [CATENA_ERR_CAA] = "caa",
    [CATENA_ERR_UNAUTHORIZED] = "unauthorized",
    [CATENA_ERR_UNSUPPORTED] = "unsupported",
    [CATENA_ERR_TIMEOUT] = "timeout",
    [CATENA_ERR_INTERNAL] = "internal",
};

const char *
catena_rc_name(enum catena_rc code)
{
    if ((unsigned)code >= CATENA_RC__MAX || rc_names[code] == NULL) {
        return "unknown";
    }
    return rc_names[code];
}

void
catena_err_clear(struct catena_err *err)
{
    if (err == NULL) {
        return;
    }
    err->code = CATENA_OK;
    err->sys_errno = 0;
    err->msg[0] = '\0';
}

static void
err_vset(struct catena_err *err, enum catena_rc code, int sys_errno,
         const char *fmt, va_list ap)
{
    err->code = code;
    err->sys_errno = sys_errno;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    if (sys_errno != 0) {
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof(err->msg) - used, ": %s",
                 strerror(sys_errno));
    }
}

enum catena_rc
catena_err_set(struct catena_err *err, enum catena_rc code, const char *fmt,
               ...)
{
    va_list ap;

    if (err == NULL) {
        return code;
    }
    va_start(ap, fmt);
    err_vset(err, code, 0, fmt, ap);
    va_end(ap);
    return code;
}

enum catena_rc
catena_err_set_errno(struct catena_err *err, enum catena_rc code,
                     const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    if (err == NULL) {
        return code;
    }
    va_start(ap, fmt);
    err_vset(err, code, saved, fmt, ap);
    va_end(ap);
    return code;
}

enum catena_rc
catena_err_set_openssl(struct catena_err *err, enum catena_rc code,
                       const char *fmt, ...)
{
    unsigned long e;
    va_list ap;
    size_t used;

    if (err == NULL) {
        ERR_clear_error();
        return code;
    }
    va_start(ap, fmt);
    err_vset(err, code, 0, fmt, ap);
    va_end(ap);
    /* Append the queue oldest first so the root cause reads first. */
    while ((e = ERR_get_error()) != 0) {
        used = strlen(err->msg);
        if (used + 4 >= sizeof(err->msg)) {
            continue;
        }
        snprintf(err->msg + used, sizeof(err->msg) - used, ": ");
        used += 2;
        ERR_error_string_n(e, err->msg + used, sizeof(err->msg) - used);
    }
    return code;
}
