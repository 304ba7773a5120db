/*
 * finalize.c - finalize (CSR checks, CAA recheck, issuance through the
 * core), certificate download and revokeCert (RFC 8555 7.4, 7.4.2, 7.6).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/ca.h"
#include "catena/log.h"
#include "catena/store.h"
#include "internal.h"

#define CSR_MAX_NAMES (2 * ACME_MAX_IDENTIFIERS)

/* name_in reports whether |name| is one of |names| (case-insensitive). */
static int
name_in(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * csr_names_match checks that the CSR's SANs are exactly the order's
 * identifiers (no other SAN types), and that a CN, if any, is one of them.
 */
static int
csr_names_match(const uint8_t *der, size_t len, const char *const *names,
                size_t num, char *detail, size_t dlen)
{
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    STACK_OF(X509_EXTENSION) *exts = NULL;
    GENERAL_NAMES *gens = NULL;
    char seen[ACME_MAX_IDENTIFIERS] = {0};
    int ok = 0, idx;

    if (req == NULL || p != der + len) {
        snprintf(detail, dlen, "CSR does not parse");
        goto out;
    }
    exts = X509_REQ_get_extensions(req);
    gens = exts != NULL ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL,
                                         NULL)
                        : NULL;
    if (gens == NULL || sk_GENERAL_NAME_num(gens) > CSR_MAX_NAMES) {
        snprintf(detail, dlen, "CSR needs a subjectAltName with the order's "
                               "identifiers");
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
        for (k = 0; k < num; k++) {
            if (strcasecmp(buf, names[k]) == 0) {
                seen[k] = 1;
                break;
            }
        }
        if (k == num) {
            snprintf(detail, dlen, "CSR names an identifier not in the order");
            goto out;
        }
    }
    for (size_t k = 0; k < num; k++) {
        if (!seen[k]) {
            snprintf(detail, dlen, "CSR lacks an identifier of the order");
            goto out;
        }
    }
    idx = -1;
    while ((idx = X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req),
                                             NID_commonName, idx)) >= 0) {
        X509_NAME_ENTRY *e =
            X509_NAME_get_entry(X509_REQ_get_subject_name(req), idx);
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
        unsigned char *u = NULL;
        int ul = ASN1_STRING_to_UTF8(&u, s);
        int hit = ul > 0 && memchr(u, 0, (size_t)ul) == NULL &&
                  name_in((const char *)u, names, num);
        OPENSSL_free(u);
        if (!hit) {
            snprintf(detail, dlen, "CSR common name is not an identifier of "
                                   "the order");
            goto out;
        }
    }
    ok = 1;
out:
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    return ok;
}

static void
order_fail(struct acme_req *r, int64_t id, json_t *prob)
{
    char *text = prob != NULL ? json_dumps(prob, JSON_COMPACT) : NULL;
    struct catena_sql_param p[] = {
        text != NULL ? CATENA_SQL_P_TEXT(text) : CATENA_SQL_P_NULL(),
        CATENA_SQL_P_INT(id)};
    struct catena_err err = {0};

    if (acme_store_write(r->store,
                         "UPDATE acme_orders SET status = 'invalid', error = "
                         "$1 WHERE id = $2",
                         p, 2, NULL, &err) != CATENA_OK) {
        CATENA_ERROR("acme: order %lld: %s", (long long)id, err.msg);
    }
    free(text);
}

/* set_default_ari stores the default ARI window if none is set yet. */
static void
set_default_ari(struct acme_req *r, const char *serial)
{
    struct catena_cert_row row = {0};
    struct catena_err err = {0};
    int64_t s, e;

    if (catena_store_cert_get(r->store, serial, &row, &err) != CATENA_OK) {
        CATENA_WARN("acme: ARI window for %s: %s", serial, err.msg);
        return;
    }
    if (row.ari_start == 0 && row.ari_end == 0) {
        enum catena_rc rc;

        acme_ari_default_window(row.not_before, row.not_after, &s, &e);
        acme_wlock();
        rc = catena_store_cert_set_ari(r->store, serial, s, e, &err);
        acme_wunlock();
        if (rc != CATENA_OK) {
            CATENA_WARN("acme: ARI window for %s: %s", serial, err.msg);
        }
    }
    catena_cert_row_clear(&row);
}

