/*
 * problem.c - the one place that turns errors into RFC 7807 problem
 * documents with the ACME types and statuses of RFC 8555 section 6.7 (and
 * alreadyReplaced of RFC 9773). Operator messages never pass through here:
 * only the fixed sentences below or details the handlers wrote for the
 * client.
 */
#include <string.h>

#include "catena/err.h"
#include "internal.h"
#include "validate.h"

struct prob_info {
    const char *name;
    int status;
};

static const struct prob_info prob_table[ACME_PROB__MAX] = {
    [ACME_PROB_NONE] = {"serverInternal", 500},
    [ACME_PROB_MALFORMED] = {"malformed", 400},
    [ACME_PROB_BAD_NONCE] = {"badNonce", 400},
    [ACME_PROB_BAD_SIG_ALG] = {"badSignatureAlgorithm", 400},
    [ACME_PROB_UNAUTHORIZED] = {"unauthorized", 403},
    [ACME_PROB_ACCOUNT_DNE] = {"accountDoesNotExist", 400},
    [ACME_PROB_SERVER_INTERNAL] = {"serverInternal", 500},
    [ACME_PROB_BAD_CSR] = {"badCSR", 400},
    [ACME_PROB_REJECTED_ID] = {"rejectedIdentifier", 400},
    [ACME_PROB_UNSUPPORTED_ID] = {"unsupportedIdentifier", 400},
    [ACME_PROB_ORDER_NOT_READY] = {"orderNotReady", 403},
    [ACME_PROB_ALREADY_REVOKED] = {"alreadyRevoked", 400},
    [ACME_PROB_BAD_REVOCATION_REASON] = {"badRevocationReason", 400},
    [ACME_PROB_CAA] = {"caa", 403},
    [ACME_PROB_DNS] = {"dns", 400},
    [ACME_PROB_CONNECTION] = {"connection", 400},
    [ACME_PROB_INCORRECT_RESPONSE] = {"incorrectResponse", 403},
    [ACME_PROB_TLS] = {"tls", 400},
    [ACME_PROB_UNSUPPORTED_CONTACT] = {"unsupportedContact", 400},
    [ACME_PROB_INVALID_CONTACT] = {"invalidContact", 400},
    [ACME_PROB_BAD_PUBLIC_KEY] = {"badPublicKey", 400},
    [ACME_PROB_EXTERNAL_ACCOUNT_REQUIRED] = {"externalAccountRequired", 400},
    [ACME_PROB_ALREADY_REPLACED] = {"alreadyReplaced", 409},
    [ACME_PROB_RATE_LIMITED] = {"rateLimited", 429},
    [ACME_PROB_NOT_FOUND] = {"malformed", 404},
    [ACME_PROB_METHOD] = {"malformed", 405},
    [ACME_PROB_UNSUPPORTED_MEDIA] = {"malformed", 415},
    [ACME_PROB_CONFLICT] = {"malformed", 409},
    [ACME_PROB_TOO_LARGE] = {"malformed", 413},
    /* A deactivated account's request is 401 (RFC 8555 7.3.6), while the
     * other unauthorized cases are 403. */
    [ACME_PROB_DEACTIVATED] = {"unauthorized", 401},
};

