/*
 * test_http.c - the HTTP listener on a real loopback socket: routing,
 * 404/405, body cap (413), /health, idle clients not blocking others,
 * bodies of any shape up to the cap, parked requests (answered from
 * another thread, not holding the only listener thread).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "catena/http.h"
#include "../../common/test_tmp.h"

static int
echo(void *ctx, const struct catena_http_request *req,
     struct catena_http_response *resp)
{
    (void)ctx;
    if (catena_http_response_header(resp, "X-Method", req->method) != 0) {
        return -1;
    }
    return catena_http_response_body(resp, 200, "application/octet-stream",
                                     req->body, req->body_len);
}

static int
fixed(void *ctx, const struct catena_http_request *req,
      struct catena_http_response *resp)
{
    (void)req;
    return catena_http_response_body(resp, 200, "text/plain", ctx,
                                     strlen(ctx));
}

/* capped answers an over-cap request itself, as the ACME service does
 * (its own 413 with its own headers); other requests like echo. */
static int
capped(void *ctx, const struct catena_http_request *req,
       struct catena_http_response *resp)
{
    static const char text[] = "own 413\n";

    if (!req->over_cap) {
        return echo(ctx, req, resp);
    }
    if (req->body_len != 0 ||
        catena_http_response_header(resp, "X-Own", "yes") != 0) {
        return -1;
    }
    return catena_http_response_body(resp, 413, "text/plain", text,
                                     sizeof(text) - 1);
}

static int
broken(void *ctx, const struct catena_http_request *req,
       struct catena_http_response *resp)
{
    (void)ctx;
    (void)req;
    (void)resp;
    return -1;
}

static int
connect_port(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* read_all reads |fd| to its end into |buf| (NUL-terminated) and closes
 * it. */
static void
read_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t k;

    while (got < len - 1 && (k = read(fd, buf + got, len - 1 - got)) > 0) {
        got += (size_t)k;
    }
    buf[got] = '\0';
    close(fd);
}

/* roundtrip sends |req| (|len| bytes) and returns the status; the whole
 * response lands in |resp|. */
static int
roundtrip(int port, const char *req, size_t len, char *resp, size_t cap)
{
    int fd = connect_port(port);
    int status = 0;

    assert_int_equal(write(fd, req, len), (ssize_t)len);
    read_all(fd, resp, cap);
    if (strncmp(resp, "HTTP/1.1 ", 9) == 0) {
        status = (resp[9] - '0') * 100 + (resp[10] - '0') * 10 +
                 (resp[11] - '0');
    }
    return status;
}

static struct catena_http_server *
start(void)
{
    struct catena_http_options o = {.listen = "127.0.0.1:0",
                                    .num_threads = 2,
                                    .max_body = 1024};
    struct catena_http_server *srv = NULL;
    struct catena_err err;

    assert_int_equal(catena_http_server_new(&o, &srv, &err), CATENA_OK);
    assert_int_equal(catena_http_route(srv, "POST", "/echo", echo, NULL,
                                       &err),
                     CATENA_OK);
    assert_int_equal(catena_http_route(srv, NULL, "/a", fixed, "short",
                                       &err),
                     CATENA_OK);
    assert_int_equal(catena_http_route(srv, NULL, "/a/b", fixed, "long",
                                       &err),
                     CATENA_OK);
    assert_int_equal(catena_http_route(srv, NULL, "/broken", broken, NULL,
                                       &err),
                     CATENA_OK);
    assert_int_equal(catena_http_route(srv, "POST", "/capped", capped, NULL,
                                       &err),
                     CATENA_OK);
    assert_int_equal(catena_http_server_start(srv, &err), CATENA_OK);
    /* too late for routes */
    assert_int_not_equal(catena_http_route(srv, NULL, "/late", broken, NULL,
                                           &err),
                         CATENA_OK);
    assert_true(catena_http_server_port(srv) > 0);
    return srv;
}

#define GET(p) "GET " p " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

