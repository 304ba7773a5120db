/*
 * acme_http.c - HTTP/1.1 over TLS for the ACME load driver (see
 * acme_http.h). RFC 9112 for the message syntax: a response body is
 * delimited by the request method and status, then Transfer-Encoding:
 * chunked, then Content-Length, else by the end of the connection.
 *
 * Costs that mattered: each request is one SSL_write of head and body
 * together, and the socket is blocking, so a request costs a write and a
 * read or two with no poll(); read-ahead lets OpenSSL take a TLS record
 * and what follows it in one read() instead of header, then body.
 */
#include "acme_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Interim (1xx) responses skipped before the final one. */
#define MAX_INTERIM 4
/* Trailer field lines after the last chunk. */
#define MAX_TRAILERS 32

/* The parts of an https URL a request needs; path and authority point
 * into the URL. */
struct url {
    char host[256];
    char port[6];
    const char *authority;
    size_t authority_len;
    const char *path;
};

/* One request in progress. */
struct call {
    struct ahttp *h;
    struct ahttp_resp *r;
    enum ahttp_method m;
    char *err;
    size_t err_len;
};

/* What a response head says about its body and the connection. */
struct head {
    long status;
    int http10;
    int chunked;
    int has_length;
    size_t length;
    int close;
    int keep_alive;
};

__attribute__((format(printf, 2, 3))) static int
fail(struct call *k, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(k->err, k->err_len, fmt, ap);
    va_end(ap);
    return -1;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* tls_fail describes why the SSL call that returned |ret| failed. */
static int
tls_fail(struct call *k, const char *what, int ret)
{
    int saved = errno;
    int e = SSL_get_error(k->h->ssl, ret);
    unsigned long code = ERR_peek_error();
    long verify = SSL_get_verify_result(k->h->ssl);
    char buf[256];

    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        /* A blocking socket says this only when SO_RCVTIMEO/SNDTIMEO ran
         * out. */
        return fail(k, "%s: no progress in %d s", what, AHTTP_TIMEOUT_S);
    }
    if (verify != X509_V_OK) {
        return fail(k, "%s: certificate verify failed: %s", what,
                    X509_verify_cert_error_string(verify));
    }
    if (code != 0) {
        ERR_error_string_n(code, buf, sizeof(buf));
        return fail(k, "%s: %s", what, buf);
    }
    if (e == SSL_ERROR_SYSCALL && saved != 0) {
        return fail(k, "%s: %s", what, strerror(saved));
    }
    return fail(k, "%s: connection closed", what);
}

static int
is_tchar(unsigned char ch)
{
    return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch));
}

/* ---- connection ----------------------------------------------------- */

