/*
 * sign.c - what the signer signs, and how. The signer is not an oracle:
 * every TBS is parsed, checked against the issuer (name, signature
 * algorithm from the issuer's key, validity, permitted profile), linted,
 * and only then signed. The signed object is assembled around the exact
 * TBS bytes that were linted (never re-encoded), parsed again and its
 * signature verified before it leaves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/lint.h"
#include "catena/log.h"
#include "core.h"
#include "signer/der_span.h"
#include "signer/prepared_key.h"
#include "signer/signer.h"

#define SHARD_URL_MAX 600

/* ---- the signed envelope ----------------------------------------------
 * Certificate, CertificateList and BasicOCSPResponse all are
 * SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING [, [0] certs] }.
 * Certificates and CRLs are wrapped by catena_der_wrap_signed; a
 * BasicOCSPResponse, which also carries the responder certificate, by
 * OpenSSL's encoder with the TBS as ASN1_ANY of type SEQUENCE, which it
 * writes out verbatim. Either way the signed bytes are the linted bytes. */

typedef struct signer_signed_st {
    ASN1_TYPE *tbs;
    X509_ALGOR *alg;
    ASN1_BIT_STRING *sig;
    STACK_OF(X509) *certs;
} SIGNER_SIGNED;

typedef SIGNER_SIGNED SIGNER_BASIC;

ASN1_SEQUENCE(SIGNER_BASIC) = {
    ASN1_SIMPLE(SIGNER_BASIC, tbs, ASN1_ANY),
    ASN1_SIMPLE(SIGNER_BASIC, alg, X509_ALGOR),
    ASN1_SIMPLE(SIGNER_BASIC, sig, ASN1_BIT_STRING),
    ASN1_EXP_SEQUENCE_OF_OPT(SIGNER_BASIC, certs, X509, 0),
} static_ASN1_SEQUENCE_END(SIGNER_BASIC)

/* ---- keys --------------------------------------------------------------- */

struct issuer {
    char *name;
    EVP_PKEY *key;
    struct catena_sig_alg alg;
    uint8_t *alg_der; /* the AlgorithmIdentifier every TBS must name */
    size_t alg_der_len;
    struct catena_prepared_key prep; /* key signs; the certificate's verifies */
    uint8_t *spki; /* of key */
    size_t spki_len;
    X509 *cert; /* NULL until "catena init" has written it */
    uint8_t *cert_der;
    size_t cert_der_len;
    char **profiles;
    size_t num_profiles;
    int num_shards;
    EVP_PKEY *ocsp_key; /* NULL if none configured */
    struct catena_sig_alg ocsp_alg;
    uint8_t *ocsp_spki;
    size_t ocsp_spki_len;
    X509 *ocsp_cert;
};

struct profile_limit {
    char *name;
    int64_t max_lifetime;
};

struct catena_signer_keys {
    struct issuer *issuers;
    size_t num_issuers;
    char base_url[512];
    struct profile_limit *limits;
    size_t num_limits;
    struct catena_lint_weak_keys *weak_keys; /* [lint] debian_weak_keys */
};

static X509_ALGOR *
alg_new(const struct catena_sig_alg *a)
{
    X509_ALGOR *x = X509_ALGOR_new();

    if (x != NULL &&
        !X509_ALGOR_set0(x, OBJ_nid2obj(a->nid),
                         a->null_params ? V_ASN1_NULL : V_ASN1_UNDEF, NULL)) {
        X509_ALGOR_free(x);
        return NULL;
    }
    return x;
}

/* alg_matches compares the DER of |got| with the algorithm of the key. */
static int
alg_matches(const X509_ALGOR *got, const struct catena_sig_alg *a)
{
    X509_ALGOR *want = alg_new(a);
    unsigned char *g = NULL;
    unsigned char *w = NULL;
    int gl;
    int wl;
    int same = 0;

    if (want == NULL) {
        return 0;
    }
    gl = i2d_X509_ALGOR(got, &g);
    wl = i2d_X509_ALGOR(want, &w);
    same = gl > 0 && gl == wl && memcmp(g, w, (size_t)gl) == 0;
    OPENSSL_free(g);
    OPENSSL_free(w);
    X509_ALGOR_free(want);
    return same;
}

static enum catena_rc
spki_der(EVP_PKEY *k, uint8_t **out, size_t *out_len, struct catena_err *err)
{
    unsigned char *d = NULL;
    int n = i2d_PUBKEY(k, &d);

    *out = NULL;
    if (n <= 0 || (*out = malloc((size_t)n)) == NULL) {
        OPENSSL_free(d);
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "cannot encode a public key");
    }
    memcpy(*out, d, (size_t)n);
    *out_len = (size_t)n;
    OPENSSL_free(d);
    return CATENA_OK;
}

/* sign_raw signs |in| with |k| (PKCS#1 v1.5 for RSA, DER for ECDSA). */
static enum catena_rc
sign_raw(EVP_PKEY *k, const struct catena_sig_alg *a, const uint8_t *in, size_t len,
         uint8_t **sig, size_t *sig_len, struct catena_err *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t *buf = NULL;
    size_t n = 0;
    enum catena_rc rc;

    *sig = NULL;
    *sig_len = 0;
    if (c == NULL || EVP_DigestSignInit(c, NULL, a->md, NULL, k) != 1 ||
        EVP_DigestSign(c, NULL, &n, in, len) != 1 ||
        (buf = malloc(n)) == NULL || EVP_DigestSign(c, buf, &n, in, len) != 1) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO, "signing failed");
        goto out;
    }
    *sig = buf;
    *sig_len = n;
    buf = NULL;
    rc = CATENA_OK;
out:
    free(buf);
    EVP_MD_CTX_free(c);
    return rc;
}

static int
verify_raw(EVP_PKEY *k, const struct catena_sig_alg *a, const uint8_t *in,
           size_t len, const uint8_t *sig, size_t sig_len)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL &&
             EVP_DigestVerifyInit(c, NULL, a->md, NULL, k) == 1 &&
             EVP_DigestVerify(c, sig, sig_len, in, len) == 1;

    EVP_MD_CTX_free(c);
    ERR_clear_error();
    return ok;
}

/* no_passphrase keeps OpenSSL from prompting on a terminal for an
 * encrypted key: the signer has no one to ask. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

static enum catena_rc
load_key(const char *path, EVP_PKEY **out, struct catena_err *err)
{
    BIO *b = BIO_new_file(path, "r");

    *out = NULL;
    if (b == NULL) {
        return catena_err_set_openssl(err, CATENA_ERR_CONFIG,
                                      "cannot open key %s", path);
    }
    *out = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
    BIO_free(b);
    if (*out == NULL) {
        return catena_err_set_openssl(err, CATENA_ERR_CONFIG,
                                      "cannot read the private key in %s",
                                      path);
    }
    return CATENA_OK;
}

/* load_cert reads the first certificate of |path|; a file that does not
 * exist yet leaves |*out| NULL ("catena init" writes it later). */
