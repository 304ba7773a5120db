/*
 * names.c - DNS names, IP addresses, URIs, key identifiers and signature
 * verification shared by the rule files.
 */
#include <libpsl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "catena/lint.h"
#include "internal.h"

int
lint_dns_valid(const uint8_t *p, size_t len, int wildcard_ok, const char **why)
{
    size_t start = 0;
    size_t label = 0;

    if (len == 0) {
        *why = "empty name";
        return 0;
    }
    if (len > 253) {
        *why = "name longer than 253 octets";
        return 0;
    }
    if (p[0] == '.') {
        *why = "name starts with a period";
        return 0;
    }
    if (p[0] == '*') {
        if (!wildcard_ok) {
            *why = "wildcard not allowed here";
            return 0;
        }
        if (len < 3 || p[1] != '.') {
            *why = "wildcard is not the whole left-most label";
            return 0;
        }
        start = 2;
    }
    for (size_t i = start; i <= len; i++) {
        if (i == len || p[i] == '.') {
            if (label == 0) {
                *why = i == len ? "trailing period" : "empty label";
                return 0;
            }
            if (label > 63) {
                *why = "label longer than 63 octets";
                return 0;
            }
            if (p[i - 1] == '-' || p[i - label] == '-') {
                *why = "label starts or ends with a hyphen";
                return 0;
            }
            /* "xn--" is an A-label; other "xx--" labels are reserved. */
            if (label >= 4 && p[i - label + 2] == '-' &&
                p[i - label + 3] == '-' &&
                !((p[i - label] | 0x20) == 'x' &&
                  (p[i - label + 1] | 0x20) == 'n')) {
                *why = "reserved label (xx--)";
                return 0;
            }
            if (label >= 4 && p[i - label + 2] == '-' &&
                p[i - label + 3] == '-' &&
                !lint_alabel_valid(p + i - label, label)) {
                *why = "xn-- label is not a valid A-label (Punycode, "
                       "RFC 5891 5.4)";
                return 0;
            }
            label = 0;
            continue;
        }
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '-')) {
            *why = p[i] == '*'   ? "wildcard not in the left-most label"
                   : p[i] == '_' ? "underscore in a DNS name"
                                 : "character outside LDH";
            return 0;
        }
        label++;
    }
    return 1;
}

/* Reserved or internal TLDs and suffixes (RFC 2606, 6761, 6762, 7686,
 * 8375, 9476 and common internal names). Without a root-zone snapshot in a
 * pure linter, this is the list of names known not to be public. */
static const char *const internal_tlds[] = {
    "local", "localhost", "internal", "test", "example", "invalid", "lan",
    "corp", "home", "intranet", "private", "localdomain", "alt", "onion",
    "arpa"};

int
lint_name_internal(const uint8_t *p, size_t len, const char **why)
{
    size_t dot = len;
    size_t tl;

    while (dot > 0 && p[dot - 1] != '.') {
        dot--;
    }
    if (dot == 0) {
        *why = "single-label (internal) name";
        return 1;
    }
    tl = len - dot;
    for (size_t i = 0; i < sizeof(internal_tlds) / sizeof(internal_tlds[0]); i++) {
        if (tl == strlen(internal_tlds[i]) &&
            strncasecmp((const char *)p + dot, internal_tlds[i], tl) == 0) {
            *why = "reserved, internal, .onion or .arpa name";
            return 1;
        }
    }
    /* Whether the TLD exists at all is the Public Suffix List's to say (a
     * digit is no sign: IDN TLDs are "xn--" A-labels). */
    return lint_name_suffix(p, len, why);
}

static const psl_ctx_t *psl_list;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

/* psl_load picks the newer of libpsl's built-in snapshot and the system's
 * copy (Debian's publicsuffix package, updated with the distribution):
 * BR 3.2.2.6 asks CAs to use a fresh copy. It is read once and kept for
 * the life of the process. */
static void
psl_load(void)
{
    psl_ctx_t *latest = psl_latest(NULL);

    psl_list = latest != NULL ? latest : psl_builtin();
}

int
catena_lint_suffix_list_load(void)
{
    pthread_once(&psl_once, psl_load);
    return psl_list != NULL;
}

