/* SPDX-License-Identifier: MIT */
/*
 * The effective configuration as INI text (config_to_ini(), the machine
 * description a snapshot carries), and copying keys from one config to
 * another in the same file syntax (config_copy_keys(), for a restore).
 */
#include "config.h"
#include "config_internal.h"
#include "schema.h"

#include <inttypes.h>
#include <string.h>

/* The file syntax of the value in field; NULL for an unset optional key
 * (a pointer that is NULL, or a number that is 0 where the key has no
 * default: 0 is how such keys say "not given"). */
static char *format_value(const struct key_desc *k, const void *field)
{
    switch (k->kind) {
    case KIND_UINT:
        if (!k->def && *(const unsigned *)field == 0)
            return NULL;
        return g_strdup_printf("%u", *(const unsigned *)field);
    case KIND_SIZE:
        if (!k->def && *(const uint64_t *)field == 0)
            return NULL;
        return g_strdup_printf("%" PRIu64, *(const uint64_t *)field);
    case KIND_NAME:
    case KIND_STRING:
    case KIND_PATH:
        return g_strdup(*(char *const *)field);
    case KIND_ENUM:
        return g_strdup(k->choices[*(const int *)field]);
    case KIND_CHAR_OUT: {
        const struct config_char *c = field;
        switch (c->kind) {
        case CONFIG_CHAR_STDIO: return g_strdup("stdio");
        case CONFIG_CHAR_NONE:  return g_strdup("none");
        case CONFIG_CHAR_PTY:   return g_strdup("pty");
        case CONFIG_CHAR_FILE:  return g_strdup_printf("file:%s", c->path);
        }
        break;
    }
    case KIND_CHAR_IN:
        return g_strdup(*(const bool *)field ? "stdio" : "none");
    case KIND_BOOL:
        return g_strdup(*(const bool *)field ? "true" : "false");
    }
    g_assert_not_reached();
}

/* True if section is a named multi-instance one ([disk "NAME"]). */
static bool lookup_instance_section(const char *section)
{
    for (size_t i = 0; i < config_n_sections; i++)
        if (strcmp(config_sections[i].name, section) == 0)
            return config_sections[i].instance != NULL;
    return false;
}

char *config_to_ini(const struct vm_config *cfg)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    struct vm_config *c = (struct vm_config *)cfg;   /* nth() does not modify */

    for (size_t s = 0; s < config_n_sections; s++) {
        const struct section_desc *sec = &config_sections[s];
        void *base = c;
        const char *inst = NULL;
        for (size_t n = 0; sec->nth ? (base = sec->nth(c, n, &inst)) != NULL : n == 0; n++) {
            g_autofree char *group = config_group_name(sec->name, inst);
            for (size_t i = 0; i < config_n_keys; i++) {
                const struct key_desc *k = &config_keys[i];
                if (strcmp(k->section, sec->name) != 0)
                    continue;
                g_autofree char *v = format_value(k, (char *)base + k->offset);
                if (v)
                    g_key_file_set_value(kf, group, k->key, v);
            }
        }
    }
    return g_key_file_to_data(kf, NULL, NULL);
}

/* The section descriptor called @name (one that exists). */
static const struct section_desc *section_named(const char *name)
{
    for (size_t i = 0; i < config_n_sections; i++)
        if (strcmp(config_sections[i].name, name) == 0)
            return &config_sections[i];
    g_assert_not_reached();
}

/*
 * After a copy of @group.@key from @src to @dst: @src's origin goes with
 * it, where the user gave it, or none when it is @src's default, so that
 * @dst's checks still tell a default from a choice (config_finish():
 * [serial] input and [console] input may both be stdin only by default).
 */
static void copy_origin(struct vm_config *dst, const struct vm_config *src, const char *group,
                        const char *key)
{
    g_autofree char *name = g_strdup_printf("%s.%s", group, key);
    const char *origin = g_hash_table_lookup(src->origins, name);
    if (origin)
        g_hash_table_replace(dst->origins, g_strdup(name), g_strdup(origin));
    else
        g_hash_table_remove(dst->origins, name);
}

/* @key of every instance of the named section @sec in @src, onto the
 * instance of the same name in @dst, which must have it. */
static bool copy_instance_key(struct vm_config *dst, const struct vm_config *src,
                              const struct section_desc *sec, const struct key_desc *k,
                              GError **errp)
{
    const char *inst;
    void *from;
    for (size_t n = 0; (from = sec->nth((struct vm_config *)src, n, &inst)) != NULL; n++) {
        const char *have;
        bool found = false;
        g_autoptr(GString) names = g_string_new(NULL);
        for (size_t m = 0; !found && sec->nth(dst, m, &have); m++) {
            found = strcmp(have, inst) == 0;
            g_string_append_printf(names, "%s\"%s\"", m ? ", " : "", have);
        }
        g_autofree char *group = config_group_name(sec->name, inst);
        if (!found) {
            config_fail(errp, CONFIG_ERROR_VALUE, NULL, "[%s]: the snapshot's machine has no %s of that name "
                        "(it has %s)", group, sec->name, names->len ? names->str : "none");
            return false;
        }
        g_autofree char *v = format_value(k, (const char *)from + k->offset);
        if (v && !config_set(dst, NULL, group, k->key, v, NULL, errp))
            return false;
        copy_origin(dst, src, group, k->key);
    }
    return true;
}

bool config_copy_keys(struct vm_config *dst, const struct vm_config *src,
                      const char *const *which, GError **errp)
{
    for (size_t i = 0; which[i]; i++) {
        const char *dot = strchr(which[i], '.');
        g_autofree char *section = g_strndup(which[i], dot - which[i]);
        const struct key_desc *k = config_find_key(section, dot + 1);
        g_assert(k);
        if (lookup_instance_section(section)) {
            if (!copy_instance_key(dst, src, section_named(section), k, errp))
                return false;
            continue;
        }
        g_autofree char *v = format_value(k, (const char *)src + k->offset);
        if (v && !config_set(dst, NULL, section, dot + 1, v, NULL, errp))
            return false;
        if (!v)
            config_free_field(k, (char *)dst + k->offset);
        copy_origin(dst, src, section, dot + 1);
    }
    return true;
}
