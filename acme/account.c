/*
 * account.c - newAccount (incl. onlyReturnExisting and External Account
 * Binding), account update and deactivation, the account's orders list,
 * and key rollover (RFC 8555 7.3 to 7.3.6).
 *
 * The account object never carries "externalAccountBinding" (RFC 8555
 * 7.1.2 makes it optional): echoing it would mean keeping each client's
 * MAC'd JWS for no reader (certbot and lego ignore it), and the binding
 * itself is the operator's to see ("catena acme eab list").
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

static int
account_reply(struct acme_req *r, int status, int64_t id,
              const char *acct_status, json_t *contact)
{
    char loc[ACME_MAX_URL + 32], orders[ACME_MAX_URL + 48];

    acme_url(r->srv, loc, sizeof(loc), "/acct/%lld", (long long)id);
    acme_url(r->srv, orders, sizeof(orders), "/acct/%lld/orders",
             (long long)id);
    acme_header(r, "Location", loc);
    return acme_reply_json(
        r, status,
        json_pack("{s:s, s:o, s:s}", "status", acct_status, "contact",
                  contact != NULL ? json_incref(contact) : json_array(),
                  "orders", orders));
}

/* domain_ok checks an email domain with the identifier rules (LDH labels,
 * at least two, no wildcard). */
static int
domain_ok(const char *d, size_t len)
{
    char buf[ACME_MAX_DNS_NAME + 1], out[ACME_MAX_DNS_NAME + 1];
    int wild = 0;

    if (len == 0 || len > ACME_MAX_DNS_NAME) {
        return 0;
    }
    memcpy(buf, d, len);
    buf[len] = '\0';
    return acme_ident_canon("dns", buf, out, &wild) == ACME_PROB_NONE &&
           !wild;
}

/*
 * contact_check validates one contact URL: only "mailto:" with a single
 * addr-spec (dot-atom local part, LDH domain), no hfields or query.
 */
static enum acme_prob
contact_check(const char *c, size_t len, char *detail, size_t dlen)
{
    const char *addr, *at;
    size_t alen, llen;

    if (len > ACME_MAX_CONTACT_LEN) {
        snprintf(detail, dlen, "contact too long");
        return ACME_PROB_INVALID_CONTACT;
    }
    if (len < 7 || strncasecmp(c, "mailto:", 7) != 0) {
        snprintf(detail, dlen, "only mailto: contacts are supported");
        return ACME_PROB_UNSUPPORTED_CONTACT;
    }
    addr = c + 7;
    alen = len - 7;
    if (memchr(addr, '?', alen) != NULL) {
        snprintf(detail, dlen, "mailto: contacts may not carry hfields");
        return ACME_PROB_INVALID_CONTACT;
    }
    at = memchr(addr, '@', alen);
    if (at == NULL || memchr(at + 1, '@', alen - (size_t)(at + 1 - addr))) {
        snprintf(detail, dlen, "contact is not one email address");
        return ACME_PROB_INVALID_CONTACT;
    }
    llen = (size_t)(at - addr);
    if (llen == 0 || llen > 64 || addr[0] == '.' || addr[llen - 1] == '.') {
        snprintf(detail, dlen, "contact local part is invalid");
        return ACME_PROB_INVALID_CONTACT;
    }
    for (size_t i = 0; i < llen; i++) {
        unsigned char ch = (unsigned char)addr[i];
        if (!(isalnum(ch) || strchr("!#$&'*+-/=^_`{|}~.", ch) != NULL) ||
            (ch == '.' && addr[i + 1] == '.')) {
            snprintf(detail, dlen, "contact local part is invalid");
            return ACME_PROB_INVALID_CONTACT;
        }
    }
    if (!domain_ok(at + 1, alen - llen - 1)) {
        snprintf(detail, dlen, "contact domain is invalid");
        return ACME_PROB_INVALID_CONTACT;
    }
    return ACME_PROB_NONE;
}

