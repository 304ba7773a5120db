/*
 * http.c - catena_http_* over libmicrohttpd.
 *
 * MHD runs its own thread pool (internal polling threads). Each request
 * body is accumulated up to a cap (over it: 413, which the route's handler
 * may word; the rest of the body is read and dropped, within a bound, so
 * that the client gets the answer), idle connections time out so a silent
 * client cannot pin a worker, and routes are matched by longest path
 * prefix, then by method (404 / 405 with Allow).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "catena/config.h"
#include "catena/http.h"
#include "catena/log.h"
#include "core.h"

#define MAX_ROUTES 64
#define DEFAULT_MAX_BODY (64u * 1024u)
#define DEFAULT_THREADS 4u
#define CONN_TIMEOUT_S 10u
#define MAX_CONNECTIONS 1024u
#define MAX_PEM_FILE (256u * 1024u)
/*
 * How much of a body over the cap is still read (and dropped) before the
 * 413: MHD closes a connection whose body it has not read, and a client
 * still sending then gets a reset instead of the answer. Beyond this the
 * connection is closed without one.
 */
#define MAX_DRAIN (1024u * 1024u)
/* Room for the Allow header of a 405: a few method names. */
#define ALLOW_LEN 128
/* How long a stop waits for unparked requests to be answered. */
#define PARKED_DRAIN_MS 5000

struct route {
    char *method; /* NULL = any */
    char *prefix;
    size_t prefix_len;
    catena_http_handler handler;
    void *ctx;
};

struct catena_http_server {
    struct MHD_Daemon *daemon;
    int listen_fd;
    int port;
    int tls;
    char *cert_pem;
    char *key_pem;
    unsigned num_threads;
    size_t max_body;
    size_t max_read;   /* max_body + MAX_DRAIN: the most read of a body */
    struct route routes[MAX_ROUTES];
    size_t num_routes;
    /* Requests parked at some point and not yet completed: a stop waits
     * for them, since an unparked request is answered by its connection's
     * thread later, and MHD_stop_daemon would close it unanswered. */
    pthread_mutex_t park_mu;
    pthread_cond_t park_cv;
    unsigned num_parked;
};

/* Per-request state kept by MHD between calls of the access handler. */
struct req_ctx {
    uint8_t *body;
    size_t body_len;
    size_t body_cap;
    size_t declared;   /* Content-Length, already checked against the cap */
    size_t received;   /* body bytes read, kept or dropped; <= max_read */
    int too_big;       /* over the cap: the body is dropped */
    int parked;        /* catena_http_park was called in this handler call */
    int counted;       /* counted in the server's num_parked */
    struct catena_http_server *srv;
    void *park_state;  /* given back as req->resumed after the unpark */
    void (*park_free)(void *);
};

/* parse_listen splits "host:port" / "[v6]:port" and binds a socket. */
static enum catena_rc
bind_listen(const char *listen_addr, int *fd_out, int *port_out,
            struct catena_err *err)
{
    char host[256];
    const char *port;
    const char *colon;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    int fd = -1;
    int one = 1;
    int gai;
    size_t hlen;
    enum catena_rc rc;

