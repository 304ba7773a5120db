/*
 * order.c - identifiers, newOrder, orders, authorizations and challenges,
 * with the state machines of RFC 8555 7.1.6 (orders and authorizations
 * expire; one invalid authorization makes its orders invalid; all valid
 * makes them ready).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "catena/ca.h"
#include "catena/lint.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

enum acme_prob
acme_ident_canon(const char *type, const char *value,
                 char out[ACME_MAX_DNS_NAME + 1], int *wildcard)
{
    size_t len, label = 0;

    *wildcard = 0;
    out[0] = '\0';
    if (type == NULL || value == NULL) {
        return ACME_PROB_MALFORMED;
    }
    len = strlen(value);
    if (strcmp(type, "ip") == 0) {
        /* RFC 8738: the textual forms of RFC 1123 / RFC 5952. */
        unsigned char buf[16];
        if (len > 45) {
            return ACME_PROB_REJECTED_ID;
        }
        if (inet_pton(AF_INET, value, buf) == 1) {
            inet_ntop(AF_INET, buf, out, ACME_MAX_DNS_NAME + 1);
        } else if (inet_pton(AF_INET6, value, buf) == 1) {
            inet_ntop(AF_INET6, buf, out, ACME_MAX_DNS_NAME + 1);
        } else {
            return ACME_PROB_REJECTED_ID;
        }
        return ACME_PROB_NONE;
    }
    if (strcmp(type, "dns") != 0) {
        return ACME_PROB_UNSUPPORTED_ID;
    }
    if (len > 2 && value[0] == '*' && value[1] == '.') {
        *wildcard = 1;
        value += 2;
        len -= 2;
    }
    if (len == 0 || len > ACME_MAX_DNS_NAME) {
        return ACME_PROB_REJECTED_ID;
    }
    for (size_t i = 0; i < len; i++) {
        char c = value[i];
        if (c == '.') {
            if (label == 0 || value[i - 1] == '-') {
                return ACME_PROB_REJECTED_ID;
            }
            label = 0;
        } else if (isalnum((unsigned char)c) || c == '-') {
            if (label >= 63 || (c == '-' && label == 0)) {
                return ACME_PROB_REJECTED_ID;
            }
            label++;
        } else {
            /* Also refuses a trailing dot, "*" elsewhere, and U-labels. */
            return ACME_PROB_REJECTED_ID;
        }
        out[i] = (char)tolower((unsigned char)c);
    }
    out[len] = '\0';
    if (label == 0 || value[len - 1] == '-' || strchr(out, '.') == NULL) {
        return ACME_PROB_REJECTED_ID;
    }
    /* An IP address is not a dns identifier (RFC 8738 3). */
    {
        unsigned char buf[16];
        if (inet_pton(AF_INET, out, buf) == 1) {
            return ACME_PROB_REJECTED_ID;
        }
    }
    return ACME_PROB_NONE;
}

/*
 * ident_issuable says whether the CA's ACME profile may ever certify the
 * canonical identifier |value|: the profile's linter refuses internal and
 * reserved names and addresses at signing, and an order for one would
 * only fail at finalize, after the client had done all the validation
 * work (RFC 8555 7.4: refuse what cannot be fulfilled, as
 * rejectedIdentifier, up front).
 */
static int
ident_issuable(const char *type, const char *value, char *why, size_t why_len)
{
    const struct catena_profile *prof = catena_profile_find(ACME_PROFILE);
    const char *reason = NULL;

    if (prof == NULL || prof->lint_profile != CATENA_LINT_PROFILE_TLS) {
        return 1;
    }
    if (strcmp(type, "ip") == 0) {
        unsigned char buf[16];
        size_t len = inet_pton(AF_INET, value, buf) == 1 ? 4 : 16;

        if ((len == 16 && inet_pton(AF_INET6, value, buf) != 1) ||
            !catena_lint_ip_public(buf, len)) {
            snprintf(why, why_len, "this CA does not issue for private, "
                                   "reserved or loopback addresses");
            return 0;
        }
        return 1;
    }
    if (!catena_lint_dns_name_public(value, &reason)) {
        snprintf(why, why_len, "this CA does not issue for this name: %s",
                 reason != NULL ? reason : "not a public name");
        return 0;
    }
    return 1;
}

void
acme_order_free(struct acme_order *o)
{
    if (o != NULL) {
        free(o->error);
        free(o);
    }
}

static int
authz_expired(const char *status, int64_t expires, int64_t now)
{
    return (strcmp(status, "pending") == 0 || strcmp(status, "valid") == 0) &&
           expires < now;
}

static enum catena_rc
set_order_status(struct catena_store *st, int64_t id, const char *status,
                 const char *error, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(status),
                                   error != NULL ? CATENA_SQL_P_TEXT(error)
                                                 : CATENA_SQL_P_NULL(),
                                   CATENA_SQL_P_INT(id)};
    return catena_store_exec(st,
                            "UPDATE acme_orders SET status = $1, error = "
                            "COALESCE($2, error) WHERE id = $3",
                            p, 3, NULL, err);
}

