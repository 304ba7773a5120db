/*
 * config.c - the INI configuration (libinih), parsed once at start.
 *
 * The file is read whole (with a cap), pre-scanned for what libinih would
 * silently misread (over-long lines are truncated by its fixed line buffer,
 * indented lines become continuations), then parsed. Every section and key
 * is checked against the schemas, every value against its type, and PATH
 * values are made absolute against the directory of the file.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "catena/caa.h"
#include "catena/config.h"
#include "catena/log.h"

#define CONFIG_MAX_FILE (1024u * 1024u)
/* libinih's compiled-in line buffer is 200 bytes including "\r\n\0". */
#define CONFIG_MAX_LINE 196u
#define CONFIG_MAX_ENTRIES 4096u
#define CONFIG_MAX_SUB 64u
#define CONFIG_MAX_SECTION 32u

struct config_entry {
    char *section;
    char *sub; /* NULL when the section takes no sub-name */
    char *key;
    char *value;
};

/* The sub-names of one section, in file order. */
struct config_subs {
    char *section;
    char **names;
    size_t num_names;
};

struct catena_config {
    char *path; /* absolute */
    char *dir;  /* absolute directory of path */
    struct config_entry *entries;
    size_t num_entries;
    struct config_subs *subs;
    size_t num_subs;
};

/* The state of one parse, handed to the libinih callback. */
struct parse_state {
    struct catena_config *cfg;
    const struct catena_config_schema *const *schemas;
    size_t num_schemas;
    unsigned flags;
    struct catena_err *err;
    enum catena_rc rc;
};

/* ---- core schemas ------------------------------------------------------ */

static const struct catena_config_key catena_keys[] = {
    {"dir", CATENA_CONF_PATH, "directory of certificates, keys and the store"},
    {"store", CATENA_CONF_STRING,
     "store URL: sqlite:/abs/file.db or postgresql://..."},
    {"instance_prefix", CATENA_CONF_INT,
     "first serial byte of this node, 1..255"},
    {"base_url", CATENA_CONF_STRING,
     "public HTTP base of CRL, OCSP and caIssuers URLs"},
    {"log_level", CATENA_CONF_STRING, "debug, info, warn or error"},
    {"trust_domain", CATENA_CONF_STRING, "SPIFFE trust domain"},
};

static const struct catena_config_key http_keys[] = {
    {"listen", CATENA_CONF_LISTEN, "host:port of the plain-HTTP listener"},
    {"threads", CATENA_CONF_INT, "worker threads of the HTTP listener"},
};

static const struct catena_config_key issuer_keys[] = {
    {"cert", CATENA_CONF_PATH, "PEM certificate of this issuer"},
    {"key", CATENA_CONF_PATH,
     "PEM private key (opened only by the signer process)"},
    {"chain", CATENA_CONF_PATH,
     "PEM of this issuer and its intermediates, without the root"},
    {"profiles", CATENA_CONF_STRING,
     "comma-separated profiles this issuer signs"},
    {"ocsp_cert", CATENA_CONF_PATH, "delegated OCSP responder certificate"},
    {"ocsp_key", CATENA_CONF_PATH,
     "delegated OCSP responder key (opened only by the signer)"},
    {"num_shards", CATENA_CONF_INT, "number of CRL shards, >= 1"},
    {"parent", CATENA_CONF_STRING, "issuer that signed this one; empty for the root"},
};

static const struct catena_config_key profile_keys[] = {
    {"lifetime", CATENA_CONF_DURATION, "default certificate lifetime"},
    {"max_lifetime", CATENA_CONF_DURATION,
     "longest lifetime; at most the built-in maximum"},
};

static const struct catena_config_key signer_keys[] = {
    {"user", CATENA_CONF_STRING,
     "user the signer drops to after opening keys (when started as root)"},
};

