/*
 * log.h - the one logger. Formats are printf-checked; file, function and
 * line are added by the macros. Never log keys, JWS signatures, secrets or
 * whole bodies; pass untrusted strings through catena_log_escape first.
 */
#ifndef CATENA_LOG_H
#define CATENA_LOG_H

#include <stddef.h>

#include "catena/err.h"

enum catena_log_level {
    CATENA_LOG_DEBUG,
    CATENA_LOG_INFO,
    CATENA_LOG_WARN,
    CATENA_LOG_ERROR,
    CATENA_LOG_LEVEL__MAX
};

/* catena_log_set_level sets the minimum level written (default INFO). */
void catena_log_set_level(enum catena_log_level level);

/* catena_log_write writes one line to stderr; use the macros instead. */
void catena_log_write(enum catena_log_level level, const char *file,
                      int line, const char *func, const char *fmt, ...)
    CATENA_PRINTF(5, 6);

/*
 * catena_log_escape copies at most |out_len| - 1 bytes of |in| (|in_len|
 * bytes) into |out| with control and non-ASCII bytes written as \xNN, and
 * NUL-terminates. Returns |out|.
 */
char *catena_log_escape(char *out, size_t out_len, const char *in,
                        size_t in_len);

#define CATENA_DEBUG(...)                                                     \
    catena_log_write(CATENA_LOG_DEBUG, __FILE__, __LINE__, __func__,         \
                     __VA_ARGS__)
#define CATENA_INFO(...)                                                      \
    catena_log_write(CATENA_LOG_INFO, __FILE__, __LINE__, __func__,          \
                     __VA_ARGS__)
#define CATENA_WARN(...)                                                      \
    catena_log_write(CATENA_LOG_WARN, __FILE__, __LINE__, __func__,          \
                     __VA_ARGS__)
#define CATENA_ERROR(...)                                                     \
    catena_log_write(CATENA_LOG_ERROR, __FILE__, __LINE__, __func__,         \
                     __VA_ARGS__)

#endif
