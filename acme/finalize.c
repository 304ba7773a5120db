/*
 * finalize.c - finalize (CSR checks, CAA recheck, issuance through the
 * core), certificate download and revokeCert (RFC 8555 7.4, 7.4.2, 7.6).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

/*
 * An order is claimable while it is pending or ready (the stored status
 * may lag its authorizations), unexpired, and every authorization is valid
 * and unexpired: as acme_order_peek finds it, but checked by the statement
 * that writes, without a window between the two. $1 is the order, $2 now.
 */
#define ORDER_CLAIMABLE                                                        \
    "status IN ('pending', 'ready') AND expires >= $2 AND NOT EXISTS "         \
    "(SELECT 1 FROM acme_order_idents i JOIN acme_authzs a ON a.id = "         \
    "i.authz_id WHERE i.order_id = $1 AND (a.status <> 'valid' OR "            \
    "a.expires < $2))"

/*
 * The finalize's own writes, made in the core's two transactions (fin_hook)
 * so a finalize that issues costs two write transactions: the claim with
 * the serial's reservation, the order's "valid" with the certificate.
 */
struct fin_tx {
    struct acme_req *r;
    int64_t id;
    /* Authorizations whose CAA was checked again just now. */
    int64_t caa_authz[ACME_MAX_IDENTIFIERS];
    size_t num_caa_authz;
    /* The serial the last claim attempt wrote; "" before any. */
    char serial[41];
};

/* exec_found runs |sql| (a SELECT, or a write with RETURNING) and sets
 * |*found| to whether it returned a row. */
static enum catena_rc
exec_found(struct catena_store *store, const char *sql,
           const struct catena_sql_param *p, size_t num_p, int *found,
           struct catena_err *err)
{
    struct catena_rows *rows = NULL;
    enum catena_rc rc = catena_store_exec(store, sql, p, num_p, &rows, err);

    *found = rc == CATENA_OK && catena_rows_get(rows, 0) != NULL;
    catena_rows_free(rows);
    return rc;
}

/* claim moves the order from ready to processing with the serial being
 * reserved, so two finalize calls cannot both issue, and records the
 * request's nonce and the fresh CAA checks with it. */
static enum catena_rc
claim(struct fin_tx *tx, struct catena_store *store, const char *serial,
      struct catena_err *err)
{
    struct acme_req *r = tx->r;
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(tx->id),
                                   CATENA_SQL_P_INT(r->now),
                                   CATENA_SQL_P_TEXT(serial)};
    enum catena_rc rc;
    int ok = 0;

    snprintf(tx->serial, sizeof(tx->serial), "%s", serial);
    /* After the reservation, in the same transaction: a used nonce rolls
     * it back with everything else, and fail_order answers badNonce. */
    if (r->nonce_pending) {
        if ((rc = acme_nonce_record_tx(store, r->jws.nonce, &ok, err)) !=
            CATENA_OK) {
            return rc;
        }
        if (!ok) {
            return catena_err_set(err, CATENA_ERR_EXISTS,
                                  "the nonce was used before");
        }
    }
    rc = exec_found(store,
                    "UPDATE acme_orders SET status = 'processing', serial = "
                    "$3 WHERE id = $1 AND " ORDER_CLAIMABLE " RETURNING id",
                    p, 3, &ok, err);
    if (rc == CATENA_OK && !ok) {
        rc = catena_err_set(err, CATENA_ERR_EXISTS, "order %lld not ready",
                            (long long)tx->id);
    }
    for (size_t i = 0; rc == CATENA_OK && i < tx->num_caa_authz; i++) {
        struct catena_sql_param pc[] = {CATENA_SQL_P_INT(r->now),
                                        CATENA_SQL_P_INT(tx->caa_authz[i])};

        rc = catena_store_exec(store,
                               "UPDATE acme_authzs SET caa_checked_at = $1 "
                               "WHERE id = $2",
                               pc, 2, NULL, err);
    }
    return rc;
}

