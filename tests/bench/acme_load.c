/*
 * acme_load.c - ACME (RFC 8555) load driver for bench_acme.sh.
 *
 * N concurrent clients, one blocking thread each with its own keep-alive
 * HTTPS connection (acme_http.c, HTTP/1.1 straight over OpenSSL) and its
 * own P-256 account key. Each client makes its account once, then repeats
 * complete orders: newOrder -> authz -> POST the http-01 challenge -> poll
 * the authz -> finalize with a fresh key and CSR -> poll the order ->
 * download the certificate. Every order names a fresh domain, so authorization
 * reuse cannot help either CA.
 *
 * The http-01 answers come from this driver's own loopback responder: the
 * client index is part of each name ("-c<idx>-"), so the responder finds
 * the account thumbprint from the Host header alone.
 *
 * The driver replaced a Python one that cost as much CPU per order as the
 * servers it measured; it keeps that driver's command line and its JSON
 * output so bench_acme.sh reads both alike.
 *
 * Prints one JSON object: orders, orders/s, p50/p99 latency, errors, polls
 * per order and the driver's own CPU use (cores) over the measured window.
 *
 * usage: acme_load DIRECTORY CAFILE HTTP01_PORT [--clients N]
 *                  [--duration S] [--poll S] [--server-pid PID]...
 *                  [--procs P (accepted and ignored: one process)]
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme_http.h"
/* acme_b64u_encode and acme_jwk_thumbprint: the server's own base64url
 * (RFC 4648 section 5) and JWK thumbprint (RFC 7638). */
#include "internal.h"

/* Polls of one authorization or order before the order counts as failed. */
#define MAX_POLLS 400
/* badNonce answers in a row before a request counts as failed. */
#define NONCE_TRIES 5
#define NUM_FIRST_ERRORS 5
#define ERR_LEN 512
#define MAX_CLIENTS 4096
/* http-01 requests come from the CAs' validators: cap what they may send
 * and how long they may take to send it. */
#define H01_HEAD_MAX 8192
#define H01_TIMEOUT_MS 10000
#define H01_TOKEN_MAX 256
#define H01_PREFIX "/.well-known/acme-challenge/"

struct opts {
    const char *directory;
    const char *cafile;
    int h01_port;
    long clients;
    double duration;
    double poll;
    pid_t *server_pids;
    size_t num_server_pids;
    char run_id[16];
};

/* The first few error messages of the whole run, in arrival order. */
struct errlog {
    pthread_mutex_t mu;
    char *msgs[NUM_FIRST_ERRORS];
    size_t num_msgs;
};

struct client {
    const struct opts *o;
    struct errlog *log;
    pthread_barrier_t *ready;
    pthread_barrier_t *go;
    const double *t_end;
    size_t idx;
    struct ahttp http;
    EVP_PKEY *key;
    EVP_PKEY_CTX *sign_ctx;
    json_t *jwk;
    char thumb[48];
    char nonce[AHTTP_VALUE_MAX];
    char *kid;
    char *url_new_nonce;
    char *url_new_account;
    char *url_new_order;
    struct ahttp_resp r;
    char err[ERR_LEN];
    double *lat;
    size_t num_lat;
    size_t lat_cap;
    unsigned long errors;
    unsigned long polls;
    unsigned long bad_nonces;
    unsigned long retry_after_seen;
    int ok;
    pthread_t th;
};

struct responder {
    int fd;
    const struct client *clients;
    size_t num_clients;
    pthread_t *threads;
    size_t num_threads;
    atomic_int stop;
};

