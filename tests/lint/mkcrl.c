/*
 * mkcrl.c - build a DER CRL with OpenSSL's X509_CRL API for the lint
 * fixtures, including what "openssl ca -gencrl" refuses to write (reason
 * code 7, an encoded "unspecified", duplicate serials, no nextUpdate).
 * usage: mkcrl CA.pem CA.key OUT.crl [option...]
 *   reason=N    one revoked entry with reasonCode N (0..10)
 *   entry       one revoked entry without a reason code
 *   dup         the entry twice (same serial)
 *   nonext      omit nextUpdate
 *   days=N      nextUpdate = thisUpdate + N days (default 7)
 *   number=N    cRLNumber N (default 1); nonumber omits it
 *   noaki       omit authorityKeyIdentifier
 *   invalidity  add an invalidityDate (an hour before revocation) to entries
 *   invalidity-late  the same, an hour after revocation
 *   certissuer  add a certificateIssuer (the CA's name) to entries: what
 *               an indirect CRL carries
 *   sha1        sign with SHA-1
 *   revoked-later  entries revoked an hour after thisUpdate
 *   delta       add a deltaCRLIndicator (a delta CRL)
 *   dupnumber   cRLNumber twice
 *   v1          version 1 (the field omitted)
 *   gentime     thisUpdate as a GeneralizedTime (RFC 5280 wants UTCTime
 *               through 2049)
 *   backdate=N  thisUpdate N seconds ago (default 60)
 *   idp=SPEC    an issuingDistributionPoint from the OpenSSL config SPEC,
 *               e.g. "critical,fullname:URI:http://ca.example.com/0.crl,onlyCA:TRUE"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "catena/config.h"
#include "fixture_io.h"

static int
add_entry(X509_CRL *crl, time_t when, int64_t reason, int invalidity,
          const X509_NAME *cert_issuer)
{
    X509_REVOKED *rv = X509_REVOKED_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    ASN1_TIME *t = ASN1_TIME_set(NULL, when);
    ASN1_ENUMERATED *e = NULL;
    ASN1_GENERALIZEDTIME *inv = NULL;
    GENERAL_NAMES *gens = NULL;
    GENERAL_NAME *gen = NULL;
    X509_NAME *dup = NULL;
    int ok = 0;

    if (rv == NULL || serial == NULL || t == NULL ||
        ASN1_INTEGER_set_int64(serial, INT64_C(0x0123456789abcdef)) != 1 ||
        X509_REVOKED_set_serialNumber(rv, serial) != 1 ||
        X509_REVOKED_set_revocationDate(rv, t) != 1) {
        goto out;
    }
    if (reason >= 0) {
        e = ASN1_ENUMERATED_new();
        if (e == NULL || ASN1_ENUMERATED_set_int64(e, reason) != 1 ||
            X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, e, 0, 0) != 1) {
            goto out;
        }
    }
    if (invalidity) {
        inv = ASN1_GENERALIZEDTIME_set(NULL, invalidity > 1 ? when + 3600
                                                            : when - 3600);
        if (inv == NULL ||
            X509_REVOKED_add1_ext_i2d(rv, NID_invalidity_date, inv, 0, 0) != 1) {
            goto out;
        }
    }
    if (cert_issuer != NULL) {
        if ((gens = GENERAL_NAMES_new()) == NULL ||
            (gen = GENERAL_NAME_new()) == NULL ||
            (dup = X509_NAME_dup(cert_issuer)) == NULL) {
            goto out;
        }
        GENERAL_NAME_set0_value(gen, GEN_DIRNAME, dup);
        dup = NULL;
        if (sk_GENERAL_NAME_push(gens, gen) <= 0) {
            goto out;
        }
        gen = NULL;
        if (X509_REVOKED_add1_ext_i2d(rv, NID_certificate_issuer, gens, 1,
                                      0) != 1) {
            goto out;
        }
    }
    if (X509_CRL_add0_revoked(crl, rv) != 1) {
        goto out;
    }
    rv = NULL;
    ok = 1;
out:
    X509_REVOKED_free(rv);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(t);
    ASN1_ENUMERATED_free(e);
    ASN1_GENERALIZEDTIME_free(inv);
    GENERAL_NAMES_free(gens);
    GENERAL_NAME_free(gen);
    X509_NAME_free(dup);
    return ok;
}

int
main(int argc, char **argv)
{
    X509 *ca = NULL;
    EVP_PKEY *key = NULL;
    X509_CRL *crl = NULL;
    ASN1_TIME *tu = NULL;
    ASN1_TIME *nu = NULL;
    ASN1_INTEGER *num = NULL;
    X509V3_CTX v3;
    X509_EXTENSION *aki = NULL;
    FILE *out = NULL;
    int64_t reason = -1;
    int64_t days = 7;
    int64_t number = 1;
    int entries = 0;
    int nonext = 0;
    int nonumber = 0;
    int noaki = 0;
    int invalidity = 0;
    int v1 = 0;
    int sha1 = 0;
    int later = 0;
    int delta = 0;
    int dupnumber = 0;
    int gentime = 0;
    int certissuer = 0;
    int64_t backdate = 60;
    const char *idp_spec = NULL;
    X509_EXTENSION *idp = NULL;
    time_t now = time(NULL);
    int rc = 1;

    if (argc < 4) {
        fprintf(stderr, "usage: mkcrl CA.pem CA.key OUT.crl [option...]\n");
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i];

        if (strncmp(a, "reason=", 7) == 0 &&
            catena_parse_int64(a + 7, 0, 10, &reason) == CATENA_OK) {
            entries = entries == 0 ? 1 : entries;
        } else if (strcmp(a, "entry") == 0) {
            entries = entries == 0 ? 1 : entries;
        } else if (strcmp(a, "dup") == 0) {
            entries = 2;
        } else if (strcmp(a, "nonext") == 0) {
            nonext = 1;
        } else if (strncmp(a, "days=", 5) == 0 &&
                   catena_parse_int64(a + 5, 0, 3650, &days) == CATENA_OK) {
        } else if (strncmp(a, "number=", 7) == 0 &&
                   catena_parse_int64(a + 7, 0, INT64_MAX, &number) == CATENA_OK) {
        } else if (strcmp(a, "nonumber") == 0) {
            nonumber = 1;
        } else if (strcmp(a, "noaki") == 0) {
            noaki = 1;
        } else if (strcmp(a, "v1") == 0) {
            v1 = 1;
        } else if (strcmp(a, "invalidity") == 0) {
            invalidity = 1;
        } else if (strcmp(a, "invalidity-late") == 0) {
            invalidity = 2;
        } else if (strcmp(a, "delta") == 0) {
            delta = 1;
        } else if (strcmp(a, "dupnumber") == 0) {
            dupnumber = 1;
        } else if (strcmp(a, "revoked-later") == 0) {
            later = 1;
        } else if (strcmp(a, "sha1") == 0) {
            sha1 = 1;
        } else if (strcmp(a, "certissuer") == 0) {
            certissuer = 1;
        } else if (strcmp(a, "gentime") == 0) {
            gentime = 1;
        } else if (strncmp(a, "backdate=", 9) == 0 &&
                   catena_parse_int64(a + 9, 0, 86400 * 30, &backdate) ==
                       CATENA_OK) {
        } else if (strncmp(a, "idp=", 4) == 0) {
            idp_spec = a + 4;
        } else {
            fprintf(stderr, "mkcrl: bad option %s\n", a);
            return 2;
        }
    }
    ca = fixture_load_cert(argv[1]);
    key = fixture_load_key(argv[2]);
    crl = X509_CRL_new();
    /* X509_CRL_set1_lastUpdate copies the time with its type, so a
     * GeneralizedTime stays one. */
    tu = gentime ? ASN1_GENERALIZEDTIME_set(NULL, now - (time_t)backdate)
                 : ASN1_TIME_set(NULL, now - (time_t)backdate);
    nu = ASN1_TIME_set(NULL, now - (time_t)backdate + (time_t)days * 86400);
    num = ASN1_INTEGER_new();
    if (ca == NULL || key == NULL || crl == NULL || tu == NULL || nu == NULL ||
        num == NULL || X509_CRL_set_version(crl, v1 ? X509_CRL_VERSION_1 : X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 ||
        X509_CRL_set1_lastUpdate(crl, tu) != 1 ||
        (!nonext && X509_CRL_set1_nextUpdate(crl, nu) != 1)) {
        fprintf(stderr, "mkcrl: cannot set up the CRL\n");
        goto out;
    }
    for (int i = 0; i < entries; i++) {
        if (!add_entry(crl, later ? now + 3600 : now - 3600, reason, invalidity,
                       certissuer ? X509_get_subject_name(ca) : NULL)) {
            fprintf(stderr, "mkcrl: cannot add an entry\n");
            goto out;
        }
    }
    if (!nonumber && (ASN1_INTEGER_set_int64(num, number) != 1 ||
                      X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)) {
        goto out;
    }
    /* X509V3_ADD_APPEND writes a second cRLNumber where the default
     * refuses to. */
    if ((dupnumber && X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0,
                                            X509V3_ADD_APPEND) != 1) ||
        (delta && X509_CRL_add1_ext_i2d(crl, NID_delta_crl, num, 1, 0) != 1)) {
        goto out;
    }
    if (!noaki) {
        X509V3_set_ctx(&v3, ca, NULL, NULL, crl, 0);
        aki = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier,
                                  "keyid:always");
        if (aki == NULL || X509_CRL_add_ext(crl, aki, -1) != 1) {
            goto out;
        }
    }
    if (idp_spec != NULL) {
        X509V3_set_ctx(&v3, ca, NULL, NULL, crl, 0);
        idp = X509V3_EXT_conf_nid(NULL, &v3, NID_issuing_distribution_point,
                                  idp_spec);
        if (idp == NULL || X509_CRL_add_ext(crl, idp, -1) != 1) {
            fprintf(stderr, "mkcrl: bad idp %s\n", idp_spec);
            goto out;
        }
    }
    /* No sorting: duplicates and order stay as written. */
    if (X509_CRL_sign(crl, key, EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? NULL
                                : sha1 ? EVP_sha1()
                                       : EVP_sha256()) <= 0) {
        fprintf(stderr, "mkcrl: cannot sign\n");
        goto out;
    }
    out = fopen(argv[3], "wb");
    if (out == NULL || i2d_X509_CRL_fp(out, crl) != 1) {
        fprintf(stderr, "mkcrl: cannot write %s\n", argv[3]);
        goto out;
    }
    rc = 0;
out:
    if (out != NULL && fclose(out) != 0) {
        rc = 1;
    }
    X509_EXTENSION_free(aki);
    X509_EXTENSION_free(idp);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    X509_free(ca);
    return rc;
}
