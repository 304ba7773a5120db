/*
 * test_acme_http.c - the load driver's HTTP client (acme_http.c) against
 * a real TLS server on 127.0.0.1 that answers each request with scripted
 * bytes, written in as many TLS records as a test asks for. Covers the
 * three ways a body ends (length, chunks, no body), keep-alive and its
 * end, the one retry when a kept connection was closed, certificate and
 * host verification, the request bytes, and a table of malformed or
 * oversized responses that must each fail with their own message.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "acme_http.h"
#include "../common/test_tmp.h"

enum after { KEEP, CLOSE_NOTIFY, CLOSE_ABRUPT };

/* One scripted answer: bytes sent for one request (len 0: strlen). */
struct step {
    const char *data;
    size_t len;
    enum after after;
};

/* Three server identities: trusted for localhost and 127.0.0.1, trusted
 * for another name, and one for localhost that the CA file lacks. */
enum ident { ID_LOCALHOST, ID_OTHER, ID_UNTRUSTED, ID__MAX };

static struct {
    EVP_PKEY *key[ID__MAX];
    X509 *cert[ID__MAX];
    char cafile[256];
    SSL_CTX *client_ctx;
} fx;

static struct {
    SSL_CTX *ctx;
    int fd;
    int port;
    pthread_t th;
    const struct step *steps;
    size_t num_steps;
    size_t frag;
    atomic_int accepts;
    atomic_int requests;
    char last[8192];
} srv;

/* The client under test: one connection, its last response and error. */
static struct {
    struct ahttp h;
    struct ahttp_resp r;
    char err[512];
} cl;

/* ---- fixture: certificates ------------------------------------------ */

static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *san)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509_EXTENSION *ext;
    X509V3_CTX v3;

    assert_non_null(x);
    assert_non_null(name);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1,
                                                -1, 0),
                     1);
    assert_int_equal(X509_set_subject_name(x, name), 1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                              "critical,CA:TRUE");
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    X509_NAME_free(name);
    return x;
}

static int
fixture_setup(void **state)
{
    static const char *const cn[ID__MAX] = {"localhost", "other.example.com",
                                            "localhost"};
    static const char *const san[ID__MAX] = {"DNS:localhost,IP:127.0.0.1",
                                             "DNS:other.example.com",
                                             "DNS:localhost,IP:127.0.0.1"};
    char err[256];
    FILE *f;
    int fd;

    (void)state;
    for (int i = 0; i < ID__MAX; i++) {
        fx.key[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        assert_non_null(fx.key[i]);
        fx.cert[i] = make_cert(fx.key[i], cn[i], san[i]);
    }
    assert_non_null(test_tmp_template(fx.cafile, sizeof(fx.cafile),
                                      "test_acme_http."));
    fd = mkstemp(fx.cafile);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, fx.cert[ID_LOCALHOST]), 1);
    assert_int_equal(PEM_write_X509(f, fx.cert[ID_OTHER]), 1);
    assert_int_equal(fclose(f), 0);
    fx.client_ctx = ahttp_ctx_new(fx.cafile, err, sizeof(err));
    assert_non_null(fx.client_ctx);
    return 0;
}

static int
fixture_teardown(void **state)
{
    (void)state;
    SSL_CTX_free(fx.client_ctx);
    ahttp_resp_free(&cl.r);
    unlink(fx.cafile);
    for (int i = 0; i < ID__MAX; i++) {
        X509_free(fx.cert[i]);
        EVP_PKEY_free(fx.key[i]);
    }
    return 0;
}

/* ---- fixture: scripted TLS server ----------------------------------- */

/* read_request reads one request head and its Content-Length body into
 * srv.last; -1 when the client closed or sent too much. */
static int
read_request(SSL *ssl)
{
    size_t len = 0;
    size_t want = 0;
    const char *head_end = NULL;

    for (;;) {
        int n;

        if (head_end != NULL && len >= want) {
            srv.last[len] = '\0';
            return len == want ? 0 : -1;
        }
        if (len == sizeof(srv.last) - 1) {
            return -1;
        }
        n = SSL_read(ssl, srv.last + len, (int)(sizeof(srv.last) - 1 - len));
        if (n <= 0) {
            return -1;
        }
        len += (size_t)n;
        srv.last[len] = '\0';
        if (head_end == NULL &&
            (head_end = strstr(srv.last, "\r\n\r\n")) != NULL) {
            const char *field = strstr(srv.last, "\r\nContent-Length: ");

            want = (size_t)(head_end + 4 - srv.last);
            if (field != NULL && field < head_end) {
                want += strtoul(field + 18, NULL, 10);
            }
        }
    }
}

