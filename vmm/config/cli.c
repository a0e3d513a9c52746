/* SPDX-License-Identifier: MIT */
/*
 * The `kvmkit run` command line: the config file, --set, the dedicated
 * flags from the key table, --disk and --net; and the help texts
 * (--help, --help-keys) made from the same table.
 */
#include "config.h"
#include "config_internal.h"
#include "schema.h"

#include <inttypes.h>
#include <string.h>

/* "PREFIXN" for the first N from *next on that names no instance in all. */
static char *unused_name(GPtrArray *all, const char *prefix, unsigned *next)
{
    char *name = NULL;
    bool used;

    do {
        const char *other;
        g_free(name);
        name = g_strdup_printf("%s%u", prefix, (*next)++);
        used = false;
        for (size_t i = 0; !used && config_named_nth(all, i, &other); i++)
            used = strcmp(other, name) == 0;
    } while (used);
    return name;
}

/* Applies one --disk PATH[,ro] as [disk "diskN"], N from *next on, the
 * first such name not in use. */
static bool add_disk_arg(struct vm_config *cfg, const char *arg,
                         unsigned *next, GError **errp)
{
    const char *comma = strrchr(arg, ',');
    g_autofree char *path = comma ? g_strndup(arg, comma - arg)
                                  : g_strdup(arg);

    if (comma && strcmp(comma, ",ro") != 0) {
        config_fail(errp, CONFIG_ERROR_VALUE, "--disk",
                    "expected PATH or PATH,ro, got \"%s\"", arg);
        return false;
    }
    g_autofree char *name = unused_name(cfg->disks, "disk", next);
    g_autofree char *group = config_group_name("disk", name);
    return config_set(cfg, "--disk", group, "path", path, NULL, errp) &&
           (!comma ||
            config_set(cfg, "--disk", group, "readonly", "true", NULL, errp));
}

/* Applies one --net BACKEND[,KEY=VALUE...] as [net "netN"] (N as for
 * --disk); hostfwd may repeat and the forwards add up. */
static bool add_net_arg(struct vm_config *cfg, const char *arg,
                        unsigned *next, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(arg, ",", -1);
    g_autoptr(GString) fwd = g_string_new(NULL);

    if (!parts[0] || !*parts[0]) {
        config_fail(errp, CONFIG_ERROR_VALUE, "--net",
                    "expected user|tap[,KEY=VALUE...], got \"%s\"", arg);
        return false;
    }
    g_autofree char *name = unused_name(cfg->nets, "net", next);
    g_autofree char *group = config_group_name("net", name);
    if (!config_set(cfg, "--net backend", group, "backend", parts[0], NULL,
                    errp))
        return false;
    for (size_t i = 1; parts[i]; i++) {
        const char *eq = strchr(parts[i], '=');
        if (!eq || eq == parts[i]) {
            config_fail(errp, CONFIG_ERROR_VALUE, "--net", "expected KEY=VALUE "
                        "after \"%s,\", got \"%s\"", parts[0], parts[i]);
            return false;
        }
        g_autofree char *key = g_strndup(parts[i], eq - parts[i]);
        g_autofree char *origin = g_strdup_printf("--net %s", key);
        if (strcmp(key, "hostfwd") == 0)
            g_string_append_printf(fwd, "%s%s", fwd->len ? ";" : "", eq + 1);
        else if (!config_set(cfg, origin, group, key, eq + 1, NULL, errp))
            return false;
    }
    return !fwd->len || config_set(cfg, "--net hostfwd", group, "hostfwd",
                                   fwd->str, NULL, errp);
}

bool config_parse_run_args(struct vm_config *cfg, int argc, char **argv,
                           GError **errp)
{
    /* one value per key (most have no flag), and the other options */
    char **flag_values = g_new0(char *, config_n_keys);
    GOptionEntry *entries = g_new0(GOptionEntry, config_n_keys + 7);
    char **sets = NULL, **disks = NULL, **nets = NULL, **rest = NULL;
    char **args = g_new0(char *, argc + 1);
    unsigned next_disk = 0, next_net = 0;
    gboolean help = FALSE, help_keys = FALSE;
    g_autoptr(GError) err = NULL;
    size_t n = 0;
    bool ok = false;

    for (size_t i = 0; i < config_n_keys; i++)
        if (config_keys[i].flag)
            entries[n++] = (GOptionEntry){ config_keys[i].flag, 0, 0,
                G_OPTION_ARG_FILENAME, &flag_values[i], config_keys[i].doc,
                config_keys[i].flag_arg };
    entries[n++] = (GOptionEntry){ "set", 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
                                   &sets, "Set any key", "SECTION.KEY=VALUE" };
    entries[n++] = (GOptionEntry){ "disk", 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
                                   &disks, "Add a disk", "PATH[,ro]" };
    entries[n++] = (GOptionEntry){ "net", 0, 0, G_OPTION_ARG_STRING_ARRAY,
                                   &nets, "Add a NIC",
                                   "user|tap[,KEY=VALUE...]" };
    entries[n++] = (GOptionEntry){ "help-keys", 0, 0, G_OPTION_ARG_NONE,
                                   &help_keys, "List every key", NULL };
    entries[n++] = (GOptionEntry){ "help", 'h', 0, G_OPTION_ARG_NONE, &help,
                                   "Show help", NULL };
    entries[n++] = (GOptionEntry){ G_OPTION_REMAINING, 0, 0,
                                   G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
                                   NULL };

    /* our own --help: GOptionContext's would call exit() */
    GOptionContext *ctx = g_option_context_new("[VM.CONF]");
    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_get_prgname())
        g_set_prgname("kvmkit");
    for (int i = 0; i < argc; i++)
        args[i] = g_strdup(argv[i]);

    if (!g_option_context_parse_strv(ctx, &args, &err)) {
        config_fail(errp, CONFIG_ERROR_USAGE, NULL, "%s", err->message);
        goto out;
    }
    if (help || help_keys) {
        cfg->help = help ? CONFIG_HELP_USAGE : CONFIG_HELP_KEYS;
        ok = true;
        goto out;
    }
    if (rest && rest[0] && rest[1]) {
        config_fail(errp, CONFIG_ERROR_USAGE, NULL,
                    "unexpected argument \"%s\": give at most one config file",
                    rest[1]);
        goto out;
    }
    if (rest && rest[0] && !config_load_file(cfg, rest[0], errp))
        goto out;
    for (size_t i = 0; sets && sets[i]; i++)
        if (!config_set_arg(cfg, sets[i], errp))
            goto out;
    for (size_t i = 0; i < config_n_keys; i++) {
        g_autofree char *origin = g_strconcat("--", config_keys[i].flag, NULL);
        if (flag_values[i] && !config_set(cfg, origin, config_keys[i].section,
                                          config_keys[i].key, flag_values[i], NULL,
                                          errp))
            goto out;
    }
    for (size_t i = 0; disks && disks[i]; i++)
        if (!add_disk_arg(cfg, disks[i], &next_disk, errp))
            goto out;
    for (size_t i = 0; nets && nets[i]; i++)
        if (!add_net_arg(cfg, nets[i], &next_net, errp))
            goto out;
    ok = config_finish(cfg, errp);