/*
 * settle_processing ends an order that a finalize left processing. The
 * claim commits with the serial's reservation and "valid" with the
 * certificate, so a finalize that stopped in between (the process died,
 * say) leaves the order processing with a serial whose row is still
 * RESERVED, and nothing will finish it. Once that row is older than
 * ACME_STUCK_ISSUANCE_S the order becomes invalid (RFC 8555 7.1.6:
 * processing -> invalid), which also frees a certificate it replaced for
 * another order. A row that is ISSUED (an order from before the claim and
 * the certificate committed together) makes it valid.
 */
static enum catena_rc
settle_processing(struct catena_store *st, struct acme_order *o, int64_t now,
                  struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(o->serial)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    enum catena_rc rc;
    const char *ns = NULL;
    char *text = NULL;

    rc = catena_store_exec(st,
                           "SELECT status, created_at FROM certificates "
                           "WHERE serial = $1",
                           p, 1, &rows, err);
    if (rc != CATENA_OK || (row = catena_rows_get(rows, 0)) == NULL) {
        catena_rows_free(rows);
        return rc;
    }
    if (catena_row_int(row, 0) == CATENA_CERT_ISSUED) {
        ns = "valid";
    } else if ((catena_row_int(row, 0) == CATENA_CERT_RESERVED ||
                catena_row_int(row, 0) == CATENA_CERT_FAILED) &&
               catena_row_int(row, 1) < now - ACME_STUCK_ISSUANCE_S) {
        json_t *prob = acme_prob_json(ACME_PROB_SERVER_INTERNAL,
                                      "issuance did not complete", NULL);

        text = prob != NULL ? json_dumps(prob, JSON_COMPACT) : NULL;
        json_decref(prob);
        if (text == NULL) {
            catena_rows_free(rows);
            return catena_err_set(err, CATENA_ERR_NOMEM, "problem");
        }
        ns = "invalid";
        free(o->error);
        o->error = strdup(text);
    }
    catena_rows_free(rows);
    if (ns == NULL) {
        return CATENA_OK;
    }
    rc = set_order_status(st, o->id, ns, text, err);
    free(text);
    if (rc == CATENA_OK) {
        snprintf(o->status, sizeof(o->status), "%s", ns);
    }
    return rc;
}

/* order_read is acme_order_load; |store_change| says whether a status
 * that moved is written back. */
static enum catena_rc
order_read(struct catena_store *st, int64_t id, int64_t now,
           int store_change, struct acme_order **out, struct catena_err *err)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(id)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    struct acme_order *o = NULL;
    enum catena_rc rc;
    const char *s;

    *out = NULL;
    rc = catena_store_exec(st,
                           "SELECT account_id, status, expires, error, "
                           "serial, replaces, replaces_certid FROM "
                           "acme_orders WHERE id = $1",
                           p, 1, &rows, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    row = catena_rows_get(rows, 0);
    if (row == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOT_FOUND, "no order");
        goto out;
    }
    o = calloc(1, sizeof(*o));
    if (o == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "order");
        goto out;
    }
    o->id = id;
    o->account_id = catena_row_int(row, 0);
    snprintf(o->status, sizeof(o->status), "%s", catena_row_text(row, 1));
    o->expires = catena_row_int(row, 2);
    if ((s = catena_row_text(row, 3)) != NULL) {
        o->error = strdup(s);
    }
    snprintf(o->serial, sizeof(o->serial), "%s",
             (s = catena_row_text(row, 4)) != NULL ? s : "");
    snprintf(o->replaces, sizeof(o->replaces), "%s",
             (s = catena_row_text(row, 5)) != NULL ? s : "");
    snprintf(o->replaces_certid, sizeof(o->replaces_certid), "%s",
             (s = catena_row_text(row, 6)) != NULL ? s : "");
    catena_rows_free(rows);
    rows = NULL;
    rc = catena_store_exec(
        st,
        "SELECT a.id, a.id_type, a.id_value, a.wildcard, a.status, "
        "a.expires, a.method, a.caa_checked_at FROM acme_order_idents i "
        "JOIN acme_authzs a ON a.id = i.authz_id WHERE i.order_id = $1 "
        "ORDER BY i.pos",
        p, 1, &rows, err);
    if (rc != CATENA_OK) {
        goto out;
    }
    for (size_t i = 0; i < catena_rows_count(rows) && i < ACME_MAX_IDENTIFIERS;
         i++) {
        struct acme_order_ident *id_ = &o->idents[o->num_idents++];
        row = catena_rows_get(rows, i);
        id_->authz_id = catena_row_int(row, 0);
        snprintf(id_->type, sizeof(id_->type), "%s", catena_row_text(row, 1));
        snprintf(id_->value, sizeof(id_->value), "%s",
                 catena_row_text(row, 2));
        id_->wildcard = catena_row_int(row, 3) != 0;
        snprintf(id_->authz_status, sizeof(id_->authz_status), "%s",
                 catena_row_text(row, 4));
        if (authz_expired(id_->authz_status, catena_row_int(row, 5), now)) {
            snprintf(id_->authz_status, sizeof(id_->authz_status), "expired");
        }
        snprintf(id_->method, sizeof(id_->method), "%s",
                 (s = catena_row_text(row, 6)) != NULL ? s : "");
        id_->caa_checked_at = catena_row_int(row, 7);
    }
    /* RFC 8555 7.1.6: pending/ready follow the authorizations and expiry. */
    if (strcmp(o->status, "pending") == 0 || strcmp(o->status, "ready") == 0) {
        const char *ns = "ready";
        if (o->expires < now) {
            ns = "invalid";
        }
        for (size_t i = 0; i < o->num_idents && strcmp(ns, "invalid") != 0;
             i++) {
            const char *as = o->idents[i].authz_status;
            if (strcmp(as, "valid") == 0) {
                continue;
            }
            ns = strcmp(as, "pending") == 0 ? "pending" : "invalid";
        }
        if (strcmp(ns, o->status) != 0 && store_change) {
            rc = set_order_status(st, id, ns, NULL, err);
            if (rc != CATENA_OK) {
                goto out;
            }
        }
        snprintf(o->status, sizeof(o->status), "%s", ns);
    }
    if (strcmp(o->status, "processing") == 0 && o->serial[0] != '\0' &&
        store_change &&
        (rc = settle_processing(st, o, now, err)) != CATENA_OK) {
        goto out;
    }
    *out = o;
    o = NULL;
