/*
 * dns.h (ca internal) - one ldns query helper for CAA and the public
 * catena_dns_* lookups: explicit resolver, timeout, answer checks, CNAME
 * chains, caps. Everything that fails is CATENA_ERR_DNS (fail closed).
 */
#ifndef CATENA_CA_DNS_H
#define CATENA_CA_DNS_H

#include <ldns/ldns.h>

#include "catena/err.h"

/* Most records we accept for one name and type: more is an error. */
#define CATENA_DNS_MAX_RRS 64
/* Longest CNAME chain we follow. */
#define CATENA_DNS_MAX_CNAMES 8
/* Longest presentation name we accept (RFC 1035: 253 without the dot). */
#define CATENA_DNS_MAX_NAME 253

/*
 * catena_dns_canon writes |name| into |out| lower-cased, without a
 * trailing dot, after checking its syntax (LDH labels of 1..63 octets,
 * "_" allowed for labels such as _acme-challenge). Returns CATENA_OK or
 * CATENA_ERR_INVALID.
 */
enum catena_rc catena_dns_canon(const char *name,
                                char out[CATENA_DNS_MAX_NAME + 1],
                                struct catena_err *err) CATENA_WUR;

/*
 * A DNS client for one lookup: the resolver of a spec (see caa.h) with
 * |timeout_ms| per query and a single try per nameserver, and the UDP
 * sockets its queries share (dns.c says why). Not for use by two threads
 * at once.
 */
struct catena_dns;

/*
 * catena_dns_open makes a client for |spec|. |*out| is owned by the
 * caller (catena_dns_close), NULL on failure; CATENA_ERR_CONFIG for a bad
 * spec.
 */
enum catena_rc catena_dns_open(const char *spec, unsigned timeout_ms,
                               struct catena_dns **out,
                               struct catena_err *err) CATENA_WUR;

/* catena_dns_close closes the sockets and frees |d|; NULL is a no-op. */
void catena_dns_close(struct catena_dns *d);

/*
 * catena_dns_lookup_start canonicalises |name| into |canon| and opens the
 * client for |spec| (both as above): the first steps of every lookup. On
 * failure nothing is left to free.
 */
enum catena_rc catena_dns_lookup_start(const char *spec, unsigned timeout_ms,
                                       const char *name,
                                       char canon[CATENA_DNS_MAX_NAME + 1],
                                       struct catena_dns **d,
                                       struct catena_err *err) CATENA_WUR;

/*
 * catena_dns_query asks |d| for |type| records at |name| (canonical),
 * follows CNAMEs, and returns the records of |type| owned by the last name
 * of the chain in |*out| (a new list, possibly empty, owned by the caller:
 * ldns_rr_list_deep_free). NXDOMAIN and NODATA give an empty list.
 * CAA answers come from the process's cache while one is kept (see the
 * cache section of dns.c and caa.h); other types always ask |d|.
 */
enum catena_rc catena_dns_query(struct catena_dns *d, const char *name,
                                ldns_rr_type type, ldns_rr_list **out,
                                struct catena_err *err) CATENA_WUR;

#endif
