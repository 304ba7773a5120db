/*
 * test_http01_reuse.c - http-01 through one libcurl handle kept across
 * validations, as each validation worker keeps one (acme/worker.c).
 * Nothing of one validation may serve the next: against a loopback HTTP
 * server that offers keep-alive, every validation opens its own
 * connection; when the test DNS server moves a name, or drops it, the
 * next validation goes where DNS now says (or fails), also for a name
 * reached by a redirect; and the handle still works after failures.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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
#include <curl/curl.h>

#include "internal.h"
#include "testdns_fixture.h"
#include "validate.h"
#include "../../common/test_net.h"

#define THUMB "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define TOKEN1 "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define TOKEN2 "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"

static struct testdns dns;

/* A keep-alive HTTP server on 127.0.0.1: serves one connection at a time,
 * each for as many requests as the client sends, and counts them. */
static struct {
    int fd;
    int port;
    int stop[2];
    pthread_t thread;
    pthread_mutex_t mu;
    int connections;
} srv;

/* serve_one answers one request on |c|; -1 when the client is gone. A
 * request for the token "redir" sends the client on to redir.example.com;
 * anything else gets the key authorization of its last path segment. */
static int
serve_one(int c)
{
    char req[4096] = "", path[512], head[1024], body[700];
    size_t got = 0;
    int bl, hl;

    while (strstr(req, "\r\n\r\n") == NULL) {
        struct pollfd p[2] = {{.fd = c, .events = POLLIN},
                              {.fd = srv.stop[0], .events = POLLIN}};
        ssize_t n;
        if (got >= sizeof(req) - 1 || poll(p, 2, 5000) <= 0 ||
            (p[1].revents & POLLIN) != 0 ||
            (n = recv(c, req + got, sizeof(req) - 1 - got, 0)) <= 0) {
            return -1;
        }
        got += (size_t)n;
        req[got] = '\0';
    }
    snprintf(path, sizeof(path), "%.*s", (int)strcspn(req + 4, " "),
             req + 4);
    if (strcmp(path, "/.well-known/acme-challenge/redir") == 0) {
        hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 302 Found\r\nLocation: "
                      "http://redir.example.com:%d/final/redir\r\n"
                      "Content-Length: 0\r\n\r\n",
                      srv.port);
        test_send_all(c, head, (size_t)hl);
        return 0;
    }
    bl = snprintf(body, sizeof(body), "%s.%s", strrchr(path, '/') + 1,
                  THUMB);
    hl = snprintf(head, sizeof(head),
                  "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", bl);
    test_send_all(c, head, (size_t)hl);
    test_send_all(c, body, (size_t)bl);
    return 0;
}

static void *
server_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = srv.fd, .events = POLLIN},
                              {.fd = srv.stop[0], .events = POLLIN}};
        int c;
        if (poll(p, 2, -1) < 0 || (p[1].revents & POLLIN) != 0) {
            return NULL;
        }
        c = accept(srv.fd, NULL, NULL);
        if (c < 0) {
            continue;
        }
        pthread_mutex_lock(&srv.mu);
        srv.connections++;
        pthread_mutex_unlock(&srv.mu);
        while (serve_one(c) == 0) {
        }
        close(c);
    }
}

static int
connections(void)
{
    int n;

    pthread_mutex_lock(&srv.mu);
    n = srv.connections;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* set_dns points the two test names at |addr| ("" = no records). */
static void
set_dns(const char *addr, const char *redir_addr)
{
    char recs[256];

    snprintf(recs, sizeof(recs), "%s%s%s%s%s%s",
             addr[0] != '\0' ? "v.example.com A " : "", addr,
             addr[0] != '\0' ? "\n" : "",
             redir_addr[0] != '\0' ? "redir.example.com A " : "", redir_addr,
             redir_addr[0] != '\0' ? "\n" : "");
    assert_int_equal(testdns_write(&dns, recs), 0);
}

static int
setup(void **state)
{
    struct sockaddr_in sa = {0};
    socklen_t sl = sizeof(sa);

    (void)state;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (testdns_start(&dns) != 0 || srv.fd < 0 ||
        bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(srv.fd, 16) != 0 ||
        getsockname(srv.fd, (struct sockaddr *)&sa, &sl) != 0 ||
        pipe(srv.stop) != 0) {
        return -1;
    }
    srv.port = ntohs(sa.sin_port);
    pthread_mutex_init(&srv.mu, NULL);
    return pthread_create(&srv.thread, NULL, server_main, NULL) == 0 ? 0
                                                                     : -1;
}

static int
teardown(void **state)
{
    (void)state;
    if (write(srv.stop[1], "x", 1) == 1) {
        pthread_join(srv.thread, NULL);
    }
    close(srv.fd);
    close(srv.stop[0]);
    close(srv.stop[1]);
    pthread_mutex_destroy(&srv.mu);
    testdns_stop(&dns);
    return 0;
}

/* validate runs http-01 for v.example.com with |token| through |curl|. */
static enum acme_validation_problem
validate(CURL *curl, const char *token)
{
    struct acme_validation_opts o = {0};
    enum acme_validation_problem vp = ACME_VPROB__MAX;
    struct catena_err err = {0};
    char ka[300];

    snprintf(ka, sizeof(ka), "%s.%s", token, THUMB);
    o.resolver = dns.resolver;
    o.http_port = srv.port;
    o.timeout_ms = 3000;
    o.curl = curl;
    if (acme_validate(&o, ACME_CHAL_HTTP01, "dns", "v.example.com", token,
                      ka, &vp, &err) == CATENA_OK) {
        return ACME_VPROB_NONE;
    }
    print_message("  %s: %s\n", token, err.msg);
    assert_int_not_equal(vp, ACME_VPROB_NONE);
    return vp;
}

static void
test_no_reuse_across_validations(void **state)
{
    CURL *curl = curl_easy_init();
    int before;

    (void)state;
    assert_non_null(curl);
    set_dns("127.0.0.1", "127.0.0.1");
    before = connections();
    assert_int_equal(validate(curl, TOKEN1), ACME_VPROB_NONE);
    assert_int_equal(validate(curl, TOKEN2), ACME_VPROB_NONE);
    /* The server offered to keep each connection: neither was kept. */
    assert_int_equal(connections() - before, 2);
    /* The name moves where nothing listens: the old address is not
     * used, from a pin or a kept connection. */
    set_dns("127.0.0.2", "127.0.0.1");
    assert_int_equal(validate(curl, TOKEN1), ACME_VPROB_CONNECTION);
    set_dns("", "127.0.0.1");
    assert_int_equal(validate(curl, TOKEN1), ACME_VPROB_DNS);
    set_dns("127.0.0.1", "127.0.0.1");
    assert_int_equal(validate(curl, TOKEN1), ACME_VPROB_NONE);
    /* The same for the name a redirect leads to. */
    assert_int_equal(validate(curl, "redir"), ACME_VPROB_NONE);
    set_dns("127.0.0.1", "127.0.0.2");
    assert_int_equal(validate(curl, "redir"), ACME_VPROB_CONNECTION);
    set_dns("127.0.0.1", "");
    assert_int_equal(validate(curl, "redir"), ACME_VPROB_DNS);
    set_dns("127.0.0.1", "127.0.0.1");
    assert_int_equal(validate(curl, "redir"), ACME_VPROB_NONE);
    curl_easy_cleanup(curl);
    /* Without a kept handle, each validation makes its own. */
    assert_int_equal(validate(NULL, TOKEN2), ACME_VPROB_NONE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_reuse_across_validations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
