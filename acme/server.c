/*
 * server.c - the ACME HTTP front: one route on the HTTPS listener that
 * dispatches by path, the directory and newNonce resources, replies with
 * the headers every ACME response carries (Replay-Nonce, Link rel=index),
 * and the JWS authentication every POST goes through.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catena/config.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

void
acme_url(const struct acme_srv *srv, char *buf, size_t len, const char *fmt,
         ...)
{
    va_list ap;
    int n = snprintf(buf, len, "%s", srv->base_url);

    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf + n, len - (size_t)n, fmt, ap);
    va_end(ap);
}

int
acme_header(struct acme_req *r, const char *name, const char *value)
{
    return catena_http_response_header(r->resp, name, value);
}

int
acme_reply_json(struct acme_req *r, int status, json_t *obj)
{
    char *s = NULL;
    const char *ctype = "application/json";

    if (obj == NULL) {
        return acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                                  "out of memory");
    }
    if (json_object_get(obj, "type") != NULL &&
        json_object_get(obj, "status") != NULL && status >= 400) {
        ctype = "application/problem+json";
    }
    s = json_dumps(obj, JSON_INDENT(2));
    json_decref(obj);
    if (s == NULL) {
        r->resp->status = 500;
        return 0;
    }
    if (catena_http_response_body(r->resp, status, ctype, s, strlen(s)) != 0) {
        r->resp->status = 500;
    }
    free(s);
    return 0;
}

int
acme_reply_problem_json(struct acme_req *r, json_t *prob)
{
    int status = 500;

    if (prob != NULL) {
        status = (int)json_integer_value(json_object_get(prob, "status"));
    }
    return acme_reply_json(r, status > 0 ? status : 500, prob);
}

int
acme_reply_problem(struct acme_req *r, enum acme_prob p, const char *detail)
{
    return acme_reply_problem_json(r, acme_prob_json(p, detail, NULL));
}

int
acme_reply_jws_problem(struct acme_req *r, enum acme_prob p,
                       const char *detail, json_t *(*algs)(void))
{
    json_t *prob = acme_prob_json(p, detail, NULL);

    if (prob != NULL && p == ACME_PROB_BAD_SIG_ALG) {
        json_t *a = algs();
        if (a != NULL) {
            json_object_set_new(prob, "algorithms", a);
        }
    }
    return acme_reply_problem_json(r, prob);
}

int
acme_reply_rc(struct acme_req *r, enum catena_rc rc, enum acme_prob fallback)
{
    return acme_reply_problem(r, acme_prob_from_rc(rc, fallback),
                              acme_prob_detail_for_rc(rc));
}

json_t *
acme_payload_object(struct acme_req *r)
{
    json_error_t jerr;
    json_t *o;

    if (r->jws.payload_len == 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "this resource needs a JSON object payload");
        return NULL;
    }
    o = json_loadb((const char *)r->jws.payload, r->jws.payload_len,
                   JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "payload is not a JSON object");
        return NULL;
    }
    return o;
}

/* parse_id reads a positive decimal id that makes up the whole of |s|. */
static int
parse_id(const char *s, int64_t *id)
{
    return catena_parse_int64(s, 1, INT64_MAX, id) == CATENA_OK ? 0 : -1;
}

/* post_verify is acme_post_verify; with |defer| the nonce's use is left
 * for the request's transaction (acme_post_verify_deferred). */