static void
test_routes(void **state)
{
    struct catena_http_server *srv = start();
    int port = catena_http_server_port(srv);
    char resp[8192];

    (void)state;
    assert_int_equal(roundtrip(port, GET("/health"), strlen(GET("/health")),
                               resp, sizeof(resp)),
                     200);
    assert_non_null(strstr(resp, "{\"status\":\"ok\"}"));
    assert_int_equal(roundtrip(port, GET("/nothing"),
                               strlen(GET("/nothing")), resp, sizeof(resp)),
                     404);
    assert_int_equal(roundtrip(port, GET("/a/x"), strlen(GET("/a/x")), resp,
                               sizeof(resp)),
                     200);
    assert_non_null(strstr(resp, "short"));
    assert_int_equal(roundtrip(port, GET("/a/b/c"), strlen(GET("/a/b/c")),
                               resp, sizeof(resp)),
                     200);
    assert_non_null(strstr(resp, "long"));
    assert_int_equal(roundtrip(port, GET("/echo"), strlen(GET("/echo")), resp,
                               sizeof(resp)),
                     405);
    /* RFC 9110 15.5.6: a 405 says which methods the resource takes. */
    assert_non_null(strstr(resp, "\r\nAllow: POST\r\n"));
    assert_int_equal(roundtrip(port, GET("/broken"), strlen(GET("/broken")),
                               resp, sizeof(resp)),
                     500);
    catena_http_server_free(srv);
}

static void
test_body_and_cap(void **state)
{
    struct catena_http_server *srv = start();
    int port = catena_http_server_port(srv);
    char resp[8192];
    char req[4096];
    char body[2000];
    int n;

    (void)state;
    memset(body, 'z', sizeof(body));
    n = snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Content-Length: 5\r\n\r\nhello");
    assert_int_equal(roundtrip(port, req, (size_t)n, resp, sizeof(resp)),
                     200);
    assert_non_null(strstr(resp, "\r\n\r\nhello"));
    assert_non_null(strstr(resp, "X-Method: POST"));
    /* declared too large: refused before reading */
    n = snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Content-Length: 99999999\r\n\r\n");
    assert_int_equal(roundtrip(port, req, (size_t)n, resp, sizeof(resp)),
                     413);
    /* chunked, no length declared, over the cap */
    n = snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n7d0\r\n%.*s\r\n0\r\n\r\n",
                 2000, body);
    assert_int_equal(roundtrip(port, req, (size_t)n, resp, sizeof(resp)),
                     413);
    /* echo does not look at over_cap: its 200 is replaced by the plain 413. */
    assert_null(strstr(resp, "X-Method"));
    /* A handler that answers an over-cap request itself is heard, after
     * the listener read the body it did not keep (the client gets the
     * answer rather than a reset). */
    n = snprintf(req, sizeof(req),
                 "POST /capped HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Content-Length: 2000\r\n\r\n%.*s", 2000, body);
    assert_int_equal(roundtrip(port, req, (size_t)n, resp, sizeof(resp)),
                     413);
    assert_non_null(strstr(resp, "X-Own: yes"));
    assert_non_null(strstr(resp, "own 413"));
    /* malformed Content-Length */
    n = snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Content-Length: -5\r\n\r\n");
    assert_true(roundtrip(port, req, (size_t)n, resp, sizeof(resp)) >= 400);
    catena_http_server_free(srv);
}

/* A body sent as several chunks (no length declared) and one with a
 * declared length, both larger than the first allocation, arrive whole. */
static void
test_body_shapes(void **state)
{
    struct catena_http_options o = {.listen = "127.0.0.1:0",
                                    .num_threads = 1,
                                    .max_body = 64 * 1024};
    struct catena_http_server *srv = NULL;
    struct catena_err err;
    static char req[40000], resp[40000], body[12000];
    size_t n = 0;
    char *got;

    (void)state;
    assert_int_equal(catena_http_server_new(&o, &srv, &err), CATENA_OK);
    assert_int_equal(catena_http_route(srv, "POST", "/echo", echo, NULL,
                                       &err),
                     CATENA_OK);
    assert_int_equal(catena_http_server_start(srv, &err), CATENA_OK);
    for (size_t i = 0; i < sizeof(body); i++) {
        body[i] = (char)('a' + i % 26);
    }
    n += (size_t)snprintf(req, sizeof(req),
                          "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: "
                          "close\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < sizeof(body); off += 3000) {
        n += (size_t)snprintf(req + n, sizeof(req) - n, "bb8\r\n%.*s\r\n",
                              3000, body + off);
    }
    n += (size_t)snprintf(req + n, sizeof(req) - n, "0\r\n\r\n");
    assert_int_equal(roundtrip(catena_http_server_port(srv), req, n, resp,
                               sizeof(resp)),
                     200);
    got = strstr(resp, "\r\n\r\n");
    assert_non_null(got);
    assert_memory_equal(got + 4, body, sizeof(body));
    n = (size_t)snprintf(req, sizeof(req),
                         "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: "
                         "close\r\nContent-Length: %zu\r\n\r\n%.*s",
                         sizeof(body), (int)sizeof(body), body);
    assert_int_equal(roundtrip(catena_http_server_port(srv), req, n, resp,
                               sizeof(resp)),
                     200);
    got = strstr(resp, "\r\n\r\n");
    assert_non_null(got);
    assert_memory_equal(got + 4, body, sizeof(body));
    catena_http_server_free(srv);
}