/* The full URNs, spelled out so that acme_prob_type returns static text. */
static const char *const prob_urn[ACME_PROB__MAX] = {
    [ACME_PROB_NONE] = "urn:ietf:params:acme:error:serverInternal",
    [ACME_PROB_MALFORMED] = "urn:ietf:params:acme:error:malformed",
    [ACME_PROB_BAD_NONCE] = "urn:ietf:params:acme:error:badNonce",
    [ACME_PROB_BAD_SIG_ALG] =
        "urn:ietf:params:acme:error:badSignatureAlgorithm",
    [ACME_PROB_UNAUTHORIZED] = "urn:ietf:params:acme:error:unauthorized",
    [ACME_PROB_ACCOUNT_DNE] = "urn:ietf:params:acme:error:accountDoesNotExist",
    [ACME_PROB_SERVER_INTERNAL] = "urn:ietf:params:acme:error:serverInternal",
    [ACME_PROB_BAD_CSR] = "urn:ietf:params:acme:error:badCSR",
    [ACME_PROB_REJECTED_ID] = "urn:ietf:params:acme:error:rejectedIdentifier",
    [ACME_PROB_UNSUPPORTED_ID] =
        "urn:ietf:params:acme:error:unsupportedIdentifier",
    [ACME_PROB_ORDER_NOT_READY] = "urn:ietf:params:acme:error:orderNotReady",
    [ACME_PROB_ALREADY_REVOKED] = "urn:ietf:params:acme:error:alreadyRevoked",
    [ACME_PROB_BAD_REVOCATION_REASON] =
        "urn:ietf:params:acme:error:badRevocationReason",
    [ACME_PROB_CAA] = "urn:ietf:params:acme:error:caa",
    [ACME_PROB_DNS] = "urn:ietf:params:acme:error:dns",
    [ACME_PROB_CONNECTION] = "urn:ietf:params:acme:error:connection",
    [ACME_PROB_INCORRECT_RESPONSE] =
        "urn:ietf:params:acme:error:incorrectResponse",
    [ACME_PROB_TLS] = "urn:ietf:params:acme:error:tls",
    [ACME_PROB_UNSUPPORTED_CONTACT] =
        "urn:ietf:params:acme:error:unsupportedContact",
    [ACME_PROB_INVALID_CONTACT] = "urn:ietf:params:acme:error:invalidContact",
    [ACME_PROB_BAD_PUBLIC_KEY] = "urn:ietf:params:acme:error:badPublicKey",
    [ACME_PROB_EXTERNAL_ACCOUNT_REQUIRED] =
        "urn:ietf:params:acme:error:externalAccountRequired",
    [ACME_PROB_ALREADY_REPLACED] =
        "urn:ietf:params:acme:error:alreadyReplaced",
    [ACME_PROB_RATE_LIMITED] = "urn:ietf:params:acme:error:rateLimited",
    [ACME_PROB_NOT_FOUND] = "urn:ietf:params:acme:error:malformed",
    [ACME_PROB_METHOD] = "urn:ietf:params:acme:error:malformed",
    [ACME_PROB_UNSUPPORTED_MEDIA] = "urn:ietf:params:acme:error:malformed",
    [ACME_PROB_CONFLICT] = "urn:ietf:params:acme:error:malformed",
    [ACME_PROB_TOO_LARGE] = "urn:ietf:params:acme:error:malformed",
    [ACME_PROB_DEACTIVATED] = "urn:ietf:params:acme:error:unauthorized",
};

const char *
acme_prob_type(enum acme_prob p)
{
    if ((unsigned)p >= ACME_PROB__MAX) {
        p = ACME_PROB_SERVER_INTERNAL;
    }
    return prob_urn[p];
}

enum acme_prob
acme_prob_from_type(const char *urn)
{
    /* The first of the problems sharing a URN is the plain one. */
    for (int p = ACME_PROB_MALFORMED; urn != NULL && p < ACME_PROB__MAX;
         p++) {
        if (strcmp(urn, prob_urn[p]) == 0) {
            return (enum acme_prob)p;
        }
    }
    return ACME_PROB__MAX;
}

int
acme_prob_status(enum acme_prob p)
{
    if ((unsigned)p >= ACME_PROB__MAX) {
        p = ACME_PROB_SERVER_INTERNAL;
    }
    return prob_table[p].status;
}