static int
post_verify(struct acme_req *r, int allow_jwk, int allow_kid, int defer)
{
    char detail[256] = "";
    char want_url[2 * ACME_MAX_URL];
    const char *ctype = catena_http_request_header(r->http, "Content-Type");
    struct catena_err err = {0};
    enum acme_prob p;
    EVP_PKEY *key = NULL;
    int64_t expires = 0;
    int ok = 0;

    /* RFC 8555 6.2: the media type is application/jose+json. */
    if (ctype == NULL || strncasecmp(ctype, "application/jose+json", 21) != 0) {
        acme_reply_problem(r, ACME_PROB_UNSUPPORTED_MEDIA,
                           "Content-Type must be application/jose+json");
        return -1;
    }
    p = acme_jws_parse(r->http->body, r->http->body_len, 1, &r->jws, detail,
                       sizeof(detail));
    if (p != ACME_PROB_NONE) {
        acme_reply_jws_problem(r, p, detail, acme_jws_algs_json);
        return -1;
    }
    if (acme_nonce_check(&r->srv->nonce_key, r->jws.nonce, &ok, &expires,
                         &err) != CATENA_OK) {
        CATENA_ERROR("acme: nonce check: %s", err.msg);
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "nonce check");
        return -1;
    }
    if (ok && defer) {
        r->nonce_pending = 1;
    } else if (ok && acme_nonce_record(r->store, r->jws.nonce, &ok, &err) !=
                         CATENA_OK) {
        CATENA_ERROR("acme: nonce record: %s", err.msg);
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        return -1;
    }
    if (!ok) {
        acme_reply_problem(r, ACME_PROB_BAD_NONCE,
                           "nonce unknown, used or expired");
        return -1;
    }
    acme_url(r->srv, want_url, sizeof(want_url), "%s", r->path);
    if (strcmp(r->jws.url, want_url) != 0) {
        acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                           "JWS url does not match the request URL");
        return -1;
    }
    if (r->jws.kid != NULL) {
        char prefix[ACME_MAX_URL + 16];
        int64_t id = 0;
        enum catena_rc rc;

        if (!allow_kid) {
            acme_reply_problem(r, ACME_PROB_MALFORMED,
                               "this resource needs a jwk, not a kid");
            return -1;
        }
        acme_url(r->srv, prefix, sizeof(prefix), "/acct/");
        if (strncmp(r->jws.kid, prefix, strlen(prefix)) != 0 ||
            parse_id(r->jws.kid + strlen(prefix), &id) != 0) {
            acme_reply_problem(r, ACME_PROB_ACCOUNT_DNE,
                               "kid does not name an account of this server");
            return -1;
        }
        rc = acme_account_load(r->store, id, &r->acct, &err);
        if (rc == CATENA_ERR_NOT_FOUND) {
            acme_reply_problem(r, ACME_PROB_ACCOUNT_DNE, "no such account");
            return -1;
        }
        if (rc != CATENA_OK) {
            CATENA_ERROR("acme: account load: %s", err.msg);
            acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
            return -1;
        }
        if (strcmp(r->acct.status, "valid") != 0) {
            int deact = strcmp(r->acct.status, "deactivated") == 0;

            /* RFC 8555 7.3.6: 401 for a deactivated account. */
            acme_reply_problem(
                r, deact ? ACME_PROB_DEACTIVATED : ACME_PROB_UNAUTHORIZED,
                deact ? "account is deactivated" : "account is not valid");
            return -1;
        }
        key = r->acct.key;
    } else {
        if (!allow_jwk) {
            acme_reply_problem(r, ACME_PROB_MALFORMED,
                               "this resource needs a kid, not a jwk");
            return -1;
        }
        r->jwk_key = acme_jwk_to_pkey(r->jws.jwk, detail, sizeof(detail));
        if (r->jwk_key == NULL) {
            acme_reply_problem(r, ACME_PROB_BAD_PUBLIC_KEY, detail);
            return -1;
        }
        key = r->jwk_key;
    }
    p = acme_jws_verify(&r->jws, key, detail, sizeof(detail));
    if (p != ACME_PROB_NONE) {
        acme_reply_jws_problem(r, p, detail, acme_jws_algs_json);
        return -1;
    }
    return 0;
}

int
acme_post_verify(struct acme_req *r, int allow_jwk, int allow_kid)
{
    return post_verify(r, allow_jwk, allow_kid, 0);
}

int
acme_post_verify_deferred(struct acme_req *r, int allow_jwk, int allow_kid)
{
    return post_verify(r, allow_jwk, allow_kid, 1);
}

int
acme_req_tx_begin(struct acme_req *r)
{
    struct catena_err err = {0};
    int ok = 0;

    if (acme_tx_begin(r->store, &err) != CATENA_OK) {
        CATENA_ERROR("acme: begin: %s", err.msg);
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        return -1;
    }
    if (!r->nonce_pending) {
        return 0;
    }
    /* First in the transaction: a used nonce is found before anything is
     * written, and its use commits with the writes or not at all. */
    if (acme_nonce_record_tx(r->store, r->jws.nonce, &ok, &err) != CATENA_OK) {
        CATENA_ERROR("acme: nonce record: %s", err.msg);
        acme_tx_rollback(r->store);
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        return -1;
    }
    if (!ok) {
        acme_tx_rollback(r->store);
        r->nonce_pending = 0; /* used: recorded already, by its first use */
        acme_reply_problem(r, ACME_PROB_BAD_NONCE,
                           "nonce unknown, used or expired");
        return -1;
    }
    r->nonce_in_tx = 1;
    return 0;
}

enum catena_rc
acme_req_tx_commit(struct acme_req *r, struct catena_err *err)
{
    enum catena_rc rc = acme_tx_commit(r->store, err);

    if (rc == CATENA_OK && r->nonce_in_tx) {
        r->nonce_pending = 0;
    }
    r->nonce_in_tx = 0;
    return rc;
}