/* contacts_check validates the "contact" member; NULL |v| is an empty list. */
static enum acme_prob
contacts_check(const json_t *v, char *detail, size_t dlen)
{
    size_t i;
    json_t *c;

    if (v == NULL) {
        return ACME_PROB_NONE;
    }
    if (!json_is_array(v) || json_array_size(v) > ACME_MAX_CONTACTS) {
        snprintf(detail, dlen, "contact must be an array of at most %d URLs",
                 ACME_MAX_CONTACTS);
        return ACME_PROB_MALFORMED;
    }
    json_array_foreach(v, i, c) {
        enum acme_prob p;
        if (!json_is_string(c)) {
            snprintf(detail, dlen, "contact entries must be strings");
            return ACME_PROB_MALFORMED;
        }
        p = contact_check(json_string_value(c), json_string_length(c), detail,
                          dlen);
        if (p != ACME_PROB_NONE) {
            return p;
        }
    }
    return ACME_PROB_NONE;
}

/* find_by_thumbprint sets |*id| (0 if none) for the account of a key. */
static enum catena_rc
find_by_thumbprint(struct catena_store *st, const char *tp, int64_t *id,
                   char status[16], struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(tp)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    enum catena_rc rc;

    *id = 0;
    rc = catena_store_exec(st,
                           "SELECT id, status FROM acme_accounts WHERE "
                           "thumbprint = $1",
                           p, 1, &rows, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    row = catena_rows_get(rows, 0);
    if (row != NULL) {
        *id = catena_row_int(row, 0);
        snprintf(status, 16, "%s", catena_row_text(row, 1));
    }
    catena_rows_free(rows);
    return CATENA_OK;
}

/*
 * account_insert creates the account and, if |eab_kid| is set, binds that
 * EAB key to it, in one transaction: an account never exists without the
 * binding it was created with. CATENA_ERR_EXISTS if the key has an account
 * (a concurrent newAccount), CATENA_ERR_UNAUTHORIZED if the EAB key was
 * bound meanwhile.
 */
static enum catena_rc
account_insert(struct acme_req *r, const char *tp, const char *jwk_text,
               const char *contact_text, const char *eab_kid, int64_t *id,
               struct catena_err *err)
{
    struct catena_sql_param ps[] = {
        CATENA_SQL_P_TEXT(tp), CATENA_SQL_P_TEXT(jwk_text),
        CATENA_SQL_P_TEXT(contact_text), CATENA_SQL_P_INT(r->now)};
    struct catena_rows *rows = NULL;
    enum catena_rc rc;

    rc = acme_tx_begin(r->store, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    rc = catena_store_exec(r->store,
                           "INSERT INTO acme_accounts (thumbprint, jwk, "
                           "contact, status, created_at) VALUES ($1, $2, "
                           "$3, 'valid', $4) RETURNING id",
                           ps, 4, &rows, err);
    if (rc == CATENA_OK && catena_rows_get(rows, 0) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_STORE, "insert returned no id");
    }
    if (rc == CATENA_OK) {
        *id = catena_row_int(catena_rows_get(rows, 0), 0);
        if (eab_kid != NULL) {
            rc = acme_eab_bind(r->store, eab_kid, *id, r->now, err);
        }
    }
    catena_rows_free(rows);
    if (rc != CATENA_OK) {
        acme_tx_rollback(r->store);
        return rc;
    }
    return acme_tx_commit(r->store, err);
}

/*
 * eab_verify applies the External Account Binding rules to a newAccount
 * payload for a key that has no account yet: required when the operator
 * says so, verified whenever present (a binding that does not verify is
 * refused even where none is needed). On success |kid| is the key to bind,
 * or "" for none. Replies and returns -1 on failure.
 */
static int
eab_verify(struct acme_req *r, const json_t *pl,
           char kid[CATENA_ACME_EAB_MAX_KID + 1])
{
    const json_t *eab = json_object_get(pl, "externalAccountBinding");
    char detail[256] = "";
    enum acme_prob p;

    kid[0] = '\0';
    if (eab == NULL) {
        if (r->srv->eab_required) {
            acme_reply_problem(r, ACME_PROB_EXTERNAL_ACCOUNT_REQUIRED,
                               "this server requires an "
                               "externalAccountBinding in newAccount");
            return -1;
        }
        return 0;
    }
    p = acme_eab_check(r->store, eab, r->jws.url, r->jws.jwk, kid, detail,
                       sizeof(detail));
    if (p != ACME_PROB_NONE) {
        acme_reply_jws_problem(r, p, detail, acme_eab_algs_json);
        return -1;
    }
    return 0;
}

int
acme_h_new_account(struct acme_req *r)
{
    json_t *pl = NULL, *contact = NULL, *v;
    char tp[48], detail[256] = "", status[16] = "valid";
    char eab_kid[CATENA_ACME_EAB_MAX_KID + 1] = "";
    char *jwk_text = NULL, *contact_text = NULL;
    struct catena_err err = {0};
    int64_t id = 0;
    enum acme_prob p;
    enum catena_rc rc;

    if (acme_post_verify(r, 1, 0) != 0) {
        return 0;
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        return 0;
    }
    if (acme_jwk_thumbprint(r->jws.jwk, tp) != 0) {
        acme_reply_problem(r, ACME_PROB_BAD_PUBLIC_KEY, "unusable jwk");
        goto out;
    }
    rc = find_by_thumbprint(r->store, tp, &id, status, &err);
    if (rc != CATENA_OK) {
        CATENA_ERROR("acme: account lookup: %s", err.msg);
        acme_reply_rc(r, rc, ACME_PROB_SERVER_INTERNAL);
        goto out;
    }
    if (id != 0) {
        struct acme_account a;
        /* RFC 8555 7.3.1: an existing key answers 200 with its account. */
        if (acme_account_load(r->store, id, &a, &err) != CATENA_OK) {
            acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
            goto out;
        }
        /* 7.3.6: a request from a deactivated account is answered 401,
         * this one included (the key is the account's). */
        if (strcmp(a.status, "valid") != 0) {
            acme_reply_problem(r, ACME_PROB_DEACTIVATED,
                               "the account of this key is deactivated");
        } else {
            account_reply(r, 200, id, a.status, a.contact);
        }
        acme_account_clear(&a);
        goto out;
    }
    v = json_object_get(pl, "onlyReturnExisting");
    if (json_is_true(v)) {
        acme_reply_problem(r, ACME_PROB_ACCOUNT_DNE,
                           "no account exists for this key");
        goto out;
    }
    /* After the existing-key answer: RFC 8555 7.3.1 returns an existing
     * account to its key, and onlyReturnExisting needs no binding. */
    if (eab_verify(r, pl, eab_kid) != 0) {
        goto out;
    }
    v = json_object_get(pl, "termsOfServiceAgreed");
    if (v != NULL && !json_is_boolean(v)) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "termsOfServiceAgreed must be a boolean");
        goto out;
    }
    contact = json_object_get(pl, "contact");
    p = contacts_check(contact, detail, sizeof(detail));
    if (p != ACME_PROB_NONE) {
        acme_reply_problem(r, p, detail);
        goto out;
    }
    jwk_text = acme_jwk_canonical(r->jws.jwk);
    /* No contact is stored as an empty list (the json_array() this once
     * passed to json_dumps leaked). */
    contact_text = contact != NULL ? json_dumps(contact, JSON_COMPACT)
                                   : strdup("[]");
    if (jwk_text == NULL || contact_text == NULL) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "out of memory");
        goto out;
    }
    rc = account_insert(r, tp, jwk_text, contact_text,
                        eab_kid[0] != '\0' ? eab_kid : NULL, &id, &err);
    if (rc == CATENA_ERR_UNAUTHORIZED) {
        acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                           "this external account key is already bound to "
                           "an account");
        goto out;
    }
    if (rc == CATENA_ERR_EXISTS) {
        /* Two newAccount requests with one key raced: return the winner. */
        if (find_by_thumbprint(r->store, tp, &id, status, &err) == CATENA_OK &&
            id != 0) {
            account_reply(r, 200, id, status, contact);
        } else {
            acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        }
        goto out;
    }
    if (rc != CATENA_OK) {
        CATENA_ERROR("acme: account insert: %s", err.msg);
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        goto out;
    }
    if (eab_kid[0] != '\0') {
        /* The kid passed kid_ok (eab.c): safe to log, and not a secret. */
        CATENA_INFO("acme: new account %lld bound to EAB kid %s",
                    (long long)id, eab_kid);
    } else {
        CATENA_INFO("acme: new account %lld", (long long)id);
    }
    account_reply(r, 201, id, "valid", contact);