/* ---- small helpers ------------------------------------------------- */

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
    struct timespec ts;

    if (s <= 0) {
        return;
    }
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* cpu_self is the user+system CPU time of this process, all threads. */
static double
cpu_self(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* proc_cpu sets *out to utime + stime of |pid| in seconds from
 * /proc/PID/stat; returns 0, or -1 when the file cannot be read or parsed. */
static int
proc_cpu(pid_t pid, double *out)
{
    char path[64];
    char buf[4096];
    unsigned long long ticks[2];
    const char *p;
    size_t n;
    FILE *f;
    int field = 0;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and ')': fields follow the last
     * ')'; utime and stime are the 12th and 13th after it. */
    p = strrchr(buf, ')');
    if (p == NULL) {
        return -1;
    }
    p++;
    while (field < 13) {
        char *end;
        unsigned long long v;

        while (*p == ' ') {
            p++;
        }
        if (*p == '\0') {
            return -1;
        }
        errno = 0;
        v = strtoull(p, &end, 10);
        if (field >= 11) {
            if (errno != 0 || end == p || (*end != ' ' && *end != '\0')) {
                return -1;
            }
            ticks[field - 11] = v;
        }
        p += strcspn(p, " ");
        field++;
    }
    *out = (double)(ticks[0] + ticks[1]) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int
parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min ||
        v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* b64url_to copies the base64url form of |in| into |out| of |cap| bytes;
 * returns 0, or -1 when it does not fit. */
static int
b64url_to(const unsigned char *in, size_t len, char *out, size_t cap)
{
    char *s = acme_b64u_encode(in, len);
    size_t n;

    if (s == NULL) {
        return -1;
    }
    n = strlen(s);
    if (n >= cap) {
        free(s);
        return -1;
    }
    memcpy(out, s, n + 1);
    free(s);
    return 0;
}

static void
errlog_add(struct errlog *log, const char *what, const char *msg)
{
    char *s;
    size_t n;

    pthread_mutex_lock(&log->mu);
    if (log->num_msgs < NUM_FIRST_ERRORS) {
        n = strlen(what) + strlen(msg) + 3;
        s = malloc(n);
        if (s != NULL) {
            snprintf(s, n, "%s: %s", what, msg);
            log->msgs[log->num_msgs++] = s;
        }
    }
    pthread_mutex_unlock(&log->mu);
}

__attribute__((format(printf, 2, 3))) static int
fail(struct client *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* excerpt writes the first 200 bytes of the last body into |out|, with
 * anything unprintable as '?', for error messages. */
static const char *
excerpt(const struct client *c, char out[201])
{
    size_t n = c->r.body_len < 200 ? c->r.body_len : 200;

    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)c->r.body[i];
        out[i] = isprint(ch) ? (char)ch : isspace(ch) ? ' ' : '?';
    }
    out[n] = '\0';
    return out;
}

/* ---- keys, JWS, CSR ------------------------------------------------ */

static EVP_PKEY *
p256_new(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* key_jwk sets the client's public JWK (RFC 7518 section 6.2), for the
 * newAccount JWS, and its RFC 7638 thumbprint, for the http-01 key
 * authorizations, computed by the server's own acme_jwk_thumbprint. */
static int
key_jwk(struct client *c)
{
    BIGNUM *bx = NULL;
    BIGNUM *by = NULL;
    unsigned char x[32];
    unsigned char y[32];
    char jx[48];
    char jy[48];
    int rc = -1;

    if (EVP_PKEY_get_bn_param(c->key, OSSL_PKEY_PARAM_EC_PUB_X, &bx) != 1 ||
        EVP_PKEY_get_bn_param(c->key, OSSL_PKEY_PARAM_EC_PUB_Y, &by) != 1 ||
        BN_bn2binpad(bx, x, 32) != 32 || BN_bn2binpad(by, y, 32) != 32 ||
        b64url_to(x, 32, jx, sizeof(jx)) != 0 ||
        b64url_to(y, 32, jy, sizeof(jy)) != 0) {
        goto out;
    }
    c->jwk = json_pack("{s:s, s:s, s:s, s:s}", "crv", "P-256", "kty", "EC", "x",
                       jx, "y", jy);
    if (c->jwk == NULL || acme_jwk_thumbprint(c->jwk, c->thumb) != 0) {
        goto out;
    }
    rc = 0;
out:
    BN_free(bx);
    BN_free(by);
    return rc;
}

/* es256 signs |msg| with the account key and writes the JWS form of the
 * signature, r || s as two 32-byte big-endian numbers (RFC 7518 section
 * 3.4). The signing context is set up once per client and reused. */
static int
es256(struct client *c, const char *msg, size_t len, unsigned char out[64])
{
    ECDSA_SIG *sig = NULL;
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned char der[128];
    size_t der_len = sizeof(der);
    const unsigned char *p = der;
    int rc = -1;

    if (SHA256((const unsigned char *)msg, len, md) == NULL ||
        EVP_PKEY_sign(c->sign_ctx, der, &der_len, md, sizeof(md)) != 1) {
        goto out;
    }
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig == NULL || p != der + der_len ||
        BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) != 32) {
        goto out;
    }
    rc = 0;
out:
    ECDSA_SIG_free(sig);
    return rc;
}

/* csr_pubkey puts |key|'s P-256 public key into |req|. It writes the
 * SubjectPublicKeyInfo fields directly: X509_REQ_set_pubkey goes through
 * OpenSSL 3's encoder lookup, about 200 us, which was most of the driver's
 * cost per order. */
static int
csr_pubkey(X509_REQ *req, EVP_PKEY *key)
{
    unsigned char pt[65];
    unsigned char *penc;
    size_t len;

    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                        sizeof(pt), &len) != 1 ||
        len != sizeof(pt) || pt[0] != 0x04) {
        return -1;
    }
    penc = OPENSSL_memdup(pt, len);
    if (penc == NULL) {
        return -1;
    }
    if (X509_PUBKEY_set0_param(X509_REQ_get_X509_PUBKEY(req),
                               OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                               V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1),
                               penc, (int)len) != 1) {
        OPENSSL_free(penc);
        return -1;
    }
    return 0;
}

/* csr_b64 returns the base64url DER of a CSR for |name| (CN and one SAN
 * dNSName) under a fresh P-256 key, owned by the caller; NULL on failure. */
static char *
csr_b64(const char *name)
{
    EVP_PKEY *key = p256_new();
    X509_REQ *req = X509_REQ_new();
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    STACK_OF(X509_EXTENSION) *exts = NULL;
    unsigned char *der = NULL;
    char *out = NULL;
    int der_len;

    if (key == NULL || req == NULL || gens == NULL || gn == NULL ||
        ia5 == NULL || ASN1_STRING_set(ia5, name, -1) != 1) {
        goto out;
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    ia5 = NULL;
    if (sk_GENERAL_NAME_push(gens, gn) <= 0) {
        goto out;
    }
    gn = NULL;
    if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
        X509_NAME_add_entry_by_NID(
            X509_REQ_get_subject_name(req), NID_commonName, MBSTRING_ASC,
            (const unsigned char *)name, -1, -1, 0) != 1 ||
        csr_pubkey(req, key) != 0 ||
        X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0,
                        X509V3_ADD_DEFAULT) != 1 ||
        X509_REQ_add_extensions(req, exts) != 1 ||
        X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
        goto out;
    }
    der_len = i2d_X509_REQ(req, &der);
    if (der_len > 0) {
        out = acme_b64u_encode(der, (size_t)der_len);
    }
