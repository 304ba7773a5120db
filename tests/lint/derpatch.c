/*
 * derpatch.c - edit a DER object (certificate, CRL, OCSP response) at the
 * TLV level and re-sign it, for the lint fixtures no CLI writes: a UTCTime
 * turned into a GeneralizedTime, a uniqueIdentifier, an encoded DEFAULT,
 * an empty SEQUENCE. Re-signing with the fixture CA key keeps every other
 * rule passing, so each fixture fails only the rule it was written for.
 *
 * usage: derpatch IN OUT [-k KEY.pem] OP...
 *   IN is PEM (any label) or DER; OUT is written in the same form.
 *   replace=PATH:HEX  the TLV at PATH becomes the bytes HEX
 *   insert=PATH:HEX   the bytes HEX go before the TLV at PATH (the last
 *                     index may be one past the last child: append)
 *   sign=PATH         the SEQUENCE { tbs, algorithm, BIT STRING } at PATH
 *                     gets a new signature over its (edited) tbs with KEY
 * PATH is child indices below the outermost TLV, dot-separated ("0.4.0"
 * is a certificate's notBefore; "-" is the outermost TLV itself). An OCTET
 * STRING whose contents are one or more whole TLVs starting with a SEQUENCE
 * is walked like a constructed TLV (extnValue, OCSP responseBytes).
 * Operations apply in order to the tree as edited; inserted bytes count as
 * one child. Untouched TLVs keep their exact bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "catena/config.h"
#include "fixture_io.h"

#define MAX_DEPTH 32
#define MAX_PATH 16

struct node {
    const uint8_t *raw;   /* whole TLV as read, or as given by an edit */
    size_t raw_len;
    uint8_t ident;        /* identifier octet (low-tag-number form only) */
    struct node **kids;   /* NULL for a leaf */
    size_t num_kids;
    int walked;           /* kids describe the contents */
    int dirty;            /* re-encode from kids instead of raw */
    uint8_t *owned;       /* raw, when this node owns it */
};

static void
node_free(struct node *n)
{
    if (n == NULL) {
        return;
    }
    for (size_t i = 0; i < n->num_kids; i++) {
        node_free(n->kids[i]);
    }
    free(n->kids);
    free(n->owned);
    free(n);
}

/* read_tlv reads one TLV header at |p| (|len| bytes left): definite
 * lengths only, low-tag-number identifiers only. Returns the header length
 * and sets |*content_len|, or 0 when malformed. */
static size_t
read_tlv(const uint8_t *p, size_t len, size_t *content_len)
{
    size_t hdr = 2;
    size_t clen;

    if (len < 2 || (p[0] & 0x1f) == 0x1f) {
        return 0;
    }
    clen = p[1];
    if (clen & 0x80) {
        size_t nb = clen & 0x7f;

        if (nb == 0 || nb > 4 || len < 2 + nb) {
            return 0;
        }
        clen = 0;
        for (size_t i = 0; i < nb; i++) {
            clen = (clen << 8) | p[2 + i];
        }
        hdr += nb;
    }
    if (clen > len - hdr) {
        return 0;
    }
    *content_len = clen;
    return hdr;
}

static struct node *parse_node(const uint8_t *p, size_t len, size_t *used,
                               int depth);

/* parse_kids parses |len| bytes of whole TLVs into |n|'s children.
 * Returns 1, or 0 when they are not exactly a run of TLVs. */
static int
parse_kids(struct node *n, const uint8_t *p, size_t len, int depth)
{
    size_t off = 0;

    n->walked = 1;
    while (off < len) {
        size_t used = 0;
        struct node *k = parse_node(p + off, len - off, &used, depth + 1);
        struct node **nk;

        if (k == NULL) {
            return 0;
        }
        nk = realloc(n->kids, (n->num_kids + 1) * sizeof(*nk));
        if (nk == NULL) {
            node_free(k);
            return 0;
        }
        n->kids = nk;
        n->kids[n->num_kids++] = k;
        off += used;
    }
    return 1;
}

static struct node *
parse_node(const uint8_t *p, size_t len, size_t *used, int depth)
{
    size_t clen = 0;
    size_t hdr = read_tlv(p, len, &clen);
    struct node *n;

    if (hdr == 0 || depth > MAX_DEPTH || (n = calloc(1, sizeof(*n))) == NULL) {
        return NULL;
    }
    n->raw = p;
    n->raw_len = hdr + clen;
    n->ident = p[0];
    *used = n->raw_len;
    if (p[0] & 0x20) {
        if (!parse_kids(n, p + hdr, clen, depth)) {
            node_free(n);
            return NULL;
        }
    } else if (p[0] == 0x04 && clen > 0 && p[hdr] == 0x30) {
        /* Walk an OCTET STRING only if it holds DER; otherwise it stays
         * an opaque leaf. */
        if (!parse_kids(n, p + hdr, clen, depth)) {
            for (size_t i = 0; i < n->num_kids; i++) {
                node_free(n->kids[i]);
            }
            free(n->kids);
            n->kids = NULL;
            n->num_kids = 0;
            n->walked = 0;
        }
    }
    return n;
}

