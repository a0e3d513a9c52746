/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/config/: [disk "NAME"], --disk and [console] (the config suite, with
 * test_config.c; config_fixture.h).
 */
#include "config.h"
#include "config_fixture.h"
#include "net_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

void config_disk_tests(TCase *tc)
{
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
}
