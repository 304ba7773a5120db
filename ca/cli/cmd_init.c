/*
 * cmd_init.c - "catena init": the key ceremony.
 *
 * Generates the CA keys, writes a commented catena.conf, creates the
 * store, and has the signer sign the root, the three issuing CAs, one
 * OCSP responder per issuing CA and optionally the ACME server's TLS
 * certificate. Every certificate goes through the signer, and so through
 * the linter, exactly like any other issuance.
 *
 * The signer loads issuer certificates when it starts, so it is started
 * afresh for each stage: root, then the issuing CAs, then the leaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/log.h"
#include "catena/store.h"
#include "cmd_util.h"
#include "commands.h"
#include "core.h"

struct init_opts {
    const char *dir;
    const char *key_type;
    const char *name;
    const char *country;
    const char *trust_domain;
    const char *hostname;
    const char *base_url;
    const char *listen;
    const char *acme_listen; /* --acme-listen: write an enabled [acme] */
};

/* The issuing CAs, in the order the config lists them. */
static const struct {
    const char *name;
    const char *cn_suffix;
    const char *profiles;
    enum catena_ca_kind kind;
} issuing[] = {
    {"tls", "TLS CA", "tls-server,service-tls,ocsp-signer", CATENA_CA_KIND_TLS},
    {"smime", "S/MIME CA", "smime-mailbox,ocsp-signer", CATENA_CA_KIND_SMIME},
    {"spiffe", "SPIFFE CA", "x509-svid,ocsp-signer", CATENA_CA_KIND_SPIFFE},
};
#define NUM_ISSUING (sizeof(issuing) / sizeof(issuing[0]))

static void
init_usage(FILE *out)
{
    fprintf(out,
            "usage: catena init --dir DIR [--key-type p256|p384|rsa2048|"
            "rsa3072|rsa4096|ed25519]\n"
            "                   [--name NAME] [--country CC] "
            "[--trust-domain TD]\n"
            "                   [--hostname NAME] [--base-url URL] "
            "[--listen ADDR]\n"
            "                   [--acme-listen HOST:PORT]\n"
            "\n"
            "--acme-listen (with --hostname) also writes enabled [crl], "
            "[ocsp] and [acme]\nsections; without it those services use "
            "their defaults (ACME off).\n"
            "\n"
            "With --key-type ed25519 the root, S/MIME and SPIFFE CAs use "
            "Ed25519; the TLS CA\nand its OCSP responder use P-256, because "
            "the TLS Baseline Requirements\n(6.1.5) do not allow EdDSA.\n");
}

/* TLS BR 6.1.5 admits RSA and ECDSA only, anywhere in a TLS hierarchy. */
static const char *
tls_key_type(const char *type)
{
    return strcmp(type, "ed25519") == 0 ? "p256" : type;
}

static int
path_join(char *buf, size_t len, const char *dir, const char *file)
{
    size_t a = strlen(dir);
    size_t b = strlen(file);

    if (a + 1 + b + 1 > len) {
        return -1;
    }
    memcpy(buf, dir, a);
    buf[a] = '/';
    memcpy(buf + a + 1, file, b + 1);
    return 0;
}

static X509_NAME *
make_name(const char *country, const char *org, const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    if (n == NULL ||
        !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
                                    (const unsigned char *)country, -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                    (const unsigned char *)org, -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)cn, -1, -1, 0)) {
        X509_NAME_free(n);
        return NULL;
    }
    return n;
}

/* write_text creates |path| exclusively with |mode| and writes |text|. */
static int
write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    size_t len = strlen(text);
    size_t off = 0;

    if (fd < 0) {
        fprintf(stderr, "catena init: cannot create %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "catena init: cannot write %s: %s\n", path,
                    strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "catena init: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* first_pem returns a copy of the first PEM block of |chain|. */
static char *
first_pem(const char *chain)
{
    const char *end = strstr(chain, "-----END CERTIFICATE-----");
    size_t len;
    char *copy;

    if (end == NULL) {
        return NULL;
    }
    len = (size_t)(end - chain) + strlen("-----END CERTIFICATE-----\n");
    if (len > strlen(chain)) {
        len = strlen(chain);
    }
    copy = malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, chain, len);
        copy[len] = '\0';
    }
    return copy;
}

/* port_of returns the port part of "host:port" or "[v6]:port", or "". */
static const char *
port_of(const char *listen)
{
    const char *colon = strrchr(listen, ':');

    return colon != NULL ? colon + 1 : "";
}

