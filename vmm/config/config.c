/* SPDX-License-Identifier: MIT */
/*
 * vmm/config/: the configuration of one VM (struct vm_config, config.h)
 * from a config file, --set and the `kvmkit run` flags, checked as a whole
 * before anything starts, and written back as INI text for snapshots.
 * Owns nothing else; calls only vmm/base/ (errors), vmm/observe/log.h (the
 * [log] enums) and devices/backend/net.h (the user back end's settings,
 * net_config.c). Everything above it (security, the core, x86, control,
 * main.c) reads the struct it fills in.
 *
 * The files, along the module's seams:
 *   schema.c     the key table: every section and key, type, default, check
 *   config.c     (this file) setting one key: values, sections, instances,
 *                config_init/clear/set/set_arg, shared helpers
 *                (config_internal.h)
 *   ini_read.c   reading INI files, with line numbers in errors
 *   cli.c        the `kvmkit run` command line and its help
 *   check.c      the whole-config checks (config_finish)
 *   ini_write.c  the effective config as INI text (config_to_ini), and
 *                copying keys between configs (restore)
 *   net_config.c the text forms of the [net] keys
 */
#include "config.h"
#include "config_internal.h"
#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(kvmkit-config-error-quark, kvmkit_config_error)

/* ---- helpers ------------------------------------------------------------ */

void config_fail(GError **errp, int code, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (who)
        g_set_error(errp, KVMKIT_CONFIG_ERROR, code, "%s: %s", who, msg);
    else
        g_set_error_literal(errp, KVMKIT_CONFIG_ERROR, code, msg);
}

/* Optimal string alignment distance, ASCII case-insensitive: one edit is an
 * insertion, deletion, substitution or swap of neighbours. */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned d[65][65];

    if (la > 64 || lb > 64)
        return UINT_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            char ca = g_ascii_tolower(a[i - 1]), cb = g_ascii_tolower(b[j - 1]);
            unsigned v = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
            v = MIN(v, d[i - 1][j - 1] + (ca != cb));
            if (i > 1 && j > 1 && ca == g_ascii_tolower(b[j - 2]) &&
                g_ascii_tolower(a[i - 2]) == cb)
                v = MIN(v, d[i - 2][j - 2] + 1);
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

/* The section name (section NULL) or key of section closest to word, if it
 * is 1-2 edits away and the edits do not replace most of it; else NULL. */
static const char *did_you_mean(const char *section, const char *word)
{
    const char *best = NULL;
    unsigned best_dist = 3;
    size_t n = section ? config_n_keys : config_n_sections;

    for (size_t i = 0; i < n; i++) {
        if (section && strcmp(config_keys[i].section, section) != 0)
            continue;
        const char *cand = section ? config_keys[i].key : config_sections[i].name;
        unsigned dist = edit_distance(word, cand);
        if (dist < best_dist && dist < strlen(cand)) {
            best = cand;
            best_dist = dist;
        }
    }
    return best;
}

char *config_format_size(uint64_t v)
{
    static const char suffix[] = "GMK";
    for (unsigned i = 0; i < 3; i++) {
        unsigned shift = 30 - 10 * i;
        if (v && v % (UINT64_C(1) << shift) == 0)
            return g_strdup_printf("%" PRIu64 "%c", v >> shift, suffix[i]);
    }
    return g_strdup_printf("%" PRIu64, v);
}

char *config_join_choices(const char *const *choices, const char *sep,
                          const char *last)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; choices[i]; i++) {
        if (i > 0)
            g_string_append(s, choices[i + 1] ? sep : last);
        g_string_append(s, choices[i]);
    }
    return g_string_free(s, FALSE);
}

bool config_parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s) || v > (UINT64_MAX - (*s - '0')) / 10)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