out:
    acme_order_free(o);
    catena_rows_free(rows);
    return rc;
}

enum catena_rc
acme_order_load(struct catena_store *st, int64_t id, int64_t now,
                struct acme_order **out, struct catena_err *err)
{
    return order_read(st, id, now, 1, out, err);
}

enum catena_rc
acme_order_peek(struct catena_store *st, int64_t id, int64_t now,
                struct acme_order **out, struct catena_err *err)
{
    return order_read(st, id, now, 0, out, err);
}

int
acme_order_reply(struct acme_req *r, int status, const struct acme_order *o,
                 int location)
{
    char t[32], u[ACME_MAX_URL + 64];
    json_t *obj = json_object(), *ids = json_array(), *az = json_array();

    json_object_set_new(obj, "status", json_string(o->status));
    acme_time_str(o->expires, t);
    json_object_set_new(obj, "expires", json_string(t));
    for (size_t i = 0; i < o->num_idents; i++) {
        char v[ACME_MAX_DNS_NAME + 3];
        snprintf(v, sizeof(v), "%s%s", o->idents[i].wildcard ? "*." : "",
                 o->idents[i].value);
        json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
                                             o->idents[i].type, "value", v));
        acme_url(r->srv, u, sizeof(u), "/authz/%lld",
                 (long long)o->idents[i].authz_id);
        json_array_append_new(az, json_string(u));
    }
    json_object_set_new(obj, "identifiers", ids);
    json_object_set_new(obj, "authorizations", az);
    acme_url(r->srv, u, sizeof(u), "/order/%lld/finalize", (long long)o->id);
    json_object_set_new(obj, "finalize", json_string(u));
    if (o->serial[0] != '\0' && strcmp(o->status, "valid") == 0) {
        acme_url(r->srv, u, sizeof(u), "/cert/%s", o->serial);
        json_object_set_new(obj, "certificate", json_string(u));
    }
    if (o->error != NULL && strcmp(o->status, "invalid") == 0) {
        json_t *e = json_loads(o->error, 0, NULL);
        if (e != NULL) {
            json_object_set_new(obj, "error", e);
        }
    }
    if (o->replaces_certid[0] != '\0') {
        json_object_set_new(obj, "replaces", json_string(o->replaces_certid));
    }
    if (location) {
        acme_url(r->srv, u, sizeof(u), "/order/%lld", (long long)o->id);
        acme_header(r, "Location", u);
    }
    if (strcmp(o->status, "processing") == 0) {
        acme_header(r, "Retry-After", "1");
    }
    return acme_reply_json(r, status, obj);
}

static enum catena_rc
random_token(char out[48])
{
    uint8_t raw[32];
    char *b;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return CATENA_ERR_CRYPTO;
    }
    b = acme_b64u_encode(raw, sizeof(raw));
    if (b == NULL) {
        return CATENA_ERR_NOMEM;
    }
    snprintf(out, 48, "%s", b);
    free(b);
    return CATENA_OK;
}

/*
 * new_authz creates a pending authorization with its challenges: dns
 * names get http-01, dns-01 and tls-alpn-01; wildcards only dns-01
 * (RFC 8555 7.1.3); ip addresses http-01 and tls-alpn-01 (RFC 8738 7).
 */