SSL_CTX *
ahttp_ctx_new(const char *cafile, char *err, size_t err_len)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char buf[256];

    if (ctx == NULL ||
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
        ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
        ERR_clear_error();
        snprintf(err, err_len, "cannot load CA file %s: %s", cafile, buf);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

void
ahttp_init(struct ahttp *h, SSL_CTX *tls)
{
    memset(h, 0, offsetof(struct ahttp, in));
    h->tls = tls;
    h->fd = -1;
}

/* conn_close drops the connection; |notify| sends a TLS close_notify
 * first, for a connection still in good order. */
static void
conn_close(struct ahttp *h, int notify)
{
    if (h->ssl != NULL) {
        if (notify) {
            SSL_shutdown(h->ssl);
        }
        SSL_free(h->ssl);
        h->ssl = NULL;
    }
    if (h->fd >= 0) {
        close(h->fd);
        h->fd = -1;
    }
    h->host[0] = '\0';
    h->port[0] = '\0';
    h->off = 0;
    h->len = 0;
    ERR_clear_error();
}

void
ahttp_close(struct ahttp *h)
{
    conn_close(h, 1);
    free(h->req);
    h->req = NULL;
    h->req_cap = 0;
}

void
ahttp_resp_free(struct ahttp_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    r->body_cap = 0;
}

/* url_parse splits an https URL; the URLs come from the server, so each
 * byte is checked before it can reach a request line. */
static int
url_parse(struct call *k, const char *url, struct url *u)
{
    size_t len = strlen(url);
    const char *a;
    const char *end;
    const char *hs;
    const char *he;
    const char *colon;
    long port = 443;

    if (len > AHTTP_URL_MAX) {
        return fail(k, "URL over %d bytes", AHTTP_URL_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
            return fail(k, "URL with a space or control character");
        }
    }
    if (strncasecmp(url, "https://", 8) != 0) {
        return fail(k, "not an https URL");
    }
    a = url + 8;
    end = a + strcspn(a, "/?#");
    if (*end != '\0' && *end != '/') {
        return fail(k, "URL without a path");
    }
    if (memchr(a, '@', (size_t)(end - a)) != NULL) {
        return fail(k, "URL with user information");
    }
    if (*a == '[') {
        hs = a + 1;
        he = memchr(hs, ']', (size_t)(end - hs));
        if (he == NULL) {
            return fail(k, "URL with a malformed host");
        }
        colon = he + 1;
        if (colon < end && *colon != ':') {
            return fail(k, "URL with a malformed host");
        }
    } else {
        hs = a;
        he = memchr(a, ':', (size_t)(end - a));
        he = he != NULL ? he : end;
        colon = he;
    }
    if (he == hs || (size_t)(he - hs) >= sizeof(u->host)) {
        return fail(k, "URL with a malformed host");
    }
    if (colon < end) {
        const char *p = colon + 1;

        if (end - p < 1 || end - p > 5) {
            return fail(k, "URL with a malformed port");
        }
        port = 0;
        for (; p < end; p++) {
            if (!isdigit((unsigned char)*p)) {
                return fail(k, "URL with a malformed port");
            }
            port = port * 10 + (*p - '0');
        }
        if (port < 1 || port > 65535) {
            return fail(k, "URL with a malformed port");
        }
    }
    memcpy(u->host, hs, (size_t)(he - hs));
    u->host[he - hs] = '\0';
    snprintf(u->port, sizeof(u->port), "%ld", port);
    u->authority = a;
    u->authority_len = (size_t)(end - a);
    u->path = *end != '\0' ? end : "/";
    return 0;
}

/* conn_open connects to the URL's origin and completes a TLS handshake
 * that verifies the server's certificate for the URL's host. On failure
 * the caller closes what was opened. */
static int
conn_open(struct call *k, const struct url *u)
{
    struct ahttp *h = k->h;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    struct timeval tv = {.tv_sec = AHTTP_TIMEOUT_S};
    unsigned char ip[16];
    int one = 1;
    int saved = 0;
    int rc;

    rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc != 0) {
        return fail(k, "cannot resolve %s: %s", u->host, gai_strerror(rc));
    }
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                        ai->ai_protocol);

        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* The timeouts bound connect() (Linux applies SO_SNDTIMEO to it),
         * the handshake and every later read and write. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
            connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            h->fd = fd;
            break;
        }
        saved = errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (h->fd < 0) {
        return fail(k, "cannot connect to %s port %s: %s", u->host, u->port,
                    strerror(saved));
    }
    h->num_connects++;
    /* A request is one write that waits for its answer: sending it at
     * once is always right. */
    if (setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        return fail(k, "TCP_NODELAY: %s", strerror(errno));
    }
    h->ssl = SSL_new(h->tls);
    if (h->ssl == NULL || SSL_set_fd(h->ssl, h->fd) != 1) {
        return fail(k, "TLS setup failed");
    }
    if (inet_pton(AF_INET, u->host, ip) == 1 ||
        inet_pton(AF_INET6, u->host, ip) == 1) {
        rc = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(h->ssl), u->host);
    } else {
        rc = SSL_set_tlsext_host_name(h->ssl, u->host) == 1 &&
             SSL_set1_host(h->ssl, u->host) == 1;
    }
    if (rc != 1) {
        return fail(k, "TLS setup failed for host %s", u->host);
    }
    rc = SSL_connect(h->ssl);
    if (rc != 1) {
        return tls_fail(k, "TLS handshake", rc);
    }
    memcpy(h->host, u->host, sizeof(h->host));
    memcpy(h->port, u->port, sizeof(h->port));
    return 0;
}

/* conn_fill reads what comes next onto in[len..), first moving the unread
 * bytes to the front. Returns 1 when bytes arrived; 0 at the end of the
 * stream, with eof_clean set when the server ended TLS properly; -1 on an
 * error or past the deadline. */