int
acme_h_finalize(struct acme_req *r, int64_t id)
{
    const struct catena_profile *prof = catena_profile_find("tls-server");
    struct acme_order *o = NULL;
    struct catena_err err = {0};
    struct catena_rows *rows = NULL;
    struct catena_issued *issued = NULL;
    struct catena_issue_req ir = {0};
    json_t *pl = NULL;
    const char *csr_b64 = NULL;
    size_t csr_b64_len = 0, nd = 0, ni = 0;
    uint8_t *csr = NULL, *spki = NULL, *acct_spki = NULL;
    size_t csr_len = 0, spki_len = 0;
    int acct_spki_len;
    const char *names[ACME_MAX_IDENTIFIERS], *dns[ACME_MAX_IDENTIFIERS],
        *ips[ACME_MAX_IDENTIFIERS];
    char (*full)[ACME_MAX_DNS_NAME + 3] = NULL;
    char detail[600] = "";
    enum catena_rc rc;

    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    rc = acme_order_load(r->store, id, r->now, &o, &err);
    if (rc == CATENA_OK && o->account_id != r->acct.id) {
        rc = CATENA_ERR_NOT_FOUND;
    }
    if (rc != CATENA_OK) {
        acme_reply_rc(r, rc, ACME_PROB_MALFORMED);
        goto out;
    }
    if (strcmp(o->status, "ready") != 0) {
        acme_reply_problem(r, ACME_PROB_ORDER_NOT_READY,
                           "the order is not ready for finalization");
        goto out;
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        goto out;
    }
    if (json_unpack_ex(pl, NULL, JSON_STRICT, "{s:s%}", "csr", &csr_b64,
                       &csr_b64_len) != 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "finalize payload must be {\"csr\": ...}");
        goto out;
    }
    rc = acme_b64u_decode(csr_b64, csr_b64_len, ACME_MAX_CSR, &csr, &csr_len);
    if (rc != CATENA_OK) {
        acme_reply_problem(r, ACME_PROB_BAD_CSR,
                           "csr is not strict base64url DER (<= 16 KiB)");
        goto out;
    }
    rc = catena_csr_check(csr, csr_len, prof != NULL ? prof->key_types : 0,
                          &spki, &spki_len, &err);
    if (rc != CATENA_OK) {
        CATENA_INFO("acme: order %lld CSR refused: %s", (long long)id,
                    err.msg);
        acme_reply_problem(r, ACME_PROB_BAD_CSR,
                           rc == CATENA_ERR_POLICY
                               ? "CSR key type or size is not accepted"
                               : "CSR does not parse or its signature "
                                 "does not verify");
        goto out;
    }
    acct_spki_len = i2d_PUBKEY(r->acct.key, &acct_spki);
    if (acct_spki_len > 0 && (size_t)acct_spki_len == spki_len &&
        memcmp(acct_spki, spki, spki_len) == 0) {
        acme_reply_problem(r, ACME_PROB_BAD_CSR,
                           "the certificate key must differ from the "
                           "account key");
        goto out;
    }
    full = calloc(ACME_MAX_IDENTIFIERS, sizeof(*full));
    if (full == NULL) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < o->num_idents; i++) {
        snprintf(full[i], sizeof(full[i]), "%s%s",
                 o->idents[i].wildcard ? "*." : "", o->idents[i].value);
        names[i] = full[i];
        if (strcmp(o->idents[i].type, "ip") == 0) {
            ips[ni++] = full[i];
        } else {
            dns[nd++] = full[i];
        }
    }
    if (!csr_names_match(csr, csr_len, names, o->num_idents, detail,
                         sizeof(detail))) {
        acme_reply_problem(r, ACME_PROB_BAD_CSR, detail);
        goto out;
    }
    /* Claim the order so two finalize calls cannot both issue. */
    {
        struct catena_sql_param p[] = {CATENA_SQL_P_INT(id)};
        if (acme_store_write(r->store,
                             "UPDATE acme_orders SET status = 'processing' "
                             "WHERE id = $1 AND status = 'ready' RETURNING id",
                             p, 1, &rows, &err) != CATENA_OK) {
            acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
            goto out;
        }
        if (catena_rows_get(rows, 0) == NULL) {
            acme_reply_problem(r, ACME_PROB_ORDER_NOT_READY,
                               "the order is already being finalized");
            goto out;
        }
    }
    /* CAA again when the check is older than caa_reuse (BR 3.2.2.8). */
    for (size_t i = 0; i < o->num_idents; i++) {
        struct acme_order_ident *oi = &o->idents[i];
        enum acme_prob p;
        if (strcmp(oi->type, "dns") != 0 ||
            oi->caa_checked_at >= r->now - r->srv->caa_reuse) {
            continue;
        }
        p = acme_caa_run(r->srv, r->acct.id, oi->value, oi->wildcard,
                         oi->method[0] != '\0' ? oi->method : NULL, detail,
                         sizeof(detail));
        if (p != ACME_PROB_NONE) {
            json_t *sub = json_array();
            json_array_append_new(sub, acme_prob_subproblem(p, detail, "dns",
                                                            names[i]));
            json_t *pj = acme_prob_json(p, detail, sub);
            order_fail(r, id, pj);
            acme_reply_problem_json(r, pj);
            goto out;
        }
        struct catena_sql_param pc[] = {CATENA_SQL_P_INT(r->now),
                                        CATENA_SQL_P_INT(oi->authz_id)};
        if (acme_store_write(r->store,
                             "UPDATE acme_authzs SET caa_checked_at = $1 "
                             "WHERE id = $2",
                             pc, 2, NULL, &err) != CATENA_OK) {
            CATENA_WARN("acme: caa_checked_at: %s", err.msg);
        }
    }
    ir.profile = "tls-server";
    ir.csr_der = csr;
    ir.csr_der_len = csr_len;
    ir.dns_names = dns;
    ir.num_dns_names = nd;
    ir.ips = ips;
    ir.num_ips = ni;
    ir.account_id = r->acct.id;
    ir.replaces = o->replaces[0] != '\0' ? o->replaces : NULL;
    /* Checked above, or at validation within caa_reuse, with the ACME
     * server's identities, resolver and RFC 8657 account binding. */
    ir.caa_checked = 1;
    /* The core's own writes (reserve, then the DER) go through the gate
     * too: left outside, they hold SQLite's lock while gated writers sleep
     * in the busy handler with the gate held. */
    acme_wlock();
    rc = catena_ca_issue(r->srv->ca, r->store, &ir, &issued, &err);
    acme_wunlock();
    if (rc != CATENA_OK) {
        enum acme_prob p = rc == CATENA_ERR_POLICY || rc == CATENA_ERR_INVALID
                               ? ACME_PROB_BAD_CSR
                               : ACME_PROB_SERVER_INTERNAL;
        json_t *pj = acme_prob_json(p, acme_prob_detail_for_rc(rc), NULL);
        CATENA_WARN("acme: order %lld issuance refused: %s", (long long)id,
                    err.msg);
        order_fail(r, id, pj);
        acme_reply_problem_json(r, pj);
        goto out;
    }
    {
        struct catena_sql_param p[] = {CATENA_SQL_P_TEXT(issued->serial),
                                       CATENA_SQL_P_INT(id)};
        if (acme_store_write(r->store,
                             "UPDATE acme_orders SET status = 'valid', "
                             "serial = $1 WHERE id = $2",
                             p, 2, NULL, &err) != CATENA_OK) {
            acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
            goto out;
        }
    }
    set_default_ari(r, issued->serial);
    CATENA_INFO("acme: order %lld issued %s", (long long)id, issued->serial);
    acme_order_free(o);
    o = NULL;
    if (acme_order_load(r->store, id, r->now, &o, &err) != CATENA_OK) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL, "store error");
        goto out;
    }
    acme_order_reply(r, 200, o, 1);