static enum catena_rc
new_authz(struct acme_req *r, const char *type, const char *value,
          int wildcard, int64_t *id_out, struct catena_err *err)
{
    static const char *const dns_types[] = {"http-01", "dns-01",
                                            "tls-alpn-01", NULL};
    static const char *const wild_types[] = {"dns-01", NULL};
    static const char *const ip_types[] = {"http-01", "tls-alpn-01", NULL};
    const char *const *types = strcmp(type, "ip") == 0 ? ip_types
                               : wildcard             ? wild_types
                                                      : dns_types;
    struct catena_rows *rows = NULL;
    enum catena_rc rc;
    int64_t id;

    {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_INT(r->acct.id), CATENA_SQL_P_TEXT(type),
            CATENA_SQL_P_TEXT(value), CATENA_SQL_P_INT(wildcard),
            CATENA_SQL_P_INT(r->now + r->srv->authz_lifetime),
            CATENA_SQL_P_INT(r->now)};
        rc = catena_store_exec(
            r->store,
            "INSERT INTO acme_authzs (account_id, id_type, id_value, "
            "wildcard, status, expires, validated_at, caa_checked_at, "
            "created_at) VALUES ($1, $2, $3, $4, 'pending', $5, 0, 0, $6) "
            "RETURNING id",
            p, 6, &rows, err);
    }
    if (rc != CATENA_OK) {
        return rc;
    }
    if (catena_rows_get(rows, 0) == NULL) {
        catena_rows_free(rows);
        return catena_err_set(err, CATENA_ERR_STORE, "authz insert");
    }
    id = catena_row_int(catena_rows_get(rows, 0), 0);
    catena_rows_free(rows);
    for (size_t i = 0; types[i] != NULL; i++) {
        char token[48];
        if ((rc = random_token(token)) != CATENA_OK) {
            return catena_err_set(err, rc, "challenge token");
        }
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(id),
                                       CATENA_SQL_P_TEXT(types[i]),
                                       CATENA_SQL_P_TEXT(token)};
        rc = catena_store_exec(r->store,
                              "INSERT INTO acme_challenges (authz_id, type, "
                              "token, status, validated_at) VALUES ($1, $2, "
                              "$3, 'pending', 0)",
                              p, 3, NULL, err);
        if (rc != CATENA_OK) {
            return rc;
        }
    }
    *id_out = id;
    return CATENA_OK;
}

/* reusable_authz finds a valid authorization of the account to reuse. */
static enum catena_rc
reusable_authz(struct acme_req *r, const char *type, const char *value,
               int wildcard, int64_t *id_out, struct catena_err *err)
{
    /* Never longer than the Baseline Requirements allow, whatever the
     * configuration says. */
    int64_t reuse = r->srv->authz_reuse < acme_dcv_reuse_max(r->now)
                        ? r->srv->authz_reuse
                        : acme_dcv_reuse_max(r->now);
    struct catena_sql_param p[] = {
        CATENA_SQL_P_INT(r->acct.id), CATENA_SQL_P_TEXT(type),
        CATENA_SQL_P_TEXT(value), CATENA_SQL_P_INT(wildcard),
        CATENA_SQL_P_INT(r->now - reuse),
        /* Leave the client a day to finalize with it. */
        CATENA_SQL_P_INT(r->now + 86400)};
    struct catena_rows *rows = NULL;
    enum catena_rc rc;

    *id_out = 0;
    if (r->srv->authz_reuse <= 0) {
        return CATENA_OK;
    }
    rc = catena_store_exec(r->store,
                           "SELECT id FROM acme_authzs WHERE account_id = $1 "
                           "AND id_type = $2 AND id_value = $3 AND wildcard "
                           "= $4 AND status = 'valid' AND validated_at >= $5 "
                           "AND expires > $6 ORDER BY id DESC LIMIT 1",
                           p, 6, &rows, err);
    if (rc == CATENA_OK && catena_rows_get(rows, 0) != NULL) {
        *id_out = catena_row_int(catena_rows_get(rows, 0), 0);
    }
    catena_rows_free(rows);
    return rc;
}

