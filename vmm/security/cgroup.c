/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* cpu.max period: the kernel's default, 100 ms. */
#define CPU_PERIOD_US 100000

struct cgroup {
    char *dir;
};

char *cgroup_cpu_max(unsigned millicores)
{
    return g_strdup_printf("%" PRIu64 " %u", (uint64_t)millicores * CPU_PERIOD_US / 1000,
                           CPU_PERIOD_US);
}

/* The mount point of the cgroup2 file system, from /proc/self/mountinfo
 * (field 5 is the mount point, the field after " - " the type). */
static char *cgroup2_mount(void)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        const char *sep = strstr(lines[i], " - ");
        if (!sep || !g_str_has_prefix(sep + 3, "cgroup2 "))
            continue;
        g_auto(GStrv) f = g_strsplit(lines[i], " ", 6);
        if (g_strv_length(f) >= 5)
            return g_strcompress(f[4]);   /* "\040" escapes */
    }
    return NULL;
}

char *cgroup_own_dir(GError **errp)
{
    g_autofree char *mnt = cgroup2_mount();
    g_autofree char *text = NULL;
    if (!mnt) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[limits]: no cgroup v2 file system is mounted");
        return NULL;
    }
    if (!g_file_get_contents("/proc/self/cgroup", &text, NULL, NULL)) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[limits]: cannot read /proc/self/cgroup");
        return NULL;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], "0::"))
            return g_canonicalize_filename(lines[i] + 3 + 1, mnt);   /* no trailing '/' */
    kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[limits]: kvmkit is in no cgroup v2 group "
                "(/proc/self/cgroup has no \"0::\" line)");
    return NULL;
}

static bool write_file(const char *dir, const char *file, const char *value, GError **errp)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    /* O_CREAT: cgroupfs files exist already; a plain directory (the unit
     * test's) gets them made. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(value);
    if (fd < 0 || write(fd, value, len) != (ssize_t)len) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[limits]: cannot write \"%s\" to %s: %s",
                           value, path, g_strerror(e));
    }
    close(fd);
    return true;
}

/* True if the space-separated list in @dir/@file holds @word. */
static bool list_has(const char *dir, const char *file, const char *word)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return false;
    g_auto(GStrv) words = g_strsplit_set(g_strstrip(text), " \n", -1);
    return g_strv_contains((const char *const *)words, word);
}

/* The controller is offered to the parent and enabled for its children. */
static bool enable_controller(const char *parent, const char *ctrl, const char *key,
                              GError **errp)
{
    if (!list_has(parent, "cgroup.controllers", ctrl)) {
        g_autofree char *path = g_build_filename(parent, "cgroup.controllers", NULL);
        g_autofree char *have = NULL;
        g_file_get_contents(path, &have, NULL, NULL);
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[limits] %s: the cgroup v2 group %s does "
                           "not offer the %s controller (cgroup.controllers: \"%s\"); on a "
                           "host with cgroup v1 or a hybrid hierarchy it is elsewhere",
                           key, parent, ctrl, have ? g_strstrip(have) : "unreadable");
    }
    if (list_has(parent, "cgroup.subtree_control", ctrl))
        return true;
    g_autofree char *plus = g_strconcat("+", ctrl, NULL);
    g_autoptr(GError) err = NULL;
    if (!write_file(parent, "cgroup.subtree_control", plus, &err))
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[limits] %s: the %s controller is not "
                           "enabled for the children of %s and enabling it failed (%s)",
                           key, ctrl, parent, err->message);
    return true;
}

struct cgroup *cgroup_new(const char *parent_dir, const char *name, pid_t pid,
                          unsigned millicores, uint64_t memory, GError **errp)
{
    if ((millicores && !enable_controller(parent_dir, "cpu", "cpu", errp)) ||
        (memory && !enable_controller(parent_dir, "memory", "memory", errp)))
        return NULL;
    g_autofree char *leaf = g_strdup_printf("kvmkit-%s-%ld", name, (long)pid);
    struct cgroup *cg = g_new0(struct cgroup, 1);
    cg->dir = g_build_filename(parent_dir, leaf, NULL);
    if (mkdir(cg->dir, 0755) < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[limits]: cannot create the cgroup %s: %s",
                    cg->dir, g_strerror(errno));
        g_free(cg->dir);
        g_free(cg);
        return NULL;
    }
    g_autofree char *cpu = cgroup_cpu_max(millicores);
    g_autofree char *mem = g_strdup_printf("%" PRIu64, memory);
    if ((millicores && !write_file(cg->dir, "cpu.max", cpu, errp)) ||
        (memory && !write_file(cg->dir, "memory.max", mem, errp))) {
        cgroup_remove(cg);
        return NULL;
    }
    return cg;
}

bool cgroup_add_process(struct cgroup *cg, pid_t pid, GError **errp)
{
    g_autofree char *s = g_strdup_printf("%ld", (long)pid);
    return write_file(cg->dir, "cgroup.procs", s, errp);
}

const char *cgroup_dir(const struct cgroup *cg)
{
    return cg->dir;
}

void cgroup_remove(struct cgroup *cg)
{
    if (!cg)
        return;
    if (rmdir(cg->dir) < 0)
        g_warning("[limits]: cannot remove the cgroup %s: %s", cg->dir, g_strerror(errno));
    g_free(cg->dir);
    g_free(cg);
}