static int
conn_fill(struct call *k)
{
    struct ahttp *h = k->h;
    unsigned long code;
    int n;

    if (h->off > 0) {
        memmove(h->in, h->in + h->off, h->len - h->off);
        h->len -= h->off;
        h->off = 0;
    }
    if (h->len == sizeof(h->in)) {
        /* The callers cap what they wait for below the buffer size. */
        return fail(k, "read buffer full");
    }
    n = SSL_read(h->ssl, h->in + h->len, (int)(sizeof(h->in) - h->len));
    if (n > 0) {
        h->len += (size_t)n;
        h->got += (size_t)n;
        if (now_s() > h->deadline) {
            return fail(k, "response not complete in %d s", AHTTP_TIMEOUT_S);
        }
        return 1;
    }
    switch (SSL_get_error(h->ssl, n)) {
    case SSL_ERROR_ZERO_RETURN:
        h->eof_clean = 1;
        return 0;
    case SSL_ERROR_SSL:
        code = ERR_peek_error();
        if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
            ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            h->eof_clean = 0;
            return 0;
        }
        break;
    default:
        break;
    }
    return tls_fail(k, "read", n);
}

/* send_request writes the request head and body as one buffer with one
 * SSL_write: one TLS record, one write(). */
static int
send_request(struct call *k, const struct url *u, const char *body)
{
    static const char *const names[] = {"GET", "HEAD", "POST"};
    struct ahttp *h = k->h;
    size_t body_len = k->m == AHTTP_POST && body != NULL ? strlen(body) : 0;
    /* 256 covers the fixed text and a 20-digit length. */
    size_t need = strlen(u->path) + u->authority_len + body_len + 256;
    int n;
    int w;

    if (need > INT_MAX) {
        return fail(k, "request too large");
    }
    if (need > h->req_cap) {
        char *nr = realloc(h->req, need);

        if (nr == NULL) {
            return fail(k, "out of memory");
        }
        h->req = nr;
        h->req_cap = need;
    }
    if (k->m == AHTTP_POST) {
        n = snprintf(h->req, need,
                     "POST %s HTTP/1.1\r\nHost: %.*s\r\n"
                     "User-Agent: acme_load\r\nAccept: */*\r\n"
                     "Content-Type: application/jose+json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     u->path, (int)u->authority_len, u->authority, body_len);
    } else {
        n = snprintf(h->req, need,
                     "%s %s HTTP/1.1\r\nHost: %.*s\r\n"
                     "User-Agent: acme_load\r\nAccept: */*\r\n\r\n",
                     names[k->m], u->path, (int)u->authority_len, u->authority);
    }
    if (n < 0 || (size_t)n + body_len >= need) {
        return fail(k, "request too large");
    }
    if (body_len > 0) {
        memcpy(h->req + n, body, body_len);
    }
    w = SSL_write(h->ssl, h->req, n + (int)body_len);
    if (w <= 0) {
        return tls_fail(k, "write", w);
    }
    return 0;
}

/* ---- response ------------------------------------------------------- */

/* What read_until found. */
enum until {
    UNTIL_FOUND = 0,
    UNTIL_ERROR = -1,
    UNTIL_TOO_LONG = 1,
    UNTIL_CLOSED = 2
};

/* read_until waits until the unread bytes hold |delim| (|dlen| bytes)
 * ending within |max| bytes, and sets *len to the bytes before it. */
static enum until
read_until(struct call *k, const char *delim, size_t dlen, size_t max,
           size_t *len)
{
    struct ahttp *h = k->h;
    size_t from = 0;

    for (;;) {
        const char *s = h->in + h->off;
        size_t avail = h->len - h->off;
        const char *e =
            avail >= dlen ? memmem(s + from, avail - from, delim, dlen) : NULL;
        int rc;

        if (e != NULL && (size_t)(e - s) + dlen <= max) {
            *len = (size_t)(e - s);
            return UNTIL_FOUND;
        }
        if (e != NULL || avail >= max) {
            return UNTIL_TOO_LONG;
        }
        /* Search again from where a delimiter split by a read starts. */
        from = avail >= dlen - 1 ? avail - (dlen - 1) : 0;
        rc = conn_fill(k);
        if (rc < 0) {
            return UNTIL_ERROR;
        }
        if (rc == 0) {
            return UNTIL_CLOSED;
        }
    }
}

/* read_head waits until in[off..] holds a whole response head and sets
 * *head_len to its length, blank line included. */
static int
read_head(struct call *k, size_t *head_len)
{
    size_t len;

    switch (read_until(k, "\r\n\r\n", 4, AHTTP_HEAD_MAX, &len)) {
    case UNTIL_FOUND:
        *head_len = len + 4;
        return 0;
    case UNTIL_TOO_LONG:
        return fail(k, "response head over %d bytes", AHTTP_HEAD_MAX);
    case UNTIL_CLOSED:
        return fail(k, k->h->got == 0
                           ? "connection closed before the response"
                           : "connection closed in the response head");
    default:
        return -1;
    }
}

/* keep_value copies a header value into |dst| of |cap| bytes. */
static int
keep_value(struct call *k, const char *name, char *dst, size_t cap,
           const char *v, size_t len)
{
    if (len >= cap) {
        return fail(k, "%s header over %zu bytes", name, cap - 1);
    }
    memcpy(dst, v, len);
    dst[len] = '\0';
    return 0;
}

static int
name_is(const char *name, size_t len, const char *want)
{
    return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

/* conn_tokens notes "close" and "keep-alive" in a Connection value, a
 * comma-separated list of tokens. */
static void
conn_tokens(struct head *hd, const char *v, size_t len)
{
    while (len > 0) {
        const char *comma = memchr(v, ',', len);
        size_t n = comma != NULL ? (size_t)(comma - v) : len;
        const char *t = v;
        size_t t_len = n;

        while (t_len > 0 && (*t == ' ' || *t == '\t')) {
            t++;
            t_len--;
        }
        while (t_len > 0 && (t[t_len - 1] == ' ' || t[t_len - 1] == '\t')) {
            t_len--;
        }
        if (name_is(t, t_len, "close")) {
            hd->close = 1;
        } else if (name_is(t, t_len, "keep-alive")) {
            hd->keep_alive = 1;
        }
        if (comma == NULL) {
            break;
        }
        v += n + 1;
        len -= n + 1;
    }
}

/* head_field takes one header field, value trimmed. Content-Length must
 * be digits only and Transfer-Encoding only "chunked": the alternatives
 * are how responses get misread (RFC 9112 section 6.3). */
static int
head_field(struct call *k, struct head *hd, const char *name, size_t name_len,
           const char *v, size_t len)
{
    struct ahttp_resp *r = k->r;

    if (name_is(name, name_len, "Replay-Nonce")) {
        return keep_value(k, "Replay-Nonce", r->nonce, sizeof(r->nonce), v,
                          len);
    }
    if (name_is(name, name_len, "Location")) {
        return keep_value(k, "Location", r->location, sizeof(r->location), v,
                          len);
    }
    if (name_is(name, name_len, "Retry-After")) {
        r->has_retry_after = 1;
        return keep_value(k, "Retry-After", r->retry_after,
                          sizeof(r->retry_after), v, len);
    }
    if (name_is(name, name_len, "Content-Length")) {
        size_t n = 0;

        if (len == 0) {
            return fail(k, "malformed Content-Length");
        }
        for (size_t i = 0; i < len; i++) {
            if (!isdigit((unsigned char)v[i])) {
                return fail(k, "malformed Content-Length");
            }
            n = n * 10 + (size_t)(v[i] - '0');
            if (n > AHTTP_BODY_MAX) {
                return fail(k, "response body over %zu bytes", AHTTP_BODY_MAX);
            }
        }
        if (hd->has_length && hd->length != n) {
            return fail(k, "conflicting Content-Length fields");
        }
        hd->has_length = 1;
        hd->length = n;
        return 0;
    }
    if (name_is(name, name_len, "Transfer-Encoding")) {
        if (hd->chunked || !name_is(v, len, "chunked")) {
            return fail(k, "unsupported Transfer-Encoding");
        }
        hd->chunked = 1;
        return 0;
    }
    if (name_is(name, name_len, "Connection")) {
        conn_tokens(hd, v, len);
    }
    return 0;
}

/* parse_head reads the status line and header fields of the head at |s|
 * (|len| bytes, ending in CRLF CRLF) into |hd| and the kept values of the
 * response, forgetting those of an earlier (interim) head. */
static int
parse_head(struct call *k, const char *s, size_t len, struct head *hd)
{
    struct ahttp_resp *r = k->r;
    const char *p = s;
    const char *end = s + len;
    int first = 1;

    memset(hd, 0, sizeof(*hd));
    r->nonce[0] = '\0';
    r->location[0] = '\0';
    r->retry_after[0] = '\0';
    r->has_retry_after = 0;
    while (p < end) {
        /* Every line ends in CRLF: the head ends in CRLF CRLF. */
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        size_t n = (size_t)(eol - p);
        const char *colon;
        const char *v;
        size_t v_len;

        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)p[i];

            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                return fail(k, "control character in the response head");
            }
        }
        if (first) {
            if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
                (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
                !isdigit((unsigned char)p[9]) ||
                !isdigit((unsigned char)p[10]) ||
                !isdigit((unsigned char)p[11]) || (n > 12 && p[12] != ' ') ||
                p[9] < '1' || p[9] > '5') {
                return fail(k, "malformed status line");
            }
            hd->http10 = p[7] == '0';
            hd->status =
                (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
            first = 0;
            p = eol + 2;
            continue;
        }
        if (n == 0) {
            break;
        }
        if (p[0] == ' ' || p[0] == '\t') {
            return fail(k, "obsolete line folding in the response head");
        }
        colon = memchr(p, ':', n);
        if (colon == NULL || colon == p) {
            return fail(k, "malformed header field");
        }
        for (const char *q = p; q < colon; q++) {
            if (!is_tchar((unsigned char)*q)) {
                return fail(k, "malformed header field name");
            }
        }
        v = colon + 1;
        v_len = (size_t)(eol - v);
        while (v_len > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            v_len--;
        }
        while (v_len > 0 && (v[v_len - 1] == ' ' || v[v_len - 1] == '\t')) {
            v_len--;
        }
        if (head_field(k, hd, p, (size_t)(colon - p), v, v_len) != 0) {
            return -1;
        }
        p = eol + 2;
    }
    if (hd->chunked && hd->has_length) {
        return fail(k, "both Content-Length and Transfer-Encoding");
    }
    return 0;
}