static void
send_step(SSL *ssl, const struct step *s)
{
    size_t len = s->len ? s->len : strlen(s->data);

    for (size_t off = 0; off < len;) {
        size_t n = srv.frag && srv.frag < len - off ? srv.frag : len - off;

        if (SSL_write(ssl, s->data + off, (int)n) <= 0) {
            return;
        }
        off += n;
    }
}

static void *
server_main(void *arg)
{
    struct timeval tv = {.tv_sec = 10};

    (void)arg;
    for (;;) {
        int fd = accept(srv.fd, NULL, NULL);
        SSL *ssl;

        if (fd < 0) {
            return NULL;
        }
        atomic_fetch_add(&srv.accepts, 1);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        ssl = SSL_new(srv.ctx);
        if (ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
            while (read_request(ssl) == 0) {
                size_t i = (size_t)atomic_fetch_add(&srv.requests, 1);

                if (i >= srv.num_steps) {
                    break;
                }
                send_step(ssl, &srv.steps[i]);
                if (srv.steps[i].after == CLOSE_NOTIFY) {
                    SSL_shutdown(ssl);
                }
                if (srv.steps[i].after != KEEP) {
                    break;
                }
            }
        }
        SSL_free(ssl);
        ERR_clear_error();
        close(fd);
    }
}

static void
srv_start(enum ident id, const struct step *steps, size_t num_steps,
          size_t frag)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);

    srv.ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(srv.ctx);
    assert_int_equal(SSL_CTX_use_certificate(srv.ctx, fx.cert[id]), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(srv.ctx, fx.key[id]), 1);
    srv.steps = steps;
    srv.num_steps = num_steps;
    srv.frag = frag;
    atomic_store(&srv.accepts, 0);
    atomic_store(&srv.requests, 0);
    srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(srv.fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(srv.fd, 16), 0);
    assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&sa, &sl), 0);
    srv.port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&srv.th, NULL, server_main, NULL), 0);
}

/* srv_stop ends the server; the client must have closed its connection
 * (ahttp_close) so that the server is back in accept(). */
static void
srv_stop(void)
{
    shutdown(srv.fd, SHUT_RDWR);
    pthread_join(srv.th, NULL);
    close(srv.fd);
    SSL_CTX_free(srv.ctx);
}

static const char *
url(const char *host, const char *path)
{
    static char buf[256];

    snprintf(buf, sizeof(buf), "https://%s:%d%s", host, srv.port, path);
    return buf;
}

/* start starts the server and readies the client. */
static void
start(enum ident id, const struct step *steps, size_t num_steps, size_t frag)
{
    srv_start(id, steps, num_steps, frag);
    ahttp_init(&cl.h, fx.client_ctx);
}

/* stop closes the client's connection, then stops the server. */
static void
stop(void)
{
    ahttp_close(&cl.h);
    srv_stop();
}

static int
req(enum ahttp_method m, const char *u, const char *body)
{
    return ahttp_request(&cl.h, &cl.r, m, u, body, cl.err, sizeof(cl.err));
}

/* ---- tests ---------------------------------------------------------- */

#define OK_A "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
#define OK_B "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"

/* Content-Length bodies over one kept connection, every byte its own TLS
 * record; the kept header values are those of the latest response. */
static void
test_length_keepalive(void **state)
{
    static const struct step steps[] = {
        {"HTTP/1.1 201 Created\r\nreplay-nonce:  n1 \r\n"
         "Location: https://localhost/acct/1\r\nRetry-After: 3\r\n"
         "Content-Length: 5\r\n\r\nhello",
         0, KEEP},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, KEEP},
    };

    (void)state;
    start(ID_LOCALHOST, steps, 2, 1);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/d"), NULL), 0);
    assert_int_equal(cl.r.status, 201);
    assert_int_equal(cl.r.body_len, 5);
    assert_string_equal(cl.r.body, "hello");
    assert_string_equal(cl.r.nonce, "n1");
    assert_string_equal(cl.r.location, "https://localhost/acct/1");
    assert_true(cl.r.has_retry_after);
    assert_string_equal(cl.r.retry_after, "3");
    assert_int_equal(req(AHTTP_GET, url("localhost", "/e"), NULL), 0);
    assert_int_equal(cl.r.status, 200);
    assert_int_equal(cl.r.body_len, 0);
    assert_string_equal(cl.r.body, "");
    assert_string_equal(cl.r.nonce, "");
    assert_string_equal(cl.r.location, "");
    assert_false(cl.r.has_retry_after);
    assert_int_equal(cl.h.num_connects, 1);
    stop();
    assert_int_equal(atomic_load(&srv.accepts), 1);
}

