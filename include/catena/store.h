/*
 * store.h - Catena's storage: one SQL layer, two drivers.
 *
 * A store URL names the driver: "sqlite:/path/to/catena.db" (the default,
 * WAL, busy timeout) or a libpq connection URI "postgresql://..." /
 * "postgres://...". A struct catena_store is ONE connection: use it from one
 * thread at a time (open one per thread). Migrations are numbered and applied
 * by catena_store_open.
 *
 * Queries are written once in a common dialect with $1..$n placeholders;
 * the SQLite driver maps them, the PostgreSQL driver passes them through.
 * Times are int64 Unix seconds (UTC). Serials are lower-case hex strings of
 * the DER INTEGER content octets (leading 00 kept if present).
 */
#ifndef CATENA_STORE_H
#define CATENA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"

struct catena_store;
struct catena_rows;
struct catena_row;

enum catena_store_driver {
    CATENA_STORE_SQLITE,
    CATENA_STORE_POSTGRES,
    CATENA_STORE_DRIVER__MAX
};

/* ---- connection ---------------------------------------------------- */

/*
 * catena_store_open connects to |url| and applies pending migrations.
 * On success |*out| is a new connection the caller frees with
 * catena_store_close; on failure |*out| is NULL.
 */
enum catena_rc catena_store_open(const char *url, struct catena_store **out,
                                 struct catena_err *err) CATENA_WUR;

/* catena_store_close closes |store|; NULL is a no-op. */
void catena_store_close(struct catena_store *store);

/* catena_store_driver returns which driver |store| uses. */
enum catena_store_driver catena_store_driver(const struct catena_store *store);

/* catena_store_schema_version returns the highest applied migration. */
int catena_store_schema_version(struct catena_store *store);

/*
 * Transactions. begin/commit/rollback nest by counting: only the outermost
 * pair touches the database, so a domain function can wrap itself in a
 * transaction and still be called inside a caller's. rollback always
 * rolls the whole outermost transaction back.
 */
enum catena_rc catena_store_begin(struct catena_store *store,
                                  struct catena_err *err) CATENA_WUR;
enum catena_rc catena_store_commit(struct catena_store *store,
                                   struct catena_err *err) CATENA_WUR;
void catena_store_rollback(struct catena_store *store);

/*
 * A read snapshot (SQLite; nothing on PostgreSQL): the reads that follow
 * share one read transaction instead of each starting its own, which on
 * SQLite means a lock round trip and, after any other connection's
 * commit, re-reading every page from the file. catena_store_read_begin
 * starts one when no transaction is open; it lasts until
 * catena_store_read_end, or ends by itself just before the first write
 * (a transaction's begin or a write statement), so writes never run
 * inside it and see the newest state as always. Reads inside it see the
 * database as of its first read: keep it to one request's work.
 */
void catena_store_read_begin(struct catena_store *store);
void catena_store_read_end(struct catena_store *store);

/*
 * A background checkpointer for a SQLite store (nothing for PostgreSQL),
 * for long-running processes ("catena serve"): a thread of its own moves
 * the write-ahead log into the database file every 50 ms with passive
 * checkpoints, which never block writers. Otherwise whichever request
 * commits past the threshold copies ~40 MB and syncs while holding the
 * write lock, and every other writer waits (the ACME p99). Connections
 * opened after the start leave checkpoints to it, keeping a far threshold
 * as a backstop should it fall behind. One per process; stop before
 * exit.
 */
enum catena_rc catena_store_checkpointer_start(const char *url,
                                               struct catena_err *err)
    CATENA_WUR;
void catena_store_checkpointer_stop(void);

/*
 * A module's own numbered migrations (acme/, crl/, spiffe/ keep their tables
 * this way; the core's are applied by catena_store_open). |sql| is one or
 * more ";"-separated statements in the common dialect; the driver
 * translates the type words documented in ca/store/README or store.c
 * (e.g. BLOB -> BYTEA, ID_PK -> INTEGER PRIMARY KEY / BIGSERIAL PRIMARY
 * KEY). Versions start at 1 and are applied in order, each in its own
 * transaction, recorded per module.
 */
struct catena_store_migration {
    int version;
    const char *sql;
};

enum catena_rc catena_store_migrate(struct catena_store *store,
                                    const char *module,
                                    const struct catena_store_migration *migs,
                                    size_t num_migs,
                                    struct catena_err *err) CATENA_WUR;

/* ---- generic statements ------------------------------------------- */

enum catena_sql_type {
    CATENA_SQL_NULL,
    CATENA_SQL_INT,  /* int64 */
    CATENA_SQL_TEXT, /* NUL-terminated UTF-8 (len ignored) */
    CATENA_SQL_BLOB, /* bytes, len */
};

