/*
 * http.h - the HTTP listener (libmicrohttpd, thread pool) that the services
 * of "catena serve" register routes on. TLS (for ACME) is optional per
 * server. Handlers see a whole, size-capped request and fill a response.
 */
#ifndef CATENA_HTTP_H
#define CATENA_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"

struct catena_http_server;

#define CATENA_HTTP_MAX_HEADERS 16

struct catena_http_request {
    const char *method;       /* "GET", "POST", "HEAD", ... */
    const char *path;         /* URL path, not decoded beyond MHD's own */
    const uint8_t *body;      /* NULL if none */
    size_t body_len;
    const char *remote_addr;  /* textual peer address */
    void *conn;               /* for catena_http_request_header */
    void *resumed;            /* see catena_http_park; NULL otherwise */
    void *priv;               /* the listener's own per-request state */
    int over_cap;             /* the body went over the cap: see below */
};

struct catena_http_header {
    const char *name;  /* static or owned by the response (see below) */
    char *value;       /* malloc'd; freed by the server */
};

struct catena_http_response {
    int status;
    const char *content_type;  /* static string */
    uint8_t *body;             /* malloc'd; freed by the server; may be NULL */
    size_t body_len;
    struct catena_http_header headers[CATENA_HTTP_MAX_HEADERS];
    size_t num_headers;
};

/*
 * A handler returns 0 after filling |resp|, CATENA_HTTP_PARKED after
 * catena_http_park; anything else makes the server answer 500 without a
 * body.
 *
 * A request whose body is larger than the cap still reaches its route's
 * handler, with req->over_cap set and no body, so that a service can
 * refuse it in its own format (ACME: a problem document with its nonce).
 * Such a call must not act on the request nor park it. Its answer is sent
 * only if its status is 413; any other (a handler that does not look at
 * over_cap) is replaced by the listener's plain 413.
 */
#define CATENA_HTTP_PARKED 2
typedef int (*catena_http_handler)(void *ctx,
                                   const struct catena_http_request *req,
                                   struct catena_http_response *resp);

struct catena_http_options {
    const char *listen;         /* "127.0.0.1:8080" or "[::1]:8443" */
    const char *tls_cert_file;  /* PEM chain; NULL = plain HTTP */
    const char *tls_key_file;
    unsigned num_threads;       /* 0 = 4 */
    size_t max_body;            /* 0 = 64 KiB */
};

/* catena_http_server_new binds and listens; routes may be added until
 * catena_http_server_start. */
enum catena_rc catena_http_server_new(const struct catena_http_options *opts,
                                      struct catena_http_server **out,
                                      struct catena_err *err) CATENA_WUR;

/*
 * catena_http_route sends requests whose path starts with |prefix| (the
 * longest matching prefix wins) to |handler|. |method| may be NULL for any.
 */
enum catena_rc catena_http_route(struct catena_http_server *srv,
                                 const char *method, const char *prefix,
                                 catena_http_handler handler, void *ctx,
                                 struct catena_err *err) CATENA_WUR;

enum catena_rc catena_http_server_start(struct catena_http_server *srv,
                                        struct catena_err *err) CATENA_WUR;

/* catena_http_server_port returns the bound port (useful with port 0). */
int catena_http_server_port(const struct catena_http_server *srv);

/* catena_http_server_free stops (finishing in-flight requests) and frees. */
void catena_http_server_free(struct catena_http_server *srv);

/*
 * Parking lets a handler answer a request later without holding one of
 * the listener's threads (which also serve other connections): ACME
 * answers a challenge POST once its validation is done, so clients need
 * not poll. catena_http_park, called from a handler that then returns
 * CATENA_HTTP_PARKED, stops reading the connection and returns a ticket.
 * Some thread must then call catena_http_unpark(ticket) exactly once (also
 * before catena_http_server_free: the listener cannot stop while a
 * request is parked); the handler is then called again, on a listener
 * thread, with the same request and req->resumed = |state|, which the
 * handler then owns. Should the connection end without that call (the
 * peer went away), the listener frees |state| with |free_state| (may be
 * NULL). Must not be called twice for one call of the handler.
 */
struct catena_http_ticket;
struct catena_http_ticket *catena_http_park(
    const struct catena_http_request *req, void *state,
    void (*free_state)(void *));
void catena_http_unpark(struct catena_http_ticket *ticket);

/* catena_http_request_header returns a request header value or NULL. */
const char *catena_http_request_header(const struct catena_http_request *req,
                                       const char *name);

/* catena_http_response_header adds a header (value copied). Returns 0 on
 * success, -1 if full or out of memory. */
int catena_http_response_header(struct catena_http_response *resp,
                                const char *name, const char *value);

/* catena_http_response_body sets a copy of |data| as the body. 0 / -1. */
int catena_http_response_body(struct catena_http_response *resp, int status,
                              const char *content_type, const void *data,
                              size_t len);

#endif
