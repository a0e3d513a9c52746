/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/config/: values, files, flags, --set and the help
 * texts; [disk]/[console] in test_config_disks.c, [net] and the rest in
 * test_config_net.c. Each test runs in a fresh temporary directory (the
 * cwd), so config files are written as "vm.conf" and error messages can
 * be compared whole (config_fixture.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include "config.h"
#include "config_fixture.h"
#include "net_config.h"

#include <arpa/inet.h>

#include <check.h>
#include "unit_main.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    config_disk_tests(tc);
    config_net_tests(tc);
    suite_add_tcase(s, tc);
    return s;
}
