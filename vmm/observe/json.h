/* SPDX-License-Identifier: MIT */
/*
 * json: the little JSON kvmkit speaks (control socket, JSON log lines,
 * metrics). A writer that appends compact JSON to a string, and a parser
 * for the requests and replies of the control protocol (any JSON text up
 * to JSON_MAX_DEPTH levels of nesting).
 *
 * Not json-glib: that library pulls GObject, GIO and, through them,
 * libmount, libselinux, libblkid, libffi and zlib into the process; loading
 * and relocating them took ~2 ms of every start (docs/platform.md,
 * "Start-up costs"), more than the whole start-up budget.
 *
 * No shared state: each writer or parsed tree belongs to its caller and
 * may be used from any one thread at a time.
 */
#ifndef KVMKIT_JSON_H
#define KVMKIT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define JSON_MAX_DEPTH 64

/* ---- writing ---- */

struct json_writer;

/* An empty writer; json_writer_finish() or json_writer_free() ends it. */
struct json_writer *json_writer_new(void);
void json_writer_free(struct json_writer *w);

/* The text written so far (caller frees); frees @w. */
char *json_writer_finish(struct json_writer *w);

/* Containers. Inside an object, every value is preceded by json_member(). */
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_member(struct json_writer *w, const char *name);

/* Values. Strings that are not valid UTF-8 are written with U+FFFD in
 * place of the bad bytes; NULL is written as null. */
void json_add_string(struct json_writer *w, const char *s);
void json_add_int(struct json_writer *w, int64_t v);
void json_add_double(struct json_writer *w, double v);
void json_add_bool(struct json_writer *w, bool v);
void json_add_null(struct json_writer *w);

/* ---- reading ---- */

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
};

struct json_value;

/*
 * Parses @text (one complete JSON value, surrounded by optional white
 * space). NULL with @errp set (KVMKIT_ERROR_INPUT, naming the offset) if it
 * is not JSON, nests deeper than JSON_MAX_DEPTH or holds a \u0000 escape
 * (strings are C strings).
 */
struct json_value *json_parse(const char *text, GError **errp);
void json_value_free(struct json_value *v);

enum json_type json_type(const struct json_value *v);

/* Member @name of object @v (the last one if repeated); NULL if @v is not
 * an object or has no such member. */
const struct json_value *json_get(const struct json_value *v, const char *name);

/* The string in @v (owned by the tree), or NULL if @v is NULL or not a
 * string. */
const char *json_string(const struct json_value *v);

/* Member @name of object @v as a string / boolean, or @def when it is
 * missing or of another type. */
const char *json_get_string(const struct json_value *v, const char *name, const char *def);
bool json_get_bool(const struct json_value *v, const char *name, bool def);

#endif
