/*
 * mpic_client.c - the primary network perspective's side of
 * Multi-Perspective Issuance Corroboration (TLS BR 3.2.2.9). Once this
 * server has validated a challenge and checked CAA itself, it asks every
 * configured remote perspective ([acme_perspective "NAME"] sections) to
 * do the same, all at once (one libcurl multi transfer each), and lets
 * the quorum rules of mpic_quorum.c decide. A perspective that does not
 * answer, answers late or answers anything but a clean "valid" counts as
 * not corroborating: the check fails closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "catena/config.h"
#include "catena/log.h"
#include "internal.h"
#include "mpic.h"

static const struct catena_config_key perspective_keys[] = {
    {"url", CATENA_CONF_STRING,
     "https://host:port of a \"catena perspective\" agent"},
    {"rir", CATENA_CONF_STRING,
     "its Regional Internet Registry: AFRINIC, APNIC, ARIN, LACNIC or RIPE"},
};

const struct catena_config_schema acme_mpic_perspective_schema = {
    "acme_perspective", 1, perspective_keys,
    sizeof(perspective_keys) / sizeof(perspective_keys[0])};

#define MAX_URL 512
/* The longest the primary waits for all perspectives: each gives a
 * check 10 s, and the answer has to travel back. */
#define DEFAULT_TIMEOUT_S 15
#define CONNECT_MS 5000L

struct remote {
    char name[ACME_MPIC_MAX_NAME + 1];
    char url[MAX_URL + 16]; /* with "/corroborate" */
    enum acme_rir rir;
};

struct acme_mpic {
    struct remote remotes[ACME_MPIC_MAX_REMOTE];
    size_t num;
    char auth[ACME_MPIC_MAX_SECRET + 32]; /* "Authorization: Bearer ..." */
    char *ca_file;
    long timeout_ms;
};

/* ---- configuration -------------------------------------------------- */

void
acme_mpic_free(struct acme_mpic *m)
{
    if (m == NULL) {
        return;
    }
    OPENSSL_cleanse(m->auth, sizeof(m->auth));
    free(m->ca_file);
    free(m);
}

static enum catena_rc
load_remote(const struct catena_config *cfg, const char *name,
            struct remote *r, struct catena_err *err)
{
    const char *url = catena_config_get(cfg, "acme_perspective", name, "url",
                                        NULL);
    const char *rir = catena_config_get(cfg, "acme_perspective", name, "rir",
                                        NULL);
    size_t n;

    if (strlen(name) == 0 || strlen(name) > ACME_MPIC_MAX_NAME) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "acme_perspective names: 1..%d characters",
                              ACME_MPIC_MAX_NAME);
    }
    snprintf(r->name, sizeof(r->name), "%s", name);
    if (url == NULL || strncmp(url, "https://", 8) != 0 ||
        (n = strlen(url)) <= 8 || n > MAX_URL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "acme_perspective \"%s\": url must be an "
                              "https:// URL of at most %d characters",
                              name, MAX_URL);
    }
    while (n > 8 && url[n - 1] == '/') {
        n--;
    }
    snprintf(r->url, sizeof(r->url), "%.*s/corroborate", (int)n, url);
    if (acme_rir_parse(rir, &r->rir) != 0) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "acme_perspective \"%s\": rir must be AFRINIC, "
                              "APNIC, ARIN, LACNIC or RIPE",
                              name);
    }
    return CATENA_OK;
}

/* check_schedule refuses a set of perspectives that the BRs would refuse
 * today even if every one corroborated, and warns of the next step. */
static enum catena_rc
check_schedule(const struct acme_mpic *m, int64_t now, struct catena_err *err)
{
    struct acme_mpic_vote votes[ACME_MPIC_MAX_REMOTE];
    char why[300], day[32];
    int next_min;
    int64_t next;

    for (size_t i = 0; i < m->num; i++) {
        votes[i].rir = m->remotes[i].rir;
        votes[i].corroborated = 1;
    }
    if (acme_mpic_decide(votes, m->num, now, why, sizeof(why)) !=
        ACME_MPIC_OK) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "acme_perspective: %s", why);
    }
    next = acme_mpic_next_step(now, &next_min);
    if (next != 0 && m->num < (size_t)next_min &&
        next - now < 60 * INT64_C(86400)) {
        acme_time_str(next, day);
        CATENA_WARN("acme: %zu remote perspectives configured; from %s TLS "
                    "BR 3.2.2.9 requires %d, and validations will fail "
                    "until more are added",
                    m->num, day, next_min);
    }
    return CATENA_OK;
}