void
acme_req_tx_rollback(struct acme_req *r)
{
    acme_tx_rollback(r->store);
    r->nonce_in_tx = 0;
}

/* reply_reset drops whatever answer a handler wrote. */
static void
reply_reset(struct acme_req *r)
{
    struct catena_http_response *resp = r->resp;

    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
    resp->content_type = NULL;
    for (size_t i = 0; i < resp->num_headers; i++) {
        free(resp->headers[i].value);
        resp->headers[i].value = NULL;
    }
    resp->num_headers = 0;
    resp->status = 0;
}

/* record_pending records the use of the deferred nonce of |r| now.
 * Returns 0, or -1 with the problem to answer in |*p|. */
static int
record_pending(struct acme_req *r, enum acme_prob *p)
{
    struct catena_err err = {0};
    int ok = 0;

    r->nonce_pending = 0;
    if (acme_nonce_record(r->store, r->jws.nonce, &ok, &err) != CATENA_OK) {
        CATENA_ERROR("acme: nonce record: %s", err.msg);
        *p = ACME_PROB_SERVER_INTERNAL;
        return -1;
    }
    if (!ok) {
        *p = ACME_PROB_BAD_NONCE;
        return -1;
    }
    return 0;
}

static const char *
nonce_detail(enum acme_prob p)
{
    return p == ACME_PROB_BAD_NONCE ? "nonce unknown, used or expired"
                                    : "store error";
}

int
acme_req_nonce_record(struct acme_req *r)
{
    enum acme_prob p = ACME_PROB_NONE;

    if (r->nonce_pending && record_pending(r, &p) != 0) {
        acme_reply_problem(r, p, nonce_detail(p));
        return -1;
    }
    return 0;
}

/*
 * settle_nonce records the use of a deferred nonce the handler did not
 * commit (it failed before writing, wrote nothing, or its transaction
 * rolled back). A nonce found used replaces the handler's answer with
 * badNonce: the request is refused as a replay, as it would have been up
 * front, and nothing it did was written under that nonce.
 */
static void
settle_nonce(struct acme_req *r)
{
    enum acme_prob p = ACME_PROB_NONE;

    if (record_pending(r, &p) != 0) {
        reply_reset(r);
        acme_reply_problem(r, p, nonce_detail(p));
    }
}

static int
h_directory(struct acme_req *r)
{
    struct acme_srv *srv = r->srv;
    char u[6][ACME_MAX_URL + 32];
    json_t *meta = json_object(), *ids = json_array(), *d;

    acme_url(srv, u[0], sizeof(u[0]), "/new-nonce");
    acme_url(srv, u[1], sizeof(u[1]), "/new-account");
    acme_url(srv, u[2], sizeof(u[2]), "/new-order");
    acme_url(srv, u[3], sizeof(u[3]), "/revoke-cert");
    acme_url(srv, u[4], sizeof(u[4]), "/key-change");
    acme_url(srv, u[5], sizeof(u[5]), "/renewal-info");
    for (size_t i = 0; i < srv->num_caa_ids; i++) {
        json_array_append_new(ids, json_string(srv->caa_ids[i]));
    }
    if (srv->terms_of_service != NULL) {
        json_object_set_new(meta, "termsOfService",
                            json_string(srv->terms_of_service));
    }
    if (srv->website != NULL) {
        json_object_set_new(meta, "website", json_string(srv->website));
    }
    json_object_set_new(meta, "caaIdentities", ids);
    json_object_set_new(meta, "externalAccountRequired",
                        json_boolean(srv->eab_required));
    d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "newNonce", u[0],
                  "newAccount", u[1], "newOrder", u[2], "revokeCert", u[3],
                  "keyChange", u[4], "renewalInfo", u[5], "meta", meta);
    return acme_reply_json(r, 200, d);
}

static int
h_new_nonce(struct acme_req *r)
{
    /* RFC 8555 7.2: HEAD answers 200, GET 204; never cached. */
    r->resp->status = strcmp(r->http->method, "HEAD") == 0 ? 200 : 204;
    acme_header(r, "Cache-Control", "no-store");
    return 0;
}

/* reply_method refuses the method of |r| on a resource that accepts
 * |allow| (RFC 9110 15.5.6: a 405 says which methods in Allow). */
static int
reply_method(struct acme_req *r, const char *allow, const char *detail)
{
    acme_header(r, "Allow", allow);
    return acme_reply_problem(r, ACME_PROB_METHOD, detail);
}

