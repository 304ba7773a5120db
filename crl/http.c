/*
 * http.c - HTTP publication: GET /crl/<issuer>/<shard>.crl (DER),
 * GET /ca/<issuer>.der (AIA caIssuers), and the OCSP responder at
 * POST /ocsp and GET /ocsp/<base64 request> (RFC 6960 appendix A,
 * RFC 5019 5 and 6).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/http.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

/* Base64 of OCSP_MAX_REQUEST bytes, plus slack for percent-encoding. */
#define OCSP_MAX_GET_PATH (3 * ((OCSP_MAX_REQUEST + 2) / 3 * 4))

void
crl_http_date(int64_t t, char buf[40])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0) {
        buf[0] = '\0';
    }
}

/* parse_http_date reads an IMF-fixdate; -1 if malformed. */
static int64_t
parse_http_date(const char *s)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strlen(s) > 64) {
        return -1;
    }
    end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0') {
        return -1;
    }
    return (int64_t)timegm(&tm);
}

static int
plain(struct catena_http_response *resp, int status, const char *text)
{
    return catena_http_response_body(resp, status, "text/plain", text,
                                     strlen(text));
}

/* not_allowed answers 405 with the methods the resource takes (RFC 9110
 * 15.5.6: a 405 MUST carry Allow). */
static int
not_allowed(struct catena_http_response *resp, const char *allow)
{
    if (catena_http_response_header(resp, "Allow", allow) != 0) {
        return -1;
    }
    return plain(resp, 405, "method not allowed\n");
}

/* name_ok accepts configured issuer names only: [A-Za-z0-9_-]. */
static int
name_ok(const char *s, size_t len)
{
    if (len == 0 || len >= CRL_MAX_ISSUER_NAME) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_') {
            return 0;
        }
    }
    return 1;
}

static int
set_cache_headers(struct catena_http_response *resp, int64_t max_age,
                  const char *extra)
{
    char v[96];

    if (max_age < 0) {
        max_age = 0;
    }
    snprintf(v, sizeof(v), "max-age=%lld, public, no-transform%s",
             (long long)max_age, extra);
    return catena_http_response_header(resp, "Cache-Control", v);
}

/* not_modified applies If-None-Match, then If-Modified-Since
 * (RFC 9110 13.2.2). */
static int
not_modified(const struct catena_http_request *req, const char *etag,
             int64_t last_modified)
{
    const char *inm = catena_http_request_header(req, "If-None-Match");
    const char *ims = catena_http_request_header(req, "If-Modified-Since");

    if (inm != NULL) {
        return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
    }
    if (ims != NULL) {
        int64_t t = parse_http_date(ims);

        return t >= 0 && last_modified <= t;
    }
    return 0;
}

static int
crl_handler(void *ctx, const struct catena_http_request *req,
            struct catena_http_response *resp)
{
    struct crl_service *svc = ctx;
    const char *p = req->path + strlen("/crl/");
    const char *slash = strchr(p, '/');
    const char *dot;
    char num[8];
    int64_t shard = -1;
    struct pub_shard *ps = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc = 0;

    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        return not_allowed(resp, "GET, HEAD");
    }
    if (slash == NULL || !name_ok(p, (size_t)(slash - p)) ||
        (dot = strchr(slash + 1, '.')) == NULL || strcmp(dot, ".crl") != 0 ||
        dot - slash - 1 <= 0 || (size_t)(dot - slash - 1) >= sizeof(num)) {
        return plain(resp, 404, "no such CRL\n");
    }
    memcpy(num, slash + 1, (size_t)(dot - slash - 1));
    num[dot - slash - 1] = '\0';
    if (catena_parse_int64(num, 0, 1023, &shard) != CATENA_OK) {
        return plain(resp, 404, "no such CRL\n");
    }
    for (size_t i = 0; i < svc->num_shards; i++) {
        if (svc->shards[i].shard == (int)shard &&
            strlen(svc->shards[i].issuer) == (size_t)(slash - p) &&
            memcmp(svc->shards[i].issuer, p, (size_t)(slash - p)) == 0) {
            ps = &svc->shards[i];
        }
    }
    if (ps == NULL) {
        return plain(resp, 404, "no such CRL\n");
    }
    pthread_rwlock_rdlock(&svc->pub_lock);
    if (ps->cur.der == NULL) {
        rc = plain(resp, 503, "not published yet\n");
        goto out;
    }
    /* Caches may keep it until nextUpdate, but no longer than a refresh
     * interval, so a revocation reaches them promptly. */
    if (catena_http_response_header(resp, "ETag", ps->etag) != 0 ||
        catena_http_response_header(resp, "Last-Modified",
                                    ps->last_modified) != 0 ||
        set_cache_headers(resp,
                          ps->cur.next_update - now < svc->st.refresh
                              ? ps->cur.next_update - now
                              : svc->st.refresh,
                          "") != 0) {
        rc = -1;
        goto out;
    }
    if (not_modified(req, ps->etag, ps->cur.this_update)) {
        resp->status = 304;
        goto out;
    }
    rc = catena_http_response_body(resp, 200, "application/pkix-crl",
                                   ps->cur.der, ps->cur.der_len);
out:
    pthread_rwlock_unlock(&svc->pub_lock);
    return rc;
}