/* Parking: /park parks and hands its ticket to a thread that unparks it
 * once /release was called; the handler then answers with its state. */
static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cv = PTHREAD_COND_INITIALIZER;
static struct catena_http_ticket *park_ticket;
static int park_released;

static int park_freed;

static void
park_free(void *state)
{
    free(state);
    pthread_mutex_lock(&park_mu);
    park_freed++;
    pthread_mutex_unlock(&park_mu);
}

/* /park answers its state when called again; /park-own parks a malloc'd
 * state with a free function, freed whichever way the request ends. */
static int
park_handler(void *ctx, const struct catena_http_request *req,
             struct catena_http_response *resp)
{
    static char state[] = "parked-state";
    int own = strcmp(req->path, "/park-own") == 0;
    char *st = state;

    (void)ctx;
    if (req->resumed != NULL) {
        int rc = catena_http_response_body(resp, 200, "text/plain",
                                           req->resumed,
                                           strlen(req->resumed));
        if (own) {
            park_free(req->resumed);
        }
        return rc;
    }
    if (own && (st = strdup("owned-state")) == NULL) {
        return -1;
    }
    pthread_mutex_lock(&park_mu);
    park_ticket = catena_http_park(req, st, own ? park_free : NULL);
    pthread_cond_broadcast(&park_cv);
    pthread_mutex_unlock(&park_mu);
    return CATENA_HTTP_PARKED;
}

static int
release_handler(void *ctx, const struct catena_http_request *req,
                struct catena_http_response *resp)
{
    (void)ctx;
    (void)req;
    pthread_mutex_lock(&park_mu);
    park_released = 1;
    pthread_cond_broadcast(&park_cv);
    pthread_mutex_unlock(&park_mu);
    return catena_http_response_body(resp, 200, "text/plain", "ok", 2);
}

static void *
unparker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&park_mu);
    while (park_ticket == NULL || !park_released) {
        pthread_cond_wait(&park_cv, &park_mu);
    }
    pthread_mutex_unlock(&park_mu);
    catena_http_unpark(park_ticket);
    return NULL;
}

/* park_request connects to |port|, sends |req| (for a parking route) and
 * returns the socket once the request is parked. */
static int
park_request(int port, const char *req)
{
    int fd;

    pthread_mutex_lock(&park_mu);
    park_ticket = NULL;
    pthread_mutex_unlock(&park_mu);
    fd = connect_port(port);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    pthread_mutex_lock(&park_mu);
    while (park_ticket == NULL) {
        pthread_cond_wait(&park_cv, &park_mu);
    }
    pthread_mutex_unlock(&park_mu);
    return fd;
}

static void
test_park(void **state)
{
    /* One listener thread: a parked request must not hold it. */
    struct catena_http_options o = {.listen = "127.0.0.1:0",
                                    .num_threads = 1};
    struct catena_http_server *srv = NULL;
    struct catena_err err;
    pthread_t th;
    char resp[4096];
    int fd, port;

    (void)state;
    assert_int_equal(catena_http_server_new(&o, &srv, &err), CATENA_OK);
    assert_int_equal(catena_http_route(srv, NULL, "/park", park_handler,
                                       NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_http_route(srv, NULL, "/release",
                                       release_handler, NULL, &err),
                     CATENA_OK);
    assert_int_equal(catena_http_server_start(srv, &err), CATENA_OK);
    port = catena_http_server_port(srv);
    assert_int_equal(pthread_create(&th, NULL, unparker, NULL), 0);
    fd = park_request(port, GET("/park"));
    /* Parked: other requests are served meanwhile by the same thread,
     * and the one that lets the unparker go is one of them. */
    assert_int_equal(roundtrip(port, GET("/release"), strlen(GET("/release")),
                               resp, sizeof(resp)),
                     200);
    read_all(fd, resp, sizeof(resp));
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(strncmp(resp, "HTTP/1.1 200", 12), 0);
    assert_non_null(strstr(resp, "\r\n\r\nparked-state"));
    /* The peer goes away while parked: the state is freed once, by the
     * handler or by the listener, and nothing else breaks. */
    fd = park_request(port, GET("/park-own"));
    close(fd);
    catena_http_unpark(park_ticket);
    assert_int_equal(roundtrip(port, GET("/release"), strlen(GET("/release")),
                               resp, sizeof(resp)),
                     200);
    catena_http_server_free(srv);
    assert_int_equal(park_freed, 1);
}

/* A stop right after an unpark still sends the unparked request's answer
 * (serve stops this way: every parked challenge POST is unparked, then the
 * listener stops). Repeated because losing it is a race. */
static void
test_unpark_then_stop(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        struct catena_http_options o = {.listen = "127.0.0.1:0",
                                        .num_threads = 1};
        struct catena_http_server *srv = NULL;
        struct catena_err err;
        char resp[4096];
        int fd;

        assert_int_equal(catena_http_server_new(&o, &srv, &err), CATENA_OK);
        assert_int_equal(catena_http_route(srv, NULL, "/park", park_handler,
                                           NULL, &err),
                         CATENA_OK);
        assert_int_equal(catena_http_server_start(srv, &err), CATENA_OK);
        fd = park_request(catena_http_server_port(srv), GET("/park"));
        catena_http_unpark(park_ticket);
        catena_http_server_free(srv);
        read_all(fd, resp, sizeof(resp));
        assert_int_equal(strncmp(resp, "HTTP/1.1 200", 12), 0);
        assert_non_null(strstr(resp, "\r\n\r\nparked-state"));
    }
}

