/* log.c - one-line log records on stderr, with source position. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catena/log.h"

/* A level, not state: atomic so every thread reads a whole value. */
static _Atomic int log_min_level = CATENA_LOG_INFO;

static const char *const level_names[CATENA_LOG_LEVEL__MAX] = {
    "debug", "info", "warn", "error"};

void
catena_log_set_level(enum catena_log_level level)
{
    if ((unsigned)level < CATENA_LOG_LEVEL__MAX) {
        atomic_store(&log_min_level, (int)level);
    }
}

void
catena_log_write(enum catena_log_level level, const char *file, int line,
                 const char *func, const char *fmt, ...)
{
    char text[1024];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    const char *base;
    va_list ap;

    if ((int)level < atomic_load(&log_min_level) ||
        (unsigned)level >= CATENA_LOG_LEVEL__MAX) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    base = strrchr(file, '/');
    base = base != NULL ? base + 1 : file;
    /* One fprintf per record so lines from threads do not interleave. */
    fprintf(stderr, "%s.%03ldZ catena[%d] %s %s:%d %s: %s\n", stamp,
            ts.tv_nsec / 1000000, (int)getpid(), level_names[level], base,
            line, func, text);
}

char *
catena_log_escape(char *out, size_t out_len, const char *in, size_t in_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (out_len == 0) {
        return out;
    }
    for (size_t i = 0; i < in_len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            if (o + 1 >= out_len) {
                break;
            }
            out[o++] = (char)c;
        } else {
            if (o + 4 >= out_len) {
                break;
            }
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0xf];
        }
    }
    out[o] = '\0';
    return out;
}