out:
    OPENSSL_free(der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ASN1_IA5STRING_free(ia5);
    GENERAL_NAME_free(gn);
    GENERAL_NAMES_free(gens);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return out;
}

/* ---- HTTP ---------------------------------------------------------- */

/* http sends one request and keeps the response in c->r, and its nonce,
 * if any, for the next JWS; returns 0 when a response (any status)
 * arrived, -1 with c->err on a transport failure or a malformed response.
 */
static int
http(struct client *c, enum ahttp_method m, const char *url, const char *body)
{
    if (ahttp_request(&c->http, &c->r, m, url, body, c->err, sizeof(c->err)) !=
        0) {
        return -1;
    }
    if (c->r.nonce[0] != '\0') {
        memcpy(c->nonce, c->r.nonce, sizeof(c->nonce));
    }
    return 0;
}

static const char *
str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- ACME ---------------------------------------------------------- */

/* post sends a JWS (RFC 8555 section 6.2) with |payload| (NULL: an empty
 * payload, POST-as-GET), signed by the account key and naming it by jwk
 * (newAccount) or kid. Retries on badNonce with the nonce that answer
 * carried. Returns 0 with the response in c->r, or -1 with c->err. */
static int
post(struct client *c, const char *url, const json_t *payload, int use_jwk)
{
    char *pl_json = NULL;
    char *pl = NULL;
    int rc = -1;

    if (payload != NULL) {
        pl_json = json_dumps(payload, JSON_COMPACT);
        pl = pl_json != NULL ? acme_b64u_encode((const unsigned char *)pl_json,
                                                strlen(pl_json))
                             : NULL;
    } else {
        pl = strdup("");
    }
    if (pl == NULL) {
        fail(c, "out of memory");
        goto out;
    }
    for (int attempt = 0; attempt < NONCE_TRIES; attempt++) {
        json_t *hdr = NULL;
        json_t *jws = NULL;
        char *hdr_json = NULL;
        char *prot = NULL;
        char *input = NULL;
        char *sig = NULL;
        char *body = NULL;
        unsigned char raw[64];
        size_t n;
        int sent = -1;

        if (c->nonce[0] == '\0') {
            if (http(c, AHTTP_HEAD, c->url_new_nonce, NULL) != 0) {
                goto out;
            }
            if (c->nonce[0] == '\0') {
                fail(c, "newNonce gave no Replay-Nonce");
                goto out;
            }
        }
        if (use_jwk) {
            hdr = json_pack("{s:s, s:s, s:s, s:O}", "alg", "ES256", "nonce",
                            c->nonce, "url", url, "jwk", c->jwk);
        } else {
            hdr = json_pack("{s:s, s:s, s:s, s:s}", "alg", "ES256", "nonce",
                            c->nonce, "url", url, "kid", c->kid);
        }
        /* A nonce is good for one request, whatever its answer. */
        c->nonce[0] = '\0';
        hdr_json = hdr != NULL ? json_dumps(hdr, JSON_COMPACT) : NULL;
        prot = hdr_json != NULL
                   ? acme_b64u_encode((const unsigned char *)hdr_json,
                                      strlen(hdr_json))
                   : NULL;
        if (prot != NULL) {
            n = strlen(prot) + 1 + strlen(pl) + 1;
            input = malloc(n);
        }
        if (input != NULL) {
            snprintf(input, n, "%s.%s", prot, pl);
            if (es256(c, input, n - 1, raw) == 0) {
                sig = acme_b64u_encode(raw, sizeof(raw));
            }
        }
        if (sig != NULL) {
            jws = json_pack("{s:s, s:s, s:s}", "protected", prot, "payload", pl,
                            "signature", sig);
        }
        body = jws != NULL ? json_dumps(jws, JSON_COMPACT) : NULL;
        if (body == NULL) {
            fail(c, "building the JWS failed");
        } else {
            sent = http(c, AHTTP_POST, url, body);
        }
        free(body);
        json_decref(jws);
        free(sig);
        free(input);
        free(prot);
        free(hdr_json);
        json_decref(hdr);
        if (sent != 0) {
            goto out;
        }
        if (c->r.status == 400 && c->r.body != NULL &&
            memmem(c->r.body, c->r.body_len, "badNonce", 8) != NULL) {
            c->bad_nonces++;
            continue;
        }
        rc = 0;
        goto out;
    }
    fail(c, "badNonce five times");
out:
    free(pl);
    free(pl_json);
    return rc;
}

/* reply_json checks that the last response has HTTP status |want| and
 * returns its body as a JSON object (owned by the caller); with |status|,
 * also its "status" member, which must be a string. NULL with c->err
 * otherwise. */
static json_t *
reply_json(struct client *c, long want, const char *what, const char **status)
{
    json_error_t je;
    char ex[201];
    json_t *j;

    if (c->r.status != want) {
        fail(c, "%s %ld %s", what, c->r.status, excerpt(c, ex));
        return NULL;
    }
    j = json_loadb(c->r.body != NULL ? c->r.body : "", c->r.body_len,
                   JSON_REJECT_DUPLICATES, &je);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        fail(c, "%s: response is not a JSON object", what);
        return NULL;
    }
    if (status != NULL && (*status = str_of(j, "status")) == NULL) {
        json_decref(j);
        fail(c, "%s has no status", what);
        return NULL;
    }
    return j;
}

