/*
 * validate_tlsalpn01.c - tls-alpn-01 (RFC 8737, RFC 8738 for IPs) with
 * OpenSSL: connect to the identifier's tls-alpn-01 port, offer only ALPN
 * "acme-tls/1" with SNI the domain (the reverse-DNS name for an IP), and
 * require that the server negotiated it and presented a certificate whose
 * subjectAltName is exactly the identifier and whose critical
 * acmeIdentifier extension holds SHA-256 of the key authorization.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "catena/caa.h"
#include "validate.h"

#define ALPN_PROTO "acme-tls/1"
#define ACME_ID_OID "1.3.6.1.5.5.7.1.31"
#define CONNECT_MS 5000u

/* connect_to opens a TCP connection to |addr|:|port| within |ms|. */
static int
connect_to(const char *addr, int port, unsigned ms)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    struct pollfd p;
    int fd, fl, soerr = 0;
    socklen_t el = sizeof(soerr);

    memset(&ss, 0, sizeof(ss));
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) {
            return -1;
        }
        sl = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) {
            return -1;
        }
        sl = sizeof(*s4);
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        goto fail;
    }
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        if (errno != EINPROGRESS) {
            goto fail;
        }
        p.fd = fd;
        p.events = POLLOUT;
        if (poll(&p, 1, (int)ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0 ||
            soerr != 0) {
            goto fail;
        }
    }
    if (fcntl(fd, F_SETFL, fl) < 0) {
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* reverse_name writes the RFC 8738 6 SNI name for IP |ip|. */
static int
reverse_name(const char *ip, char *out, size_t out_len)
{
    unsigned char b[16];
    size_t off = 0;

    if (inet_pton(AF_INET, ip, b) == 1) {
        return snprintf(out, out_len, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2],
                        b[1], b[0]) < (int)out_len
                   ? 0
                   : -1;
    }
    if (inet_pton(AF_INET6, ip, b) != 1 || out_len < 16 * 4 + 9) {
        return -1;
    }
    for (int i = 15; i >= 0; i--) {
        static const char hex[] = "0123456789abcdef";
        out[off++] = hex[b[i] & 0xf];
        out[off++] = '.';
        out[off++] = hex[b[i] >> 4];
        out[off++] = '.';
    }
    memcpy(out + off, "ip6.arpa", 9);
    return 0;
}

/* check_san: exactly one subjectAltName entry, equal to the identifier. */
static int
check_san(X509 *cert, int is_ip, const char *id_value)
{
    GENERAL_NAMES *gens;
    const GENERAL_NAME *g;
    int crit = -1, ok = 0;

    gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
    if (gens == NULL || sk_GENERAL_NAME_num(gens) != 1) {
        goto out;
    }
    g = sk_GENERAL_NAME_value(gens, 0);
    if (is_ip) {
        unsigned char b[16];
        int len = strchr(id_value, ':') != NULL ? 16 : 4;
        ok = g->type == GEN_IPADD &&
             inet_pton(len == 16 ? AF_INET6 : AF_INET, id_value, b) == 1 &&
             ASN1_STRING_length(g->d.iPAddress) == len &&
             memcmp(ASN1_STRING_get0_data(g->d.iPAddress), b,
                    (size_t)len) == 0;
    } else {
        size_t il = strlen(id_value);
        ok = g->type == GEN_DNS &&
             (size_t)ASN1_STRING_length(g->d.dNSName) == il &&
             strncasecmp((const char *)ASN1_STRING_get0_data(g->d.dNSName),
                         id_value, il) == 0;
    }
out:
    GENERAL_NAMES_free(gens);
    return ok;
}

/*
 * check_acme_id: one acmeIdentifier extension, critical, whose value is a
 * DER OCTET STRING of exactly SHA-256(key authorization). Returns 1 if it
 * matches, 0 for a wrong digest, -1 for a missing or malformed extension.
 */
static int
check_acme_id(X509 *cert, const char *keyauth)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    ASN1_OBJECT *obj = OBJ_txt2obj(ACME_ID_OID, 1);
    ASN1_OCTET_STRING *inner = NULL;
    const ASN1_OCTET_STRING *data;
    const unsigned char *p;
    X509_EXTENSION *ext;
    int idx, r = -1;

    if (obj == NULL) {
        return -1;
    }
    idx = X509_get_ext_by_OBJ(cert, obj, -1);
    if (idx < 0 || X509_get_ext_by_OBJ(cert, obj, idx) >= 0) {
        goto out;
    }
    ext = X509_get_ext(cert, idx);
    if (ext == NULL || X509_EXTENSION_get_critical(ext) != 1) {
        goto out;
    }
    data = X509_EXTENSION_get_data(ext);
    p = ASN1_STRING_get0_data(data);
    inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(data));
    if (inner == NULL ||
        p != ASN1_STRING_get0_data(data) + ASN1_STRING_length(data)) {
        goto out; /* not DER, or trailing bytes */
    }
    SHA256((const unsigned char *)keyauth, strlen(keyauth), digest);
    r = ASN1_STRING_length(inner) == SHA256_DIGEST_LENGTH &&
        CRYPTO_memcmp(ASN1_STRING_get0_data(inner), digest,
                      sizeof(digest)) == 0;