out:
    for (size_t i = 0; i < config_n_keys; i++)
        g_free(flag_values[i]);
    g_strfreev(sets);
    g_strfreev(disks);
    g_strfreev(nets);
    g_strfreev(rest);
    g_strfreev(args);
    g_option_context_free(ctx);
    g_free(entries);
    g_free(flag_values);
    return ok;
}
/* ---- documentation from the table --------------------------------------- */

static char *describe_type(const struct key_desc *k)
{
    g_autofree char *min = config_format_size(k->min), *max = config_format_size(k->max);
    g_autofree char *align = config_format_size(k->align);

    switch (k->kind) {
    case KIND_UINT:
        return g_strdup_printf("integer %" PRIu64 "..%" PRIu64, k->min,
                               k->max);
    case KIND_SIZE:
        return g_strdup_printf("size %s..%s, a multiple of %s", min, max,
                               align);
    case KIND_NAME:
        return g_strdup_printf("name, 1 to %" PRIu64 " of A-Z a-z 0-9 _ . -",
                               k->max);
    case KIND_STRING:
        return g_strdup_printf("string, at most %" PRIu64 " bytes%s", k->max,
                               k->flags & KEY_EMPTY_OK ? ", may be empty" : "");
    case KIND_ENUM:
        return config_join_choices(k->choices, " | ", " | ");
    case KIND_PATH:
        return g_strdup(k->flags & KEY_READ_FILE ? "path to a readable file"
                                                 : "path");
    case KIND_CHAR_OUT:
        return g_strdup(k->flags & KEY_PTY_OK ? "stdio | none | pty | file:PATH"
                                              : "stdio | none | file:PATH");
    case KIND_CHAR_IN:
        return g_strdup("stdio | none");
    case KIND_BOOL:
        return g_strdup("true | false (or yes | no, on | off, 1 | 0)");
    }
    g_assert_not_reached();
}

void config_print_keys(FILE *out)
{
    fprintf(out, "Config file keys; each can also be set with "
                 "--set SECTION.KEY=VALUE.\n");
    for (size_t s = 0; s < config_n_sections; s++) {
        const struct section_desc *sec = &config_sections[s];
        fprintf(out, "\n[%s%s]  %s\n", sec->name,
                sec->instance ? " \"NAME\"" : "", sec->doc);
        for (size_t i = 0; i < config_n_keys; i++) {
            const struct key_desc *k = &config_keys[i];
            g_autofree char *type = describe_type(k);
            if (strcmp(k->section, sec->name) == 0)
                fprintf(out, "  %s =%s%s\n      %s%s%s%s\n      %s\n", k->key,
                        k->def ? " " : "", k->def ? k->def : "",
                        k->flags & KEY_REQUIRED ? "required; " : "", type,
                        k->flag ? "; flag --" : "", k->flag ? k->flag : "",
                        k->doc);
        }
    }
}

void config_print_usage(FILE *out)
{
    fprintf(out, "Usage: kvmkit run [VM.CONF] [OPTION...]\n\n"
                 "Boots the VM described by VM.CONF (optional) and the "
                 "options.  Later wins:\nVM.CONF, then each --set, then the "
                 "other options.  Paths in VM.CONF are\nrelative to its "
                 "directory, paths in options to the current directory.\n\n"
                 "Options:\n");
    for (size_t i = 0; i < config_n_keys; i++) {
        const struct key_desc *k = &config_keys[i];
        g_autofree char *opt = g_strconcat("--", k->flag, "=", k->flag_arg,
                                           NULL);
        if (k->flag)
            fprintf(out, "  %-24s%s[%s] %s\n", opt,
                    strlen(opt) > 24 ? "\n                           " : " ",
                    k->section, k->key);
    }
    fprintf(out, "  %-24s %s\n  %-24s %s\n  %-24s %s\n  %-24s %s\n"
            "  %-24s %s\n",
            "--disk=PATH[,ro]", "a [disk \"diskN\"]; repeatable",
            "--net=user|tap[,K=V...]", "a [net \"netN\"], keys as in it; "
            "repeatable",
            "--set=SECTION.KEY=VALUE", "any key; repeatable",
            "--help-keys", "list every key with its type and default",
            "-h, --help", "show this help");
}