static enum catena_rc
load_cert(const char *path, X509 **out, struct catena_err *err)
{
    BIO *b;

    *out = NULL;
    if (path == NULL || (access(path, F_OK) != 0 && errno == ENOENT)) {
        return CATENA_OK;
    }
    if ((b = BIO_new_file(path, "r")) == NULL) {
        return catena_err_set_openssl(err, CATENA_ERR_CONFIG,
                                      "cannot open %s", path);
    }
    *out = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
    BIO_free(b);
    if (*out == NULL) {
        return catena_err_set_openssl(err, CATENA_ERR_CONFIG,
                                      "cannot read the certificate in %s",
                                      path);
    }
    return CATENA_OK;
}

/* self_test signs and verifies a fixed message: proves the key works and
 * makes OpenSSL fetch every algorithm before the sandbox forbids open(). */
static enum catena_rc
self_test(EVP_PKEY *k, const struct catena_sig_alg *a, EVP_PKEY *pub,
          const char *what, struct catena_err *err)
{
    static const uint8_t msg[] = "catena signer self-test";
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    enum catena_rc rc;

    if ((rc = sign_raw(k, a, msg, sizeof(msg), &sig, &sig_len, err)) !=
        CATENA_OK) {
        return rc;
    }
    if (!verify_raw(pub, a, msg, sizeof(msg), sig, sig_len)) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "%s: the key does not match its certificate",
                            what);
    }
    free(sig);
    return rc;
}

static void
issuer_clear(struct issuer *is)
{
    free(is->name);
    catena_prepared_key_clear(&is->prep);
    free(is->alg_der);
    EVP_PKEY_free(is->key);
    free(is->spki);
    X509_free(is->cert);
    free(is->cert_der);
    for (size_t i = 0; i < is->num_profiles; i++) {
        free(is->profiles[i]);
    }
    free(is->profiles);
    EVP_PKEY_free(is->ocsp_key);
    free(is->ocsp_spki);
    X509_free(is->ocsp_cert);
}

void
catena_signer_keys_free(struct catena_signer_keys *keys)
{
    if (keys == NULL) {
        return;
    }
    for (size_t i = 0; i < keys->num_issuers; i++) {
        issuer_clear(&keys->issuers[i]);
    }
    free(keys->issuers);
    for (size_t i = 0; i < keys->num_limits; i++) {
        free(keys->limits[i].name);
    }
    free(keys->limits);
    catena_lint_weak_keys_free(keys->weak_keys);
    free(keys);
}

/* split_profiles parses "a,b, c" into |is|. */
static enum catena_rc
split_profiles(struct issuer *is, const char *list, struct catena_err *err)
{
    const char *p = list;
    const char *s;
    size_t len;

    while (catena_config_list_next(&p, &s, &len)) {
        char **grown =
            realloc(is->profiles, (is->num_profiles + 1) * sizeof(*grown));

        if (grown == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        is->profiles = grown;
        if ((is->profiles[is->num_profiles] = strndup(s, len)) == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        is->num_profiles++;
    }
    return CATENA_OK;
}

/* prepare_issuer encodes the issuer's AlgorithmIdentifier and sets up its
 * key to sign, and its certificate's key (the key itself before there is
 * a certificate) to verify. */
static enum catena_rc
prepare_issuer(struct issuer *is, struct catena_err *err)
{
    X509_ALGOR *alg = alg_new(&is->alg);
    unsigned char *d = NULL;
    int n = alg != NULL ? i2d_X509_ALGOR(alg, &d) : -1;

    X509_ALGOR_free(alg);
    if (n <= 0 || (is->alg_der = malloc((size_t)n)) == NULL) {
        OPENSSL_free(d);
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    memcpy(is->alg_der, d, (size_t)n);
    is->alg_der_len = (size_t)n;
    OPENSSL_free(d);
    return catena_prepared_key_init(
        &is->prep, is->key,
        is->cert != NULL ? X509_get0_pubkey(is->cert) : is->key, &is->alg,
        err);
}

static enum catena_rc
load_issuer(const struct catena_config *cfg, const char *name,
            struct issuer *is, struct catena_err *err)
{
    const char *key_path = catena_config_get(cfg, "issuer", name, "key", NULL);
    const char *cert_path =
        catena_config_get(cfg, "issuer", name, "cert", NULL);
    const char *ocsp_key = catena_config_get(cfg, "issuer", name, "ocsp_key",
                                             NULL);
    const char *ocsp_cert = catena_config_get(cfg, "issuer", name,
                                              "ocsp_cert", NULL);
    unsigned char *d = NULL;
    int64_t shards = 1;
    int n;
    enum catena_rc rc;

    if (strlen(name) > CATENA_SIGNER_NAME_MAX) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "issuer name %s is too long", name);
    }
    if ((is->name = strdup(name)) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    if (key_path == NULL) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[issuer \"%s\"] has no key", name);
    }
    if ((rc = catena_config_get_int(cfg, "issuer", name, "num_shards", 1,
                                    &shards, err)) != CATENA_OK) {
        return rc;
    }
    if (shards < 1 || shards > 65536) {
        return catena_err_set(err, CATENA_ERR_CONFIG,
                              "[issuer \"%s\"] num_shards must be 1..65536",
                              name);
    }
    is->num_shards = (int)shards;
    if ((rc = split_profiles(
             is, catena_config_get(cfg, "issuer", name, "profiles", ""),
             err)) != CATENA_OK ||
        (rc = load_key(key_path, &is->key, err)) != CATENA_OK ||
        (rc = catena_sig_alg_for_key(is->key, &is->alg, err)) != CATENA_OK ||
        (rc = spki_der(is->key, &is->spki, &is->spki_len, err)) !=
            CATENA_OK ||
        (rc = load_cert(cert_path, &is->cert, err)) != CATENA_OK) {
        return rc;
    }
    if (is->cert != NULL) {
        if (EVP_PKEY_eq(X509_get0_pubkey(is->cert), is->key) != 1) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "issuer %s: %s does not match %s", name,
                                  key_path, cert_path);
        }
        if ((rc = self_test(is->key, &is->alg, X509_get0_pubkey(is->cert),
                            name, err)) != CATENA_OK) {
            return rc;
        }
        n = i2d_X509(is->cert, &d);
        if (n <= 0 || (is->cert_der = malloc((size_t)n)) == NULL) {
            OPENSSL_free(d);
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        memcpy(is->cert_der, d, (size_t)n);
        is->cert_der_len = (size_t)n;
        OPENSSL_free(d);
    } else if ((rc = self_test(is->key, &is->alg, is->key, name, err)) !=
               CATENA_OK) {
        return rc;
    }
    if ((rc = prepare_issuer(is, err)) != CATENA_OK) {
        return rc;
    }
    if (ocsp_key == NULL) {
        return CATENA_OK;
    }
    if ((rc = load_key(ocsp_key, &is->ocsp_key, err)) != CATENA_OK ||
        (rc = catena_sig_alg_for_key(is->ocsp_key, &is->ocsp_alg, err)) != CATENA_OK ||
        (rc = spki_der(is->ocsp_key, &is->ocsp_spki, &is->ocsp_spki_len,
                       err)) != CATENA_OK ||
        (rc = load_cert(ocsp_cert, &is->ocsp_cert, err)) != CATENA_OK) {
        return rc;
    }
    if (is->ocsp_cert != NULL) {
        if (EVP_PKEY_eq(X509_get0_pubkey(is->ocsp_cert), is->ocsp_key) != 1) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "issuer %s: OCSP key does not match the "
                                  "OCSP certificate",
                                  name);
        }
        /* A responder certificate not issued by this issuer could not
         * answer for its certificates (RFC 6960 4.2.2.2). */
        if (is->cert == NULL ||
            X509_check_issued(is->cert, is->ocsp_cert) != X509_V_OK ||
            X509_verify(is->ocsp_cert, is->key) != 1) {
            ERR_clear_error();
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "issuer %s: the OCSP certificate is not "
                                  "issued by this issuer",
                                  name);
        }
    }
    return self_test(is->ocsp_key, &is->ocsp_alg,
                     is->ocsp_cert != NULL ? X509_get0_pubkey(is->ocsp_cert)
                                           : is->ocsp_key,
                     name, err);
}

