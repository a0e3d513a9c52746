/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/observe/log.c: the line the writer makes of a structured
 * message, as text and as JSON; log_warn_once_in() through the installed
 * writer into a file.
 */
#include "log.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

/* 2024-05-06T07:08:09.012345Z */
#define TIME_US (G_GINT64_CONSTANT(1714979289) * G_USEC_PER_SEC + 12345)

static char *line(enum log_format format, GLogLevelFlags level, const char *component,
                  const char *msg, const char *vm)
{
    GLogField fields[3] = {
        { "MESSAGE", msg, -1 },
        { "PRIORITY", "4", -1 },
        { LOG_FIELD_COMPONENT, component, -1 },
    };
    return log_format_line(format, level, fields, component ? 3 : 2, vm, TIME_US);
}

START_TEST(test_text)
{
    g_autofree char *w = line(LOG_FORMAT_TEXT, G_LOG_LEVEL_WARNING, "vcpu", "odd", "vm1");
    ck_assert_str_eq(w, "kvmkit: warning: odd\n");
    g_autofree char *e = line(LOG_FORMAT_TEXT, G_LOG_LEVEL_CRITICAL, "vcpu",
                              "vCPU 0: triple fault", "vm1");
    ck_assert_str_eq(e, "kvmkit: error: vCPU 0: triple fault\n");
    g_autofree char *m = line(LOG_FORMAT_TEXT, G_LOG_LEVEL_MESSAGE, NULL, "hello", NULL);
    ck_assert_str_eq(m, "kvmkit: hello\n");
    g_autofree char *d = line(LOG_FORMAT_TEXT, G_LOG_LEVEL_DEBUG, "net", "x", NULL);
    ck_assert_str_eq(d, "kvmkit: x\n");
}
END_TEST

/* Parses a JSON line (one object, one trailing newline, no other). */
static JsonObject *parse(JsonParser *p, const char *text)
{
    size_t len = strlen(text);
    ck_assert_uint_gt(len, 1);
    ck_assert_int_eq(text[len - 1], '\n');
    ck_assert_ptr_null(memchr(text, '\n', len - 1));
    ck_assert(json_parser_load_from_data(p, text, len - 1, NULL));
    JsonNode *root = json_parser_get_root(p);
    ck_assert(JSON_NODE_HOLDS_OBJECT(root));
    return json_node_get_object(root);
}

START_TEST(test_json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *w = line(LOG_FORMAT_JSON, G_LOG_LEVEL_WARNING, "virtio-blk",
                              "disk0: \"quoted\"\nand a newline", "web-1");
    JsonObject *o = parse(p, w);
    ck_assert_uint_eq(json_object_get_size(o), 5);
    ck_assert_str_eq(json_object_get_string_member(o, "timestamp"),
                     "2024-05-06T07:08:09.012345Z");
    ck_assert_str_eq(json_object_get_string_member(o, "level"), "warning");
    ck_assert_str_eq(json_object_get_string_member(o, "component"), "virtio-blk");
    ck_assert_str_eq(json_object_get_string_member(o, "vm"), "web-1");
    ck_assert_str_eq(json_object_get_string_member(o, "message"),
                     "disk0: \"quoted\"\nand a newline");

    /* No component: "kvmkit"; no VM name yet: null; levels by name. */
    g_autoptr(JsonParser) p2 = json_parser_new();
    g_autofree char *m = line(LOG_FORMAT_JSON, G_LOG_LEVEL_MESSAGE, NULL, "hi", NULL);
    o = parse(p2, m);
    ck_assert_str_eq(json_object_get_string_member(o, "component"), "kvmkit");
    ck_assert(json_object_get_null_member(o, "vm"));
    ck_assert_str_eq(json_object_get_string_member(o, "level"), "info");
    g_autoptr(JsonParser) p3 = json_parser_new();
    g_autofree char *e = line(LOG_FORMAT_JSON, G_LOG_LEVEL_CRITICAL, "vcpu", "x", "v");
    ck_assert_str_eq(json_object_get_string_member(parse(p3, e), "level"), "error");
    g_autoptr(JsonParser) p4 = json_parser_new();
    g_autofree char *d = line(LOG_FORMAT_JSON, G_LOG_LEVEL_DEBUG, "vcpu", "x", "v");
    ck_assert_str_eq(json_object_get_string_member(parse(p4, d), "level"), "debug");
}
END_TEST

/* Through glib: log_init(), log_configure() to a file, warnings once,
 * debug filtered by the level, g_message() without a component. */
START_TEST(test_writer_to_file)
{
    g_autofree char *dir = g_dir_make_tmp("kvmkit-log-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "kvmkit.log", NULL);
    log_init();
    ck_assert(log_configure(LOG_FORMAT_JSON, LOG_LEVEL_INFO, "t1", path, NULL));
    log_warn_once_in("virtio-mmio", "k1", "broke %d", 1);
    log_warn_once_in("virtio-mmio", "k1", "broke %d", 2);
    kvmkit_log(G_LOG_LEVEL_DEBUG, "vcpu", "not written");
    g_message("plain %s", "message");
    g_autoptr(GError) err = NULL;
    ck_assert(!log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO, "t1", "/nonexistent/dir/x.log",
                             &err));
    ck_assert_ptr_nonnull(strstr(err->message, "[log] file: cannot open /nonexistent/dir/x.log"));
    ck_assert(log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG, "t1", path, NULL));
    kvmkit_log(G_LOG_LEVEL_DEBUG, "vcpu", "now written");

    g_autofree char *text = NULL;
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 4);     /* 3 lines and "" after the last */
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *l0 = g_strconcat(lines[0], "\n", NULL);
    JsonObject *o = parse(p, l0);
    ck_assert_str_eq(json_object_get_string_member(o, "component"), "virtio-mmio");
    ck_assert_str_eq(json_object_get_string_member(o, "vm"), "t1");
    ck_assert_str_eq(json_object_get_string_member(o, "message"),
                     "broke 1 (further messages of this kind suppressed)");
    g_autoptr(JsonParser) p2 = json_parser_new();
    g_autofree char *l1 = g_strconcat(lines[1], "\n", NULL);
    o = parse(p2, l1);
    ck_assert_str_eq(json_object_get_string_member(o, "component"), "kvmkit");
    ck_assert_str_eq(json_object_get_string_member(o, "message"), "plain message");
    ck_assert_str_eq(lines[2], "kvmkit: now written");
    ck_assert(log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO, NULL, NULL, NULL));
    unlink(path);
    rmdir(dir);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_writer_to_file);
    suite_add_tcase(s, tc);
    return s;
}