/* The resources that only take POST (and POST-as-GET, RFC 8555 6.3). */
enum post_res {
    RES_NONE,
    RES_NEW_ACCOUNT,
    RES_NEW_ORDER,
    RES_REVOKE,
    RES_KEY_CHANGE,
    RES_ACCOUNT,
    RES_ACCOUNT_ORDERS,
    RES_ACCOUNT_ORDERS_PAGE,
    RES_ORDER,
    RES_FINALIZE,
    RES_AUTHZ,
    RES_CHALL,
    RES_CERT,
};

/* by_id reads "<id>" (giving |alone|) or "<id><tail>" (giving |with_tail|;
 * |tail| may be NULL for none) in |s|; RES_NONE for anything else. */
static enum post_res
by_id(const char *s, const char *tail, enum post_res alone,
      enum post_res with_tail, int64_t *id)
{
    const char *slash = strchr(s, '/');
    char idbuf[24];

    if (slash == NULL) {
        return parse_id(s, id) == 0 ? alone : RES_NONE;
    }
    if (tail == NULL || strcmp(slash, tail) != 0 ||
        (size_t)(slash - s) >= sizeof(idbuf)) {
        return RES_NONE;
    }
    memcpy(idbuf, s, (size_t)(slash - s));
    idbuf[slash - s] = '\0';
    return parse_id(idbuf, id) == 0 ? with_tail : RES_NONE;
}

/* orders_page reads "/acct/<id>/orders/<before>", a later page of an
 * account's orders list (the Link rel="next" of the page before). */
static enum post_res
orders_page(const char *p, int64_t *id, int64_t *before)
{
    const char *tail = strstr(p, "/orders/");
    char idbuf[24];
    size_t n;

    if (strncmp(p, "/acct/", 6) != 0 || tail == NULL) {
        return RES_NONE;
    }
    n = (size_t)(tail - (p + 6));
    if (n == 0 || n >= sizeof(idbuf)) {
        return RES_NONE;
    }
    memcpy(idbuf, p + 6, n);
    idbuf[n] = '\0';
    return parse_id(idbuf, id) == 0 && parse_id(tail + 8, before) == 0
               ? RES_ACCOUNT_ORDERS_PAGE
               : RES_NONE;
}

/* post_resource names the POST resource at |p| (path below the base),
 * with its id in |*id| (and a second one, where it has one, in |*id2|);
 * RES_NONE if there is none. */
static enum post_res
post_resource(const char *p, int64_t *id, int64_t *id2)
{
    static const struct {
        const char *path;
        enum post_res res;
    } fixed[] = {
        {"/new-account", RES_NEW_ACCOUNT},
        {"/new-order", RES_NEW_ORDER},
        {"/revoke-cert", RES_REVOKE},
        {"/key-change", RES_KEY_CHANGE},
    };
    static const struct {
        const char *prefix, *tail;
        enum post_res alone, with_tail;
    } ided[] = {
        {"/acct/", "/orders", RES_ACCOUNT, RES_ACCOUNT_ORDERS},
        {"/order/", "/finalize", RES_ORDER, RES_FINALIZE},
        {"/authz/", NULL, RES_AUTHZ, RES_NONE},
        {"/chall/", NULL, RES_CHALL, RES_NONE},
    };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (strcmp(p, fixed[i].path) == 0) {
            return fixed[i].res;
        }
    }
    if (orders_page(p, id, id2) == RES_ACCOUNT_ORDERS_PAGE) {
        return RES_ACCOUNT_ORDERS_PAGE;
    }
    for (size_t i = 0; i < sizeof(ided) / sizeof(ided[0]); i++) {
        size_t n = strlen(ided[i].prefix);

        if (strncmp(p, ided[i].prefix, n) == 0) {
            return by_id(p + n, ided[i].tail, ided[i].alone, ided[i].with_tail,
                         id);
        }
    }
    /* The certificate's own id is checked by its handler. */
    return strncmp(p, "/cert/", 6) == 0 ? RES_CERT : RES_NONE;
}