/* post_json is post() by kid, then reply_json(). */
static json_t *
post_json(struct client *c, const char *url, const json_t *payload, long want,
          const char *what, const char **status)
{
    if (post(c, url, payload, 0) != 0) {
        return NULL;
    }
    return reply_json(c, want, what, status);
}

static int
account(struct client *c)
{
    json_t *dir = NULL;
    json_t *req = NULL;
    char ex[201];
    int rc = -1;

    if (http(c, AHTTP_GET, c->o->directory, NULL) != 0 ||
        (dir = reply_json(c, 200, "directory", NULL)) == NULL) {
        goto out;
    }
    if (str_of(dir, "newNonce") == NULL || str_of(dir, "newAccount") == NULL ||
        str_of(dir, "newOrder") == NULL) {
        fail(c, "directory lacks newNonce, newAccount or newOrder");
        goto out;
    }
    c->url_new_nonce = strdup(str_of(dir, "newNonce"));
    c->url_new_account = strdup(str_of(dir, "newAccount"));
    c->url_new_order = strdup(str_of(dir, "newOrder"));
    req = json_pack("{s:b}", "termsOfServiceAgreed", 1);
    if (c->url_new_nonce == NULL || c->url_new_account == NULL ||
        c->url_new_order == NULL || req == NULL) {
        fail(c, "out of memory");
        goto out;
    }
    if (post(c, c->url_new_account, req, 1) != 0) {
        goto out;
    }
    if (c->r.status != 200 && c->r.status != 201) {
        fail(c, "newAccount %ld %s", c->r.status, excerpt(c, ex));
        goto out;
    }
    if (c->r.location[0] == '\0') {
        fail(c, "newAccount gave no Location");
        goto out;
    }
    c->kid = strdup(c->r.location);
    if (c->kid == NULL) {
        fail(c, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(req);
    json_decref(dir);
    return rc;
}

/*
 * poll_wait waits before the next poll: min(Retry-After, --poll), or --poll
 * when the answer carries no usable Retry-After; every CA gets the same
 * rule. When to wait at all follows lego, a widely used client: after the
 * challenge POST it stops if the challenge is already valid, fails if it
 * is invalid, else polls the authorization (challenge/resolver/
 * solver_manager.go, validate()); after finalize it downloads at once if
 * the order is valid, else polls the order (certificate/certificates.go).
 * lego polls once straight away and then every Retry-After (5 s without
 * one); waiting first and capping the wait at --poll keeps a CA that asks
 * for a long wait from being measured as slower than it is.
 */
static void
poll_wait(struct client *c)
{
    double delay = c->o->poll;
    double ra;

    if (c->r.has_retry_after) {
        c->retry_after_seen++;
        if (parse_double(c->r.retry_after, -1e9, 1e9, &ra) == 0 && ra < delay) {
            delay = ra;
        }
    }
    c->polls++;
    sleep_s(delay);
}

/* problem_of writes the first 200 bytes of the RFC 7807 problem that made
 * |obj| (a challenge, or an authorization holding one) invalid. */
static const char *
problem_of(const json_t *obj, char out[201])
{
    const json_t *err = json_object_get(obj, "error");
    const json_t *ch;
    size_t i;
    char *s;

    json_array_foreach(json_object_get(obj, "challenges"), i, ch)
    {
        if (err == NULL) {
            err = json_object_get(ch, "error");
        }
    }
    s = err != NULL ? json_dumps(err, JSON_COMPACT) : NULL;
    snprintf(out, 201, "%s", s != NULL ? s : "without error");
    free(s);
    return out;
}

/* poll_until POSTs-as-GET |url| until its status is neither |busy1| nor
 * |busy2|, waiting by poll_wait between; returns the last object (owned by
 * the caller) with *status set, or NULL with c->err. */
static json_t *
poll_until(struct client *c, const char *url, const char *busy1,
           const char *busy2, const char *what, const char **status)
{
    for (int i = 0; i < MAX_POLLS; i++) {
        json_t *o = post_json(c, url, NULL, 200, what, status);

        if (o == NULL) {
            return NULL;
        }
        if (strcmp(*status, busy1) != 0 && strcmp(*status, busy2) != 0) {
            return o;
        }
        json_decref(o);
        poll_wait(c);
    }
    fail(c, "%s still busy after %d polls", what, MAX_POLLS);
    return NULL;
}

/* authorize completes one authorization by http-01. */
static int
authorize(struct client *c, const char *az)
{
    json_t *a;
    json_t *ch;
    json_t *empty = NULL;
    const char *st;
    const char *ch_url = NULL;
    char *url = NULL;
    char ex[201];
    size_t i;
    int rc = -1;

    a = post_json(c, az, NULL, 200, "authz", &st);
    if (a == NULL) {
        goto out;
    }
    if (strcmp(st, "valid") == 0) {
        rc = 0;
        goto out;
    }
    json_array_foreach(json_object_get(a, "challenges"), i, ch)
    {
        const char *t = str_of(ch, "type");

        if (t != NULL && strcmp(t, "http-01") == 0) {
            ch_url = str_of(ch, "url");
            break;
        }
    }
    if (ch_url == NULL || (url = strdup(ch_url)) == NULL) {
        fail(c, "authz offers no http-01 challenge");
        goto out;
    }
    json_decref(a);
    a = NULL;
    empty = json_object();
    if (empty == NULL) {
        fail(c, "out of memory");
        goto out;
    }
    a = post_json(c, url, empty, 200, "challenge", &st);
    if (a == NULL) {
        goto out;
    }
    if (strcmp(st, "valid") == 0) {
        /* Validated while we asked: the authorization is done. */
        rc = 0;
        goto out;
    }
    if (strcmp(st, "invalid") == 0) {
        fail(c, "challenge invalid %s", problem_of(a, ex));
        goto out;
    }
    json_decref(a);
    a = NULL;
    poll_wait(c);
    a = poll_until(c, az, "pending", "processing", "authz", &st);
    if (a == NULL) {
        goto out;
    }
    if (strcmp(st, "valid") != 0) {
        fail(c, "authz %s %s", st, problem_of(a, ex));
        goto out;
    }
    rc = 0;
out:
    json_decref(empty);
    json_decref(a);
    free(url);
    return rc;
}

/* order runs one complete order for |name|; returns 0 once the certificate
 * is downloaded, -1 with c->err. */
static int
order(struct client *c, const char *name)
{
    json_t *req;
    json_t *o = NULL;
    json_t *fin = NULL;
    json_t *done = NULL;
    json_t *az;
    const char *st;
    const char *fin_url;
    const char *cert_url;
    char *ourl = NULL;
    char *csr = NULL;
    size_t i;
    int rc = -1;

    req = json_pack("{s:[{s:s, s:s}]}", "identifiers", "type", "dns", "value",
                    name);
    if (req == NULL) {
        fail(c, "out of memory");
        goto out;
    }
    o = post_json(c, c->url_new_order, req, 201, "newOrder", NULL);
    if (o == NULL) {
        goto out;
    }
    if (c->r.location[0] == '\0' || (ourl = strdup(c->r.location)) == NULL) {
        fail(c, "newOrder gave no Location");
        goto out;
    }
    json_array_foreach(json_object_get(o, "authorizations"), i, az)
    {
        if (!json_is_string(az)) {
            fail(c, "newOrder: authorization is not a string");
            goto out;
        }
        if (authorize(c, json_string_value(az)) != 0) {
            goto out;
        }
    }
    fin_url = str_of(o, "finalize");
    csr = csr_b64(name);
    fin = csr != NULL ? json_pack("{s:s}", "csr", csr) : NULL;
    if (fin_url == NULL || fin == NULL) {
        fail(c, fin_url == NULL ? "order has no finalize URL"
                                : "building the CSR failed");
        goto out;
    }
    done = post_json(c, fin_url, fin, 200, "finalize", &st);
    if (done == NULL) {
        goto out;
    }
    if (strcmp(st, "valid") != 0) {
        /* Not issued yet: wait and poll the order (lego does the same). */
        json_decref(done);
        done = NULL;
        poll_wait(c);
        done = poll_until(c, ourl, "ready", "processing", "order", &st);
        if (done == NULL) {
            goto out;
        }
    }
    cert_url = str_of(done, "certificate");
    if (strcmp(st, "valid") != 0 || cert_url == NULL) {
        fail(c, "order %s without certificate", st);
        goto out;
    }
    if (post(c, cert_url, NULL, 0) != 0) {
        goto out;
    }
    if (c->r.status != 200 || c->r.body == NULL ||
        memmem(c->r.body, c->r.body_len, "BEGIN CERTIFICATE", 17) == NULL) {
        fail(c, "certificate %ld", c->r.status);
        goto out;
    }
    rc = 0;
out:
    json_decref(done);
    json_decref(fin);
    json_decref(o);
    json_decref(req);
    free(csr);
    free(ourl);
    return rc;
}

static int
lat_push(struct client *c, double v)
{
    if (c->num_lat == c->lat_cap) {
        size_t cap = c->lat_cap ? c->lat_cap * 2 : 256;
        double *nl = realloc(c->lat, cap * sizeof(*nl));

        if (nl == NULL) {
            return -1;
        }
        c->lat = nl;
        c->lat_cap = cap;
    }
    c->lat[c->num_lat++] = v;
    return 0;
}

static void *
client_main(void *arg)
{
    struct client *c = arg;
    char name[128];
    unsigned long seq = 0;

    if (account(c) == 0) {
        c->ok = 1;
    } else {
        char what[48];

        snprintf(what, sizeof(what), "client %zu setup", c->idx);
        errlog_add(c->log, what, c->err);
    }
    /* Every account exists before the measured window starts. */
    pthread_barrier_wait(c->ready);
    pthread_barrier_wait(c->go);
    while (c->ok && now_s() < *c->t_end) {
        double t0;

        seq++;
        snprintf(name, sizeof(name), "o%lu-c%zu-%s.bench.example.com", seq,
                 c->idx, c->o->run_id);
        t0 = now_s();
        c->err[0] = '\0';
        if (order(c, name) == 0) {
            double t1 = now_s();

            /* Orders finishing after the window are not part of it. */
            if (t1 <= *c->t_end && lat_push(c, t1 - t0) != 0) {
                fail(c, "out of memory");
                c->errors++;
                errlog_add(c->log, name, c->err);
            }
        } else {
            c->errors++;
            errlog_add(c->log, name, c->err);
            sleep_s(0.05);
        }
    }
    return NULL;
}

/* ---- http-01 responder --------------------------------------------- */

/* h01_read reads a request head (up to the blank line) into |buf| within
 * H01_TIMEOUT_MS; returns its length, or -1 when it is too long, too slow,
 * the peer went away or the responder is stopping. */
static ssize_t
h01_read(const struct responder *h, int fd, char *buf, size_t cap)
{
    double deadline = now_s() + H01_TIMEOUT_MS / 1000.0;
    size_t len = 0;

    while (len < cap - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)((deadline - now_s()) * 1000);
        int rc;
        ssize_t n;

        /* Wake up now and then so a stalled peer cannot hold the exit. */
        if (left <= 0 || atomic_load(&h->stop)) {
            return -1;
        }
        rc = poll(&p, 1, left < 200 ? left : 200);
        if (rc < 0 && errno != EINTR) {
            return -1;
        }
        if (rc <= 0) {
            continue;
        }
        n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (memmem(buf, len, "\r\n\r\n", 4) != NULL) {
            return (ssize_t)len;
        }
    }
    return -1;
}

/* h01_client finds the client index in the Host header: the first label
 * of every name holds "-c<idx>-". Returns -1 when absent or out of range. */
static long
h01_client(const char *head, size_t num_clients)
{
    const char *line = strstr(head, "\r\n");

    while (line != NULL && line[2] != '\r') {
        const char *p = line + 2;
        const char *end = strstr(p, "\r\n");

        if (end != NULL && strncasecmp(p, "host:", 5) == 0) {
            p += 5;
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            /* The first "-c<digits>-" in the first label decides. */
            for (; p < end && (isalnum((unsigned char)*p) || *p == '-'); p++) {
                size_t idx = 0;
                const char *d = p + 2;

                if (p[0] != '-' || (p[1] != 'c' && p[1] != 'C') ||
                    !isdigit((unsigned char)*d)) {
                    continue;
                }
                for (; isdigit((unsigned char)*d); d++) {
                    /* Saturate: any index past the last client is out. */
                    if (idx < num_clients) {
                        idx = idx * 10 + (size_t)(*d - '0');
                    }
                }
                if (*d == '-') {
                    return idx < num_clients ? (long)idx : -1;
                }
            }
            return -1;
        }
        line = end;
    }
    return -1;
}

static void
h01_serve(const struct responder *h, int fd)
{
    char head[H01_HEAD_MAX];
    char out[512];
    const char *status = "404 Not Found";
    const char *token;
    const char *sp;
    size_t token_len = 0;
    long idx;
    int body_len = 0;
    int n;

    if (h01_read(h, fd, head, sizeof(head)) < 0) {
        return;
    }
    token = head + 4 + strlen(H01_PREFIX);
    if (strncmp(head, "GET " H01_PREFIX, 4 + strlen(H01_PREFIX)) == 0 &&
        (sp = strchr(token, ' ')) != NULL) {
        token_len = (size_t)(sp - token);
        for (size_t i = 0; i < token_len; i++) {
            if (!isalnum((unsigned char)token[i]) && token[i] != '-' &&
                token[i] != '_') {
                token_len = 0;
                break;
            }
        }
    }
    idx = h01_client(head, h->num_clients);
    if (token_len > 0 && token_len <= H01_TOKEN_MAX && idx >= 0) {
        status = "200 OK";
        body_len = (int)token_len + 1 + (int)strlen(h->clients[idx].thumb);
    }
    n = snprintf(out, sizeof(out),
                 "HTTP/1.1 %s\r\nContent-Length: %d\r\n"
                 "Connection: close\r\n\r\n",
                 status, body_len);
    if (body_len > 0) {
        n += snprintf(out + n, sizeof(out) - (size_t)n, "%.*s.%s",
                      (int)token_len, token, h->clients[idx].thumb);
    }
    for (size_t off = 0; n > 0 && off < (size_t)n;) {
        ssize_t w = send(fd, out + off, (size_t)n - off, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        off += (size_t)w;
    }
}

static void *
h01_main(void *arg)
{
    struct responder *h = arg;
    struct timeval tv = {.tv_sec = H01_TIMEOUT_MS / 1000};

    for (;;) {
        int fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (atomic_load(&h->stop)) {
                return NULL;
            }
            if (errno != EINTR && errno != ECONNABORTED) {
                sleep_s(0.01);
            }
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        h01_serve(h, fd);
        close(fd);
    }
}

/* h01_start listens on 127.0.0.1:port and starts the threads that answer
 * there; several, so one slow validator connection blocks no other. */
static int
h01_start(struct responder *h, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    size_t num;
    int one = 1;

    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->fd < 0) {
        return -1;
    }
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(h->fd, 512) != 0) {
        return -1;
    }
    num = h->num_clients < 4 ? 4 : h->num_clients;
    if (num > 64) {
        num = 64;
    }
    /* num_threads counts only threads that run: h01_stop joins that many
     * whatever failed here. */
    h->threads = calloc(num, sizeof(*h->threads));
    if (h->threads == NULL) {
        return -1;
    }
    for (; h->num_threads < num; h->num_threads++) {
        if (pthread_create(&h->threads[h->num_threads], NULL, h01_main, h) !=
            0) {
            return -1;
        }
    }
    return 0;
}

