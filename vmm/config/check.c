/* SPDX-License-Identifier: MIT */
/*
 * The whole-config checks of config_finish(), once every source is
 * applied: required keys, files to read and write, conflicts between keys
 * and sections, the device limits. Errors name where each value came from
 * (the origins config_set_key() remembered).
 */
#include "config.h"
#include "config_internal.h"
#include "net_config.h"
#include "schema.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* Where the value of [group] key came from, for errors: the prefix config_set_key
 * remembered, or "[group] key" for a default. */
static char *origin_of(struct vm_config *cfg, const char *group,
                       const char *key)
{
    g_autofree char *id = g_strdup_printf("%s.%s", group, key);
    const char *o = g_hash_table_lookup(cfg->origins, id);
    return o ? g_strdup(o) : g_strdup_printf("[%s] %s", group, key);
}

/* "set [boot] kernel in the config file or pass --kernel" */
static char *how_to_set(const struct key_desc *k)
{
    g_autofree char *set = g_strdup_printf("set %s.%s=VALUE", k->section,
                                           k->key);
    return g_strdup_printf("set [%s] %s in the config file or pass --%s",
                           k->section, k->key, k->flag ? k->flag : set);
}

static bool check_output_file(const char *who, const char *path, GError **errp)
{
    g_autofree char *dir = g_path_get_dirname(path);
    struct stat st;

    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        config_fail(errp, CONFIG_ERROR_PATH, who, "no such directory: %s", dir);
        return false;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        config_fail(errp, CONFIG_ERROR_PATH, who,
                    "expected a file, got a directory: %s", path);
        return false;
    }
    return true;
}

/* Required keys and file checks for one section (instance). */
static bool check_keys(struct vm_config *cfg, const char *section,
                       const char *inst, void *base, GError **errp)
{
    g_autofree char *group = config_group_name(section, inst);

    for (size_t i = 0; i < config_n_keys; i++) {
        const struct key_desc *k = &config_keys[i];
        void *field = (char *)base + k->offset;
        if (strcmp(k->section, section) != 0)
            continue;
        g_autofree char *who = origin_of(cfg, group, k->key);
        g_autofree char *how = how_to_set(k);
        struct config_char *c = field;

        /* Restoring: the snapshot describes the machine, not the flags,
         * and its kernel and initrd are in its memory, not read again:
         * they may have moved or be gone. */
        bool restoring = cfg->snapshot_restore || cfg->snapshot_machine;
        bool required = (k->flags & KEY_REQUIRED) && !(restoring && !inst);
        bool unused = restoring && strcmp(section, "boot") == 0;
        if (required && !*(char **)field) {
            /* "vm.conf: [disk \"root\"] path: required", naming where
             * config_get_instance() (which made every instance) first saw it */
            if (inst)
                config_fail(errp, CONFIG_ERROR_MISSING, NULL, "%s %s: required",
                            (const char *)g_hash_table_lookup(cfg->origins, group),
                            k->key);
            else
                config_fail(errp, CONFIG_ERROR_MISSING, NULL, "no %s given: %s",
                            k->key, how);
            return false;
        }
        if (k->kind == KIND_PATH && (k->flags & KEY_READ_FILE) &&
            *(char **)field && !unused &&
            !config_check_input_file(who, *(char **)field, CONFIG_ERROR_PATH, errp))
            return false;
        if (k->kind == KIND_CHAR_OUT && c->kind == CONFIG_CHAR_FILE &&
            !check_output_file(who, c->path, errp))
            return false;
        if (k->kind == KIND_PATH && (k->flags & KEY_WRITE_FILE) &&
            *(char **)field && !check_output_file(who, *(char **)field, errp))
            return false;
    }
    return true;
}

/* who_b without the "FILE: " it shares with who_a, for "A and B" */
static const char *shorter_origin(const char *who_a, const char *who_b)
{
    const char *sep = strstr(who_a, ": [");
    size_t n = sep ? (size_t)(sep - who_a) + 2 : 0;
    return n && strncmp(who_a, who_b, n) == 0 ? who_b + n : who_b;
}

/* No two disks on one file (by inode, so links count too).  Runs after the
 * file checks: every path exists. */
