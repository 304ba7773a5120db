/*
 * perspective.c - a remote network perspective for Multi-Perspective
 * Issuance Corroboration (TLS BR 3.2.2.9): "catena perspective" runs it
 * on a host in another network, with its own DNS resolver, and the ACME
 * server asks it to repeat a challenge validation and a CAA check. It
 * holds no CA key and no store: one HTTPS endpoint (mpic.h describes the
 * exchange), a shared secret that admits only the primary, and the same
 * validators and CAA code the primary runs. Every request is answered
 * from scratch: nothing learned for one request, and nothing the primary
 * saw, is reused (BR 3.2.2.9 forbids sharing results between
 * perspectives; this process keeps no CAA answers either).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "catena/acme.h"
#include "catena/caa.h"
#include "catena/config.h"
#include "catena/http.h"
#include "catena/log.h"
#include "internal.h"
#include "mpic.h"
#include "validate.h"

static const struct catena_config_key perspective_keys[] = {
    {"name", CATENA_CONF_STRING,
     "this perspective's name in answers and logs (1..64 of A-Z a-z 0-9 . _ -)"},
    {"listen", CATENA_CONF_LISTEN, "HTTPS listen address, e.g. 0.0.0.0:8555"},
    {"tls_cert", CATENA_CONF_PATH, "PEM chain of the HTTPS certificate"},
    {"tls_key", CATENA_CONF_PATH, "PEM private key of the HTTPS certificate"},
    {"secret_file", CATENA_CONF_PATH,
     "file holding the secret the ACME server presents (32..256 characters)"},
    {"dns_resolver", CATENA_CONF_STRING,
     "this perspective's DNS server ip:port (default system)"},
    {"http01_port", CATENA_CONF_INT, "port for http-01 (default 80)"},
    {"tlsalpn01_port", CATENA_CONF_INT, "port for tls-alpn-01 (default 443)"},
    {"threads", CATENA_CONF_INT,
     "HTTP threads, each running one check at a time (default 16)"},
    {"log_level", CATENA_CONF_STRING, "debug, info, warn or error (default info)"},
};

static const struct catena_config_schema perspective_schema = {
    "perspective", 0, perspective_keys,
    sizeof(perspective_keys) / sizeof(perspective_keys[0])};

const struct catena_config_schema *const catena_perspective_schemas[] = {
    &perspective_schema};
const size_t catena_perspective_num_schemas = 1;

/* How long one check may take here: the primary waits a little longer. */
#define CHECK_TIMEOUT_MS 10000u

struct catena_perspective {
    struct catena_http_server *http;
    char name[ACME_MPIC_MAX_NAME + 1];
    unsigned char secret_hash[SHA256_DIGEST_LENGTH];
    const char *resolver;
    int http01_port;
    int tlsalpn01_port;
};

/* ---- answers -------------------------------------------------------- */

static int
reply(struct catena_http_response *resp, int status, json_t *obj)
{
    char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    int rc;

    json_decref(obj);
    if (s == NULL) {
        resp->status = 500;
        return 0;
    }
    rc = catena_http_response_body(resp, status,
                                   status >= 400 ? "application/problem+json"
                                                 : "application/json",
                                   s, strlen(s));
    free(s);
    if (rc != 0) {
        resp->status = 500;
    }
    return 0;
}

static int
reply_problem(struct catena_http_response *resp, enum acme_prob p, int status,
              const char *detail)
{
    json_t *o = acme_prob_json(p, detail, NULL);

    if (o != NULL) {
        json_object_set_new(o, "status", json_integer(status));
    }
    return reply(resp, status, o);
}

/* outcome is {"status": "valid"} or {"status": "invalid", "problem": P}. */
static json_t *
outcome(enum acme_prob p, const char *detail)
{
    if (p == ACME_PROB_NONE) {
        return json_pack("{s:s}", "status", "valid");
    }
    return json_pack("{s:s, s:{s:s, s:s}}", "status", "invalid", "problem",
                     "type", acme_prob_type(p), "detail", detail);
}

/* ---- the request ---------------------------------------------------- */

/* authorized compares the bearer token with the secret through their
 * hashes, so that neither its length nor a prefix leaks by timing. */
