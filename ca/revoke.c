/*
 * revoke.c - revoking one certificate (revoke_many.c: a list of them).
 *
 * The reason is checked against the certificate's profile, the row,
 * the key block (for keyCompromise) and the audit record are written in
 * one transaction, and only after the commit are listeners (crl/) told.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "catena/ca.h"
#include "catena/log.h"
#include "catena/store.h"
#include "core.h"

/* catena_serial_normalise accepts hex (any case, optional colons) of a serial
 * of 1..20 octets and writes the store's lower-case form. */
enum catena_rc
catena_serial_normalise(const char *in, char out[41], struct catena_err *err)
{
    size_t n = 0;

    if (in == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "no serial given");
    }
    for (const char *p = in; *p != '\0'; p++) {
        if (*p == ':') {
            continue;
        }
        if (!isxdigit((unsigned char)*p)) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "a serial is hex digits (colons allowed), "
                                  "not '%.60s'",
                                  in);
        }
        if (n >= 40) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "the serial must be at most 40 hex digits");
        }
        out[n++] = (char)tolower((unsigned char)*p);
    }
    if (n == 0 || n % 2 != 0) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "the serial must be an even number of hex "
                              "digits");
    }
    out[n] = '\0';
    return CATENA_OK;
}

static enum catena_rc
audit_revoke(struct catena_store *store, const char *serial,
             const char *issuer, const char *profile, const char *reason,
             struct catena_err *err)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "serial", serial, "issuer",
                          issuer != NULL ? issuer : "", "profile", profile,
                          "reason", reason);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)
                           : NULL;
    enum catena_rc rc;

    if (text == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM,
                            "cannot build the audit record");
    } else {
        rc = catena_store_audit_append(store, "revoke", text, err);
    }
    free(text);
    json_decref(o);
    return rc;
}

enum catena_rc
catena_ca_find_cert(struct catena_store *store, const char *serial_in,
                    char serial[41], struct catena_cert_row *row,
                    struct catena_err *err)
{
    enum catena_rc rc;

    if ((rc = catena_serial_normalise(serial_in, serial, err)) !=
        CATENA_OK) {
        return rc;
    }
    rc = catena_store_cert_get(store, serial, row, err);
    if (rc == CATENA_ERR_NOT_FOUND) {
        return catena_err_set(err, CATENA_ERR_NOT_FOUND,
                              "no certificate with serial %s", serial);
    }
    return rc;
}

enum catena_rc
catena_ca_revoke_in_tx(struct catena_ca *ca, struct catena_store *store,
                       const char *serial_in, int reason, unsigned flags,
                       struct catena_revoke_outcome *out,
                       struct catena_err *err)
{
    struct catena_cert_row row;
    const char *why = NULL;
    const char *reason_name = catena_reason_name(reason);
    enum catena_rc rc;

    memset(out, 0, sizeof(*out));
    memset(&row, 0, sizeof(row));
    if (reason_name == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "%d is not an RFC 5280 CRLReason code", reason);
    }
    if ((rc = catena_ca_find_cert(store, serial_in, out->serial, &row,
                                  err)) != CATENA_OK) {
        return rc;
    }
    out->replaced = row.replaced_by[0] != '\0';
    if (row.status != CATENA_CERT_ISSUED && row.status != CATENA_CERT_REVOKED) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "serial %s was never issued (%s)", out->serial,
                            row.status == CATENA_CERT_FAILED ? "refused"
                                                             : "reserved");
        goto out;
    }
    if (!catena_reason_allowed(row.profile, reason, &why)) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "%s cannot be used for a %s certificate: %s",
                            reason_name, row.profile, why);
        goto out;
    }
    out->issuer = catena_ca_issuer_name_by_id(ca, row.issuer_id);
    rc = catena_store_cert_revoke(store, out->serial,
                                  catena_reason_crl_code(reason),
                                  (int64_t)time(NULL), &out->changed, err);
    /* BR 4.9.12: a key proven compromised may never be certified again,
     * whatever certificate it was in. Blocking is idempotent. */
    if (rc == CATENA_OK && reason == CATENA_REASON_KEY_COMPROMISE) {
        rc = catena_store_key_block(store, row.spki_sha256, "keyCompromise",
                                    err);
    } else if (rc == CATENA_OK && (flags & CATENA_REVOKE_BLOCK_KEY)) {
        rc = catena_store_key_block(store, row.spki_sha256,
                                    "revocation signed with the key", err);
    }
    if (rc == CATENA_OK && out->changed) {
        rc = audit_revoke(store, out->serial, out->issuer, row.profile,
                          reason_name, err);
    }
out:
    catena_cert_row_clear(&row);
    return rc;
}

enum catena_rc
catena_ca_revoke(struct catena_ca *ca, struct catena_store *store,
                 const char *serial_in, int reason, struct catena_err *err)
{
    return catena_ca_revoke_ex(ca, store, serial_in, reason, 0, NULL, err);
}

enum catena_rc
catena_ca_revoke_ex(struct catena_ca *ca, struct catena_store *store,
                    const char *serial_in, int reason, unsigned flags,
                    int *changed, struct catena_err *err)
{
    struct catena_revoke_outcome o;
    enum catena_rc rc;

    if (changed != NULL) {
        *changed = 0;
    }
    if ((rc = catena_store_begin(store, err)) != CATENA_OK) {
        return rc;
    }
    rc = catena_ca_revoke_in_tx(ca, store, serial_in, reason, flags, &o,
                                err);
    if (rc == CATENA_OK) {
        rc = catena_store_commit(store, err);
    }
    if (rc != CATENA_OK) {
        catena_store_rollback(store);
        return rc;
    }
    if (changed != NULL) {
        *changed = o.changed;
    }
    if (o.changed) {
        CATENA_INFO("revoked %s (%s)", o.serial, catena_reason_name(reason));
        catena_ca_notify_revoke(ca, o.issuer != NULL ? o.issuer : "",
                                o.serial);
    }
    return CATENA_OK;
}