/* set_valid marks the claimed order valid with its certificate. */
static enum catena_rc
set_valid(const struct fin_tx *tx, struct catena_store *store,
          const char *serial, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(tx->id),
                                   CATENA_SQL_P_TEXT(serial)};
    enum catena_rc rc;
    int ok = 0;

    rc = exec_found(store,
                    "UPDATE acme_orders SET status = 'valid' WHERE id = $1 "
                    "AND status = 'processing' AND serial = $2 RETURNING id",
                    p, 2, &ok, err);
    if (rc == CATENA_OK && !ok) {
        rc = catena_err_set(err, CATENA_ERR_INTERNAL,
                            "order %lld is no longer claimed for %s",
                            (long long)tx->id, serial);
    }
    return rc;
}

/* fin_hook is the finalize's catena_issue_hook. */
static enum catena_rc
fin_hook(void *arg, struct catena_store *store, enum catena_issue_step step,
         const char *serial, struct catena_err *err)
{
    struct fin_tx *tx = arg;

    if (step == CATENA_ISSUE_STEP_RESERVE) {
        return claim(tx, store, serial, err);
    }
    return set_valid(tx, store, serial, err);
}

/* claim_committed says whether the last claim attempt of |tx| committed
 * (1), not (0), or cannot be told (-1): a failed issuance does not say
 * whether its reservation, and so the claim, committed. Only that claim
 * writes its serial, whatever the order's status has become since. */
static int
claim_committed(struct acme_req *r, const struct fin_tx *tx)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(tx->id),
                                   CATENA_SQL_P_TEXT(tx->serial)};
    struct catena_err err = {0};
    int found = 0;

    if (tx->serial[0] == '\0') {
        return 0;
    }
    if (exec_found(r->store,
                   "SELECT id FROM acme_orders WHERE id = $1 AND serial = $2",
                   p, 2, &found, &err) != CATENA_OK) {
        CATENA_ERROR("acme: order %lld: %s", (long long)tx->id, err.msg);
        return -1;
    }
    return found;
}

/*
 * fail_order ends a finalize that did not issue: the order becomes invalid
 * with |prob| if this request claimed it, or if it is still claimable
 * (refused before the claim: the claim and the failure are one step, as
 * before the claim moved into the core's transaction); otherwise it is
 * not ready (not yet, or another finalize holds it) and stays as it is.
 * The nonce's use commits here unless it committed with the claim. Takes
 * |prob| (its answer, or dropped).
 */
static void
fail_order(struct acme_req *r, const struct fin_tx *tx, json_t *prob)
{
    char *text = prob != NULL ? json_dumps(prob, JSON_COMPACT) : NULL;
    struct catena_sql_param p[] = {
        CATENA_SQL_P_INT(tx->id), CATENA_SQL_P_INT(r->now),
        tx->serial[0] != '\0' ? CATENA_SQL_P_TEXT(tx->serial)
                              : CATENA_SQL_P_NULL(),
        text != NULL ? CATENA_SQL_P_TEXT(text) : CATENA_SQL_P_NULL()};
    struct catena_err err = {0};
    int failed = 0;

    switch (claim_committed(r, tx)) {
    case 1:
        r->nonce_pending = 0;
        break;
    case 0:
        break;
    default:
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        goto out;
    }
    if (acme_req_tx_begin(r) != 0) {
        goto out;
    }
    if (exec_found(r->store,
                   "UPDATE acme_orders SET status = 'invalid', error = $4 "
                   "WHERE id = $1 AND ((status = 'processing' AND serial = "
                   "$3) OR (" ORDER_CLAIMABLE ")) RETURNING id",
                   p, 4, &failed, &err) != CATENA_OK) {
        acme_req_tx_rollback(r);
        goto store_fail;
    }
    if (acme_req_tx_commit(r, &err) != CATENA_OK) {
        goto store_fail;
    }
    if (failed) {
        acme_reply_problem_json(r, prob);
        prob = NULL;
    } else {
        acme_reply_problem(r, ACME_PROB_ORDER_NOT_READY,
                           "the order is already being finalized");
    }
    goto out;
store_fail:
    CATENA_ERROR("acme: order %lld: %s", (long long)tx->id, err.msg);
    acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
out:
    json_decref(prob);
    free(text);
}

