/* file.c - reading a whole file with a size cap (configuration-named PEM
 * files, CSRs given on the command line). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catena/err.h"
#include "core.h"

enum catena_rc
catena_file_read(const char *path, size_t cap, uint8_t **out,
                 size_t *out_len, struct catena_err *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n;
    enum catena_rc rc;

    *out = NULL;
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (f == NULL) {
        return catena_err_set_errno(err, CATENA_ERR_IO, "cannot open %s",
                                    path);
    }
    /* One read of cap + 1 bytes tells "fits" from "too big" without
     * trusting any size the file system reports. */
    buf = malloc(cap + 1);
    if (buf == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    n = fread(buf, 1, cap + 1, f);
    if (ferror(f)) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "cannot read %s", path);
        goto out;
    }
    if (n > cap) {
        rc = catena_err_set(err, CATENA_ERR_TOO_BIG,
                            "%s is larger than %zu bytes", path, cap);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    if (out_len != NULL) {
        *out_len = n;
    }
    buf = NULL;
    rc = CATENA_OK;
out:
    free(buf);
    if (f != stdin) {
        fclose(f);
    }
    return rc;
}