/* A chunked body over 2 KiB as Go's net/http sends one, with a chunk
 * extension, upper-case and zero-padded sizes and a trailer field, one
 * byte per TLS record; then a 204 on the same connection. */
static void
test_chunked(void **state)
{
    char body[3001];
    char *resp;
    size_t n = 0;
    struct step steps[2] = {
        {NULL, 0, KEEP},
        {"HTTP/1.1 204 No Content\r\n\r\n", 0, KEEP},
    };

    (void)state;
    for (size_t i = 0; i < 3000; i++) {
        body[i] = (char)('a' + i % 26);
    }
    body[3000] = '\0';
    resp = malloc(4096);
    assert_non_null(resp);
    n += (size_t)snprintf(resp, 4096,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/"
                          "pem-certificate-chain\r\nTransfer-Encoding: "
                          "chunked\r\n\r\nA00;ext=1\r\n");
    memcpy(resp + n, body, 2560);
    n += 2560;
    n += (size_t)snprintf(resp + n, 4096 - n, "\r\n001B8\r\n");
    memcpy(resp + n, body + 2560, 440);
    n += 440;
    n += (size_t)snprintf(resp + n, 4096 - n, "\r\n0\r\nX-Sum: 1\r\n\r\n");
    steps[0].data = resp;
    steps[0].len = n;
    start(ID_LOCALHOST, steps, 2, 1);
    assert_int_equal(req(AHTTP_POST, url("localhost", "/cert"), "{}"), 0);
    assert_int_equal(cl.r.status, 200);
    assert_int_equal(cl.r.body_len, 3000);
    assert_memory_equal(cl.r.body, body, 3001);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/x"), NULL), 0);
    assert_int_equal(cl.r.status, 204);
    assert_int_equal(cl.r.body_len, 0);
    assert_int_equal(cl.h.num_connects, 1);
    stop();
    free(resp);
}

/* HEAD and 304 answers have no body whatever their Content-Length says: a
 * body read there would swallow the next response. */
static void
test_no_body(void **state)
{
    static const struct step steps[] = {
        {"HTTP/1.1 200 OK\r\nReplay-Nonce: n2\r\nContent-Length: 1234\r\n\r\n",
         0, KEEP},
        {"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", 0, KEEP},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, KEEP},
    };

    (void)state;
    start(ID_LOCALHOST, steps, 3, 0);
    assert_int_equal(req(AHTTP_HEAD, url("localhost", "/nonce"), NULL), 0);
    assert_int_equal(cl.r.status, 200);
    assert_int_equal(cl.r.body_len, 0);
    assert_string_equal(cl.r.nonce, "n2");
    assert_int_equal(req(AHTTP_GET, url("localhost", "/a"), NULL), 0);
    assert_int_equal(cl.r.status, 304);
    assert_int_equal(cl.r.body_len, 0);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/b"), NULL), 0);
    assert_int_equal(cl.r.status, 200);
    assert_string_equal(cl.r.body, "ok");
    assert_int_equal(cl.h.num_connects, 1);
    stop();
}

/* A 1xx before the answer is skipped, and its header values with it. */
static void
test_interim(void **state)
{
    static const struct step steps[] = {
        {"HTTP/1.1 100 Continue\r\nReplay-Nonce: old\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
         0, KEEP},
    };

    (void)state;
    start(ID_LOCALHOST, steps, 1, 0);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), 0);
    assert_int_equal(cl.r.status, 200);
    assert_string_equal(cl.r.body, "ok");
    assert_string_equal(cl.r.nonce, "");
    stop();
}

/* "Connection: close" (among other tokens, any case) and HTTP/1.0 without
 * keep-alive end the connection although the server keeps it open; an
 * HTTP/1.0 keep-alive answer keeps it. */
