/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for snapshot state: the snap.h section layer (round trips,
 * growth, corrupted and truncated blobs, versions), each board device's
 * save/load (state survives a round trip and a second save is identical),
 * and the machine description (config_to_ini reads back to itself).
 */
#include "snap.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "cmos_rtc.h"
#include "config.h"
#include "i8042.h"
#include "serial16550.h"

/* Saves one object with @save into a fresh tree; returns the blob. */
static void *save_one(void (*save)(void *obj, struct snap_out *o), void *obj, size_t *len)
{
    struct snap_out *o = snap_out_new();
    save(obj, o);
    GError *err = NULL;
    void *blob = snap_out_finish(o, len, &err);
    ck_assert_msg(blob, "%s", err ? err->message : "");
    snap_out_free(o);
    return blob;
}

/* ---- snap.h ---- */

static void *sample_tree(size_t *len, size_t big)
{
    struct snap_out *o = snap_out_new();
    snap_put_str(o, "format", "test");
    snap_begin(o, "outer", 2);
    snap_put_u32(o, "a", 0xdeadbeef);
    snap_put_u64(o, "b", 0x0123456789abcdefULL);
    snap_begin(o, "inner@1", 1);
    uint8_t *data = g_malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i * 7);
    snap_put_bytes(o, "blob", data, big);
    g_free(data);
    snap_end(o);
    snap_end(o);
    GError *err = NULL;
    void *blob = snap_out_finish(o, len, &err);
    ck_assert_msg(blob, "%s", err ? err->message : "");
    snap_out_free(o);
    return blob;
}

START_TEST(test_round_trip)
{
    size_t len;
    /* 300 KiB forces the buffer to grow several times past 64 KiB. */
    void *blob = sample_tree(&len, 300 * 1024);
    struct snap_in root, outer, inner;
    GError *err = NULL;
    uint32_t a, v;
    uint64_t b;
    size_t blen;
    ck_assert(snap_in_root(blob, len, &root, &err));
    ck_assert_str_eq(snap_get_str(&root, "format", &err), "test");
    ck_assert(snap_child(&root, "outer", 2, &outer, &v, &err));
    ck_assert_uint_eq(v, 2);
    ck_assert(snap_get_u32(&outer, "a", &a, &err));
    ck_assert_uint_eq(a, 0xdeadbeef);
    ck_assert(snap_get_u64(&outer, "b", &b, &err));
    ck_assert(b == 0x0123456789abcdefULL);
    ck_assert(snap_child(&outer, "inner@1", 1, &inner, NULL, &err));
    const uint8_t *p = snap_get_blob(&inner, "blob", &blen, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(blen, 300 * 1024);
    for (size_t i = 0; i < blen; i += 4099)
        ck_assert_uint_eq(p[i], (uint8_t)(i * 7));
    ck_assert(snap_has_child(&root, "outer"));
    ck_assert(!snap_has_child(&root, "nothere"));
    ck_assert(snap_has_prop(&outer, "a"));
    ck_assert(!snap_has_prop(&outer, "zz"));
    g_free(blob);
}
END_TEST

START_TEST(test_errors_name_node_and_property)
{
    size_t len;
    void *blob = sample_tree(&len, 16);
    struct snap_in root, outer, n;
    GError *err = NULL;
    uint32_t a;
    uint64_t b;
    ck_assert(snap_in_root(blob, len, &root, NULL));
    ck_assert(snap_child(&root, "outer", 2, &outer, NULL, NULL));

    /* A u64 where a u32 is expected: wrong size. */
    ck_assert(!snap_get_u32(&outer, "b", &a, &err));
    ck_assert_msg(strstr(err->message, "outer: b: 8 bytes, expected 4"), "%s", err->message);
    g_clear_error(&err);
    ck_assert(!snap_get_u64(&outer, "missing", &b, &err));
    ck_assert_msg(strstr(err->message, "outer: missing: missing"), "%s", err->message);
    g_clear_error(&err);
    /* A section newer than this build reads. */
    ck_assert(!snap_child(&root, "outer", 1, &n, NULL, &err));
    ck_assert_msg(strstr(err->message, "version 2, this kvmkit reads 1 to 1"), "%s",
                  err->message);
    g_clear_error(&err);
    ck_assert(!snap_child(&root, "absent", 1, &n, NULL, &err));
    ck_assert_msg(strstr(err->message, "no \"absent\" section"), "%s", err->message);
    g_clear_error(&err);
    /* Not a string (no terminator). */
    ck_assert_ptr_null(snap_get_str(&outer, "a", &err));
    g_clear_error(&err);
    g_free(blob);
}
END_TEST

START_TEST(test_truncated_and_garbage_refused)
{
    size_t len;
    uint8_t *blob = sample_tree(&len, 1000);
    struct snap_in root;
    GError *err = NULL;
    for (size_t cut = 0; cut < len; cut += 37) {
        ck_assert_msg(!snap_in_root(blob, cut, &root, &err), "accepted %zu of %zu bytes",
                      cut, len);
        g_clear_error(&err);
    }
    /* Corrupt the structure block's first token. */
    uint8_t *bad = g_memdup2(blob, len);
    uint32_t off_struct = GUINT32_FROM_BE(*(uint32_t *)(bad + 8));
    bad[off_struct + 3] = 0x77;
    ck_assert(!snap_in_root(bad, len, &root, &err));
    g_clear_error(&err);
    uint8_t junk[256];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 13 + 5);
    ck_assert(!snap_in_root(junk, sizeof(junk), &root, &err));
    g_clear_error(&err);
    g_free(bad);
    g_free(blob);
}
END_TEST