int
acme_h_new_order(struct acme_req *r)
{
    json_t *pl = NULL, *ids, *v, *subs = NULL;
    struct acme_order *o = NULL;
    struct catena_err err = {0};
    struct catena_rows *rows = NULL;
    char (*canon)[ACME_MAX_DNS_NAME + 3] = NULL;
    const char *types[ACME_MAX_IDENTIFIERS];
    int wild[ACME_MAX_IDENTIFIERS];
    const char *names[ACME_MAX_IDENTIFIERS];
    char replaced[41] = "", detail[256] = "";
    const char *replaces = NULL;
    size_t n = 0, i;
    int64_t order_id = 0;
    enum catena_rc rc;
    int in_tx = 0, reused = 0;

    if (acme_post_verify_deferred(r, 0, 1) != 0) {
        return 0;
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        return 0;
    }
    if (json_object_get(pl, "notBefore") != NULL ||
        json_object_get(pl, "notAfter") != NULL) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "notBefore and notAfter are not supported; omit "
                           "them and the CA picks the validity");
        goto out;
    }
    ids = json_object_get(pl, "identifiers");
    if (!json_is_array(ids) || json_array_size(ids) == 0 ||
        json_array_size(ids) > ACME_MAX_IDENTIFIERS) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "identifiers must be an array of 1 to 100 entries");
        goto out;
    }
    canon = calloc(ACME_MAX_IDENTIFIERS, sizeof(*canon));
    subs = json_array();
    if (canon == NULL || subs == NULL) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "out of memory");
        goto out;
    }
    json_array_foreach(ids, i, v) {
        const char *t = NULL, *val = NULL;
        char c[ACME_MAX_DNS_NAME + 1], full[ACME_MAX_DNS_NAME + 3], why[160];
        int w = 0, dup = 0;
        enum acme_prob p;

        if (json_unpack_ex(v, NULL, JSON_STRICT, "{s:s, s:s}", "type", &t,
                           "value", &val) != 0) {
            acme_reply_problem(r, ACME_PROB_MALFORMED,
                               "identifier must be {type, value}");
            goto out;
        }
        p = acme_ident_canon(t, val, c, &w);
        if (p != ACME_PROB_NONE) {
            json_array_append_new(
                subs, acme_prob_subproblem(
                          p,
                          p == ACME_PROB_UNSUPPORTED_ID
                              ? "identifier type not supported"
                              : "identifier is not a valid name or address",
                          t, val));
            continue;
        }
        /* With its "*.": a wildcard directly left of a public suffix is
         * refused where the same name without one is not. */
        snprintf(full, sizeof(full), "%s%s", w ? "*." : "", c);
        if (!ident_issuable(t, strcmp(t, "ip") == 0 ? c : full, why,
                            sizeof(why))) {
            json_array_append_new(
                subs, acme_prob_subproblem(ACME_PROB_REJECTED_ID, why, t, val));
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            if (strcmp(types[k], t) == 0 && wild[k] == w &&
                strcmp(canon[k] + (wild[k] ? 2 : 0), c) == 0) {
                dup = 1;
            }
        }
        if (dup) {
            continue;
        }
        types[n] = strcmp(t, "ip") == 0 ? "ip" : "dns";
        wild[n] = w;
        snprintf(canon[n], sizeof(canon[n]), "%s%s", w ? "*." : "", c);
        names[n] = canon[n];
        n++;
    }
    if (json_array_size(subs) > 0) {
        enum acme_prob top = (enum acme_prob)ACME_PROB_REJECTED_ID;
        if (json_array_size(subs) == 1) {
            const char *ty = json_string_value(
                json_object_get(json_array_get(subs, 0), "type"));
            if (ty != NULL && strcmp(ty, acme_prob_type(ACME_PROB_UNSUPPORTED_ID)) == 0) {
                top = ACME_PROB_UNSUPPORTED_ID;
            }
        }
        acme_reply_problem_json(
            r, acme_prob_json(top, "some identifiers were refused", subs));
        subs = NULL;
        goto out;
    }
    v = json_object_get(pl, "replaces");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) >= 200) {
            acme_reply_problem(r, ACME_PROB_MALFORMED,
                               "replaces must be an ARI certID");
            goto out;
        }
        replaces = json_string_value(v);
    }
    if (acme_req_tx_begin(r) != 0) {
        goto out;
    }
    in_tx = 1;
    if (replaces != NULL) {
        /* In the transaction that inserts the order: two orders replacing
         * one certificate at once must not both find it unreplaced. */
        enum acme_prob p = acme_replaces_check(r->store, r->acct.id, replaces,
                                               names, n, r->now, replaced,
                                               detail, sizeof(detail));
        if (p != ACME_PROB_NONE) {
            acme_reply_problem(r, p, detail);
            goto out;
        }
    }
    {
        struct catena_sql_param p[] = {
            CATENA_SQL_P_INT(r->acct.id),
            CATENA_SQL_P_INT(r->now + r->srv->order_lifetime),
            replaces != NULL ? CATENA_SQL_P_TEXT(replaced)
                             : CATENA_SQL_P_NULL(),
            replaces != NULL ? CATENA_SQL_P_TEXT(replaces)
                             : CATENA_SQL_P_NULL(),
            CATENA_SQL_P_INT(r->now)};
        rc = catena_store_exec(r->store,
                              "INSERT INTO acme_orders (account_id, status, "
                              "expires, replaces, replaces_certid, "
                              "created_at) VALUES ($1, 'pending', $2, $3, "
                              "$4, $5) RETURNING id",
                              p, 5, &rows, &err);
    }
    if (rc != CATENA_OK || catena_rows_get(rows, 0) == NULL) {
        goto store_fail;
    }
    order_id = catena_row_int(catena_rows_get(rows, 0), 0);
    /* The order as written, to answer with unless an authorization was
     * reused (then its state decides the order's, and it is loaded). */
    o = calloc(1, sizeof(*o));
    if (o == NULL) {
        rc = catena_err_set(&err, CATENA_ERR_NOMEM, "order");
        goto store_fail;
    }
    o->id = order_id;
    o->account_id = r->acct.id;
    snprintf(o->status, sizeof(o->status), "pending");
    o->expires = r->now + r->srv->order_lifetime;
    if (replaces != NULL) {
        snprintf(o->replaces, sizeof(o->replaces), "%s", replaced);
        snprintf(o->replaces_certid, sizeof(o->replaces_certid), "%s",
                 replaces);
    }
    for (i = 0; i < n; i++) {
        const char *val = canon[i] + (wild[i] ? 2 : 0);
        struct acme_order_ident *oi = &o->idents[o->num_idents++];
        int64_t az = 0;
        rc = reusable_authz(r, types[i], val, wild[i], &az, &err);
        reused |= az != 0;
        if (rc == CATENA_OK && az == 0) {
            rc = new_authz(r, types[i], val, wild[i], &az, &err);
        }
        if (rc != CATENA_OK) {
            goto store_fail;
        }
        oi->authz_id = az;
        snprintf(oi->type, sizeof(oi->type), "%s", types[i]);
        snprintf(oi->value, sizeof(oi->value), "%s", val);
        oi->wildcard = wild[i];
        snprintf(oi->authz_status, sizeof(oi->authz_status), "pending");
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(order_id),
                                       CATENA_SQL_P_INT((int64_t)i),
                                       CATENA_SQL_P_INT(az)};
        rc = catena_store_exec(r->store,
                              "INSERT INTO acme_order_idents (order_id, pos, "
                              "authz_id) VALUES ($1, $2, $3)",
                              p, 3, NULL, &err);
        if (rc != CATENA_OK) {
            goto store_fail;
        }
    }
    rc = acme_req_tx_commit(r, &err);
    in_tx = 0;
    if (rc != CATENA_OK) {
        goto store_fail;
    }
    if (reused) {
        acme_order_free(o);
        o = NULL;
        if (acme_order_load(r->store, order_id, r->now, &o, &err) !=
            CATENA_OK) {
            goto store_fail;
        }
    }
    acme_order_reply(r, 201, o, 1);
    goto out;