struct catena_sql_param {
    enum catena_sql_type type;
    int64_t i;
    const void *p;
    size_t len;
};

/* Convenience constructors for parameter arrays. */
#define CATENA_SQL_P_NULL() ((struct catena_sql_param){CATENA_SQL_NULL, 0, 0, 0})
#define CATENA_SQL_P_INT(v) ((struct catena_sql_param){CATENA_SQL_INT, (v), 0, 0})
#define CATENA_SQL_P_TEXT(s)                                                  \
    ((struct catena_sql_param){CATENA_SQL_TEXT, 0, (s), 0})
#define CATENA_SQL_P_BLOB(b, n)                                               \
    ((struct catena_sql_param){CATENA_SQL_BLOB, 0, (b), (n)})

/*
 * catena_store_exec runs |sql| with |num_params| parameters. If |rows_out|
 * is non-NULL the result rows are materialised into a new catena_rows the
 * caller frees; on failure |*rows_out| is NULL. A unique-constraint
 * violation returns CATENA_ERR_EXISTS; other database errors
 * CATENA_ERR_STORE. Statements are prepared once per connection and cached.
 */
enum catena_rc catena_store_exec(struct catena_store *store, const char *sql,
                                 const struct catena_sql_param *params,
                                 size_t num_params,
                                 struct catena_rows **rows_out,
                                 struct catena_err *err) CATENA_WUR;

/*
 * catena_store_foreach runs |sql| and calls |cb| for each row without
 * materialising the result (for CRLs with a million entries). The row is
 * valid only during the call. A non-zero return from |cb| stops the
 * iteration and is returned as CATENA_ERR_INTERNAL unless it is an
 * enum catena_rc value, which is returned as is.
 */
typedef int (*catena_store_row_cb)(void *ctx, const struct catena_row *row);
enum catena_rc catena_store_foreach(struct catena_store *store,
                                    const char *sql,
                                    const struct catena_sql_param *params,
                                    size_t num_params, catena_store_row_cb cb,
                                    void *ctx,
                                    struct catena_err *err) CATENA_WUR;

/* catena_rows_count returns the number of rows. */
size_t catena_rows_count(const struct catena_rows *rows);
/* catena_rows_get returns row |i| (borrowed), or NULL if out of range. */
const struct catena_row *catena_rows_get(const struct catena_rows *rows,
                                         size_t i);
/* catena_rows_free frees |rows|; NULL is a no-op. */
void catena_rows_free(struct catena_rows *rows);

/*
 * Column accessors (borrowed; valid while the row is). Out-of-range columns
 * read as NULL. Text of a NULL column is NULL; blob of a NULL column is
 * NULL with *len 0; int of NULL is 0.
 */
int catena_row_is_null(const struct catena_row *row, int col);
int64_t catena_row_int(const struct catena_row *row, int col);
const char *catena_row_text(const struct catena_row *row, int col);
const uint8_t *catena_row_blob(const struct catena_row *row, int col,
                               size_t *len);

/* ---- issuers -------------------------------------------------------- */

/*
 * catena_store_issuer_put inserts or updates the issuer named |name| (as in
 * the configuration, e.g. "tls") with its certificate DER, its SKI and its
 * number of CRL shards; sets |*id_out| (may be NULL) to its id.
 */
enum catena_rc catena_store_issuer_put(struct catena_store *store,
                                       const char *name,
                                       const uint8_t *cert_der,
                                       size_t cert_der_len,
                                       const uint8_t *ski, size_t ski_len,
                                       int num_shards, int64_t *id_out,
                                       struct catena_err *err) CATENA_WUR;

/* catena_store_issuer_id finds the id of issuer |name|. */
enum catena_rc catena_store_issuer_id(struct catena_store *store,
                                      const char *name, int64_t *id_out,
                                      struct catena_err *err) CATENA_WUR;

/* ---- certificates ---------------------------------------------------- */

enum catena_cert_status {
    CATENA_CERT_RESERVED = 0, /* serial recorded, not (yet) signed */
    CATENA_CERT_ISSUED = 1,
    CATENA_CERT_REVOKED = 2,
    CATENA_CERT_FAILED = 3,   /* signing was refused; never issued */
    CATENA_CERT_STATUS__MAX
};

/*
 * One certificate row. Strings are owned by the struct when it comes from
 * the store (free with catena_cert_row_clear) and borrowed when the caller
 * fills it for an insert.
 */