static const struct catena_config_key caa_keys[] = {
    {"check", CATENA_CONF_BOOL,
     "check CAA before tls-server and smime-mailbox certificates (default "
     "true; false only for a CA that is not publicly trusted)"},
    {"identities", CATENA_CONF_STRING,
     "comma-separated CAA issuer domains of this CA (RFC 8659 4.2)"},
    {"resolver", CATENA_CONF_STRING,
     "host:port of the DNS resolver for CAA; default the system's"},
    {"cache_max_ttl", CATENA_CONF_DURATION,
     "longest time a CAA answer is reused within its DNS TTL (0..8h, "
     "default 300s; 0 = no cache)"},
};

/* Durations with a ceiling, refused at load (so "serve --check" sees
 * them) rather than when the module reads them. */
static const struct {
    const char *section, *key;
    int64_t max;
} duration_caps[] = {
    {"caa", "cache_max_ttl", CATENA_CAA_CACHE_LIMIT_MAX_TTL},
};

static const struct catena_config_key lint_keys[] = {
    {"debian_weak_keys", CATENA_CONF_PATH,
     "directory of Debian weak-key lists (openssl-vulnkey format) for rule "
     "e_key_debian_weak"},
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const struct catena_config_schema catena_schema = {
    "catena", 0, catena_keys, NKEYS(catena_keys)};
static const struct catena_config_schema http_schema = {
    "http", 0, http_keys, NKEYS(http_keys)};
static const struct catena_config_schema issuer_schema = {
    "issuer", 1, issuer_keys, NKEYS(issuer_keys)};
static const struct catena_config_schema profile_schema = {
    "profile", 1, profile_keys, NKEYS(profile_keys)};
static const struct catena_config_schema signer_schema = {
    "signer", 0, signer_keys, NKEYS(signer_keys)};
static const struct catena_config_schema caa_schema = {
    "caa", 0, caa_keys, NKEYS(caa_keys)};
static const struct catena_config_schema lint_schema = {
    "lint", 0, lint_keys, NKEYS(lint_keys)};

const struct catena_config_schema *const catena_core_config_schemas[] = {
    &catena_schema, &http_schema, &issuer_schema, &profile_schema,
    &signer_schema, &caa_schema, &lint_schema,
};
const size_t catena_core_num_config_schemas =
    sizeof(catena_core_config_schemas) / sizeof(catena_core_config_schemas[0]);

/* ---- value parsers ----------------------------------------------------- */

enum catena_rc
catena_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || out == NULL) {
        return CATENA_ERR_INVALID;
    }
    /* strtoll accepts leading blanks and a '+'; a configuration value or
     * protocol field with either is malformed, so refuse them first. */
    if (!((s[0] >= '0' && s[0] <= '9') ||
          (s[0] == '-' && s[1] >= '0' && s[1] <= '9'))) {
        return CATENA_ERR_INVALID;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE) {
        return CATENA_ERR_INVALID;
    }
    if (errno != 0 || end == s || *end != '\0') {
        return CATENA_ERR_INVALID;
    }
    if ((int64_t)v < min || (int64_t)v > max) {
        return CATENA_ERR_INVALID;
    }
    *out = (int64_t)v;
    return CATENA_OK;
}

/* parse_bool accepts the spellings config.h lists; -1 if none. */
static int
parse_bool(const char *s)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < NKEYS(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            return 1;
        }
        if (strcasecmp(s, no[i]) == 0) {
            return 0;
        }
    }
    return -1;
}

/* parse_duration reads "<n>[s|m|h|d]" (no suffix = seconds) into seconds,
 * refusing negatives and overflow. */