bool config_parse_size(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    const char *units = len ? strchr("kKmMgG", s[len - 1]) : NULL;
    unsigned shift = units && *units ? 10 * (1 + (units - "kKmMgG") / 2) : 0;
    g_autofree char *digits = g_strndup(s, shift ? len - 1 : len);
    uint64_t v;

    if (!config_parse_uint(digits, &v) || v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

/* [A-Za-z0-9_.-]{1,max} */
static bool valid_name(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.-") == len;
}
bool config_check_input_file(const char *who, const char *path, int code,
                             GError **errp)
{
    struct stat st;
    int fd;

    if (stat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            config_fail(errp, code, who, "no such file: %s", path);
        else
            config_fail(errp, code, who, "cannot access %s: %s", path,
                        g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        config_fail(errp, code, who, S_ISDIR(st.st_mode)
                    ? "expected a file, got a directory: %s"
                    : "expected a regular file: %s", path);
        return false;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        config_fail(errp, code, who, "cannot read %s: %s", path, g_strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

/* ---- values ------------------------------------------------------------- */

void config_free_field(const struct key_desc *k, void *field)
{
    if (k->kind == KIND_NAME || k->kind == KIND_STRING || k->kind == KIND_PATH)
        g_clear_pointer((char **)field, g_free);
    else if (k->kind == KIND_CHAR_OUT)
        g_clear_pointer(&((struct config_char *)field)->path, g_free);
}

static void replace_string(void *field, char *value)
{
    g_free(*(char **)field);
    *(char **)field = value;
}

/* Parses value for key k into field.  On error sets an unprefixed
 * "expected ..., got ..." message and leaves field alone. */
static bool parse_value(const struct key_desc *k, void *field,
                        const char *value, const char *base_dir, GError **errp)
{
    g_autofree char *expected = NULL;
    uint64_t v;

    switch (k->kind) {
    case KIND_UINT:
        if (config_parse_uint(value, &v) && v >= k->min && v <= k->max) {
            *(unsigned *)field = v;
            return true;
        }
        expected = g_strdup_printf("an integer from %" PRIu64 " to %" PRIu64,
                                   k->min, k->max);
        break;
    case KIND_SIZE:
        if (!config_parse_size(value, &v)) {
            expected = g_strdup_printf("a size like %s", k->def ? k->def : "512M");
        } else if (v < k->min || v > k->max) {
            g_autofree char *min = config_format_size(k->min);
            g_autofree char *max = config_format_size(k->max);
            expected = g_strdup_printf("a size from %s to %s", min, max);
        } else if (k->align && v % k->align) {
            g_autofree char *align = config_format_size(k->align);
            expected = g_strdup_printf("a multiple of %s", align);
        } else {
            *(uint64_t *)field = v;
            return true;
        }
        break;
    case KIND_NAME:
        if (valid_name(value, k->max)) {
            replace_string(field, g_strdup(value));
            return true;
        }
        expected = g_strdup_printf("1 to %" PRIu64 " letters, digits, '_', "
                                   "'.' or '-'", k->max);
        break;
    case KIND_STRING:
        if (strlen(value) > k->max) {
            config_fail(errp, CONFIG_ERROR_VALUE, NULL,
                        "expected at most %" PRIu64 " bytes, got %zu bytes", k->max,
                        strlen(value));
            return false;
        }
        if ((*value || (k->flags & KEY_EMPTY_OK)) &&
            (!k->check || k->check(value, &expected))) {
            replace_string(field, g_strdup(value));
            return true;
        }
        if (!expected)
            expected = g_strdup("a non-empty string");
        break;
    case KIND_ENUM:
        for (int i = 0; k->choices[i]; i++) {
            if (strcmp(k->choices[i], value) == 0) {
                *(int *)field = i;
                return true;
            }
        }
        expected = config_join_choices(k->choices, ", ", " or ");
        break;
    case KIND_PATH:
        if (*value) {
            replace_string(field, g_canonicalize_filename(value, base_dir));
            return true;
        }
        expected = g_strdup("a path");
        break;
    case KIND_CHAR_OUT: {
        struct config_char *c = field;
        bool pty = (k->flags & KEY_PTY_OK) && strcmp(value, "pty") == 0;
        if (strcmp(value, "stdio") == 0 || strcmp(value, "none") == 0 || pty) {
            g_clear_pointer(&c->path, g_free);
            c->kind = pty ? CONFIG_CHAR_PTY
                    : value[0] == 's' ? CONFIG_CHAR_STDIO : CONFIG_CHAR_NONE;
            return true;
        }
        if (g_str_has_prefix(value, "file:") && value[5]) {
            replace_string(&c->path,
                           g_canonicalize_filename(value + 5, base_dir));
            c->kind = CONFIG_CHAR_FILE;
            return true;
        }
        expected = g_strdup(strcmp(value, "file:") == 0
                                ? "a path after \"file:\""
                            : k->flags & KEY_PTY_OK
                                ? "stdio, none, pty or file:PATH"
                                : "stdio, none or file:PATH");
        break;
    }
    case KIND_CHAR_IN:
        if (strcmp(value, "stdio") == 0 || strcmp(value, "none") == 0) {
            *(bool *)field = value[0] == 's';
            return true;
        }
        expected = g_strdup("stdio or none");
        break;
    case KIND_BOOL: {
        static const char *const words[] = { "false", "no", "off", "0",
                                             "true", "yes", "on", "1" };
        for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
            if (g_ascii_strcasecmp(value, words[i]) == 0) {
                *(bool *)field = i >= G_N_ELEMENTS(words) / 2;
                return true;
            }
        }
        expected = g_strdup("true or false");
        break;
    }
    }
    config_fail(errp, CONFIG_ERROR_VALUE, NULL, "expected %s, got \"%s\"", expected,
                value);
    return false;
}

static void apply_defaults(const char *section, void *base)
{
    for (size_t i = 0; i < config_n_keys; i++) {
        const struct key_desc *k = &config_keys[i];
        if (strcmp(k->section, section) != 0 || !k->def)
            continue;
        bool ok = parse_value(k, (char *)base + k->offset, k->def, NULL, NULL);
        g_assert(ok); /* a bad default is a bug in the table */
    }
}

char *config_group_name(const char *section, const char *inst)
{
    return inst ? g_strdup_printf("%s \"%s\"", section, inst)
                : g_strdup(section);
}

bool config_split_group(const char *group, char **section, char **inst)
{
    const char *sp = strchr(group, ' ');
    size_t len = sp ? strlen(sp + 1) : 0;

    *section = *inst = NULL;
    if (!sp && strchr(group, '"'))
        return false;
    if (sp && (len < 2 || sp[1] != '"' || sp[len] != '"' ||
               memchr(sp + 2, '"', len - 2)))
        return false;
    *section = sp ? g_strndup(group, sp - group) : g_strdup(group);
    *inst = sp ? g_strndup(sp + 2, len - 2) : NULL;
    return true;
}

const struct section_desc *config_lookup_section(const char *who,
                                                 const char *section,
                                                 const char *inst,
                                                 GError **errp)
{
    g_autofree char *group = config_group_name(section, inst);

    for (size_t i = 0; i < config_n_sections; i++) {
        const struct section_desc *sec = &config_sections[i];
        if (strcmp(sec->name, section) != 0)
            continue;
        if (!sec->instance && inst)
            config_fail(errp, CONFIG_ERROR_UNKNOWN, who,
                        "section [%s] takes no name, got [%s]", section, group);
        else if (sec->instance && !inst)
            config_fail(errp, CONFIG_ERROR_UNKNOWN, who,
                        "section [%s] needs a name, like [%s \"NAME\"]", section,
                        section);
        else if (inst && !valid_name(inst, sec->name_max ? sec->name_max : 64))
            config_fail(errp, CONFIG_ERROR_VALUE, who, "[%s]: expected a name of 1 "
                        "to %zu letters, digits, '_', '.' or '-', got \"%s\"", group,
                        sec->name_max ? sec->name_max : 64, inst);
        else
            return sec;
        return NULL;
    }
    const char *hint = did_you_mean(NULL, section);
    config_fail(errp, CONFIG_ERROR_UNKNOWN, who, "unknown section [%s]%s%s%s", group,
                hint ? " (did you mean [" : "", hint ? hint : "", hint ? "]?)" : "");
    return NULL;
}

void *config_get_instance(struct vm_config *cfg,
                          const struct section_desc *sec, const char *inst,
                          const char *who)
{
    bool created = false;
    void *base = sec->instance(cfg, inst, &created);

    if (created) {
        g_autofree char *group = config_group_name(sec->name, inst);
        apply_defaults(sec->name, base);
        g_hash_table_replace(cfg->origins, g_strdup(group),
                             who && who[0] != '-'
                                 ? g_strdup_printf("%s: [%s]", who, group)
                                 : g_strdup_printf("[%s]", group));
    }
    return base;
}

bool config_set_key(struct vm_config *cfg, const char *who, const char *prefix,
                    const char *section, const char *inst, const char *key,
                    const char *value, const char *base_dir, unsigned line,
                    GError **errp)
{
    const struct section_desc *sec = config_lookup_section(who, section, inst, errp);
    g_autofree char *group = config_group_name(section, inst);

    if (!sec)
        return false;
    const struct key_desc *k = config_find_key(section, key);
    if (!k) {
        g_autofree char *where = line ? g_strdup_printf("line %u: ", line)
                                      : g_strdup("");
        const char *hint = did_you_mean(section, key);
        config_fail(errp, CONFIG_ERROR_UNKNOWN, who,
                    "%sunknown key \"%s\" in [%s]%s%s%s", where, key, group,
                    hint ? " (did you mean \"" : "", hint ? hint : "",
                    hint ? "\"?)" : "");
        return false;
    }

    void *base = cfg;
    if (sec->instance) {
        /* check the value first: a bad one must not add the instance */
        union {
            unsigned u; uint64_t size; char *s; int e; bool b;
            struct config_char c;
        } scratch = { 0 };
        bool ok = parse_value(k, &scratch, value, base_dir, errp);
        config_free_field(k, &scratch);
        if (!ok) {
            g_prefix_error(errp, "%s: ", prefix);
            return false;
        }
        base = config_get_instance(cfg, sec, inst, who);
    }
    if (!parse_value(k, (char *)base + k->offset, value, base_dir, errp)) {
        g_prefix_error(errp, "%s: ", prefix);
        return false;
    }
    g_hash_table_replace(cfg->origins, g_strdup_printf("%s.%s", group, key),
                         g_strdup(prefix));
    return true;
}
/* ---- public: init, clear, set ------------------------------------------ */

void config_init(struct vm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->origins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         g_free);
    for (size_t i = 0; i < config_n_sections; i++) {
        if (config_sections[i].init)
            config_sections[i].init(cfg);
        if (!config_sections[i].instance)
            apply_defaults(config_sections[i].name, cfg);
    }
}

void config_clear(struct vm_config *cfg)
{
    for (size_t s = 0; s < config_n_sections; s++) {
        const struct section_desc *sec = &config_sections[s];
        for (size_t i = 0; i < config_n_keys; i++) {
            if (strcmp(config_keys[i].section, sec->name) != 0)
                continue;
            void *base = cfg;
            for (size_t n = 0; sec->nth ? (base = sec->nth(cfg, n, NULL)) != NULL
                                        : n == 0; n++)
                config_free_field(&config_keys[i], (char *)base + config_keys[i].offset);
        }
        if (sec->clear)
            sec->clear(cfg);
    }
    if (cfg->origins)
        g_hash_table_destroy(cfg->origins);
    memset(cfg, 0, sizeof(*cfg));
}

bool config_set(struct vm_config *cfg, const char *origin, const char *section,
                const char *key, const char *value, const char *base_dir,
                GError **errp)
{
    g_autofree char *sec_name = NULL, *inst = NULL;

    if (!config_split_group(section, &sec_name, &inst)) {
        config_fail(errp, CONFIG_ERROR_UNKNOWN, origin, "unknown section [%s]",
                    section);
        return false;
    }
    g_autofree char *prefix =
        origin && origin[0] == '-' ? g_strdup(origin)
        : origin ? g_strdup_printf("%s: [%s] %s", origin, section, key)
                 : g_strdup_printf("[%s] %s", section, key);
    return config_set_key(cfg, origin, prefix, sec_name, inst, key, value, base_dir,
                          0, errp);
}

bool config_set_arg(struct vm_config *cfg, const char *arg, GError **errp)
{
    const char *eq = strchr(arg, '=');
    g_autofree char *lhs = eq ? g_strndup(arg, eq - arg) : g_strdup(arg);
    const char *first = strchr(lhs, '.'), *last = strrchr(lhs, '.');

    if (!eq || !first || first == lhs || !last[1] || first + 1 == last) {
        const char *known = NULL;
        /* the first section with that key: [machine] memory, not [limits] */
        for (size_t i = 0; i < config_n_keys && eq && !first && !known; i++)
            if (strcmp(config_keys[i].key, lhs) == 0)
                known = config_keys[i].section;
        g_autofree char *hint = known ? g_strdup_printf(
            " (did you mean %s.%s?)", known, arg) : g_strdup("");
        config_fail(errp, CONFIG_ERROR_USAGE, "--set",
                    "expected SECTION.KEY=VALUE, got \"%s\"%s", arg, hint);
        return false;
    }
    g_autofree char *section = g_strndup(lhs, first - lhs);
    g_autofree char *inst = first < last
        ? g_strndup(first + 1, last - first - 1) : NULL;
    g_autofree char *who = g_strdup_printf("--set %s", lhs);
    return config_set_key(cfg, who, who, section, inst, last + 1, eq + 1, NULL, 0,
                          errp);
}