static int
body_put(struct call *k, const char *p, size_t n)
{
    struct ahttp_resp *r = k->r;

    if (n > AHTTP_BODY_MAX - r->body_len) {
        return fail(k, "response body over %zu bytes", AHTTP_BODY_MAX);
    }
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 16384;
        char *nb;

        while (cap < r->body_len + n + 1) {
            cap *= 2;
        }
        nb = realloc(r->body, cap);
        if (nb == NULL) {
            return fail(k, "out of memory");
        }
        r->body = nb;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return 0;
}

/* read_exact adds the next |need| bytes of the stream to the body. */
static int
read_exact(struct call *k, size_t need)
{
    struct ahttp *h = k->h;

    while (need > 0) {
        size_t avail = h->len - h->off;
        size_t take = avail < need ? avail : need;
        int rc;

        if (take > 0) {
            if (body_put(k, h->in + h->off, take) != 0) {
                return -1;
            }
            h->off += take;
            need -= take;
            continue;
        }
        rc = conn_fill(k);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            return fail(k, "connection closed in the response body");
        }
    }
    return 0;
}

/* read_line takes the next CRLF-terminated line of a chunked body; *line
 * stays valid until the next read. */
static int
read_line(struct call *k, const char **line, size_t *len)
{
    struct ahttp *h = k->h;

    switch (read_until(k, "\r\n", 2, AHTTP_LINE_MAX + 2, len)) {
    case UNTIL_FOUND:
        *line = h->in + h->off;
        h->off += *len + 2;
        return 0;
    case UNTIL_TOO_LONG:
        return fail(k, "chunk-size or trailer line over %d bytes",
                    AHTTP_LINE_MAX);
    case UNTIL_CLOSED:
        return fail(k, "connection closed in a chunked body");
    default:
        return -1;
    }
}