enum catena_rc
catena_signer_keys_load(const struct catena_config *cfg,
                        struct catena_signer_keys **out,
                        struct catena_err *err)
{
    struct catena_signer_keys *keys = NULL;
    const char *const *names;
    size_t num = 0;
    const char *base;
    const char *weak_dir;
    size_t base_len;
    enum catena_rc rc;

    *out = NULL;
    if ((keys = calloc(1, sizeof(*keys))) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    base = catena_config_get(cfg, "catena", NULL, "base_url", "");
    base_len = strlen(base);
    while (base_len > 0 && base[base_len - 1] == '/') {
        base_len--;
    }
    if (base_len >= sizeof(keys->base_url) - 64) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG, "base_url too long");
        goto out;
    }
    memcpy(keys->base_url, base, base_len);
    keys->base_url[base_len] = '\0';

    names = catena_config_subs(cfg, "issuer", &num);
    if (num == 0) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG, "no [issuer] configured");
        goto out;
    }
    if ((keys->issuers = calloc(num, sizeof(*keys->issuers))) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < num; i++) {
        keys->num_issuers++;
        if ((rc = load_issuer(cfg, names[i], &keys->issuers[i], err)) !=
            CATENA_OK) {
            goto out;
        }
    }
    names = catena_config_subs(cfg, "profile", &num);
    if (num > 0 &&
        (keys->limits = calloc(num, sizeof(*keys->limits))) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < num; i++) {
        struct profile_limit *l = &keys->limits[keys->num_limits];

        if ((rc = catena_config_get_duration(cfg, "profile", names[i],
                                             "max_lifetime", 0,
                                             &l->max_lifetime, err)) !=
            CATENA_OK) {
            goto out;
        }
        if ((l->name = strdup(names[i])) == NULL) {
            rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
            goto out;
        }
        keys->num_limits++;
    }
    /* Rule B7's lists, read now: the sandbox forbids opening files later. */
    weak_dir = catena_config_get(cfg, "lint", NULL, "debian_weak_keys", NULL);
    if (weak_dir != NULL &&
        (rc = catena_weak_keys_load(weak_dir, &keys->weak_keys, err)) !=
            CATENA_OK) {
        goto out;
    }
    /* Rule T2's Public Suffix List, likewise. */
    if (!catena_lint_suffix_list_load()) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "no Public Suffix List (libpsl) to lint names "
                            "against");
        goto out;
    }
    *out = keys;
    keys = NULL;
    rc = CATENA_OK;
out:
    catena_signer_keys_free(keys);
    return rc;
}

/* ---- checks --------------------------------------------------------------- */

static const struct issuer *
find_issuer(const struct catena_signer_keys *keys, const char *name,
            struct catena_err *err)
{
    for (size_t i = 0; i < keys->num_issuers; i++) {
        if (strcmp(keys->issuers[i].name, name) == 0) {
            return &keys->issuers[i];
        }
    }
    catena_err_set(err, CATENA_ERR_NOT_FOUND, "no issuer named %s", name);
    return NULL;
}

static int
issuer_signs(const struct issuer *is, const char *profile)
{
    for (size_t i = 0; i < is->num_profiles; i++) {
        if (strcmp(is->profiles[i], profile) == 0) {
            return 1;
        }
    }
    return 0;
}

/* one_sequence: |der| is exactly one definite-length DER SEQUENCE. */
static int
one_sequence(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    long clen = 0;
    int tag = 0;
    int cls = 0;
    int r;

    if (len < 2 || len > (size_t)CATENA_SIGNER_CRL_MAX) {
        return 0;
    }
    r = ASN1_get_object(&p, &clen, &tag, &cls, (long)len);
    return !(r & 0x80) && (r & V_ASN1_CONSTRUCTED) && !(r & 0x01) &&
           tag == V_ASN1_SEQUENCE && cls == V_ASN1_UNIVERSAL &&
           (size_t)(p - der) + (size_t)clen == len;
}

/* name_der_equal compares two Names by their DER bytes, as RFC 5280 path
 * building by binary comparison would. */
static int
name_der_equal(const X509_NAME *a, const X509_NAME *b)
{
    const unsigned char *ad = NULL;
    const unsigned char *bd = NULL;
    size_t al = 0;
    size_t bl = 0;

    return X509_NAME_get0_der((X509_NAME *)(uintptr_t)a, &ad, &al) == 1 &&
           X509_NAME_get0_der((X509_NAME *)(uintptr_t)b, &bd, &bl) == 1 &&
           al == bl && memcmp(ad, bd, al) == 0;
}

/* envelope builds SEQUENCE { tbs, alg, BIT STRING sig [, [0] { cert }] }. */
static enum catena_rc
envelope(const ASN1_ITEM *it, const uint8_t *tbs, size_t tbs_len,
         const struct catena_sig_alg *a, const uint8_t *sig, size_t sig_len,
         X509 *cert, uint8_t **out, size_t *out_len, struct catena_err *err)
{
    SIGNER_SIGNED *o = (SIGNER_SIGNED *)ASN1_item_new(it);
    ASN1_STRING *seq = NULL;
    unsigned char *d = NULL;
    int n;
    enum catena_rc rc;

    *out = NULL;
    *out_len = 0;
    if (o == NULL || (seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL ||
        !ASN1_STRING_set(seq, tbs, (int)tbs_len) ||
        (o->tbs == NULL && (o->tbs = ASN1_TYPE_new()) == NULL)) {
        goto nomem;
    }
    ASN1_TYPE_set(o->tbs, V_ASN1_SEQUENCE, seq);
    seq = NULL;
    X509_ALGOR_free(o->alg);
    if ((o->alg = alg_new(a)) == NULL ||
        !ASN1_BIT_STRING_set(o->sig, (unsigned char *)(uintptr_t)sig,
                             (int)sig_len)) {
        goto nomem;
    }
    /* A signature is a whole number of bytes: no unused bits, and no
     * trimming of trailing zero bytes. */
    o->sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    o->sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    if (cert != NULL) {
        if ((o->certs = sk_X509_new_null()) == NULL ||
            !sk_X509_push(o->certs, cert)) {
            goto nomem;
        }
        X509_up_ref(cert);
    }
    n = ASN1_item_i2d((ASN1_VALUE *)o, &d, it);
    if (n <= 0 || (*out = malloc((size_t)n)) == NULL) {
        OPENSSL_free(d);
        goto nomem;
    }
    memcpy(*out, d, (size_t)n);
    *out_len = (size_t)n;
    OPENSSL_free(d);
    rc = CATENA_OK;
    goto out;
nomem:
    rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                "cannot assemble the signed object");
out:
    ASN1_STRING_free(seq);
    ASN1_item_free((ASN1_VALUE *)o, it);
    return rc;
}