static bool check_disks_distinct(struct vm_config *cfg, GError **errp)
{
    struct stat *st = g_new0(struct stat, cfg->disks->len);
    bool ok = true;

    for (guint i = 0; i < cfg->disks->len && ok; i++) {
        struct config_disk *a = g_ptr_array_index(cfg->disks, i);
        if (stat(a->path, &st[i]) < 0) { /* gone since the check */
            g_autofree char *group = config_group_name("disk", a->name);
            g_autofree char *who = origin_of(cfg, group, "path");
            config_fail(errp, CONFIG_ERROR_PATH, who, "cannot access %s: %s",
                        a->path, g_strerror(errno));
            ok = false;
            break;
        }
        for (guint j = 0; j < i && ok; j++) {
            struct config_disk *b = g_ptr_array_index(cfg->disks, j);
            if (st[i].st_dev != st[j].st_dev || st[i].st_ino != st[j].st_ino)
                continue;
            g_autofree char *group_a = config_group_name("disk", b->name);
            g_autofree char *group_b = config_group_name("disk", a->name);
            g_autofree char *who_a = origin_of(cfg, group_a, "path");
            g_autofree char *who_b = origin_of(cfg, group_b, "path");
            g_autofree char *files = strcmp(a->path, b->path) == 0
                ? g_strdup(a->path)
                : g_strdup_printf("%s and %s", b->path, a->path);
            if (strcmp(who_a, who_b) == 0)
                config_fail(errp, CONFIG_ERROR_CONFLICT, who_a,
                            "the same file is given twice: %s", files);
            else
                config_fail(errp, CONFIG_ERROR_CONFLICT, NULL,
                            "%s and %s name the same file: %s", who_a,
                            shorter_origin(who_a, who_b), files);
            ok = false;
        }
    }
    g_free(st);
    return ok;
}

/* An output file of [section] must not be an input of the VM, nor the
 * serial port's output when section is the console. */
static bool check_output_target(struct vm_config *cfg, const char *section,
                                const char *out, GError **errp)
{
    g_autofree char *who = origin_of(cfg, section, "output");
    const char *what = NULL;
    g_autofree char *disk = NULL;

    if (!out)
        return true;
    if (g_strcmp0(out, cfg->kernel) == 0)
        what = "[boot] kernel";
    else if (g_strcmp0(out, cfg->initrd) == 0)
        what = "[boot] initrd";
    else if (strcmp(section, "serial") != 0 &&
             g_strcmp0(out, cfg->serial_out.path) == 0)
        what = "[serial] output";
    for (guint i = 0; !what && i < cfg->disks->len; i++) {
        struct config_disk *d = g_ptr_array_index(cfg->disks, i);
        if (strcmp(out, d->path) == 0)
            what = disk = g_strdup_printf("[disk \"%s\"] path", d->name);
    }
    if (what)
        config_fail(errp, CONFIG_ERROR_CONFLICT, who,
                    "%s is also %s; refusing to overwrite it", out, what);
    return !what;
}

/* One reader of stdin: a console reading it takes it from the serial port
 * unless [serial] input = stdio was given explicitly. */
static bool check_console_input(struct vm_config *cfg, GError **errp)
{
    bool pty = cfg->console_out.kind == CONFIG_CHAR_PTY;
    g_autofree char *who = origin_of(cfg, "console", "input");

    if (pty && cfg->console_in_stdio &&
        g_hash_table_contains(cfg->origins, "console.input")) {
        config_fail(errp, CONFIG_ERROR_CONFLICT, who, "stdio does not go with "
                    "[console] output = pty, which is the console's input");
        return false;
    }
    if (pty || !cfg->console_in_stdio || !cfg->serial_in_stdio)
        return true;
    if (!g_hash_table_contains(cfg->origins, "serial.input")) {
        cfg->serial_in_stdio = false;
        return true;
    }
    g_autofree char *serial = origin_of(cfg, "serial", "input");
    config_fail(errp, CONFIG_ERROR_CONFLICT, NULL, "%s and %s both read stdin; set "
                "one of them to none", serial, shorter_origin(serial, who));
    return false;
}

/* The [net] keys that only make sense together: the user back end's
 * addresses and forwards (vmm/config/net_config.h); tap needs an ifname and
 * takes none of the user back end's keys. */
static bool check_net(struct vm_config *cfg, const struct config_net *n,
                      GError **errp)
{
    g_autofree char *group = config_group_name("net", n->name);
    const char *where = g_hash_table_lookup(cfg->origins, group);
    bool tap = n->backend == CONFIG_NET_TAP;
    const char *misplaced = tap ? (n->hostfwd && *n->hostfwd ? "hostfwd"
                                   : n->restrict_ ? "restrict" : NULL)
                                : n->ifname ? "ifname" : NULL;

    if (misplaced) {
        g_autofree char *who = origin_of(cfg, group, misplaced);
        config_fail(errp, CONFIG_ERROR_CONFLICT, who, "only backend = %s takes it, "
                    "[%s] backend is %s", tap ? "user" : "tap", group,
                    tap ? "tap" : "user");
        return false;
    }
    if (tap && !n->ifname) {
        config_fail(errp, CONFIG_ERROR_MISSING, NULL,
                    "%s ifname: required with backend = tap", where);
        return false;
    }
    if (tap)
        return true;
    struct net_user_params p;
    const char *key;
    g_autofree char *why = NULL;
    if (!net_config_user_params(n, &p, &key, &why)) {
        const char *value =
            *(char **)((char *)n + config_find_key("net", key)->offset);
        /* a default that does not fit blames the subnet that moved it */
        g_autofree char *who = origin_of(cfg, group, value ? key : "net");
        if (value)
            config_fail(errp, CONFIG_ERROR_VALUE, who, "expected %s, got \"%s\"",
                        why, value);
        else
            config_fail(errp, CONFIG_ERROR_VALUE, who, "the default %s does not fit: "
                        "set it to %s", key, why);
        return false;
    }
    g_free((void *)p.fwd);
    return true;
}