out:
    free(jwk_text);
    free(contact_text);
    json_decref(pl);
    return 0;
}

/* Orders per page of an account's orders list; the rest is reached through
 * Link rel="next" (RFC 8555 7.1.2.1). */
#define ORDERS_PAGE 100

/*
 * orders_list answers with account |id|'s orders, newest first, from the
 * one before order |before| on (0: from the newest). Invalid orders are
 * left out (7.1.2.1: SHOULD NOT include them), also those whose stored
 * status is not brought up to date yet (that happens when an order is
 * read): pending or ready ones that expired, or that have an
 * authorization that is neither pending nor valid, or has expired, as
 * acme_order_load would find (7.1.6).
 */
static int
orders_list(struct acme_req *r, int64_t id, int64_t before)
{
    struct catena_sql_param p[] = {
        CATENA_SQL_P_INT(id), CATENA_SQL_P_INT(before > 0 ? before : INT64_MAX),
        CATENA_SQL_P_INT(r->now), CATENA_SQL_P_INT(ORDERS_PAGE + 1)};
    struct catena_rows *rows = NULL;
    struct catena_err err = {0};
    json_t *arr = json_array();
    char u[ACME_MAX_URL + 64], link[ACME_MAX_URL + 96];
    size_t n;

    if (catena_store_exec(r->store,
                          "SELECT o.id FROM acme_orders o WHERE "
                          "o.account_id = $1 AND o.id < $2 AND (o.status IN "
                          "('valid', 'processing') OR (o.status IN "
                          "('pending', 'ready') AND o.expires >= $3 AND NOT "
                          "EXISTS (SELECT 1 FROM acme_order_idents i JOIN "
                          "acme_authzs a ON a.id = i.authz_id WHERE "
                          "i.order_id = o.id AND (a.status NOT IN "
                          "('pending', 'valid') OR a.expires < $3)))) "
                          "ORDER BY o.id DESC LIMIT $4",
                          p, 4, &rows, &err) != CATENA_OK) {
        json_decref(arr);
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
    }
    n = catena_rows_count(rows);
    for (size_t i = 0; i < n && i < ORDERS_PAGE; i++) {
        acme_url(r->srv, u, sizeof(u), "/order/%lld",
                 (long long)catena_row_int(catena_rows_get(rows, i), 0));
        json_array_append_new(arr, json_string(u));
    }
    if (n > ORDERS_PAGE) {
        int64_t last =
            catena_row_int(catena_rows_get(rows, ORDERS_PAGE - 1), 0);

        acme_url(r->srv, u, sizeof(u), "/acct/%lld/orders/%lld",
                 (long long)id, (long long)last);
        snprintf(link, sizeof(link), "<%s>;rel=\"next\"", u);
        acme_header(r, "Link", link);
    }
    catena_rows_free(rows);
    return acme_reply_json(r, 200, json_pack("{s:o}", "orders", arr));
}

