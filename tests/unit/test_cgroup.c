/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/security/cgroup.c on a fake cgroup directory: plain files
 * named like cgroupfs's (the module writes with O_CREAT so that this
 * works), no root needed.
 */
#include "cgroup.h"

#include <check.h>
#include "unit_main.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *parent;

static void put(const char *dir, const char *file, const char *text)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
}

static char *get(const char *dir, const char *file)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

static void setup(void)
{
    parent = g_dir_make_tmp("kvmkit-cgroup-XXXXXX", NULL);
    ck_assert_ptr_nonnull(parent);
    put(parent, "cgroup.controllers", "cpuset cpu io memory pids\n");
    put(parent, "cgroup.subtree_control", "\n");
}

/* Empties a fake group so that cgroup_remove()'s rmdir succeeds. */
static void empty_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        unlink(p);
    }
    if (d)
        g_dir_close(d);
}

static void teardown(void)
{
    empty_dir(parent);
    rmdir(parent);
    g_clear_pointer(&parent, g_free);
}

START_TEST(test_cpu_max)
{
    g_autofree char *a = cgroup_cpu_max(1500), *b = cgroup_cpu_max(10), *c = cgroup_cpu_max(2000);
    ck_assert_str_eq(a, "150000 100000");
    ck_assert_str_eq(b, "1000 100000");
    ck_assert_str_eq(c, "200000 100000");
}
END_TEST

START_TEST(test_limits_written)
{
    g_autoptr(GError) err = NULL;
    struct cgroup *cg = cgroup_new(parent, "vm", 42, 1500, 600 << 20, &err);
    ck_assert_msg(cg != NULL, "%s", err ? err->message : "");
    g_autofree char *dir = g_build_filename(parent, "kvmkit-vm-42", NULL);
    ck_assert_str_eq(cgroup_dir(cg), dir);
    g_autofree char *cpu = get(dir, "cpu.max"), *mem = get(dir, "memory.max");
    ck_assert_str_eq(cpu, "150000 100000");
    ck_assert_str_eq(mem, "629145600");
    /* Both controllers were enabled for the children (the fake file keeps
     * the last write). */
    g_autofree char *sub = get(parent, "cgroup.subtree_control");
    ck_assert_str_eq(sub, "+memory");
    ck_assert(cgroup_add_process(cg, 4242, &err));
    g_autofree char *procs = get(dir, "cgroup.procs");
    ck_assert_str_eq(procs, "4242");
    empty_dir(dir);
    cgroup_remove(cg);
    ck_assert(!g_file_test(dir, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST(test_only_cpu)
{
    g_autoptr(GError) err = NULL;
    put(parent, "cgroup.subtree_control", "cpu\n");   /* enabled already */
    struct cgroup *cg = cgroup_new(parent, "vm", 7, 500, 0, &err);
    ck_assert_ptr_nonnull(cg);
    g_autofree char *mem = get(cgroup_dir(cg), "memory.max");
    ck_assert_ptr_null(mem);
    g_autofree char *sub = get(parent, "cgroup.subtree_control");
    ck_assert_str_eq(sub, "cpu\n");                   /* not rewritten */
    empty_dir(cgroup_dir(cg));
    cgroup_remove(cg);
}
END_TEST

START_TEST(test_controller_missing)
{
    g_autoptr(GError) err = NULL;
    put(parent, "cgroup.controllers", "hugetlb\n");
    ck_assert_ptr_null(cgroup_new(parent, "vm", 42, 0, 64 << 20, &err));
    g_autofree char *want = g_strdup_printf(
        "[limits] memory: the cgroup v2 group %s does not offer the memory controller "
        "(cgroup.controllers: \"hugetlb\"); on a host with cgroup v1 or a hybrid "
        "hierarchy it is elsewhere", parent);
    ck_assert_str_eq(err->message, want);
    g_autofree char *dir = g_build_filename(parent, "kvmkit-vm-42", NULL);
    ck_assert(!g_file_test(dir, G_FILE_TEST_EXISTS));  /* nothing left behind */
}
END_TEST

START_TEST(test_group_exists)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_build_filename(parent, "kvmkit-vm-42", NULL);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ck_assert_ptr_null(cgroup_new(parent, "vm", 42, 1000, 0, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "cannot create the cgroup"));
    rmdir(dir);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("cgroup");
    TCase *tc = tcase_create("cgroup");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cpu_max);
    tcase_add_test(tc, test_limits_written);
    tcase_add_test(tc, test_only_cpu);
    tcase_add_test(tc, test_controller_missing);
    tcase_add_test(tc, test_group_exists);
    suite_add_tcase(s, tc);
    return s;
}
