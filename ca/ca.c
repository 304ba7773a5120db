/*
 * ca.c - the CA handle: issuer certificates and chains loaded from the
 * configuration (never keys), URLs, the signer handle and revocation
 * listeners.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/caa.h"
#include "catena/config.h"
#include "catena/log.h"
#include "catena/store.h"
#include "core.h"

#define MAX_ISSUERS 32
#define MAX_LISTENERS 8
#define MAX_CHAIN_FILE (1024 * 1024)

struct issuer {
    char *name;
    X509 *cert;
    uint8_t *der;
    size_t der_len;
    char *chain_pem;
    char *profiles; /* comma list */
    int num_shards;
    int64_t store_id;
    uint8_t spki_sha256[32];
    /* The delegated OCSP responder's key, if its certificate exists:
     * an end-entity certificate must not certify it either. */
    int has_ocsp_key;
    uint8_t ocsp_spki_sha256[32];
};

struct listener {
    catena_revoke_listener fn;
    void *ctx;
};

struct catena_ca {
    const struct catena_config *cfg;
    struct catena_signer *signer;
    struct issuer issuers[MAX_ISSUERS];
    const char *names[MAX_ISSUERS];
    size_t num_issuers;
    const char *store_url;
    char base_url[512];
    const char *trust_domain;
    uint8_t prefix;
    pthread_mutex_t lock; /* guards listeners */
    struct listener listeners[MAX_LISTENERS];
    size_t num_listeners;
};

static const struct issuer *
find_issuer(const struct catena_ca *ca, const char *name)
{
    if (ca == NULL || name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < ca->num_issuers; i++) {
        if (strcmp(ca->issuers[i].name, name) == 0) {
            return &ca->issuers[i];
        }
    }
    return NULL;
}

static enum catena_rc
load_issuer(struct catena_ca *ca, const char *name, int allow_missing,
            struct catena_err *err)
{
    const struct catena_config *cfg = ca->cfg;
    const char *cert_path = catena_config_get(cfg, "issuer", name, "cert",
                                              NULL);
    const char *chain_path = catena_config_get(cfg, "issuer", name, "chain",
                                               NULL);
    const char *ocsp_path = catena_config_get(cfg, "issuer", name,
                                              "ocsp_cert", NULL);
    struct issuer *is = &ca->issuers[ca->num_issuers];
    struct stat st;
    FILE *f = NULL;
    unsigned char *der = NULL;
    EVP_PKEY *pk = NULL;
    int64_t shards = 1;
    int len;
    enum catena_rc rc;

