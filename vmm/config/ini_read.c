/* SPDX-License-Identifier: MIT */
/*
 * Reading a config file: GKeyFile parses the INI text, and since it gives
 * no line numbers, the lines it rejects (and unknown keys) are found again
 * here so that errors name them ("vm.conf: line 3: ..."). Each key then
 * goes through config_set_key() like --set.
 */
#include "config.h"
#include "config_internal.h"
#include "schema.h"

#include <string.h>

/* Calls fn on each line of text (leading blanks and a trailing '\r'
 * removed, as GKeyFile does) until it returns true; returns that line's
 * 1-based number, or 0. */
static unsigned scan_lines(const char *text,
                           bool (*fn)(const char *line, void *opaque),
                           void *opaque)
{
    unsigned no = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        g_autofree char *line = g_strndup(p, len);
        const char *start = line;

        no++;
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        while (g_ascii_isspace(*start))
            start++;
        if (fn(start, opaque))
            return no;
        p += len + (p[len] == '\n');
    }
    return 0;
}

/* Group name of a "[name]" line (GKeyFile: up to the last ']', then only
 * blanks), or NULL. */
static char *header_name(const char *line)
{
    const char *end = strrchr(line, ']');
    if (line[0] != '[' || !end || end[1 + strspn(end + 1, " \t")])
        return NULL;
    return g_strndup(line + 1, end - line - 1);
}

struct line_search {
    const char *group, *key; /* key search: wanted group and key */
    bool in_group;
    char *why;               /* syntax search: what is wrong */
};

static bool is_key_line(const char *line, void *opaque)
{
    struct line_search *s = opaque;
    g_autofree char *group = header_name(line);
    const char *eq = strchr(line, '=');

    if (group)
        s->in_group = strcmp(group, s->group) == 0;
    if (group || !s->in_group || !eq || eq == line || line[0] == '#')
        return false;
    g_autofree char *key = g_strndup(line, eq - line);
    return strcmp(g_strchomp(key), s->key) == 0;
}

/* The first line GKeyFile would reject, with a message in s->why. */
static bool is_bad_line(const char *line, void *opaque)
{
    struct line_search *s = opaque;
    g_autofree char *group = header_name(line);

    if (!*line || line[0] == '#')
        return false;
    if (line[0] == '[' && (!group || !*group || strpbrk(group, "[]")))
        s->why = g_strdup_printf("expected a section header like [machine], "
                                 "got \"%s\"", line);
    else if (group)
        s->in_group = true;
    else if (!strchr(line + 1, '=') || line[0] == '=')
        s->why = g_strdup_printf("expected [section], key = value or "
                                 "# comment, got \"%s\"", line);
    else if (!s->in_group)
        s->why = g_strdup_printf("\"%s\" is not in any section; put a "
                                 "[section] header above it", line);
    return s->why != NULL;
}

static bool load_group(struct vm_config *cfg, const char *path,
                       const char *text, GKeyFile *kf, const char *group,
                       const char *base_dir, GError **errp)
{
    g_autofree char *section = NULL, *inst = NULL;
    g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);

    if (!config_split_group(group, &section, &inst)) {
        config_fail(errp, CONFIG_ERROR_UNKNOWN, path, "unknown section [%s]", group);
        return false;
    }
    const struct section_desc *sec = config_lookup_section(path, section, inst,
                                                           errp);
    if (!sec) /* even if keyless */
        return false;
    if (sec->instance) /* [disk "x"] alone names a disk, without a path */
        config_get_instance(cfg, sec, inst, path);
    for (size_t i = 0; names[i]; i++) {
        struct line_search s = { .group = group, .key = names[i] };
        g_autofree char *value = g_key_file_get_value(kf, group, names[i],
                                                      NULL);
        g_autofree char *prefix = g_strdup_printf("%s: [%s] %s", path, group,
                                                  names[i]);
        unsigned line = config_find_key(section, names[i])
            ? 0 : scan_lines(text, is_key_line, &s);
        /* GKeyFile keeps trailing blanks; nobody means them. */
        if (!config_set_key(cfg, path, prefix, section, inst, names[i],
                            g_strchomp(value), base_dir, line, errp))
            return false;
    }
    return true;
}

bool config_load_file(struct vm_config *cfg, const char *path, GError **errp)
{
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    g_autofree char *dir = g_path_get_dirname(abs);
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;

    if (!config_check_input_file(path, abs, CONFIG_ERROR_FILE, errp))
        return false;
    if (!g_file_get_contents(abs, &text, &len, &err)) {
        config_fail(errp, CONFIG_ERROR_FILE, path, "%s", err->message);
        return false;
    }
    return config_load_data(cfg, path, text, len, dir, errp);
}

bool config_load_data(struct vm_config *cfg, const char *path, const char *text,
                      size_t len, const char *dir, GError **errp)
{
    g_autoptr(GError) err = NULL;

    if (memchr(text, '\0', len)) {
        config_fail(errp, CONFIG_ERROR_SYNTAX, path,
                    "expected a text file, got a NUL byte");
        return false;
    }
    if (len == 0) /* GKeyFile refuses empty data; an empty file is fine */
        return true;

    g_autoptr(GKeyFile) kf = g_key_file_new();
    /* KEEP_TRANSLATIONS: report "key[fr]" as unknown rather than drop it */
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_KEEP_TRANSLATIONS,
                                   &err)) {
        /* GKeyFile gives no line numbers; find the line ourselves */
        struct line_search s = { 0 };
        unsigned line = scan_lines(text, is_bad_line, &s);
        if (line)
            config_fail(errp, CONFIG_ERROR_SYNTAX, path, "line %u: %s", line, s.why);
        else
            config_fail(errp, CONFIG_ERROR_SYNTAX, path, "%s", err->message);
        g_free(s.why);
        return false;
    }
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (size_t i = 0; groups[i]; i++)
        if (!load_group(cfg, path, text, kf, groups[i], dir, errp))
            return false;
    return true;
}