out:
    catena_issued_free(issued);
    catena_rows_free(rows);
    OPENSSL_free(acct_spki);
    free(full);
    free(spki);
    free(csr);
    json_decref(pl);
    acme_order_free(o);
    return 0;
}

static int
serial_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 40 || n % 2 != 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* issuer_name finds the configured issuer whose store id is |issuer_id|. */
static const char *
issuer_name(struct acme_req *r, int64_t issuer_id)
{
    size_t n = 0;
    const char *const *names = catena_ca_issuer_names(r->srv->ca, &n);

    for (size_t i = 0; i < n; i++) {
        int64_t id = 0;
        if (catena_store_issuer_id(r->store, names[i], &id, NULL) ==
                CATENA_OK &&
            id == issuer_id) {
            return names[i];
        }
    }
    return NULL;
}

int
acme_h_cert(struct acme_req *r, const char *serial)
{
    struct catena_cert_row row = {0};
    struct catena_err err = {0};
    BIO *bio = NULL;
    const char *iname, *chain;
    char *data = NULL;
    long len;
    enum catena_rc rc;

    if (acme_post_verify(r, 0, 1) != 0) {
        return 0;
    }
    if (!serial_ok(serial)) {
        return acme_reply_problem(r, ACME_PROB_NOT_FOUND, "no such certificate");
    }
    rc = catena_store_cert_get(r->store, serial, &row, &err);
    if (rc == CATENA_OK &&
        (row.account_id != r->acct.id || row.der == NULL ||
         (row.status != CATENA_CERT_ISSUED && row.status != CATENA_CERT_REVOKED))) {
        rc = CATENA_ERR_NOT_FOUND;
    }
    if (rc != CATENA_OK) {
        acme_reply_rc(r, rc, ACME_PROB_MALFORMED);
        goto out;
    }
    /* The stored DER is what the signer produced and the core checked:
     * it is PEM-armoured as is. Decoding it again only to re-encode it
     * cost more than the rest of the request (OpenSSL 3 builds a key
     * decoder for every parsed certificate). */
    bio = BIO_new(BIO_s_mem());
    iname = issuer_name(r, row.issuer_id);
    chain = iname != NULL ? catena_ca_issuer_chain_pem(r->srv->ca, iname) : NULL;
    if (bio == NULL || chain == NULL || row.der_len > LONG_MAX ||
        PEM_write_bio(bio, PEM_STRING_X509, "", row.der,
                      (long)row.der_len) <= 0 ||
        BIO_write(bio, chain, (int)strlen(chain)) != (int)strlen(chain)) {
        acme_reply_problem(r, ACME_PROB_SERVER_INTERNAL,
                           "cannot assemble the chain");
        goto out;
    }
    len = BIO_get_mem_data(bio, &data);
    if (catena_http_response_body(r->resp, 200,
                                  "application/pem-certificate-chain", data,
                                  (size_t)len) != 0) {
        r->resp->status = 500;
    }
out:
    BIO_free(bio);
    catena_cert_row_clear(&row);
    return 0;
}

