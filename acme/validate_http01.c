/*
 * validate_http01.c - http-01 (RFC 8555 8.3) with libcurl.
 *
 * We follow redirects ourselves, one request at a time, so that every hop
 * is checked before we connect: at most 10 redirects, only http or https,
 * only to the allowed ports (80, 443 and the configured challenge ports),
 * and every name resolved through the configured resolver (pinned into
 * curl with CURLOPT_RESOLVE), never through the system. Bodies are capped
 * by the write callback; no proxy is ever used. libcurl 7.84+ makes its
 * implicit global initialisation in curl_easy_init thread-safe, which the
 * worker pool relies on.
 *
 * A worker keeps one easy handle (opts->curl) rather than making and
 * tearing one down per validation, with its internal multi handle and
 * wake-up socket pair. Nothing of one validation may serve another: the
 * handle is reset first, connections are never reused nor kept, TLS
 * sessions are not cached, and our address pins are "+" entries that
 * expire from its DNS cache (each hop pins its own host before it
 * connects, so an old pin is never what a hop uses).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "catena/caa.h"
#include "catena/config.h"
#include "validate.h"

#define MAX_REDIRECTS 10
/* A key authorization is under 200 bytes; anything near this is wrong. */
#define MAX_BODY 8192
#define MAX_URL 2048
#define CONNECT_MS 5000L

struct body {
    char buf[MAX_BODY + 1];
    size_t len;
    int too_big;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct body *b = ud;
    size_t n = size * nmemb;

    if (n > MAX_BODY - b->len) {
        b->too_big = 1;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    return n;
}

static int
port_allowed(const struct acme_validation_opts *opts, long port)
{
    return port == 80 || port == 443 ||
           (opts->http_port > 0 && port == opts->http_port) ||
           (opts->tlsalpn_port > 0 && port == opts->tlsalpn_port);
}

/* url_parts pulls scheme, host (brackets kept for IPv6) and port. */
static enum catena_rc
url_parts(const char *url, char *scheme, size_t sl, char *host, size_t hl,
          long *port)
{
    CURLU *u = curl_url();
    char *s = NULL, *h = NULL, *p = NULL;
    enum catena_rc rc = CATENA_ERR_INVALID;
    int64_t v;

    if (u == NULL) {
        return CATENA_ERR_NOMEM;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        strlen(s) >= sl || strlen(h) >= hl ||
        catena_parse_int64(p, 1, 65535, &v) != CATENA_OK) {
        goto out;
    }
    memcpy(scheme, s, strlen(s) + 1);
    memcpy(host, h, strlen(h) + 1);
    *port = (long)v;
    rc = CATENA_OK;
out:
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

/*
 * ip_literal says whether a URL host is an IPv4 address or a bracketed
 * IPv6 address (1), a name (0), or a bracket that holds no address (-1).
 */
static int
ip_literal(const char *host)
{
    unsigned char bin[16];
    char v6[INET6_ADDRSTRLEN];
    size_t hl = strlen(host);

    if (host[0] != '[') {
        return inet_pton(AF_INET, host, bin) == 1;
    }
    if (hl < 3 || host[hl - 1] != ']' || hl - 2 >= sizeof(v6)) {
        return -1;
    }
    memcpy(v6, host + 1, hl - 2);
    v6[hl - 2] = '\0';
    return inet_pton(AF_INET6, v6, bin) == 1 ? 1 : -1;
}

/*
 * pin_host makes |curl| connect to |host|:|port| at our own resolution of
 * it: IP literals as they are, names through opts->resolver.
 */
static enum catena_rc
pin_host(const struct acme_validation_opts *opts, CURL *curl, const char *host,
         long port, long long deadline, struct curl_slist **pins,
         enum acme_validation_problem *problem, struct catena_err *err)
{
    char **addrs = NULL;
    size_t num = 0, off;
    char line[1024];
    enum catena_rc rc;
    struct curl_slist *n;

    curl_slist_free_all(*pins);
    *pins = NULL;
    switch (ip_literal(host)) {
    case 1:
        return CATENA_OK; /* curl connects to it without resolving */
    case -1:
        return acme_validate_fail(problem, ACME_VPROB_CONNECTION,
                                  CATENA_ERR_INVALID, err,
                                  "bad address in URL");
    default:
        break;
    }
    rc = acme_validate_addrs(opts, "dns", host, deadline, &addrs, &num,
                             problem, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    off = (size_t)snprintf(line, sizeof(line), "+%s:%ld:", host, port);
    for (size_t i = 0; i < num && off < sizeof(line); i++) {
        int v6 = strchr(addrs[i], ':') != NULL;
        off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s%s%s",
                                i > 0 ? "," : "", v6 ? "[" : "", addrs[i],
                                v6 ? "]" : "");
    }
    catena_dns_strings_free(addrs, num);
    if (off >= sizeof(line)) {
        return acme_validate_fail(problem, ACME_VPROB_DNS, CATENA_ERR_DNS,
                                  err, "too many addresses for %s", host);
    }
    n = curl_slist_append(NULL, line);
    if (n == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "curl list");
    }
    *pins = n;
    return curl_easy_setopt(curl, CURLOPT_RESOLVE, n) == CURLE_OK
               ? CATENA_OK
               : catena_err_set(err, CATENA_ERR_INTERNAL, "CURLOPT_RESOLVE");
}

static enum acme_validation_problem
curl_problem(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return ACME_VPROB_DNS;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
        return ACME_VPROB_TLS;
    default:
        return ACME_VPROB_CONNECTION;
    }
}

