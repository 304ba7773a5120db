/*
 * test_validate.c - acme_validate against real loopback servers: the
 * catena-testdns DNS server, an HTTP listener thread (http-01: right,
 * wrong, oversized bodies, redirects allowed and refused), and an OpenSSL
 * server thread (tls-alpn-01: right certificate, missing critical bit,
 * wrong digest, wrong or extra SAN, no ALPN, IP identifiers).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "testdns_fixture.h"
#include "validate.h"
#include "../../common/test_net.h"

#define THUMB "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN "." THUMB

static struct testdns dns;

/* ---- a listener thread that serves one connection at a time ---------- */

struct server {
    int fd;
    int port;
    int stop_pipe[2];
    pthread_t thread;
    void (*serve)(struct server *, int);
    /* tls-alpn-01 only: what to present, guarded by mu */
    pthread_mutex_t mu;
    X509 *cert;
    EVP_PKEY *key;
    int alpn;
};

static struct server http_srv, http6_srv, tls_srv;

static void *
server_main(void *arg)
{
    struct server *s = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
                              {.fd = s->stop_pipe[0], .events = POLLIN}};
        int c;
        if (poll(p, 2, -1) < 0 || (p[1].revents & POLLIN) != 0) {
            return NULL;
        }
        c = accept(s->fd, NULL, NULL);
        if (c >= 0) {
            s->serve(s, c);
            close(c);
        }
    }
}

static int
server_start(struct server *s, void (*serve)(struct server *, int), int af)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    socklen_t sl = af == AF_INET6 ? sizeof(*s6) : sizeof(*s4);

    s->serve = serve;
    s->fd = socket(af, SOCK_STREAM, 0);
    if (af == AF_INET6) {
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
    } else {
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&ss, sl) != 0 ||
        listen(s->fd, 16) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&ss, &sl) != 0 ||
        pipe(s->stop_pipe) != 0) {
        return -1;
    }
    s->port = ntohs(af == AF_INET6 ? s6->sin6_port : s4->sin_port);
    pthread_mutex_init(&s->mu, NULL);
    return pthread_create(&s->thread, NULL, server_main, s) == 0 ? 0 : -1;
}

static void
server_stop(struct server *s)
{
    if (write(s->stop_pipe[1], "x", 1) == 1) {
        pthread_join(s->thread, NULL);
    }
    close(s->fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    pthread_mutex_destroy(&s->mu);
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
}

/* ---- http-01 server ---------------------------------------------------- */

static void
reply(int c, int code, const char *extra, const char *body, size_t blen)
{
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nConnection: close\r\n%s"
                     "Content-Length: %zu\r\n\r\n",
                     code, extra, blen);
    test_send_all(c, head, (size_t)n);
    test_send_all(c, body, blen);
}

static void
redirect(int c, const char *location)
{
    char extra[800];
    snprintf(extra, sizeof(extra), "Location: %s\r\n", location);
    reply(c, 302, extra, "", 0);
}

/*
 * serve_http answers /.well-known/acme-challenge/<T>: T.THUMB for ordinary
 * tokens, and the special behaviour named by the token otherwise.
 */
