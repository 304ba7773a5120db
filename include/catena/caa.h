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

/*
 * The CAA answer cache (dns.c): one per process, shared by every thread.
 * catena_caa_check asks it before each CAA query and keeps what the
 * resolver answered for the answer's DNS TTL, at most the process's cap:
 * a positive answer for the least TTL of its records (CNAMEs included), a
 * negative one (NXDOMAIN, NODATA) for min(SOA TTL, SOA MINIMUM) of an SOA
 * in its authority section (RFC 2308 5), and only then. Failures
 * (SERVFAIL, REFUSED, timeouts, truncated or malformed answers) and
 * answers of TTL 0 are never kept. Entries are keyed by the resolver's
 * addresses, the lower-cased name and the type. Other lookups (TXT, A,
 * AAAA) never use it.
 */

/* The cap when none is configured, and the largest one allowed: CA/B
 * Forum TLS BR 3.2.2.8 lets a CA rely on a CAA answer for its TTL or
 * 8 hours. */
#define CATENA_CAA_CACHE_DEFAULT_MAX_TTL 300
#define CATENA_CAA_CACHE_LIMIT_MAX_TTL (8 * 3600)

struct catena_config;

/*
 * catena_caa_cache_set_max_ttl caps how long, in seconds, an answer is
 * kept (0 turns the cache off) and empties the cache, so no entry outlives
 * the new cap. CATENA_ERR_CONFIG (and no change) over
 * CATENA_CAA_CACHE_LIMIT_MAX_TTL.
 */
enum catena_rc catena_caa_cache_set_max_ttl(unsigned seconds,
                                            struct catena_err *err) CATENA_WUR;

/*
 * catena_caa_cache_configure applies [caa] cache_max_ttl of |cfg|
 * (default CATENA_CAA_CACHE_DEFAULT_MAX_TTL) with
 * catena_caa_cache_set_max_ttl. CATENA_ERR_CONFIG for a malformed or
 * out-of-range value, which leaves the cache as it was.
 */
enum catena_rc catena_caa_cache_configure(const struct catena_config *cfg,
                                          struct catena_err *err) CATENA_WUR;

/* catena_caa_cache_flush forgets every cached answer. */
void catena_caa_cache_flush(void);

/*
 * DNS lookups shared by the CAA check and ACME validation (dns-01 TXT,
 * A/AAAA for http-01 and tls-alpn-01), all through one explicit ldns
 * resolver. |resolver| is "ip:port", "[ipv6]:port" or a bare IP (port 53);
 * NULL uses the system resolver. |timeout_ms| bounds each query (0 = 5000).
 * CNAMEs are followed (at most 8). NXDOMAIN and NODATA succeed with
 * |*num| = 0; SERVFAIL, REFUSED, timeouts, truncated or malformed answers
 * fail with CATENA_ERR_DNS. Answers over 64 records fail too.
 */

/*
 * catena_dns_txt returns in |*vals| the TXT records at |name|, each
 * record's character-strings concatenated (records holding a NUL byte are
 * skipped). |*vals| is malloc'd; free it with catena_dns_strings_free. On
 * failure |*vals| is NULL and |*num| 0.
 */
enum catena_rc catena_dns_txt(const char *resolver, unsigned timeout_ms,
                              const char *name, char ***vals, size_t *num,
                              struct catena_err *err) CATENA_WUR;

/*
 * catena_dns_addrs returns in |*addrs| the IPv6 (AAAA) then IPv4 (A)
 * addresses of |name| as text ("::1", "127.0.0.1"). Ownership and failure
 * as for catena_dns_txt; a failure of either query fails the call.
 */
enum catena_rc catena_dns_addrs(const char *resolver, unsigned timeout_ms,
                                const char *name, char ***addrs, size_t *num,
                                struct catena_err *err) CATENA_WUR;

/* catena_dns_strings_free frees what catena_dns_txt/addrs returned. */
void catena_dns_strings_free(char **vals, size_t num);

#endif