    if (cert_path == NULL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[issuer \"%s\"] has no cert", name);
    }
    if (allow_missing && stat(cert_path, &st) != 0 && errno == ENOENT) {
        return CATENA_OK;
    }
    if (ca->num_issuers >= MAX_ISSUERS) {
        return catena_err_set(err, CATENA_ERR_CONFIG, "too many issuers");
    }
    memset(is, 0, sizeof(*is));
    if ((rc = catena_config_get_int(cfg, "issuer", name, "num_shards", 1,
                                    &shards, err)) != CATENA_OK) {
        return rc;
    }
    if (shards < 1 || shards > 1024) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[issuer \"%s\"] num_shards must be 1..1024",
                              name);
    }
    is->num_shards = (int)shards;
    f = fopen(cert_path, "r");
    if (f == NULL) {
        return catena_err_set_errno(err, CATENA_ERR_IO, "cannot open %s",
                                    cert_path);
    }
    is->cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (is->cert == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CONFIG,
                                    "%s: not a PEM certificate", cert_path);
        goto out;
    }
    len = i2d_X509(is->cert, &der);
    pk = X509_get_pubkey(is->cert);
    is->name = strdup(name);
    is->profiles = strdup(
        catena_config_get(cfg, "issuer", name, "profiles", ""));
    if (len <= 0 || pk == NULL || is->name == NULL || is->profiles == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_NOMEM,
                                    "cannot load issuer %s", name);
        goto out;
    }
    is->der = malloc((size_t)len);
    if (is->der == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(is->der, der, (size_t)len);
    is->der_len = (size_t)len;
    if ((rc = catena_spki_sha256(X509_get_X509_PUBKEY(is->cert),
                                 is->spki_sha256, err)) != CATENA_OK) {
        goto out;
    }
    if (ocsp_path != NULL && (f = fopen(ocsp_path, "r")) != NULL) {
        X509 *ocsp = PEM_read_X509(f, NULL, NULL, NULL);

        fclose(f);
        f = NULL;
        if (ocsp != NULL &&
            catena_spki_sha256(X509_get_X509_PUBKEY(ocsp),
                               is->ocsp_spki_sha256, NULL) == CATENA_OK) {
            is->has_ocsp_key = 1;
        }
        X509_free(ocsp);
    }
    if (chain_path != NULL) {
        rc = catena_file_read(chain_path, MAX_CHAIN_FILE,
                              (uint8_t **)&is->chain_pem, NULL, err);
        if (rc != CATENA_OK) {
            goto out;
        }
    } else if ((is->chain_pem = strdup("")) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    ca->names[ca->num_issuers] = is->name;
    ca->num_issuers++;
    rc = CATENA_OK;
out:
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
    if (rc != CATENA_OK) {
        X509_free(is->cert);
        free(is->der);
        free(is->chain_pem);
        free(is->profiles);
        free(is->name);
        memset(is, 0, sizeof(*is));
    }
    return rc;
}

/* Register every loaded issuer in the store so certificate rows can refer
 * to it and crl/ can find its certificate and shard count. */
static enum catena_rc
register_issuers(struct catena_ca *ca, struct catena_err *err)
{
    struct catena_store *store = NULL;
    enum catena_rc rc;

    if ((rc = catena_store_open(ca->store_url, &store, err)) != CATENA_OK) {
        return rc;
    }
    for (size_t i = 0; i < ca->num_issuers; i++) {
        struct issuer *is = &ca->issuers[i];
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(is->cert);

        rc = catena_store_issuer_put(
            store, is->name, is->der, is->der_len,
            ski != NULL ? ASN1_STRING_get0_data(ski) : NULL,
            ski != NULL ? (size_t)ASN1_STRING_length(ski) : 0,
            is->num_shards, &is->store_id, err);
        if (rc != CATENA_OK) {
            goto out;
        }
    }
out:
    catena_store_close(store);
    return rc;
}

enum catena_rc
catena_ca_open_ex(const struct catena_config *cfg, int start_signer,
                  int allow_missing, struct catena_ca **out,
                  struct catena_err *err)
{
    struct catena_ca *ca = NULL;
    const char *const *subs;
    size_t num_subs = 0;
    const char *base;
    size_t base_len;
    int64_t prefix = 0;
    enum catena_rc rc;

    *out = NULL;
    ca = calloc(1, sizeof(*ca));
    if (ca == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    if (pthread_mutex_init(&ca->lock, NULL) != 0) {
        free(ca);
        return catena_err_set(err, CATENA_ERR_INTERNAL, "mutex");
    }
    ca->cfg = cfg;
    ca->store_url = catena_config_get(cfg, "catena", NULL, "store", NULL);
    base = catena_config_get(cfg, "catena", NULL, "base_url", NULL);
    ca->trust_domain = catena_config_get(cfg, "catena", NULL, "trust_domain",
                                         "");
    if (ca->store_url == NULL || base == NULL) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "[catena] store and base_url are required");
        goto out;
    }
    base_len = strlen(base);
    while (base_len > 0 && base[base_len - 1] == '/') {
        base_len--;
    }
    if ((strncmp(base, "http://", 7) != 0 &&
         strncmp(base, "https://", 8) != 0) ||
        base_len >= sizeof(ca->base_url) - 64) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "[catena] base_url must be an http(s) URL of at "
                            "most %zu characters",
                            sizeof(ca->base_url) - 64);
        goto out;
    }
    memcpy(ca->base_url, base, base_len);
    ca->base_url[base_len] = '\0';
    if ((rc = catena_config_get_int(cfg, "catena", NULL, "instance_prefix",
                                    1, &prefix, err)) != CATENA_OK) {
        goto out;
    }
    if (prefix < 1 || prefix > 255) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "[catena] instance_prefix must be 1..255");
        goto out;
    }
    ca->prefix = (uint8_t)prefix;
    subs = catena_config_subs(cfg, "issuer", &num_subs);
    for (size_t i = 0; i < num_subs; i++) {
        if ((rc = load_issuer(ca, subs[i], allow_missing, err)) !=
            CATENA_OK) {
            goto out;
        }
    }
    if ((rc = register_issuers(ca, err)) != CATENA_OK) {
        goto out;
    }
    /* The CAA answer cache is process-wide; its cap comes from [caa]. */
    if ((rc = catena_caa_cache_configure(cfg, err)) != CATENA_OK) {
        goto out;
    }
    if (start_signer &&
        (rc = catena_signer_start(NULL, catena_config_path(cfg), &ca->signer,
                                  err)) != CATENA_OK) {
        goto out;
    }
    *out = ca;
    ca = NULL;
    rc = CATENA_OK;