static enum catena_rc
parse_duration(const char *s, int64_t *out)
{
    char num[32];
    size_t len = strlen(s);
    int64_t mult = 1;
    int64_t v = 0;

    if (len == 0 || len >= sizeof(num)) {
        return CATENA_ERR_INVALID;
    }
    memcpy(num, s, len + 1);
    switch (num[len - 1]) {
    case 's':
        mult = 1;
        break;
    case 'm':
        mult = 60;
        break;
    case 'h':
        mult = 3600;
        break;
    case 'd':
        mult = 86400;
        break;
    default:
        if (num[len - 1] < '0' || num[len - 1] > '9') {
            return CATENA_ERR_INVALID;
        }
        len++;
        break;
    }
    num[len - 1] = '\0';
    if (catena_parse_int64(num, 0, INT64_MAX / mult, &v) != CATENA_OK) {
        return CATENA_ERR_INVALID;
    }
    *out = v * mult;
    return CATENA_OK;
}

/* parse_listen checks "host:port" or "[v6]:port" with port 0..65535. */
static enum catena_rc
parse_listen(const char *s)
{
    const char *colon;
    int64_t port = 0;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (close == NULL || close == s + 1 || close[1] != ':') {
            return CATENA_ERR_INVALID;
        }
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || colon == s || memchr(s, ':', (size_t)(colon - s))) {
            return CATENA_ERR_INVALID;
        }
    }
    return catena_parse_int64(colon + 1, 0, 65535, &port);
}

/* ---- loading ----------------------------------------------------------- */

static void
entry_clear(struct config_entry *e)
{
    free(e->section);
    free(e->sub);
    free(e->key);
    free(e->value);
}

void
catena_config_free(struct catena_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = 0; i < cfg->num_entries; i++) {
        entry_clear(&cfg->entries[i]);
    }
    free(cfg->entries);
    for (size_t i = 0; i < cfg->num_subs; i++) {
        for (size_t j = 0; j < cfg->subs[i].num_names; j++) {
            free(cfg->subs[i].names[j]);
        }
        free(cfg->subs[i].names);
        free(cfg->subs[i].section);
    }
    free(cfg->subs);
    free(cfg->path);
    free(cfg->dir);
    free(cfg);
}

/*
 * split_section parses the text inside "[...]" into a name and an optional
 * quoted sub-name: [name] or [name "sub"]. Names are lower-case letters,
 * digits, '_' and '-'; sub-names printable ASCII without quotes.
 */
static int
split_section(const char *text, char name[CONFIG_MAX_SECTION + 1],
              char sub[CONFIG_MAX_SUB + 1], int *has_sub)
{
    size_t n = 0;
    const char *p = text;

    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
           *p == '_' || *p == '-') {
        if (n >= CONFIG_MAX_SECTION) {
            return -1;
        }
        name[n++] = *p++;
    }
    name[n] = '\0';
    if (n == 0) {
        return -1;
    }
    *has_sub = 0;
    if (*p == '\0') {
        return 0;
    }
    if (*p != ' ' && *p != '\t') {
        return -1;
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p++ != '"') {
        return -1;
    }
    n = 0;
    while (*p != '"') {
        if (*p < 0x20 || *p > 0x7e || *p == '\\' || n >= CONFIG_MAX_SUB) {
            return -1;
        }
        sub[n++] = *p++;
    }
    sub[n] = '\0';
    if (n == 0 || p[1] != '\0') {
        return -1;
    }
    *has_sub = 1;
    return 0;
}

static const struct catena_config_schema *
find_schema(const struct parse_state *st, const char *name)
{
    for (size_t i = 0; i < st->num_schemas; i++) {
        if (st->schemas[i] != NULL &&
            strcmp(st->schemas[i]->section, name) == 0) {
            return st->schemas[i];
        }
    }
    return NULL;
}

static const struct config_entry *
find_entry(const struct catena_config *cfg, const char *section,
           const char *sub, const char *key)
{
    for (size_t i = 0; i < cfg->num_entries; i++) {
        const struct config_entry *e = &cfg->entries[i];

        if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0 &&
            ((sub == NULL && e->sub == NULL) ||
             (sub != NULL && e->sub != NULL && strcmp(e->sub, sub) == 0))) {
            return e;
        }
    }
    return NULL;
}