/* same_tbs parses |der| as an envelope and checks its TBS is |tbs|. */
static int
same_tbs(const ASN1_ITEM *it, const uint8_t *der, size_t der_len,
         const uint8_t *tbs, size_t tbs_len)
{
    const unsigned char *p = der;
    SIGNER_SIGNED *o =
        (SIGNER_SIGNED *)ASN1_item_d2i(NULL, &p, (long)der_len, it);
    int same = o != NULL && p == der + der_len && o->tbs != NULL &&
               o->tbs->type == V_ASN1_SEQUENCE &&
               (size_t)o->tbs->value.sequence->length == tbs_len &&
               memcmp(o->tbs->value.sequence->data, tbs, tbs_len) == 0;

    ASN1_item_free((ASN1_VALUE *)o, it);
    return same;
}

/* run_lint refuses with the failing rule names at error level or above. */
static enum catena_rc
run_lint(enum catena_lint_object obj, const uint8_t *der, size_t len,
         const struct catena_lint_ctx *ctx, struct catena_err *err)
{
    struct catena_lint_report *rep = NULL;
    char names[400];
    enum catena_rc rc;

    switch (obj) {
    case CATENA_LINT_OBJ_CERT:
        rc = catena_lint_cert(der, len, ctx, &rep);
        break;
    case CATENA_LINT_OBJ_CRL:
        rc = catena_lint_crl(der, len, ctx, &rep);
        break;
    default:
        rc = catena_lint_ocsp(der, len, ctx, &rep);
        break;
    }
    if (rc != CATENA_OK || rep == NULL) {
        return catena_err_set(err, rc != CATENA_OK ? rc : CATENA_ERR_INTERNAL,
                              "the linter failed");
    }
    if (rep->worst >= CATENA_LINT_ERROR) {
        names[0] = '\0';
        catena_lint_report_errors(rep, CATENA_LINT_ERROR, names,
                                  sizeof(names));
        rc = catena_err_set(err, CATENA_ERR_LINT, "lint: %s", names);
    }
    catena_lint_report_free(rep);
    return rc;
}

static int64_t
max_validity(const struct catena_signer_keys *keys,
             const struct catena_profile *p, int64_t now)
{
    int64_t max = catena_profile_max_lifetime_at(p, now);

    for (size_t i = 0; i < keys->num_limits; i++) {
        if (strcmp(keys->limits[i].name, p->name) == 0 &&
            keys->limits[i].max_lifetime > 0 &&
            keys->limits[i].max_lifetime < max) {
            max = keys->limits[i].max_lifetime;
        }
    }
    return max;
}

static enum catena_rc
shard_url(const struct catena_signer_keys *keys, const struct issuer *is,
          int shard, char buf[SHARD_URL_MAX], struct catena_err *err)
{
    int n = snprintf(buf, SHARD_URL_MAX, "%s/crl/%s/%d.crl", keys->base_url,
                     is->name, shard);

    if (n < 0 || n >= SHARD_URL_MAX) {
        return catena_err_set(err, CATENA_ERR_CONFIG, "shard URL too long");
    }
    return CATENA_OK;
}

/* ---- certificates --------------------------------------------------------- */

/* The profiles whose certificates carry a CRL distribution point. */
static int
profile_has_crldp(const char *profile)
{
    return strcmp(profile, "tls-server") == 0 ||
           strcmp(profile, "service-tls") == 0 ||
           strcmp(profile, "smime-mailbox") == 0 ||
           strcmp(profile, "sub-ca") == 0;
}

/* span_time decodes a UTCTime or GeneralizedTime element. */
static ASN1_TIME *
span_time(const struct catena_der_span *s)
{
    const unsigned char *p = s->tlv;
    ASN1_TIME *t = d2i_ASN1_TIME(NULL, &p, (long)s->tlv_len);

    if (t != NULL && p != s->tlv + s->tlv_len) {
        ASN1_TIME_free(t);
        return NULL;
    }
    return t;
}

static int
span_equal(const struct catena_der_span *s, const uint8_t *d, size_t len)
{
    return s->tlv_len == len && memcmp(s->tlv, d, len) == 0;
}

/* check_tbs_issuer refuses a TBS whose issuer, validity or (for a root)
 * key is not the issuer's. */
static enum catena_rc
check_tbs_issuer(const struct issuer *is, const struct catena_tbs_cert_view *v,
                 int self_signed, struct catena_err *err)
{
    const unsigned char *name = NULL;
    size_t name_len = 0;
    ASN1_TIME *nb = NULL;
    ASN1_TIME *na = NULL;
    enum catena_rc rc = CATENA_OK;

    if (self_signed) {
        /* A root names itself and carries the very key that signs it. */
        if (!span_equal(&v->issuer, v->subject.tlv, v->subject.tlv_len) ||
            !span_equal(&v->spki, is->spki, is->spki_len)) {
            return catena_err_set(err, CATENA_ERR_POLICY,
                                  "a root must be self-issued with the key of "
                                  "issuer %s",
                                  is->name);
        }
        return CATENA_OK;
    }
    if (is->cert == NULL) {
        return catena_err_set(err, CATENA_ERR_NOT_FOUND,
                              "issuer %s has no certificate yet", is->name);
    }
    if (X509_NAME_get0_der(X509_get_subject_name(is->cert), &name,
                           &name_len) != 1 ||
        !span_equal(&v->issuer, name, name_len)) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "the TBS issuer name is not the subject of "
                              "issuer %s",
                              is->name);
    }
    if ((nb = span_time(&v->not_before)) == NULL ||
        (na = span_time(&v->not_after)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "the TBS validity is not two times");
    } else if (ASN1_TIME_compare(nb, X509_get0_notBefore(is->cert)) < 0 ||
               ASN1_TIME_compare(na, X509_get0_notAfter(is->cert)) > 0) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "the validity is not inside issuer %s's",
                            is->name);
    }
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    return rc;
}

static int signed_ok(const struct issuer *is, const uint8_t *der,
                     size_t der_len, const uint8_t *tbs, size_t tbs_len);

/*
 * sign_and_check signs |tbs| with the issuer's key, wraps it as
 * SEQUENCE { tbs, algorithm, signature } and checks the result before it
 * leaves (signed_ok).
 */