    *fd_out = -1;
    if (listen_addr == NULL || (colon = strrchr(listen_addr, ':')) == NULL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "listen address must be host:port");
    }
    port = colon + 1;
    if (listen_addr[0] == '[') {
        if (colon == listen_addr || colon[-1] != ']') {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "bad IPv6 listen address");
        }
        hlen = (size_t)(colon - listen_addr) - 2;
        if (hlen >= sizeof(host)) {
            return catena_err_set(err, CATENA_ERR_CONFIG, "host too long");
        }
        memcpy(host, listen_addr + 1, hlen);
    } else {
        hlen = (size_t)(colon - listen_addr);
        if (hlen >= sizeof(host)) {
            return catena_err_set(err, CATENA_ERR_CONFIG, "host too long");
        }
        memcpy(host, listen_addr, hlen);
    }
    host[hlen] = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    gai = getaddrinfo(hlen > 0 ? host : NULL, port, &hints, &res);
    if (gai != 0) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "cannot resolve listen address %s: %s",
                              listen_addr, gai_strerror(gai));
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "socket");
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
        listen(fd, 128) != 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "cannot listen on %s",
                                  listen_addr);
        goto out;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &ss_len) != 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "getsockname");
        goto out;
    }
    *port_out = ntohs(ss.ss_family == AF_INET6
                          ? ((struct sockaddr_in6 *)&ss)->sin6_port
                          : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    fd = -1;
    rc = CATENA_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

static int
health(void *ctx, const struct catena_http_request *req,
       struct catena_http_response *resp)
{
    static const char ok[] = "{\"status\":\"ok\"}";

    (void)ctx;
    if (strcmp(req->path, "/health") != 0) {
        return catena_http_response_body(resp, 404, "text/plain",
                                         "not found\n", 10);
    }
    return catena_http_response_body(resp, 200, "application/json", ok,
                                     sizeof(ok) - 1);
}

static void
route_free(struct route *r)
{
    free(r->method);
    free(r->prefix);
    memset(r, 0, sizeof(*r));
}

enum catena_rc
catena_http_route(struct catena_http_server *srv, const char *method,
                  const char *prefix, catena_http_handler handler, void *ctx,
                  struct catena_err *err)
{
    struct route *r;

    if (srv->daemon != NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "routes must be added before the start");
    }
    if (prefix == NULL || prefix[0] != '/' || handler == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "bad route");
    }
    if (srv->num_routes >= MAX_ROUTES) {
        return catena_err_set(err, CATENA_ERR_TOO_BIG, "too many routes");
    }
    r = &srv->routes[srv->num_routes];
    r->prefix = strdup(prefix);
    r->method = method != NULL ? strdup(method) : NULL;
    if (r->prefix == NULL || (method != NULL && r->method == NULL)) {
        route_free(r);
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    r->prefix_len = strlen(prefix);
    r->handler = handler;
    r->ctx = ctx;
    srv->num_routes++;
    return CATENA_OK;
}

enum catena_rc
catena_http_server_new(const struct catena_http_options *opts,
                       struct catena_http_server **out,
                       struct catena_err *err)
{
    struct catena_http_server *srv;
    enum catena_rc rc;

    *out = NULL;
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    {
        pthread_condattr_t ca;

        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&srv->park_cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&srv->park_mu, NULL);
    }
    srv->listen_fd = -1;
    srv->num_threads = opts->num_threads ? opts->num_threads : DEFAULT_THREADS;
    if (srv->num_threads > 256) {
        srv->num_threads = 256;
    }
    srv->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
    srv->max_read = srv->max_body > SIZE_MAX - MAX_DRAIN
                        ? SIZE_MAX
                        : srv->max_body + MAX_DRAIN;
    if ((opts->tls_cert_file != NULL) != (opts->tls_key_file != NULL)) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "TLS needs both a certificate and a key");
        goto out;
    }
    if (opts->tls_cert_file != NULL) {
        srv->tls = 1;
        if ((rc = catena_file_read(opts->tls_cert_file, MAX_PEM_FILE,
                                   (uint8_t **)&srv->cert_pem, NULL, err)) !=
                CATENA_OK ||
            (rc = catena_file_read(opts->tls_key_file, MAX_PEM_FILE,
                                   (uint8_t **)&srv->key_pem, NULL, err)) !=
                CATENA_OK) {
            goto out;
        }
    }
    if ((rc = bind_listen(opts->listen, &srv->listen_fd, &srv->port, err)) !=
            CATENA_OK ||
        (rc = catena_http_route(srv, NULL, "/health", health, NULL, err)) !=
            CATENA_OK) {
        goto out;
    }
    *out = srv;
    srv = NULL;
out:
    catena_http_server_free(srv);
    return rc;
}

/* send_simple answers |status| with |text|; |allow| (may be NULL) is the
 * Allow header a 405 must carry (RFC 9110 15.5.6). */
