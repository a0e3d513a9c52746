/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/config.c.  Each test runs in a fresh temporary
 * directory (the cwd), so config files are written as "vm.conf" and error
 * messages can be compared whole.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, open_memstream */
#endif
#include "config.h"
#include "net_config.h"

#include <arpa/inet.h>

#include <check.h>
#include "unit_main.h"
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *old_cwd, *tmp;

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

static void put(const char *path, const char *text)
{
    ck_assert(g_file_set_contents(path, text, -1, NULL));
}

/* An absolute path under the test directory; freed at the end of the test
 * (tests are short, a small leak list keeps them readable). */
static GPtrArray *garbage;
static const char *in_tmp(const char *rel)
{
    char *p = g_build_filename(tmp, rel, NULL);
    g_ptr_array_add(garbage, p);
    return p;
}

static const char *fmt(const char *format, ...) G_GNUC_PRINTF(1, 2);
static const char *fmt(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *s = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_ptr_array_add(garbage, s);
    return s;
}

static void setup_all(void)
{
    setup();
    garbage = g_ptr_array_new_with_free_func(g_free);
}

static void teardown_all(void)
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

static const char *run(struct vm_config *cfg, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    const char *msg = run_v(cfg, first, ap);
    va_end(ap);
    return msg;
}

/* Like run() on a config of its own, and expects failure. */
static const char *run_err(const char *first, ...)
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
static const char *file_err(const char *text)
{
    put("bzImage", "kernel");
    put("vm.conf", text);
    return run_err("vm.conf", NULL);
}

/* file_err() with a [boot] kernel first, for errors found at the end. */
static const char *vm_err(const char *text)
{
    return file_err(fmt("[boot]\nkernel = bzImage\n%s", text));
}

#define ck_err(got, expected) ck_assert_str_eq((got), (expected))

/* ---- defaults and a good file ------------------------------------------ */

START_TEST(test_defaults)
{
    struct vm_config cfg;
    config_init(&cfg);
    ck_assert_str_eq(cfg.name, "kvmkit");
    ck_assert_uint_eq(cfg.cpus, 1);
    ck_assert_uint_eq(cfg.memory, 512ull << 20);
    ck_assert_int_eq(cfg.pvm, CONFIG_PVM_AUTO);
    ck_assert_ptr_null(cfg.kernel);
    ck_assert_ptr_null(cfg.initrd);
    ck_assert_str_eq(cfg.cmdline, "console=ttyS0");
    ck_assert_int_eq(cfg.serial_out.kind, CONFIG_CHAR_STDIO);
    ck_assert_ptr_null(cfg.serial_out.path);
    ck_assert(cfg.serial_in_stdio);
    ck_assert_ptr_nonnull(cfg.disks);
    ck_assert_uint_eq(cfg.disks->len, 0);
    ck_assert_int_eq(cfg.help, CONFIG_HELP_NONE);
    config_clear(&cfg);
    ck_assert_ptr_null(cfg.disks);
    config_clear(&cfg); /* idempotent */
    config_init(&cfg); /* and init again after clear */
    ck_assert_ptr_nonnull(cfg.disks);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_good_file)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("initrd.img", "i");
    put("vm.conf", "# a VM\n[machine]\ncpus = 4\nmemory = 2G\nname = web-1\n"
                   "pvm = off\n\n[boot]\nkernel = bzImage\n"
                   "initrd=initrd.img\ncmdline = console=ttyS0 root=/dev/vda "
                   "quiet   \n[serial]\noutput = file:serial.log\n"
                   "input = none\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_uint_eq(cfg.cpus, 4);
    ck_assert_uint_eq(cfg.memory, 2ull << 30);
    ck_assert_str_eq(cfg.name, "web-1");
    ck_assert_int_eq(cfg.pvm, CONFIG_PVM_OFF);
    ck_assert_str_eq(cfg.kernel, in_tmp("bzImage"));
    ck_assert_str_eq(cfg.initrd, in_tmp("initrd.img"));
    ck_assert_str_eq(cfg.cmdline, "console=ttyS0 root=/dev/vda quiet");
    ck_assert_int_eq(cfg.serial_out.kind, CONFIG_CHAR_FILE);
    ck_assert_str_eq(cfg.serial_out.path, in_tmp("serial.log"));
    ck_assert(!cfg.serial_in_stdio);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_flags_only)
{
    struct vm_config cfg;
    put("bzImage", "k");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--cpus=2",
                           "--memory", "1g", "--name", "x", "--pvm", "on",
                           "--append", "", "--serial-output", "none", NULL));
    ck_assert_str_eq(cfg.kernel, in_tmp("bzImage"));
    ck_assert_uint_eq(cfg.cpus, 2);
    ck_assert_uint_eq(cfg.memory, 1ull << 30);
    ck_assert_str_eq(cfg.name, "x");
    ck_assert_int_eq(cfg.pvm, CONFIG_PVM_ON);
    ck_assert_str_eq(cfg.cmdline, "");
    ck_assert_int_eq(cfg.serial_out.kind, CONFIG_CHAR_NONE);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_empty_and_comment_files)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("empty.conf", "");
    ck_assert_ptr_null(run(&cfg, "empty.conf", "--kernel", "bzImage", NULL));
    config_clear(&cfg);
    put("c.conf", "# nothing\n\n   \n[machine]\n# cpus = 9\n");
    ck_assert_ptr_null(run(&cfg, "c.conf", "--kernel", "bzImage", NULL));
    ck_assert_uint_eq(cfg.cpus, 1);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_crlf_file)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("vm.conf", "[machine]\r\ncpus = 3\r\n[boot]\r\nkernel = bzImage\r\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_uint_eq(cfg.cpus, 3);
    ck_assert_str_eq(cfg.kernel, in_tmp("bzImage"));
    config_clear(&cfg);
}
END_TEST

/* ---- sizes -------------------------------------------------------------- */

START_TEST(test_size_good)
{
    static const struct { const char *s; uint64_t v; } cases[] = {
        { "512M", 512ull << 20 }, { "1G", 1ull << 30 },
        { "4096K", 4ull << 20 }, { "1073741824", 1ull << 30 },
        { "512m", 512ull << 20 }, { "2g", 2ull << 30 }, { "8k", 8192 },
        { "0", 0 }, { "007M", 7ull << 20 },
        { "18446744073709551615", UINT64_MAX },
        { "17179869183G", 17179869183ull << 30 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint64_t v = 42;
        ck_assert_msg(config_parse_size(cases[i].s, &v), "%s", cases[i].s);
        ck_assert_uint_eq(v, cases[i].v);
    }
}
END_TEST

START_TEST(test_size_bad)
{
    static const char *const bad[] = {
        "", "12X", "-1", "+1", "1.5G", "99999999999G", "17179869184G",
        "18446744073709551616", "K", "M", "512 M", " 512M", "512M ",
        "0x100", "1T", "512MB", "512MiB", "1e6", "G1",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint64_t v = 42;
        ck_assert_msg(!config_parse_size(bad[i], &v), "\"%s\"", bad[i]);
        ck_assert_uint_eq(v, 42);
    }
}
END_TEST

START_TEST(test_memory_limits)
{
    ck_err(run_err("--memory", "12X", NULL),
           "--memory: expected a size like 512M, got \"12X\"");
    ck_err(run_err("--memory", "0", NULL),
           "--memory: expected a size from 16M to 1024G, got \"0\"");
    ck_err(run_err("--memory", "8M", NULL),
           "--memory: expected a size from 16M to 1024G, got \"8M\"");
    ck_err(run_err("--memory", "1025G", NULL),
           "--memory: expected a size from 16M to 1024G, got \"1025G\"");
    ck_err(run_err("--memory", "16777217", NULL),
           "--memory: expected a multiple of 4K, got \"16777217\"");
    ck_err(run_err("--memory", "1.5G", NULL),
           "--memory: expected a size like 512M, got \"1.5G\"");
    ck_err(run_err("--memory", "", NULL),
           "--memory: expected a size like 512M, got \"\"");

    struct vm_config cfg;
    put("bzImage", "k");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--memory", "1024G",
                           NULL));
    ck_assert_uint_eq(cfg.memory, 1ull << 40);
    config_clear(&cfg);
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--memory",
                           "16777216", NULL));
    ck_assert_uint_eq(cfg.memory, 16ull << 20);
    config_clear(&cfg);
}
END_TEST

/* ---- other value types ---------------------------------------------------- */

START_TEST(test_cpus_bad)
{
    static const char *const bad[] = { "0", "65", "-1", "abc", "1.5", "",
                                       "2 ", "0x2", "99999999999999999999" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *arg = fmt("machine.cpus=%s", bad[i]);
        ck_err(run_err("--set", arg, NULL),
               fmt("--set machine.cpus: expected an integer from 1 to 64, "
                   "got \"%s\"", bad[i]));
    }
    ck_err(run_err("--cpus", "abc", NULL),
           "--cpus: expected an integer from 1 to 64, got \"abc\"");
}
END_TEST