START_TEST(test_unbalanced_writer_fails)
{
    struct snap_out *o = snap_out_new();
    snap_begin(o, "open", 1);
    size_t len;
    GError *err = NULL;
    ck_assert_ptr_null(snap_out_finish(o, &len, &err));
    ck_assert_ptr_nonnull(err);
    g_clear_error(&err);
    snap_out_free(o);
    o = snap_out_new();
    snap_end(o);
    ck_assert_ptr_null(snap_out_finish(o, &len, &err));
    g_clear_error(&err);
    snap_out_free(o);
}
END_TEST

/* ---- devices ---- */

struct irq_rec {
    bool level;
    unsigned sets;
};

static void irq_rec_set(void *opaque, unsigned gsi, bool level)
{
    struct irq_rec *r = opaque;
    (void)gsi;
    r->level = level;
    r->sets++;
}

static const struct irq_ops irq_rec_ops = { .set_level = irq_rec_set };

static void save_serial(void *obj, struct snap_out *o) { serial16550_save(obj, o, "serial"); }
static void save_i8042(void *obj, struct snap_out *o) { i8042_save(obj, o, "kbd"); }
static void save_rtc(void *obj, struct snap_out *o) { cmos_rtc_save(obj, o, "rtc"); }

static void wr(const struct bus_ops *ops, void *dev, uint64_t off, uint8_t v)
{
    ops->write(dev, off, &v, 1);
}

static uint8_t rd(const struct bus_ops *ops, void *dev, uint64_t off)
{
    uint8_t v = 0;
    ops->read(dev, off, &v, 1);
    return v;
}

