/*
 * caa.h - CAA checks (RFC 8659, RFC 8657, RFC 9495 issuemail) with ldns.
 * Fail closed: any lookup failure other than NXDOMAIN/NODATA refuses.
 */
#ifndef CATENA_CAA_H
#define CATENA_CAA_H

#include <stddef.h>

#include "catena/err.h"

enum catena_caa_kind {
    CATENA_CAA_ISSUE,     /* TLS: "issue", or "issuewild" for wildcards */
    CATENA_CAA_ISSUEMAIL, /* S/MIME: "issuemail" */
};

struct catena_caa_opts {
    const char *resolver;             /* "127.0.0.1:5353"; NULL = system */
    const char *const *identities;    /* our CA domains, e.g. "catena.test" */
    size_t num_identities;
    const char *account_uri;          /* for RFC 8657 accounturi, or NULL */
    const char *validation_method;    /* "http-01", ... for validationmethods */
    unsigned timeout_ms;              /* per query; 0 = 5000 */
};

/*
 * catena_caa_check decides whether we may issue for |domain| (A-label, no
 * trailing dot; for S/MIME the mailbox's domain part). |wildcard| selects
 * issuewild. Returns CATENA_OK if permitted, CATENA_ERR_CAA if a CAA RRset
 * forbids it (err->msg says which record), CATENA_ERR_DNS on SERVFAIL,
 * timeout, or any other lookup error.
 */
enum catena_rc catena_caa_check(const struct catena_caa_opts *opts,
                                const char *domain, int wildcard,
                                enum catena_caa_kind kind,
                                struct catena_err *err) CATENA_WUR;

#endif