/* note_sub remembers |sub| of |section| once, in file order. */
static int
note_sub(struct catena_config *cfg, const char *section, const char *sub)
{
    struct config_subs *s = NULL;
    char **names;
    char *copy;

    for (size_t i = 0; i < cfg->num_subs; i++) {
        if (strcmp(cfg->subs[i].section, section) == 0) {
            s = &cfg->subs[i];
            break;
        }
    }
    if (s == NULL) {
        struct config_subs *grown =
            realloc(cfg->subs, (cfg->num_subs + 1) * sizeof(*grown));

        if (grown == NULL) {
            return -1;
        }
        cfg->subs = grown;
        s = &cfg->subs[cfg->num_subs];
        memset(s, 0, sizeof(*s));
        if ((s->section = strdup(section)) == NULL) {
            return -1;
        }
        cfg->num_subs++;
    }
    for (size_t i = 0; i < s->num_names; i++) {
        if (strcmp(s->names[i], sub) == 0) {
            return 0;
        }
    }
    names = realloc(s->names, (s->num_names + 1) * sizeof(*names));
    if (names == NULL) {
        return -1;
    }
    s->names = names;
    if ((copy = strdup(sub)) == NULL) {
        return -1;
    }
    s->names[s->num_names++] = copy;
    return 0;
}

/* resolve_path makes |value| absolute against the config's directory. */
static char *
resolve_path(const struct catena_config *cfg, const char *value)
{
    size_t dlen;
    size_t vlen;
    char *out;

    if (value[0] == '/') {
        return strdup(value);
    }
    dlen = strlen(cfg->dir);
    vlen = strlen(value);
    if (dlen + 1 + vlen + 1 > PATH_MAX ||
        (out = malloc(dlen + 1 + vlen + 1)) == NULL) {
        return NULL;
    }
    memcpy(out, cfg->dir, dlen);
    out[dlen] = '/';
    memcpy(out + dlen + 1, value, vlen + 1);
    return out;
}

static enum catena_rc
check_value(const struct catena_config_key *k, const char *value)
{
    int64_t v = 0;

    switch (k->type) {
    case CATENA_CONF_STRING:
        return CATENA_OK;
    case CATENA_CONF_INT:
        return catena_parse_int64(value, INT64_MIN, INT64_MAX, &v);
    case CATENA_CONF_BOOL:
        return parse_bool(value) < 0 ? CATENA_ERR_INVALID : CATENA_OK;
    case CATENA_CONF_PATH:
        return value[0] == '\0' ? CATENA_ERR_INVALID : CATENA_OK;
    case CATENA_CONF_LISTEN:
        return parse_listen(value);
    case CATENA_CONF_DURATION:
        return parse_duration(value, &v);
    }
    return CATENA_ERR_INVALID;
}

/* duration_cap is the ceiling of duration |key| in [|section|] from
 * duration_caps, or -1 for none. */
static int64_t
duration_cap(const char *section, const char *key)
{
    for (size_t i = 0; i < NKEYS(duration_caps); i++) {
        if (strcmp(duration_caps[i].section, section) == 0 &&
            strcmp(duration_caps[i].key, key) == 0) {
            return duration_caps[i].max;
        }
    }
    return -1;
}

static const char *const type_names[] = {
    "a string", "a decimal integer", "a boolean", "a path",
    "host:port", "a duration (integer with s, m, h or d)"};