START_TEST(test_name_and_pvm)
{
    ck_err(run_err("--name", "my vm", NULL),
           "--name: expected 1 to 64 letters, digits, '_', '.' or '-', "
           "got \"my vm\"");
    ck_err(run_err("--name", "", NULL),
           "--name: expected 1 to 64 letters, digits, '_', '.' or '-', "
           "got \"\"");
    char long_name[66];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    ck_assert_str_eq(run_err("--name", long_name, NULL),
                     fmt("--name: expected 1 to 64 letters, digits, '_', "
                         "'.' or '-', got \"%s\"", long_name));
    ck_err(run_err("--pvm", "yes", NULL),
           "--pvm: expected auto, on or off, got \"yes\"");
    ck_err(run_err("--pvm", "AUTO", NULL),
           "--pvm: expected auto, on or off, got \"AUTO\"");

    struct vm_config cfg;
    put("bzImage", "k");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--name",
                           "A.b_c-9", "--set", "machine.pvm=on", NULL));
    ck_assert_str_eq(cfg.name, "A.b_c-9");
    ck_assert_int_eq(cfg.pvm, CONFIG_PVM_ON);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_cmdline)
{
    char *huge = g_strnfill(4096, 'x');
    ck_err(run_err("--append", huge, NULL),
           "--append: expected at most 4095 bytes, got 4096 bytes");
    huge[4095] = '\0';
    struct vm_config cfg;
    put("bzImage", "k");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--append", huge,
                           NULL));
    ck_assert_uint_eq(strlen(cfg.cmdline), 4095);
    config_clear(&cfg);
    g_free(huge);
    /* the value may contain '=' and quotes, taken literally */
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--set",
                           "boot.cmdline=a=b \"c d\"", NULL));
    ck_assert_str_eq(cfg.cmdline, "a=b \"c d\"");
    config_clear(&cfg);
}
END_TEST

START_TEST(test_serial)
{
    put("bzImage", "k");
    mkdir("logs", 0755);
    struct vm_config cfg;
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--serial-output",
                           "file:logs/out.txt", "--set", "serial.input=none",
                           NULL));
    ck_assert_int_eq(cfg.serial_out.kind, CONFIG_CHAR_FILE);
    ck_assert_str_eq(cfg.serial_out.path, in_tmp("logs/out.txt"));
    ck_assert(!cfg.serial_in_stdio);
    config_clear(&cfg);

    ck_err(run_err("--serial-output", "tty", NULL),
           "--serial-output: expected stdio, none or file:PATH, got \"tty\"");
    ck_err(run_err("--serial-output", "file:", NULL),
           "--serial-output: expected a path after \"file:\", got \"file:\"");
    ck_err(run_err("--set", "serial.input=file:x", NULL),
           "--set serial.input: expected stdio or none, got \"file:x\"");
    ck_err(run_err("--kernel", "bzImage", "--serial-output", "file:no/out",
                   NULL),
           fmt("--serial-output: no such directory: %s", in_tmp("no")));
    ck_err(run_err("--kernel", "bzImage", "--serial-output", "file:logs",
                   NULL),
           fmt("--serial-output: expected a file, got a directory: %s",
               in_tmp("logs")));
    ck_err(run_err("--kernel", "bzImage", "--serial-output", "file:bzImage",
                   NULL),
           fmt("--serial-output: %s is also [boot] kernel; refusing to "
               "overwrite it", in_tmp("bzImage")));
}
END_TEST

/* ---- file error messages ------------------------------------------------ */

START_TEST(test_file_bad_value)
{
    ck_err(file_err("[machine]\nmemory = 12X\n"),
           "vm.conf: [machine] memory: expected a size like 512M, got \"12X\"");
    ck_err(file_err("[machine]\ncpus =\n"),
           "vm.conf: [machine] cpus: expected an integer from 1 to 64, "
           "got \"\"");
    ck_err(file_err("[boot]\nkernel =   \n"),
           "vm.conf: [boot] kernel: expected a path, got \"\"");
}
END_TEST

START_TEST(test_file_trailing_blanks)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("vm.conf", "[machine]\ncpus = 2 \t\n  memory=1G\n[boot]\n"
                   "kernel = bzImage  \n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_uint_eq(cfg.cpus, 2);
    ck_assert_uint_eq(cfg.memory, 1ull << 30);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_unknown_key_line)
{
    ck_err(file_err("# test VM\n\n[boot]\nkernel = bzImage\n\n[machine]\n"
                    "memroy = 1G\n"),
           "vm.conf: line 7: unknown key \"memroy\" in [machine] "
           "(did you mean \"memory\"?)");
    ck_err(file_err("[machine]\ncpus = 2\nfrobnicate = 1\n"),
           "vm.conf: line 3: unknown key \"frobnicate\" in [machine]");
    ck_err(file_err("[machine]\n  Memory = 1G\n"),
           "vm.conf: line 2: unknown key \"Memory\" in [machine] "
           "(did you mean \"memory\"?)");
    ck_err(file_err("[machine]\ncpu = 1\n"),
           "vm.conf: line 2: unknown key \"cpu\" in [machine] "
           "(did you mean \"cpus\"?)");
    ck_err(file_err("[boot]\nkernle = bzImage\n"),
           "vm.conf: line 2: unknown key \"kernle\" in [boot] "
           "(did you mean \"kernel\"?)");
    ck_err(file_err("[machine]\ncpus[fr] = 1\n"),
           "vm.conf: line 2: unknown key \"cpus[fr]\" in [machine]");
    /* a key in a repeated group: the line is in the second occurrence, and
     * the same key in another group does not count (GKeyFile merges the
     * [machine] groups, so they are checked first) */
    ck_err(file_err("[machine]\ncpus = 1\n[serial]\nmemroy = 1\n[machine]\n"
                    "memroy = 2\n"),
           "vm.conf: line 6: unknown key \"memroy\" in [machine] "
           "(did you mean \"memory\"?)");
    ck_err(file_err("[boot]\nkernel = bzImage\n[machine]\ncpus = 1\n"
                    "[boot]\n# x\nfoo = 2\n"),
           "vm.conf: line 7: unknown key \"foo\" in [boot]");
}
END_TEST

START_TEST(test_unknown_section)
{
    ck_err(file_err("[machin]\ncpus = 2\n"),
           "vm.conf: unknown section [machin] (did you mean [machine]?)");
    ck_err(file_err("[boot]\nkernel = bzImage\n[network]\n"),
           "vm.conf: unknown section [network]");
    ck_err(file_err("[machine \"x\"]\ncpus = 2\n"),
           "vm.conf: section [machine] takes no name, got [machine \"x\"]");
    ck_err(file_err("[disks \"root\"]\npath = a.img\n"),
           "vm.conf: unknown section [disks \"root\"] (did you mean [disk]?)");
    ck_err(file_err("[disk root]\n"), "vm.conf: unknown section [disk root]");
}
END_TEST

START_TEST(test_malformed_ini)
{
    ck_err(file_err("[machine]\ncpus = 2\nthis is junk\n"),
           "vm.conf: line 3: expected [section], key = value or # comment, "
           "got \"this is junk\"");
    ck_err(file_err("cpus = 2\n[machine]\n"),
           "vm.conf: line 1: \"cpus = 2\" is not in any section; put a "
           "[section] header above it");
    ck_err(file_err("# hi\n[machine\ncpus = 2\n"),
           "vm.conf: line 2: expected a section header like [machine], "
           "got \"[machine\"");
    ck_err(file_err("[machine]\n= 2\n"),
           "vm.conf: line 2: expected [section], key = value or # comment, "
           "got \"= 2\"");
    put("nul.conf", "");
    FILE *f = fopen("nul.conf", "w");
    fwrite("[machine]\0\n", 1, 11, f);
    fclose(f);
    ck_err(run_err("nul.conf", NULL),
           "nul.conf: expected a text file, got a NUL byte");
}
END_TEST

START_TEST(test_config_file_errors)
{
    ck_err(run_err("nope.conf", NULL),
           fmt("nope.conf: no such file: %s", in_tmp("nope.conf")));
    mkdir("dir.conf", 0755);
    ck_err(run_err("dir.conf", NULL),
           fmt("dir.conf: expected a file, got a directory: %s",
               in_tmp("dir.conf")));
    put("a.conf", "");
    ck_err(run_err("a.conf", "b.conf", NULL),
           "unexpected argument \"b.conf\": give at most one config file");
    if (geteuid() != 0) { /* root reads anything */
        put("secret.conf", "[machine]\n");
        chmod("secret.conf", 0);
        ck_err(run_err("secret.conf", NULL),
               fmt("secret.conf: cannot read %s: Permission denied",
                   in_tmp("secret.conf")));
    }
}
END_TEST