static enum catena_rc
sign_and_check(const struct issuer *is, const uint8_t *tbs, size_t tbs_len,
               const char *what, uint8_t **der, size_t *der_len,
               struct catena_err *err)
{
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    enum catena_rc rc;

    *der = NULL;
    *der_len = 0;
    if ((rc = catena_prepared_sign(&is->prep, tbs, tbs_len, &sig, &sig_len,
                                   err)) != CATENA_OK) {
        return rc;
    }
    if (!catena_der_wrap_signed(tbs, tbs_len, is->alg_der, is->alg_der_len,
                                sig, sig_len, der, der_len)) {
        free(sig);
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    free(sig);
    if (!signed_ok(is, *der, *der_len, tbs, tbs_len)) {
        free(*der);
        *der = NULL;
        *der_len = 0;
        return catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                      "the signed %s does not verify", what);
    }
    return CATENA_OK;
}

static enum catena_rc
sign_cert(const struct catena_signer_keys *keys,
          const struct catena_signer_request *req, uint8_t **der,
          size_t *der_len, struct catena_err *err)
{
    const struct issuer *is = find_issuer(keys, req->issuer, err);
    const struct catena_profile *prof = catena_profile_find(req->profile);
    const uint8_t *tbs = req->payload;
    size_t tbs_len = req->payload_len;
    struct catena_tbs_cert_view v;
    char url[SHARD_URL_MAX];
    struct catena_lint_ctx ctx;
    enum catena_rc rc;

    *der = NULL;
    *der_len = 0;
    if (is == NULL) {
        return CATENA_ERR_NOT_FOUND;
    }
    if (prof == NULL) {
        return catena_err_set(err, CATENA_ERR_INVALID, "unknown profile %s",
                              req->profile);
    }
    if (!issuer_signs(is, prof->name)) {
        return catena_err_set(err, CATENA_ERR_UNAUTHORIZED,
                              "issuer %s may not sign profile %s", is->name,
                              prof->name);
    }
    if (tbs_len > CATENA_SIGNER_TBS_MAX ||
        !catena_tbs_cert_view(tbs, tbs_len, &v)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "the TBS is not a TBSCertificate");
    }
    if (!span_equal(&v.sig_alg, is->alg_der, is->alg_der_len)) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "the TBS signature algorithm is not %s, the one "
                              "of issuer %s's key",
                              OBJ_nid2sn(is->alg.nid), is->name);
    }
    if ((rc = check_tbs_issuer(is, &v, strcmp(prof->name, "root-ca") == 0,
                               err)) != CATENA_OK) {
        return rc;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.profile = prof->lint_profile;
    ctx.now = (int64_t)time(NULL);
    ctx.max_validity_seconds = max_validity(keys, prof, ctx.now);
    ctx.issuer_cert_der = is->cert_der;
    ctx.issuer_cert_der_len = is->cert_der_len;
    ctx.signer_spki_der = is->spki;
    ctx.signer_spki_der_len = is->spki_len;
    ctx.is_tbs = 1;
    ctx.weak_keys = keys->weak_keys;
    if (profile_has_crldp(prof->name)) {
        int shard = catena_ca_shard_for_serial(v.serial.val, v.serial.val_len,
                                               is->num_shards);

        if ((rc = shard_url(keys, is, shard, url, err)) != CATENA_OK) {
            return rc;
        }
        ctx.shard_url = url;
    }
    /* The lint judges every byte: structure, strict DER (A1, A2), and the
     * rules of the profile. */
    if ((rc = run_lint(CATENA_LINT_OBJ_CERT, tbs, tbs_len, &ctx, err)) !=
        CATENA_OK) {
        return rc;
    }
    return sign_and_check(is, tbs, tbs_len, "certificate", der, der_len, err);
}

/* ---- CRLs ------------------------------------------------------------------ */

/*
 * TBSCertList (RFC 5280 5.1) with revokedCertificates as one opaque
 * SEQUENCE (OpenSSL's ASN1_SEQUENCE item holds the whole TLV): the signer
 * decodes and re-encodes the fields it checks without building a million
 * X509_REVOKED objects (crl_tbs_decode leaves the entries out altogether),
 * and the entries' structure and strict DER are the lint's (C3 judges
 * every byte, the parse reads every entry once for the entry rules).
 */
DECLARE_ASN1_ITEM(ASN1_SEQUENCE)

typedef struct {
    ASN1_INTEGER *version;
    X509_ALGOR *signature;
    X509_NAME *issuer;
    ASN1_TIME *this_update;
    ASN1_TIME *next_update;
    ASN1_STRING *revoked;
    STACK_OF(X509_EXTENSION) *extensions;
} SIGNER_CRL_TBS;

ASN1_SEQUENCE(SIGNER_CRL_TBS) = {
    ASN1_OPT(SIGNER_CRL_TBS, version, ASN1_INTEGER),
    ASN1_SIMPLE(SIGNER_CRL_TBS, signature, X509_ALGOR),
    ASN1_SIMPLE(SIGNER_CRL_TBS, issuer, X509_NAME),
    ASN1_SIMPLE(SIGNER_CRL_TBS, this_update, ASN1_TIME),
    ASN1_OPT(SIGNER_CRL_TBS, next_update, ASN1_TIME),
    ASN1_OPT(SIGNER_CRL_TBS, revoked, ASN1_SEQUENCE),
    ASN1_EXP_SEQUENCE_OF_OPT(SIGNER_CRL_TBS, extensions, X509_EXTENSION, 0),
} static_ASN1_SEQUENCE_END(SIGNER_CRL_TBS)

/* idp_shard returns, in |url|, the shard URL the CRL's Issuing
 * Distribution Point names, checked to be one of |is|'s shards; |*has|
 * is 0 when there is no IDP. */
static enum catena_rc
idp_shard(const struct catena_signer_keys *keys, const struct issuer *is,
          const STACK_OF(X509_EXTENSION) *exts, char url[SHARD_URL_MAX],
          int *has, struct catena_err *err)
{
    int crit = 0;
    ISSUING_DIST_POINT *idp =
        X509V3_get_d2i(exts, NID_issuing_distribution_point, &crit, NULL);
    const char *uri = NULL;
    int uri_len = 0;
    enum catena_rc rc;

    *has = 0;
    if (idp == NULL) {
        if (crit != -1) {
            return catena_err_set(err, CATENA_ERR_INVALID,
                                  "malformed or repeated Issuing "
                                  "Distribution Point");
        }
        return CATENA_OK;
    }
    if (idp->distpoint != NULL && idp->distpoint->type == 0 &&
        sk_GENERAL_NAME_num(idp->distpoint->name.fullname) == 1) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(idp->distpoint->name.fullname,
                                                 0);

        if (gn->type == GEN_URI) {
            uri = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
            uri_len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
        }
    }
    rc = catena_err_set(err, CATENA_ERR_POLICY,
                        "the Issuing Distribution Point names no CRL shard "
                        "of issuer %s",
                        is->name);
    for (int s = 0; uri != NULL && s < is->num_shards; s++) {
        if (shard_url(keys, is, s, url, err) != CATENA_OK) {
            break;
        }
        if ((size_t)uri_len == strlen(url) &&
            memcmp(uri, url, (size_t)uri_len) == 0) {
            catena_err_clear(err);
            *has = 1;
            rc = CATENA_OK;
            break;
        }
    }
    ISSUING_DIST_POINT_free(idp);
    return rc;
}

