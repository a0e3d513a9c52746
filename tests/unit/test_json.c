/* SPDX-License-Identifier: MIT */
/*
 * vmm/observe/json.c: what the writer produces is read back with json-glib (an
 * independent parser, linked into the tests only), and the parser is fed
 * valid and hostile texts.
 */
#include <check.h>
#include "unit_main.h"
#include <string.h>
#include <json-glib/json-glib.h>

#include "json.h"

static JsonObject *reparse(JsonParser *p, const char *text)
{
    GError *err = NULL;
    if (!json_parser_load_from_data(p, text, -1, &err))
        ck_abort_msg("json-glib rejects %s: %s", text, err->message);
    JsonNode *root = json_parser_get_root(p);
    ck_assert(JSON_NODE_HOLDS_OBJECT(root));
    return json_node_get_object(root);
}

START_TEST(test_writer)
{
    struct json_writer *w = json_writer_new();
    json_begin_object(w);
    json_member(w, "s");
    json_add_string(w, "quote \" slash \\ nl \n tab \t bell \a é");
    json_member(w, "i");
    json_add_int(w, -1234567890123LL);
    json_member(w, "d");
    json_add_double(w, 2.5);
    json_member(w, "t");
    json_add_bool(w, true);
    json_member(w, "n");
    json_add_null(w);
    json_member(w, "nulls");
    json_add_string(w, NULL);
    json_member(w, "a");
    json_begin_array(w);
    json_add_int(w, 1);
    json_begin_object(w);
    json_end_object(w);
    json_begin_array(w);
    json_end_array(w);
    json_add_string(w, "x");
    json_end_array(w);
    json_member(w, "o");
    json_begin_object(w);
    json_member(w, "k");
    json_add_bool(w, false);
    json_end_object(w);
    json_end_object(w);
    char *text = json_writer_finish(w);
    ck_assert_ptr_null(strchr(text, '\n'));    /* one line */

    JsonParser *p = json_parser_new();
    JsonObject *o = reparse(p, text);
    ck_assert_uint_eq(json_object_get_size(o), 8);
    ck_assert_str_eq(json_object_get_string_member(o, "s"),
                     "quote \" slash \\ nl \n tab \t bell \a é");
    ck_assert_int_eq(json_object_get_int_member(o, "i"), -1234567890123LL);
    ck_assert(json_object_get_double_member(o, "d") == 2.5);
    ck_assert(json_object_get_boolean_member(o, "t"));
    ck_assert(json_object_get_null_member(o, "n"));
    ck_assert(json_object_get_null_member(o, "nulls"));
    JsonArray *a = json_object_get_array_member(o, "a");
    ck_assert_uint_eq(json_array_get_length(a), 4);
    ck_assert_str_eq(json_array_get_string_element(a, 3), "x");
    ck_assert(!json_object_get_boolean_member(json_object_get_object_member(o, "o"), "k"));
    g_object_unref(p);
    g_free(text);
}
END_TEST

START_TEST(test_writer_bad_utf8)
{
    struct json_writer *w = json_writer_new();
    json_begin_object(w);
    json_member(w, "path");
    json_add_string(w, "/tmp/\xff\xfe");
    json_end_object(w);
    char *text = json_writer_finish(w);
    JsonParser *p = json_parser_new();
    JsonObject *o = reparse(p, text);
    ck_assert(g_utf8_validate(json_object_get_string_member(o, "path"), -1, NULL));
    g_object_unref(p);
    g_free(text);

    w = json_writer_new();
    json_add_double(w, 1.0 / 0.0);    /* no Inf in JSON */
    text = json_writer_finish(w);
    ck_assert_str_eq(text, "null");
    g_free(text);
}
END_TEST

START_TEST(test_parse)
{
    GError *err = NULL;
    struct json_value *v = json_parse(
        " {\"cmd\": \"snapshot\", \"path\": \"/tmp/a\\u00e9\\ud83d\\ude00\\n\", \"n\": -1.5e3,"
        " \"ok\": true, \"no\": false, \"z\": null, \"a\": [1, [], {}], \"cmd\": \"status\"} ",
        &err);
    ck_assert_msg(v, "%s", err ? err->message : "");
    ck_assert_int_eq(json_type(v), JSON_OBJECT);
    ck_assert_str_eq(json_get_string(v, "cmd", NULL), "status");   /* the last one */
    ck_assert_str_eq(json_get_string(v, "path", NULL), "/tmp/a\xc3\xa9\xf0\x9f\x98\x80\n");
    ck_assert(json_get_bool(v, "ok", false));
    ck_assert(!json_get_bool(v, "no", true));
    ck_assert(json_get_bool(v, "missing", true));
    ck_assert(json_get_bool(v, "n", true));             /* not a boolean: the default */
    ck_assert_str_eq(json_get_string(v, "n", "def"), "def");
    ck_assert_int_eq(json_type(json_get(v, "z")), JSON_NULL);
    ck_assert_int_eq(json_type(json_get(v, "a")), JSON_ARRAY);
    ck_assert_int_eq(json_type(json_get(v, "n")), JSON_NUMBER);
    ck_assert_ptr_null(json_get(v, "nothing"));
    ck_assert_ptr_null(json_get(json_get(v, "a"), "x"));   /* not an object */
    json_value_free(v);

    v = json_parse("\"just a string\"", NULL);
    ck_assert_str_eq(json_string(v), "just a string");
    ck_assert_ptr_null(json_get(v, "cmd"));
    json_value_free(v);
}
END_TEST

START_TEST(test_parse_errors)
{
    static const char *const bad[] = {
        "", "   ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}",
        "\"open", "\"ctl\x01\"", "\"\\x\"", "\"\\u12\"", "\"\\u0000\"", "\"\\udc00\"",
        "\"\\ud800x\"", "01", "-", "1.", "1e", ".5", "+1", "tru", "nul", "{} x", "[1]]",
        "{\"cmd\":\"status\"}{}", "NaN",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        struct json_value *v = json_parse(bad[i], &err);
        ck_assert_msg(!v, "accepted %s", bad[i]);
        ck_assert_msg(err && strstr(err->message, "offset"), "no error for %s", bad[i]);
        g_error_free(err);
    }
    /* Nesting is bounded: a hostile client cannot exhaust the stack. */
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    ck_assert_ptr_null(json_parse(deep->str, NULL));
    g_string_free(deep, TRUE);
    GString *ok = g_string_new(NULL);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        g_string_append_c(ok, '[');
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        g_string_append_c(ok, ']');
    struct json_value *v = json_parse(ok->str, NULL);
    ck_assert_ptr_nonnull(v);
    json_value_free(v);
    g_string_free(ok, TRUE);
}
END_TEST

/* What the writer writes, the parser reads. */
START_TEST(test_round_trip)
{
    struct json_writer *w = json_writer_new();
    json_begin_object(w);
    json_member(w, "cmd");
    json_add_string(w, "snap\"shot\x1f");
    json_member(w, "ok");
    json_add_bool(w, true);
    json_end_object(w);
    char *text = json_writer_finish(w);
    struct json_value *v = json_parse(text, NULL);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(json_get_string(v, "cmd", NULL), "snap\"shot\x1f");
    ck_assert(json_get_bool(v, "ok", false));
    json_value_free(v);
    g_free(text);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_writer);
    tcase_add_test(tc, test_writer_bad_utf8);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