static void
serve_http(struct server *s, int c)
{
    char req[4096] = "", path[512], loc[700];
    size_t got = 0;
    const char *prefix = "/.well-known/acme-challenge/", *tok;

    while (got < sizeof(req) - 1 && strstr(req, "\r\n\r\n") == NULL) {
        ssize_t n = recv(c, req + got, sizeof(req) - 1 - got, 0);
        if (n <= 0) {
            return;
        }
        got += (size_t)n;
        req[got] = '\0';
    }
    if (strncmp(req, "GET ", 4) != 0) {
        return;
    }
    snprintf(path, sizeof(path), "%.*s", (int)strcspn(req + 4, " "),
             req + 4);
    if (strncmp(path, "/final/", 7) == 0) {
        char body[600];
        int n = snprintf(body, sizeof(body), "%s.%s", path + 7, THUMB);
        reply(c, 200, "", body, (size_t)n);
        return;
    }
    if (strncmp(path, prefix, strlen(prefix)) == 0) {
        tok = path + strlen(prefix);
    } else {
        reply(c, 404, "", "", 0);
        return;
    }
    if (strcmp(tok, "wrongbody") == 0) {
        reply(c, 200, "", "not the key authorization", 25);
    } else if (strcmp(tok, "bigbody") == 0) {
        char *big = malloc(20000);
        memset(big, 'a', 20000);
        reply(c, 200, "", big, 20000);
        free(big);
    } else if (strcmp(tok, "notfound") == 0) {
        reply(c, 404, "", "", 0);
    } else if (strcmp(tok, "servererror") == 0) {
        reply(c, 500, "", "", 0);
    } else if (strcmp(tok, "redirbadport") == 0) {
        redirect(c, "http://127.0.0.1:1/final/redirbadport");
    } else if (strcmp(tok, "redirftp") == 0) {
        redirect(c, "ftp://127.0.0.1/final/redirftp");
    } else if (strcmp(tok, "redirloop") == 0) {
        redirect(c, "/.well-known/acme-challenge/redirloop");
    } else if (strcmp(tok, "redirgood") == 0) {
        /* Another name, resolved through the test DNS server. */
        snprintf(loc, sizeof(loc), "http://other.test:%d/final/redirgood",
                 s->port);
        redirect(c, loc);
    } else if (strcmp(tok, "redirnodns") == 0) {
        snprintf(loc, sizeof(loc), "http://nowhere.test:%d/final/x",
                 s->port);
        redirect(c, loc);
    } else {
        char body[300];
        int n = snprintf(body, sizeof(body), "%s.%s\r\n \t\n", tok, THUMB);
        reply(c, 200, "", body, (size_t)n);
    }
}