START_TEST(test_serial_round_trip)
{
    struct irq_rec r1 = { 0 }, r2 = { 0 };
    struct serial16550 *a = serial16550_new((struct irq_line){ &irq_rec_ops, &r1, 4 }, NULL);
    const struct bus_ops *ops = &serial16550_bus_ops;
    wr(ops, a, 3, 0x80);            /* DLAB */
    wr(ops, a, 0, 0x03);            /* 38400 baud */
    wr(ops, a, 1, 0x00);
    wr(ops, a, 3, 0x1b);            /* 8E1 */
    wr(ops, a, 2, 0xc7);            /* FIFO on, trigger 14 */
    wr(ops, a, 7, 0x5a);            /* scratch */
    wr(ops, a, 4, 0x18);            /* loopback + OUT2 */
    wr(ops, a, 0, 'h');             /* looped into the RX FIFO */
    wr(ops, a, 0, 'i');
    wr(ops, a, 1, 0x01);            /* RX data interrupt on: timeout pending */
    ck_assert(r1.level);

    size_t len;
    void *blob = save_one(save_serial, a, &len);
    struct serial16550 *b = serial16550_new((struct irq_line){ &irq_rec_ops, &r2, 4 }, NULL);
    struct snap_in root;
    GError *err = NULL;
    ck_assert(snap_in_root(blob, len, &root, &err));
    ck_assert_msg(serial16550_load(b, &root, "serial", &err), "%s", err ? err->message : "");
    struct serial16550_regs ra, rb;
    serial16550_get_regs(a, &ra);
    serial16550_get_regs(b, &rb);
#define SAME(f) ck_assert_msg(ra.f == rb.f, #f ": %u vs %u", (unsigned)ra.f, (unsigned)rb.f)
    SAME(ier); SAME(iir); SAME(lcr); SAME(mcr); SAME(lsr); SAME(msr); SAME(scr);
    SAME(fcr); SAME(dll); SAME(dlm); SAME(rx_count);
#undef SAME
    ck_assert(r2.level);            /* the line follows the loaded state */
    size_t len2;
    void *blob2 = save_one(save_serial, b, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert(memcmp(blob, blob2, len) == 0);
    ck_assert_uint_eq(rd(ops, b, 0), 'h');   /* FIFO content and order kept */
    ck_assert_uint_eq(rd(ops, b, 0), 'i');
    g_free(blob);
    g_free(blob2);
    serial16550_free(a);
    serial16550_free(b);
}
END_TEST

START_TEST(test_serial_bad_fifo_refused)
{
    struct snap_out *o = snap_out_new();
    snap_begin(o, "serial", 1);
    uint8_t regs[10] = { 0 }, fifo[17] = { 0 };
    snap_put_bytes(o, "regs", regs, sizeof(regs));
    snap_put_bytes(o, "rx-fifo", fifo, sizeof(fifo));
    snap_end(o);
    size_t len;
    void *blob = snap_out_finish(o, &len, NULL);
    snap_out_free(o);
    struct serial16550 *s = serial16550_new((struct irq_line){ 0 }, NULL);
    struct snap_in root;
    GError *err = NULL;
    ck_assert(snap_in_root(blob, len, &root, NULL));
    ck_assert(!serial16550_load(s, &root, "serial", &err));
    ck_assert_msg(strstr(err->message, "rx-fifo"), "%s", err->message);
    g_clear_error(&err);
    serial16550_free(s);
    g_free(blob);
}
END_TEST

static void reset_cb(void *opaque)
{
    (*(int *)opaque)++;
}

START_TEST(test_i8042_round_trip)
{
    int resets = 0;
    struct i8042 *a = i8042_new(reset_cb, &resets), *b = i8042_new(reset_cb, &resets);
    wr(&i8042_cmd_ops, a, 0, 0x60);     /* write command byte ... */
    wr(&i8042_data_ops, a, 0, 0x45);
    wr(&i8042_cmd_ops, a, 0, 0x20);     /* ... and read it back: output buffer full */
    size_t len, len2;
    void *blob = save_one(save_i8042, a, &len);
    struct snap_in root;
    GError *err = NULL;
    ck_assert(snap_in_root(blob, len, &root, NULL));
    ck_assert_msg(i8042_load(b, &root, "kbd", &err), "%s", err ? err->message : "");
    ck_assert_uint_eq(rd(&i8042_data_ops, b, 0), 0x45);
    ck_assert_uint_eq(rd(&i8042_data_ops, a, 0), 0x45);
    void *b1 = save_one(save_i8042, a, &len);
    void *b2 = save_one(save_i8042, b, &len2);
    ck_assert(len == len2 && memcmp(b1, b2, len) == 0);
    g_free(blob);
    g_free(b1);
    g_free(b2);
    i8042_free(a);
    i8042_free(b);
}
END_TEST

static time_t fixed_now(void)
{
    return 1700000000;
}

START_TEST(test_rtc_round_trip)
{
    struct cmos_rtc *a = cmos_rtc_new(fixed_now), *b = cmos_rtc_new(fixed_now);
    wr(&cmos_rtc_ops, a, 0, 0x09);      /* year register */
    wr(&cmos_rtc_ops, a, 1, 0x30);      /* the guest sets 2030: an offset from the host */
    wr(&cmos_rtc_ops, a, 0, 0x40);      /* CMOS RAM byte */
    wr(&cmos_rtc_ops, a, 1, 0xa5);
    size_t len, len2;
    void *blob = save_one(save_rtc, a, &len);
    struct snap_in root;
    GError *err = NULL;
    ck_assert(snap_in_root(blob, len, &root, NULL));
    ck_assert_msg(cmos_rtc_load(b, &root, "rtc", &err), "%s", err ? err->message : "");
    wr(&cmos_rtc_ops, b, 0, 0x09);
    ck_assert_uint_eq(rd(&cmos_rtc_ops, b, 1), 0x30);
    wr(&cmos_rtc_ops, b, 0, 0x40);
    ck_assert_uint_eq(rd(&cmos_rtc_ops, b, 1), 0xa5);
    void *b2 = save_one(save_rtc, b, &len2);
    ck_assert(len == len2 && memcmp(blob, b2, len) == 0);
    g_free(blob);
    g_free(b2);
    cmos_rtc_free(a);
    cmos_rtc_free(b);
}
END_TEST

/* ---- machine description ---- */

START_TEST(test_config_ini_round_trip)
{
    struct vm_config a, b;
    GError *err = NULL;
    g_autofree char *dir = g_dir_make_tmp("kvmkit-snap-XXXXXX", NULL);
    g_autofree char *kernel = g_build_filename(dir, "k", NULL);
    g_autofree char *disk = g_build_filename(dir, "d.img", NULL);
    ck_assert(g_file_set_contents(kernel, "x", 1, NULL));
    ck_assert(g_file_set_contents(disk, "", 0, NULL));
    config_init(&a);
    ck_assert(config_set(&a, NULL, "machine", "cpus", "3", NULL, &err));
    ck_assert(config_set(&a, NULL, "machine", "memory", "96M", NULL, &err));
    ck_assert(config_set(&a, NULL, "boot", "kernel", kernel, NULL, &err));
    ck_assert(config_set(&a, NULL, "boot", "cmdline", "console=ttyS0 a=b\\c -- \"x y\"", NULL, &err));
    ck_assert(config_set(&a, NULL, "serial", "output", "none", NULL, &err));
    ck_assert(config_set(&a, NULL, "disk \"root\"", "path", disk, NULL, &err));
    ck_assert(config_set(&a, NULL, "disk \"root\"", "readonly", "yes", NULL, &err));
    g_autofree char *ini = config_to_ini(&a);
    config_init(&b);
    ck_assert_msg(config_load_data(&b, "saved", ini, strlen(ini), "/", &err), "%s\n%s",
                  err ? err->message : "", ini);
    ck_assert_uint_eq(b.cpus, 3);
    ck_assert(b.memory == 96ULL << 20);
    ck_assert_str_eq(b.cmdline, a.cmdline);
    ck_assert_uint_eq(b.disks->len, 1);
    g_autofree char *ini2 = config_to_ini(&b);
    ck_assert_str_eq(ini, ini2);
    config_clear(&a);
    config_clear(&b);
    unlink(kernel);
    unlink(disk);
    rmdir(dir);
}
END_TEST

/* A restore's own [disk "NAME"] path / [net "NAME"] hostfwd go onto the
 * snapshot's disk / NIC of that name; a name the snapshot lacks is refused. */
START_TEST(test_config_copy_instance_keys)
{
    struct vm_config saved, user;
    GError *err = NULL;
    g_autofree char *dir = g_dir_make_tmp("kvmkit-snap-XXXXXX", NULL);
    g_autofree char *d1 = g_build_filename(dir, "a.img", NULL);
    g_autofree char *d2 = g_build_filename(dir, "b.img", NULL);
    g_autofree char *moved = g_build_filename(dir, "moved.img", NULL);
    ck_assert(g_file_set_contents(d1, "", 0, NULL));
    ck_assert(g_file_set_contents(d2, "", 0, NULL));
    ck_assert(g_file_set_contents(moved, "", 0, NULL));
    config_init(&saved);
    ck_assert(config_set(&saved, NULL, "disk \"a\"", "path", d1, NULL, &err));
    ck_assert(config_set(&saved, NULL, "disk \"b\"", "path", d2, NULL, &err));
    ck_assert(config_set(&saved, NULL, "disk \"b\"", "readonly", "true", NULL, &err));
    ck_assert(config_set(&saved, NULL, "net \"n0\"", "hostfwd", "tcp:127.0.0.1:2000-:22",
                         NULL, &err));
    static const char *const which[] = { "disk.path", "net.hostfwd", NULL };

    config_init(&user);
    ck_assert(config_set(&user, NULL, "disk \"b\"", "path", moved, NULL, &err));
    ck_assert(config_set(&user, NULL, "net \"n0\"", "hostfwd", "tcp:127.0.0.1:3000-:22",
                         NULL, &err));
    ck_assert_msg(config_copy_keys(&saved, &user, which, &err), "%s", err ? err->message : "");
    ck_assert_uint_eq(saved.disks->len, 2);
    const struct config_disk *a = g_ptr_array_index(saved.disks, 0);
    const struct config_disk *b = g_ptr_array_index(saved.disks, 1);
    ck_assert_str_eq(a->path, d1);          /* not named by the user: kept */
    ck_assert_str_eq(b->path, moved);
    ck_assert(b->readonly);                 /* guest-visible: the snapshot's */
    const struct config_net *n = g_ptr_array_index(saved.nets, 0);
    ck_assert_str_eq(n->hostfwd, "tcp:127.0.0.1:3000-:22");
    config_clear(&user);

    config_init(&user);
    ck_assert(config_set(&user, NULL, "disk \"c\"", "path", moved, NULL, &err));
    ck_assert(!config_copy_keys(&saved, &user, which, &err));
    ck_assert_msg(strstr(err->message, "[disk \"c\"]") && strstr(err->message, "\"a\", \"b\""),
                  "%s", err->message);
    ck_assert_uint_eq(saved.disks->len, 2); /* nothing added */
    g_clear_error(&err);
    config_clear(&user);
    config_clear(&saved);
    unlink(d1);
    unlink(d2);
    unlink(moved);
    rmdir(dir);
}
END_TEST

/* A restore takes [serial] and [console] input from its own command line;
 * their defaults stay defaults there: a VM with a virtio console restores
 * without --set serial.input=none, and two explicit stdins are still
 * refused, naming both flags. */
START_TEST(test_restore_keeps_defaults_defaults)
{
    static const char *const which[] = { "serial.input", "console.input", NULL };
    struct vm_config saved, user;
    GError *err = NULL;
    config_init(&saved);
    ck_assert(config_set(&saved, NULL, "boot", "kernel", "/proc/self/exe", NULL, &err));
    ck_assert(config_set(&saved, NULL, "console", "device", "virtio", NULL, &err));
    ck_assert(config_set(&saved, NULL, "serial", "input", "stdio", NULL, &err));
    config_init(&user);
    ck_assert(config_copy_keys(&saved, &user, which, &err));
    ck_assert_msg(config_finish(&saved, &err), "%s", err ? err->message : "");
    ck_assert(!saved.serial_in_stdio);
    ck_assert(saved.console_in_stdio);
    config_clear(&user);
    config_clear(&saved);

    config_init(&saved);
    ck_assert(config_set(&saved, NULL, "boot", "kernel", "/proc/self/exe", NULL, &err));
    ck_assert(config_set(&saved, NULL, "console", "device", "virtio", NULL, &err));
    config_init(&user);
    ck_assert(config_set(&user, "--serial-input", "serial", "input", "stdio", NULL, &err));
    ck_assert(config_set(&user, "--console-input", "console", "input", "stdio", NULL, &err));
    ck_assert(config_copy_keys(&saved, &user, which, &err));
    ck_assert(!config_finish(&saved, &err));
    ck_assert_msg(strstr(err->message, "--serial-input") && strstr(err->message, "--console-input"),
                  "%s", err->message);
    g_clear_error(&err);
    config_clear(&user);
    config_clear(&saved);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("snap");
    tcase_add_test(tc, test_restore_keeps_defaults_defaults);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_errors_name_node_and_property);
    tcase_add_test(tc, test_truncated_and_garbage_refused);
    tcase_add_test(tc, test_unbalanced_writer_fails);
    suite_add_tcase(s, tc);
    tc = tcase_create("devices");
    tcase_add_test(tc, test_serial_round_trip);
    tcase_add_test(tc, test_serial_bad_fifo_refused);
    tcase_add_test(tc, test_i8042_round_trip);
    tcase_add_test(tc, test_rtc_round_trip);
    tcase_add_test(tc, test_config_ini_round_trip);
    tcase_add_test(tc, test_config_copy_instance_keys);
    suite_add_tcase(s, tc);
    return s;
}