store_fail:
    CATENA_ERROR("acme: newOrder: %s", err.msg);
    acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
out:
    if (in_tx) {
        acme_req_tx_rollback(r);
    }
    acme_order_free(o);
    catena_rows_free(rows);
    json_decref(subs);
    free(canon);
    json_decref(pl);
    return 0;
}

int
acme_h_order(struct acme_req *r, int64_t id)
{
    struct acme_order *o = NULL;
    struct catena_err err = {0};
    enum catena_rc rc;

    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    rc = acme_order_load(r->store, id, r->now, &o, &err);
    if (rc == CATENA_OK && o->account_id != r->acct.id) {
        rc = CATENA_ERR_NOT_FOUND;
    }
    if (rc != CATENA_OK) {
        acme_order_free(o);
        return acme_reply_rc(r, rc, ACME_PROB_MALFORMED);
    }
    acme_order_reply(r, 200, o, 0);
    acme_order_free(o);
    return 0;
}

/* ---- authorizations and challenges ---------------------------------- */

#define CHALL_COLS "c.id, c.type, c.token, c.status, c.validated_at, c.error"

/* challenge_json builds the challenge object of the CHALL_COLS columns
 * of row |c| starting at column |k|, with |status| (the row's own, or
 * what this request just made it). */
static json_t *
challenge_fields_json(struct acme_req *r, int64_t id, const char *type,
                      const char *token, const char *status,
                      int64_t validated_at, const char *error)
{
    char u[ACME_MAX_URL + 32], t[32];
    json_t *o;

    acme_url(r->srv, u, sizeof(u), "/chall/%lld", (long long)id);
    o = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "url", u, "status",
                  status, "token", token);
    if (o == NULL) {
        return NULL;
    }
    if (validated_at > 0) {
        acme_time_str(validated_at, t);
        json_object_set_new(o, "validated", json_string(t));
    }
    if (error != NULL) {
        json_t *ej = json_loads(error, 0, NULL);
        if (ej != NULL) {
            json_object_set_new(o, "error", ej);
        }
    }
    return o;
}

static json_t *
challenge_json(struct acme_req *r, const struct catena_row *c, int k,
               const char *status)
{
    /* Columns k..k+5: id, type, token, status, validated_at, error. */
    return challenge_fields_json(r, catena_row_int(c, k),
                                 catena_row_text(c, k + 1),
                                 catena_row_text(c, k + 2), status,
                                 catena_row_int(c, k + 4),
                                 catena_row_text(c, k + 5));
}

/* challenge_reply answers with challenge |o| in |status|, linked up to
 * its authorization (lego finds the authorization that way). */
static int
challenge_reply(struct acme_req *r, json_t *o, const char *status,
                int64_t authz_id)
{
    char up[ACME_MAX_URL + 64], u[ACME_MAX_URL + 32];

    acme_url(r->srv, u, sizeof(u), "/authz/%lld", (long long)authz_id);
    snprintf(up, sizeof(up), "<%s>;rel=\"up\"", u);
    acme_header(r, "Link", up);
    if (strcmp(status, "processing") == 0) {
        acme_header(r, "Retry-After", "1");
    }
    return acme_reply_json(r, 200, o);
}