START_TEST(test_kernel_errors)
{
    struct vm_config cfg;
    g_autoptr(GError) err = NULL;

    ck_err(run_err(NULL),
           "no kernel given: set [boot] kernel in the config file or pass "
           "--kernel");
    ck_err(run_err("--kernel", "nope", NULL),
           fmt("--kernel: no such file: %s", in_tmp("nope")));
    mkdir("kdir", 0755);
    ck_err(run_err("--set", "boot.kernel=kdir", NULL),
           fmt("--set boot.kernel: expected a file, got a directory: %s",
               in_tmp("kdir")));
    ck_err(run_err("--kernel", "/dev/null", NULL),
           "--kernel: expected a regular file: /dev/null");
    put("vm.conf", "[boot]\nkernel = missing\n");
    ck_err(run_err("vm.conf", NULL),
           fmt("vm.conf: [boot] kernel: no such file: %s", in_tmp("missing")));
    /* without an origin the message starts at the section */
    config_init(&cfg);
    ck_assert(config_set(&cfg, NULL, "boot", "kernel", "gone", NULL, &err));
    ck_assert(!config_finish(&cfg, &err));
    ck_err(err->message, fmt("[boot] kernel: no such file: %s",
                             in_tmp("gone")));
    ck_assert_int_eq(err->code, CONFIG_ERROR_PATH);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_initrd_without_kernel)
{
    put("initrd.img", "i");
    ck_err(file_err("[boot]\ninitrd = initrd.img\n"),
           "vm.conf: [boot] initrd: an initrd needs a kernel: set [boot] "
           "kernel in the config file or pass --kernel");
    ck_err(run_err("--initrd", "initrd.img", NULL),
           "--initrd: an initrd needs a kernel: set [boot] kernel in the "
           "config file or pass --kernel");
    ck_err(run_err("--kernel", "initrd.img", "--initrd", "nope", NULL),
           fmt("--initrd: no such file: %s", in_tmp("nope")));
}
END_TEST

/* ---- paths and precedence ----------------------------------------------- */

START_TEST(test_relative_paths)
{
    struct vm_config cfg;
    mkdir("vms", 0755);
    mkdir("images", 0755);
    put("vms/bzImage", "k");
    put("images/initrd", "i");
    put("vms/vm.conf", "[boot]\nkernel = bzImage\ninitrd = ../images/./initrd"
                       "\n[serial]\noutput = file:out/../serial.log\n");
    ck_assert_ptr_null(run(&cfg, "vms/vm.conf", NULL));
    ck_assert_str_eq(cfg.kernel, in_tmp("vms/bzImage"));
    ck_assert_str_eq(cfg.initrd, in_tmp("images/initrd"));
    ck_assert_str_eq(cfg.serial_out.path, in_tmp("vms/serial.log"));
    config_clear(&cfg);
    /* on the command line, relative to the cwd */
    ck_assert_ptr_null(run(&cfg, "vms/vm.conf", "--initrd", "vms/bzImage",
                           "--set", "serial.output=file:x.log", NULL));
    ck_assert_str_eq(cfg.initrd, in_tmp("vms/bzImage"));
    ck_assert_str_eq(cfg.serial_out.path, in_tmp("x.log"));
    config_clear(&cfg);
    /* absolute paths stay as they are */
    put("vms/abs.conf", fmt("[boot]\nkernel = %s\n", in_tmp("vms/bzImage")));
    ck_assert_ptr_null(run(&cfg, "vms/abs.conf", NULL));
    ck_assert_str_eq(cfg.kernel, in_tmp("vms/bzImage"));
    config_clear(&cfg);
}
END_TEST

START_TEST(test_precedence)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("vm.conf", "[machine]\nmemory = 1G\ncpus = 2\n[boot]\n"
                   "kernel = bzImage\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_uint_eq(cfg.memory, 1ull << 30);
    config_clear(&cfg);
    ck_assert_ptr_null(run(&cfg, "vm.conf", "--set", "machine.memory=2G",
                           NULL));
    ck_assert_uint_eq(cfg.memory, 2ull << 30);
    ck_assert_uint_eq(cfg.cpus, 2);
    config_clear(&cfg);
    /* flags beat --set whatever the order; the file loses to both */
    ck_assert_ptr_null(run(&cfg, "--memory", "3G", "--set",
                           "machine.memory=2G", "vm.conf", NULL));
    ck_assert_uint_eq(cfg.memory, 3ull << 30);
    config_clear(&cfg);
    /* later --set of the same key wins; so does a repeated flag */
    ck_assert_ptr_null(run(&cfg, "vm.conf", "--set", "machine.cpus=3",
                           "--set", "machine.cpus=5", "--name", "a",
                           "--name", "b", NULL));
    ck_assert_uint_eq(cfg.cpus, 5);
    ck_assert_str_eq(cfg.name, "b");
    config_clear(&cfg);
    /* a bad value in the file is an error even if a flag overrides it */
    put("bad.conf", "[machine]\ncpus = 0\n");
    ck_err(run_err("bad.conf", "--cpus", "2", "--kernel", "bzImage", NULL),
           "bad.conf: [machine] cpus: expected an integer from 1 to 64, "
           "got \"0\"");
    /* a missing kernel in the file is fixed by the flag */
    put("nok.conf", "[boot]\nkernel = gone\n");
    ck_assert_ptr_null(run(&cfg, "nok.conf", "--kernel", "bzImage", NULL));
    ck_assert_str_eq(cfg.kernel, in_tmp("bzImage"));
    config_clear(&cfg);
}
END_TEST

/* ---- --set and other command-line errors -------------------------------- */

START_TEST(test_set_syntax)
{
    ck_err(run_err("--set", "machine.memory", NULL),
           "--set: expected SECTION.KEY=VALUE, got \"machine.memory\"");
    ck_err(run_err("--set", "memory=1G", NULL),
           "--set: expected SECTION.KEY=VALUE, got \"memory=1G\" "
           "(did you mean machine.memory=1G?)");
    ck_err(run_err("--set", "=1", NULL),
           "--set: expected SECTION.KEY=VALUE, got \"=1\"");
    ck_err(run_err("--set", ".cpus=1", NULL),
           "--set: expected SECTION.KEY=VALUE, got \".cpus=1\"");
    ck_err(run_err("--set", "machine.=1", NULL),
           "--set: expected SECTION.KEY=VALUE, got \"machine.=1\"");
    ck_err(run_err("--set", "disk..path=1", NULL),
           "--set: expected SECTION.KEY=VALUE, got \"disk..path=1\"");
    ck_err(run_err("--set", "machin.cpus=2", NULL),
           "--set machin.cpus: unknown section [machin] "
           "(did you mean [machine]?)");
    ck_err(run_err("--set", "machine.memroy=1G", NULL),
           "--set machine.memroy: unknown key \"memroy\" in [machine] "
           "(did you mean \"memory\"?)");
    ck_err(run_err("--set", "disks.root.path=a.img", NULL),
           "--set disks.root.path: unknown section [disks \"root\"] "
           "(did you mean [disk]?)");
    ck_err(run_err("--set", "disk.path=a.img", NULL),
           "--set disk.path: section [disk] needs a name, like "
           "[disk \"NAME\"]");
    ck_err(run_err("--set", "disk.root.size=1", NULL),
           "--set disk.root.size: unknown key \"size\" in [disk \"root\"]");
    ck_err(run_err("--set", "machine.x.cpus=2", NULL),
           "--set machine.x.cpus: section [machine] takes no name, got "
           "[machine \"x\"]");
    ck_err(run_err("--set", "machine.memory=12X", NULL),
           "--set machine.memory: expected a size like 512M, got \"12X\"");
}
END_TEST

START_TEST(test_option_errors)
{
    ck_err(run_err("--frob", NULL), "Unknown option --frob");
    ck_err(run_err("--memory", NULL), "Missing argument for --memory");
    struct vm_config cfg;
    GError *err = NULL;
    char *argv[] = { "run", "--set", NULL };
    config_init(&cfg);
    ck_assert(!config_parse_run_args(&cfg, 2, argv, &err));
    ck_assert(g_error_matches(err, KVMKIT_CONFIG_ERROR, CONFIG_ERROR_USAGE));
    g_error_free(err);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_help)
{
    struct vm_config cfg;
    ck_assert_ptr_null(run(&cfg, "--help", "--memory", "junk", NULL));
    ck_assert_int_eq(cfg.help, CONFIG_HELP_USAGE);
    config_clear(&cfg);
    ck_assert_ptr_null(run(&cfg, "-h", NULL));
    ck_assert_int_eq(cfg.help, CONFIG_HELP_USAGE);
    config_clear(&cfg);
    ck_assert_ptr_null(run(&cfg, "--help-keys", NULL));
    ck_assert_int_eq(cfg.help, CONFIG_HELP_KEYS);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_config_set_api)
{
    struct vm_config cfg;
    GError *err = NULL;
    config_init(&cfg);
    ck_assert(config_set(&cfg, "x.conf", "machine", "cpus", "7", NULL, &err));
    ck_assert_uint_eq(cfg.cpus, 7);
    ck_assert(!config_set(&cfg, "x.conf", "machine", "cpus", "0", NULL, &err));
    ck_err(err->message, "x.conf: [machine] cpus: expected an integer from 1 "
                         "to 64, got \"0\"");
    ck_assert(g_error_matches(err, KVMKIT_CONFIG_ERROR, CONFIG_ERROR_VALUE));
    g_clear_error(&err);
    ck_assert_uint_eq(cfg.cpus, 7); /* unchanged on error */
    ck_assert(!config_set(&cfg, NULL, "machine", "cpu", "1", NULL, &err));
    ck_err(err->message, "unknown key \"cpu\" in [machine] (did you mean "
                         "\"cpus\"?)");
    ck_assert(g_error_matches(err, KVMKIT_CONFIG_ERROR, CONFIG_ERROR_UNKNOWN));
    g_clear_error(&err);
    ck_assert(config_set(&cfg, NULL, "boot", "kernel", "k", "/srv/vm", &err));
    ck_assert_str_eq(cfg.kernel, "/srv/vm/k");
    ck_assert(config_set_arg(&cfg, "serial.output=stdio", &err));
    config_clear(&cfg);
}
END_TEST