/* h01_stop wakes the threads blocked in accept() (shutdown makes it fail
 * on Linux) and joins them. */
static void
h01_stop(struct responder *h)
{
    atomic_store(&h->stop, 1);
    if (h->fd >= 0) {
        shutdown(h->fd, SHUT_RDWR);
    }
    for (size_t i = 0; i < h->num_threads; i++) {
        pthread_join(h->threads[i], NULL);
    }
    if (h->fd >= 0) {
        close(h->fd);
    }
    free(h->threads);
}

/* ---- main ---------------------------------------------------------- */

static void
usage(void)
{
    fprintf(stderr,
            "usage: acme_load DIRECTORY CAFILE HTTP01_PORT [--clients N]\n"
            "                 [--duration S] [--poll S] [--server-pid PID]...\n"
            "                 [--procs P (ignored: one process)]\n");
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
    const char *pos[3];
    size_t num_pos = 0;
    long l;

    o->clients = 8;
    o->duration = 20;
    o->poll = 0.02;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        size_t name_len;

        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (num_pos == 3) {
                return -1;
            }
            pos[num_pos++] = a;
            continue;
        }
        /* --name VALUE or --name=VALUE, as argparse takes them. */
        v = strchr(a, '=');
        if (v != NULL) {
            name_len = (size_t)(v - a);
            v++;
        } else {
            name_len = strlen(a);
            if (i + 1 == argc) {
                return -1;
            }
            v = argv[++i];
        }
