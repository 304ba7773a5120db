/*
 * cmd_issue.c - "catena issue": one certificate from a CSR, printed as a
 * PEM chain (leaf first) on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "catena/ca.h"
#include "catena/config.h"
#include "catena/store.h"
#include "cmd_util.h"
#include "commands.h"
#include "core.h"

#define MAX_ARGS_NAMES 100
/* A PEM CSR is base64 of at most 16 KiB DER plus armour. */
#define CSR_FILE_CAP (24u * 1024u)

static void
issue_usage(FILE *out)
{
    fprintf(out,
            "usage: catena issue --config FILE --profile PROFILE --csr "
            "FILE|-\n"
            "                    [--dns NAME]... [--ip ADDR]... "
            "[--email ADDR]... [--uri URI]...\n"
            "                    [--days N] [--issuer NAME] "
            "[--replaces SERIAL]\n"
            "Prints the PEM chain, leaf first, on stdout. --replaces records "
            "that this\ncertificate replaces an earlier one (what mass "
            "revocation reports).\n");
}

/* csr_der turns a PEM or DER CSR file into DER without re-encoding. */
static enum catena_rc
csr_der(const uint8_t *buf, size_t len, uint8_t **der, size_t *der_len,
        struct catena_err *err)
{
    BIO *bio = NULL;
    char *name = NULL;
    char *header = NULL;
    unsigned char *data = NULL;
    long data_len = 0;
    enum catena_rc rc;

    *der = NULL;
    *der_len = 0;
    if (len < 10 || memcmp(buf, "-----BEGIN", 10) != 0) {
        *der = malloc(len ? len : 1);
        if (*der == NULL) {
            return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        }
        memcpy(*der, buf, len);
        *der_len = len;
        return CATENA_OK;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    if (bio == NULL ||
        PEM_read_bio(bio, &name, &header, &data, &data_len) != 1) {
        rc = catena_err_set_openssl(err, CATENA_ERR_INVALID,
                                    "cannot read the PEM CSR");
        goto out;
    }
    if (strcmp(name, "CERTIFICATE REQUEST") != 0 &&
        strcmp(name, "NEW CERTIFICATE REQUEST") != 0) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "the PEM block is not a CERTIFICATE REQUEST");
        goto out;
    }
    *der = malloc((size_t)data_len);
    if (*der == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(*der, data, (size_t)data_len);
    *der_len = (size_t)data_len;
    rc = CATENA_OK;
out:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(bio);
    return rc;
}

static int
push(const char **list, size_t *num, const char *v)
{
    if (*num >= MAX_ARGS_NAMES) {
        fprintf(stderr, "catena issue: at most %d names of one type\n",
                MAX_ARGS_NAMES);
        return -1;
    }
    list[(*num)++] = v;
    return 0;
}

/* replaced_exists normalises the --replaces serial and makes sure it
 * names a certificate this CA issued. */
static enum catena_rc
replaced_exists(struct catena_store *store, const char *in, char out[41],
                struct catena_err *err)
{
    struct catena_cert_row row;
    enum catena_rc rc;

    memset(&row, 0, sizeof(row));
    rc = catena_ca_find_cert(store, in, out, &row, err);
    if (rc == CATENA_OK && row.status != CATENA_CERT_ISSUED &&
        row.status != CATENA_CERT_REVOKED) {
        rc = catena_err_set(err, CATENA_ERR_INVALID,
                            "--replaces: serial %s was never issued", out);
    }
    catena_cert_row_clear(&row);
    return rc;
}