/* cert_serial_hex writes the serial's DER content octets as hex. */
static int
cert_serial_hex(X509 *x, char hex[41])
{
    unsigned char *der = NULL;
    int n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);
    int ok = 0;

    /* Serials are at most 20 octets, so the length is in short form. */
    if (n > 2 && n <= 2 + 21 && der[1] == n - 2 && der[1] <= 20) {
        catena_serial_hex(der + 2, (size_t)(n - 2), hex);
        ok = 1;
    }
    OPENSSL_free(der);
    return ok;
}

/* account_holds_authz says whether the account has a valid, unexpired
 * authorization for every name of the certificate (RFC 8555 7.6). */
static int
account_holds_authz(struct acme_req *r, const char *names)
{
    char *copy = strdup(names != NULL ? names : ""), *save = NULL, *cur;
    int ok = copy != NULL && copy[0] != '\0';

    for (cur = copy; ok && cur != NULL; cur = save) {
        unsigned char buf[16];
        const char *type = "dns", *value = cur;
        int wild = 0;
        struct catena_rows *rows = NULL;

        save = strchr(cur, ',');
        if (save != NULL) {
            *save++ = '\0';
        }
        if (inet_pton(AF_INET, cur, buf) == 1 ||
            inet_pton(AF_INET6, cur, buf) == 1) {
            type = "ip";
        } else if (strncmp(cur, "*.", 2) == 0) {
            wild = 1;
            value = cur + 2;
        }
        struct catena_sql_param p[] = {
            CATENA_SQL_P_INT(r->acct.id), CATENA_SQL_P_TEXT(type),
            CATENA_SQL_P_TEXT(value), CATENA_SQL_P_INT(wild),
            CATENA_SQL_P_INT(r->now)};
        if (catena_store_exec(r->store,
                              "SELECT id FROM acme_authzs WHERE account_id = "
                              "$1 AND id_type = $2 AND id_value = $3 AND "
                              "wildcard = $4 AND status = 'valid' AND "
                              "expires > $5 LIMIT 1",
                              p, 5, &rows, NULL) != CATENA_OK ||
            catena_rows_get(rows, 0) == NULL) {
            ok = 0;
        }
        catena_rows_free(rows);
    }
    free(copy);
    return ok;
}