static enum MHD_Result
send_simple(struct MHD_Connection *conn, unsigned status, const char *text,
            const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    if (allow != NULL &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static int
method_ok(const struct route *r, const char *method)
{
    return r->method == NULL || strcmp(r->method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

/* allow_add appends |m| to the list |allow| unless it is there already
 * (or would not fit). */
static void
allow_add(char *allow, size_t len, const char *m)
{
    size_t used = strlen(allow), n = strlen(m);

    for (const char *p = allow; (p = strstr(p, m)) != NULL; p += n) {
        if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) {
            return;
        }
    }
    if (used + n + 3 <= len) {
        snprintf(allow + used, len - used, "%s%s", used > 0 ? ", " : "", m);
    }
}

/*
 * find_route returns the route for |method| on |path|: the longest
 * matching prefix wins, then the method (a GET route serves HEAD too; of
 * equal routes the last added). NULL if none; then |allow| (ALLOW_LEN
 * bytes) is empty if no prefix matches (404), or lists the methods of the
 * longest prefix (405): /acme/x with POST only is a 405, not "/" 's page.
 */
static const struct route *
find_route(const struct catena_http_server *srv, const char *method,
           const char *path, char *allow)
{
    const struct route *best = NULL;
    size_t longest = 0;

    allow[0] = '\0';
    for (size_t i = 0; i < srv->num_routes; i++) {
        const struct route *r = &srv->routes[i];

        if (strncmp(path, r->prefix, r->prefix_len) == 0 &&
            r->prefix_len > longest) {
            longest = r->prefix_len;
        }
    }
    for (size_t i = 0; longest > 0 && i < srv->num_routes; i++) {
        const struct route *r = &srv->routes[i];

        if (r->prefix_len == longest &&
            strncmp(path, r->prefix, r->prefix_len) == 0 &&
            method_ok(r, method)) {
            best = r;
        }
    }
    if (best != NULL || longest == 0) {
        return best;
    }
    for (size_t i = 0; i < srv->num_routes; i++) {
        const struct route *r = &srv->routes[i];

        /* A route for any method (NULL) would have matched. */
        if (r->prefix_len == longest &&
            strncmp(path, r->prefix, r->prefix_len) == 0) {
            allow_add(allow, ALLOW_LEN, r->method);
            if (strcmp(r->method, "GET") == 0) {
                allow_add(allow, ALLOW_LEN, "HEAD");
            }
        }
    }
    return NULL;
}

static void
response_clear(struct catena_http_response *resp)
{
    free(resp->body);
    for (size_t i = 0; i < resp->num_headers; i++) {
        free(resp->headers[i].value);
    }
    memset(resp, 0, sizeof(*resp));
}

static enum MHD_Result
dispatch(struct catena_http_server *srv, struct MHD_Connection *conn,
         const char *url, const char *method, struct req_ctx *rc)
{
    struct catena_http_request req;
    struct catena_http_response resp;
    struct MHD_Response *r;
    const struct route *route;
    const union MHD_ConnectionInfo *ci;
    char addr[NI_MAXHOST] = "";
    char allow[ALLOW_LEN];
    int hret;
    enum MHD_Result ret;

    route = find_route(srv, method, url, allow);
    if (route == NULL) {
        return allow[0] != '\0'
                   ? send_simple(conn, 405, "method not allowed\n", allow)
                   : send_simple(conn, 404, "not found\n", NULL);
    }
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        socklen_t len = ci->client_addr->sa_family == AF_INET6
                            ? sizeof(struct sockaddr_in6)
                            : sizeof(struct sockaddr_in);

        if (getnameinfo(ci->client_addr, len, addr, sizeof(addr), NULL, 0,
                        NI_NUMERICHOST) != 0) {
            addr[0] = '\0';
        }
    }
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = method;
    req.path = url;
    req.body = rc->body;
    req.body_len = rc->body_len;
    req.over_cap = rc->too_big;
    req.remote_addr = addr;
    req.conn = conn;
    req.priv = rc;
    /* Called again after an unpark: hand the state back, once. */
    req.resumed = rc->park_state;
    rc->park_state = NULL;
    rc->parked = 0;
    hret = route->handler(route->ctx, &req, &resp);
    if (rc->parked) {
        /* MHD calls on_request again once the connection is resumed; the
         * ticket's holder will unpark it, so a parked request is never
         * answered now, whatever the handler said. */
        if (hret != CATENA_HTTP_PARKED) {
            CATENA_ERROR("http: handler for %s parked and answered", url);
        }
        response_clear(&resp);
        return MHD_YES;
    }
    /* A handler that did not look at over_cap has answered as if the
     * request were empty: that answer is not sent. */
    if (rc->too_big && (hret != 0 || resp.status != 413)) {
        response_clear(&resp);
        return send_simple(conn, 413, "request body too large\n", NULL);
    }
    if (hret != 0 || resp.status < 100 || resp.status > 599) {
        response_clear(&resp);
        return send_simple(conn, 500, "internal error\n", NULL);
    }
    /* MHD frees the body with free() once sent. */
    r = MHD_create_response_from_buffer(resp.body_len,
                                        resp.body != NULL ? (void *)resp.body : (void *)"",
                                        resp.body != NULL
                                            ? MHD_RESPMEM_MUST_FREE
                                            : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        response_clear(&resp);
        return MHD_NO;
    }
    resp.body = NULL;
    if (resp.content_type != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                resp.content_type);
    }
    for (size_t i = 0; i < resp.num_headers; i++) {
        MHD_add_response_header(r, resp.headers[i].name,
                                resp.headers[i].value);
    }
    ret = MHD_queue_response(conn, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    response_clear(&resp);
    return ret;
}

struct catena_http_ticket *
catena_http_park(const struct catena_http_request *req, void *state,
                 void (*free_state)(void *))
{
    struct req_ctx *rc = req->priv;

    rc->parked = 1;
    rc->park_state = state;
    rc->park_free = free_state;
    if (!rc->counted) {
        rc->counted = 1;
        pthread_mutex_lock(&rc->srv->park_mu);
        rc->srv->num_parked++;
        pthread_mutex_unlock(&rc->srv->park_mu);
    }
    MHD_suspend_connection(req->conn);
    return (struct catena_http_ticket *)req->conn;
}

void
catena_http_unpark(struct catena_http_ticket *ticket)
{
    /* MHD queues the resume for the connection's own thread, which runs
     * it after the parking handler has returned. */
    MHD_resume_connection((struct MHD_Connection *)ticket);
}

/* expects_continue: the client waits for "100 Continue" before sending
 * its body (MHD sends that only to HTTP/1.1 clients). */
static int
expects_continue(struct MHD_Connection *conn, const char *version)
{
    const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_EXPECT);

    return e != NULL && strcasecmp(e, "100-continue") == 0 &&
           strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    struct catena_http_server *srv = cls;
    struct req_ctx *rc = *con_cls;

    if (rc == NULL) {
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t declared = 0;
        int unreadable = 0;

        rc = calloc(1, sizeof(*rc));
        if (rc == NULL) {
            return MHD_NO;
        }
        rc->srv = srv;
        *con_cls = rc;
        /* MHD has checked the syntax; beyond INT64_MAX is over any cap. */
        if (cl != NULL &&
            catena_parse_int64(cl, 0, INT64_MAX, &declared) != CATENA_OK) {
            unreadable = 1;
        }
        if (unreadable || (uint64_t)declared > srv->max_body) {
            rc->too_big = 1;
            /* Answered at once, before any of the body, if the client
             * has sent none yet (it waits for 100-continue, which an
             * answer now replaces) or announces more than is worth
             * reading; MHD then closes the connection. Otherwise the
             * body is dropped as it comes and answered at its end. */
            if (unreadable || (uint64_t)declared > srv->max_read ||
                expects_continue(conn, version)) {
                return dispatch(srv, conn, url, method, rc);
            }
        }
        rc->declared = rc->too_big ? 0 : (size_t)declared;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;

        *upload_data_size = 0;
        if (n > srv->max_read - rc->received) {
            /* MHD cannot queue an answer in the middle of a body. */
            CATENA_INFO("http: closing a connection sending more than %zu "
                        "bytes of body",
                        srv->max_read);
            return MHD_NO;
        }
        rc->received += n;
        if (rc->too_big || n > srv->max_body - rc->body_len) {
            rc->too_big = 1;
            free(rc->body);
            rc->body = NULL;
            rc->body_len = 0;
            rc->body_cap = 0;
            return MHD_YES;
        }
        if (rc->body_len + n > rc->body_cap) {
            /* The declared length (at most the cap) at once; without one
             * (chunked), doubling up to the cap. Not the cap itself for
             * every request: touching 64 KiB per small JWS costs page
             * faults once malloc has given the memory back. */
            size_t cap = rc->body_cap != 0 ? rc->body_cap * 2
                                           : (rc->declared != 0 ? rc->declared
                                                                : 4096);
            uint8_t *nb;

            while (cap < rc->body_len + n) {
                cap *= 2;
            }
            if (cap > srv->max_body) {
                cap = srv->max_body;
            }
            nb = realloc(rc->body, cap);
            if (nb == NULL) {
                return MHD_NO;
            }
            rc->body = nb;
            rc->body_cap = cap;
        }
        memcpy(rc->body + rc->body_len, upload_data, n);
        rc->body_len += n;
        return MHD_YES;
    }
    return dispatch(srv, conn, url, method, rc);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct req_ctx *rc = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (rc != NULL) {
        /* Parked, unparked, but never handed back to its handler. */
        if (rc->park_state != NULL && rc->park_free != NULL) {
            rc->park_free(rc->park_state);
        }
        if (rc->counted) {
            pthread_mutex_lock(&rc->srv->park_mu);
            rc->srv->num_parked--;
            pthread_cond_broadcast(&rc->srv->park_cv);
            pthread_mutex_unlock(&rc->srv->park_mu);
        }
        free(rc->body);
        free(rc);
        *con_cls = NULL;
    }
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    char safe[512];

    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    /* MHD's messages can quote what the peer sent. */
    CATENA_INFO("http: %s", catena_log_escape(safe, sizeof(safe), buf,
                                              strlen(buf)));
}

enum catena_rc
catena_http_server_start(struct catena_http_server *srv,
                         struct catena_err *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_OptionItem opts[12];
    size_t n = 0;

    if (srv->daemon != NULL) {
        return CATENA_OK;
    }
    if (srv->tls) {
        flags |= MHD_USE_TLS;
    }
    /* epoll where available; MHD_USE_AUTO picks it. */
    flags |= MHD_USE_AUTO;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
                                        (intptr_t)on_mhd_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET,
                                        srv->listen_fd, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                        (intptr_t)srv->num_threads, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        CONN_TIMEOUT_S, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                        MAX_CONNECTIONS, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                        (intptr_t)on_completed, NULL};
    if (srv->tls) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                            srv->cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                            srv->key_pem};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
                                   MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        return catena_err_set(err, CATENA_ERR_IO,
                              "cannot start the HTTP server");
    }
    /* MHD owns and closes the listening socket from here on. */
    srv->listen_fd = -1;
    return CATENA_OK;
}