/* Growable output buffer. */
struct buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

static int
buf_put(struct buf *b, const uint8_t *p, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        uint8_t *np;

        while (cap < b->len + len) {
            cap *= 2;
        }
        if ((np = realloc(b->p, cap)) == NULL) {
            return 0;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, len);
    b->len += len;
    return 1;
}

static int
serialize(const struct node *n, struct buf *out)
{
    struct buf c = {0};
    uint8_t hdr[6];
    size_t hl = 0;
    int ok = 0;

    if (!n->dirty) {
        return buf_put(out, n->raw, n->raw_len);
    }
    for (size_t i = 0; i < n->num_kids; i++) {
        if (!serialize(n->kids[i], &c)) {
            goto out;
        }
    }
    hdr[hl++] = n->ident;
    if (c.len < 0x80) {
        hdr[hl++] = (uint8_t)c.len;
    } else {
        size_t nb = c.len > 0xffffff ? 4 : c.len > 0xffff ? 3 : c.len > 0xff ? 2 : 1;

        hdr[hl++] = (uint8_t)(0x80 | nb);
        for (size_t i = nb; i > 0; i--) {
            hdr[hl++] = (uint8_t)(c.len >> (8 * (i - 1)));
        }
    }
    ok = buf_put(out, hdr, hl) && (c.len == 0 || buf_put(out, c.p, c.len));
out:
    free(c.p);
    return ok;
}

/* parse_path turns "0.0.4" into indices; "-" is the root. Returns the
 * count, or -1 when malformed. */
static int
parse_path(const char *s, size_t *idx)
{
    char part[16];
    int num = 0;

    if (strcmp(s, "-") == 0) {
        return 0;
    }
    while (*s != '\0') {
        size_t n = strcspn(s, ".");
        int64_t v;

        if (n == 0 || n >= sizeof(part) || num == MAX_PATH) {
            return -1;
        }
        memcpy(part, s, n);
        part[n] = '\0';
        if (catena_parse_int64(part, 0, 1000, &v) != CATENA_OK) {
            return -1;
        }
        idx[num++] = (size_t)v;
        s += n;
        if (*s == '.') {
            s++;
        }
    }
    return num;
}

/* walk follows |idx| (|num| indices) from |root|, marking every node on
 * the way dirty (its length will be recomputed). With |parent_only| it
 * stops at the parent of the last index, which may then be one past the
 * end. Returns the node, or NULL when the path leaves the tree. */
static struct node *
walk(struct node *root, const size_t *idx, int num, int parent_only)
{
    struct node *n = root;
    int stop = parent_only ? num - 1 : num;

    n->dirty = 1;
    for (int i = 0; i < stop; i++) {
        if (!n->walked || idx[i] >= n->num_kids) {
            return NULL;
        }
        n = n->kids[idx[i]];
        n->dirty = 1;
    }
    if (parent_only && (!n->walked || idx[num - 1] > n->num_kids)) {
        return NULL;
    }
    return n;
}

/* opaque makes a leaf that serializes as |len| owned bytes. */
static struct node *
opaque(uint8_t *bytes, size_t len)
{
    struct node *n = calloc(1, sizeof(*n));

    if (n == NULL) {
        return NULL;
    }
    n->raw = bytes;
    n->raw_len = len;
    n->owned = bytes;
    n->ident = len > 0 ? bytes[0] : 0;
    return n;
}

/* edit applies "replace=PATH:HEX" or "insert=PATH:HEX". */
static int
edit(struct node *root, const char *arg, int insert)
{
    char path[64];
    size_t idx[MAX_PATH];
    const char *colon = strchr(arg, ':');
    size_t plen = colon != NULL ? (size_t)(colon - arg) : 0;
    struct node *parent;
    struct node *leaf;
    uint8_t *bytes = NULL;
    long blen = 0;
    size_t at;
    int num;

    if (colon == NULL || plen >= sizeof(path)) {
        return 0;
    }
    memcpy(path, arg, plen);
    path[plen] = '\0';
    num = parse_path(path, idx);
    if (num < 1 || (parent = walk(root, idx, num, 1)) == NULL) {
        return 0;
    }
    at = idx[num - 1];
    if (!insert && at >= parent->num_kids) {
        return 0;
    }
    if (colon[1] != '\0' &&
        (bytes = OPENSSL_hexstr2buf(colon + 1, &blen)) == NULL) {
        return 0;
    }
    /* OPENSSL_hexstr2buf's buffer is OPENSSL_malloc'd; nodes free with
     * free(), so copy. */
    {
        uint8_t *copy = malloc(blen > 0 ? (size_t)blen : 1);

        if (copy == NULL) {
            OPENSSL_free(bytes);
            return 0;
        }
        if (blen > 0) {
            memcpy(copy, bytes, (size_t)blen);
        }
        OPENSSL_free(bytes);
        if ((leaf = opaque(copy, (size_t)blen)) == NULL) {
            free(copy);
            return 0;
        }
    }
    if (insert) {
        struct node **nk = realloc(parent->kids,
                                   (parent->num_kids + 1) * sizeof(*nk));

        if (nk == NULL) {
            node_free(leaf);
            return 0;
        }
        parent->kids = nk;
        memmove(&nk[at + 1], &nk[at], (parent->num_kids - at) * sizeof(*nk));
        nk[at] = leaf;
        parent->num_kids++;
    } else {
        node_free(parent->kids[at]);
        parent->kids[at] = leaf;
    }
    return 1;
}