static void
test_connection_close(void **state)
{
    static const struct step steps[] = {
        {"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n"
         "Content-Length: 1\r\n\r\na",
         0, KEEP},
        {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb", 0, KEEP},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n"
         "\r\nc",
         0, KEEP},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nd", 0, KEEP},
    };

    (void)state;
    start(ID_LOCALHOST, steps, 4, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), 0);
        assert_int_equal(cl.r.body[0], 'a' + i);
    }
    assert_int_equal(cl.h.num_connects, 3);
    stop();
    assert_int_equal(atomic_load(&srv.accepts), 3);
}

/* The server closes a kept connection after answering (with and without
 * close_notify): the next request goes once more, on a new connection. */
static void
test_idle_close_retry(void **state)
{
    static const struct step notify[] = {{OK_A, 0, CLOSE_NOTIFY},
                                         {OK_B, 0, KEEP}};
    static const struct step abrupt[] = {{OK_A, 0, CLOSE_ABRUPT},
                                         {OK_B, 0, KEEP}};
    const struct step *const runs[] = {notify, abrupt};

    (void)state;
    for (int i = 0; i < 2; i++) {
        start(ID_LOCALHOST, runs[i], 2, 0);
        assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), 0);
        assert_string_equal(cl.r.body, "a");
        /* Let the close arrive before the next request is written. */
        usleep(50000);
        assert_int_equal(req(AHTTP_POST, url("localhost", "/"), "{}"), 0);
        assert_string_equal(cl.r.body, "b");
        assert_int_equal(cl.h.num_connects, 2);
        stop();
        assert_int_equal(atomic_load(&srv.requests), 2);
    }
}

/* A response that started and broke off is not sent again. */
static void
test_no_retry_after_start(void **state)
{
    static const struct step steps[] = {
        {"HTTP/1.1 200 OK\r\nContent-Le", 0, CLOSE_NOTIFY},
        {OK_B, 0, KEEP},
    };

    (void)state;
    start(ID_LOCALHOST, steps, 2, 0);
    assert_int_equal(req(AHTTP_POST, url("localhost", "/"), "{}"), -1);
    assert_non_null(strstr(cl.err, "connection closed in the response head"));
    assert_null(cl.h.ssl);
    stop();
    assert_int_equal(atomic_load(&srv.requests), 1);
    assert_int_equal(atomic_load(&srv.accepts), 1);
}

/* Without a length the body runs to a TLS close_notify. */
static void
test_read_to_close(void **state)
{
    static const struct step steps[] = {
        {"HTTP/1.1 200 OK\r\n\r\nabc", 0, CLOSE_NOTIFY}};

    (void)state;
    start(ID_LOCALHOST, steps, 1, 0);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), 0);
    assert_string_equal(cl.r.body, "abc");
    assert_null(cl.h.ssl);
    stop();
}

/* A chunked body of exactly the limit is taken. */
static void
test_body_at_limit(void **state)
{
    static const char pre[] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n";
    static const char post[] = "\r\n0\r\n\r\n";
    size_t n = sizeof(pre) - 1 + AHTTP_BODY_MAX + sizeof(post) - 1;
    char *resp = malloc(n);
    struct step steps[1] = {{NULL, 0, KEEP}};

    (void)state;
    assert_non_null(resp);
    memcpy(resp, pre, sizeof(pre) - 1);
    memset(resp + sizeof(pre) - 1, 'x', AHTTP_BODY_MAX);
    memcpy(resp + n - (sizeof(post) - 1), post, sizeof(post) - 1);
    steps[0].data = resp;
    steps[0].len = n;
    start(ID_LOCALHOST, steps, 1, 0);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), 0);
    assert_int_equal(cl.r.body_len, AHTTP_BODY_MAX);
    stop();
    free(resp);
}

/* A head of exactly the limit, with a nonce of the longest kept length,
 * is taken. */
static void
test_head_at_limit(void **state)
{
    char *resp = malloc(AHTTP_HEAD_MAX);
    struct step steps[1] = {{resp, AHTTP_HEAD_MAX, KEEP}};
    size_t n;

    (void)state;
    assert_non_null(resp);
    n = (size_t)snprintf(resp, AHTTP_HEAD_MAX,
                         "HTTP/1.1 200 OK\r\nReplay-Nonce: ");
    memset(resp + n, 'n', AHTTP_VALUE_MAX - 1);
    n += AHTTP_VALUE_MAX - 1;
    n += (size_t)snprintf(resp + n, AHTTP_HEAD_MAX - n, "\r\nX-Pad: ");
    memset(resp + n, 'p', AHTTP_HEAD_MAX - n - 23);
    memcpy(resp + AHTTP_HEAD_MAX - 23, "\r\nContent-Length: 0\r\n\r\n", 23);
    start(ID_LOCALHOST, steps, 1, 0);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), 0);
    assert_int_equal(strlen(cl.r.nonce), AHTTP_VALUE_MAX - 1);
    stop();
    free(resp);
}