int
lint_name_suffix(const uint8_t *p, size_t len, const char **why)
{
    char name[254];
    const char *tld;
    size_t start = 0;
    int wild = 0;

    if (len >= 2 && p[0] == '*' && p[1] == '.') {
        wild = 1;
        start = 2;
    }
    if (len - start == 0 || len - start >= sizeof(name)) {
        return 0; /* not a valid name: A26 says so */
    }
    for (size_t i = start; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.')) {
            return 0; /* likewise */
        }
        name[i - start] = (char)(p[i] | (p[i] >= 'A' && p[i] <= 'Z' ? 0x20 : 0));
    }
    name[len - start] = '\0';
    if (!catena_lint_suffix_list_load()) {
        /* Fail closed: without the list no name can be shown public. */
        *why = "no Public Suffix List to check the name against";
        return 1;
    }
    tld = strrchr(name, '.');
    tld = tld != NULL ? tld + 1 : name;
    /* ICANN section only (BR 3.2.2.6 advises against the private one), and
     * without the PSL's implicit "*" rule, which would make any unknown
     * TLD a public suffix. */
    if (!psl_is_public_suffix2(psl_list, tld,
                               PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
        *why = "TLD not in the Public Suffix List (no such TLD)";
        return 1;
    }
    if (psl_is_public_suffix2(psl_list, name,
                              PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
        *why = wild ? "wildcard immediately left of a public suffix "
                      "(BR 3.2.2.6)"
                    : "the name is a public suffix";
        return 1;
    }
    return 0;
}

int
catena_lint_dns_name_public(const char *name, const char **why)
{
    size_t len = strlen(name);
    const char *w = NULL;

    if (!lint_dns_valid((const uint8_t *)name, len, 1, &w) ||
        lint_name_internal((const uint8_t *)name, len, &w)) {
        if (why != NULL) {
            *why = w;
        }
        return 0;
    }
    return 1;
}

int
catena_lint_ip_public(const uint8_t *ip, size_t len)
{
    return !lint_ip_reserved(ip, len);
}

int
lint_ip_reserved(const uint8_t *ip, size_t len)
{
    if (len == 4) {
        uint8_t a = ip[0];
        uint8_t b = ip[1];

        return a == 0 || a == 10 || a == 127 || a >= 224 ||
               (a == 100 && b >= 64 && b < 128) || (a == 169 && b == 254) ||
               (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168) ||
               (a == 192 && b == 0 && (ip[2] == 0 || ip[2] == 2)) ||
               (a == 198 && (b == 18 || b == 19)) ||
               (a == 198 && b == 51 && ip[2] == 100) ||
               (a == 203 && b == 0 && ip[2] == 113);
    }
    if (len == 16) {
        static const uint8_t zero[15] = {0};

        if (memcmp(ip, zero, 15) == 0) {
            return 1; /* :: and ::1 */
        }
        if (memcmp(ip, zero, 10) == 0 && ip[10] == 0xff && ip[11] == 0xff) {
            return lint_ip_reserved(ip + 12, 4); /* v4-mapped */
        }
        return (ip[0] & 0xfeu) == 0xfc || (ip[0] == 0xfe && (ip[1] & 0xc0u) == 0x80) ||
               ip[0] == 0xff || (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d &&
                                 ip[3] == 0xb8) ||
               (ip[0] == 0x01 && ip[1] == 0x00 && memcmp(ip + 2, zero, 6) == 0);
    }
    return 1;
}

int
lint_ascii_printable(const struct der *s)
{
    for (size_t i = 0; i < s->len; i++) {
        if (s->p[i] < 0x21 || s->p[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

int
lint_uri_host(const struct der *uri, struct der *scheme, struct der *host)
{
    size_t i = 0;
    size_t h;

    while (i < uri->len && uri->p[i] != ':') {
        uint8_t c = uri->p[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' ||
                         c == '.')))) {
            return 0;
        }
        i++;
    }
    if (i == 0 || i + 3 > uri->len || uri->p[i + 1] != '/' ||
        uri->p[i + 2] != '/') {
        return 0;
    }
    scheme->p = uri->p;
    scheme->len = i;
    h = i + 3;
    host->p = uri->p + h;
    while (h < uri->len && uri->p[h] != '/' && uri->p[h] != '?' &&
           uri->p[h] != '#') {
        h++;
    }
    host->len = (size_t)(uri->p + h - host->p);
    /* Drop a port. */
    for (size_t k = host->len; k > 0; k--) {
        if (host->p[k - 1] == ':') {
            host->len = k - 1;
            break;
        }
        if (host->p[k - 1] < '0' || host->p[k - 1] > '9') {
            break;
        }
    }
    return 1;
}

int
lint_verify(const struct der *spki, const struct der *alg,
            const struct der *tbs, const struct der *sig)
{
    enum lint_sig s = lint_sig_classify(alg);
    const EVP_MD *md = NULL;
    const unsigned char *p = spki->p;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int rc = -1;

    switch (s) {
    case LINT_SIG_RSA_SHA256:
    case LINT_SIG_PSS_SHA256:
    case LINT_SIG_ECDSA_SHA256:
        md = EVP_sha256();
        break;
    case LINT_SIG_RSA_SHA384:
    case LINT_SIG_PSS_SHA384:
    case LINT_SIG_ECDSA_SHA384:
        md = EVP_sha384();
        break;
    case LINT_SIG_RSA_SHA512:
    case LINT_SIG_PSS_SHA512:
    case LINT_SIG_ECDSA_SHA512:
        md = EVP_sha512();
        break;
    case LINT_SIG_ED25519:
    case LINT_SIG_ED448:
        break;
    default:
        return -1;
    }
    if (sig->len < 1 || sig->p[0] != 0 || spki->len > LONG_MAX) {
        return 0;
    }
    key = d2i_PUBKEY(NULL, &p, (long)spki->len);
    mctx = EVP_MD_CTX_new();
    if (key == NULL || mctx == NULL ||
        EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key) != 1) {
        goto out;
    }
    if (s >= LINT_SIG_PSS_SHA256 && s <= LINT_SIG_PSS_SHA512 &&
        (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)) {
        goto out;
    }
    rc = EVP_DigestVerify(mctx, sig->p + 1, sig->len - 1, tbs->p, tbs->len) ==
                 1
             ? 1
             : 0;
out:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(key);
    return rc;
}

int
lint_ski_matches(const struct der *kid, const struct lint_spki *spki)
{
    uint8_t h[SHA256_DIGEST_LENGTH];

    SHA1(spki->key.p, spki->key.len, h);
    if (kid->len == SHA_DIGEST_LENGTH && memcmp(kid->p, h, kid->len) == 0) {
        return 1;
    }
    /* RFC 5280 method 2: 0100 then the low 60 bits of the SHA-1. */
    if (kid->len == 8 && (kid->p[0] & 0xf0u) == 0x40 &&
        (kid->p[0] & 0x0fu) == (h[12] & 0x0fu) &&
        memcmp(kid->p + 1, h + 13, 7) == 0) {
        return 1;
    }
    /* RFC 7093 methods 1-3: leftmost 160 bits of SHA-256/384/512 over the
     * key bits; method 4 hashes the whole SPKI. Check SHA-256 variants. */
    SHA256(spki->key.p, spki->key.len, h);
    if (kid->len == 20 && memcmp(kid->p, h, 20) == 0) {
        return 1;
    }
    if (kid->len == 32 && memcmp(kid->p, h, 32) == 0) {
        return 1;
    }
    SHA256(spki->whole.p, spki->whole.len, h);
    if ((kid->len == 20 || kid->len == 32) && memcmp(kid->p, h, kid->len) == 0) {
        return 1;
    }
    SHA1(spki->whole.p, spki->whole.len, h);
    return kid->len == 20 && memcmp(kid->p, h, 20) == 0;
}

int
lint_aki_kid(const struct der *value, struct der *kid, int *has_kid)
{
    struct der d = *value;
    struct der seq;
    int present;

    *has_kid = 0;
    if (!der_get(&d, DER_SEQUENCE, &seq) || d.len != 0 ||
        !der_get_optional(&seq, DER_CTX(0), kid, &present)) {
        return 0;
    }
    *has_kid = present;
    return seq.len == 0;
}

int
lint_ext_dups(const struct lint_ext *exts, size_t num)
{
    for (size_t i = 0; i < num; i++) {
        for (size_t j = i + 1; j < num; j++) {
            if (der_eq(&exts[i].oid, &exts[j].oid)) {
                return 1;
            }
        }
    }
    return 0;
}

size_t
lint_policies(const struct lint_ext *cp, struct der *oids, size_t max, int *ok)
{
    struct der d;
    struct der seq;
    size_t n = 0;

    *ok = 0;
    if (cp == NULL) {
        *ok = 1;
        return 0;
    }
    d = cp->value;
    if (!der_get(&d, DER_SEQUENCE, &seq) || d.len != 0) {
        return 0;
    }
    while (seq.len > 0) {
        struct der pi;
        struct der oid;

        if (!der_get(&seq, DER_SEQUENCE, &pi) || !der_get(&pi, DER_OID, &oid)) {
            return n;
        }
        if (n < max) {
            oids[n] = oid;
        }
        n++;
    }
    *ok = 1;
    return n;
}

int
lint_oid_prefix(const struct der *oid, const uint8_t *prefix, size_t len)
{
    return oid->len >= len && memcmp(oid->p, prefix, len) == 0;
}
