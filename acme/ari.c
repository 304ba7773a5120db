/*
 * ari.c - ACME Renewal Information (RFC 9773): certID parsing, the
 * renewalInfo resource, the default suggested window and the checks on a
 * newOrder "replaces".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

#define ARI_RETRY_AFTER "21600"

/* aki_matches checks the stored certificate's AKI keyIdentifier. */
static int
aki_matches(const struct catena_cert_row *row, const uint8_t *aki,
            size_t aki_len)
{
    const unsigned char *p = row->der;
    X509 *x;
    const ASN1_OCTET_STRING *kid;
    int ok = 0;

    if (row->der == NULL) {
        return 0;
    }
    x = d2i_X509(NULL, &p, (long)row->der_len);
    if (x == NULL) {
        return 0;
    }
    kid = X509_get0_authority_key_id(x);
    ok = kid != NULL && (size_t)kid->length == aki_len &&
         memcmp(kid->data, aki, aki_len) == 0;
    X509_free(x);
    return ok;
}

int
acme_h_renewal_info(struct acme_req *r, const char *cert_id)
{
    struct catena_cert_row row = {0};
    struct catena_err err = {0};
    uint8_t aki[64];
    size_t aki_len = 0;
    char serial[41], ts[32], te[32];
    int64_t s, e;
    json_t *o;

    if (acme_certid_parse(cert_id, aki, &aki_len, serial) != CATENA_OK) {
        return acme_reply_problem(r, ACME_PROB_MALFORMED,
                                  "certID must be base64url(AKI) \".\" "
                                  "base64url(serial), unpadded");
    }
    if (catena_store_cert_get(r->store, serial, &row, &err) != CATENA_OK ||
        row.der == NULL || !aki_matches(&row, aki, aki_len)) {
        catena_cert_row_clear(&row);
        return acme_reply_problem(r, ACME_PROB_NOT_FOUND,
                                  "no such certificate");
    }
    s = row.ari_start;
    e = row.ari_end;
    if (s == 0 && e == 0) {
        acme_ari_default_window(row.not_before, row.not_after, &s, &e);
    }
    /* A revoked certificate is to be replaced now (RFC 9773 4.2: a window
     * in the past means "renew immediately"): the window ends when it was
     * revoked, so a client renews at its next check. */
    if (row.status == CATENA_CERT_REVOKED && row.revoked_at > 0 &&
        e > row.revoked_at) {
        e = row.revoked_at;
        s = e - 3600;
    }
    if (e <= s) {
        e = s + 1;
    }
    acme_time_str(s, ts);
    acme_time_str(e, te);
    o = json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", ts, "end", te);
    if (o != NULL && r->srv->ari_explanation_url != NULL) {
        json_object_set_new(o, "explanationURL",
                            json_string(r->srv->ari_explanation_url));
    }
    catena_cert_row_clear(&row);
    acme_header(r, "Retry-After", ARI_RETRY_AFTER);
    return acme_reply_json(r, 200, o);
}

enum acme_prob
acme_replaces_check(struct catena_store *store, int64_t account_id,
                    const char *cert_id, const char *const *names,
                    size_t num_names, int64_t now, char serial_out[41],
                    char *detail, size_t detail_len)
{
    struct catena_cert_row row = {0};
    struct catena_rows *rows = NULL;
    uint8_t aki[64];
    size_t aki_len = 0;
    enum acme_prob p = ACME_PROB_MALFORMED;
    int shared = 0, live = 0;
    char *copy = NULL, *cur, *next;

    if (acme_certid_parse(cert_id, aki, &aki_len, serial_out) != CATENA_OK) {
        snprintf(detail, detail_len, "replaces is not a valid ARI certID");
        return ACME_PROB_MALFORMED;
    }
    if (catena_store_cert_get(store, serial_out, &row, NULL) != CATENA_OK ||
        !aki_matches(&row, aki, aki_len)) {
        snprintf(detail, detail_len, "replaces names an unknown certificate");
        goto out;
    }
    if (row.account_id != account_id) {
        snprintf(detail, detail_len,
                 "replaces names a certificate of another account");
        goto out;
    }
    copy = strdup(row.names != NULL ? row.names : "");
    for (cur = copy; cur != NULL && !shared; cur = next) {
        next = strchr(cur, ',');
        if (next != NULL) {
            *next++ = '\0';
        }
        for (size_t i = 0; i < num_names; i++) {
            if (strcmp(cur, names[i]) == 0) {
                shared = 1;
            }
        }
    }
    if (!shared) {
        snprintf(detail, detail_len,
                 "replaces names a certificate sharing no identifier");
        goto out;
    }
    {
        struct catena_sql_param ps[] = {CATENA_SQL_P_TEXT(serial_out)};
        /* Serialises replacements of this certificate: SQLite's write
         * transactions are serial anyway; on PostgreSQL (READ COMMITTED)
         * the row lock makes a concurrent replacing order wait here, and
         * its next statement then sees the order committed before it. */
        if (catena_store_exec(store,
                              "UPDATE certificates SET replaced_by = "
                              "replaced_by WHERE serial = $1",
                              ps, 1, NULL, NULL) != CATENA_OK ||
            catena_store_exec(store,
                              "SELECT id FROM acme_orders WHERE replaces = $1 "
                              "AND status <> 'invalid' LIMIT 10",
                              ps, 1, &rows, NULL) != CATENA_OK) {
            p = ACME_PROB_SERVER_INTERNAL;
            snprintf(detail, detail_len, "store error");
            goto out;
        }
    }
    /* A stored status is brought up to date when an order is read, so an
     * expired order (or one whose finalize stopped midway) may still say
     * pending or processing: load each, which settles it, and only a live
     * one counts as the replacement. */
    for (size_t i = 0; i < catena_rows_count(rows) && !live; i++) {
        struct acme_order *o = NULL;
        struct catena_err err = {0};

        if (acme_order_load(store, catena_row_int(catena_rows_get(rows, i), 0),
                            now, &o, &err) != CATENA_OK) {
            p = ACME_PROB_SERVER_INTERNAL;
            snprintf(detail, detail_len, "store error");
            goto out;
        }
        live = strcmp(o->status, "invalid") != 0;
        acme_order_free(o);
    }
    if (row.replaced_by[0] != '\0' || live) {
        p = ACME_PROB_ALREADY_REPLACED;
        snprintf(detail, detail_len,
                 "the certificate has already been replaced");
        goto out;
    }
    p = ACME_PROB_NONE;
out:
    free(copy);
    catena_rows_free(rows);
    catena_cert_row_clear(&row);
    return p;
}