/* The exact bytes of each kind of request. */
static void
test_request_bytes(void **state)
{
    static const struct step steps[] = {
        {OK_A, 0, KEEP},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", 0, KEEP},
        {OK_A, 0, KEEP}};
    char want[512];

    (void)state;
    start(ID_LOCALHOST, steps, 3, 0);
    assert_int_equal(
        req(AHTTP_POST, url("localhost", "/acme/new-order?x=1"), "{\"a\":1}"),
        0);
    snprintf(want, sizeof(want),
             "POST /acme/new-order?x=1 HTTP/1.1\r\nHost: localhost:%d\r\n"
             "User-Agent: acme_load\r\nAccept: */*\r\n"
             "Content-Type: application/jose+json\r\nContent-Length: 7\r\n"
             "\r\n{\"a\":1}",
             srv.port);
    assert_string_equal(srv.last, want);
    assert_int_equal(req(AHTTP_HEAD, url("localhost", "/nonce"), NULL), 0);
    snprintf(want, sizeof(want),
             "HEAD /nonce HTTP/1.1\r\nHost: localhost:%d\r\n"
             "User-Agent: acme_load\r\nAccept: */*\r\n\r\n",
             srv.port);
    assert_string_equal(srv.last, want);
    snprintf(want, sizeof(want), "https://localhost:%d", srv.port);
    assert_int_equal(req(AHTTP_GET, want, NULL), 0);
    snprintf(want, sizeof(want),
             "GET / HTTP/1.1\r\nHost: localhost:%d\r\n"
             "User-Agent: acme_load\r\nAccept: */*\r\n\r\n",
             srv.port);
    assert_string_equal(srv.last, want);
    stop();
}

/* A URL naming another origin gets its own connection, verified for its
 * own host (here an IP address, checked against the IP SAN). */
static void
test_origin_change(void **state)
{
    static const struct step steps[] = {{OK_A, 0, KEEP}, {OK_B, 0, KEEP}};

    (void)state;
    start(ID_LOCALHOST, steps, 2, 0);
    assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), 0);
    assert_int_equal(req(AHTTP_GET, url("127.0.0.1", "/"), NULL), 0);
    assert_string_equal(cl.r.body, "b");
    assert_int_equal(cl.h.num_connects, 2);
    stop();
}

/* The server must chain to the CA file and name the URL's host. */
static void
test_verify(void **state)
{
    static const struct step steps[] = {{OK_A, 0, KEEP}};
    static const struct {
        enum ident id;
        const char *host;
        const char *want;
    } cases[] = {
        {ID_OTHER, "localhost", "certificate verify failed: hostname mismatch"},
        {ID_OTHER, "127.0.0.1",
         "certificate verify failed: IP address mismatch"},
        {ID_UNTRUSTED, "localhost", "certificate verify failed: self-signed"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start(cases[i].id, steps, 1, 0);
        assert_int_equal(req(AHTTP_GET, url(cases[i].host, "/"), NULL), -1);
        if (strstr(cl.err, cases[i].want) == NULL) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, cl.err, cases[i].want);
        }
        assert_int_equal(atomic_load(&srv.requests), 0);
        stop();
    }
}

/* URLs come from the server too: only well-formed https ones are used. */
static void
test_url_rejected(void **state)
{
    static const struct {
        const char *url;
        const char *want;
    } cases[] = {
        {"http://localhost/", "not an https URL"},
        {"https://user@localhost/", "user information"},
        {"https://localhost:0/", "malformed port"},
        {"https://localhost:123456/", "malformed port"},
        {"https://localhost:44a/", "malformed port"},
        {"https://local host/", "space or control"},
        {"https://localhost/a\r\nX: y", "space or control"},
        {"https:///x", "malformed host"},
        {"https://[::1/", "malformed host"},
        {"https://[::1]x/", "malformed host"},
        {"https://localhost?x", "without a path"},
    };

    (void)state;
    ahttp_init(&cl.h, fx.client_ctx);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(req(AHTTP_GET, cases[i].url, NULL), -1);
        if (strstr(cl.err, cases[i].want) == NULL ||
            strncmp(cl.err, cases[i].url, strlen(cases[i].url)) != 0) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, cl.err, cases[i].want);
        }
    }
    assert_int_equal(cl.h.num_connects, 0);
    ahttp_close(&cl.h);
}