int
acme_h_finalize(struct acme_req *r, int64_t id)
{
    const struct catena_profile *prof = catena_profile_find(ACME_PROFILE);
    struct acme_order *o = NULL;
    struct catena_err err = {0};
    struct catena_issued *issued = NULL;
    struct catena_issue_req ir = {0};
    struct fin_tx tx = {.r = r, .id = id};
    json_t *pl = NULL;
    const char *csr_b64 = NULL;
    size_t csr_b64_len = 0, nd = 0, ni = 0;
    uint8_t *csr = NULL;
    const uint8_t *spki;
    size_t csr_len = 0, spki_len = 0;
    struct catena_csr *checked = NULL;
    const char *names[ACME_MAX_IDENTIFIERS], *dns[ACME_MAX_IDENTIFIERS],
        *ips[ACME_MAX_IDENTIFIERS];
    char (*full)[ACME_MAX_DNS_NAME + 3] = NULL;
    char detail[600] = "";
    enum catena_rc rc;

    if (acme_post_verify_deferred(r, 0, 1) != 0) {
        return 0;
    }
    /* Read only: the claim below checks readiness as it writes. */
    rc = acme_order_peek(r->store, id, r->now, &o, &err);
    if (rc == CATENA_OK && o->account_id != r->acct.id) {
        rc = CATENA_ERR_NOT_FOUND;
    }
    if (rc != CATENA_OK) {
        acme_reply_rc(r, rc, ACME_PROB_MALFORMED);
        goto out;
    }
    if (strcmp(o->status, "ready") != 0) {
        /* Off the usual path: store the status as a load would (an order
         * found invalid stops blocking a replacement, ari.c), once the
         * nonce's use is recorded. */
        if (acme_req_nonce_record(r) != 0) {
            goto out;
        }
        acme_order_free(o);
        o = NULL;
        if (acme_order_load(r->store, id, r->now, &o, &err) != CATENA_OK) {
            CATENA_WARN("acme: order %lld: %s", (long long)id, err.msg);
        }
        acme_reply_problem(r, ACME_PROB_ORDER_NOT_READY,
                           "the order is not ready for finalization");
        goto out;
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        goto out;
    }
    if (json_unpack_ex(pl, NULL, JSON_STRICT, "{s:s%}", "csr", &csr_b64,
                       &csr_b64_len) != 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "finalize payload must be {\"csr\": ...}");
        goto out;
    }
    rc = acme_b64u_decode(csr_b64, csr_b64_len, ACME_MAX_CSR, &csr, &csr_len);
    if (rc != CATENA_OK) {
        acme_reply_problem(r, ACME_PROB_BAD_CSR,
                           "csr is not strict base64url DER (<= 16 KiB)");
        goto out;
    }
    /* Verified once: the core takes the checked CSR as it is. */
    rc = catena_csr_verify(csr, csr_len, prof != NULL ? prof->key_types : 0,
                           &checked, &err);
    if (rc != CATENA_OK) {
        CATENA_INFO("acme: order %lld CSR refused: %s", (long long)id,
                    err.msg);
        acme_reply_problem(r, ACME_PROB_BAD_CSR,
                           rc == CATENA_ERR_POLICY
                               ? "CSR key type or size is not accepted"
                               : "CSR does not parse or its signature "
                                 "does not verify");
        goto out;
    }
    spki = catena_csr_spki_der(checked, &spki_len);
    switch (acme_account_key_is(&r->acct, spki, spki_len)) {
    case 0:
        break;
    case 1:
        acme_reply_problem(r, ACME_PROB_BAD_CSR,
                           "the certificate key must differ from the "
                           "account key");
        goto out;
    default:
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                           "cannot compare the CSR key");
        goto out;
    }
    full = calloc(ACME_MAX_IDENTIFIERS, sizeof(*full));
    if (full == NULL) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < o->num_idents; i++) {
        snprintf(full[i], sizeof(full[i]), "%s%s",
                 o->idents[i].wildcard ? "*." : "", o->idents[i].value);
        names[i] = full[i];
        if (strcmp(o->idents[i].type, "ip") == 0) {
            ips[ni++] = full[i];
        } else {
            dns[nd++] = full[i];
        }
    }
    if (!acme_csr_names_match(csr, csr_len, names, o->num_idents, detail,
                              sizeof(detail))) {
        acme_reply_problem(r, ACME_PROB_BAD_CSR, detail);
        goto out;
    }
    /* CAA again when the check is older than caa_reuse (BR 3.2.2.8),
     * before the claim: the lookups go to the network, the claim is in
     * the core's first write transaction. A concurrent finalize of the
     * same order may look up in vain; only one claim succeeds. */
    for (size_t i = 0; i < o->num_idents; i++) {
        struct acme_order_ident *oi = &o->idents[i];
        enum acme_prob p;
        if (strcmp(oi->type, "dns") != 0 ||
            oi->caa_checked_at >= r->now - r->srv->caa_reuse) {
            continue;
        }
        p = acme_caa_run(r->srv, r->acct.id, oi->value, oi->wildcard,
                         oi->method[0] != '\0' ? oi->method : NULL, 1,
                         detail, sizeof(detail));
        if (p != ACME_PROB_NONE) {
            json_t *sub = json_array();
            json_array_append_new(sub, acme_prob_subproblem(p, detail, "dns",
                                                            names[i]));
            fail_order(r, &tx, acme_prob_json(p, detail, sub));
            goto out;
        }
        tx.caa_authz[tx.num_caa_authz++] = oi->authz_id;
    }
    ir.profile = ACME_PROFILE;
    ir.csr = checked;
    ir.dns_names = dns;
    ir.num_dns_names = nd;
    ir.ips = ips;
    ir.num_ips = ni;
    ir.account_id = r->acct.id;
    ir.replaces = o->replaces[0] != '\0' ? o->replaces : NULL;
    /* Checked above, or at validation within caa_reuse, with the ACME
     * server's identities, resolver and RFC 8657 account binding. */
    ir.caa_checked = 1;
    /* The claim commits with the serial's reservation and the order's
     * "valid" with the certificate (fin_hook): two write transactions,
     * queued at the store's writer gate like any other; the signer round
     * trip between them holds nothing. No ARI window is stored:
     * renewalInfo derives the default one from the stored validity
     * whenever none is set (ari.c), and a window an operator sets later
     * is stored then. */
    ir.hook = fin_hook;
    ir.hook_arg = &tx;
    rc = catena_ca_issue(r->srv->ca, r->store, &ir, &issued, &err);
    if (rc != CATENA_OK) {
        enum acme_prob p = rc == CATENA_ERR_POLICY || rc == CATENA_ERR_INVALID
                               ? ACME_PROB_BAD_CSR
                               : ACME_PROB_SERVER_INTERNAL;
        CATENA_WARN("acme: order %lld issuance refused: %s", (long long)id,
                    err.msg);
        fail_order(r, &tx,
                   acme_prob_json(p, acme_prob_detail_for_rc(rc), NULL));
        goto out;
    }
    /* The nonce's use committed with the claim (fin_hook). */
    r->nonce_pending = 0;
    CATENA_INFO("acme: order %lld issued %s", (long long)id, issued->serial);
    /* The order as just written: valid with its certificate. */
    snprintf(o->status, sizeof(o->status), "valid");
    snprintf(o->serial, sizeof(o->serial), "%s", issued->serial);
    acme_order_reply(r, 200, o, 1);