/* der_tlv reads the header of the element at |p| (|left| bytes) with
 * OpenSSL's reader: 1 only for a definite length whose header is the
 * minimal DER one (OpenSSL alone also takes padded long forms) and whose
 * contents fit, with its tag, class, form, header and whole lengths. */
static int
der_tlv(const unsigned char *p, size_t left, int *tag, int *cls, int *cons,
        size_t *hdr, size_t *whole)
{
    const unsigned char *q = p;
    long clen = 0;
    int r;

    if (left > (size_t)CATENA_SIGNER_CRL_MAX) {
        return 0;
    }
    r = ASN1_get_object(&q, &clen, tag, cls, (long)left);
    if ((r & 0x80) || (r & 0x01)) {
        return 0;
    }
    *hdr = (size_t)(q - p);
    if ((long)*hdr != ASN1_object_size(0, (int)clen, *tag) - clen ||
        (size_t)clen > left - *hdr) {
        return 0;
    }
    *cons = (r & V_ASN1_CONSTRUCTED) != 0;
    *whole = *hdr + (size_t)clen;
    return 1;
}

/*
 * crl_tbs_decode reads |tbs| as a TBSCertList whose fields re-encode to
 * exactly the same bytes (DER). revokedCertificates, megabytes of it, is
 * cut out first and only its header is checked here: decoding it into an
 * ASN1_STRING and re-encoding it copied every byte twice to compare them
 * once, while its contents are the lint's anyway (C3 judges every byte as
 * strict DER, the parse reads every entry). The rest of the TBS (a few
 * hundred bytes) is decoded and must re-encode byte for byte, as before.
 * The returned structure has no revoked field.
 */
static SIGNER_CRL_TBS *
crl_tbs_decode(const uint8_t *tbs, size_t tbs_len)
{
    const unsigned char *p;
    const unsigned char *end = tbs + tbs_len;
    const unsigned char *cut = NULL;
    const unsigned char *in;
    size_t cut_len = 0;
    size_t hdr = 0;
    size_t whole = 0;
    size_t in_len = tbs_len;
    int tag = 0;
    int cls = 0;
    int cons = 0;
    int after_time = 0;
    uint8_t *shadow = NULL;
    unsigned char *re = NULL;
    SIGNER_CRL_TBS *t = NULL;
    int n;

    if (!der_tlv(tbs, tbs_len, &tag, &cls, &cons, &hdr, &whole) ||
        whole != tbs_len || tag != V_ASN1_SEQUENCE ||
        cls != V_ASN1_UNIVERSAL || !cons) {
        return NULL;
    }
    /* revokedCertificates is the SEQUENCE right after thisUpdate and the
     * optional nextUpdate (RFC 5280 5.1). */
    for (p = tbs + hdr; p < end; p += whole) {
        size_t h = 0;

        if (!der_tlv(p, (size_t)(end - p), &tag, &cls, &cons, &h, &whole)) {
            return NULL;
        }
        if (cls == V_ASN1_UNIVERSAL &&
            (tag == V_ASN1_UTCTIME || tag == V_ASN1_GENERALIZEDTIME)) {
            after_time = 1;
        } else if (after_time && cut == NULL && cls == V_ASN1_UNIVERSAL &&
                   tag == V_ASN1_SEQUENCE && cons) {
            cut = p;
            cut_len = whole;
            break;
        } else if (after_time) {
            break;
        }
    }
    in = tbs;
    if (cut != NULL) {
        size_t body = tbs_len - hdr - cut_len;
        size_t before = (size_t)(cut - (tbs + hdr));
        unsigned char *q;

        in_len = (size_t)ASN1_object_size(1, (int)body, V_ASN1_SEQUENCE);
        if ((shadow = malloc(in_len)) == NULL) {
            return NULL;
        }
        q = shadow;
        ASN1_put_object(&q, 1, (int)body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
        memcpy(q, tbs + hdr, before);
        memcpy(q + before, cut + cut_len, body - before);
        in = shadow;
    }
    p = in;
    t = (SIGNER_CRL_TBS *)ASN1_item_d2i(NULL, &p, (long)in_len,
                                        ASN1_ITEM_rptr(SIGNER_CRL_TBS));
    if (t == NULL || p != in + in_len || (cut != NULL && t->revoked != NULL)) {
        goto bad;
    }
    n = ASN1_item_i2d((ASN1_VALUE *)t, &re, ASN1_ITEM_rptr(SIGNER_CRL_TBS));
    if (n <= 0 || (size_t)n != in_len || memcmp(re, in, in_len) != 0) {
        goto bad;
    }
    OPENSSL_free(re);
    free(shadow);
    return t;
bad:
    OPENSSL_free(re);
    free(shadow);
    ASN1_item_free((ASN1_VALUE *)t, ASN1_ITEM_rptr(SIGNER_CRL_TBS));
    return NULL;
}


/*
 * signed_ok re-reads a signed Certificate or CertificateList's outer
 * SEQUENCE (tbs, signatureAlgorithm, signature, nothing after), checks the
 * TBS span is byte for byte |tbs| and the algorithm the issuer's, and
 * verifies the signature over exactly those bytes with the issuer
 * certificate's key. The TBS itself was parsed and linted before signing;
 * it is compared in place, not decoded or copied again (a whole d2i_X509
 * costs more than the ECDSA signature it checks).
 */
static int
signed_ok(const struct issuer *is, const uint8_t *der, size_t der_len,
          const uint8_t *tbs, size_t tbs_len)
{
    const uint8_t *p = der;
    const uint8_t *end = der + der_len;
    struct catena_der_span whole;
    struct catena_der_span t;
    struct catena_der_span alg;
    struct catena_der_span sig;

    if (!catena_der_next(&p, end, 0x30, &whole) || p != end) {
        return 0;
    }
    p = whole.val;
    end = whole.val + whole.val_len;
    return catena_der_next(&p, end, 0x30, &t) &&
           span_equal(&t, tbs, tbs_len) &&
           catena_der_next(&p, end, 0x30, &alg) &&
           span_equal(&alg, is->alg_der, is->alg_der_len) &&
           catena_der_next(&p, end, 0x03, &sig) && p == end &&
           sig.val_len >= 1 && sig.val[0] == 0x00 &&
           catena_prepared_verify(&is->prep, t.tlv, t.tlv_len, sig.val + 1,
                                  sig.val_len - 1);
}

static enum catena_rc
sign_crl(const struct catena_signer_keys *keys,
         const struct catena_signer_request *req, uint8_t **der,
         size_t *der_len, struct catena_err *err)
{
    const struct issuer *is = find_issuer(keys, req->issuer, err);
    const uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    int64_t prev = -1;
    uint8_t prev_be[8];
    size_t skip = 0;
    SIGNER_CRL_TBS *crl = NULL;
    char url[SHARD_URL_MAX];
    int has_idp = 0;
    struct catena_lint_ctx ctx;
    enum catena_rc rc;

    *der = NULL;
    *der_len = 0;
    if (is == NULL) {
        return CATENA_ERR_NOT_FOUND;
    }
    if (req->profile[0] != '\0') {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "a CRL request names no profile");
    }
    if (is->cert == NULL) {
        return catena_err_set(err, CATENA_ERR_NOT_FOUND,
                              "issuer %s has no certificate yet", is->name);
    }
    if ((rc = catena_signer_crl_payload_decode(req->payload,
                                               req->payload_len, &prev, &tbs,
                                               &tbs_len, err)) != CATENA_OK) {
        return rc;
    }
    if (!one_sequence(tbs, tbs_len)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "the TBS is not one DER SEQUENCE");
    }
    if ((crl = crl_tbs_decode(tbs, tbs_len)) == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "the TBS is not a TBSCertList in "
                                    "canonical DER");
        goto out;
    }
    if (!alg_matches(crl->signature, &is->alg)) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "the TBS signature algorithm is not %s, the one "
                            "of issuer %s's key",
                            OBJ_nid2sn(is->alg.nid), is->name);
        goto out;
    }
    if (!name_der_equal(crl->issuer, X509_get_subject_name(is->cert))) {
        rc = catena_err_set(err, CATENA_ERR_POLICY,
                            "the CRL issuer name is not the subject of "
                            "issuer %s",
                            is->name);
        goto out;
    }
    if ((rc = idp_shard(keys, is, crl->extensions, url, &has_idp, err)) !=
        CATENA_OK) {
        goto out;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.profile = CATENA_LINT_PROFILE_AUTO;
    ctx.now = (int64_t)time(NULL);
    ctx.issuer_cert_der = is->cert_der;
    ctx.issuer_cert_der_len = is->cert_der_len;
    ctx.signer_spki_der = is->spki;
    ctx.signer_spki_der_len = is->spki_len;
    ctx.shard_url = has_idp ? url : NULL;
    ctx.is_tbs = 1;
    /* C13: the number must be above the one the publisher last stored for
     * this scope (none stored: any number). */
    ctx.has_prev_crl_number = 1;
    if (prev >= 0) {
        for (size_t i = 0; i < sizeof(prev_be); i++) {
            prev_be[i] = (uint8_t)((uint64_t)prev >> (56 - 8 * i));
        }
        while (skip + 1 < sizeof(prev_be) && prev_be[skip] == 0) {
            skip++;
        }
        ctx.prev_crl_number = prev_be + skip;
        ctx.prev_crl_number_len = sizeof(prev_be) - skip;
    }
    if ((rc = run_lint(CATENA_LINT_OBJ_CRL, tbs, tbs_len, &ctx, err)) !=
        CATENA_OK) {
        goto out;
    }
    rc = sign_and_check(is, tbs, tbs_len, "CRL", der, der_len, err);
out:
    ASN1_item_free((ASN1_VALUE *)crl, ASN1_ITEM_rptr(SIGNER_CRL_TBS));
    return rc;
}