/* A URL of the longest length is used; one byte more is refused before
 * anything is sent. */
static void
test_url_length(void **state)
{
    static const struct step steps[] = {{OK_A, 0, KEEP}};
    char *u = malloc(AHTTP_URL_MAX + 2);
    const char *path;
    int n;

    (void)state;
    assert_non_null(u);
    start(ID_LOCALHOST, steps, 1, 0);
    n = snprintf(u, AHTTP_URL_MAX + 2, "https://localhost:%d/", srv.port);
    memset(u + n, 'p', AHTTP_URL_MAX + 1 - (size_t)n);
    u[AHTTP_URL_MAX + 1] = '\0';
    assert_int_equal(req(AHTTP_GET, u, NULL), -1);
    assert_non_null(strstr(cl.err, "URL over 4096 bytes"));
    assert_int_equal(cl.h.num_connects, 0);
    u[AHTTP_URL_MAX] = '\0';
    assert_int_equal(req(AHTTP_GET, u, NULL), 0);
    assert_string_equal(cl.r.body, "a");
    /* The whole path, "/" and the padding, reached the request line. */
    path = u + n - 1;
    assert_memory_equal(srv.last, "GET ", 4);
    assert_memory_equal(srv.last + 4, path, strlen(path));
    assert_memory_equal(srv.last + 4 + strlen(path), " HTTP/1.1\r\n", 11);
    stop();
    free(u);
}

/* build returns |pre|, |pad_len| times |pad|, then |post|, in a buffer
 * the caller frees; *len is its length. */
static char *
build(const char *pre, char pad, size_t pad_len, const char *post, size_t *len)
{
    size_t a = strlen(pre);
    size_t b = strlen(post);
    char *s = malloc(a + pad_len + b);

    assert_non_null(s);
    memcpy(s, pre, a);
    memset(s + a, pad, pad_len);
    memcpy(s + a + pad_len, post, b);
    *len = a + pad_len + b;
    return s;
}

#define CHUNKED "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

