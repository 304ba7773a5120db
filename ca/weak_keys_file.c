/*
 * weak_keys_file.c - reads the Debian weak keys (CVE-2008-0166) lists for
 * lint rule B7 from a directory the operator installs ([lint]
 * debian_weak_keys, "catena lint --weak-keys"): the cabforum
 * Debian-weak-keys lists, or Debian's old openssl-blacklist files. They
 * are data this project cannot download or regenerate, so Catena reads
 * them rather than carrying a partial copy.
 *
 * Every regular file in the directory: one fingerprint per line, the last
 * 20 hex digits of SHA-1("Modulus=<HEX>\n") as openssl-vulnkey writes
 * them (a whole 40-digit SHA-1 is cut the same way), "#" comments, blank
 * lines. A file named with "RSA-<bits>" covers that size only.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catena/lint.h"
#include "core.h"

#define MAX_LINE 128
#define MAX_FILES 256

/* bits_of_name finds "RSA-<bits>" in a file name; 0 if none (or if the
 * digits make no modulus size), which means the list covers any size. */
static int
bits_of_name(const char *name)
{
    const char *p = strstr(name, "RSA-");
    int bits = 0;

    if (p == NULL) {
        return 0;
    }
    for (p += 4; isdigit((unsigned char)*p) && bits <= 65536; p++) {
        bits = bits * 10 + (*p - '0');
    }
    return bits <= 65536 ? bits : 0;
}

static int
hexval(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* parse_fp reads 20 or 40 hex digits, blanks around them ignored. */
static int
parse_fp(const char *line, uint8_t fp[CATENA_LINT_WEAK_FP_LEN])
{
    char hex[41];
    size_t n = 0;

    for (const char *p = line; *p != '\0' && *p != '\n' && *p != '\r'; p++) {
        if (*p == ' ' || *p == '\t') {
            continue;
        }
        if (!isxdigit((unsigned char)*p) || n == 40) {
            return 0;
        }
        hex[n++] = *p;
    }
    if (n != 20 && n != 40) {
        return 0;
    }
    for (size_t i = 0; i < CATENA_LINT_WEAK_FP_LEN; i++) {
        const char *h = hex + n - 20 + 2 * i;

        fp[i] = (uint8_t)(hexval((unsigned char)h[0]) << 4 |
                          hexval((unsigned char)h[1]));
    }
    return 1;
}

static enum catena_rc
load_file(struct catena_lint_weak_keys *w, const char *path,
          const char *name, struct catena_err *err)
{
    FILE *f = fopen(path, "r");
    char line[MAX_LINE];
    size_t line_no = 0;
    int bits = bits_of_name(name);
    enum catena_rc rc = CATENA_OK;

    if (f == NULL) {
        return catena_err_set_errno(err, CATENA_ERR_IO, "%s", path);
    }
    while (rc == CATENA_OK && fgets(line, sizeof(line), f) != NULL) {
        const char *p = line;
        uint8_t fp[CATENA_LINT_WEAK_FP_LEN];
        enum catena_rc arc;

        line_no++;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') {
            continue;
        }
        if (!parse_fp(p, fp)) {
            rc = catena_err_set(err, CATENA_ERR_INVALID,
                                "%s:%zu: not a weak-key fingerprint (20 or "
                                "40 hex digits)",
                                path, line_no);
        } else if ((arc = catena_lint_weak_keys_add(w, bits, fp)) !=
                   CATENA_OK) {
            rc = catena_err_set(err, arc, "%s:%zu: %s", path, line_no,
                                arc == CATENA_ERR_NOMEM
                                    ? "out of memory"
                                    : "too many fingerprints or key sizes");
        }
    }
    if (rc == CATENA_OK && ferror(f)) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "%s", path);
    }
    fclose(f);
    return rc;
}

enum catena_rc
catena_weak_keys_load(const char *dir, struct catena_lint_weak_keys **out,
                      struct catena_err *err)
{
    struct catena_lint_weak_keys *w = catena_lint_weak_keys_new();
    DIR *d;
    struct dirent *e;
    size_t files = 0;
    enum catena_rc rc = CATENA_OK;

    *out = NULL;
    if (w == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    if ((d = opendir(dir)) == NULL) {
        catena_lint_weak_keys_free(w);
        return catena_err_set_errno(err, CATENA_ERR_IO,
                                    "Debian weak-key lists %s", dir);
    }
    while (rc == CATENA_OK && (e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;

        if (e->d_name[0] == '.') {
            continue;
        }
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
            (int)sizeof(path)) {
            rc = catena_err_set(err, CATENA_ERR_TOO_BIG, "path too long");
        } else if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        } else if (++files > MAX_FILES) {
            rc = catena_err_set(err, CATENA_ERR_TOO_BIG,
                                "%s: more than %d files", dir, MAX_FILES);
        } else {
            rc = load_file(w, path, e->d_name, err);
        }
    }
    closedir(d);
    if (rc == CATENA_OK && files == 0) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "%s holds no Debian weak-key list", dir);
    }
    if (rc != CATENA_OK) {
        catena_lint_weak_keys_free(w);
        return rc;
    }
    catena_lint_weak_keys_seal(w);
    *out = w;
    return CATENA_OK;
}