/* read_chunked reads a chunked body (RFC 9112 section 7.1). Extensions
 * and trailer fields are read and ignored. */
static int
read_chunked(struct call *k)
{
    for (;;) {
        const char *line;
        size_t len;
        size_t size = 0;
        size_t i = 0;
        int d;

        if (read_line(k, &line, &len) != 0) {
            return -1;
        }
        for (;
             i < len && (d = OPENSSL_hexchar2int((unsigned char)line[i])) >= 0;
             i++) {
            size = size * 16 + (size_t)d;
            if (size > AHTTP_BODY_MAX - k->r->body_len) {
                return fail(k, "response body over %zu bytes", AHTTP_BODY_MAX);
            }
        }
        while (i > 0 && i < len && (line[i] == ' ' || line[i] == '\t')) {
            i++;
        }
        if (i == 0 || (i < len && line[i] != ';')) {
            return fail(k, "malformed chunk size");
        }
        if (size == 0) {
            break;
        }
        if (read_exact(k, size) != 0 || read_line(k, &line, &len) != 0) {
            return -1;
        }
        if (len != 0) {
            return fail(k, "chunk data not followed by CRLF");
        }
    }
    for (int n = 0; n <= MAX_TRAILERS; n++) {
        const char *line;
        size_t len;

        if (read_line(k, &line, &len) != 0) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
    }
    return fail(k, "more than %d trailer fields", MAX_TRAILERS);
}