/* route decides which handler serves |r| and runs it. */
static int
route(struct acme_req *r)
{
    const char *m = r->http->method, *p = r->path;
    int is_get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    enum post_res res;
    int64_t id = 0, id2 = 0;

    if (strcmp(p, "/directory") == 0) {
        return is_get ? h_directory(r)
                      : reply_method(r, "GET, HEAD", "use GET");
    }
    if (strcmp(p, "/new-nonce") == 0) {
        return is_get ? h_new_nonce(r)
                      : reply_method(r, "GET, HEAD", "use HEAD or GET");
    }
    if (strncmp(p, "/renewal-info/", 14) == 0) {
        return is_get ? acme_h_renewal_info(r, p + 14)
                      : reply_method(r, "GET, HEAD", "use GET");
    }
    res = post_resource(p, &id, &id2);
    if (res == RES_NONE) {
        return acme_reply_problem(r, ACME_PROB_NOT_FOUND, "no such resource");
    }
    if (strcmp(m, "POST") != 0) {
        /* Every other resource is read with POST-as-GET (6.3). */
        return reply_method(r, "POST",
                            is_get ? "use POST-as-GET" : "method not allowed");
    }
    switch (res) {
    case RES_NEW_ACCOUNT:
        return acme_h_new_account(r);
    case RES_NEW_ORDER:
        return acme_h_new_order(r);
    case RES_REVOKE:
        return acme_h_revoke(r);
    case RES_KEY_CHANGE:
        return acme_h_key_change(r);
    case RES_ACCOUNT:
        return acme_h_account(r, id, 0);
    case RES_ACCOUNT_ORDERS:
        return acme_h_account(r, id, 1);
    case RES_ACCOUNT_ORDERS_PAGE:
        return acme_h_account_orders(r, id, id2);
    case RES_ORDER:
        return acme_h_order(r, id);
    case RES_FINALIZE:
        return acme_h_finalize(r, id);
    case RES_AUTHZ:
        return acme_h_authz(r, id);
    case RES_CHALL:
        return acme_h_challenge(r, id);
    case RES_CERT:
        return acme_h_cert(r, p + 6);
    case RES_NONE:
        break;
    }
    return acme_reply_problem(r, ACME_PROB_NOT_FOUND, "no such resource");
}

/* reply_headers adds what every ACME answer carries, error answers
 * included (RFC 8555 6.5 and 7.1): a fresh nonce (a badNonce retry needs
 * it) and the directory link. Returns 0. */
static int
reply_headers(struct acme_req *r)
{
    struct catena_err err = {0};
    char nonce[ACME_MAX_NONCE], link[ACME_MAX_URL + 32];
    char hdr[ACME_MAX_URL + 48];

    if (acme_nonce_new(&r->srv->nonce_key, r->srv->nonce_lifetime, nonce,
                       &err) == CATENA_OK) {
        acme_header(r, "Replay-Nonce", nonce);
    } else {
        CATENA_ERROR("acme: nonce: %s", err.msg);
    }
    acme_url(r->srv, link, sizeof(link), "/directory");
    snprintf(hdr, sizeof(hdr), "<%s>;rel=\"index\"", link);
    acme_header(r, "Link", hdr);
    return 0;
}

/* acme_dispatch is the catena_http_handler for everything under base_path. */
int acme_dispatch(void *ctx, const struct catena_http_request *req,
                  struct catena_http_response *resp);

int
acme_dispatch(void *ctx, const struct catena_http_request *req,
              struct catena_http_response *resp)
{
    struct acme_srv *srv = ctx;
    struct acme_req r;
    struct catena_err err = {0};
    size_t bl = strlen(srv->base_path);

    memset(&r, 0, sizeof(r));
    r.srv = srv;
    r.http = req;
    r.resp = resp;
    r.now = acme_now();
    if (req->over_cap) {
        /* The listener dropped the body (and wants a 413): nothing to
         * read from the store. */
        acme_reply_problem(&r, ACME_PROB_TOO_LARGE,
                           "the request body is too large");
        return reply_headers(&r);
    }
    r.store = acme_srv_store(srv, &err);
    if (r.store == NULL) {
        CATENA_ERROR("acme: store: %s", err.msg);
        acme_chall_wait_free(req->resumed);
        acme_reply_problem(&r, ACME_PROB_SERVER_INTERNAL, "store unavailable");
        return reply_headers(&r);
    }
    /* One snapshot for the request's reads until its first write (see
     * store.h): a request reads about eight times. */
    catena_store_read_begin(r.store);
    if (strncmp(req->path, srv->base_path, bl) != 0 ||
        strlen(req->path) > ACME_MAX_URL) {
        acme_reply_problem(&r, ACME_PROB_NOT_FOUND, "no such resource");
    } else {
        r.path = req->path + bl;
        if (req->resumed != NULL) {
            acme_h_challenge_resumed(&r, req->resumed);
        } else {
            route(&r);
        }
        if (r.nonce_pending) {
            settle_nonce(&r);
        }
    }
    catena_store_read_end(r.store);
    acme_jws_clear(&r.jws);
    acme_account_clear(&r.acct);
    EVP_PKEY_free(r.jwk_key);
    if (r.parked) {
        /* Answered when the listener calls again (req->resumed). */
        return CATENA_HTTP_PARKED;
    }
    return reply_headers(&r);
}