out:
    ASN1_OCTET_STRING_free(inner);
    ASN1_OBJECT_free(obj);
    return r;
}

enum catena_rc
acme_validate_tlsalpn01(const struct acme_validation_opts *opts,
                        const char *id_type, const char *id_value,
                        const char *keyauth, long long deadline,
                        enum acme_validation_problem *problem,
                        struct catena_err *err)
{
    static const unsigned char alpn[] = "\x0a" ALPN_PROTO;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    X509 *cert = NULL;
    char **addrs = NULL;
    size_t num = 0;
    char sni[256]; /* 253-octet name, or a 73-octet ip6.arpa name */
    const unsigned char *sel = NULL;
    unsigned sel_len = 0;
    int fd = -1, is_ip = strcmp(id_type, "ip") == 0, r;
    int port = opts->tlsalpn_port > 0 ? opts->tlsalpn_port : 443;
    enum catena_rc rc;
    struct timeval tv;
    unsigned left;

    if (is_ip ? reverse_name(id_value, sni, sizeof(sni)) != 0
              : strlen(id_value) > 253) {
        return acme_validate_fail(problem, ACME_VPROB_MALFORMED,
                                  CATENA_ERR_INVALID, err,
                                  "bad identifier for tls-alpn-01");
    }
    rc = acme_validate_addrs(opts, id_type, id_value, deadline, &addrs, &num,
                             problem, err);
    if (rc != CATENA_OK) {
        return rc;
    }
    for (size_t i = 0; i < num && fd < 0; i++) {
        left = acme_validate_left_ms(deadline);
        fd = connect_to(addrs[i], port, left < CONNECT_MS ? left : CONNECT_MS);
    }
    if (fd < 0) {
        rc = acme_validate_fail(problem, ACME_VPROB_CONNECTION, CATENA_ERR_IO,
                                err, "cannot connect to %.200s port %d",
                                id_value, port);
        goto out;
    }
    left = acme_validate_left_ms(deadline);
    tv.tv_sec = (time_t)(left / 1000);
    tv.tv_usec = (suseconds_t)((left % 1000) * 1000);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        rc = catena_err_set_errno(err, CATENA_ERR_IO, "socket timeouts");
        goto out;
    }
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0 ||
        (ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(ssl, fd)) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO, "TLS setup");
        goto out;
    }
    /* The certificate is self-signed by design: we check it ourselves. */
    SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    if (!is_ip) {
        snprintf(sni, sizeof(sni), "%s", id_value);
    }
    r = SSL_set_tlsext_host_name(ssl, sni);
    if (r != 1) {
        rc = catena_err_set_openssl(err, CATENA_ERR_CRYPTO, "TLS SNI");
        goto out;
    }
    if (SSL_connect(ssl) != 1) {
        ERR_clear_error();
        rc = acme_validate_fail(problem, ACME_VPROB_TLS, CATENA_ERR_IO, err,
                                "TLS handshake with %.200s port %d failed",
                                id_value, port);
        goto out;
    }
    SSL_get0_alpn_selected(ssl, &sel, &sel_len);
    if (sel_len != strlen(ALPN_PROTO) ||
        memcmp(sel, ALPN_PROTO, sel_len) != 0) {
        rc = acme_validate_fail(problem, ACME_VPROB_TLS,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "%.200s did not negotiate ALPN " ALPN_PROTO,
                                id_value);
        goto out;
    }
    cert = SSL_get1_peer_certificate(ssl);
    if (cert == NULL) {
        rc = acme_validate_fail(problem, ACME_VPROB_TLS,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "%.200s presented no certificate", id_value);
        goto out;
    }
    if (!check_san(cert, is_ip, id_value)) {
        rc = acme_validate_fail(problem, ACME_VPROB_UNAUTHORIZED,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "the certificate's subjectAltName is not "
                                "exactly %.200s",
                                id_value);
        goto out;
    }
    r = check_acme_id(cert, keyauth);
    if (r < 0) {
        rc = acme_validate_fail(problem, ACME_VPROB_UNAUTHORIZED,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "the certificate lacks a critical, "
                                "well-formed acmeIdentifier extension");
        goto out;
    }
    if (r == 0) {
        rc = acme_validate_fail(problem, ACME_VPROB_INCORRECT_RESPONSE,
                                CATENA_ERR_UNAUTHORIZED, err,
                                "the acmeIdentifier extension does not "
                                "match the key authorization");
        goto out;
    }
    rc = CATENA_OK;
out:
    /* No SSL_shutdown: nothing more is owed to the peer, and a close
     * notify to a peer that already left would only raise SIGPIPE. */
    X509_free(cert);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0) {
        close(fd);
    }
    catena_dns_strings_free(addrs, num);
    ERR_clear_error();
    return rc;
}