int
catena_http_server_port(const struct catena_http_server *srv)
{
    return srv->port;
}

/* wait_parked_done waits, at most PARKED_DRAIN_MS, until every request
 * that was parked has completed (callers unpark them all first). */
static void
wait_parked_done(struct catena_http_server *srv)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += PARKED_DRAIN_MS / 1000;
    pthread_mutex_lock(&srv->park_mu);
    while (srv->num_parked > 0 &&
           pthread_cond_timedwait(&srv->park_cv, &srv->park_mu, &until) == 0) {
    }
    if (srv->num_parked > 0) {
        CATENA_WARN("http: stopping with %u parked request(s) unanswered",
                    srv->num_parked);
    }
    pthread_mutex_unlock(&srv->park_mu);
}

void
catena_http_server_free(struct catena_http_server *srv)
{
    if (srv == NULL) {
        return;
    }
    if (srv->daemon != NULL) {
        wait_parked_done(srv);
        /* Joins the worker threads: in-flight handlers finish first. */
        MHD_stop_daemon(srv->daemon);
    }
    pthread_cond_destroy(&srv->park_cv);
    pthread_mutex_destroy(&srv->park_mu);
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
    }
    for (size_t i = 0; i < srv->num_routes; i++) {
        route_free(&srv->routes[i]);
    }
    if (srv->key_pem != NULL) {
        OPENSSL_cleanse(srv->key_pem, strlen(srv->key_pem));
    }
    free(srv->key_pem);
    free(srv->cert_pem);
    free(srv);
}

const char *
catena_http_request_header(const struct catena_http_request *req,
                           const char *name)
{
    if (req == NULL || req->conn == NULL) {
        return NULL;
    }
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
                                       MHD_HEADER_KIND, name);
}

int
catena_http_response_header(struct catena_http_response *resp,
                            const char *name, const char *value)
{
    char *copy;

    if (resp->num_headers >= CATENA_HTTP_MAX_HEADERS) {
        return -1;
    }
    copy = strdup(value);
    if (copy == NULL) {
        return -1;
    }
    resp->headers[resp->num_headers].name = name;
    resp->headers[resp->num_headers].value = copy;
    resp->num_headers++;
    return 0;
}

int
catena_http_response_body(struct catena_http_response *resp, int status,
                          const char *content_type, const void *data,
                          size_t len)
{
    uint8_t *copy = NULL;

    if (len > 0) {
        copy = malloc(len);
        if (copy == NULL) {
            return -1;
        }
        memcpy(copy, data, len);
    }
    free(resp->body);
    resp->body = copy;
    resp->body_len = len;
    resp->status = status;
    resp->content_type = content_type;
    return 0;
}