static int
authorized(const struct catena_perspective *ps,
           const struct catena_http_request *req)
{
    const char *h = catena_http_request_header(req, "Authorization");
    unsigned char got[SHA256_DIGEST_LENGTH];

    if (h == NULL || strncmp(h, "Bearer ", 7) != 0 ||
        strlen(h + 7) > ACME_MPIC_MAX_SECRET) {
        return 0;
    }
    SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
    return CRYPTO_memcmp(got, ps->secret_hash, sizeof(got)) == 0;
}

/* A string member of at most |max| bytes, or NULL. */
static const char *
str_member(const json_t *o, const char *key, size_t max)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        return NULL;
    }
    return json_string_value(v);
}

/* A DNS name as the ACME server would send it: LDH labels and dots. */
static int
plausible_dns(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.')) {
            return 0;
        }
    }
    return 1;
}

/* run_challenge repeats the validation; NULL with |bad| set when the
 * request itself is malformed. */
static json_t *
run_challenge(const struct catena_perspective *ps, const json_t *ch,
              const char *id_type, const char *id_value, int wildcard,
              const char **bad)
{
    struct acme_validation_opts vo = {0};
    struct catena_err verr = {0};
    enum acme_validation_problem vp = ACME_VPROB_NONE;
    const char *type = str_member(ch, "type", 16);
    const char *token = str_member(ch, "token", ACME_VALIDATE_MAX_TOKEN);
    const char *ka = str_member(ch, "keyAuthorization",
                                ACME_VALIDATE_MAX_KEYAUTH);
    enum acme_chal_type ct;

    if (!json_is_object(ch) || type == NULL || token == NULL || ka == NULL ||
        json_object_size(ch) != 3) {
        *bad = "challenge needs exactly type, token and keyAuthorization";
        return NULL;
    }
    if ((ct = acme_chal_type_parse(type)) == ACME_CHAL__MAX) {
        *bad = "unknown challenge type";
        return NULL;
    }
    vo.resolver = ps->resolver;
    vo.http_port = ps->http01_port;
    vo.tlsalpn_port = ps->tlsalpn01_port;
    vo.timeout_ms = CHECK_TIMEOUT_MS;
    /* As the primary: a wildcard's authorization names the base domain,
     * and only dns-01 may prove it (RFC 8555 7.1.3). */
    if (wildcard && ct != ACME_CHAL_DNS01) {
        return outcome(ACME_PROB_MALFORMED,
                       "wildcard identifiers need dns-01");
    }
    if (acme_validate(&vo, ct, id_type, id_value, token, ka, &vp, &verr) !=
        CATENA_OK) {
        return outcome(acme_prob_from_validation(vp), verr.msg);
    }
    return outcome(ACME_PROB_NONE, NULL);
}

/* run_caa repeats the CAA check for a dns identifier. */
static json_t *
run_caa(const struct catena_perspective *ps, const json_t *caa,
        const char *id_value, int wildcard, const char **bad)
{
    struct catena_caa_opts o = {0};
    struct catena_err err = {0};
    const char *ids[ACME_MPIC_MAX_IDENTITIES];
    const json_t *list = json_object_get(caa, "identities");
    const json_t *acct = json_object_get(caa, "accountURI");
    const json_t *method = json_object_get(caa, "method");
    const json_t *v;
    size_t i, known = 1;
    char detail[600];
    enum catena_rc rc;

    if (!json_is_object(caa) || !json_is_array(list) ||
        json_array_size(list) == 0 ||
        json_array_size(list) > ACME_MPIC_MAX_IDENTITIES) {
        *bad = "caa.identities must be 1..8 CA domains";
        return NULL;
    }
    json_array_foreach(list, i, v)
    {
        if (!json_is_string(v) || !plausible_dns(json_string_value(v))) {
            *bad = "caa.identities must be 1..8 CA domains";
            return NULL;
        }
        ids[i] = json_string_value(v);
    }
    if (acct != NULL) {
        known++;
        if ((o.account_uri = str_member(caa, "accountURI", 512)) == NULL) {
            *bad = "caa.accountURI must be a string of at most 512 bytes";
            return NULL;
        }
    }
    if (method != NULL) {
        known++;
        if ((o.validation_method = str_member(caa, "method", 32)) == NULL) {
            *bad = "caa.method must be a short string";
            return NULL;
        }
    }
    if (json_object_size(caa) != known) {
        *bad = "caa has unknown members";
        return NULL;
    }
    o.resolver = ps->resolver;
    o.identities = ids;
    o.num_identities = json_array_size(list);
    rc = catena_caa_check(&o, id_value, wildcard, CATENA_CAA_ISSUE, &err);
    if (rc == CATENA_OK) {
        return outcome(ACME_PROB_NONE, NULL);
    }
    snprintf(detail, sizeof(detail), "CAA for %s: %s", id_value, err.msg);
    /* Fail closed: a lookup that did not answer refuses, as a DNS problem. */
    return outcome(rc == CATENA_ERR_CAA ? ACME_PROB_CAA : ACME_PROB_DNS,
                   detail);
}

