/*
 * config.h - the INI configuration (libinih), parsed once at start.
 *
 * Sections are "[name]" or "[name "sub"]" (e.g. [issuer "tls"]). Every
 * module publishes a schema of the keys it accepts; catena_config_load
 * rejects any section or key no schema names.
 */
#ifndef CATENA_CONFIG_H
#define CATENA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "catena/err.h"

struct catena_config;

enum catena_config_type {
    CATENA_CONF_STRING,
    CATENA_CONF_INT,      /* decimal, checked parser */
    CATENA_CONF_BOOL,     /* true/false/yes/no/on/off/1/0 */
    CATENA_CONF_PATH,     /* relative paths resolve against the file's dir */
    CATENA_CONF_LISTEN,   /* host:port */
    CATENA_CONF_DURATION, /* integer with s/m/h/d suffix, in seconds */
};

struct catena_config_key {
    const char *name;
    enum catena_config_type type;
    const char *help; /* one line, for the README reference */
};

/* One schema: a section name, whether it takes a "sub" name, its keys. */
struct catena_config_schema {
    const char *section;
    int has_sub;
    const struct catena_config_key *keys;
    size_t num_keys;
};

/*
 * catena_config_load parses |path| and checks every section and key against
 * the |num_schemas| schemas. On success |*out| is a new config (free with
 * catena_config_free); on failure NULL and |err| names file:line.
 */
enum catena_rc catena_config_load(const char *path,
                                  const struct catena_config_schema *const *schemas,
                                  size_t num_schemas,
                                  struct catena_config **out,
                                  struct catena_err *err) CATENA_WUR;

/* catena_config_free frees |cfg|; NULL is a no-op. */
void catena_config_free(struct catena_config *cfg);

/* catena_config_path returns the absolute path of the loaded file. */
const char *catena_config_path(const struct catena_config *cfg);

/*
 * catena_config_get returns the value of |key| in section |section| (with
 * sub-name |sub|, or NULL), or |def| if unset. PATH values come back
 * absolute. Borrowed from |cfg|.
 */
const char *catena_config_get(const struct catena_config *cfg,
                              const char *section, const char *sub,
                              const char *key, const char *def);

/* Typed getters: return CATENA_ERR_CONFIG if set but malformed. */
enum catena_rc catena_config_get_int(const struct catena_config *cfg,
                                     const char *section, const char *sub,
                                     const char *key, int64_t def,
                                     int64_t *out,
                                     struct catena_err *err) CATENA_WUR;
/*
 * catena_config_list_next walks a comma-separated value: each call sets
 * *item and *len to the next entry with surrounding blanks removed
 * (empty entries skipped) and returns 1, or returns 0 at the end.
 *   for (const char *p = list, *it; catena_config_list_next(&p, &it, &n);)
 */
int catena_config_list_next(const char **p, const char **item, size_t *len);

enum catena_rc catena_config_get_bool(const struct catena_config *cfg,
                                      const char *section, const char *sub,
                                      const char *key, int def, int *out,
                                      struct catena_err *err) CATENA_WUR;
enum catena_rc catena_config_get_duration(const struct catena_config *cfg,
                                          const char *section,
                                          const char *sub, const char *key,
                                          int64_t def, int64_t *out,
                                          struct catena_err *err) CATENA_WUR;

/*
 * catena_config_subs returns the sub-names used with |section|, in file
 * order, e.g. {"root", "tls", "smime", "spiffe"} for "issuer". The array
 * and strings are borrowed from |cfg|.
 */
const char *const *catena_config_subs(const struct catena_config *cfg,
                                      const char *section, size_t *num);

/* The core's own schemas ([catena], [http], [issuer "x"], [profile "x"]). */
extern const struct catena_config_schema *const catena_core_config_schemas[];
extern const size_t catena_core_num_config_schemas;

/*
 * catena_parse_int64 parses a whole decimal string into [min, max]. The one
 * checked number parser: never atoi/sscanf.
 */
enum catena_rc catena_parse_int64(const char *s, int64_t min, int64_t max,
                                  int64_t *out) CATENA_WUR;

/*
 * catena_config_load_ex is catena_config_load with |flags|. With
 * CATENA_CONFIG_SKIP_UNKNOWN_SECTIONS, sections no schema names are skipped
 * (keys of known sections are still checked): the signer process loads
 * only the core schemas, the front doors' sections having been checked
 * strictly by the process that started it.
 */
#define CATENA_CONFIG_SKIP_UNKNOWN_SECTIONS 0x1u
enum catena_rc catena_config_load_ex(const char *path,
                                     const struct catena_config_schema *const *schemas,
                                     size_t num_schemas, unsigned flags,
                                     struct catena_config **out,
                                     struct catena_err *err) CATENA_WUR;

#endif