/* read_to_close takes the rest of the stream as the body: a response
 * without a length. Only a TLS close_notify shows it is complete. */
static int
read_to_close(struct call *k)
{
    struct ahttp *h = k->h;

    for (;;) {
        int rc;

        if (body_put(k, h->in + h->off, h->len - h->off) != 0) {
            return -1;
        }
        h->off = h->len;
        rc = conn_fill(k);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            return h->eof_clean
                       ? 0
                       : fail(k, "response body cut short (no close_notify)");
        }
    }
}

/* request_once sends the request and reads its response on the open
 * connection, opening one first if there is none. */
static int
request_once(struct call *k, const struct url *u, const char *body)
{
    struct ahttp *h = k->h;
    struct ahttp_resp *r = k->r;
    struct head hd;
    size_t head_len = 0;
    int rc;

    h->got = 0;
    r->status = 0;
    r->body_len = 0;
    if (r->body != NULL) {
        r->body[0] = '\0';
    }
    if (h->ssl != NULL &&
        (strcmp(h->host, u->host) != 0 || strcmp(h->port, u->port) != 0)) {
        conn_close(h, 1);
    }
    if (h->ssl == NULL && conn_open(k, u) != 0) {
        return -1;
    }
    if (send_request(k, u, body) != 0) {
        return -1;
    }
    for (int interim = 0;; interim++) {
        if (read_head(k, &head_len) != 0 ||
            parse_head(k, h->in + h->off, head_len, &hd) != 0) {
            return -1;
        }
        h->off += head_len;
        if (hd.status >= 200) {
            break;
        }
        if (hd.status == 101) {
            return fail(k, "unexpected 101 Switching Protocols");
        }
        if (interim == MAX_INTERIM) {
            return fail(k, "more than %d interim responses", MAX_INTERIM);
        }
    }
    if (k->m == AHTTP_HEAD || hd.status == 204 || hd.status == 304) {
        rc = 0;
    } else if (hd.chunked) {
        rc = read_chunked(k);
    } else if (hd.has_length) {
        rc = read_exact(k, hd.length);
    } else {
        rc = read_to_close(k);
        hd.close = 1;
    }
    if (rc != 0) {
        return -1;
    }
    if (h->off != h->len && !hd.close) {
        /* Nothing was asked for: these bytes mean the body was misread. */
        return fail(k, "bytes after the response");
    }
    r->status = hd.status;
    if (hd.close || (hd.http10 && !hd.keep_alive)) {
        conn_close(h, 0);
    }
    return 0;
}

int
ahttp_request(struct ahttp *h, struct ahttp_resp *r, enum ahttp_method m,
              const char *url, const char *body, char *err, size_t err_len)
{
    struct call k = {.h = h, .r = r, .m = m, .err = err, .err_len = err_len};
    struct url u;
    char msg[512];

    h->deadline = now_s() + AHTTP_TIMEOUT_S;
    if (url_parse(&k, url, &u) == 0) {
        for (int attempt = 0;; attempt++) {
            if (request_once(&k, &u, body) == 0) {
                return 0;
            }
            conn_close(h, 0);
            /* Send again only a request whose answer never started: the
             * server most likely closed the idle connection as it
             * arrived. */
            if (attempt == 1 || h->got > 0 || now_s() > h->deadline) {
                break;
            }
        }
    }
    /* At most 256 bytes of the URL, the server's choice, so that the
     * reason after it fits. */
    snprintf(msg, sizeof(msg), "%s", err);
    snprintf(err, err_len, "%.256s%s: %s", url, strlen(url) > 256 ? "..." : "",
             msg);
    return -1;
}