int
acme_h_revoke(struct acme_req *r)
{
    struct catena_cert_row row = {0};
    struct catena_err err = {0};
    json_t *pl = NULL, *rv;
    const char *cert_b64 = NULL, *why = NULL;
    size_t cert_b64_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    const unsigned char *p;
    X509 *x = NULL;
    char serial[41];
    int reason = CATENA_REASON_UNSPECIFIED;
    enum catena_rc rc;

    if (acme_post_verify(r, 1, 1) != 0) {
        return 0;
    }
    pl = acme_payload_object(r);
    if (pl == NULL) {
        return 0;
    }
    if (json_unpack_ex(pl, NULL, JSON_STRICT, "{s:s%, s?o}", "certificate",
                       &cert_b64, &cert_b64_len, "reason", &rv) != 0) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "payload must be {certificate, reason?}");
        goto out;
    }
    rv = json_object_get(pl, "reason");
    if (rv != NULL) {
        json_int_t v;
        if (!json_is_integer(rv) || (v = json_integer_value(rv)) < 0 ||
            v > 10 || catena_reason_name((int)v) == NULL) {
            acme_reply_problem(r, ACME_PROB_BAD_REVOCATION_REASON,
                               "unknown revocation reason");
            goto out;
        }
        reason = (int)v;
    }
    if (acme_b64u_decode(cert_b64, cert_b64_len, ACME_MAX_CERT, &der,
                         &der_len) != CATENA_OK) {
        acme_reply_problem(r, ACME_PROB_MALFORMED,
                           "certificate is not strict base64url DER");
        goto out;
    }
    p = der;
    x = d2i_X509(NULL, &p, (long)der_len);
    if (x == NULL || p != der + der_len || !cert_serial_hex(x, serial)) {
        acme_reply_problem(r, ACME_PROB_MALFORMED, "certificate does not parse");
        goto out;
    }
    rc = catena_store_cert_get(r->store, serial, &row, &err);
    if (rc != CATENA_OK || row.der == NULL || row.der_len != der_len ||
        memcmp(row.der, der, der_len) != 0) {
        acme_reply_problem(r, ACME_PROB_NOT_FOUND,
                           "this CA did not issue that certificate");
        goto out;
    }
    if (!catena_reason_allowed(row.profile, reason, &why)) {
        acme_reply_problem(r, ACME_PROB_BAD_REVOCATION_REASON,
                           "revocation reason not allowed for this "
                           "certificate");
        goto out;
    }
    if (r->jwk_key != NULL) {
        /* Signed by the certificate's own key (RFC 8555 7.6). */
        if (EVP_PKEY_eq(r->jwk_key, X509_get0_pubkey(x)) != 1) {
            acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                               "the JWS key is not the certificate's key");
            goto out;
        }
    } else if (row.account_id != r->acct.id &&
               !account_holds_authz(r, row.names)) {
        acme_reply_problem(r, ACME_PROB_UNAUTHORIZED,
                           "the account may not revoke this certificate");
        goto out;
    }
    if (row.status == CATENA_CERT_REVOKED) {
        acme_reply_problem(r, ACME_PROB_ALREADY_REVOKED,
                           "the certificate is already revoked");
        goto out;
    }
    rc = catena_ca_revoke(r->srv->ca, r->store, serial, reason, &err);
    if (rc != CATENA_OK) {
        CATENA_WARN("acme: revoke %s: %s", serial, err.msg);
        acme_reply_rc(r, rc,
                      rc == CATENA_ERR_POLICY ? ACME_PROB_BAD_REVOCATION_REASON
                                              : ACME_PROB_MALFORMED);
        goto out;
    }
    CATENA_INFO("acme: revoked %s reason %d", serial, reason);
    r->resp->status = 200;
out:
    X509_free(x);
    free(der);
    catena_cert_row_clear(&row);
    json_decref(pl);
    return 0;
}
