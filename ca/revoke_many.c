/*
 * revoke_many.c - mass revocation, and the renewal signal before it.
 *
 * An incident can oblige a CA to revoke a million certificates within
 * 24 hours (TLS BR 4.9.1.1). The routine way through it: first tell every
 * subscriber to renew now (the ARI suggested window moved into the past,
 * RFC 9773 4.2), then revoke the list, knowing which certificates a newer
 * one has already replaced. Both steps read a list of serials, one per
 * line, and commit every BATCH rows, so a list of any length runs in
 * bounded memory, a rerun after an interruption finishes the job
 * (revoking is idempotent), and listeners (CRL/OCSP) hear of each
 * revocation right after its batch commits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catena/ca.h"
#include "catena/log.h"
#include "catena/store.h"
#include "core.h"

#define BATCH 1000
#define LINE_MAX_LEN 128

/* next_serial reads the next non-blank, non-comment line of |in| into
 * |buf|, trimmed. Returns 0 at the end, -1 for an over-long line. */
static int
next_serial(FILE *in, char buf[LINE_MAX_LEN], size_t *line_no)
{
    while (fgets(buf, LINE_MAX_LEN, in) != NULL) {
        size_t n = strlen(buf);
        char *s = buf;

        (*line_no)++;
        if (n == LINE_MAX_LEN - 1 && buf[n - 1] != '\n' && !feof(in)) {
            int c;

            while ((c = fgetc(in)) != EOF && c != '\n') {
            }
            return -1;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
                         buf[n - 1] == ' ' || buf[n - 1] == '\t')) {
            buf[--n] = '\0';
        }
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0' || *s == '#') {
            continue;
        }
        memmove(buf, s, strlen(s) + 1);
        return 1;
    }
    return 0;
}

/* A refusal of one listed serial: counted and reported, the list goes on. */
static int
is_refusal(enum catena_rc rc)
{
    return rc == CATENA_ERR_NOT_FOUND || rc == CATENA_ERR_INVALID ||
           rc == CATENA_ERR_POLICY;
}

/* renew_now moves |serial|'s ARI window into the past, for a certificate
 * still in use (issued, not revoked, not expired). */
static enum catena_rc
renew_now(struct catena_store *store, const char *serial_in, int64_t now,
          struct catena_revoke_outcome *out, int *moved,
          struct catena_err *err)
{
    struct catena_cert_row row;
    enum catena_rc rc;

    memset(out, 0, sizeof(*out));
    memset(&row, 0, sizeof(row));
    *moved = 0;
    if ((rc = catena_ca_find_cert(store, serial_in, out->serial, &row,
                                  err)) != CATENA_OK) {
        return rc;
    }
    out->replaced = row.replaced_by[0] != '\0';
    if (row.status == CATENA_CERT_ISSUED && row.not_after > now) {
        /* An hour-long window that ended a second ago: RFC 9773 clients
         * renew at once when the window is in the past. */
        rc = catena_store_cert_set_ari(store, out->serial, now - 3600,
                                       now - 1, err);
        *moved = rc == CATENA_OK;
    }
    catena_cert_row_clear(&row);
    return rc;
}

enum catena_rc
catena_ca_mass_revoke(struct catena_ca *ca, struct catena_store *store,
                      FILE *serials, enum catena_mass_action action,
                      int reason, FILE *unreplaced,
                      struct catena_mass_summary *sum, struct catena_err *err)
{
    char line[LINE_MAX_LEN];
    struct catena_revoke_outcome *changed = calloc(BATCH, sizeof(*changed));
    size_t num_changed = 0;
    size_t in_batch = 0;
    size_t line_no = 0;
    int64_t now = (int64_t)time(NULL);
    int r;
    enum catena_rc rc = CATENA_OK;

    memset(sum, 0, sizeof(*sum));
    if (changed == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    while ((r = next_serial(serials, line, &line_no)) != 0) {
        struct catena_revoke_outcome o;
        struct catena_err one;
        int moved = 0;

        sum->listed++;
        if (r < 0) {
            sum->refused++;
            fprintf(stderr, "line %zu: too long for a serial\n", line_no);
            continue;
        }
        if (in_batch == 0 && (rc = catena_store_begin(store, err)) !=
                                 CATENA_OK) {
            break;
        }
        in_batch++;
        catena_err_clear(&one);
        rc = action == CATENA_MASS_REVOKE
                 ? catena_ca_revoke_in_tx(ca, store, line, reason, 0, &o, &one)
                 : renew_now(store, line, now, &o, &moved, &one);
        if (is_refusal(rc)) {
            if (rc == CATENA_ERR_NOT_FOUND) {
                sum->unknown++;
            } else {
                sum->refused++;
            }
            fprintf(stderr, "line %zu: %s\n", line_no, one.msg);
            rc = CATENA_OK;
        } else if (rc != CATENA_OK) {
            /* The store failed: this batch is rolled back below, the ones
             * before it stay committed; a rerun completes the list. */
            *err = one;
            break;
        } else {
            if (action == CATENA_MASS_REVOKE) {
                if (o.changed) {
                    sum->done++;
                    changed[num_changed++] = o;
                } else {
                    sum->already++;
                }
            } else if (moved) {
                sum->done++;
            } else {
                sum->already++;
            }
            if (o.replaced) {
                sum->replaced++;
            } else {
                sum->not_replaced++;
                if (unreplaced != NULL) {
                    fprintf(unreplaced, "%s\n", o.serial);
                }
            }
        }
        if (in_batch == BATCH) {
            if ((rc = catena_store_commit(store, err)) != CATENA_OK) {
                break;
            }
            in_batch = 0;
            for (size_t i = 0; i < num_changed; i++) {
                catena_ca_notify_revoke(ca, changed[i].issuer != NULL
                                                ? changed[i].issuer
                                                : "",
                                        changed[i].serial);
            }
            num_changed = 0;
        }
    }
    if (rc == CATENA_OK && in_batch > 0) {
        rc = catena_store_commit(store, err);
    }
    if (rc != CATENA_OK) {
        if (in_batch > 0) {
            catena_store_rollback(store);
        }
    } else {
        for (size_t i = 0; i < num_changed; i++) {
            catena_ca_notify_revoke(ca, changed[i].issuer != NULL
                                            ? changed[i].issuer
                                            : "",
                                    changed[i].serial);
        }
        if (ferror(serials)) {
            rc = catena_err_set_errno(err, CATENA_ERR_IO,
                                      "reading the list of serials");
        }
    }
    free(changed);
    return rc;
}