enum catena_rc
acme_mpic_load(const struct catena_config *cfg, int64_t now,
               struct acme_mpic **out, struct catena_err *err)
{
    size_t num = 0;
    const char *const *names = catena_config_subs(cfg, "acme_perspective",
                                                  &num);
    struct acme_mpic *m;
    char secret[ACME_MPIC_MAX_SECRET + 1];
    const char *ca_file;
    int64_t timeout = DEFAULT_TIMEOUT_S;
    enum catena_rc rc;

    *out = NULL;
    if (num == 0) {
        CATENA_WARN("acme: no remote network perspectives: challenges and "
                    "CAA are checked from this host only (a publicly-"
                    "trusted CA needs TLS BR 3.2.2.9: [acme_perspective] "
                    "sections)");
        return CATENA_OK;
    }
    if (num > ACME_MPIC_MAX_REMOTE) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "at most %d acme_perspective sections",
                              ACME_MPIC_MAX_REMOTE);
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "acme perspectives");
    }
    for (size_t i = 0; i < num; i++) {
        if ((rc = load_remote(cfg, names[i], &m->remotes[i], err)) !=
            CATENA_OK) {
            goto fail;
        }
        m->num++;
    }
    if ((rc = check_schedule(m, now, err)) != CATENA_OK) {
        goto fail;
    }
    ca_file = catena_config_get(cfg, "acme", NULL, "perspective_ca", NULL);
    if (ca_file == NULL || (m->ca_file = strdup(ca_file)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.perspective_ca (the PEM trust anchors of "
                            "the perspectives' HTTPS certificates) is "
                            "required with acme_perspective sections");
        goto fail;
    }
    rc = acme_mpic_secret_load(
        catena_config_get(cfg, "acme", NULL, "perspective_secret_file", NULL),
        secret, err);
    if (rc != CATENA_OK) {
        catena_err_set(err, CATENA_ERR_CONFIG, "acme.perspective_secret_file: %s",
                       err->msg);
        goto fail;
    }
    snprintf(m->auth, sizeof(m->auth), "Authorization: Bearer %s", secret);
    OPENSSL_cleanse(secret, sizeof(secret));
    rc = catena_config_get_duration(cfg, "acme", NULL, "perspective_timeout",
                                    DEFAULT_TIMEOUT_S, &timeout, err);
    if (rc != CATENA_OK) {
        goto fail;
    }
    if (timeout < 1 || timeout > 60) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "acme.perspective_timeout: 1s..60s");
        goto fail;
    }
    m->timeout_ms = (long)timeout * 1000;
    CATENA_INFO("acme: %zu remote network perspectives (MPIC, TLS BR "
                "3.2.2.9)",
                m->num);
    *out = m;
    return CATENA_OK;
fail:
    acme_mpic_free(m);
    return rc;
}

/* ---- one round of checks -------------------------------------------- */

struct answer {
    char *buf;
    size_t len;
    int too_big;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct answer *a = arg;
    size_t n = size * nmemb;
    char *b;

    if (a->len + n > ACME_MPIC_MAX_BODY) {
        a->too_big = 1;
        return 0;
    }
    b = realloc(a->buf, a->len + n + 1);
    if (b == NULL) {
        return 0;
    }
    memcpy(b + a->len, p, n);
    a->len += n;
    b[a->len] = '\0';
    a->buf = b;
    return n;
}