START_TEST(test_print_keys)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print_keys(f);
    fclose(f);
    static const char *const want[] = {
        "[machine]", "cpus = 1", "memory = 512M", "name = kvmkit",
        "pvm = auto", "[boot]", "kernel =\n", "required", "initrd =\n",
        "cmdline = console=ttyS0", "[serial]", "output = stdio",
        "input = stdio", "--serial-output", "--append", "/sys/module/kvm_pvm",
        "[disk \"NAME\"]", "path =\n", "readonly = false", "true | false",
        "--disk PATH[,ro]", "/dev/vda",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        ck_assert_msg(strstr(text, want[i]), "missing %s", want[i]);
    free(text);
    f = open_memstream(&text, &len);
    config_print_usage(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "--kernel=PATH"));
    ck_assert_ptr_nonnull(strstr(text, "--set"));
    ck_assert_ptr_nonnull(strstr(text, "--disk=PATH[,ro]"));
    free(text);
}
END_TEST

/* ---- disks -------------------------------------------------------------- */

static const struct config_disk *disk(const struct vm_config *cfg, guint i)
{
    ck_assert_uint_lt(i, cfg->disks->len);
    return g_ptr_array_index(cfg->disks, i);
}

START_TEST(test_disks_file)
{
    struct vm_config cfg;
    mkdir("vms", 0755);
    mkdir("images", 0755);
    put("vms/bzImage", "k");
    put("images/root.img", "r");
    put("vms/data.img", "d");
    /* order is the order first named, even when a section comes back */
    put("vms/vm.conf", "[disk \"root\"]\npath = ../images/root.img\n"
                       "[boot]\nkernel = bzImage\n"
                       "[disk \"data.v2\"]\nreadonly = true\n"
                       "[disk \"root\"]\nreadonly = false\n"
                       "[disk \"data.v2\"]\npath = ./data.img\n");
    ck_assert_ptr_null(run(&cfg, "vms/vm.conf", NULL));
    ck_assert_uint_eq(cfg.disks->len, 2);
    ck_assert_str_eq(disk(&cfg, 0)->name, "root");
    ck_assert_str_eq(disk(&cfg, 0)->path, in_tmp("images/root.img"));
    ck_assert(!disk(&cfg, 0)->readonly);
    ck_assert_str_eq(disk(&cfg, 1)->name, "data.v2");
    ck_assert_str_eq(disk(&cfg, 1)->path, in_tmp("vms/data.img"));
    ck_assert(disk(&cfg, 1)->readonly);
    config_clear(&cfg);

    /* readonly defaults to false; a name may be 20 characters */
    put("vms/one.conf", "[boot]\nkernel = bzImage\n"
                        "[disk \"A-b_c.0123456789abcd\"]\n"
                        "path = data.img\n");
    ck_assert_ptr_null(run(&cfg, "vms/one.conf", NULL));
    ck_assert_uint_eq(cfg.disks->len, 1);
    ck_assert_str_eq(disk(&cfg, 0)->name, "A-b_c.0123456789abcd");
    ck_assert(!disk(&cfg, 0)->readonly);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_disk_readonly_values)
{
    static const struct { const char *s; bool v; } cases[] = {
        { "true", true }, { "TRUE", true }, { "yes", true }, { "Yes", true },
        { "on", true }, { "ON", true }, { "1", true },
        { "false", false }, { "False", false }, { "no", false },
        { "NO", false }, { "off", false }, { "oFF", false }, { "0", false },
    };
    put("bzImage", "k");
    put("a.img", "a");
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct vm_config cfg;
        /* start from the opposite, so that the value is seen to apply */
        put("vm.conf", fmt("[boot]\nkernel = bzImage\n[disk \"a\"]\n"
                           "path = a.img\nreadonly = %s\n",
                           cases[i].v ? "false" : "true"));
        ck_assert_ptr_null(run(&cfg, "vm.conf", "--set",
                               fmt("disk.a.readonly=%s", cases[i].s), NULL));
        ck_assert_msg(disk(&cfg, 0)->readonly == cases[i].v, "%s",
                      cases[i].s);
        config_clear(&cfg);
    }
    static const char *const bad[] = { "maybe", "", "2", "t", "y", "truee",
                                       " true", "enabled" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        ck_err(run_err("--kernel", "bzImage", "--set",
                       fmt("disk.a.readonly=%s", bad[i]), NULL),
               fmt("--set disk.a.readonly: expected true or false, got "
                   "\"%s\"", bad[i]));
    ck_err(file_err("[disk \"root\"]\npath = a.img\nreadonly = maybe\n"),
           "vm.conf: [disk \"root\"] readonly: expected true or false, "
           "got \"maybe\"");
}
END_TEST

START_TEST(test_disk_flag)
{
    struct vm_config cfg;
    mkdir("img", 0755);
    put("bzImage", "k");
    put("img/a.img", "a");
    put("img/b,c.img", "b");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--disk", "img/a.img",
                           "--disk=img/../img/b,c.img,ro", NULL));
    ck_assert_uint_eq(cfg.disks->len, 2);
    ck_assert_str_eq(disk(&cfg, 0)->name, "disk0");
    ck_assert_str_eq(disk(&cfg, 0)->path, in_tmp("img/a.img"));
    ck_assert(!disk(&cfg, 0)->readonly);
    ck_assert_str_eq(disk(&cfg, 1)->name, "disk1");
    ck_assert_str_eq(disk(&cfg, 1)->path, in_tmp("img/b,c.img"));
    ck_assert(disk(&cfg, 1)->readonly);
    config_clear(&cfg);

    ck_err(run_err("--kernel", "bzImage", "--disk", "img/a.img,rw", NULL),
           "--disk: expected PATH or PATH,ro, got \"img/a.img,rw\"");
    ck_err(run_err("--kernel", "bzImage", "--disk", "img/a.img,", NULL),
           "--disk: expected PATH or PATH,ro, got \"img/a.img,\"");
    ck_err(run_err("--kernel", "bzImage", "--disk", "img/a.img,RO", NULL),
           "--disk: expected PATH or PATH,ro, got \"img/a.img,RO\"");
    ck_err(run_err("--kernel", "bzImage", "--disk", "img/b,c.img", NULL),
           "--disk: expected PATH or PATH,ro, got \"img/b,c.img\"");
    ck_err(run_err("--kernel", "bzImage", "--disk", "", NULL),
           "--disk: expected a path, got \"\"");
    ck_err(run_err("--kernel", "bzImage", "--disk", ",ro", NULL),
           "--disk: expected a path, got \"\"");
    ck_err(run_err("--kernel", "bzImage", "--disk", "nope.img", NULL),
           fmt("--disk: no such file: %s", in_tmp("nope.img")));
    ck_err(run_err("--kernel", "bzImage", "--disk", "img", NULL),
           fmt("--disk: expected a file, got a directory: %s", in_tmp("img")));
    ck_err(run_err("--kernel", "bzImage", "--disk", "/dev/null,ro", NULL),
           "--disk: expected a regular file: /dev/null");
    ck_err(run_err("--disk", NULL), "Missing argument for --disk");
}
END_TEST

START_TEST(test_disk_file_and_flag)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("a.img", "a");
    put("b.img", "b");
    put("c.img", "c");
    put("d.img", "d");
    /* the file takes disk0 and disk2; --disk gets disk1 and disk3, after
     * the file's disks and the one --set adds */
    put("vm.conf", "[boot]\nkernel = bzImage\n[disk \"disk2\"]\npath = a.img\n"
                   "[disk \"disk0\"]\npath = b.img\nreadonly = yes\n");
    ck_assert_ptr_null(run(&cfg, "--disk", "c.img,ro", "vm.conf", "--disk",
                           "d.img", "--set", "disk.x.path=bzImage", NULL));
    ck_assert_uint_eq(cfg.disks->len, 5);
    static const struct { const char *name, *path; bool ro; } want[] = {
        { "disk2", "a.img", false }, { "disk0", "b.img", true },
        { "x", "bzImage", false }, { "disk1", "c.img", true },
        { "disk3", "d.img", false },
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        ck_assert_str_eq(disk(&cfg, i)->name, want[i].name);
        ck_assert_str_eq(disk(&cfg, i)->path, in_tmp(want[i].path));
        ck_assert_int_eq(disk(&cfg, i)->readonly, want[i].ro);
    }
    config_clear(&cfg);
}
END_TEST