/* sign replaces the BIT STRING of the signed SEQUENCE at |path|. The digest
 * follows the key: SHA-256 for RSA and P-256, SHA-384 for P-384, none for
 * Ed25519, as the fixture CAs sign. */
static int
sign(struct node *root, const char *path, EVP_PKEY *key)
{
    size_t idx[MAX_PATH];
    int num = parse_path(path, idx);
    struct node *s;
    struct buf tbs = {0};
    EVP_MD_CTX *md = NULL;
    const EVP_MD *dgst = EVP_sha256();
    uint8_t *sig = NULL;
    uint8_t *bits = NULL;
    size_t sig_len = 0;
    struct node *leaf;
    int ok = 0;

    if (key == NULL || num < 0 || (s = walk(root, idx, num, 0)) == NULL ||
        !s->walked || s->num_kids < 3 || !serialize(s->kids[0], &tbs)) {
        goto out;
    }
    if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519) {
        dgst = NULL;
    } else if (EVP_PKEY_get_bits(key) == 384) {
        dgst = EVP_sha384();
    }
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(md, NULL, dgst, NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &sig_len, tbs.p, tbs.len) != 1 ||
        sig_len > 1000 || (sig = malloc(sig_len)) == NULL ||
        EVP_DigestSign(md, sig, &sig_len, tbs.p, tbs.len) != 1 ||
        (bits = malloc(sig_len + 5)) == NULL) {
        goto out;
    }
    /* BIT STRING { 0 unused bits, signature } */
    {
        size_t hl = 0;
        size_t clen = sig_len + 1;

        bits[hl++] = 0x03;
        if (clen < 0x80) {
            bits[hl++] = (uint8_t)clen;
        } else if (clen <= 0xff) {
            bits[hl++] = 0x81;
            bits[hl++] = (uint8_t)clen;
        } else {
            bits[hl++] = 0x82;
            bits[hl++] = (uint8_t)(clen >> 8);
            bits[hl++] = (uint8_t)clen;
        }
        bits[hl++] = 0x00;
        memcpy(bits + hl, sig, sig_len);
        if ((leaf = opaque(bits, hl + sig_len)) == NULL) {
            goto out;
        }
        bits = NULL;
    }
    node_free(s->kids[2]);
    s->kids[2] = leaf;
    ok = 1;
out:
    free(bits);
    free(sig);
    free(tbs.p);
    EVP_MD_CTX_free(md);
    return ok;
}

static int
save(const char *path, const struct buf *b, const char *label)
{
    FILE *f = fopen(path, "wb");
    int ok;

    if (f == NULL) {
        return 0;
    }
    ok = label != NULL
             ? PEM_write(f, label, "", b->p, (long)b->len) > 0
             : fwrite(b->p, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok;
}

int
main(int argc, char **argv)
{
    uint8_t *in = NULL;
    size_t in_len = 0;
    char *label = NULL;
    struct node *root = NULL;
    EVP_PKEY *key = NULL;
    struct buf out = {0};
    size_t used = 0;
    int rc = 1;

    if (argc < 4) {
        fprintf(stderr, "usage: derpatch IN OUT [-k KEY.pem] OP...\n");
        return 2;
    }
    if ((in = fixture_load(argv[1], &in_len, &label)) == NULL ||
        (root = parse_node(in, in_len, &used, 0)) == NULL || used != in_len) {
        fprintf(stderr, "derpatch: %s: not one DER object\n", argv[1]);
        goto out;
    }
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        int ok;

        if (strcmp(a, "-k") == 0 && i + 1 < argc) {
            EVP_PKEY_free(key);
            ok = (key = fixture_load_key(argv[++i])) != NULL;
        } else if (strncmp(a, "replace=", 8) == 0) {
            ok = edit(root, a + 8, 0);
        } else if (strncmp(a, "insert=", 7) == 0) {
            ok = edit(root, a + 7, 1);
        } else if (strncmp(a, "sign=", 5) == 0) {
            ok = sign(root, a + 5, key);
        } else {
            ok = 0;
        }
        if (!ok) {
            fprintf(stderr, "derpatch: %s: cannot apply %s\n", argv[1], a);
            goto out;
        }
    }
    if (!serialize(root, &out) || !save(argv[2], &out, label)) {
        fprintf(stderr, "derpatch: cannot write %s\n", argv[2]);
        goto out;
    }
    rc = 0;
out:
    free(out.p);
    node_free(root);
    EVP_PKEY_free(key);
    OPENSSL_free(label);
    free(in);
    return rc;
}