json_t *
acme_prob_json(enum acme_prob p, const char *detail, json_t *subproblems)
{
    json_t *o = json_object();

    if (o == NULL) {
        json_decref(subproblems);
        return NULL;
    }
    json_object_set_new(o, "type", json_string(acme_prob_type(p)));
    if (detail != NULL && detail[0] != '\0') {
        /* json_string refuses invalid UTF-8; fall back to no detail. */
        json_t *d = json_string(detail);
        if (d != NULL) {
            json_object_set_new(o, "detail", d);
        }
    }
    json_object_set_new(o, "status", json_integer(acme_prob_status(p)));
    if (subproblems != NULL && json_array_size(subproblems) > 0) {
        json_object_set_new(o, "subproblems", subproblems);
    } else {
        json_decref(subproblems);
    }
    return o;
}

json_t *
acme_prob_subproblem(enum acme_prob p, const char *detail,
                     const char *id_type, const char *id_value)
{
    json_t *o = acme_prob_json(p, detail, NULL);

    if (o != NULL) {
        json_object_del(o, "status");
        json_object_set_new(o, "identifier",
                            json_pack("{s:s, s:s}", "type", id_type,
                                      "value", id_value));
    }
    return o;
}

enum acme_prob
acme_prob_from_rc(enum catena_rc rc, enum acme_prob fallback)
{
    switch (rc) {
    case CATENA_OK:
        return ACME_PROB_NONE;
    case CATENA_ERR_INVALID:
    case CATENA_ERR_TOO_BIG:
    case CATENA_ERR_POLICY:
    case CATENA_ERR_LINT:
        return fallback;
    case CATENA_ERR_NOT_FOUND:
        return ACME_PROB_NOT_FOUND;
    case CATENA_ERR_EXISTS:
        return ACME_PROB_CONFLICT;
    case CATENA_ERR_DNS:
        return ACME_PROB_DNS;
    case CATENA_ERR_CAA:
        return ACME_PROB_CAA;
    case CATENA_ERR_UNAUTHORIZED:
        return ACME_PROB_UNAUTHORIZED;
    case CATENA_ERR_UNSUPPORTED:
        return ACME_PROB_MALFORMED;
    case CATENA_ERR_TIMEOUT:
        return ACME_PROB_CONNECTION;
    default:
        return ACME_PROB_SERVER_INTERNAL;
    }
}

enum acme_prob
acme_prob_from_validation(int vprob)
{
    switch ((enum acme_validation_problem)vprob) {
    case ACME_VPROB_CONNECTION:
        return ACME_PROB_CONNECTION;
    case ACME_VPROB_DNS:
        return ACME_PROB_DNS;
    case ACME_VPROB_INCORRECT_RESPONSE:
        return ACME_PROB_INCORRECT_RESPONSE;
    case ACME_VPROB_TLS:
        return ACME_PROB_TLS;
    case ACME_VPROB_UNAUTHORIZED:
        return ACME_PROB_UNAUTHORIZED;
    case ACME_VPROB_MALFORMED:
        return ACME_PROB_MALFORMED;
    default:
        /* A failed validation without a reason is still a failure. */
        return ACME_PROB_INCORRECT_RESPONSE;
    }
}

const char *
acme_prob_detail_for_rc(enum catena_rc rc)
{
    switch (rc) {
    case CATENA_ERR_INVALID:
        return "the request is malformed";
    case CATENA_ERR_TOO_BIG:
        return "a value in the request is too large";
    case CATENA_ERR_NOT_FOUND:
        return "no such resource";
    case CATENA_ERR_EXISTS:
        return "the resource already exists";
    case CATENA_ERR_POLICY:
        return "refused by the CA's policy (key type, size or blocked key)";
    case CATENA_ERR_LINT:
        return "the certificate would not conform to the CA's profile";
    case CATENA_ERR_DNS:
        return "a DNS lookup failed";
    case CATENA_ERR_CAA:
        return "a CAA record forbids issuance";
    case CATENA_ERR_UNAUTHORIZED:
        return "not authorized";
    case CATENA_ERR_UNSUPPORTED:
        return "not supported by this server";
    case CATENA_ERR_TIMEOUT:
        return "a deadline passed";
    default:
        return "internal server error";
    }
}
