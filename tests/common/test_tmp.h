/*
 * test_tmp.h - temporary files and directories for the C tests, under
 * $TMPDIR when it is set (a CI runner or a shared machine points it at
 * its own space), else /tmp.
 */
#ifndef CATENA_TEST_TMP_H
#define CATENA_TEST_TMP_H

#include <stdio.h>
#include <stdlib.h>

/* test_tmp_template writes "<tmpdir>/<prefix>XXXXXX" into |buf| for
 * mkdtemp/mkstemp; NULL if it does not fit. */
static inline char *
test_tmp_template(char *buf, size_t len, const char *prefix)
{
    const char *dir = getenv("TMPDIR");
    int n;

    if (dir == NULL || dir[0] == '\0') {
        dir = "/tmp";
    }
    n = snprintf(buf, len, "%s/%sXXXXXX", dir, prefix);
    return n > 0 && (size_t)n < len ? buf : NULL;
}

/* test_mkdtemp makes a fresh directory named from |prefix| in |buf|;
 * NULL on failure. */
static inline char *
test_mkdtemp(char *buf, size_t len, const char *prefix)
{
    return test_tmp_template(buf, len, prefix) != NULL ? mkdtemp(buf) : NULL;
}

#endif