static char *
request_body(const struct acme_mpic_check *c)
{
    json_t *o = json_pack("{s:{s:s, s:s}, s:b}", "identifier", "type",
                          c->id_type, "value", c->id_value, "wildcard",
                          c->wildcard);
    char *s;

    if (o == NULL) {
        return NULL;
    }
    if (c->chal_type != NULL) {
        json_object_set_new(o, "challenge",
                            json_pack("{s:s, s:s, s:s}", "type", c->chal_type,
                                      "token", c->token, "keyAuthorization",
                                      c->keyauth));
    }
    if (c->caa) {
        json_t *ids = json_array();
        json_t *caa = json_object();

        for (size_t i = 0; i < c->num_caa_ids; i++) {
            json_array_append_new(ids, json_string(c->caa_ids[i]));
        }
        json_object_set_new(caa, "identities", ids);
        if (c->account_uri != NULL) {
            json_object_set_new(caa, "accountURI",
                                json_string(c->account_uri));
        }
        if (c->method != NULL) {
            json_object_set_new(caa, "method", json_string(c->method));
        }
        json_object_set_new(o, "caa", caa);
    }
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/*
 * judge reads one perspective's answer to |c|: 1 if it corroborates,
 * else 0 with |why| saying what it reported and |*prob| the ACME problem
 * it named (ACME_PROB__MAX when it named none: it failed, not the
 * applicant).
 */
static int
judge(const struct acme_mpic_check *c, CURLcode cc, long code,
      const struct answer *a, enum acme_prob *prob, char *why, size_t len)
{
    static const char *const parts[] = {"challenge", "caa"};
    json_t *o;
    int ok = 1;

    *prob = ACME_PROB__MAX;
    if (cc != CURLE_OK) {
        snprintf(why, len, "%s", a->too_big ? "answer too large"
                                            : curl_easy_strerror(cc));
        return 0;
    }
    if (code != 200) {
        snprintf(why, len, "HTTP %ld", code);
        return 0;
    }
    o = a->buf != NULL ? json_loadb(a->buf, a->len, JSON_REJECT_DUPLICATES,
                                    NULL)
                       : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        snprintf(why, len, "answer is not a JSON object");
        return 0;
    }
    for (size_t i = 0; i < 2 && ok; i++) {
        const json_t *p = json_object_get(o, parts[i]);
        const char *st = json_string_value(json_object_get(p, "status"));
        const json_t *pr = json_object_get(p, "problem");
        int asked = i == 0 ? c->chal_type != NULL : c->caa;

        if (!asked) {
            continue;
        }
        if (st != NULL && strcmp(st, "valid") == 0) {
            continue;
        }
        ok = 0;
        if (st == NULL || strcmp(st, "invalid") != 0) {
            snprintf(why, len, "no %s outcome in the answer", parts[i]);
            break;
        }
        {
            enum acme_prob p2 = acme_prob_from_type(
                json_string_value(json_object_get(pr, "type")));
            const char *d = json_string_value(json_object_get(pr, "detail"));

            /* Only the problems a validation or CAA check can give are
             * passed on to the applicant. */
            switch (p2) {
            case ACME_PROB_CAA:
            case ACME_PROB_DNS:
            case ACME_PROB_CONNECTION:
            case ACME_PROB_INCORRECT_RESPONSE:
            case ACME_PROB_TLS:
            case ACME_PROB_UNAUTHORIZED:
            case ACME_PROB_MALFORMED:
                *prob = p2;
                break;
            default:
                break;
            }
            snprintf(why, len, "%s%s: %.150s", i == 0 ? "challenge " : "",
                     *prob != ACME_PROB__MAX ? acme_prob_type(*prob) +
                                                   strlen("urn:ietf:params:"
                                                          "acme:error:")
                                             : "invalid",
                     d != NULL ? d : "(no detail)");
        }
    }
    json_decref(o);
    return ok;
}

static CURL *
easy_for(const struct acme_mpic *m, const struct remote *r, const char *body,
         struct curl_slist *hdrs, struct answer *a)
{
    CURL *e = curl_easy_init();

    if (e == NULL ||
        curl_easy_setopt(e, CURLOPT_URL, r->url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_CAINFO, m->ca_file) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        /* Straight to the perspective: a proxy would be one more path an
         * attacker could sit on, and the same for every perspective. */
        curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         m->timeout_ms < CONNECT_MS ? m->timeout_ms
                                                    : CONNECT_MS) !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, m->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_WRITEDATA, a) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_USERAGENT, "catena-acme-mpic") !=
            CURLE_OK) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