int
acme_h_account_orders(struct acme_req *r, int64_t id, int64_t before)
{
    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    if (r->acct.id != id) {
        return acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                                  "kid does not match the account URL");
    }
    return orders_list(r, id, before);
}

int
acme_h_account(struct acme_req *r, int64_t id, int list)
{
    json_t *pl = NULL, *v;
    char detail[256] = "";
    struct catena_err err = {0};
    enum acme_prob p;

    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    if (r->acct.id != id) {
        return acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                                  "kid does not match the account URL");
    }
    if (list) {
        return orders_list(r, id, 0);
    }
    if (r->jws.payload_len == 0) {
        return account_reply(r, 200, id, r->acct.status, r->acct.contact);
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        return 0;
    }
    v = json_object_get(pl, "status");
    /* The status it has already (only a valid account gets this far) is
     * no change: clients that send the account object back whole say it. */
    if (json_is_string(v) && strcmp(json_string_value(v), "valid") == 0) {
        v = NULL;
    }
    if (v != NULL) {
        struct catena_sql_param ps[] = {CATENA_SQL_P_INT(id)};
        if (!json_is_string(v) ||
            strcmp(json_string_value(v), "deactivated") != 0) {
            acme_reply_problem(r, ACME_PROB_MALFORMED,
                               "status may only be set to deactivated");
            goto out;
        }
        /* RFC 8555 7.3.6: the server SHOULD cancel what the account has
         * under way: its unfinished orders become invalid and its pending
         * authorizations deactivated, with the account, at once. */
        static const char *const deactivate[] = {
            "UPDATE acme_accounts SET status = 'deactivated' WHERE id = $1",
            "UPDATE acme_orders SET status = 'invalid' WHERE account_id = $1 "
            "AND status IN ('pending', 'ready')",
            "UPDATE acme_authzs SET status = 'deactivated' WHERE "
            "account_id = $1 AND status = 'pending'",
        };
        enum catena_rc rc = CATENA_OK;

        if (acme_req_tx_begin(r) != 0) {
            goto out;
        }
        for (size_t i = 0; rc == CATENA_OK && i < 3; i++) {
            rc = catena_store_exec(r->store, deactivate[i], ps, 1, NULL, &err);
        }
        if (rc != CATENA_OK) {
            acme_req_tx_rollback(r);
        } else {
            rc = acme_req_tx_commit(r, &err);
        }
        if (rc != CATENA_OK) {
            CATENA_ERROR("acme: deactivating account %lld: %s", (long long)id,
                         err.msg);
            acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
            goto out;
        }
        CATENA_INFO("acme: account %lld deactivated", (long long)id);
        account_reply(r, 200, id, "deactivated", r->acct.contact);
        goto out;
    }
    v = json_object_get(pl, "contact");
    if (v != NULL) {
        char *text = NULL;
        p = contacts_check(v, detail, sizeof(detail));
        if (p != ACME_PROB_NONE) {
            acme_reply_problem(r, p, detail);
            goto out;
        }
        text = json_dumps(v, JSON_COMPACT);
        {
            struct catena_sql_param ps[] = {CATENA_SQL_P_TEXT(text),
                                            CATENA_SQL_P_INT(id)};
            if (text == NULL ||
                catena_store_exec(r->store,
                                 "UPDATE acme_accounts SET contact = $1 "
                                 "WHERE id = $2",
                                 ps, 2, NULL, &err) != CATENA_OK) {
                free(text);
                acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                                   "store error");
                goto out;
            }
        }
        free(text);
        account_reply(r, 200, id, r->acct.status, v);
        goto out;
    }
    account_reply(r, 200, id, r->acct.status, r->acct.contact);