/* Responses that must fail, each with its message; none is sent twice. */
static void
test_malformed(void **state)
{
    static const char nul[] =
        "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n";
    size_t head_len;
    size_t nonce_len;
    size_t line_len;
    size_t over_len;
    /* A head one byte too long; a nonce one byte too long; a chunk-size
     * line of zeros one byte too long; two chunks of half the body limit
     * and then one byte more. */
    char *head_big = build("HTTP/1.1 200 OK\r\nX-Pad: ", 'p',
                           AHTTP_HEAD_MAX - 27, "\r\n\r\n", &head_len);
    char *nonce_big =
        build("HTTP/1.1 200 OK\r\nReplay-Nonce: ", 'n', AHTTP_VALUE_MAX,
              "\r\nContent-Length: 0\r\n\r\n", &nonce_len);
    char *line_big =
        build(CHUNKED, '0', AHTTP_LINE_MAX, "1\r\na\r\n0\r\n\r\n", &line_len);
    char *over = build(CHUNKED "80000\r\n", 'x', AHTTP_BODY_MAX / 2,
                       "\r\n80000\r\n", &over_len);
    char *over2;
    char trailers[2048];
    size_t n;

    n = (size_t)snprintf(trailers, sizeof(trailers), CHUNKED "0\r\n");
    for (int i = 0; i < 40; i++) {
        n += (size_t)snprintf(trailers + n, sizeof(trailers) - n, "T: %d\r\n",
                              i);
    }
    snprintf(trailers + n, sizeof(trailers) - n, "\r\n");
    over2 = realloc(over, over_len + AHTTP_BODY_MAX / 2 + 16);
    assert_non_null(over2);
    over = over2;
    memset(over + over_len, 'x', AHTTP_BODY_MAX / 2);
    over_len += AHTTP_BODY_MAX / 2;
    memcpy(over + over_len, "\r\n1\r\nx\r\n0\r\n\r\n", 13);
    over_len += 13;

    const struct {
        struct step s;
        const char *want;
    } cases[] = {
        {{"HTTP/2 200 OK\r\n\r\n", 0, KEEP}, "malformed status line"},
        {{"HTTP/1.1 20 OK\r\n\r\n", 0, KEEP}, "malformed status line"},
        {{"HTTP/1.1 200OK\r\n\r\n", 0, KEEP}, "malformed status line"},
        {{"HTTP/1.1 700 OK\r\n\r\n", 0, KEEP}, "malformed status line"},
        {{"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", 0, KEEP},
         "malformed header field"},
        {{"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 0, KEEP},
         "malformed header field name"},
        {{"HTTP/1.1 200 OK\r\n: x\r\n\r\n", 0, KEEP}, "malformed header field"},
        {{"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
          0, KEEP},
         "obsolete line folding"},
        {{"HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 0\r\n\r\n", 0, KEEP},
         "control character"},
        {{nul, sizeof(nul) - 1, KEEP}, "control character"},
        {{"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, KEEP},
         "malformed Content-Length"},
        {{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, KEEP},
         "malformed Content-Length"},
        {{"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, KEEP},
         "malformed Content-Length"},
        {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
          0, KEEP},
         "conflicting Content-Length"},
        {{"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
          0, KEEP},
         "response body over 1048576 bytes"},
        {{"HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n", 0, KEEP},
         "response body over 1048576 bytes"},
        {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: "
          "3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
          0, KEEP},
         "both Content-Length and Transfer-Encoding"},
        {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0,
          KEEP},
         "unsupported Transfer-Encoding"},
        {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
          0, KEEP},
         "unsupported Transfer-Encoding"},
        {{CHUNKED "zz\r\n", 0, KEEP}, "malformed chunk size"},
        {{CHUNKED "3 x\r\nabc\r\n0\r\n\r\n", 0, KEEP}, "malformed chunk size"},
        {{CHUNKED "FFFFFFFFFFFFFFFFFFFFFFFF\r\n", 0, KEEP},
         "response body over 1048576 bytes"},
        {{CHUNKED "3\r\nabcX\r\n0\r\n\r\n", 0, KEEP},
         "chunk data not followed by CRLF"},
        {{line_big, line_len, KEEP}, "line over 1024 bytes"},
        {{trailers, 0, KEEP}, "more than 32 trailer fields"},
        {{over, over_len, KEEP}, "response body over 1048576 bytes"},
        {{head_big, head_len, KEEP}, "response head over 16384 bytes"},
        {{nonce_big, nonce_len, KEEP}, "Replay-Nonce header over 2047 bytes"},
        {{"HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, KEEP},
         "unexpected 101"},
        {{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
          0, KEEP},
         "more than 4 interim responses"},
        {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc", 0, KEEP},
         "bytes after the response"},
        {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, CLOSE_NOTIFY},
         "connection closed in the response body"},
        {{CHUNKED "5\r\nabcde", 0, CLOSE_ABRUPT},
         "connection closed in a chunked body"},
        {{"HTTP/1.1 200 OK\r\n\r\nabc", 0, CLOSE_ABRUPT},
         "cut short (no close_notify)"},
    };
    const size_t num_cases = sizeof(cases) / sizeof(cases[0]);
    struct step steps[sizeof(cases) / sizeof(cases[0])];

    (void)state;
    for (size_t i = 0; i < num_cases; i++) {
        steps[i] = cases[i].s;
    }
    start(ID_LOCALHOST, steps, num_cases, 0);
    for (size_t i = 0; i < num_cases; i++) {
        assert_int_equal(req(AHTTP_GET, url("localhost", "/"), NULL), -1);
        if (strstr(cl.err, cases[i].want) == NULL) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, cl.err, cases[i].want);
        }
        assert_null(cl.h.ssl);
    }
    assert_int_equal(cl.h.num_connects, num_cases);
    stop();
    assert_int_equal(atomic_load(&srv.requests), num_cases);
    free(head_big);
    free(nonce_big);
    free(line_big);
    free(over);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_keepalive),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_interim),
        cmocka_unit_test(test_connection_close),
        cmocka_unit_test(test_idle_close_retry),
        cmocka_unit_test(test_no_retry_after_start),
        cmocka_unit_test(test_read_to_close),
        cmocka_unit_test(test_body_at_limit),
        cmocka_unit_test(test_head_at_limit),
        cmocka_unit_test(test_request_bytes),
        cmocka_unit_test(test_origin_change),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_url_rejected),
        cmocka_unit_test(test_url_length),
        cmocka_unit_test(test_malformed),
    };

    /* A client or server closing early must not end the test. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