/* run_all asks every perspective at once and fills |codes| and |res|. */
static void
run_all(const struct acme_mpic *m, CURL **easy, CURLcode *res)
{
    CURLM *multi = curl_multi_init();
    int running = 0;
    CURLMsg *msg;
    int left;

    for (size_t i = 0; i < m->num; i++) {
        res[i] = CURLE_FAILED_INIT;
    }
    if (multi == NULL) {
        return;
    }
    for (size_t i = 0; i < m->num; i++) {
        if (easy[i] != NULL) {
            curl_multi_add_handle(multi, easy[i]);
        }
    }
    /* Each transfer has its own CURLOPT_TIMEOUT_MS, so this ends. */
    do {
        if (curl_multi_perform(multi, &running) != CURLM_OK) {
            break;
        }
        if (running > 0 &&
            curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK) {
            break;
        }
    } while (running > 0);
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        for (size_t i = 0; i < m->num; i++) {
            if (easy[i] == msg->easy_handle) {
                res[i] = msg->data.result;
            }
        }
    }
    for (size_t i = 0; i < m->num; i++) {
        if (easy[i] != NULL) {
            curl_multi_remove_handle(multi, easy[i]);
        }
    }
    curl_multi_cleanup(multi);
}

enum acme_prob
acme_mpic_corroborate(const struct acme_mpic *m,
                      const struct acme_mpic_check *c, int64_t now,
                      char *detail, size_t detail_len)
{
    struct acme_mpic_vote votes[ACME_MPIC_MAX_REMOTE];
    struct answer answers[ACME_MPIC_MAX_REMOTE];
    CURL *easy[ACME_MPIC_MAX_REMOTE];
    CURLcode res[ACME_MPIC_MAX_REMOTE];
    enum acme_prob first = ACME_PROB__MAX;
    enum acme_mpic_verdict verdict;
    struct curl_slist *hdrs = NULL, *h2;
    char why[300], reasons[1500] = "";
    size_t used = 0;
    char *body = request_body(c);

    memset(answers, 0, sizeof(answers));
    memset(easy, 0, sizeof(easy));
    hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    h2 = hdrs != NULL ? curl_slist_append(hdrs, m->auth) : NULL;
    if (body == NULL || h2 == NULL) {
        free(body);
        curl_slist_free_all(hdrs);
        snprintf(detail, detail_len, "out of memory");
        return ACME_PROB_SERVER_INTERNAL;
    }
    for (size_t i = 0; i < m->num; i++) {
        easy[i] = easy_for(m, &m->remotes[i], body, hdrs, &answers[i]);
    }
    run_all(m, easy, res);
    for (size_t i = 0; i < m->num; i++) {
        enum acme_prob p = ACME_PROB__MAX;
        long code = 0;
        char one[300];

        if (easy[i] != NULL) {
            curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &code);
        }
        votes[i].rir = m->remotes[i].rir;
        votes[i].corroborated =
            judge(c, res[i], code, &answers[i], &p, one, sizeof(one));
        if (!votes[i].corroborated) {
            int n = snprintf(reasons + used, sizeof(reasons) - used, "%s%s: %s",
                             used > 0 ? "; " : "", m->remotes[i].name, one);
            if (n > 0) {
                used += (size_t)n < sizeof(reasons) - used
                            ? (size_t)n
                            : sizeof(reasons) - used - 1;
            }
            if (first == ACME_PROB__MAX) {
                first = p; /* stays __MAX while none named a problem */
            }
        }
        curl_easy_cleanup(easy[i]);
        free(answers[i].buf);
    }
    curl_slist_free_all(hdrs);
    free(body);
    verdict = acme_mpic_decide(votes, m->num, now, why, sizeof(why));
    if (verdict == ACME_MPIC_OK) {
        if (used > 0) {
            CATENA_INFO("acme: MPIC for %s corroborated despite: %s",
                        c->id_value, reasons);
        }
        return ACME_PROB_NONE;
    }
    snprintf(detail, detail_len,
             "multi-perspective corroboration failed (TLS BR 3.2.2.9): %s%s%s",
             why, used > 0 ? ": " : "", reasons);
    CATENA_WARN("acme: MPIC for %s %s: %s", c->id_type, c->id_value, detail);
    /* What the perspectives saw, when they saw a problem of the
     * applicant's; a CA-side failure (too few perspectives, none
     * answering, one RIR) is the CA's own. */
    if (verdict == ACME_MPIC_QUORUM && first != ACME_PROB__MAX) {
        return first;
    }
    return ACME_PROB_SERVER_INTERNAL;
}