out:
    catena_ca_close(ca);
    return rc;
}

enum catena_rc
catena_ca_open(const struct catena_config *cfg, int start_signer,
               struct catena_ca **out, struct catena_err *err)
{
    return catena_ca_open_ex(cfg, start_signer, 0, out, err);
}

void
catena_ca_close(struct catena_ca *ca)
{
    if (ca == NULL) {
        return;
    }
    catena_signer_stop(ca->signer);
    for (size_t i = 0; i < ca->num_issuers; i++) {
        X509_free(ca->issuers[i].cert);
        free(ca->issuers[i].der);
        free(ca->issuers[i].chain_pem);
        free(ca->issuers[i].profiles);
        free(ca->issuers[i].name);
    }
    pthread_mutex_destroy(&ca->lock);
    free(ca);
}

struct catena_signer *
catena_ca_signer(struct catena_ca *ca)
{
    return ca != NULL ? ca->signer : NULL;
}

void
catena_ca_set_signer(struct catena_ca *ca, struct catena_signer *s)
{
    ca->signer = s;
}

const char *
catena_ca_store_url(const struct catena_ca *ca)
{
    return ca->store_url;
}

const char *
catena_ca_base_url(const struct catena_ca *ca)
{
    return ca->base_url;
}

const struct catena_config *
catena_ca_config(const struct catena_ca *ca)
{
    return ca->cfg;
}

const char *
catena_ca_trust_domain(const struct catena_ca *ca)
{
    return ca->trust_domain;
}

uint8_t
catena_ca_instance_prefix(const struct catena_ca *ca)
{
    return ca->prefix;
}

const char *const *
catena_ca_issuer_names(const struct catena_ca *ca, size_t *num)
{
    *num = ca->num_issuers;
    return ca->names;
}

const uint8_t *
catena_ca_issuer_cert(const struct catena_ca *ca, const char *name,
                      size_t *len)
{
    const struct issuer *is = find_issuer(ca, name);

    if (is == NULL) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = is->der_len;
    }
    return is->der;
}

X509 *
catena_ca_issuer_x509(const struct catena_ca *ca, const char *name)
{
    const struct issuer *is = find_issuer(ca, name);

    return is != NULL ? is->cert : NULL;
}

const char *
catena_ca_issuer_chain_pem(const struct catena_ca *ca, const char *name)
{
    const struct issuer *is = find_issuer(ca, name);

    return is != NULL ? is->chain_pem : NULL;
}

int
catena_ca_issuer_num_shards(const struct catena_ca *ca, const char *name)
{
    const struct issuer *is = find_issuer(ca, name);

    return is != NULL ? is->num_shards : 1;
}

const char *
catena_ca_issuer_name_by_id(const struct catena_ca *ca, int64_t id)
{
    for (size_t i = 0; i < ca->num_issuers; i++) {
        if (ca->issuers[i].store_id == id) {
            return ca->issuers[i].name;
        }
    }
    return NULL;
}