static void
test_idle_clients(void **state)
{
    struct catena_http_server *srv = start();
    int port = catena_http_server_port(srv);
    int idle[8];
    char resp[8192];

    (void)state;
    /* More silent connections than threads: others must still be served. */
    for (size_t i = 0; i < 8; i++) {
        idle[i] = connect_port(port);
    }
    assert_int_equal(write(idle[0], "GET /he", 7), 7);
    assert_int_equal(roundtrip(port, GET("/health"), strlen(GET("/health")),
                               resp, sizeof(resp)),
                     200);
    for (size_t i = 0; i < 8; i++) {
        close(idle[i]);
    }
    catena_http_server_free(srv);
}

static void
test_bad_options(void **state)
{
    struct catena_http_options o = {.listen = "no-port"};
    struct catena_http_server *srv = NULL;
    struct catena_err err;

    (void)state;
    assert_int_not_equal(catena_http_server_new(&o, &srv, &err), CATENA_OK);
    assert_null(srv);
    o.listen = "127.0.0.1:0";
    o.tls_cert_file = "/nonexistent.pem";
    assert_int_not_equal(catena_http_server_new(&o, &srv, &err), CATENA_OK);
    assert_null(srv);
}


/* write_self_signed makes a P-256 key and a self-signed localhost
 * certificate in |dir| for the TLS listener. */
static void
write_self_signed(const char *cert_path, const char *key_path)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    X509_NAME *n = X509_get_subject_name(x);
    FILE *f;

    assert_non_null(pk);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, pk);
    assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
    f = fopen(cert_path, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key_path, "w");
    PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
}

static void
test_tls(void **state)
{
    char dir[512];
    char cert[600];
    char key[600];
    struct catena_http_options o = {.listen = "127.0.0.1:0",
                                    .num_threads = 1};
    struct catena_http_server *srv = NULL;
    struct catena_err err;
    SSL_CTX *ctx;
    SSL *ssl;
    char resp[4096];
    int fd;
    int n;
    int got = 0;

    (void)state;
    assert_non_null(test_mkdtemp(dir, sizeof(dir), "catena-http-tls-"));
    snprintf(cert, sizeof(cert), "%s/c.pem", dir);
    snprintf(key, sizeof(key), "%s/k.pem", dir);
    write_self_signed(cert, key);
    o.tls_cert_file = cert;
    o.tls_key_file = key;
    assert_int_equal(catena_http_server_new(&o, &srv, &err), CATENA_OK);
    assert_int_equal(catena_http_server_start(srv, &err), CATENA_OK);
    ctx = SSL_CTX_new(TLS_client_method());
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, cert, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    ssl = SSL_new(ctx);
    fd = connect_port(catena_http_server_port(srv));
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    assert_int_equal(SSL_connect(ssl), 1);
    assert_true(SSL_write(ssl, GET("/health"), (int)strlen(GET("/health"))) >
                0);
    while ((n = SSL_read(ssl, resp + got, (int)sizeof(resp) - 1 - got)) > 0) {
        got += n;
    }
    resp[got] = '\0';
    assert_non_null(strstr(resp, "HTTP/1.1 200"));
    assert_non_null(strstr(resp, "{\"status\":\"ok\"}"));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    catena_http_server_free(srv);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_body_and_cap),
        cmocka_unit_test(test_idle_clients),
        cmocka_unit_test(test_body_shapes),
        cmocka_unit_test(test_park),
        cmocka_unit_test(test_unpark_then_stop),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_tls),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