out:
    catena_issued_free(issued);
    free(full);
    catena_csr_free(checked);
    free(csr);
    json_decref(pl);
    acme_order_free(o);
    return 0;
}

static int
serial_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 40 || n % 2 != 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

int
acme_h_cert(struct acme_req *r, const char *serial)
{
    struct catena_cert_row row = {0};
    struct catena_err err = {0};
    BIO *bio = NULL;
    const char *iname, *chain;
    char *data = NULL;
    long len;
    enum catena_rc rc;

    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    if (!serial_ok(serial)) {
        return acme_reply_problem(r, ACME_PROB_NOT_FOUND, "no such certificate");
    }
    rc = catena_store_cert_get(r->store, serial, &row, &err);
    if (rc == CATENA_OK &&
        (row.account_id != r->acct.id || row.der == NULL ||
         (row.status != CATENA_CERT_ISSUED && row.status != CATENA_CERT_REVOKED))) {
        rc = CATENA_ERR_NOT_FOUND;
    }
    if (rc != CATENA_OK) {
        acme_reply_rc(r, rc, ACME_PROB_MALFORMED);
        goto out;
    }
    /* The stored DER is what the signer produced and the core checked:
     * it is PEM-armoured as is. Decoding it again only to re-encode it
     * cost more than the rest of the request (OpenSSL 3 builds a key
     * decoder for every parsed certificate). */
    bio = BIO_new(BIO_s_mem());
    iname = catena_ca_issuer_name_by_id(r->srv->ca, row.issuer_id);
    chain = iname != NULL ? catena_ca_issuer_chain_pem(r->srv->ca, iname) : NULL;
    if (bio == NULL || chain == NULL || row.der_len > LONG_MAX ||
        PEM_write_bio(bio, PEM_STRING_X509, "", row.der,
                      (long)row.der_len) <= 0 ||
        BIO_write(bio, chain, (int)strlen(chain)) != (int)strlen(chain)) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                           "cannot assemble the chain");
        goto out;
    }
    len = BIO_get_mem_data(bio, &data);
    if (catena_http_response_body(r->resp, 200,
                                  "application/pem-certificate-chain", data,
                                  (size_t)len) != 0) {
        r->resp->status = 500;
    }