START_TEST(test_disk_set)
{
    struct vm_config cfg;
    mkdir("sub", 0755);
    put("sub/bzImage", "k");
    put("sub/a.img", "a");
    put("sub/b.img", "b");
    put("sub/vm.conf", "[boot]\nkernel = bzImage\n[disk \"root\"]\n"
                       "path = a.img\n");
    /* --set paths are relative to the cwd; names may contain dots */
    ck_assert_ptr_null(run(&cfg, "sub/vm.conf", "--set",
                           "disk.root.readonly=true", "--set",
                           "disk.v1.2.path=sub/b.img", NULL));
    ck_assert_uint_eq(cfg.disks->len, 2);
    ck_assert_str_eq(disk(&cfg, 0)->name, "root");
    ck_assert_str_eq(disk(&cfg, 0)->path, in_tmp("sub/a.img"));
    ck_assert(disk(&cfg, 0)->readonly);
    ck_assert_str_eq(disk(&cfg, 1)->name, "v1.2");
    ck_assert_str_eq(disk(&cfg, 1)->path, in_tmp("sub/b.img"));
    ck_assert(!disk(&cfg, 1)->readonly);
    config_clear(&cfg);
    /* --set replaces a path from the file */
    ck_assert_ptr_null(run(&cfg, "sub/vm.conf", "--set",
                           "disk.root.path=sub/b.img", NULL));
    ck_assert_uint_eq(cfg.disks->len, 1);
    ck_assert_str_eq(disk(&cfg, 0)->path, in_tmp("sub/b.img"));
    config_clear(&cfg);

    /* config_set: a bad value adds no disk */
    GError *err = NULL;
    config_init(&cfg);
    ck_assert(!config_set(&cfg, NULL, "disk \"x\"", "readonly", "maybe", NULL,
                          &err));
    ck_err(err->message, "[disk \"x\"] readonly: expected true or false, "
                         "got \"maybe\"");
    ck_assert(g_error_matches(err, KVMKIT_CONFIG_ERROR, CONFIG_ERROR_VALUE));
    g_clear_error(&err);
    ck_assert_uint_eq(cfg.disks->len, 0);
    ck_assert(config_set(&cfg, NULL, "disk \"x\"", "path", "x.img", "/srv",
                         &err));
    ck_assert_uint_eq(cfg.disks->len, 1);
    ck_assert_str_eq(disk(&cfg, 0)->name, "x");
    ck_assert_str_eq(disk(&cfg, 0)->path, "/srv/x.img");
    ck_assert(config_set_arg(&cfg, "disk.x.readonly=on", &err));
    ck_assert(disk(&cfg, 0)->readonly);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_disk_path_errors)
{
    GError *err = NULL;
    struct vm_config cfg;

    ck_err(vm_err("[disk \"root\"]\nreadonly = true\n"),
           "vm.conf: [disk \"root\"] path: required");
    /* a header alone names a disk too */
    ck_err(vm_err("[disk \"root\"]\n"),
           "vm.conf: [disk \"root\"] path: required");
    ck_err(run_err("--kernel", "bzImage", "--set", "disk.x.readonly=1", NULL),
           "[disk \"x\"] path: required");
    config_init(&cfg);
    ck_assert(config_set(&cfg, NULL, "boot", "kernel", "bzImage", NULL, &err));
    ck_assert(config_set(&cfg, "x.conf", "disk \"d\"", "readonly", "no", NULL,
                         &err));
    ck_assert(!config_finish(&cfg, &err));
    ck_err(err->message, "x.conf: [disk \"d\"] path: required");
    ck_assert(g_error_matches(err, KVMKIT_CONFIG_ERROR, CONFIG_ERROR_MISSING));
    g_clear_error(&err);
    config_clear(&cfg);

    ck_err(vm_err("[disk \"root\"]\npath = nope.img\n"),
           fmt("vm.conf: [disk \"root\"] path: no such file: %s",
               in_tmp("nope.img")));
    mkdir("dir.img", 0755);
    ck_err(vm_err("[disk \"root\"]\npath = dir.img\n"),
           fmt("vm.conf: [disk \"root\"] path: expected a file, got a "
               "directory: %s", in_tmp("dir.img")));
    ck_err(vm_err("[disk \"root\"]\npath = /dev/null\n"),
           "vm.conf: [disk \"root\"] path: expected a regular file: "
           "/dev/null");
    ck_err(vm_err("[disk \"root\"]\npath =\n"),
           "vm.conf: [disk \"root\"] path: expected a path, got \"\"");
    ck_err(run_err("--kernel", "bzImage", "--set", "disk.r.path=gone", NULL),
           fmt("--set disk.r.path: no such file: %s", in_tmp("gone")));
}
END_TEST

START_TEST(test_disk_same_file)
{
    put("bzImage", "k");
    put("a.img", "a");
    mkdir("sub", 0755);
    ck_err(vm_err("[disk \"a\"]\npath = a.img\n[disk \"b\"]\n"
                    "path = sub/../a.img\n"),
           fmt("vm.conf: [disk \"a\"] path and [disk \"b\"] path name the "
               "same file: %s", in_tmp("a.img")));
    ck_err(vm_err("[disk \"a\"]\npath = a.img\n[disk \"b\"]\n"
                    "path = a.img\nreadonly = true\n"),
           fmt("vm.conf: [disk \"a\"] path and [disk \"b\"] path name the "
               "same file: %s", in_tmp("a.img")));
    put("vm.conf", "[boot]\nkernel = bzImage\n[disk \"a\"]\npath = a.img\n");
    ck_err(run_err("vm.conf", "--disk", "a.img", NULL),
           fmt("vm.conf: [disk \"a\"] path and --disk name the same file: "
               "%s", in_tmp("a.img")));
    ck_err(run_err("--kernel", "bzImage", "--disk", "a.img", "--disk",
                   "a.img,ro", NULL),
           fmt("--disk: the same file is given twice: %s", in_tmp("a.img")));
    ck_err(run_err("--kernel", "bzImage", "--disk", "a.img", "--set",
                   "disk.b.path=a.img", NULL),
           fmt("--set disk.b.path and --disk name the same file: %s",
               in_tmp("a.img")));
    /* the same file under another name counts too */
    ck_assert_int_eq(symlink("a.img", "link.img"), 0);
    ck_err(run_err("--kernel", "bzImage", "--disk", "a.img", "--disk",
                   "link.img", NULL),
           fmt("--disk: the same file is given twice: %s and %s",
               in_tmp("a.img"), in_tmp("link.img")));
    /* a serial output file must not overwrite a disk */
    ck_err(run_err("--kernel", "bzImage", "--disk", "a.img",
                   "--serial-output", "file:a.img", NULL),
           fmt("--serial-output: %s is also [disk \"disk0\"] path; refusing "
               "to overwrite it", in_tmp("a.img")));
}
END_TEST

START_TEST(test_disk_too_many)
{
    struct vm_config cfg;
    GPtrArray *argv = g_ptr_array_new();
    GError *err = NULL;

    put("bzImage", "k");
    g_ptr_array_add(argv, "run");
    g_ptr_array_add(argv, "--kernel=bzImage");
    for (unsigned i = 0; i < 9; i++) {
        const char *img = fmt("%u.img", i);
        put(img, "x");
        g_ptr_array_add(argv, (char *)fmt("--disk=%s", img));
        config_init(&cfg);
        bool ok = config_parse_run_args(&cfg, argv->len, (char **)argv->pdata,
                                        &err);
        if (i < 8) { /* 8 are fine */
            ck_assert_ptr_null(err);
            ck_assert(ok);
            ck_assert_uint_eq(cfg.disks->len, i + 1);
            ck_assert_str_eq(disk(&cfg, i)->name, fmt("disk%u", i));
        } else {
            ck_assert(!ok);
            ck_err(err->message, "too many disks: 9 given, at most 8 are "
                                 "supported");
            ck_assert(g_error_matches(err, KVMKIT_CONFIG_ERROR,
                                      CONFIG_ERROR_CONFLICT));
            g_clear_error(&err);
        }
        config_clear(&cfg);
    }
    g_ptr_array_free(argv, TRUE);
}
END_TEST

/* Disks, NICs and the virtio console share the machine's 9 virtio slots:
 * more is refused before anything is opened, counting each kind. */
START_TEST(test_too_many_virtio_devices)
{
    GString *conf = g_string_new("[boot]\nkernel = bzImage\n[console]\ndevice = virtio\n"
                                 "output = none\ninput = none\n");
    put("bzImage", "k");
    for (unsigned i = 0; i < 8; i++) {
        put(fmt("%u.img", i), "x");
        g_string_append_printf(conf, "[disk \"d%u\"]\npath = %u.img\n", i, i);
    }
    struct vm_config cfg;
    put("vm.conf", conf->str);
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));   /* 9 fit */
    config_clear(&cfg);
    g_string_append(conf, "[net \"n0\"]\n");
    ck_err(file_err(conf->str), "too many virtio devices: 8 disks, 1 NIC and the virtio "
                                "console make 10, at most 9 fit (one interrupt line each)");
    g_string_append(conf, "[rng]\ndevice = virtio\n");
    ck_err(file_err(conf->str), "too many virtio devices: 8 disks, 1 NIC, the virtio console "
                                "and the virtio-rng make 11, at most 9 fit (one interrupt "
                                "line each)");
    /* Without the console and the rng: 8 disks and 1 NIC fit. */
    g_string_replace(conf, "device = virtio", "device = none", 0);
    put("vm.conf", conf->str);
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    config_clear(&cfg);
    g_string_free(conf, TRUE);
}
END_TEST