/* on_value is the libinih callback: returning 0 stops with the line. */
static int
on_value(void *user, const char *section, const char *key, const char *value)
{
    struct parse_state *st = user;
    struct catena_config *cfg = st->cfg;
    const struct catena_config_schema *schema;
    const struct catena_config_key *k = NULL;
    struct config_entry *e;
    char name[CONFIG_MAX_SECTION + 1];
    char sub[CONFIG_MAX_SUB + 1];
    char esc[128];
    int has_sub = 0;
    int64_t cap, dur = 0;

    /* libinih goes on after an error; keep the first one. */
    if (st->rc != CATENA_OK) {
        return 0;
    }
    if (section[0] == '\0') {
        st->rc = catena_err_set(st->err, CATENA_ERR_CONFIG,
                                "key \"%s\" outside of any section",
                                catena_log_escape(esc, sizeof(esc), key, strlen(key)));
        return 0;
    }
    if (split_section(section, name, sub, &has_sub) != 0) {
        st->rc = catena_err_set(
            st->err, CATENA_ERR_CONFIG, "malformed section header [%s]",
            catena_log_escape(esc, sizeof(esc), section,
                              strlen(section)));
        return 0;
    }
    schema = find_schema(st, name);
    if (schema == NULL) {
        if (st->flags & CATENA_CONFIG_SKIP_UNKNOWN_SECTIONS) {
            return 1;
        }
        st->rc = catena_err_set(st->err, CATENA_ERR_CONFIG,
                                "unknown section [%s]", name);
        return 0;
    }
    if (schema->has_sub != has_sub) {
        st->rc = catena_err_set(st->err, CATENA_ERR_CONFIG,
                                "section [%s] %s", name,
                                schema->has_sub ? "needs a quoted name"
                                                : "takes no name");
        return 0;
    }
    for (size_t i = 0; i < schema->num_keys; i++) {
        if (strcmp(schema->keys[i].name, key) == 0) {
            k = &schema->keys[i];
            break;
        }
    }
    if (k == NULL) {
        st->rc = catena_err_set(
            st->err, CATENA_ERR_CONFIG, "unknown key \"%s\" in section [%s]",
            catena_log_escape(esc, sizeof(esc), key, strlen(key)), name);
        return 0;
    }
    if (find_entry(cfg, name, has_sub ? sub : NULL, key) != NULL) {
        st->rc = catena_err_set(st->err, CATENA_ERR_CONFIG,
                                "duplicate key \"%s\" in section [%s]", key,
                                name);
        return 0;
    }
    if (check_value(k, value) != CATENA_OK) {
        st->rc = catena_err_set(st->err, CATENA_ERR_CONFIG,
                                "[%s] %s must be %s", name, key,
                                type_names[k->type]);
        return 0;
    }
    cap = duration_cap(name, key);
    if (cap >= 0 && (parse_duration(value, &dur) != CATENA_OK || dur > cap)) {
        st->rc = catena_err_set(st->err, CATENA_ERR_CONFIG,
                                "[%s] %s is at most %llds", name, key,
                                (long long)cap);
        return 0;
    }
    if (cfg->num_entries >= CONFIG_MAX_ENTRIES) {
        st->rc = catena_err_set(st->err, CATENA_ERR_TOO_BIG,
                                "more than %u values", CONFIG_MAX_ENTRIES);
        return 0;
    }
    if ((cfg->num_entries & 63) == 0) {
        struct config_entry *grown = realloc(
            cfg->entries, (cfg->num_entries + 64) * sizeof(*grown));

        if (grown == NULL) {
            goto nomem;
        }
        cfg->entries = grown;
    }
    e = &cfg->entries[cfg->num_entries];
    memset(e, 0, sizeof(*e));
    e->section = strdup(name);
    e->sub = has_sub ? strdup(sub) : NULL;
    e->key = strdup(key);
    e->value = k->type == CATENA_CONF_PATH ? resolve_path(cfg, value)
                                           : strdup(value);
    if (e->section == NULL || (has_sub && e->sub == NULL) || e->key == NULL ||
        e->value == NULL) {
        entry_clear(e);
        goto nomem;
    }
    cfg->num_entries++;
    if (has_sub && note_sub(cfg, name, sub) != 0) {
        goto nomem;
    }
    return 1;
nomem:
    st->rc = catena_err_set(st->err, CATENA_ERR_NOMEM, "out of memory");
    return 0;
}

/*
 * prescan refuses what libinih would silently misread: NUL bytes, lines
 * longer than its buffer (it truncates them), and indented lines (it joins
 * them to the previous value). Returns the bad line number or 0.
 */