/* [security]: the jail directory exists; no network namespace for a
 * NIC whose back end (slirp) needs the host's network. */
static bool check_security(struct vm_config *cfg, GError **errp)
{
    struct stat st;
    if (cfg->security_chroot &&
        (stat(cfg->security_chroot, &st) < 0 || !S_ISDIR(st.st_mode))) {
        g_autofree char *who = origin_of(cfg, "security", "chroot");
        config_fail(errp, CONFIG_ERROR_PATH, who, "%s is not a directory", cfg->security_chroot);
        return false;
    }
    unsigned ns = 0;
    g_autofree char *expected = NULL;
    if (!config_parse_namespaces(cfg->namespaces, &ns, &expected))
        g_assert_not_reached();   /* checked when set */
    for (guint i = 0; (ns & CONFIG_NS_NET) && i < cfg->nets->len; i++) {
        const struct config_net *n = g_ptr_array_index(cfg->nets, i);
        if (n->backend == CONFIG_NET_USER) {
            g_autofree char *who = origin_of(cfg, "security", "namespaces");
            config_fail(errp, CONFIG_ERROR_CONFLICT, who, "net: [net \"%s\"] has backend = "
                        "user, which needs the host's network; use backend = tap or drop net",
                        n->name);
            return false;
        }
    }
    return true;
}

/* "too many disks: 9 given, at most 8 are supported" */
static bool check_count(const char *what, unsigned n, unsigned max, GError **errp)
{
    if (n <= max)
        return true;
    config_fail(errp, CONFIG_ERROR_CONFLICT, NULL,
                "too many %s: %u given, at most %u are supported", what, n, max);
    return false;
}

bool config_finish(struct vm_config *cfg, GError **errp)
{
    /* Before the required-key checks: "no kernel given" would hide it. */
    if (cfg->initrd && !cfg->kernel) {
        g_autofree char *who = origin_of(cfg, "boot", "initrd");
        g_autofree char *how = how_to_set(config_find_key("boot", "kernel"));
        config_fail(errp, CONFIG_ERROR_CONFLICT, who, "an initrd needs a kernel: %s",
                    how);
        return false;
    }
    if (!check_count("disks", cfg->disks->len, CONFIG_MAX_DISKS, errp))
        return false;
    for (size_t s = 0; s < config_n_sections; s++) {
        const struct section_desc *sec = &config_sections[s];
        const char *inst = NULL;
        void *base = cfg;
        for (size_t n = 0; sec->nth ? (base = sec->nth(cfg, n, &inst)) != NULL
                                    : n == 0; n++)
            if (!check_keys(cfg, sec->name, inst, base, errp))
                return false;
    }
    bool console = cfg->console == CONFIG_CONSOLE_VIRTIO;
    if (!check_output_target(cfg, "serial", cfg->serial_out.path, errp) ||
        (console &&
         !check_output_target(cfg, "console", cfg->console_out.path, errp)) ||
        (console && !check_console_input(cfg, errp)))
        return false;
    if (!check_count("NICs", cfg->nets->len, CONFIG_MAX_NETS, errp))
        return false;
    bool rng = cfg->rng == CONFIG_RNG_VIRTIO;
    unsigned n_virtio = cfg->disks->len + cfg->nets->len + console + rng;
    if (n_virtio > CONFIG_MAX_VIRTIO_DEVICES) {
        g_autofree char *disks = g_strdup_printf("%u disk%s", cfg->disks->len,
                                                 cfg->disks->len == 1 ? "" : "s");
        g_autofree char *nets = g_strdup_printf("%u NIC%s", cfg->nets->len,
                                                cfg->nets->len == 1 ? "" : "s");
        /* "A, B and C": all but the last joined, then the last. */
        const char *parts[5] = { disks, nets };
        unsigned n = 2;
        if (console)
            parts[n++] = "the virtio console";
        if (rng)
            parts[n++] = "the virtio-rng";
        const char *last = parts[--n];
        parts[n] = NULL;
        g_autofree char *head = g_strjoinv(", ", (char **)parts);
        g_autofree char *all = g_strdup_printf("%s and %s", head, last);
        config_fail(errp, CONFIG_ERROR_CONFLICT, NULL, "too many virtio devices: %s make %u, at "
                    "most %d fit (one interrupt line each)", all, n_virtio,
                    CONFIG_MAX_VIRTIO_DEVICES);
        return false;
    }
    for (guint i = 0; i < cfg->nets->len; i++)
        if (!check_net(cfg, g_ptr_array_index(cfg->nets, i), errp))
            return false;
    return check_disks_distinct(cfg, errp) && check_security(cfg, errp);
}
