/*
 * csr.c - does a finalize CSR name exactly the order's identifiers?
 *
 * The CSR is read through a template of our own whose public key is kept
 * as the bytes received, never decoded: d2i_X509_REQ builds the key
 * through OpenSSL 3's provider decoder chain, which cost more than the
 * rest of this check together, and the key is not ours to look at here
 * (catena_csr_verify checks the signature and the key policy once, and
 * the issuing core takes the verified CSR). Subject and attributes are
 * decoded as X509_REQ would.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

#define CSR_MAX_NAMES (2 * ACME_MAX_IDENTIFIERS)

typedef struct {
    ASN1_INTEGER *version;
    X509_NAME *subject;
    ASN1_STRING *spki; /* the whole SubjectPublicKeyInfo, undecoded */
    STACK_OF(X509_ATTRIBUTE) *attributes;
} ACME_CSR_INFO;

typedef struct {
    ACME_CSR_INFO *info;
    X509_ALGOR *sig_alg;
    ASN1_BIT_STRING *signature;
} ACME_CSR;

/* RFC 2986 4: the attributes are [0] IMPLICIT, accepted when absent as
 * X509_REQ does (some clients omit the empty SET). */
ASN1_SEQUENCE(ACME_CSR_INFO) = {
    ASN1_SIMPLE(ACME_CSR_INFO, version, ASN1_INTEGER),
    ASN1_SIMPLE(ACME_CSR_INFO, subject, X509_NAME),
    ASN1_SIMPLE(ACME_CSR_INFO, spki, ASN1_SEQUENCE),
    ASN1_IMP_SET_OF_OPT(ACME_CSR_INFO, attributes, X509_ATTRIBUTE, 0),
} static_ASN1_SEQUENCE_END(ACME_CSR_INFO)

ASN1_SEQUENCE(ACME_CSR) = {
    ASN1_SIMPLE(ACME_CSR, info, ACME_CSR_INFO),
    ASN1_SIMPLE(ACME_CSR, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(ACME_CSR, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(ACME_CSR)

/*
 * csr_extensions decodes the extensions the CSR requests: the one
 * extensionRequest attribute (PKCS #9; or Microsoft's older OID), holding
 * exactly one value. A second such attribute, or a second value, is
 * refused rather than one of them picked. |*out| is NULL when there is
 * none. Returns -1 for a malformed request.
 */
static int
csr_extensions(const STACK_OF(X509_ATTRIBUTE) *attrs,
               STACK_OF(X509_EXTENSION) **out)
{
    const ASN1_TYPE *val = NULL;

    *out = NULL;
    for (int i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++) {
        X509_ATTRIBUTE *a = sk_X509_ATTRIBUTE_value(attrs, i);
        int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));

        if (nid != NID_ext_req && nid != NID_ms_ext_req) {
            continue;
        }
        if (val != NULL || X509_ATTRIBUTE_count(a) != 1) {
            return -1;
        }
        val = X509_ATTRIBUTE_get0_type(a, 0);
        if (val == NULL || val->type != V_ASN1_SEQUENCE) {
            return -1;
        }
    }
    if (val != NULL) {
        const unsigned char *p = val->value.sequence->data;
        long len = val->value.sequence->length;

        *out = (STACK_OF(X509_EXTENSION) *)ASN1_item_d2i(
            NULL, &p, len, ASN1_ITEM_rptr(X509_EXTENSIONS));
        if (*out == NULL || p != val->value.sequence->data + len) {
            sk_X509_EXTENSION_pop_free(*out, X509_EXTENSION_free);
            *out = NULL;
            return -1;
        }
    }
    return 0;
}

/* name_index is the index of |name| in |names| (case-insensitive), or |n|
 * when it is not there. */
static size_t
name_index(const char *name, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n && strcasecmp(name, names[i]) != 0; i++) {
    }
    return i;
}

int
acme_csr_names_match(const uint8_t *der, size_t len,
                     const char *const *names, size_t num, char *detail,
                     size_t dlen)
{
    const unsigned char *p = der;
    ACME_CSR *req = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    GENERAL_NAMES *gens = NULL;
    char seen[ACME_MAX_IDENTIFIERS] = {0};
    int ok = 0, idx = -1;

    if (num > ACME_MAX_IDENTIFIERS || len > ACME_MAX_CSR) {
        snprintf(detail, dlen, "CSR or order too large");
        goto out;
    }
    req = (ACME_CSR *)ASN1_item_d2i(NULL, &p, (long)len,
                                    ASN1_ITEM_rptr(ACME_CSR));
    if (req == NULL || p != der + len ||
        csr_extensions(req->info->attributes, &exts) != 0) {
        snprintf(detail, dlen, "CSR does not parse");
        goto out;
    }
    /* RFC 8555 7.4: each identifier is in the common name, in the
     * subjectAltName, or in both; neither may name anything else. The
     * certificate's names come from the order, so a CSR with the common
     * name only is as good as one with a SAN. */
    gens = exts != NULL ? X509V3_get_d2i(exts, NID_subject_alt_name, &idx,
                                         NULL)
                        : NULL;
    if (gens == NULL && idx != -1) {
        snprintf(detail, dlen, "CSR has a malformed or repeated "
                               "subjectAltName");
        goto out;
    }
    if (sk_GENERAL_NAME_num(gens) > CSR_MAX_NAMES) {
        snprintf(detail, dlen, "CSR names too many identifiers");
        goto out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char buf[ACME_MAX_DNS_NAME + 3];
        size_t k;

        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            if (s->length <= 0 || (size_t)s->length >= sizeof(buf) ||
                memchr(s->data, 0, (size_t)s->length) != NULL) {
                snprintf(detail, dlen, "CSR has a malformed dNSName");
                goto out;
            }
            memcpy(buf, s->data, (size_t)s->length);
            buf[s->length] = '\0';
        } else if (g->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *s = g->d.iPAddress;
            int af = s->length == 4 ? AF_INET : s->length == 16 ? AF_INET6 : 0;
            if (af == 0 || inet_ntop(af, s->data, buf, sizeof(buf)) == NULL) {
                snprintf(detail, dlen, "CSR has a malformed iPAddress");
                goto out;
            }
        } else {
            snprintf(detail, dlen, "CSR has a SAN type this CA does not issue");
            goto out;
        }
        k = name_index(buf, names, num);
        if (k < num) {
            seen[k] = 1;
        } else {
            snprintf(detail, dlen, "CSR names an identifier not in the order");
            goto out;
        }
    }
    idx = -1;
    while ((idx = X509_NAME_get_index_by_NID(req->info->subject,
                                             NID_commonName, idx)) >= 0) {
        X509_NAME_ENTRY *e = X509_NAME_get_entry(req->info->subject, idx);
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
        unsigned char *u = NULL;
        int ul = ASN1_STRING_to_UTF8(&u, s);
        size_t hit = ul > 0 && memchr(u, 0, (size_t)ul) == NULL
                         ? name_index((const char *)u, names, num)
                         : num;
        OPENSSL_free(u);
        if (hit == num) {
            snprintf(detail, dlen, "CSR common name is not an identifier of "
                                   "the order");
            goto out;
        }
        seen[hit] = 1;
    }
    for (size_t k = 0; k < num; k++) {
        if (!seen[k]) {
            snprintf(detail, dlen, "CSR lacks an identifier of the order");
            goto out;
        }
    }
    ok = 1;
out:
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ASN1_item_free((ASN1_VALUE *)req, ASN1_ITEM_rptr(ACME_CSR));
    return ok;
}