static int
write_config(const struct init_opts *o, const char *dir, const char *path)
{
    char *buf = NULL;
    size_t cap = 16384;
    size_t off = 0;
    int rc = -1;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

#define EMIT(...)                                                             \
    do {                                                                      \
        int n_ = snprintf(buf + off, cap - off, __VA_ARGS__);                 \
        if (n_ < 0 || (size_t)n_ >= cap - off) {                              \
            goto out;                                                         \
        }                                                                     \
        off += (size_t)n_;                                                    \
    } while (0)

    buf = malloc(cap);
    if (buf == NULL) {
        return -1;
    }
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    EMIT("# catena.conf - written by \"catena init\" at %s.\n"
         "# Relative paths resolve against this file's directory. Unknown "
         "keys are\n# errors; check with: catena serve --config %s --check\n\n",
         stamp, path);
    EMIT("[catena]\n"
         "# Where certificates, keys and the database live.\n"
         "dir = %s\n"
         "# The store: sqlite:/abs/path.db or a postgresql:// URI.\n"
         "store = sqlite:%s/catena.db\n"
         "# First serial byte, 1..255; give every node sharing a store its "
         "own.\n"
         "instance_prefix = 1\n"
         "# Public HTTP base of the CRL, OCSP and caIssuers URLs put into "
         "certificates.\n"
         "base_url = %s\n"
         "# debug, info, warn or error.\n"
         "log_level = info\n"
         "# SPIFFE trust domain of the SVIDs the spiffe issuer signs.\n"
         "trust_domain = %s\n\n",
         dir, dir, o->base_url, o->trust_domain);
    EMIT("[http]\n"
         "# Plain-HTTP listener for /health, CRLs, OCSP and CA "
         "certificates.\n"
         "listen = %s\n"
         "threads = 4\n\n",
         o->listen);
    EMIT("# The root signs only the issuing CAs; its key stays offline in "
         "spirit.\n"
         "[issuer \"root\"]\n"
         "cert = %s/root.pem\n"
         "key = %s/keys/root.key\n"
         "profiles = root-ca,sub-ca\n"
         "num_shards = 1\n\n",
         dir, dir);
    for (size_t i = 0; i < NUM_ISSUING; i++) {
        const char *n = issuing[i].name;

        EMIT("[issuer \"%s\"]\n"
             "cert = %s/%s.pem\n"
             "key = %s/keys/%s.key\n"
             "# This issuer's certificate; the root is not included.\n"
             "chain = %s/%s-chain.pem\n"
             "profiles = %s\n"
             "# Delegated OCSP responder (profile ocsp-signer).\n"
             "ocsp_cert = %s/%s-ocsp.pem\n"
             "ocsp_key = %s/keys/%s-ocsp.key\n"
             "# CRL shards; certificates name theirs in the CRLDP.\n"
             "num_shards = 4\n"
             "parent = root\n\n",
             n, dir, n, dir, n, dir, n, issuing[i].profiles, dir, n, dir, n);
    }
    EMIT("# Per-profile validity (s/m/h/d suffixes); the built-in maxima and "
         "the\n# BR 6.3.2 schedule can only be narrowed here.\n"
         "#[profile \"tls-server\"]\n"
         "#lifetime = 90d\n"
         "#max_lifetime = 199d\n\n");
    EMIT("# CAA (RFC 8659) is checked before every tls-server and "
         "smime-mailbox\n# certificate issued outside ACME (ACME checks "
         "its own): TLS BR 3.2.2.8,\n# S/MIME BR 3.2.2.3 (issuemail). Any "
         "DNS error refuses. Until identities\n# is set such issuance is "
         "refused with a message saying so.\n"
         "#[caa]\n"
         "# The issuer domains your customers' CAA records name:\n"
         "#identities = ca.example.com\n"
         "# host:port of the resolver (default: the system's):\n"
         "#resolver = 127.0.0.1:53\n"
         "# false only for a CA that is not publicly trusted:\n"
         "#check = true\n\n");
    EMIT("# ---- front doors -------------------------------------------------"
         "---\n"
         "# [crl] and [acme] sections belong to the crl/ and acme/ services "
         "(their\n# keys are listed by \"catena serve --check\" errors and "
         "the README).\n"
         "# Without a section a service uses its defaults or stays off.\n");
    if (o->hostname != NULL && o->acme_listen == NULL) {
        EMIT("# The ACME server's TLS certificate and key:\n"
             "#   %s/acme-tls.pem (leaf + chain), %s/keys/acme-tls.key\n",
             dir, dir);
    }
    if (o->acme_listen != NULL) {
        EMIT("\n# CRL shards are regenerated on this schedule and within "
             "seconds of a\n# revocation; nextUpdate stays within the BR's "
             "10 days.\n"
             "[crl]\n"
             "enabled = true\n"
             "next_update = 24h\n"
             "refresh = 6h\n\n"
             "# OCSP responses are pre-signed and re-signed before half of "
             "their\n# validity has passed.\n"
             "[ocsp]\n"
             "enabled = true\n"
             "validity = 4d\n\n"
             "# ACME (RFC 8555 + ARI). Clients trust %s/root.pem; the "
             "directory is\n# <base_url>/directory.\n"
             "[acme]\n"
             "enabled = true\n"
             "listen = %s\n"
             "base_url = https://%s:%s\n"
             "tls_cert = %s/acme-tls.pem\n"
             "tls_key = %s/keys/acme-tls.key\n"
             "caa_identities = %s\n"
             "# Challenges are validated on the standard ports; point "
             "dns_resolver at\n# the resolver CAA and dns-01 lookups "
             "must use (ip:port).\n"
             "http01_port = 80\n"
             "tlsalpn01_port = 443\n"
             "#dns_resolver = 127.0.0.1:53\n",
             dir, o->acme_listen, o->hostname, port_of(o->acme_listen), dir,
             dir, o->hostname);
    }
#undef EMIT
    rc = write_text(path, buf, 0644);
out:
    if (rc != 0 && off > 0 && off >= cap - 1) {
        fprintf(stderr, "catena init: configuration too long\n");
    }
    free(buf);
    return rc;
}