/* ---- tls-alpn-01 server -------------------------------------------------- */

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
            const unsigned char *in, unsigned inlen, void *arg)
{
    struct server *s = arg;
    (void)ssl;
    if (!s->alpn) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
        if (in[i] == 10 && i + 11 <= inlen &&
            memcmp(in + i + 1, "acme-tls/1", 10) == 0) {
            *out = in + i + 1;
            *outlen = 10;
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void
serve_tls(struct server *s, int c)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL *ssl = NULL;
    struct timeval tv = {.tv_sec = 5};

    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    pthread_mutex_lock(&s->mu);
    if (ctx != NULL && SSL_CTX_use_certificate(ctx, s->cert) == 1 &&
        SSL_CTX_use_PrivateKey(ctx, s->key) == 1) {
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, s);
        ssl = SSL_new(ctx);
    }
    pthread_mutex_unlock(&s->mu);
    if (ssl != NULL && SSL_set_fd(ssl, c) == 1 && SSL_accept(ssl) == 1) {
        char buf[16];
        (void)SSL_read(ssl, buf, sizeof(buf)); /* until the client closes */
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

/* make_cert builds a self-signed challenge certificate. */
static X509 *
make_cert(EVP_PKEY *key, const char *san, int acme_ext, int critical,
          const char *keyauth)
{
    X509 *x = X509_new();
    X509_EXTENSION *e;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING *wrap = ASN1_OCTET_STRING_new();
    ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
    unsigned char *der = NULL;
    int dl;

    assert_non_null(x);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"acme", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    if (san != NULL) {
        e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    if (acme_ext) {
        SHA256((const unsigned char *)keyauth, strlen(keyauth), digest);
        ASN1_OCTET_STRING_set(inner, digest, sizeof(digest));
        dl = i2d_ASN1_OCTET_STRING(inner, &der);
        assert_true(dl > 0);
        ASN1_OCTET_STRING_set(wrap, der, dl);
        e = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, wrap);
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    OPENSSL_free(der);
    ASN1_OCTET_STRING_free(inner);
    ASN1_OCTET_STRING_free(wrap);
    ASN1_OBJECT_free(obj);
    return x;
}

static void
present(X509 *cert, int alpn)
{
    pthread_mutex_lock(&tls_srv.mu);
    X509_free(tls_srv.cert);
    tls_srv.cert = cert;
    tls_srv.alpn = alpn;
    pthread_mutex_unlock(&tls_srv.mu);
}

/* ---- fixture --------------------------------------------------------- */

static int
setup(void **state)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char *b64, *recs;
    int n;

    (void)state;
    if (testdns_start(&dns) != 0 ||
        server_start(&http_srv, serve_http, AF_INET) ||
        server_start(&http6_srv, serve_http, AF_INET6) ||
        server_start(&tls_srv, serve_tls, AF_INET)) {
        return -1;
    }
    tls_srv.key = EVP_EC_gen("P-256");
    if (tls_srv.key == NULL) {
        return -1;
    }
    SHA256((const unsigned char *)KEYAUTH, strlen(KEYAUTH), digest);
    b64 = acme_b64u_encode(digest, sizeof(digest));
    n = asprintf(&recs,
                 "h1.test A 127.0.0.1\n"
                 "other.test A 127.0.0.1\n"
                 "v6only.test AAAA ::1\n"
                 "sf.test SERVFAIL\n"
                 "_acme-challenge.d1.test TXT \"%s\"\n"
                 "_acme-challenge.d1.test TXT \"unrelated\"\n"
                 "_acme-challenge.split.test TXT \"%.20s\" \"%s\"\n"
                 "_acme-challenge.wrong.test TXT \"%.42sX\"\n"
                 "_acme-challenge.alias.test CNAME d1.validation.test\n"
                 "d1.validation.test TXT \"%s\"\n"
                 "_acme-challenge.nochase.test CNAME d1.validation.test\n"
                 "_acme-challenge.nochase.test NOCHASE\n"
                 "_acme-challenge.sf.test SERVFAIL\n"
                 "_acme-challenge.drop.test DROP\n",
                 b64, b64, b64 + 20, b64, b64);
    free(b64);
    if (n < 0 || testdns_write(&dns, recs) != 0) {
        return -1;
    }
    free(recs);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    server_stop(&http_srv);
    server_stop(&http6_srv);
    server_stop(&tls_srv);
    testdns_stop(&dns);
    return 0;
}

static enum acme_validation_problem
run(enum acme_chal_type type, const char *id_type, const char *id,
    const char *token, const char *keyauth)
{
    struct acme_validation_opts o = {0};
    enum acme_validation_problem vp = ACME_VPROB__MAX;
    struct catena_err err = {0};
    enum catena_rc rc;

    o.resolver = dns.resolver;
    o.http_port = http_srv.port;
    o.tlsalpn_port = tls_srv.port;
    o.timeout_ms = 3000;
    rc = acme_validate(&o, type, id_type, id, token, keyauth, &vp, &err);
    if (rc != CATENA_OK) {
        print_message("  %s %s: %s\n", id, token, err.msg);
        assert_int_not_equal(vp, ACME_VPROB_NONE);
        return vp;
    }
    assert_int_equal(vp, ACME_VPROB_NONE);
    return ACME_VPROB_NONE;
}

static enum acme_validation_problem
http(const char *id_type, const char *id, const char *token)
{
    char ka[300];
    snprintf(ka, sizeof(ka), "%s.%s", token, THUMB);
    return run(ACME_CHAL_HTTP01, id_type, id, token, ka);
}

/* ---- http-01 ----------------------------------------------------------- */

static void
test_http_ok(void **state)
{
    (void)state;
    assert_int_equal(http("dns", "h1.test", TOKEN), ACME_VPROB_NONE);
    assert_int_equal(http("dns", "H1.Test", TOKEN), ACME_VPROB_NONE);
    assert_int_equal(http("ip", "127.0.0.1", TOKEN), ACME_VPROB_NONE);
    /* A redirect to another name on an allowed port, resolved by us. */
    assert_int_equal(http("dns", "h1.test", "redirgood"), ACME_VPROB_NONE);
}

static void
test_http_refused(void **state)
{
    (void)state;
    assert_int_equal(http("dns", "h1.test", "wrongbody"),
                     ACME_VPROB_INCORRECT_RESPONSE);
    assert_int_equal(http("dns", "h1.test", "bigbody"),
                     ACME_VPROB_INCORRECT_RESPONSE);
    assert_int_equal(http("dns", "h1.test", "notfound"),
                     ACME_VPROB_UNAUTHORIZED);
    assert_int_equal(http("dns", "h1.test", "servererror"),
                     ACME_VPROB_UNAUTHORIZED);
    assert_int_equal(http("dns", "h1.test", "redirbadport"),
                     ACME_VPROB_CONNECTION);
    assert_int_equal(http("dns", "h1.test", "redirftp"),
                     ACME_VPROB_CONNECTION);
    assert_int_equal(http("dns", "h1.test", "redirloop"),
                     ACME_VPROB_CONNECTION);
    assert_int_equal(http("dns", "h1.test", "redirnodns"), ACME_VPROB_DNS);
    /* The key authorization must be this token's. */
    assert_int_equal(run(ACME_CHAL_HTTP01, "dns", "h1.test", TOKEN,
                         "other." THUMB),
                     ACME_VPROB_MALFORMED);
}

static void
test_http_dns_and_connection(void **state)
{
    struct acme_validation_opts o = {0};
    enum acme_validation_problem vp;
    struct catena_err err = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof(sa);
    (void)state;
    assert_int_equal(http("dns", "nothing.test", TOKEN), ACME_VPROB_DNS);
    assert_int_equal(http("dns", "sf.test", TOKEN), ACME_VPROB_DNS);
    /* A port with nothing listening: bound, never listened to. */
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    o.resolver = dns.resolver;
    o.http_port = ntohs(sa.sin_port);
    o.timeout_ms = 2000;
    assert_int_not_equal(acme_validate(&o, ACME_CHAL_HTTP01, "dns", "h1.test",
                                       TOKEN, KEYAUTH, &vp, &err),
                         CATENA_OK);
    assert_int_equal(vp, ACME_VPROB_CONNECTION);
    close(fd);
}

static void
test_http_ipv6(void **state)
{
    struct acme_validation_opts o = {0};
    enum acme_validation_problem vp;
    struct catena_err err = {0};
    (void)state;
    o.resolver = dns.resolver;
    o.http_port = http6_srv.port;
    o.timeout_ms = 3000;
    assert_int_equal(acme_validate(&o, ACME_CHAL_HTTP01, "ip", "::1", TOKEN,
                                   KEYAUTH, &vp, &err),
                     CATENA_OK);
    /* A name with only an AAAA record, resolved through our server. */
    assert_int_equal(acme_validate(&o, ACME_CHAL_HTTP01, "dns", "v6only.test",
                                   TOKEN, KEYAUTH, &vp, &err),
                     CATENA_OK);
    /* Not the canonical text of an address. */
    assert_int_not_equal(acme_validate(&o, ACME_CHAL_HTTP01, "ip", "::1::",
                                       TOKEN, KEYAUTH, &vp, &err),
                         CATENA_OK);
    assert_int_equal(vp, ACME_VPROB_MALFORMED);
}

/* A listener that never accepts: connections open, nothing answers. */
static int
silent_listener(int *port)
{
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void
test_timeouts(void **state)
{
    struct acme_validation_opts o = {0};
    enum acme_validation_problem vp;
    struct catena_err err = {0};
    int port, fd = silent_listener(&port);
    (void)state;
    o.resolver = dns.resolver;
    o.http_port = port;
    o.tlsalpn_port = port;
    o.timeout_ms = 700;
    assert_int_not_equal(acme_validate(&o, ACME_CHAL_HTTP01, "dns", "h1.test",
                                       TOKEN, KEYAUTH, &vp, &err),
                         CATENA_OK);
    assert_int_equal(vp, ACME_VPROB_CONNECTION);
    print_message("  http-01: %s\n", err.msg);
    assert_int_not_equal(acme_validate(&o, ACME_CHAL_TLSALPN01, "dns",
                                       "h1.test", TOKEN, KEYAUTH, &vp, &err),
                         CATENA_OK);
    assert_int_equal(vp, ACME_VPROB_TLS);
    print_message("  tls-alpn-01: %s\n", err.msg);
    close(fd);
}

static void
test_guards(void **state)
{
    (void)state;
    /* Wildcards only through dns-01; IPs never through dns-01. */
    assert_int_equal(run(ACME_CHAL_HTTP01, "dns", "*.h1.test", TOKEN, KEYAUTH),
                     ACME_VPROB_MALFORMED);
    assert_int_equal(
        run(ACME_CHAL_TLSALPN01, "dns", "*.h1.test", TOKEN, KEYAUTH),
        ACME_VPROB_MALFORMED);
    assert_int_equal(run(ACME_CHAL_DNS01, "ip", "127.0.0.1", TOKEN, KEYAUTH),
                     ACME_VPROB_MALFORMED);
    assert_int_equal(run(ACME_CHAL_HTTP01, "email", "a@b", TOKEN, KEYAUTH),
                     ACME_VPROB_MALFORMED);
    assert_int_equal(run(ACME_CHAL_HTTP01, "ip", "1.2.3", TOKEN, KEYAUTH),
                     ACME_VPROB_MALFORMED);
    assert_int_equal(run(ACME_CHAL_HTTP01, "dns", "h1.test", "../../etc",
                         "../../etc." THUMB),
                     ACME_VPROB_MALFORMED);
    assert_int_equal(run(ACME_CHAL__MAX, "dns", "h1.test", TOKEN, KEYAUTH),
                     ACME_VPROB_MALFORMED);
}

/* ---- dns-01 ------------------------------------------------------------ */

static enum acme_validation_problem
dns01(const char *id)
{
    return run(ACME_CHAL_DNS01, "dns", id, TOKEN, KEYAUTH);
}

static void
test_dns01(void **state)
{
    (void)state;
    assert_int_equal(dns01("d1.test"), ACME_VPROB_NONE);
    assert_int_equal(dns01("*.d1.test"), ACME_VPROB_NONE);
    assert_int_equal(dns01("split.test"), ACME_VPROB_NONE);
    assert_int_equal(dns01("alias.test"), ACME_VPROB_NONE);
    assert_int_equal(dns01("nochase.test"), ACME_VPROB_NONE);
    assert_int_equal(dns01("wrong.test"), ACME_VPROB_INCORRECT_RESPONSE);
    assert_int_equal(dns01("absent.test"), ACME_VPROB_UNAUTHORIZED);
    assert_int_equal(dns01("sf.test"), ACME_VPROB_DNS);
    assert_int_equal(dns01("drop.test"), ACME_VPROB_DNS);
    /* Another account's key authorization does not match. */
    assert_int_equal(run(ACME_CHAL_DNS01, "dns", "d1.test", TOKEN,
                         TOKEN ".AAAAB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"),
                     ACME_VPROB_INCORRECT_RESPONSE);
}

/* ---- tls-alpn-01 -------------------------------------------------------- */

static enum acme_validation_problem
alpn(const char *id_type, const char *id)
{
    return run(ACME_CHAL_TLSALPN01, id_type, id, TOKEN, KEYAUTH);
}

static void
test_tlsalpn_ok(void **state)
{
    (void)state;
    present(make_cert(tls_srv.key, "DNS:h1.test", 1, 1, KEYAUTH), 1);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_NONE);
    present(make_cert(tls_srv.key, "IP:127.0.0.1", 1, 1, KEYAUTH), 1);
    assert_int_equal(alpn("ip", "127.0.0.1"), ACME_VPROB_NONE);
}

static void
test_tlsalpn_refused(void **state)
{
    (void)state;
    present(make_cert(tls_srv.key, "DNS:h1.test", 1, 0, KEYAUTH), 1);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_UNAUTHORIZED);
    present(make_cert(tls_srv.key, "DNS:h1.test", 1, 1, "x.y"), 1);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_INCORRECT_RESPONSE);
    present(make_cert(tls_srv.key, "DNS:h1.test", 0, 0, KEYAUTH), 1);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_UNAUTHORIZED);
    present(make_cert(tls_srv.key, "DNS:other.test", 1, 1, KEYAUTH), 1);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_UNAUTHORIZED);
    present(make_cert(tls_srv.key, "DNS:h1.test,DNS:other.test", 1, 1,
                      KEYAUTH),
            1);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_UNAUTHORIZED);
    present(make_cert(tls_srv.key, NULL, 1, 1, KEYAUTH), 1);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_UNAUTHORIZED);
    present(make_cert(tls_srv.key, "DNS:127.0.0.1", 1, 1, KEYAUTH), 1);
    assert_int_equal(alpn("ip", "127.0.0.1"), ACME_VPROB_UNAUTHORIZED);
    /* The right certificate without ALPN acme-tls/1 negotiated. */
    present(make_cert(tls_srv.key, "DNS:h1.test", 1, 1, KEYAUTH), 0);
    assert_int_equal(alpn("dns", "h1.test"), ACME_VPROB_TLS);
    assert_int_equal(alpn("dns", "nothing.test"), ACME_VPROB_DNS);
}

int
main(void)
{
    /* As catena itself does: a vanished peer is an error, not a death. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_ok),
        cmocka_unit_test(test_http_refused),
        cmocka_unit_test(test_http_dns_and_connection),
        cmocka_unit_test(test_http_ipv6),
        cmocka_unit_test(test_guards),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_dns01),
        cmocka_unit_test(test_tlsalpn_ok),
        cmocka_unit_test(test_tlsalpn_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