out:
    json_decref(pl);
    return 0;
}

int
acme_h_key_change(struct acme_req *r)
{
    struct acme_jws inner = {0};
    EVP_PKEY *newkey = NULL;
    json_t *ipl = NULL;
    char detail[256] = "", tp[48], old_tp[48], status[16] = "";
    char *jwk_text = NULL;
    struct catena_err err = {0};
    json_error_t jerr;
    const json_t *old_key, *acct_url;
    int64_t other = 0;
    enum acme_prob p;

    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    /* RFC 8555 7.3.5: the payload is a JWS signed by the new key. */
    p = acme_jws_parse(r->jws.payload, r->jws.payload_len, 0, &inner, detail,
                       sizeof(detail));
    if (p != ACME_PROB_NONE) {
        acme_reply_jws_problem(r, p, detail, acme_jws_algs_json);
        goto out;
    }
    if (inner.jwk == NULL) {
        acme_reply_problem(r, ACME_PROB_MALFORMED, "inner JWS must use jwk");
        goto out;
    }
    /* RFC 8555 7.3.5: the inner JWS MUST omit "nonce"; the outer one's
     * nonce is what makes the request single-use. */
    if (inner.nonce != NULL) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "inner JWS must not carry a nonce");
        goto out;
    }
    if (strcmp(inner.url, r->jws.url) != 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "inner JWS url differs from the outer url");
        goto out;
    }
    newkey = acme_jwk_to_pkey(inner.jwk, detail, sizeof(detail));
    if (newkey == NULL) {
        acme_reply_problem(r, ACME_PROB_BAD_PUBLIC_KEY, detail);
        goto out;
    }
    p = acme_jws_verify(&inner, newkey, detail, sizeof(detail));
    if (p != ACME_PROB_NONE) {
        acme_reply_jws_problem(r, p, detail, acme_jws_algs_json);
        goto out;
    }
    ipl = json_loadb((const char *)inner.payload, inner.payload_len,
                     JSON_REJECT_DUPLICATES, &jerr);
    acct_url = json_object_get(ipl, "account");
    old_key = json_object_get(ipl, "oldKey");
    if (!json_is_object(ipl) || !json_is_string(acct_url) ||
        !json_is_object(old_key)) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "inner payload needs account and oldKey");
        goto out;
    }
    if (strcmp(json_string_value(acct_url), r->jws.kid) != 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "inner account differs from the outer kid");
        goto out;
    }
    if (acme_jwk_thumbprint(old_key, old_tp) != 0 ||
        acme_jwk_thumbprint(r->acct.jwk, tp) != 0 || strcmp(old_tp, tp) != 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "oldKey is not the account's current key");
        goto out;
    }
    if (acme_jwk_thumbprint(inner.jwk, tp) != 0 ||
        find_by_thumbprint(r->store, tp, &other, status, &err) != CATENA_OK) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        goto out;
    }
    if (other != 0) {
        char loc[ACME_MAX_URL + 32];
        acme_url(r->srv, loc, sizeof(loc), "/acct/%lld", (long long)other);
        acme_header(r, "Location", loc);
        acme_reply_problem(r, ACME_PROB_CONFLICT,
                           "the new key already belongs to an account");
        goto out;
    }
    jwk_text = acme_jwk_canonical(inner.jwk);
    {
        struct catena_sql_param ps[] = {CATENA_SQL_P_TEXT(tp),
                                        CATENA_SQL_P_TEXT(jwk_text),
                                        CATENA_SQL_P_INT(r->acct.id)};
        enum catena_rc rc =
            jwk_text == NULL
                ? CATENA_ERR_NOMEM
                : catena_store_exec(r->store,
                                   "UPDATE acme_accounts SET thumbprint = "
                                   "$1, jwk = $2 WHERE id = $3",
                                   ps, 3, NULL, &err);
        if (rc == CATENA_ERR_EXISTS) {
            acme_reply_problem(r, ACME_PROB_CONFLICT,
                               "the new key already belongs to an account");
            goto out;
        }
        if (rc != CATENA_OK) {
            acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
            goto out;
        }
    }
    CATENA_INFO("acme: account %lld rolled its key", (long long)r->acct.id);
    account_reply(r, 200, r->acct.id, r->acct.status, r->acct.contact);
out:
    free(jwk_text);
    json_decref(ipl);
    EVP_PKEY_free(newkey);
    acme_jws_clear(&inner);
    return 0;
}