static int
prescan(const char *text, size_t len, const char **why)
{
    int line = 1;
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] == '\0') {
            *why = "NUL byte";
            return line;
        }
        if (i == len || text[i] == '\n') {
            const char *l = text + start;
            size_t n = i - start;
            size_t j = 0;

            if (n > CONFIG_MAX_LINE) {
                *why = "line too long (at most 196 bytes)";
                return line;
            }
            while (j < n && (l[j] == ' ' || l[j] == '\t')) {
                j++;
            }
            if (j > 0 && j < n && l[j] != '\r' && l[j] != '#' &&
                l[j] != ';') {
                *why = "indented line (continuation lines are not "
                       "supported)";
                return line;
            }
            if (j < n && l[j] != '\r' && l[j] != '#' && l[j] != ';' &&
                (l[j] == '[' ? memchr(l, ']', n) == NULL
                             : memchr(l, '=', n) == NULL &&
                                   memchr(l, ':', n) == NULL)) {
                *why = "syntax error (expected [section] or key = value)";
                return line;
            }
            line++;
            start = i + 1;
        }
    }
    return 0;
}

static enum catena_rc
read_file(const char *path, char **out, size_t *out_len,
          struct catena_err *err)
{
    FILE *f = fopen(path, "rbe");
    char *buf = NULL;
    size_t n;
    enum catena_rc rc;

    *out = NULL;
    if (f == NULL) {
        return catena_err_set_errno(err, CATENA_ERR_CONFIG, "cannot open %s",
                                    path);
    }
    if ((buf = malloc(CONFIG_MAX_FILE + 1)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    n = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
    if (ferror(f)) {
        rc = catena_err_set_errno(err, CATENA_ERR_CONFIG, "cannot read %s",
                                  path);
        goto out;
    }
    if (n > CONFIG_MAX_FILE) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG,
                            "%s is larger than %u bytes", path,
                            CONFIG_MAX_FILE);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    buf = NULL;
    rc = CATENA_OK;
out:
    free(buf);
    fclose(f);
    return rc;
}

enum catena_rc
catena_config_load_ex(const char *path,
                      const struct catena_config_schema *const *schemas,
                      size_t num_schemas, unsigned flags,
                      struct catena_config **out, struct catena_err *err)
{
    struct catena_config *cfg = NULL;
    struct parse_state st;
    char *text = NULL;
    size_t text_len = 0;
    char *slash;
    const char *why = NULL;
    int line;
    enum catena_rc rc;

    *out = NULL;
    if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
        return catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
    }
    if ((cfg->path = realpath(path, NULL)) == NULL) {
        rc = catena_err_set_errno(err, CATENA_ERR_CONFIG, "cannot open %s",
                                  path);
        goto out;
    }
    if ((cfg->dir = strdup(cfg->path)) == NULL) {
        rc = catena_err_set(err, CATENA_ERR_NOMEM, "out of memory");
        goto out;
    }
    slash = strrchr(cfg->dir, '/');
    if (slash == cfg->dir) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    if ((rc = read_file(cfg->path, &text, &text_len, err)) != CATENA_OK) {
        goto out;
    }
    if ((line = prescan(text, text_len, &why)) != 0) {
        rc = catena_err_set(err, CATENA_ERR_CONFIG, "%s:%d: %s", cfg->path,
                            line, why);
        goto out;
    }
    memset(&st, 0, sizeof(st));
    st.cfg = cfg;
    st.schemas = schemas;
    st.num_schemas = num_schemas;
    st.flags = flags;
    st.err = err;
    st.rc = CATENA_OK;
    line = ini_parse_string(text, on_value, &st);
    if (line != 0) {
        char msg[sizeof(err->msg)];

        if (st.rc == CATENA_OK) {
            st.rc = catena_err_set(err, CATENA_ERR_CONFIG,
                                   "syntax error (expected [section] or "
                                   "key = value)");
        }
        rc = st.rc == CATENA_ERR_NOMEM ? st.rc : CATENA_ERR_CONFIG;
        if (err != NULL) {
            snprintf(msg, sizeof(msg), "%s", err->msg);
            catena_err_set(err, rc, "%s:%d: %s", cfg->path, line, msg);
        }
        goto out;
    }
    *out = cfg;
    cfg = NULL;
    rc = CATENA_OK;
out:
    free(text);
    catena_config_free(cfg);
    return rc;
}