#define IS(s) (name_len == strlen(s) && strncmp(a, s, name_len) == 0)
        if (IS("--clients")) {
            if (parse_long(v, 1, MAX_CLIENTS, &o->clients) != 0) {
                return -1;
            }
        } else if (IS("--duration")) {
            if (parse_double(v, 0.001, 1e6, &o->duration) != 0) {
                return -1;
            }
        } else if (IS("--poll")) {
            if (parse_double(v, 0, 3600, &o->poll) != 0) {
                return -1;
            }
        } else if (IS("--procs")) {
            if (parse_long(v, 0, MAX_CLIENTS, &l) != 0) {
                return -1;
            }
        } else if (IS("--server-pid")) {
            pid_t *np;

            if (parse_long(v, 1, INT32_MAX, &l) != 0) {
                return -1;
            }
            np =
                realloc(o->server_pids, (o->num_server_pids + 1) * sizeof(*np));
            if (np == NULL) {
                return -1;
            }
            o->server_pids = np;
            o->server_pids[o->num_server_pids++] = (pid_t)l;
        } else {
            return -1;
        }
#undef IS
    }
    if (num_pos != 3 || parse_long(pos[2], 1, 65535, &l) != 0) {
        return -1;
    }
    o->directory = pos[0];
    o->cafile = pos[1];
    o->h01_port = (int)l;
    return 0;
}