out:
    BIO_free(bio);
    catena_cert_row_clear(&row);
    return 0;
}

/* cert_serial_hex writes the serial's DER content octets as hex. */
static int
cert_serial_hex(X509 *x, char hex[41])
{
    unsigned char *der = NULL;
    int n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);
    int ok = 0;

    /* Serials are at most 20 octets, so the length is in short form. */
    if (n > 2 && n <= 2 + 21 && der[1] == n - 2 && der[1] <= 20) {
        catena_serial_hex(der + 2, (size_t)(n - 2), hex);
        ok = 1;
    }
    OPENSSL_free(der);
    return ok;
}

/* account_holds_authz says whether the account has a valid, unexpired
 * authorization for every name of the certificate (RFC 8555 7.6). */
static int
account_holds_authz(struct acme_req *r, const char *names)
{
    char *copy = strdup(names != NULL ? names : ""), *save = NULL, *cur;
    int ok = copy != NULL && copy[0] != '\0';

    for (cur = copy; ok && cur != NULL; cur = save) {
        unsigned char buf[16];
        const char *type = "dns", *value = cur;
        int wild = 0;
        struct catena_rows *rows = NULL;

        save = strchr(cur, ',');
        if (save != NULL) {
            *save++ = '\0';
        }
        if (inet_pton(AF_INET, cur, buf) == 1 ||
            inet_pton(AF_INET6, cur, buf) == 1) {
            type = "ip";
        } else if (strncmp(cur, "*.", 2) == 0) {
            wild = 1;
            value = cur + 2;
        }
        struct catena_sql_param p[] = {
            CATENA_SQL_P_INT(r->acct.id), CATENA_SQL_P_TEXT(type),
            CATENA_SQL_P_TEXT(value), CATENA_SQL_P_INT(wild),
            CATENA_SQL_P_INT(r->now)};
        if (catena_store_exec(r->store,
                              "SELECT id FROM acme_authzs WHERE account_id = "
                              "$1 AND id_type = $2 AND id_value = $3 AND "
                              "wildcard = $4 AND status = 'valid' AND "
                              "expires > $5 LIMIT 1",
                              p, 5, &rows, NULL) != CATENA_OK ||
            catena_rows_get(rows, 0) == NULL) {
            ok = 0;
        }
        catena_rows_free(rows);
    }
    free(copy);
    return ok;
}

