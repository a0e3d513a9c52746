/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the config suite (config_fixture.h): a fresh temporary
 * working directory per test, and `kvmkit run` argument lists parsed
 * into a config.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include "config_fixture.h"

#include <check.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static char *old_cwd;
char *tmp;

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void setup(void)
{
    g_autofree char *dir = g_dir_make_tmp("kvmkit-config-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    old_cwd = g_get_current_dir();
    ck_assert_int_eq(chdir(dir), 0);
    tmp = g_get_current_dir(); /* symlink-free, like the paths we compare */
}

static void teardown(void)
{
    ck_assert_int_eq(chdir(old_cwd), 0);
    nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_clear_pointer(&tmp, g_free);
    g_clear_pointer(&old_cwd, g_free);
}

void put(const char *path, const char *text)
{
    ck_assert(g_file_set_contents(path, text, -1, NULL));
}

/* An absolute path under the test directory; freed at the end of the test
 * (tests are short, a small leak list keeps them readable). */
GPtrArray *garbage;
const char *in_tmp(const char *rel)
{
    char *p = g_build_filename(tmp, rel, NULL);
    g_ptr_array_add(garbage, p);
    return p;
}

const char *fmt(const char *format, ...) G_GNUC_PRINTF(1, 2);
const char *fmt(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *s = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_ptr_array_add(garbage, s);
    return s;
}

void setup_all(void)
{
    setup();
    garbage = g_ptr_array_new_with_free_func(g_free);
}

void teardown_all(void)
{
    g_ptr_array_unref(garbage);
    teardown();
}

/* config_parse_run_args("run", first, ..., NULL) on a fresh config;
 * returns the error message, or NULL on success (*cfg is then left for
 * checks; the caller clears it either way). */
static const char *run_v(struct vm_config *cfg, const char *first, va_list ap)
{
    GPtrArray *argv = g_ptr_array_new();
    GError *err = NULL;

    g_ptr_array_add(argv, "run");
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (char *)a);
    g_ptr_array_add(argv, NULL);
    config_init(cfg);
    bool ok = config_parse_run_args(cfg, argv->len - 1, (char **)argv->pdata,
                                    &err);
    g_ptr_array_free(argv, TRUE);
    ck_assert_int_eq(ok, err == NULL);
    if (ok)
        return NULL;
    ck_assert(err->domain == KVMKIT_CONFIG_ERROR);
    const char *msg = fmt("%s", err->message);
    g_error_free(err);
    return msg;
}

const char *run(struct vm_config *cfg, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    const char *msg = run_v(cfg, first, ap);
    va_end(ap);
    return msg;
}

/* Like run() on a config of its own, and expects failure. */
const char *run_err(const char *first, ...)
{
    struct vm_config cfg;
    va_list ap;
    va_start(ap, first);
    const char *msg = run_v(&cfg, first, ap);
    va_end(ap);
    config_clear(&cfg);
    ck_assert_msg(msg != NULL, "expected an error");
    return msg;
}

/* Writes vm.conf (with a kernel "bzImage" next to it) and runs it. */
const char *file_err(const char *text)
{
    put("bzImage", "kernel");
    put("vm.conf", text);
    return run_err("vm.conf", NULL);
}

/* file_err() with a [boot] kernel first, for errors found at the end. */
const char *vm_err(const char *text)
{
    return file_err(fmt("[boot]\nkernel = bzImage\n%s", text));
}
