/*
 * acme_http.h - the HTTP/1.1-over-TLS client of the ACME load driver
 * (acme_load.c): one persistent connection per client thread, one write
 * per request, blocking reads. It replaced libcurl, which with its poll()
 * loop cost about as much CPU per order as the rest of the driver.
 *
 * Everything it reads comes from the server under test and is parsed as
 * untrusted input: the response head, chunk-size lines and the body are
 * capped, and anything malformed ends the request with an error.
 */
#ifndef ACME_HTTP_H
#define ACME_HTTP_H

#include <stddef.h>

#include <openssl/ssl.h>

/* Largest response head (status line and header fields with the blank
 * line); also the size of the read buffer. */
#define AHTTP_HEAD_MAX 16384
/* Largest chunk-size line (with extensions) and trailer field line. */
#define AHTTP_LINE_MAX 1024
/* Largest response body kept; certificate chains are a few KiB. */
#define AHTTP_BODY_MAX ((size_t)1024 * 1024)
/* Longest URL taken (they come from the server: directory, Location). */
#define AHTTP_URL_MAX 4096
/* Header values kept (Replay-Nonce, Location). */
#define AHTTP_VALUE_MAX 2048
/* Seconds one request may take, a reconnection included. */
#define AHTTP_TIMEOUT_S 15

enum ahttp_method { AHTTP_GET, AHTTP_HEAD, AHTTP_POST };

/* The last response; reused for every request. body is NUL-terminated when
 * not NULL, and may be NULL when no response had a body yet. */
struct ahttp_resp {
    long status;
    char *body;
    size_t body_len;
    size_t body_cap;
    char nonce[AHTTP_VALUE_MAX];
    char location[AHTTP_VALUE_MAX];
    char retry_after[64];
    int has_retry_after;
};

/* One keep-alive HTTPS connection and the bytes read from it but not yet
 * used: in[off..len). Owned by one thread. */
struct ahttp {
    SSL_CTX *tls;
    SSL *ssl;
    int fd;
    char host[256];
    char port[6];
    /* Bytes of the current response received so far: a request whose
     * response never started may be sent again on a new connection. */
    size_t got;
    int eof_clean;
    double deadline;
    char *req;
    size_t req_cap;
    /* Connections opened, for tests. */
    unsigned long num_connects;
    size_t off;
    size_t len;
    char in[AHTTP_HEAD_MAX];
};

/*
 * ahttp_ctx_new returns a TLS client context, owned by the caller (free it
 * with SSL_CTX_free), that verifies servers against the certificates in
 * |cafile| and accepts TLS 1.2 and later. It may be shared by any number
 * of connections in any threads. NULL with a message in |err| on failure.
 */
SSL_CTX *ahttp_ctx_new(const char *cafile, char *err, size_t err_len);

/* ahttp_init prepares |h| to connect with |tls| (not owned; it must
 * outlive |h|). No connection is opened until the first request. */
void ahttp_init(struct ahttp *h, SSL_CTX *tls);

/*
 * ahttp_request sends one request for the https URL |url| (with |body| as
 * an application/jose+json body for AHTTP_POST, else NULL) and reads the
 * response into |r|. The connection is opened on first use, kept alive
 * between requests, reopened when the URL names another origin, and
 * closed after a response that asks for it. When the request fails before
 * any byte of the response arrived (typically: the server closed the idle
 * connection) it is sent once more on a new connection. The server's
 * certificate must chain to the context's CA file and name the URL's host.
 * Returns 0 when a response (any status) arrived; -1 with a message in
 * |err| on a transport error, a timeout or a malformed response, and then
 * the connection is closed and |r| holds nothing useful. OpenSSL writes
 * with write(): the caller ignores SIGPIPE, or a server that went away
 * ends the process.
 */
int ahttp_request(struct ahttp *h, struct ahttp_resp *r, enum ahttp_method m,
                  const char *url, const char *body, char *err, size_t err_len);

/* ahttp_close ends the connection, if any, and frees what |h| holds; |h|
 * can be used again. */
void ahttp_close(struct ahttp *h);

/* ahttp_resp_free frees the body |r| holds. */
void ahttp_resp_free(struct ahttp_resp *r);

#endif