/* setup_easy sets the options every hop shares. */
static int
setup_easy(CURL *c, const char *url, struct body *b, long long deadline)
{
    long left = (long)acme_validate_left_ms(deadline);

    return curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") !=
               CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                            left < CONNECT_MS ? left : CONNECT_MS) !=
               CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)MAX_BODY) !=
               CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_WRITEDATA, b) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_USERAGENT, "catena-acme-validator") !=
               CURLE_OK ||
           /* RFC 8555 8.3 lets a redirect reach HTTPS; the certificate is
            * not what is being validated, so it is not verified. */
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
}

enum catena_rc
acme_validate_http01(const struct acme_validation_opts *opts,
                     const char *id_type, const char *id_value,
                     const char *token, const char *keyauth,
                     long long deadline,
                     enum acme_validation_problem *problem,
                     struct catena_err *err)
{
    CURL *curl = NULL;
    struct curl_slist *pins = NULL;
    struct body *b = NULL;
    char url[MAX_URL], scheme[16], host[300];
    long port, code = 0;
    int is_v6 = strcmp(id_type, "ip") == 0 && strchr(id_value, ':') != NULL;
    enum catena_rc rc;
    size_t kl = strlen(keyauth);

    if ((size_t)snprintf(url, sizeof(url),
                         "http://%s%s%s:%d/.well-known/acme-challenge/%s",
                         is_v6 ? "[" : "", id_value, is_v6 ? "]" : "",
                         opts->http_port > 0 ? opts->http_port : 80,
                         token) >= sizeof(url)) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "identifier too long");
    }
    b = calloc(1, sizeof(*b));
    if (opts->curl != NULL) {
        curl = opts->curl;
        curl_easy_reset(curl);
    } else {
        curl = curl_easy_init();
    }
    if (b == NULL || curl == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "http-01 setup");
        goto out;
    }
    for (int hop = 0;; hop++) {
        CURLcode cc;
        char *loc = NULL;
        if (url_parts(url, scheme, sizeof(scheme), host, sizeof(host),
                      &port) != CATENA_OK) {
            rc = acme_validate_fail(problem, ACME_VPROB_CONNECTION,
                                    CATENA_ERR_INVALID, err,
                                    "invalid URL on redirect hop %d", hop);
            goto out;
        }
        if ((strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
            !port_allowed(opts, port)) {
            rc = acme_validate_fail(problem, ACME_VPROB_CONNECTION,
                                    CATENA_ERR_UNAUTHORIZED, err,
                                    "redirect to a disallowed scheme or "
                                    "port (%.16s, %ld)",
                                    scheme, port);
            goto out;
        }
        rc = pin_host(opts, curl, host, port, deadline, &pins, problem, err);
        if (rc != CATENA_OK) {
            goto out;
        }
        b->len = 0;
        b->too_big = 0;
        if (setup_easy(curl, url, b, deadline)) {
            rc = catena_err_set(err, CATENA_ERR_INTERNAL, "curl options");
            goto out;
        }
        cc = curl_easy_perform(curl);
        if (cc != CURLE_OK) {
            if (b->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
                rc = acme_validate_fail(problem,
                                        ACME_VPROB_INCORRECT_RESPONSE,
                                        CATENA_ERR_TOO_BIG, err,
                                        "response from %.200s is larger "
                                        "than %d bytes",
                                        host, MAX_BODY);
            } else {
                rc = acme_validate_fail(problem, curl_problem(cc),
                                        CATENA_ERR_IO, err,
                                        "fetching %.200s: %s", url,
                                        curl_easy_strerror(cc));
            }
            goto out;
        }
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        if (code < 300 || code >= 400) {
            break;
        }
        if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &loc) !=
                CURLE_OK ||
            loc == NULL || strlen(loc) >= sizeof(url)) {
            rc = acme_validate_fail(problem, ACME_VPROB_CONNECTION,
                                    CATENA_ERR_INVALID, err,
                                    "HTTP %ld without a usable Location",
                                    code);
            goto out;
        }
        if (hop >= MAX_REDIRECTS) {
            rc = acme_validate_fail(problem, ACME_VPROB_CONNECTION,
                                    CATENA_ERR_UNAUTHORIZED, err,
                                    "more than %d redirects", MAX_REDIRECTS);
            goto out;
        }
        memmove(url, loc, strlen(loc) + 1);
    }
    if (code != 200) {
        rc = acme_validate_fail(problem, ACME_VPROB_UNAUTHORIZED,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "HTTP %ld from %.200s", code, url);
        goto out;
    }
    /* RFC 8555 8.3: trailing whitespace after the key authorization. */
    while (b->len > 0 && (b->buf[b->len - 1] == ' ' ||
                          b->buf[b->len - 1] == '\t' ||
                          b->buf[b->len - 1] == '\r' ||
                          b->buf[b->len - 1] == '\n')) {
        b->len--;
    }
    if (b->len != kl || memcmp(b->buf, keyauth, kl) != 0) {
        rc = acme_validate_fail(problem, ACME_VPROB_INCORRECT_RESPONSE,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "the response from %.200s is not the key "
                                "authorization",
                                url);
        goto out;
    }
    rc = CATENA_OK;
out:
    if (curl != NULL && curl == opts->curl) {
        /* Kept for the next validation: drop our list from it first. */
        curl_easy_setopt(curl, CURLOPT_RESOLVE, NULL);
    } else {
        curl_easy_cleanup(curl);
    }
    curl_slist_free_all(pins);
    free(b);
    return rc;
}