enum catena_rc
catena_config_load(const char *path,
                   const struct catena_config_schema *const *schemas,
                   size_t num_schemas, struct catena_config **out,
                   struct catena_err *err)
{
    return catena_config_load_ex(path, schemas, num_schemas, 0, out, err);
}

const char *
catena_config_path(const struct catena_config *cfg)
{
    return cfg->path;
}

const char *
catena_config_get(const struct catena_config *cfg, const char *section,
                  const char *sub, const char *key, const char *def)
{
    const struct config_entry *e = find_entry(cfg, section, sub, key);

    return e != NULL ? e->value : def;
}

/* malformed words the typed getters' error messages. */
static enum catena_rc
malformed(const struct catena_config *cfg, const char *section,
          const char *sub, const char *key, const char *what,
          struct catena_err *err)
{
    return catena_err_set(err, CATENA_ERR_CONFIG,
                          "%s: [%s%s%s%s] %s must be %s", cfg->path, section,
                          sub != NULL ? " \"" : "", sub != NULL ? sub : "",
                          sub != NULL ? "\"" : "", key, what);
}

enum catena_rc
catena_config_get_int(const struct catena_config *cfg, const char *section,
                      const char *sub, const char *key, int64_t def,
                      int64_t *out, struct catena_err *err)
{
    const char *v = catena_config_get(cfg, section, sub, key, NULL);

    if (v == NULL) {
        *out = def;
        return CATENA_OK;
    }
    if (catena_parse_int64(v, INT64_MIN, INT64_MAX, out) != CATENA_OK) {
        return malformed(cfg, section, sub, key, "a decimal integer", err);
    }
    return CATENA_OK;
}

enum catena_rc
catena_config_get_bool(const struct catena_config *cfg, const char *section,
                       const char *sub, const char *key, int def, int *out,
                       struct catena_err *err)
{
    const char *v = catena_config_get(cfg, section, sub, key, NULL);
    int b;

    if (v == NULL) {
        *out = def;
        return CATENA_OK;
    }
    if ((b = parse_bool(v)) < 0) {
        return malformed(cfg, section, sub, key, "true or false", err);
    }
    *out = b;
    return CATENA_OK;
}

enum catena_rc
catena_config_get_duration(const struct catena_config *cfg,
                           const char *section, const char *sub,
                           const char *key, int64_t def, int64_t *out,
                           struct catena_err *err)
{
    const char *v = catena_config_get(cfg, section, sub, key, NULL);

    if (v == NULL) {
        *out = def;
        return CATENA_OK;
    }
    if (parse_duration(v, out) != CATENA_OK) {
        return malformed(cfg, section, sub, key,
                         "a duration (integer with s, m, h or d)", err);
    }
    return CATENA_OK;
}

const char *const *
catena_config_subs(const struct catena_config *cfg, const char *section,
                   size_t *num)
{
    for (size_t i = 0; i < cfg->num_subs; i++) {
        if (strcmp(cfg->subs[i].section, section) == 0) {
            *num = cfg->subs[i].num_names;
            return (const char *const *)cfg->subs[i].names;
        }
    }
    *num = 0;
    return NULL;
}

int
catena_config_list_next(const char **p, const char **item, size_t *len)
{
    while (**p != '\0') {
        const char *s = *p;
        const char *end = strchr(s, ',');
        size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

        *p = end != NULL ? end + 1 : s + n;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
        if (n > 0) {
            *item = s;
            *len = n;
            return 1;
        }
    }
    return 0;
}