/* stage_open (re)opens the CA with a fresh signer that sees every
 * certificate written so far. */
static int
stage_open(const char *conf, struct catena_config **cfg,
           struct catena_ca **ca)
{
    struct catena_err err;

    catena_err_clear(&err);
    catena_ca_close(*ca);
    *ca = NULL;
    catena_config_free(*cfg);
    *cfg = NULL;
    if (catena_cli_load_config(conf, cfg) != 0) {
        return -1;
    }
    if (catena_ca_open_ex(*cfg, 1, 1, ca, &err) != CATENA_OK) {
        fprintf(stderr, "catena init: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int
issue_one(struct catena_ca *ca, struct catena_store *store,
          struct catena_issue_req *req, struct catena_issue_extra *extra,
          const char *pem_path, const char *chain_path, int leaf_only)
{
    struct catena_issued *issued = NULL;
    struct catena_err err;
    char *leaf = NULL;
    int rc = -1;

    catena_err_clear(&err);
    if (catena_ca_issue_ex(ca, store, req, extra, &issued, &err) !=
        CATENA_OK) {
        fprintf(stderr, "catena init: cannot issue %s (%s): %s\n", pem_path,
                req->profile, err.msg);
        return -1;
    }
    leaf = first_pem(issued->chain_pem);
    if (leaf == NULL) {
        goto out;
    }
    if (write_text(pem_path, leaf_only ? leaf : issued->chain_pem, 0644) !=
        0) {
        goto out;
    }
    if (chain_path != NULL && write_text(chain_path, leaf, 0644) != 0) {
        goto out;
    }
    printf("%-40s serial %s\n", pem_path, issued->serial);
    rc = 0;
out:
    free(leaf);
    catena_issued_free(issued);
    return rc;
}

static int
spki_of(EVP_PKEY *pk, uint8_t **der, size_t *len)
{
    unsigned char *d = NULL;
    int n = i2d_PUBKEY(pk, &d);

    if (n <= 0) {
        return -1;
    }
    *der = malloc((size_t)n);
    if (*der == NULL) {
        OPENSSL_free(d);
        return -1;
    }
    memcpy(*der, d, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(d);
    return 0;
}

/* The keys of one init run; only public halves stay in memory. */
enum {
    K_ROOT,
    K_TLS,
    K_SMIME,
    K_SPIFFE,
    K_TLS_OCSP,
    K_SMIME_OCSP,
    K_SPIFFE_OCSP,
    K_ACME,
    K__MAX
};

static int
ceremony(const struct init_opts *o, const char *dir)
{
    static const char *const key_files[K__MAX] = {
        "root", "tls", "smime", "spiffe", "tls-ocsp", "smime-ocsp",
        "spiffe-ocsp", "acme-tls"};
    EVP_PKEY *keys[K__MAX] = {0};
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_store *store = NULL;
    struct catena_err err;
    char conf[PATH_MAX];
    char path[PATH_MAX];
    char path2[PATH_MAX];
    char store_url[PATH_MAX + 32];
    X509_NAME *name = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    char cn[256];
    int rc = 1;

    catena_err_clear(&err);
    if (path_join(conf, sizeof(conf), dir, "catena.conf") != 0 ||
        path_join(path, sizeof(path), dir, "keys") != 0) {
        fprintf(stderr, "catena init: path too long\n");
        return 1;
    }
    if (access(conf, F_OK) == 0) {
        fprintf(stderr, "catena init: %s exists; refusing to overwrite a CA\n",
                conf);
        return 1;
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "catena init: cannot create %s: %s\n", path,
                strerror(errno));
        return 1;
    }
    chmod(path, 0700);

    /* 1. Keys. */
    for (int k = 0; k < K__MAX; k++) {
        const char *type = o->key_type;
        char file[64];

        if (k == K_ACME && o->hostname == NULL) {
            continue;
        }
        if (k == K_TLS || k == K_TLS_OCSP || k == K_ACME) {
            type = tls_key_type(o->key_type);
        }
        snprintf(file, sizeof(file), "keys/%s.key", key_files[k]);
        if (path_join(path, sizeof(path), dir, file) != 0 ||
            catena_keygen(type, path, &keys[k], &err) != CATENA_OK) {
            fprintf(stderr, "catena init: %s\n", err.msg);
            goto out;
        }
    }

    /* 2. Configuration and store. */
    if (write_config(o, dir, conf) != 0) {
        goto out;
    }
    snprintf(store_url, sizeof(store_url), "sqlite:%s/catena.db", dir);
    if (catena_store_open(store_url, &store, &err) != CATENA_OK) {
        fprintf(stderr, "catena init: %s\n", err.msg);
        goto out;
    }

    /* 3. Root, self-signed. */
    if (stage_open(conf, &cfg, &ca) != 0) {
        goto out;
    }
    snprintf(cn, sizeof(cn), "%s Root CA", o->name);
    name = make_name(o->country, o->name, cn);
    if (name == NULL || spki_of(keys[K_ROOT], &spki, &spki_len) != 0) {
        fprintf(stderr, "catena init: out of memory\n");
        goto out;
    }
    {
        struct catena_issue_req req = {.profile = "root-ca",
                                       .issuer = "root",
                                       .spki_der = spki,
                                       .spki_der_len = spki_len};
        struct catena_issue_extra extra = {.subject = name,
                                           .self_key = keys[K_ROOT]};

        path_join(path, sizeof(path), dir, "root.pem");
        if (issue_one(ca, store, &req, &extra, path, NULL, 1) != 0) {
            goto out;
        }
    }
    free(spki);
    spki = NULL;
    X509_NAME_free(name);
    name = NULL;

    /* 4. Issuing CAs, signed by the root. */
    if (stage_open(conf, &cfg, &ca) != 0) {
        goto out;
    }
    for (size_t i = 0; i < NUM_ISSUING; i++) {
        char file[64];
        char cfile[64];

        snprintf(cn, sizeof(cn), "%s %s", o->name, issuing[i].cn_suffix);
        name = make_name(o->country, o->name, cn);
        if (name == NULL ||
            spki_of(keys[K_TLS + (int)i], &spki, &spki_len) != 0) {
            fprintf(stderr, "catena init: out of memory\n");
            goto out;
        }
        snprintf(file, sizeof(file), "%s.pem", issuing[i].name);
        snprintf(cfile, sizeof(cfile), "%s-chain.pem", issuing[i].name);
        path_join(path, sizeof(path), dir, file);
        path_join(path2, sizeof(path2), dir, cfile);
        {
            struct catena_issue_req req = {.profile = "sub-ca",
                                           .issuer = "root",
                                           .spki_der = spki,
                                           .spki_der_len = spki_len};
            struct catena_issue_extra extra = {.subject = name,
                                               .ca_kind = issuing[i].kind};

            if (issue_one(ca, store, &req, &extra, path, path2, 1) != 0) {
                goto out;
            }
        }
        free(spki);
        spki = NULL;
        X509_NAME_free(name);
        name = NULL;
    }

    /* 5. OCSP responders and the ACME server certificate. */
    if (stage_open(conf, &cfg, &ca) != 0) {
        goto out;
    }
    for (size_t i = 0; i < NUM_ISSUING; i++) {
        char file[64];

        snprintf(cn, sizeof(cn), "%s %s OCSP Responder", o->name,
                 issuing[i].cn_suffix);
        name = make_name(o->country, o->name, cn);
        if (name == NULL ||
            spki_of(keys[K_TLS_OCSP + (int)i], &spki, &spki_len) != 0) {
            fprintf(stderr, "catena init: out of memory\n");
            goto out;
        }
        snprintf(file, sizeof(file), "%s-ocsp.pem", issuing[i].name);
        path_join(path, sizeof(path), dir, file);
        {
            struct catena_issue_req req = {.profile = "ocsp-signer",
                                           .issuer = issuing[i].name,
                                           .spki_der = spki,
                                           .spki_der_len = spki_len};
            struct catena_issue_extra extra = {.subject = name};

            if (issue_one(ca, store, &req, &extra, path, NULL, 1) != 0) {
                goto out;
            }
        }
        free(spki);
        spki = NULL;
        X509_NAME_free(name);
        name = NULL;
    }
    if (o->hostname != NULL) {
        const char *names[1] = {o->hostname};
        unsigned char ip[16];
        struct catena_issue_req req = {.profile = "service-tls",
                                       .issuer = "tls"};

        /* An address literal ("127.0.0.1", "::1") is an iPAddress SAN. */
        if (inet_pton(AF_INET, o->hostname, ip) == 1 ||
            inet_pton(AF_INET6, o->hostname, ip) == 1) {
            req.ips = names;
            req.num_ips = 1;
        } else {
            req.dns_names = names;
            req.num_dns_names = 1;
        }

        if (spki_of(keys[K_ACME], &spki, &spki_len) != 0) {
            goto out;
        }
        req.spki_der = spki;
        req.spki_der_len = spki_len;
        path_join(path, sizeof(path), dir, "acme-tls.pem");
        if (issue_one(ca, store, &req, NULL, path, NULL, 0) != 0) {
            goto out;
        }
    }
    printf("catena init: CA ready in %s\n  config: %s\n", dir, conf);
    rc = 0;
out:
    free(spki);
    X509_NAME_free(name);
    catena_ca_close(ca);
    catena_config_free(cfg);
    catena_store_close(store);
    for (int k = 0; k < K__MAX; k++) {
        EVP_PKEY_free(keys[k]);
    }
    return rc;
}

int
catena_cmd_init(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"key-type", required_argument, NULL, 'k'},
        {"name", required_argument, NULL, 'n'},
        {"country", required_argument, NULL, 'c'},
        {"trust-domain", required_argument, NULL, 't'},
        {"hostname", required_argument, NULL, 'H'},
        {"acme-listen", required_argument, NULL, 'A'},
        {"base-url", required_argument, NULL, 'b'},
        {"listen", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const key_types[] = {"p256",    "p384",    "rsa2048",
                                            "rsa3072", "rsa4096", "ed25519"};
    struct init_opts o = {.key_type = "p256",
                          .name = "Catena",
                          .country = "US",
                          .trust_domain = "example.org",
                          .listen = "127.0.0.1:8080"};
    char base[300];
    char dir[PATH_MAX];
    int ok = 0;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'k': o.key_type = optarg; break;
        case 'n': o.name = optarg; break;
        case 'c': o.country = optarg; break;
        case 't': o.trust_domain = optarg; break;
        case 'H': o.hostname = optarg; break;
        case 'A': o.acme_listen = optarg; break;
        case 'b': o.base_url = optarg; break;
        case 'l': o.listen = optarg; break;
        case 'h': init_usage(stdout); return 0;
        default: init_usage(stderr); return 2;
        }
    }
    if (o.acme_listen != NULL &&
        (o.hostname == NULL || port_of(o.acme_listen)[0] == '\0')) {
        fprintf(stderr, "catena init: --acme-listen HOST:PORT needs "
                        "--hostname (the ACME server's certificate name)\n");
        return 2;
    }
    if (o.dir == NULL || optind != argc) {
        init_usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
        ok |= strcmp(o.key_type, key_types[i]) == 0;
    }
    if (!ok) {
        fprintf(stderr, "catena init: unknown key type %s\n", o.key_type);
        return 2;
    }
    if (strlen(o.country) != 2 || o.country[0] < 'A' || o.country[0] > 'Z' ||
        o.country[1] < 'A' || o.country[1] > 'Z') {
        fprintf(stderr, "catena init: --country takes an upper-case ISO "
                        "3166 code\n");
        return 2;
    }
    if (strlen(o.name) == 0 || strlen(o.name) > 48) {
        fprintf(stderr, "catena init: --name must have 1..48 characters\n");
        return 2;
    }
    if (o.base_url == NULL) {
        snprintf(base, sizeof(base), "http://%s", o.listen);
        o.base_url = base;
    }
    if (mkdir(o.dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "catena init: cannot create %s: %s\n", o.dir,
                strerror(errno));
        return 1;
    }
    if (realpath(o.dir, dir) == NULL) {
        fprintf(stderr, "catena init: %s: %s\n", o.dir, strerror(errno));
        return 1;
    }
    return ceremony(&o, dir);
}