struct catena_cert_row {
    char serial[41];            /* lower-case hex */
    int64_t issuer_id;
    char profile[32];
    uint8_t *der;               /* NULL while reserved */
    size_t der_len;
    int64_t not_before;
    int64_t not_after;
    char *names;                /* comma-separated SAN values, lower case */
    uint8_t spki_sha256[32];
    enum catena_cert_status status;
    int64_t revoked_at;         /* 0 if not revoked */
    int reason;                 /* RFC 5280 code; -1 = no reasonCode */
    int shard;
    char replaces[41];          /* serial this one replaces, or "" */
    char replaced_by[41];       /* serial that replaced this one, or "" */
    int64_t ari_start;          /* ARI suggested window */
    int64_t ari_end;
    int64_t account_id;         /* ACME account, 0 = none */
    int64_t created_at;
};

/* catena_cert_row_clear frees the owned members of |row| and zeroes it. */
void catena_cert_row_clear(struct catena_cert_row *row);

/*
 * catena_store_cert_reserve records a certificate about to be signed
 * (status RESERVED, no DER). Must happen before the signer is asked.
 * A duplicate serial returns CATENA_ERR_EXISTS.
 */
enum catena_rc catena_store_cert_reserve(struct catena_store *store,
                                         const struct catena_cert_row *row,
                                         struct catena_err *err) CATENA_WUR;

/*
 * catena_store_cert_set_issued adds the signed DER to a RESERVED row and
 * marks it ISSUED (and, if the row replaces another, sets that row's
 * replaced_by) in one transaction.
 */
enum catena_rc catena_store_cert_set_issued(struct catena_store *store,
                                            const char *serial,
                                            const uint8_t *der,
                                            size_t der_len,
                                            struct catena_err *err) CATENA_WUR;

/* catena_store_cert_set_failed marks a RESERVED row FAILED. */
enum catena_rc catena_store_cert_set_failed(struct catena_store *store,
                                            const char *serial,
                                            struct catena_err *err) CATENA_WUR;

/*
 * catena_store_cert_get loads the row for |serial| into |out| (caller
 * clears it). Unknown serial: CATENA_ERR_NOT_FOUND.
 */
enum catena_rc catena_store_cert_get(struct catena_store *store,
                                     const char *serial,
                                     struct catena_cert_row *out,
                                     struct catena_err *err) CATENA_WUR;

/*
 * catena_store_cert_revoke marks an ISSUED certificate REVOKED at |when|
 * with RFC 5280 |reason| (-1 = unspecified, no extension). Revoking a
 * REVOKED certificate again changes nothing and returns CATENA_OK, except
 * that a later keyCompromise may replace an earlier reason (BR 4.9.1);
 * |*changed| (may be NULL) says whether the row changed.
 */
enum catena_rc catena_store_cert_revoke(struct catena_store *store,
                                        const char *serial, int reason,
                                        int64_t when, int *changed,
                                        struct catena_err *err) CATENA_WUR;

/* catena_store_cert_set_ari sets the ARI suggested window of |serial|. */
enum catena_rc catena_store_cert_set_ari(struct catena_store *store,
                                         const char *serial, int64_t start,
                                         int64_t end,
                                         struct catena_err *err) CATENA_WUR;

/* ---- blocked keys ----------------------------------------------------- */

/* catena_store_key_block adds an SPKI SHA-256 to the blocked list. */
enum catena_rc catena_store_key_block(struct catena_store *store,
                                      const uint8_t spki_sha256[32],
                                      const char *why,
                                      struct catena_err *err) CATENA_WUR;

/* catena_store_key_is_blocked sets |*blocked| to 1 if the key is blocked. */
enum catena_rc catena_store_key_is_blocked(struct catena_store *store,
                                           const uint8_t spki_sha256[32],
                                           int *blocked,
                                           struct catena_err *err) CATENA_WUR;

/* ---- audit log -------------------------------------------------------- */

/*
 * catena_store_audit_append appends a record of |kind| ("issue", "refuse",
 * "revoke", ...) with |detail| (a JSON object text) and the SHA-256 of the
 * previous record, in one transaction. Its failure must fail the operation
 * being audited.
 */
enum catena_rc catena_store_audit_append(struct catena_store *store,
                                         const char *kind, const char *detail,
                                         struct catena_err *err) CATENA_WUR;

struct catena_audit_summary {
    int64_t num_records;
    int64_t num_issue;
    int64_t num_refuse;
    int64_t num_revoke;
    int64_t first_bad_id; /* 0 if the chain verifies */
};

/*
 * catena_store_audit_verify recomputes the whole hash chain. Returns
 * CATENA_OK and first_bad_id = 0 if intact; CATENA_ERR_INVALID with
 * first_bad_id set to the first record that does not match if broken.
 */
enum catena_rc catena_store_audit_verify(struct catena_store *store,
                                         struct catena_audit_summary *out,
                                         struct catena_err *err) CATENA_WUR;

#endif