static int
corroborate(void *ctx, const struct catena_http_request *req,
            struct catena_http_response *resp)
{
    const struct catena_perspective *ps = ctx;
    json_error_t jerr;
    json_t *in = NULL, *out = NULL, *part;
    const json_t *id, *ch, *caa, *wc;
    const char *id_type, *id_value, *bad = NULL;
    size_t known = 1;
    int wildcard = 0;

    if (req->over_cap) {
        return reply_problem(resp, ACME_PROB_MALFORMED, 413,
                             "request body too large");
    }
    if (strcmp(req->path, "/corroborate") != 0) {
        return reply_problem(resp, ACME_PROB_MALFORMED, 404, "no such resource");
    }
    if (!authorized(ps, req)) {
        CATENA_WARN("perspective: refused a request from %s: bad or no "
                    "secret", req->remote_addr);
        return reply_problem(resp, ACME_PROB_UNAUTHORIZED, 401,
                             "a valid bearer secret is required");
    }
    in = req->body != NULL
             ? json_loadb((const char *)req->body, req->body_len,
                          JSON_REJECT_DUPLICATES, &jerr)
             : NULL;
    id = json_object_get(in, "identifier");
    id_type = str_member(id, "type", 3);
    id_value = str_member(id, "value", 253);
    ch = json_object_get(in, "challenge");
    caa = json_object_get(in, "caa");
    wc = json_object_get(in, "wildcard");
    if (!json_is_object(in) || !json_is_object(id) || id_type == NULL ||
        id_value == NULL || json_object_size(id) != 2) {
        bad = "a JSON object with an identifier {type, value} is required";
    } else if (strcmp(id_type, "dns") != 0 && strcmp(id_type, "ip") != 0) {
        bad = "identifier.type must be dns or ip";
    } else if (strcmp(id_type, "dns") == 0 && !plausible_dns(id_value)) {
        bad = "identifier.value is not a DNS name";
    } else if (ch == NULL && caa == NULL) {
        bad = "nothing to check: give a challenge, caa, or both";
    } else if (caa != NULL && strcmp(id_type, "dns") != 0) {
        bad = "CAA applies to dns identifiers only";
    } else if (wc != NULL && !json_is_boolean(wc)) {
        bad = "wildcard must be a boolean";
    }
    if (bad == NULL) {
        wildcard = json_is_true(wc);
        known += (ch != NULL) + (caa != NULL) + (wc != NULL);
        if (json_object_size(in) != known) {
            bad = "the request has unknown members";
        }
    }
    if (bad == NULL &&
        (out = json_pack("{s:s}", "perspective", ps->name)) == NULL) {
        json_decref(in);
        return reply_problem(resp, ACME_PROB_SERVER_INTERNAL, 500,
                             "out of memory");
    }
    if (bad == NULL && ch != NULL) {
        part = run_challenge(ps, ch, id_type, id_value, wildcard, &bad);
        if (part != NULL) {
            json_object_set_new(out, "challenge", part);
        }
    }
    if (bad == NULL && caa != NULL) {
        part = run_caa(ps, caa, id_value, wildcard, &bad);
        if (part != NULL) {
            json_object_set_new(out, "caa", part);
        }
    }
    if (bad != NULL) {
        json_decref(in);
        json_decref(out);
        return reply_problem(resp, ACME_PROB_MALFORMED, 400, bad);
    }
    {
        const json_t *c = json_object_get(out, "challenge");
        const json_t *a = json_object_get(out, "caa");
        CATENA_INFO("perspective: %s %s: challenge %s, caa %s", id_type,
                    id_value,
                    c != NULL ? json_string_value(json_object_get(c, "status"))
                              : "-",
                    a != NULL ? json_string_value(json_object_get(a, "status"))
                              : "-");
    }
    json_decref(in); /* id_type and id_value point into it */
    return reply(resp, 200, out);
}