/* ---- OCSP ------------------------------------------------------------------ */

/* check_ocsp_ids: the responder ID names the responder certificate, and
 * every SingleResponse is about a certificate of this issuer. */
static enum catena_rc
check_ocsp_ids(const struct issuer *is, OCSP_BASICRESP *bs,
               struct catena_err *err)
{
    const ASN1_OCTET_STRING *key_id = NULL;
    const X509_NAME *by_name = NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int count;

    if (OCSP_resp_get0_id(bs, &key_id, &by_name) != 1) {
        return catena_err_set(err, CATENA_ERR_INVALID, "no responder ID");
    }
    if (key_id != NULL) {
        if (X509_pubkey_digest(is->ocsp_cert, EVP_sha1(), md, &md_len) != 1 ||
            (unsigned)ASN1_STRING_length(key_id) != md_len ||
            memcmp(ASN1_STRING_get0_data(key_id), md, md_len) != 0) {
            return catena_err_set(err, CATENA_ERR_POLICY,
                                  "the responder ID (byKey) is not issuer "
                                  "%s's OCSP certificate",
                                  is->name);
        }
    } else if (by_name == NULL ||
               !name_der_equal(by_name,
                               X509_get_subject_name(is->ocsp_cert))) {
        return catena_err_set(err, CATENA_ERR_POLICY,
                              "the responder ID (byName) is not issuer %s's "
                              "OCSP certificate",
                              is->name);
    }
    count = OCSP_resp_count(bs);
    if (count < 1) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "a ResponseData without responses");
    }
    for (int i = 0; i < count; i++) {
        OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
        const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(single);
        ASN1_OCTET_STRING *name_hash = NULL;
        ASN1_OCTET_STRING *key_hash = NULL;
        ASN1_OBJECT *md_obj = NULL;
        const EVP_MD *dgst;
        unsigned char nh[EVP_MAX_MD_SIZE];
        unsigned int nh_len = 0;

        if (cid == NULL ||
            OCSP_id_get0_info(&name_hash, &md_obj, &key_hash, NULL,
                              (OCSP_CERTID *)(uintptr_t)cid) != 1 ||
            (dgst = EVP_get_digestbyobj(md_obj)) == NULL ||
            X509_NAME_digest(X509_get_subject_name(is->cert), dgst, nh,
                             &nh_len) != 1 ||
            X509_pubkey_digest(is->cert, dgst, md, &md_len) != 1 ||
            (unsigned)ASN1_STRING_length(name_hash) != nh_len ||
            memcmp(ASN1_STRING_get0_data(name_hash), nh, nh_len) != 0 ||
            (unsigned)ASN1_STRING_length(key_hash) != md_len ||
            memcmp(ASN1_STRING_get0_data(key_hash), md, md_len) != 0) {
            ERR_clear_error();
            return catena_err_set(err, CATENA_ERR_POLICY,
                                  "response %d is not about a certificate "
                                  "of issuer %s",
                                  i, is->name);
        }
    }
    return CATENA_OK;
}