static int
authz_reply(struct acme_req *r, int64_t id, int64_t *account_out,
            char status_out[16])
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(id)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    struct catena_err err = {0};
    char status[16], t[32];
    json_t *o = NULL, *arr;
    int64_t expires;
    int final;

    /* The authorization with its challenges, one row per challenge. */
    if (catena_store_exec(r->store,
                          "SELECT a.account_id, a.id_type, a.id_value, "
                          "a.wildcard, a.status, a.expires, " CHALL_COLS
                          " FROM acme_authzs a LEFT JOIN acme_challenges c "
                          "ON c.authz_id = a.id WHERE a.id = $1 ORDER BY "
                          "c.id",
                          p, 1, &rows, &err) != CATENA_OK) {
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
    }
    row = catena_rows_get(rows, 0);
    if (row == NULL || catena_row_int(row, 0) != r->acct.id) {
        catena_rows_free(rows);
        return acme_reply_problem(r, ACME_PROB_NOT_FOUND,
                                  "no such authorization");
    }
    if (account_out != NULL) {
        *account_out = catena_row_int(row, 0);
    }
    snprintf(status, sizeof(status), "%s", catena_row_text(row, 4));
    expires = catena_row_int(row, 5);
    if (authz_expired(status, expires, r->now)) {
        snprintf(status, sizeof(status), "expired");
    }
    if (status_out != NULL) {
        snprintf(status_out, 16, "%s", status);
    }
    acme_time_str(expires, t);
    o = json_pack("{s:{s:s, s:s}, s:s, s:s}", "identifier", "type",
                  catena_row_text(row, 1), "value", catena_row_text(row, 2),
                  "status", status, "expires", t);
    arr = json_array();
    if (o == NULL || arr == NULL) {
        catena_rows_free(rows);
        json_decref(o);
        json_decref(arr);
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                                  "out of memory");
    }
    if (catena_row_int(row, 3) != 0) {
        json_object_set_new(o, "wildcard", json_true());
    }
    /* RFC 8555 7.1.4: a valid authorization lists the challenge that was
     * validated, an invalid one the challenge that was attempted and
     * failed; the others, never tried, would only read as still open. */
    final = strcmp(status, "valid") == 0 || strcmp(status, "invalid") == 0;
    for (int pass = 0; pass < 2 && json_array_size(arr) == 0; pass++) {
        for (size_t i = 0; i < catena_rows_count(rows); i++) {
            const struct catena_row *c = catena_rows_get(rows, i);

            if (catena_row_is_null(c, 6) ||
                (final && pass == 0 &&
                 strcmp(catena_row_text(c, 9), "pending") == 0)) {
                continue;
            }
            json_array_append_new(
                arr, challenge_json(r, c, 6, catena_row_text(c, 9)));
        }
        if (!final) {
            break;
        }
    }
    json_object_set_new(o, "challenges", arr);
    catena_rows_free(rows);
    return acme_reply_json(r, 200, o);
}

int
acme_h_authz(struct acme_req *r, int64_t id)
{
    struct catena_sql_param p[2];
    struct catena_rows *rows = NULL;
    struct catena_err err = {0};
    json_t *pl, *st;

    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    /* Bound only now: the account is known once the request verified. */
    p[0] = CATENA_SQL_P_INT(id);
    p[1] = CATENA_SQL_P_INT(r->acct.id);
    if (r->jws.payload_len == 0) {
        return authz_reply(r, id, NULL, NULL);
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        return 0;
    }
    st = json_object_get(pl, "status");
    if (!json_is_string(st) ||
        strcmp(json_string_value(st), "deactivated") != 0) {
        json_decref(pl);
        return acme_reply_problem(r, ACME_PROB_MALFORMED,
                                  "authorizations may only be deactivated");
    }
    json_decref(pl);
    /* RFC 8555 7.5.2: only pending or valid authorizations deactivate. */
    if (catena_store_exec(r->store,
                          "SELECT status, expires FROM acme_authzs WHERE "
                          "id = $1 AND account_id = $2",
                          p, 2, &rows, &err) != CATENA_OK) {
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
    }
    if (catena_rows_get(rows, 0) == NULL) {
        catena_rows_free(rows);
        return acme_reply_problem(r, ACME_PROB_NOT_FOUND,
                                  "no such authorization");
    }
    if (authz_expired(catena_row_text(catena_rows_get(rows, 0), 0),
                      catena_row_int(catena_rows_get(rows, 0), 1), r->now)) {
        catena_rows_free(rows);
        return acme_reply_problem(r, ACME_PROB_MALFORMED,
                                  "authorization has expired");
    }
    catena_rows_free(rows);
    rows = NULL;
    if (catena_store_exec(r->store,
                         "UPDATE acme_authzs SET status = 'deactivated' "
                         "WHERE id = $1 AND account_id = $2 AND status IN "
                         "('pending', 'valid') RETURNING id",
                         p, 2, &rows, &err) != CATENA_OK) {
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
    }
    if (catena_rows_get(rows, 0) == NULL) {
        catena_rows_free(rows);
        return acme_reply_problem(r, ACME_PROB_MALFORMED,
                                  "authorization is not pending or valid");
    }
    catena_rows_free(rows);
    CATENA_INFO("acme: authorization %lld deactivated", (long long)id);
    return authz_reply(r, id, NULL, NULL);
}

