/*
 * main.c - "catena signer": the only process that opens CA private keys.
 *
 * Started by catena_signer_start on one end of a socketpair. It reseeds
 * its random generator (it was forked), makes itself undumpable, loads
 * the configuration and the keys, drops privileges, installs the seccomp
 * filter, says it is ready, and then answers requests from a dispatch
 * table until the other side closes the socket. A malformed or unknown
 * frame ends the conversation: the signer exits rather than guess.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "catena/config.h"
#include "catena/log.h"
#include "signer/signer.h"

/* The permitted requests. Anything not listed ends the conversation. */
static const struct {
    enum catena_signer_req type;
    const char *name;
} dispatch[] = {
    {CATENA_SIGNER_SIGN_CERT, "certificate"},
    {CATENA_SIGNER_SIGN_CRL, "CRL"},
    {CATENA_SIGNER_SIGN_OCSP, "OCSP response"},
    {CATENA_SIGNER_SIGN_JWS, "JWS"},
};

/* send_answer writes one response frame; failure ends the conversation. */
static int
send_answer(int fd, uint32_t id, enum catena_rc rc, const char *msg,
            const uint8_t *der, size_t der_len)
{
    struct catena_err err;
    uint8_t *body = NULL;
    size_t body_len = 0;
    int ok;

    catena_err_clear(&err);
    if (catena_signer_response_encode(rc, msg, der, der_len, &body, &body_len,
                                      &err) != CATENA_OK) {
        CATENA_ERROR("cannot encode an answer: %s", err.msg);
        return -1;
    }
    ok = catena_ipc_write(fd, CATENA_SIGNER_RESP, id, body, body_len,
                          catena_signer_response_caps,
                          catena_signer_num_response_caps, &err) == CATENA_OK;
    if (!ok) {
        CATENA_ERROR("cannot answer: %s", err.msg);
    }
    free(body);
    return ok ? 0 : -1;
}

/* serve answers requests until EOF (0) or a protocol error (1). */
static int
serve(int fd, const struct catena_signer_keys *keys)
{
    for (;;) {
        struct catena_ipc_frame f;
        struct catena_signer_request req;
        struct catena_err err;
        uint8_t *der = NULL;
        size_t der_len = 0;
        const char *name = NULL;
        enum catena_rc rc;
        int eof = 0;

        catena_err_clear(&err);
        rc = catena_ipc_read(fd, catena_signer_request_caps,
                             catena_signer_num_request_caps, -1, &f, &eof,
                             &err);
        if (rc != CATENA_OK) {
            if (eof) {
                return 0;
            }
            CATENA_ERROR("ending the conversation: %s", err.msg);
            return 1;
        }
        for (size_t i = 0; i < sizeof(dispatch) / sizeof(dispatch[0]); i++) {
            if ((unsigned)dispatch[i].type == f.type) {
                name = dispatch[i].name;
            }
        }
        if (name == NULL) {
            /* The caps table let it through but nothing handles it. */
            CATENA_ERROR("ending the conversation: request type %u is not "
                         "permitted",
                         f.type);
            catena_ipc_frame_free(&f);
            return 1;
        }
        if (catena_signer_request_decode(f.body, f.body_len, &req, &err) !=
            CATENA_OK) {
            CATENA_ERROR("ending the conversation: %s", err.msg);
            catena_ipc_frame_free(&f);
            return 1;
        }
        rc = catena_signer_handle(keys, (enum catena_signer_req)f.type, &req,
                                  &der, &der_len, &err);
        if (rc != CATENA_OK) {
            CATENA_WARN("refused to sign a %s for issuer %s: %s", name,
                        req.issuer, err.msg);
        }
        if (send_answer(fd, f.id, rc, err.msg, der, der_len) != 0) {
            free(der);
            catena_ipc_frame_free(&f);
            return 1;
        }
        free(der);
        catena_ipc_frame_free(&f);
    }
}

static void
usage(void)
{
    fprintf(stderr, "usage: catena signer --config FILE --fd N\n"
                    "(internal: started by catena serve and friends)\n");
}

int
catena_signer_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"fd", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    struct catena_config *cfg = NULL;
    struct catena_signer_keys *keys = NULL;
    struct catena_err err;
    unsigned char seed_check[32];
    int64_t fd = -1;
    const char *user;
    int c;
    int status = 1;

    catena_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'f':
            if (catena_parse_int64(optarg, 0, 1023, &fd) != CATENA_OK) {
                usage();
                return 2;
            }
            break;
        default:
            usage();
            return 2;
        }
    }
    if (config_path == NULL || fd < 0 || optind != argc) {
        usage();
        return 2;
    }
    /* A fork shares the parent's DRBG state until reseeded: reseed before
     * anything random happens, and fail closed if that is impossible. */
    if (RAND_poll() != 1 || RAND_bytes(seed_check, sizeof(seed_check)) != 1) {
        CATENA_ERROR("cannot seed the random generator");
        return 1;
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        CATENA_ERROR("cannot make the signer undumpable: %s", strerror(errno));
        return 1;
    }
    if (catena_config_load_ex(config_path, catena_core_config_schemas,
                              catena_core_num_config_schemas,
                              CATENA_CONFIG_SKIP_UNKNOWN_SECTIONS, &cfg,
                              &err) != CATENA_OK ||
        catena_signer_keys_load(cfg, &keys, &err) != CATENA_OK) {
        goto refuse;
    }
    user = catena_config_get(cfg, "signer", NULL, "user", NULL);
    if (catena_signer_drop_privileges(user, &err) != CATENA_OK ||
        catena_signer_sandbox(&err) != CATENA_OK) {
        goto refuse;
    }
    if (send_answer((int)fd, 0, CATENA_OK, NULL, NULL, 0) != 0) {
        goto out;
    }
    CATENA_DEBUG("signer ready");
    status = serve((int)fd, keys);
    goto out;
refuse:
    CATENA_ERROR("signer cannot start: %s", err.msg);
    (void)send_answer((int)fd, 0, err.code != CATENA_OK ? err.code
                                                         : CATENA_ERR_SIGNER,
                      err.msg, NULL, 0);
out:
    catena_signer_keys_free(keys);
    catena_config_free(cfg);
    close((int)fd);
    return status;
}