static enum catena_rc
sign_ocsp(const struct catena_signer_keys *keys,
          const struct catena_signer_request *req, uint8_t **der,
          size_t *der_len, struct catena_err *err)
{
    const struct issuer *is = find_issuer(keys, req->issuer, err);
    const uint8_t *tbs = req->payload;
    size_t tbs_len = req->payload_len;
    OCSP_RESPDATA *rd = NULL;
    OCSP_BASICRESP *bs = NULL;
    OCSP_BASICRESP *signed_bs = NULL;
    uint8_t *probe = NULL;
    size_t probe_len = 0;
    unsigned char *re = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    uint8_t *out = NULL;
    size_t out_len = 0;
    const unsigned char *p;
    struct catena_lint_ctx ctx;
    int n;
    enum catena_rc rc;

    (void)keys;
    *der = NULL;
    *der_len = 0;
    if (is == NULL) {
        return CATENA_ERR_NOT_FOUND;
    }
    if (req->profile[0] != '\0') {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "an OCSP request names no profile");
    }
    if (is->cert == NULL || is->ocsp_key == NULL || is->ocsp_cert == NULL) {
        return catena_err_set(err, CATENA_ERR_NOT_FOUND,
                              "issuer %s has no OCSP responder", is->name);
    }
    if (tbs_len > CATENA_SIGNER_TBS_MAX || !one_sequence(tbs, tbs_len)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "the ResponseData is not one DER SEQUENCE");
    }
    p = tbs;
    rd = d2i_OCSP_RESPDATA(NULL, &p, (long)tbs_len);
    if (rd == NULL || p != tbs + tbs_len ||
        (n = i2d_OCSP_RESPDATA(rd, &re)) <= 0 || (size_t)n != tbs_len ||
        memcmp(re, tbs, tbs_len) != 0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "not a ResponseData in canonical DER");
        goto out;
    }
    if ((rc = envelope(ASN1_ITEM_rptr(SIGNER_BASIC), tbs, tbs_len,
                       &is->ocsp_alg, NULL, 0, NULL, &probe, &probe_len,
                       err)) != CATENA_OK) {
        goto out;
    }
    p = probe;
    bs = d2i_OCSP_BASICRESP(NULL, &p, (long)probe_len);
    if (bs == NULL || p != probe + probe_len) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "not a ResponseData");
        goto out;
    }
    if ((rc = check_ocsp_ids(is, bs, err)) != CATENA_OK) {
        goto out;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.profile = CATENA_LINT_PROFILE_AUTO;
    ctx.now = (int64_t)time(NULL);
    ctx.issuer_cert_der = is->cert_der;
    ctx.issuer_cert_der_len = is->cert_der_len;
    ctx.signer_spki_der = is->ocsp_spki;
    ctx.signer_spki_der_len = is->ocsp_spki_len;
    ctx.is_tbs = 1;
    if ((rc = run_lint(CATENA_LINT_OBJ_OCSP, tbs, tbs_len, &ctx, err)) !=
        CATENA_OK) {
        goto out;
    }
    if ((rc = sign_raw(is->ocsp_key, &is->ocsp_alg, tbs, tbs_len, &sig,
                       &sig_len, err)) != CATENA_OK ||
        (rc = envelope(ASN1_ITEM_rptr(SIGNER_BASIC), tbs, tbs_len,
                       &is->ocsp_alg, sig, sig_len, is->ocsp_cert, &out,
                       &out_len, err)) != CATENA_OK) {
        goto out;
    }
    p = out;
    signed_bs = d2i_OCSP_BASICRESP(NULL, &p, (long)out_len);
    if (signed_bs == NULL || p != out + out_len ||
        ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA),
                         OCSP_resp_get0_tbs_sigalg(signed_bs),
                         OCSP_resp_get0_signature(signed_bs),
                         OCSP_resp_get0_respdata(signed_bs),
                         X509_get0_pubkey(is->ocsp_cert)) != 1 ||
        sk_X509_num(OCSP_resp_get0_certs(signed_bs)) != 1 ||
        !same_tbs(ASN1_ITEM_rptr(SIGNER_BASIC), out, out_len, tbs, tbs_len)) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "the signed OCSP response does not "
                                    "verify");
        goto out;
    }
    *der = out;
    *der_len = out_len;
    out = NULL;
    rc = CATENA_OK;
out:
    OCSP_RESPDATA_free(rd);
    OCSP_BASICRESP_free(bs);
    OCSP_BASICRESP_free(signed_bs);
    OPENSSL_free(re);
    free(probe);
    free(sig);
    free(out);
    return rc;
}

/* ---- JWS -------------------------------------------------------------------- */

/* jws_input_ok: exactly "base64url.base64url", as RFC 7515 5.1 forms it;
 * the signer signs JWS signing inputs, not arbitrary bytes. */
static int
jws_input_ok(const uint8_t *in, size_t len)
{
    size_t dots = 0;
    size_t dot_at = 0;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];

        if (c == '.') {
            dots++;
            dot_at = i;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return dots == 1 && dot_at > 0 && dot_at + 1 < len;
}

static enum catena_rc
sign_jws(const struct catena_signer_keys *keys,
         const struct catena_signer_request *req, uint8_t **der,
         size_t *der_len, struct catena_err *err)
{
    const struct issuer *is = find_issuer(keys, req->issuer, err);
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    uint8_t *jose = NULL;
    ECDSA_SIG *es = NULL;
    const BIGNUM *r = NULL;
    const BIGNUM *s = NULL;
    const unsigned char *p;
    enum catena_rc rc;

    *der = NULL;
    *der_len = 0;
    if (is == NULL) {
        return CATENA_ERR_NOT_FOUND;
    }
    if (req->profile[0] != '\0' || req->payload_len > CATENA_SIGNER_TBS_MAX ||
        !jws_input_ok(req->payload, req->payload_len)) {
        return catena_err_set(err, CATENA_ERR_INVALID,
                              "not a JWS signing input");
    }
    if ((rc = sign_raw(is->key, &is->alg, req->payload, req->payload_len,
                       &sig, &sig_len, err)) != CATENA_OK) {
        return rc;
    }
    if (is->alg.jose_half == 0) {
        /* RS256 and EdDSA signatures are already in JOSE form. */
        *der = sig;
        *der_len = sig_len;
        return CATENA_OK;
    }
    p = sig;
    es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
    if (es == NULL || (jose = malloc(2 * is->alg.jose_half)) == NULL) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot convert the ECDSA signature");
        goto out;
    }
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, jose, (int)is->alg.jose_half) < 0 ||
        BN_bn2binpad(s, jose + is->alg.jose_half, (int)is->alg.jose_half) <
            0) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO,
                                    "cannot convert the ECDSA signature");
        goto out;
    }
    *der = jose;
    *der_len = 2 * is->alg.jose_half;
    jose = NULL;
    rc = CATENA_OK;
out:
    ECDSA_SIG_free(es);
    free(jose);
    free(sig);
    return rc;
}

enum catena_rc
catena_signer_handle(const struct catena_signer_keys *keys,
                     enum catena_signer_req type,
                     const struct catena_signer_request *req, uint8_t **der,
                     size_t *der_len, struct catena_err *err)
{
    enum catena_rc rc;

    switch (type) {
    case CATENA_SIGNER_SIGN_CERT:
        rc = sign_cert(keys, req, der, der_len, err);
        break;
    case CATENA_SIGNER_SIGN_CRL:
        rc = sign_crl(keys, req, der, der_len, err);
        break;
    case CATENA_SIGNER_SIGN_OCSP:
        rc = sign_ocsp(keys, req, der, der_len, err);
        break;
    case CATENA_SIGNER_SIGN_JWS:
        rc = sign_jws(keys, req, der, der_len, err);
        break;
    default:
        rc = catena_err_set(err, CATENA_ERR_UNSUPPORTED,
                            "request type %d is not permitted", (int)type);
        break;
    }
    /* OpenSSL's queue must not leak one request's errors into the next. */
    ERR_clear_error();
    return rc;
}