int
acme_h_revoke(struct acme_req *r)
{
    struct catena_cert_row row = {0};
    struct catena_err err = {0};
    json_t *pl = NULL, *rv;
    const char *cert_b64 = NULL, *why = NULL;
    size_t cert_b64_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    const unsigned char *p;
    X509 *x = NULL;
    char serial[41];
    int reason = CATENA_REASON_UNSPECIFIED, changed = 0;
    enum catena_rc rc;

    if (acme_post_verify(r, 1, 1) != 0) {
        return 0;
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        return 0;
    }
    if (json_unpack_ex(pl, NULL, JSON_STRICT, "{s:s%, s?o}", "certificate",
                       &cert_b64, &cert_b64_len, "reason", &rv) != 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "payload must be {certificate, reason?}");
        goto out;
    }
    rv = json_object_get(pl, "reason");
    if (rv != NULL) {
        json_int_t v;
        if (!json_is_integer(rv) || (v = json_integer_value(rv)) < 0 ||
            v > 10 || catena_reason_name((int)v) == NULL) {
            acme_reply_problem(r, ACME_PROB_BAD_REVOCATION_REASON,
                               "unknown revocation reason");
            goto out;
        }
        reason = (int)v;
    }
    if (acme_b64u_decode(cert_b64, cert_b64_len, ACME_MAX_CERT, &der,
                         &der_len) != CATENA_OK) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "certificate is not strict base64url DER");
        goto out;
    }
    p = der;
    x = d2i_X509(NULL, &p, (long)der_len);
    if (x == NULL || p != der + der_len || !cert_serial_hex(x, serial)) {
        acme_reply_problem(r, ACME_PROB_MALFORMED, "certificate does not parse");
        goto out;
    }
    rc = catena_store_cert_get(r->store, serial, &row, &err);
    if (rc != CATENA_OK || row.der == NULL || row.der_len != der_len ||
        memcmp(row.der, der, der_len) != 0) {
        acme_reply_problem(r, ACME_PROB_NOT_FOUND,
                           "this CA did not issue that certificate");
        goto out;
    }
    if (!catena_reason_allowed(row.profile, reason, &why)) {
        acme_reply_problem(r, ACME_PROB_BAD_REVOCATION_REASON,
                           "revocation reason not allowed for this "
                           "certificate");
        goto out;
    }
    if (r->jwk_key != NULL) {
        /* Signed by the certificate's own key (RFC 8555 7.6). */
        if (EVP_PKEY_eq(r->jwk_key, X509_get0_pubkey(x)) != 1) {
            acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                               "the JWS key is not the certificate's key");
            goto out;
        }
    } else if (row.account_id != r->acct.id &&
               !account_holds_authz(r, row.names)) {
        acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                           "the account may not revoke this certificate");
        goto out;
    }
    /* A request signed with the certificate's key proves control of the
     * key, whoever holds it now: the key is blocked from further
     * issuance, also when the certificate was revoked already. */
    rc = catena_ca_revoke_ex(r->srv->ca, r->store, serial, reason,
                             r->jwk_key != NULL ? CATENA_REVOKE_BLOCK_KEY : 0,
                             &changed, &err);
    if (rc == CATENA_OK && !changed) {
        acme_reply_problem(r, ACME_PROB_ALREADY_REVOKED,
                           "the certificate is already revoked");
        goto out;
    }
    if (rc != CATENA_OK) {
        CATENA_WARN("acme: revoke %s: %s", serial, err.msg);
        acme_reply_rc(r, rc,
                      rc == CATENA_ERR_POLICY ? ACME_PROB_BAD_REVOCATION_REASON
                                              : ACME_PROB_MALFORMED);
        goto out;
    }
    CATENA_INFO("acme: revoked %s reason %d", serial, reason);
    r->resp->status = 200;
out:
    X509_free(x);
    free(der);
    catena_cert_row_clear(&row);
    json_decref(pl);
    return 0;
}
