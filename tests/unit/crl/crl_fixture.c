/* crl_fixture.c - see crl_fixture.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/crl.h"
#include "catena/store.h"
#include "crl_fixture.h"
#include "../../common/test_tmp.h"

int
fixture_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "signer") == 0) {
        return catena_signer_main(argc - 1, argv + 1);
    }
    return -1;
}

static EVP_PKEY *
new_key(void)
{
    return EVP_EC_gen("P-256");
}

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ok = ext != NULL && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* make_cert signs a certificate for |key| with |signer| (self if NULL). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
          int is_ca)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok;

    ok = x != NULL && name != NULL && X509_set_version(x, 2) &&
         ASN1_INTEGER_set(X509_get_serialNumber(x), is_ca ? 1 : 2) &&
         X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                                    (const unsigned char *)"DE", -1, -1,
                                    0) &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                    (const unsigned char *)"Catena Test", -1,
                                    -1, 0) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)cn, -1, -1, 0) &&
         X509_set_subject_name(x, name) &&
         X509_set_issuer_name(x, issuer != NULL
                                     ? X509_get_subject_name(issuer)
                                     : name) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
         X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) != NULL &&
         X509_set_pubkey(x, key);
    if (ok && is_ca) {
        ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
             add_ext(x, x, NID_key_usage,
                     "critical,keyCertSign,cRLSign,digitalSignature") == 0 &&
             add_ext(x, x, NID_subject_key_identifier, "hash") == 0;
    } else if (ok) {
        ok = add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") ==
                 0 &&
             add_ext(x, issuer, NID_ext_key_usage, "OCSPSigning") == 0 &&
             add_ext(x, issuer, NID_authority_key_identifier, "keyid") == 0;
    }
    ok = ok && X509_sign(x, issuer_key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int
write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key)
{
    char path[512];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    ok = cert != NULL ? PEM_write_X509(f, cert)
                      : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
                                             NULL);
    fclose(f);
    return ok ? 0 : -1;
}

int
fixture_setup(struct crl_fixture *fx)
{
    const struct catena_config_schema *schemas[16];
    size_t n = 0;
    EVP_PKEY *ca_key = new_key();
    EVP_PKEY *ocsp_key = new_key();
    struct catena_err err;
    char url[600];
    FILE *f;
    int rc = -1;

    memset(fx, 0, sizeof(*fx));
    if (test_mkdtemp(fx->dir, sizeof(fx->dir), "catena-crl-test-") == NULL || ca_key == NULL || ocsp_key == NULL) {
        goto out;
    }
    fx->issuer = make_cert(ca_key, "Catena Test TLS CA", NULL, ca_key, 1);
    fx->responder = fx->issuer != NULL
                        ? make_cert(ocsp_key, "Catena Test OCSP", fx->issuer,
                                    ca_key, 0)
                        : NULL;
    if (fx->responder == NULL ||
        write_pem(fx->dir, "tls.pem", fx->issuer, NULL) != 0 ||
        write_pem(fx->dir, "tls.key", NULL, ca_key) != 0 ||
        write_pem(fx->dir, "ocsp.pem", fx->responder, NULL) != 0 ||
        write_pem(fx->dir, "ocsp.key", NULL, ocsp_key) != 0) {
        goto out;
    }
    snprintf(fx->conf_path, sizeof(fx->conf_path), "%s/catena.conf",
             fx->dir);
    f = fopen(fx->conf_path, "w");
    if (f == NULL) {
        goto out;
    }
    fprintf(f,
            "[catena]\ndir = %s\nstore = sqlite:%s/catena.db\n"
            "base_url = http://127.0.0.1:9/\n\n"
            "[issuer \"tls\"]\ncert = tls.pem\nkey = tls.key\n"
            "profiles = tls-server\nocsp_cert = ocsp.pem\n"
            "ocsp_key = ocsp.key\nnum_shards = 4\n\n"
            "[crl]\nnext_update = 2d\nrefresh = 1h\n\n"
            "[ocsp]\nvalidity = 4d\n",
            fx->dir, fx->dir);
    fclose(f);
    for (size_t i = 0; i < catena_core_num_config_schemas; i++) {
        schemas[n++] = catena_core_config_schemas[i];
    }
    for (size_t i = 0; i < catena_crl_service.num_schemas; i++) {
        schemas[n++] = catena_crl_service.schemas[i];
    }
    snprintf(url, sizeof(url), "sqlite:%s/catena.db", fx->dir);
    if (catena_config_load(fx->conf_path, schemas, n, &fx->cfg, &err) !=
            CATENA_OK ||
        catena_ca_open(fx->cfg, 1, &fx->ca, &err) != CATENA_OK ||
        catena_store_open(url, &fx->store, &err) != CATENA_OK ||
        catena_store_issuer_id(fx->store, "tls", &fx->issuer_id, &err) !=
            CATENA_OK) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        goto out;
    }
    rc = 0;
out:
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(ocsp_key);
    return rc;
}

void
fixture_teardown(struct crl_fixture *fx)
{
    char cmd[400];

    catena_store_close(fx->store);
    catena_ca_close(fx->ca);
    catena_config_free(fx->cfg);
    X509_free(fx->issuer);
    X509_free(fx->responder);
    if (fx->dir[0] != '\0') {
        /* The directory name is ours (mkdtemp), no quoting concerns. */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "cannot remove %s\n", fx->dir);
        }
    }
}

int
fixture_add_cert(struct crl_fixture *fx, const char *hex, int status,
                 int64_t revoked_at, int reason, int64_t not_after)
{
    uint8_t bytes[20];
    size_t len = strlen(hex) / 2;
    int shard;
    static const uint8_t spki[32] = {1};
    int64_t now = (int64_t)time(NULL);

    for (size_t i = 0; i < len; i++) {
        unsigned v = 0;

        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];

            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        bytes[i] = (uint8_t)v;
    }
    shard = catena_ca_shard_for_serial(bytes, len, 4);
    {
        const struct catena_sql_param p[] = {
            CATENA_SQL_P_TEXT(hex),
            CATENA_SQL_P_INT(fx->issuer_id),
            CATENA_SQL_P_INT(now - 30 * 86400),
            CATENA_SQL_P_INT(not_after),
            CATENA_SQL_P_BLOB(spki, sizeof(spki)),
            CATENA_SQL_P_INT(status),
            revoked_at != 0 ? CATENA_SQL_P_INT(revoked_at)
                            : CATENA_SQL_P_NULL(),
            CATENA_SQL_P_INT(reason),
            CATENA_SQL_P_INT(shard),
            CATENA_SQL_P_INT(now),
        };
        struct catena_err err;

        if (catena_store_exec(fx->store,
                              "INSERT INTO certificates (serial, issuer_id, "
                              "profile, not_before, not_after, spki_sha256, "
                              "status, revoked_at, reason, shard, "
                              "created_at) VALUES ($1, $2, 'tls-server', $3, "
                              "$4, $5, $6, $7, $8, $9, $10)",
                              p, 10, NULL, &err) != CATENA_OK) {
            fprintf(stderr, "insert: %s\n", err.msg);
            return -1;
        }
    }
    return shard;
}