/* servers_cpu sums proc_cpu over the --server-pid processes. */
static int
servers_cpu(const struct opts *o, double *out)
{
    *out = 0;
    for (size_t i = 0; i < o->num_server_pids; i++) {
        double v;

        if (proc_cpu(o->server_pids[i], &v) != 0) {
            fprintf(stderr, "acme_load: cannot read CPU of pid %ld\n",
                    (long)o->server_pids[i]);
            return -1;
        }
        *out += v;
    }
    return 0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
pct(const double *lat, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n);

    if (n == 0) {
        return 0;
    }
    return lat[i < n - 1 ? i : n - 1] * 1000;
}

/* run_id is a short random tag that keeps names unique between runs. */
static int
make_run_id(struct opts *o)
{
    unsigned char r[4];

    if (RAND_bytes(r, sizeof(r)) != 1 ||
        b64url_to(r, sizeof(r), o->run_id, sizeof(o->run_id)) != 0) {
        return -1;
    }
    for (char *p = o->run_id; *p != '\0'; p++) {
        if (*p == '_') {
            *p = 'x';
        } else if (*p == '-') {
            *p = 'y';
        } else if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    return 0;
}

static int
report(const struct opts *o, struct client *cl, struct errlog *log,
       double driver_cpu, double server_cpu)
{
    unsigned long errors = 0, polls = 0, retry_after = 0, bad_nonces = 0;
    size_t n = 0;
    double *lat = NULL;
    json_t *res;
    json_t *errs;
    char *s;
    int rc = -1;

    for (long k = 0; k < o->clients; k++) {
        n += cl[k].num_lat;
    }
    lat = malloc((n ? n : 1) * sizeof(*lat));
    if (lat == NULL) {
        return -1;
    }
    n = 0;
    for (long k = 0; k < o->clients; k++) {
        if (cl[k].num_lat > 0) {
            memcpy(lat + n, cl[k].lat, cl[k].num_lat * sizeof(*lat));
        }
        n += cl[k].num_lat;
        errors += cl[k].errors;
        polls += cl[k].polls;
        retry_after += cl[k].retry_after_seen;
        bad_nonces += cl[k].bad_nonces;
    }
    qsort(lat, n, sizeof(*lat), cmp_double);
    errs = json_array();
    for (size_t i = 0; errs != NULL && i < log->num_msgs; i++) {
        json_array_append_new(errs, json_string(log->msgs[i]));
    }
    res = json_pack(
        "{s:I, s:i, s:f, s:I, s:f, s:f, s:f, s:I, s:f, s:I, s:I, s:f, s:f, "
        "s:o}",
        "clients", (json_int_t)o->clients, "procs", 1, "duration", o->duration,
        "orders", (json_int_t)n, "orders_per_s", (double)n / o->duration,
        "p50_ms", pct(lat, n, 0.50), "p99_ms", pct(lat, n, 0.99), "errors",
        (json_int_t)errors, "polls_per_order",
        (double)polls / (double)(n ? n : 1), "retry_after_headers",
        (json_int_t)retry_after, "bad_nonces", (json_int_t)bad_nonces,
        "driver_cpu_cores", driver_cpu / o->duration, "server_cpu_cores",
        server_cpu / o->duration, "first_errors", errs);
    s = res != NULL ? json_dumps(res, JSON_REAL_PRECISION(10)) : NULL;
    if (s != NULL) {
        printf("%s\n", s);
        rc = fflush(stdout) == 0 ? 0 : -1;
    }
    free(s);
    json_decref(res);
    free(lat);
    return rc;
}

static void
client_free(struct client *c)
{
    ahttp_close(&c->http);
    ahttp_resp_free(&c->r);
    EVP_PKEY_CTX_free(c->sign_ctx);
    EVP_PKEY_free(c->key);
    json_decref(c->jwk);
    free(c->kid);
    free(c->url_new_nonce);
    free(c->url_new_account);
    free(c->url_new_order);
    free(c->lat);
}

int
main(int argc, char **argv)
{
    struct opts o = {0};
    struct errlog log = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct responder h = {.fd = -1};
    pthread_barrier_t ready, go;
    struct client *cl = NULL;
    SSL_CTX *tls = NULL;
    char msg[ERR_LEN];
    double t_end = 0;
    double cpu0, cpu1, scpu0, scpu1;
    long started = 0;
    int rc = 1;

    if (parse_args(argc, argv, &o) != 0) {
        usage();
        free(o.server_pids);
        return 2;
    }
    /* A validator or server closing early must not kill the driver. */
    signal(SIGPIPE, SIG_IGN);
    tls = ahttp_ctx_new(o.cafile, msg, sizeof(msg));
    if (tls == NULL) {
        fprintf(stderr, "acme_load: %s\n", msg);
        goto out;
    }
    if (make_run_id(&o) != 0) {
        fprintf(stderr, "acme_load: setup failed\n");
        goto out;
    }
    cl = calloc((size_t)o.clients, sizeof(*cl));
    if (cl == NULL) {
        goto out;
    }
    /* Before anything can fail: client_free closes every connection. */
    for (long k = 0; k < o.clients; k++) {
        ahttp_init(&cl[k].http, tls);
    }
    for (long k = 0; k < o.clients; k++) {
        cl[k].o = &o;
        cl[k].log = &log;
        cl[k].ready = &ready;
        cl[k].go = &go;
        cl[k].t_end = &t_end;
        cl[k].idx = (size_t)k;
        cl[k].key = p256_new();
        cl[k].sign_ctx = cl[k].key != NULL
                             ? EVP_PKEY_CTX_new_from_pkey(NULL, cl[k].key, NULL)
                             : NULL;
        if (cl[k].sign_ctx == NULL || EVP_PKEY_sign_init(cl[k].sign_ctx) != 1 ||
            key_jwk(&cl[k]) != 0) {
            fprintf(stderr, "acme_load: key generation failed\n");
            goto out;
        }
    }
    h.clients = cl;
    h.num_clients = (size_t)o.clients;
    if (h01_start(&h, o.h01_port) != 0) {
        fprintf(stderr, "acme_load: responder did not start on port %d: %s\n",
                o.h01_port, strerror(errno));
        goto out;
    }
    pthread_barrier_init(&ready, NULL, (unsigned)o.clients + 1);
    pthread_barrier_init(&go, NULL, (unsigned)o.clients + 1);
    for (; started < o.clients; started++) {
        if (pthread_create(&cl[started].th, NULL, client_main, &cl[started]) !=
            0) {
            /* The threads already started wait at the barrier for ever. */
            fprintf(stderr, "acme_load: cannot start client threads\n");
            _exit(1);
        }
    }
    pthread_barrier_wait(&ready);
    cpu0 = cpu_self();
    if (servers_cpu(&o, &scpu0) != 0) {
        _exit(1);
    }
    t_end = now_s() + o.duration;
    pthread_barrier_wait(&go);
    sleep_s(t_end - now_s());
    cpu1 = cpu_self();
    if (servers_cpu(&o, &scpu1) != 0) {
        _exit(1);
    }
    for (long k = 0; k < started; k++) {
        pthread_join(cl[k].th, NULL);
    }
    pthread_barrier_destroy(&ready);
    pthread_barrier_destroy(&go);
    if (report(&o, cl, &log, cpu1 - cpu0, scpu1 - scpu0) == 0) {
        rc = 0;
    }
out:
    if (h.threads != NULL || h.fd >= 0) {
        h01_stop(&h);
    }
    for (long k = 0; cl != NULL && k < o.clients; k++) {
        client_free(&cl[k]);
    }
    free(cl);
    for (size_t i = 0; i < log.num_msgs; i++) {
        free(log.msgs[i]);
    }
    free(o.server_pids);
    SSL_CTX_free(tls);
    return rc;
}