START_TEST(test_disk_bad_names)
{
    ck_err(file_err("[disk \"\"]\npath = bzImage\n"),
           "vm.conf: [disk \"\"]: expected a name of 1 to 20 letters, digits, "
           "'_', '.' or '-', got \"\"");
    ck_err(file_err("[disk \"a b\"]\npath = bzImage\n"),
           "vm.conf: [disk \"a b\"]: expected a name of 1 to 20 letters, "
           "digits, '_', '.' or '-', got \"a b\"");
    /* keyless too */
    ck_err(file_err("[disk \"a/b\"]\n"),
           "vm.conf: [disk \"a/b\"]: expected a name of 1 to 20 letters, "
           "digits, '_', '.' or '-', got \"a/b\"");
    ck_err(file_err("[disk \"abcdefghij0123456789x\"]\npath = bzImage\n"),
           "vm.conf: [disk \"abcdefghij0123456789x\"]: expected a name of 1 "
           "to 20 letters, digits, '_', '.' or '-', got "
           "\"abcdefghij0123456789x\"");
    ck_err(file_err("[disk]\npath = bzImage\n"),
           "vm.conf: section [disk] needs a name, like [disk \"NAME\"]");
    ck_err(file_err("[disk \"a\"b\"]\npath = bzImage\n"),
           "vm.conf: unknown section [disk \"a\"b\"]");
    ck_err(file_err("[machine \"\"]\n"),
           "vm.conf: section [machine] takes no name, got [machine \"\"]");
    ck_err(run_err("--set", "disk.a b.path=x", NULL),
           "--set disk.a b.path: [disk \"a b\"]: expected a name of 1 to 20 "
           "letters, digits, '_', '.' or '-', got \"a b\"");
    ck_err(run_err("--set", "disk.r\"x.path=x", NULL),
           "--set disk.r\"x.path: [disk \"r\"x\"]: expected a name of 1 to 20 "
           "letters, digits, '_', '.' or '-', got \"r\"x\"");
}
END_TEST

/* ---- console ------------------------------------------------------------ */

START_TEST(test_console)
{
    struct vm_config cfg;
    put("bzImage", "k");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", NULL));
    ck_assert_int_eq(cfg.console, CONFIG_CONSOLE_NONE);
    ck_assert_int_eq(cfg.console_out.kind, CONFIG_CHAR_STDIO);
    ck_assert(cfg.console_in_stdio && cfg.serial_in_stdio);
    config_clear(&cfg);

    /* The console takes stdin from the serial port's default. */
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--console", "virtio", NULL));
    ck_assert_int_eq(cfg.console, CONFIG_CONSOLE_VIRTIO);
    ck_assert(cfg.console_in_stdio && !cfg.serial_in_stdio);
    config_clear(&cfg);
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--console", "virtio",
                           "--set", "console.input=none", NULL));
    ck_assert(!cfg.console_in_stdio && cfg.serial_in_stdio);
    config_clear(&cfg);
    /* A pty is the console's input: stdin stays with the serial port. */
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--console", "virtio",
                           "--console-output", "pty", NULL));
    ck_assert_int_eq(cfg.console_out.kind, CONFIG_CHAR_PTY);
    ck_assert(cfg.serial_in_stdio);
    config_clear(&cfg);

    ck_err(run_err("--kernel", "bzImage", "--console", "virtio", "--set",
                   "serial.input=stdio", NULL),
           "--set serial.input and [console] input both read stdin; set one "
           "of them to none");
    ck_err(vm_err("[serial]\ninput = stdio\n[console]\ndevice = virtio\n"
                  "input = stdio\n"),
           "vm.conf: [serial] input and [console] input both read stdin; set "
           "one of them to none");
    ck_err(run_err("--kernel", "bzImage", "--console", "virtio",
                   "--console-output", "pty", "--set", "console.input=stdio",
                   NULL),
           "--set console.input: stdio does not go with [console] output = "
           "pty, which is the console's input");
    ck_err(run_err("--console", "serial", NULL),
           "--console: expected none or virtio, got \"serial\"");
    ck_err(run_err("--console-output", "tty", NULL),
           "--console-output: expected stdio, none, pty or file:PATH, got "
           "\"tty\"");
    ck_err(run_err("--serial-output", "pty", NULL),
           "--serial-output: expected stdio, none or file:PATH, got \"pty\"");
    ck_err(vm_err("[console]\ndevice = virtio\noutput = file:bzImage\n"),
           fmt("vm.conf: [console] output: %s is also [boot] kernel; "
               "refusing to overwrite it", in_tmp("bzImage")));
    ck_err(run_err("--kernel", "bzImage", "--serial-output", "file:out",
                   "--console", "virtio", "--console-output", "file:out", NULL),
           fmt("--console-output: %s is also [serial] output; refusing to "
               "overwrite it", in_tmp("out")));

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print_keys(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "[console]"));
    ck_assert_ptr_nonnull(strstr(text, "stdio | none | pty | file:PATH; flag --console-output"));
    free(text);
}
END_TEST

/* ---- [net "NAME"] and vmm/net_config.c ---------------------------------- */

static const struct config_net *nic(const struct vm_config *cfg, guint i)
{
    ck_assert_uint_lt(i, cfg->nets->len);
    return g_ptr_array_index(cfg->nets, i);
}