/* list_has reports whether comma list |list| contains |item| exactly. */
static int
list_has(const char *list, const char *item)
{
    size_t item_len = strlen(item);
    const char *p = list;
    const char *s;
    size_t n;

    while (catena_config_list_next(&p, &s, &n)) {
        if (n == item_len && memcmp(s, item, n) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *
catena_ca_issuer_for_profile(const struct catena_ca *ca, const char *profile)
{
    for (size_t i = 0; i < ca->num_issuers; i++) {
        if (list_has(ca->issuers[i].profiles, profile)) {
            return ca->issuers[i].name;
        }
    }
    return NULL;
}

int
catena_ca_issuer_signs(const struct catena_ca *ca, const char *name,
                       const char *profile)
{
    const struct issuer *is = find_issuer(ca, name);

    return is != NULL && list_has(is->profiles, profile);
}

int64_t
catena_ca_issuer_store_id(const struct catena_ca *ca, const char *name)
{
    const struct issuer *is = find_issuer(ca, name);

    return is != NULL ? is->store_id : 0;
}

int
catena_ca_is_ca_key(const struct catena_ca *ca, const uint8_t spki[32])
{
    for (size_t i = 0; i < ca->num_issuers; i++) {
        if (memcmp(ca->issuers[i].spki_sha256, spki, 32) == 0 ||
            (ca->issuers[i].has_ocsp_key &&
             memcmp(ca->issuers[i].ocsp_spki_sha256, spki, 32) == 0)) {
            return 1;
        }
    }
    return 0;
}

enum catena_rc
catena_ca_shard_url(const struct catena_ca *ca, const char *name, int shard,
                    char *buf, size_t buf_len)
{
    const struct issuer *is = find_issuer(ca, name);
    int n;

    if (is == NULL || shard < 0 || shard >= is->num_shards) {
        return CATENA_ERR_NOT_FOUND;
    }
    n = snprintf(buf, buf_len, "%s/crl/%s/%d.crl", ca->base_url, name, shard);
    if (n < 0 || (size_t)n >= buf_len) {
        return CATENA_ERR_TOO_BIG;
    }
    return CATENA_OK;
}

void
catena_ca_ocsp_url(const struct catena_ca *ca, char *buf, size_t buf_len)
{
    snprintf(buf, buf_len, "%s/ocsp", ca->base_url);
}

enum catena_rc
catena_ca_profile_lifetimes(const struct catena_ca *ca,
                            const struct catena_profile *p, int64_t now,
                            int64_t *def, int64_t *max,
                            struct catena_err *err)
{
    int64_t builtin_max = catena_profile_max_lifetime_at(p, now);
    enum catena_rc rc;

    if ((rc = catena_config_get_duration(ca->cfg, "profile", p->name,
                                         "max_lifetime", builtin_max, max,
                                         err)) != CATENA_OK ||
        (rc = catena_config_get_duration(ca->cfg, "profile", p->name,
                                         "lifetime", p->default_lifetime,
                                         def, err)) != CATENA_OK) {
        return rc;
    }
    /* Configuration may only narrow the built-in maximum. */
    if (*max <= 0 || *max > builtin_max) {
        *max = builtin_max;
    }
    if (*def <= 0 || *def > *max) {
        *def = *max;
    }
    return CATENA_OK;
}

void
catena_ca_on_revoke(struct catena_ca *ca, catena_revoke_listener fn,
                    void *ctx)
{
    pthread_mutex_lock(&ca->lock);
    if (ca->num_listeners < MAX_LISTENERS) {
        ca->listeners[ca->num_listeners].fn = fn;
        ca->listeners[ca->num_listeners].ctx = ctx;
        ca->num_listeners++;
    } else {
        CATENA_ERROR("too many revocation listeners; one dropped");
    }
    pthread_mutex_unlock(&ca->lock);
}

void
catena_ca_notify_revoke(struct catena_ca *ca, const char *issuer,
                        const char *serial)
{
    struct listener copy[MAX_LISTENERS];
    size_t n;

    /* Call outside the lock so a listener may take its own locks. */
    pthread_mutex_lock(&ca->lock);
    n = ca->num_listeners;
    memcpy(copy, ca->listeners, n * sizeof(copy[0]));
    pthread_mutex_unlock(&ca->lock);
    for (size_t i = 0; i < n; i++) {
        copy[i].fn(copy[i].ctx, issuer, serial);
    }
}