int
catena_cmd_issue(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"profile", required_argument, NULL, 'p'},
        {"csr", required_argument, NULL, 'r'},
        {"dns", required_argument, NULL, 'd'},
        {"ip", required_argument, NULL, 'i'},
        {"email", required_argument, NULL, 'e'},
        {"uri", required_argument, NULL, 'u'},
        {"days", required_argument, NULL, 'D'},
        {"issuer", required_argument, NULL, 'I'},
        {"replaces", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    const char *csr_path = NULL;
    const char *replaces_in = NULL;
    char replaces[41] = "";
    const char *dns[MAX_ARGS_NAMES];
    const char *ips[MAX_ARGS_NAMES];
    const char *emails[MAX_ARGS_NAMES];
    const char *uris[MAX_ARGS_NAMES];
    struct catena_issue_req req;
    struct catena_config *cfg = NULL;
    struct catena_ca *ca = NULL;
    struct catena_store *store = NULL;
    struct catena_issued *issued = NULL;
    struct catena_err err;
    uint8_t *file = NULL;
    size_t file_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    int64_t days = 0;
    int rc = 1;
    int c;

    memset(&req, 0, sizeof(req));
    catena_err_clear(&err);
    req.dns_names = dns;
    req.ips = ips;
    req.emails = emails;
    req.uris = uris;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': req.profile = optarg; break;
        case 'r': csr_path = optarg; break;
        case 'd':
            if (push(dns, &req.num_dns_names, optarg) != 0) {
                return 2;
            }
            break;
        case 'i':
            if (push(ips, &req.num_ips, optarg) != 0) {
                return 2;
            }
            break;
        case 'e':
            if (push(emails, &req.num_emails, optarg) != 0) {
                return 2;
            }
            break;
        case 'u':
            if (push(uris, &req.num_uris, optarg) != 0) {
                return 2;
            }
            break;
        case 'D':
            if (catena_parse_int64(optarg, 1, 9132, &days) != CATENA_OK) {
                fprintf(stderr, "catena issue: --days takes 1..9132\n");
                return 2;
            }
            req.lifetime = days * 86400;
            break;
        case 'I': req.issuer = optarg; break;
        case 'R': replaces_in = optarg; break;
        case 'h': issue_usage(stdout); return 0;
        default: issue_usage(stderr); return 2;
        }
    }
    if (config == NULL || req.profile == NULL || csr_path == NULL ||
        optind != argc) {
        issue_usage(stderr);
        return 2;
    }
    if (catena_profile_find(req.profile) == NULL) {
        fprintf(stderr, "catena issue: unknown profile %s\n", req.profile);
        return 2;
    }
    if (catena_file_read(csr_path, CSR_FILE_CAP, &file, &file_len,
                             &err) != CATENA_OK ||
        csr_der(file, file_len, &der, &der_len, &err) != CATENA_OK) {
        fprintf(stderr, "catena issue: %s\n", err.msg);
        goto out;
    }
    req.csr_der = der;
    req.csr_der_len = der_len;
    /* filled in by replaced_exists before the issuance reads it */
    req.replaces = replaces_in != NULL ? replaces : NULL;
    if (catena_cli_load_config(config, &cfg) != 0) {
        goto out;
    }
    catena_cli_apply_log_level(cfg);
    if (catena_ca_open(cfg, 1, &ca, &err) != CATENA_OK ||
        catena_store_open(catena_ca_store_url(ca), &store, &err) !=
            CATENA_OK ||
        (replaces_in != NULL &&
         replaced_exists(store, replaces_in, replaces, &err) != CATENA_OK) ||
        catena_ca_issue(ca, store, &req, &issued, &err) != CATENA_OK) {
        fprintf(stderr, "catena issue: %s: %s\n", catena_rc_name(err.code),
                err.msg);
        goto out;
    }
    if (fputs(issued->chain_pem, stdout) == EOF || fflush(stdout) != 0) {
        perror("catena issue: stdout");
        goto out;
    }
    fprintf(stderr, "catena issue: serial %s\n", issued->serial);
    rc = 0;
out:
    catena_issued_free(issued);
    catena_store_close(store);
    catena_ca_close(ca);
    catena_config_free(cfg);
    free(der);
    free(file);
    return rc;
}