int
acme_h_challenge(struct acme_req *r, int64_t id)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(id)};
    struct catena_rows *rows = NULL, *upd = NULL;
    const struct catena_row *row;
    struct catena_err err = {0};
    const char *status;
    int64_t authz_id;
    int claimed, ret;

    /* The nonce's use commits with the move to processing. */
    if (acme_post_verify_deferred(r, 0, 1) != 0) {
        return 0;
    }
    if (catena_store_exec(r->store,
                          "SELECT " CHALL_COLS ", a.account_id, a.status, "
                          "a.expires, c.authz_id FROM acme_challenges c JOIN "
                          "acme_authzs a ON a.id = c.authz_id WHERE c.id = $1",
                          p, 1, &rows, &err) != CATENA_OK) {
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
    }
    row = catena_rows_get(rows, 0);
    if (row == NULL || catena_row_int(row, 6) != r->acct.id) {
        catena_rows_free(rows);
        return acme_reply_problem(r, ACME_PROB_NOT_FOUND, "no such challenge");
    }
    authz_id = catena_row_int(row, 9);
    status = catena_row_text(row, 3);
    if (r->jws.payload_len > 0) {
        /* RFC 8555 7.5.1: the client says it is ready with "{}". */
        json_t *pl = acme_payload_object(r);
        if (pl == NULL) {
            catena_rows_free(rows);
            return 0;
        }
        json_decref(pl);
        if (strcmp(status, "pending") == 0 &&
            strcmp(catena_row_text(row, 7), "pending") == 0 &&
            catena_row_int(row, 8) >= r->now) {
            if (acme_req_tx_begin(r) != 0) {
                catena_rows_free(rows);
                return 0;
            }
            if (catena_store_exec(r->store,
                                  "UPDATE acme_challenges SET status = "
                                  "'processing' WHERE id = $1 AND status = "
                                  "'pending' RETURNING id",
                                  p, 1, &upd, &err) != CATENA_OK) {
                acme_req_tx_rollback(r);
                catena_rows_free(rows);
                return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                                          "store error");
            }
            claimed = catena_rows_get(upd, 0) != NULL;
            catena_rows_free(upd);
            if (acme_req_tx_commit(r, &err) != CATENA_OK) {
                catena_rows_free(rows);
                return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                                          "store error");
            }
            /* Parked before queueing, so the outcome cannot come first;
             * queued only once committed: the worker reads the status. */
            if (claimed) {
                /* -1: answer now */
                (void)acme_chall_park(r, id, authz_id, catena_row_text(row, 1),
                                      catena_row_text(row, 2));
            }
            if (claimed && acme_workers_enqueue(r->srv, id) != 0) {
                /* Put it back so the client can retry later. */
                if (catena_store_exec(r->store,
                                     "UPDATE acme_challenges SET status = "
                                     "'pending' WHERE id = $1",
                                     p, 1, NULL, &err) != CATENA_OK) {
                    CATENA_ERROR("acme: challenge %lld stuck", (long long)id);
                }
                catena_rows_free(rows);
                if (r->parked) {
                    /* Answered on the resume, from the pending status. */
                    acme_chall_done(r->srv, id, NULL);
                    return 0;
                }
                acme_header(r, "Retry-After", "5");
                return acme_reply_problem(r, ACME_PROB_RATE_LIMITED,
                                          "validation queue is full");
            }
            if (claimed && r->parked) {
                catena_rows_free(rows);
                return 0;
            }
            if (claimed) {
                status = "processing";
            } else {
                /* A concurrent request moved it first: show where it is. */
                catena_rows_free(rows);
                rows = NULL;
                if (catena_store_exec(r->store,
                                      "SELECT " CHALL_COLS ", 0, '', 0, 0 "
                                      "FROM acme_challenges c WHERE c.id = $1",
                                      p, 1, &rows, &err) != CATENA_OK ||
                    (row = catena_rows_get(rows, 0)) == NULL) {
                    catena_rows_free(rows);
                    return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                                              "store error");
                }
                status = catena_row_text(row, 3);
            }
        }
    }
    ret = challenge_reply(r, challenge_json(r, row, 0, status), status,
                          authz_id);
    catena_rows_free(rows);
    return ret;
}

int
acme_h_challenge_resumed(struct acme_req *r, struct acme_chall_wait *cw)
{
    struct catena_sql_param p[] = {CATENA_SQL_P_INT(cw->chall_id)};
    struct catena_rows *rows = NULL;
    const struct catena_row *row;
    struct catena_err err = {0};
    int64_t authz_id = cw->authz_id;
    int ret;

    /* The POST was verified, and its nonce spent, before it was parked. */
    if (cw->known || !cw->done) {
        /* The worker's committed outcome, or still processing when the
         * wait ran out (or the server stops). */
        const char *st = cw->known ? cw->status : "processing";
        json_t *o = challenge_fields_json(r, cw->chall_id, cw->type,
                                          cw->token, st, cw->validated_at,
                                          cw->error_json);
        ret = challenge_reply(r, o, st, authz_id);
        acme_chall_wait_free(cw);
        return ret;
    }
    acme_chall_wait_free(cw);
    if (catena_store_exec(r->store,
                          "SELECT " CHALL_COLS " FROM acme_challenges c "
                          "WHERE c.id = $1",
                          p, 1, &rows, &err) != CATENA_OK ||
        (row = catena_rows_get(rows, 0)) == NULL) {
        catena_rows_free(rows);
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
    }
    if (strcmp(catena_row_text(row, 3), "pending") == 0) {
        /* Put back because the validation queue was full. */
        catena_rows_free(rows);
        acme_header(r, "Retry-After", "5");
        return acme_reply_problem(r, ACME_PROB_RATE_LIMITED,
                                  "validation queue is full");
    }
    ret = challenge_reply(r, challenge_json(r, row, 0, catena_row_text(row, 3)),
                          catena_row_text(row, 3), authz_id);
    catena_rows_free(rows);
    return ret;
}