static int
ca_handler(void *ctx, const struct catena_http_request *req,
           struct catena_http_response *resp)
{
    struct crl_service *svc = ctx;
    const char *p = req->path + strlen("/ca/");
    const char *dot = strrchr(p, '.');
    char name[CRL_MAX_ISSUER_NAME];
    const uint8_t *der;
    size_t len = 0;

    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        return not_allowed(resp, "GET, HEAD");
    }
    if (dot == NULL || strcmp(dot, ".der") != 0 ||
        !name_ok(p, (size_t)(dot - p))) {
        return plain(resp, 404, "no such CA\n");
    }
    memcpy(name, p, (size_t)(dot - p));
    name[dot - p] = '\0';
    der = catena_ca_issuer_cert(svc->ca, name, &len);
    if (der == NULL) {
        return plain(resp, 404, "no such CA\n");
    }
    if (set_cache_headers(resp, 86400, "") != 0) {
        return -1;
    }
    return catena_http_response_body(resp, 200, "application/pkix-cert", der,
                                     len);
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* decode_get_path turns "<base64, maybe percent-encoded>" into DER.
 * Returns the length, or -1 for anything malformed or over the cap. */
static int
decode_get_path(const char *in, uint8_t *out, size_t out_cap)
{
    char b64[OCSP_MAX_GET_PATH + 4];
    size_t n = 0, len = strlen(in);
    EVP_ENCODE_CTX *ctx = NULL;
    int outl = 0, finl = 0, ok;

    if (len == 0 || len > OCSP_MAX_GET_PATH) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char c = in[i];

        if (c == '%') {
            int hi, lo;

            if (i + 2 >= len + 0 || (hi = hexval(in[i + 1])) < 0 ||
                (lo = hexval(in[i + 2])) < 0) {
                return -1;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (!isalnum((unsigned char)c) && c != '+' && c != '/' && c != '=') {
            return -1;
        }
        b64[n++] = c;
    }
    /* Decoded size is at most 3/4 of the input. */
    if (n % 4 != 0 || n / 4 * 3 > out_cap) {
        return -1;
    }
    ctx = EVP_ENCODE_CTX_new();
    if (ctx == NULL) {
        return -1;
    }
    EVP_DecodeInit(ctx);
    ok = EVP_DecodeUpdate(ctx, out, &outl, (const unsigned char *)b64,
                          (int)n) >= 0 &&
         EVP_DecodeFinal(ctx, out + outl, &finl) == 1;
    EVP_ENCODE_CTX_free(ctx);
    return ok ? outl + finl : -1;
}

static int
ocsp_handler(void *ctx, const struct catena_http_request *req,
             struct catena_http_response *resp)
{
    struct crl_service *svc = ctx;
    uint8_t buf[OCSP_MAX_REQUEST + 4];
    const uint8_t *der = NULL;
    size_t der_len = 0;
    struct catena_store *store = NULL;
    struct ocsp_answer ans;
    struct catena_err err;
    int64_t now = (int64_t)time(NULL);
    int rc = -1;

    memset(&ans, 0, sizeof(ans));
    if (strcmp(req->method, "POST") == 0) {
        if (strcmp(req->path, "/ocsp") != 0 &&
            strcmp(req->path, "/ocsp/") != 0) {
            return plain(resp, 404, "not found\n");
        }
        der = req->body;
        der_len = req->body_len;
    } else if (strcmp(req->method, "GET") == 0 ||
               strcmp(req->method, "HEAD") == 0) {
        const char *p = req->path + strlen("/ocsp");
        int n;

        /* Some clients leave a slash or two in front of the base64. */
        while (*p == '/') {
            p++;
        }
        n = decode_get_path(p, buf, OCSP_MAX_REQUEST);
        if (n > 0) {
            der = buf;
            der_len = (size_t)n;
        }
    } else {
        return not_allowed(resp, "GET, HEAD, POST");
    }
    if (catena_http_request_header(req, "Content-Length") != NULL &&
        der_len > OCSP_MAX_REQUEST) {
        der = NULL; /* over the cap: answered as malformed */
    }
    if (crl_pool_get(svc, &store, &err) != CATENA_OK) {
        CATENA_ERROR("OCSP: %s", err.msg);
        return -1;
    }
    if (crl_ocsp_respond(svc->ocsp, store, der, der_len, &ans, &err) !=
        CATENA_OK) {
        CATENA_ERROR("OCSP: %s", err.msg);
        goto out;
    }
    if (ans.successful) {
        char date[40];
        unsigned char md[SHA256_DIGEST_LENGTH];
        char etag[48];

        /* RFC 5019 6.2: cacheable until nextUpdate. */
        SHA256(ans.der, ans.der_len, md);
        snprintf(etag, sizeof(etag),
                 "\"%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x\"",
                 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7],
                 md[8], md[9], md[10], md[11]);
        crl_http_date(ans.this_update, date);
        if (catena_http_response_header(resp, "Last-Modified", date) != 0) {
            goto out;
        }
        crl_http_date(ans.next_update, date);
        if (catena_http_response_header(resp, "Expires", date) != 0 ||
            catena_http_response_header(resp, "ETag", etag) != 0 ||
            set_cache_headers(resp, ans.next_update - now,
                              ", must-revalidate") != 0) {
            goto out;
        }
    }
    rc = catena_http_response_body(resp, 200, "application/ocsp-response",
                                   ans.der, ans.der_len);
out:
    free(ans.der);
    crl_pool_put(svc, store);
    return rc;
}

enum catena_rc
crl_http_routes(struct crl_service *svc, struct catena_http_server *http,
                struct catena_err *err)
{
    enum catena_rc rc;

    if (svc->st.crl_enabled &&
        ((rc = catena_http_route(http, NULL, "/crl/", crl_handler, svc,
                                 err)) != CATENA_OK ||
         (rc = catena_http_route(http, NULL, "/ca/", ca_handler, svc,
                                 err)) != CATENA_OK)) {
        return rc;
    }
    if (svc->ocsp != NULL &&
        (rc = catena_http_route(http, NULL, "/ocsp", ocsp_handler, svc,
                                err)) != CATENA_OK) {
        return rc;
    }
    return CATENA_OK;
}