START_TEST(test_hostfwd_parser)
{
    struct net_hostfwd f;
    char *why = NULL;
    char a[INET_ADDRSTRLEN];

    ck_assert(net_config_parse_hostfwd("tcp:127.0.0.1:8080-:80", &f, NULL));
    ck_assert(!f.udp);
    ck_assert_str_eq(inet_ntop(AF_INET, &f.host_addr, a, sizeof(a)), "127.0.0.1");
    ck_assert_uint_eq(f.host_port, 8080);
    ck_assert_uint_eq(f.guest_addr.s_addr, 0);
    ck_assert_uint_eq(f.guest_port, 80);
    ck_assert(net_config_parse_hostfwd("udp:0.0.0.0:5353-10.0.2.20:53", &f, NULL));
    ck_assert(f.udp);
    ck_assert_uint_eq(f.host_addr.s_addr, 0);
    ck_assert_str_eq(inet_ntop(AF_INET, &f.guest_addr, a, sizeof(a)), "10.0.2.20");
    ck_assert_uint_eq(f.guest_port, 53);
    /* no protocol is tcp; no host address is loopback only */
    ck_assert(net_config_parse_hostfwd("::2222-:22", &f, NULL));
    ck_assert(!f.udp);
    ck_assert_str_eq(inet_ntop(AF_INET, &f.host_addr, a, sizeof(a)), "127.0.0.1");
    ck_assert(net_config_parse_hostfwd("tcp::65535-:1", &f, NULL));

    static const char *const bad[] = {
        "", "tcp", "tcp:127.0.0.1:8080", "sctp::80-:80", "tcp::0-:80",
        "tcp::65536-:80", "tcp::80-:0", "tcp::80-:x", "tcp::-80-:80",
        "tcp:localhost:80-:80", "tcp:1.2.3:80-:80", "tcp::80-1.2.3.4.5:80",
        "tcp::80", "tcp::80-80", "tcp::80--:80", "tcp::+80-:80",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        ck_assert_msg(!net_config_parse_hostfwd(bad[i], &f, NULL), "%s", bad[i]);
    ck_assert(!net_config_parse_hostfwd("tcp::99999-:80", &f, &why));
    ck_assert_str_eq(why, "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
                          "(host port \"99999\" is not 1 to 65535)");
    g_free(why);

    struct net_hostfwd *list = NULL;
    unsigned n = 9;
    ck_assert(net_config_parse_hostfwds(" tcp::8080-:80 ;udp::5353-:53;", &list, &n,
                                        NULL));
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(list[1].host_port, 5353);
    g_free(list);
    ck_assert(net_config_parse_hostfwds("", &list, &n, NULL));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(list);
    /* the same host port twice; tcp and udp may share a number */
    ck_assert(!net_config_parse_hostfwds("tcp::80-:80;tcp::80-:81", &list, &n, NULL));
    ck_assert(net_config_parse_hostfwds("tcp::80-:80;udp::80-:80", &list, &n, NULL));
    g_free(list);
}
END_TEST

START_TEST(test_net_addresses_and_mac)
{
    struct in_addr net, mask, ip;
    uint8_t mac[6], mac2[6];

    ck_assert(net_config_parse_subnet("10.0.2.0/24", &net, &mask, NULL));
    ck_assert_uint_eq(ntohl(mask.s_addr), 0xffffff00);
    ck_assert(net_config_parse_subnet("192.168.0.0/16", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.1/24", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.0", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.0/31", &net, &mask, NULL));
    ck_assert(!net_config_parse_subnet("10.0.2.0/x", &net, &mask, NULL));
    ck_assert(net_config_parse_ipv4("10.0.2.2", &ip, NULL));
    ck_assert(!net_config_parse_ipv4("10.0.2", &ip, NULL));

    ck_assert(net_config_parse_mac("52:54:00:12:34:5f", mac, NULL));
    ck_assert_uint_eq(mac[5], 0x5f);
    ck_assert(net_config_parse_mac("52-54-00-12-34-56", mac, NULL));
    ck_assert(!net_config_parse_mac("52:54:00:12:34", mac, NULL));
    ck_assert(!net_config_parse_mac("52:54-00:12:34:56", mac, NULL));
    ck_assert(!net_config_parse_mac("01:00:5e:00:00:01", mac, NULL)); /* multicast */
    ck_assert(!net_config_parse_mac("00:00:00:00:00:00", mac, NULL));
    ck_assert(!net_config_parse_mac("52:54:00:12:34:5g", mac, NULL));

    /* stable, locally administered, unicast, different per NIC and VM */
    net_config_default_mac("vm1", "eth0", mac);
    net_config_default_mac("vm1", "eth0", mac2);
    ck_assert_mem_eq(mac, mac2, 6);
    ck_assert_uint_eq(mac[0] & 3, 2);
    net_config_default_mac("vm1", "eth1", mac2);
    ck_assert(memcmp(mac, mac2, 6) != 0);
    net_config_default_mac("vm2", "eth0", mac2);
    ck_assert(memcmp(mac, mac2, 6) != 0);
}
END_TEST

START_TEST(test_net_file)
{
    struct vm_config cfg;
    put("bzImage", "k");
    put("vm.conf", "[boot]\nkernel = bzImage\n"
                   "[net \"eth0\"]\n"
                   "hostfwd = tcp:127.0.0.1:8080-:80; udp::5353-:53\n"
                   "restrict = yes\nmac = 52:54:00:12:34:56\n"
                   "[net \"lan\"]\nbackend = tap\nifname = tap0\noffload = off\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_uint_eq(cfg.nets->len, 2);
    ck_assert_str_eq(nic(&cfg, 0)->name, "eth0");
    ck_assert_int_eq(nic(&cfg, 0)->backend, CONFIG_NET_USER);
    ck_assert_str_eq(nic(&cfg, 0)->hostfwd, "tcp:127.0.0.1:8080-:80; udp::5353-:53");
    ck_assert(nic(&cfg, 0)->restrict_);
    ck_assert_str_eq(nic(&cfg, 0)->net, "10.0.2.0/24");
    ck_assert_str_eq(nic(&cfg, 0)->mac, "52:54:00:12:34:56");
    ck_assert_ptr_null(nic(&cfg, 0)->host);
    ck_assert_int_eq(nic(&cfg, 1)->backend, CONFIG_NET_TAP);
    ck_assert_str_eq(nic(&cfg, 1)->ifname, "tap0");
    ck_assert(!nic(&cfg, 1)->offload);

    struct net_user_params p;
    const char *key;
    char a[INET_ADDRSTRLEN];
    ck_assert(net_config_user_params(nic(&cfg, 0), &p, &key, NULL));
    ck_assert_str_eq(inet_ntop(AF_INET, &p.host, a, sizeof(a)), "10.0.2.2");
    ck_assert_str_eq(inet_ntop(AF_INET, &p.dns, a, sizeof(a)), "10.0.2.3");
    ck_assert_str_eq(inet_ntop(AF_INET, &p.dhcp_start, a, sizeof(a)), "10.0.2.15");
    ck_assert_uint_eq(p.n_fwd, 2);
    ck_assert(p.restrict_);
    g_free((void *)p.fwd);
    config_clear(&cfg);
}
END_TEST

START_TEST(test_net_flag)
{
    struct vm_config cfg;
    put("bzImage", "k");
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--net",
                           "user,hostfwd=tcp::8080-:80,hostfwd=udp::69-:69,"
                           "net=192.168.5.0/24,dns=192.168.5.53", "--net",
                           "tap,ifname=tap1", NULL));
    ck_assert_uint_eq(cfg.nets->len, 2);
    ck_assert_str_eq(nic(&cfg, 0)->name, "net0");
    ck_assert_str_eq(nic(&cfg, 0)->hostfwd, "tcp::8080-:80;udp::69-:69");
    ck_assert_str_eq(nic(&cfg, 0)->net, "192.168.5.0/24");
    ck_assert_str_eq(nic(&cfg, 0)->dns, "192.168.5.53");
    ck_assert_str_eq(nic(&cfg, 1)->name, "net1");
    ck_assert_str_eq(nic(&cfg, 1)->ifname, "tap1");
    ck_assert(nic(&cfg, 1)->offload);
    config_clear(&cfg);
    /* --set reaches a named NIC too */
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--set",
                           "net.up.hostfwd=tcp::2222-:22", NULL));
    ck_assert_str_eq(nic(&cfg, 0)->name, "up");
    config_clear(&cfg);
}
END_TEST

START_TEST(test_net_errors)
{
    put("bzImage", "k");
    ck_err(vm_err("[net \"eth0\"]\nhostfwd = tcp:127.0.0.1:8080-80\n"),
           "vm.conf: [net \"eth0\"] hostfwd: expected "
           "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (no ':' before the guest "
           "port), got \"tcp:127.0.0.1:8080-80\"");
    ck_err(vm_err("[net \"eth0\"]\nhostfwd = tcp::80-:80;tcp::99-:x\n"),
           "vm.conf: [net \"eth0\"] hostfwd: expected "
           "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (guest port \"x\" is not "
           "1 to 65535) in \"tcp::99-:x\", got \"tcp::80-:80;tcp::99-:x\"");
    ck_err(vm_err("[net \"eth0\"]\nnet = 10.0.2.0/33\n"),
           "vm.conf: [net \"eth0\"] net: expected a subnet like 10.0.2.0/24 (prefix "
           "length 8 to 30), got \"10.0.2.0/33\"");
    ck_err(vm_err("[net \"eth0\"]\nhost = 10.0.3.2\n"),
           "vm.conf: [net \"eth0\"] host: expected an address inside [net] net "
           "10.0.2.0/24, not its network or broadcast address, got \"10.0.3.2\"");
    ck_err(vm_err("[net \"eth0\"]\nnet = 10.1.0.0/29\n"),
           "vm.conf: [net \"eth0\"] net: the default dhcp-start does not fit: set it "
           "to an address inside [net] net 10.1.0.0/29, not its network or broadcast "
           "address");
    ck_err(vm_err("[net \"eth0\"]\ndns = 10.0.2.2\n"),
           "vm.conf: [net \"eth0\"] dns: expected an address other than [net] host, "
           "got \"10.0.2.2\"");
    ck_err(vm_err("[net \"eth0\"]\nhostfwd = tcp::80-10.9.9.9:80\n"),
           "vm.conf: [net \"eth0\"] hostfwd: expected guest addresses inside [net] net "
           "10.0.2.0/24, got \"tcp::80-10.9.9.9:80\"");
    ck_err(vm_err("[net \"eth0\"]\nmac = 01:02:03:04:05:06\n"),
           "vm.conf: [net \"eth0\"] mac: expected a unicast MAC address (the first "
           "byte even), got \"01:02:03:04:05:06\"");
    ck_err(vm_err("[net \"eth0\"]\nbackend = slirp\n"),
           "vm.conf: [net \"eth0\"] backend: expected user or tap, got \"slirp\"");
    ck_err(vm_err("[net \"eth0\"]\nbackend = tap\n"),
           "vm.conf: [net \"eth0\"] ifname: required with backend = tap");
    ck_err(vm_err("[net \"eth0\"]\nbackend = tap\nifname = t0\nhostfwd = ::80-:80\n"),
           "vm.conf: [net \"eth0\"] hostfwd: only backend = user takes it, "
           "[net \"eth0\"] backend is tap");
    ck_err(vm_err("[net \"eth0\"]\nifname = tap0\n"),
           "vm.conf: [net \"eth0\"] ifname: only backend = tap takes it, "
           "[net \"eth0\"] backend is user");
    ck_err(vm_err("[net \"eth0\"]\nbackend = tap\nifname = a/b\n"),
           "vm.conf: [net \"eth0\"] ifname: expected an interface name of 1 to 15 "
           "bytes without '/', ':' or blanks, got \"a/b\"");
    ck_err(vm_err("[net \"a\"]\n[net \"b\"]\n[net \"c\"]\n[net \"d\"]\n[net \"e\"]\n"),
           "too many NICs: 5 given, at most 4 are supported");
    ck_err(run_err("--kernel", "bzImage", "--net", "user,hostfwd=tcp::0-:80", NULL),
           "--net hostfwd: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
           "(host port \"0\" is not 1 to 65535), got \"tcp::0-:80\"");
    ck_err(run_err("--kernel", "bzImage", "--net", "user,restrict", NULL),
           "--net: expected KEY=VALUE after \"user,\", got \"restrict\"");
    ck_err(run_err("--kernel", "bzImage", "--net", "", NULL),
           "--net: expected user|tap[,KEY=VALUE...], got \"\"");
    ck_err(run_err("--kernel", "bzImage", "--net", "user,colour=red", NULL),
           "--net colour: unknown key \"colour\" in [net \"net0\"]");
}
END_TEST