/* ---- start and stop ------------------------------------------------- */

static int
valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > ACME_MPIC_MAX_NAME) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

static enum catena_rc
get_port(const struct catena_config *cfg, const char *key, int def, int *out,
         struct catena_err *err)
{
    int64_t v;
    enum catena_rc rc =
        catena_config_get_int(cfg, "perspective", NULL, key, def, &v, err);

    if (rc != CATENA_OK) {
        return rc;
    }
    if (v < 1 || v > 65535) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "perspective.%s: 1..65535", key);
    }
    *out = (int)v;
    return CATENA_OK;
}

void
catena_perspective_stop(struct catena_perspective *ps)
{
    if (ps == NULL) {
        return;
    }
    catena_http_server_free(ps->http);
    OPENSSL_cleanse(ps->secret_hash, sizeof(ps->secret_hash));
    free(ps);
}

enum catena_rc
catena_perspective_start(const struct catena_config *cfg,
                         struct catena_perspective **out,
                         struct catena_err *err)
{
    struct catena_perspective *ps = calloc(1, sizeof(*ps));
    struct catena_http_options ho = {0};
    const char *name = catena_config_get(cfg, "perspective", NULL, "name", NULL);
    char secret[ACME_MPIC_MAX_SECRET + 1];
    int64_t threads = 16;
    enum catena_rc rc;

    *out = NULL;
    if (ps == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "perspective");
    }
    if (name == NULL || !valid_name(name)) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "perspective.name: 1..64 of A-Z a-z 0-9 . _ -");
        goto fail;
    }
    snprintf(ps->name, sizeof(ps->name), "%s", name);
    rc = acme_mpic_secret_load(
        catena_config_get(cfg, "perspective", NULL, "secret_file", NULL),
        secret, err);
    if (rc != CATENA_OK) {
        goto fail;
    }
    SHA256((const unsigned char *)secret, strlen(secret), ps->secret_hash);
    OPENSSL_cleanse(secret, sizeof(secret));
    ps->resolver = catena_config_get(cfg, "perspective", NULL, "dns_resolver",
                                     NULL);
    if ((rc = get_port(cfg, "http01_port", 80, &ps->http01_port, err)) !=
            CATENA_OK ||
        (rc = get_port(cfg, "tlsalpn01_port", 443, &ps->tlsalpn01_port,
                       err)) != CATENA_OK ||
        (rc = catena_config_get_int(cfg, "perspective", NULL, "threads", 16,
                                    &threads, err)) != CATENA_OK) {
        goto fail;
    }
    if (threads < 1 || threads > 256) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "perspective.threads: 1..256");
        goto fail;
    }
    ho.listen = catena_config_get(cfg, "perspective", NULL, "listen", NULL);
    ho.tls_cert_file =
        catena_config_get(cfg, "perspective", NULL, "tls_cert", NULL);
    ho.tls_key_file = catena_config_get(cfg, "perspective", NULL, "tls_key",
                                        NULL);
    ho.num_threads = (unsigned)threads;
    ho.max_body = ACME_MPIC_MAX_BODY;
    if (ho.listen == NULL || ho.tls_cert_file == NULL ||
        ho.tls_key_file == NULL) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "perspective.listen, tls_cert and tls_key are "
                            "required (the secret travels over HTTPS only)");
        goto fail;
    }
    /* Each check asks the resolver afresh: an answer kept from an
     * earlier request would let a record changed since (or an answer
     * poisoned then) decide this one. */
    if ((rc = catena_caa_cache_set_max_ttl(0, err)) != CATENA_OK ||
        (rc = catena_http_server_new(&ho, &ps->http, err)) != CATENA_OK ||
        (rc = catena_http_route(ps->http, "POST", "/", corroborate, ps,
                                err)) != CATENA_OK ||
        (rc = catena_http_server_start(ps->http, err)) != CATENA_OK) {
        goto fail;
    }
    CATENA_INFO("perspective %s: listening on %s (resolver %s)", ps->name,
                ho.listen, ps->resolver != NULL ? ps->resolver : "system");
    *out = ps;
    return CATENA_OK;
fail:
    catena_perspective_stop(ps);
    return rc;
}
