/*
 * service.h - what a front door (acme/, crl/, spiffe/) gives "catena serve":
 * its configuration schema and a start/stop pair. cmd_serve.c lists them.
 */
#ifndef CATENA_SERVICE_H
#define CATENA_SERVICE_H

#include <stddef.h>

#include "catena/err.h"

struct catena_ca;
struct catena_config;
struct catena_config_schema;
struct catena_http_server;

struct catena_service_env {
    struct catena_ca *ca;                /* core handle, signer running */
    const struct catena_config *cfg;
    struct catena_http_server *http;     /* the plain-HTTP listener ([http]) */
};

struct catena_service {
    const char *name;                    /* "crl", "acme", "spiffe" */
    const struct catena_config_schema *const *schemas;
    size_t num_schemas;
    /*
     * start returns CATENA_OK and sets |*state| (NULL if the configuration
     * switches the service off). It may add routes to env->http before the
     * listener starts, and start its own threads and listeners.
     */
    enum catena_rc (*start)(const struct catena_service_env *env,
                            void **state, struct catena_err *err);
    /* stop finishes in-flight work and frees |state|; NULL is a no-op. */
    void (*stop)(void *state);
};

#endif