/* ---- [log] and [metrics] ------------------------------------------------ */

START_TEST(test_log_and_metrics)
{
    put("bzImage", "k");
    mkdir("logs", 0755);
    struct vm_config cfg;
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", NULL));
    ck_assert_int_eq(cfg.log_format, LOG_FORMAT_TEXT);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
    ck_assert_ptr_null(cfg.log_file);
    ck_assert_ptr_null(cfg.metrics_file);
    ck_assert_uint_eq(cfg.metrics_interval, 10);
    config_clear(&cfg);

    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--log-format", "json",
                           "--log-file", "logs/kvmkit.log", "--set", "log.level=debug",
                           "--set", "metrics.file=logs/m.json",
                           "--set", "metrics.interval=2", NULL));
    ck_assert_int_eq(cfg.log_format, LOG_FORMAT_JSON);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
    ck_assert_str_eq(cfg.log_file, in_tmp("logs/kvmkit.log"));
    ck_assert_str_eq(cfg.metrics_file, in_tmp("logs/m.json"));
    ck_assert_uint_eq(cfg.metrics_interval, 2);
    config_clear(&cfg);

    /* The same from a file, paths relative to it. */
    put("vm.conf", "[boot]\nkernel = bzImage\n[log]\nformat = text\nlevel = warning\n"
                   "file = logs/a.log\n[metrics]\nfile = logs/b.json\ninterval = 86400\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_WARNING);
    ck_assert_str_eq(cfg.log_file, in_tmp("logs/a.log"));
    ck_assert_uint_eq(cfg.metrics_interval, 86400);
    config_clear(&cfg);

    ck_err(run_err("--log-format", "xml", NULL),
           "--log-format: expected text or json, got \"xml\"");
    ck_err(run_err("--set", "log.level=loud", NULL),
           "--set log.level: expected error, warning, info or debug, got \"loud\"");
    ck_err(vm_err("[metrics]\ninterval = 0\n"),
           "vm.conf: [metrics] interval: expected an integer from 1 to 86400, got \"0\"");
    ck_err(run_err("--kernel", "bzImage", "--log-file", "no/kvmkit.log", NULL),
           fmt("--log-file: no such directory: %s", in_tmp("no")));
    ck_err(run_err("--kernel", "bzImage", "--set", "metrics.file=logs", NULL),
           fmt("--set metrics.file: expected a file, got a directory: %s", in_tmp("logs")));
}
END_TEST

START_TEST(test_security_and_limits)
{
    put("bzImage", "k");
    mkdir("jail", 0755);
    struct vm_config cfg;
    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", NULL));
    ck_assert_int_eq(cfg.seccomp, CONFIG_SECCOMP_ON);
    ck_assert_ptr_null(cfg.security_user);
    ck_assert_ptr_null(cfg.security_chroot);
    ck_assert_str_eq(cfg.namespaces, "none");
    ck_assert_ptr_null(cfg.limit_cpu);
    ck_assert_uint_eq(cfg.limit_memory, 0);
    config_clear(&cfg);

    put("vm.conf", "[boot]\nkernel = bzImage\n[security]\nseccomp = log\nuser = 1000:1000\n"
                   "chroot = jail\nnamespaces = uts,mount,pid\n[limits]\ncpu = 1.5\n"
                   "memory = 600M\n");
    ck_assert_ptr_null(run(&cfg, "vm.conf", NULL));
    ck_assert_int_eq(cfg.seccomp, CONFIG_SECCOMP_LOG);
    ck_assert_str_eq(cfg.security_user, "1000:1000");
    ck_assert_str_eq(cfg.security_chroot, in_tmp("jail"));
    ck_assert_str_eq(cfg.limit_cpu, "1.5");
    ck_assert_uint_eq(cfg.limit_memory, 600 << 20);
    unsigned bits = 0;
    g_autofree char *expected = NULL;
    ck_assert(config_parse_namespaces(cfg.namespaces, &bits, &expected));
    ck_assert_uint_eq(bits, CONFIG_NS_UTS | CONFIG_NS_MOUNT | CONFIG_NS_PID);
    config_clear(&cfg);

    ck_assert_ptr_null(run(&cfg, "--kernel", "bzImage", "--set", "security.seccomp=off",
                           "--set", "security.user=nobody", NULL));
    ck_assert_int_eq(cfg.seccomp, CONFIG_SECCOMP_OFF);
    ck_assert_str_eq(cfg.security_user, "nobody");
    config_clear(&cfg);

    unsigned milli = 0;
    ck_assert(config_parse_cpu_limit("1.5", &milli) && milli == 1500);
    ck_assert(config_parse_cpu_limit("0.01", &milli) && milli == 10);
    ck_assert(config_parse_cpu_limit("2", &milli) && milli == 2000);
    ck_assert(config_parse_cpu_limit("0.125", &milli) && milli == 125);
    static const char *const bad_cpu[] = { "0", "0.001", "1.", ".5", "1.2345", "-1", "1e3",
                                           "1025", "one" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cpu); i++)
        ck_assert_msg(!config_parse_cpu_limit(bad_cpu[i], &milli), "%s", bad_cpu[i]);

    ck_err(run_err("--set", "security.seccomp=maybe", NULL),
           "--set security.seccomp: expected on, off or log, got \"maybe\"");
    ck_err(run_err("--set", "security.user=Root!", NULL),
           "--set security.user: expected a user name or UID:GID, got \"Root!\"");
    static const char *const bad_ns[] = { "mount,user", "pid,pid", "pid,", "PID" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_ns); i++)
        ck_err(run_err("--set", fmt("security.namespaces=%s", bad_ns[i]), NULL),
               fmt("--set security.namespaces: expected none, or a list of mount, pid, net, "
                   "ipc, uts separated by ',', each at most once, got \"%s\"", bad_ns[i]));
    ck_err(run_err("--set", "limits.cpu=0", NULL),
           "--set limits.cpu: expected a number of cores from 0.01 to 1024, like 1.5, "
           "got \"0\"");
    ck_err(run_err("--set", "limits.memory=12X", NULL),
           "--set limits.memory: expected a size like 512M, got \"12X\"");
    ck_err(run_err("--kernel", "bzImage", "--set", "security.chroot=nowhere", NULL),
           fmt("--set security.chroot: %s is not a directory", in_tmp("nowhere")));
    ck_err(run_err("--kernel", "bzImage", "--net", "user", "--set",
                   "security.namespaces=net", NULL),
           "--set security.namespaces: net: [net \"net0\"] has backend = user, which needs "
           "the host's network; use backend = tap or drop net");
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_checked_fixture(tc, setup_all, teardown_all);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_good_file);
    tcase_add_test(tc, test_flags_only);
    tcase_add_test(tc, test_empty_and_comment_files);
    tcase_add_test(tc, test_crlf_file);
    tcase_add_test(tc, test_size_good);
    tcase_add_test(tc, test_size_bad);
    tcase_add_test(tc, test_memory_limits);
    tcase_add_test(tc, test_cpus_bad);
    tcase_add_test(tc, test_name_and_pvm);
    tcase_add_test(tc, test_cmdline);
    tcase_add_test(tc, test_serial);
    tcase_add_test(tc, test_file_bad_value);
    tcase_add_test(tc, test_file_trailing_blanks);
    tcase_add_test(tc, test_unknown_key_line);
    tcase_add_test(tc, test_unknown_section);
    tcase_add_test(tc, test_malformed_ini);
    tcase_add_test(tc, test_config_file_errors);
    tcase_add_test(tc, test_kernel_errors);
    tcase_add_test(tc, test_initrd_without_kernel);
    tcase_add_test(tc, test_relative_paths);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_set_syntax);
    tcase_add_test(tc, test_option_errors);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_config_set_api);
    tcase_add_test(tc, test_print_keys);
    tcase_add_test(tc, test_disks_file);
    tcase_add_test(tc, test_disk_readonly_values);
    tcase_add_test(tc, test_disk_flag);
    tcase_add_test(tc, test_disk_file_and_flag);
    tcase_add_test(tc, test_disk_set);
    tcase_add_test(tc, test_disk_path_errors);
    tcase_add_test(tc, test_disk_same_file);
    tcase_add_test(tc, test_disk_too_many);
    tcase_add_test(tc, test_too_many_virtio_devices);
    tcase_add_test(tc, test_disk_bad_names);
    tcase_add_test(tc, test_console);
    tcase_add_test(tc, test_hostfwd_parser);
    tcase_add_test(tc, test_net_addresses_and_mac);
    tcase_add_test(tc, test_net_file);
    tcase_add_test(tc, test_net_flag);
    tcase_add_test(tc, test_net_errors);
    tcase_add_test(tc, test_log_and_metrics);
    tcase_add_test(tc, test_security_and_limits);
    suite_add_tcase(s, tc);
    return s;
}
