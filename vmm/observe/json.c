/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <math.h>
#include <string.h>

#include "error.h"

/* ---- writing ---- */

struct json_writer {
    GString *out;
    /* One bit per open container: set once it holds a value, so the next
     * one needs a comma. Containers deeper than 64 never happen here. */
    uint64_t has_value;
    unsigned depth;
    bool after_member;      /* a member name was written, its value is next */
};

struct json_writer *json_writer_new(void)
{
    struct json_writer *w = g_new0(struct json_writer, 1);
    w->out = g_string_new(NULL);
    return w;
}

void json_writer_free(struct json_writer *w)
{
    if (!w)
        return;
    g_string_free(w->out, TRUE);
    g_free(w);
}

char *json_writer_finish(struct json_writer *w)
{
    char *s = g_string_free(w->out, FALSE);
    g_free(w);
    return s;
}

/* Before a value or a member name: the comma, if one is due. */
static void separate(struct json_writer *w)
{
    if (w->after_member) {
        w->after_member = false;
        return;
    }
    uint64_t bit = 1ULL << (w->depth & 63);
    if (w->has_value & bit)
        g_string_append_c(w->out, ',');
    w->has_value |= bit;
}

static void open_container(struct json_writer *w, char c)
{
    separate(w);
    g_string_append_c(w->out, c);
    w->depth++;
    w->has_value &= ~(1ULL << (w->depth & 63));
}

static void close_container(struct json_writer *w, char c)
{
    g_return_if_fail(w->depth > 0);
    w->depth--;
    g_string_append_c(w->out, c);
}

void json_begin_object(struct json_writer *w)
{
    open_container(w, '{');
}

void json_end_object(struct json_writer *w)
{
    close_container(w, '}');
}

void json_begin_array(struct json_writer *w)
{
    open_container(w, '[');
}

void json_end_array(struct json_writer *w)
{
    close_container(w, ']');
}

/* RFC 8259 section 7: the two-character escapes, as written after '\'
 * and what they stand for ('/' is only ever read). */
static const struct {
    char name;
    char value;
} escapes[] = {
    { '"', '"' }, { '\\', '\\' }, { 'b', '\b' }, { 'f', '\f' }, { 'n', '\n' },
    { 'r', '\r' }, { 't', '\t' }, { '/', '/' },
};

/* The escape name of @c when writing, 0 if it has none. */
static char escape_name(unsigned char c)
{
    for (size_t i = 0; i < G_N_ELEMENTS(escapes) - 1; i++)
        if ((unsigned char)escapes[i].value == c)
            return escapes[i].name;
    return 0;
}

/* What escape @name stands for when reading, 0 if it is none. */
static char escape_value(char name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(escapes); i++)
        if (escapes[i].name == name)
            return escapes[i].value;
    return 0;
}

/* '"', '\' and the control characters are escaped. */
static void append_quoted(GString *out, const char *s)
{
    g_autofree char *valid = g_utf8_make_valid(s, -1);
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
        char name = escape_name(*p);
        if (name)
            g_string_append_printf(out, "\\%c", name);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    g_string_append_c(out, '"');
}

void json_member(struct json_writer *w, const char *name)
{
    separate(w);
    append_quoted(w->out, name);
    g_string_append_c(w->out, ':');
    w->after_member = true;
}

void json_add_string(struct json_writer *w, const char *s)
{
    if (!s) {
        json_add_null(w);
        return;
    }
    separate(w);
    append_quoted(w->out, s);
}

void json_add_int(struct json_writer *w, int64_t v)
{
    separate(w);
    g_string_append_printf(w->out, "%" G_GINT64_FORMAT, v);
}

void json_add_double(struct json_writer *w, double v)
{
    separate(w);
    if (!isfinite(v)) {     /* JSON has no Inf/NaN */
        g_string_append(w->out, "null");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(w->out, g_ascii_dtostr(buf, sizeof(buf), v));
}

void json_add_bool(struct json_writer *w, bool v)
{
    separate(w);
    g_string_append(w->out, v ? "true" : "false");
}

void json_add_null(struct json_writer *w)
{
    separate(w);
    g_string_append(w->out, "null");
}

/* ---- reading ---- */

struct json_member_value {
    char *name;
    struct json_value *value;
};

struct json_value {
    enum json_type type;
    bool boolean;
    double number;
    char *string;
    GPtrArray *items;       /* JSON_ARRAY: struct json_value *;
                               JSON_OBJECT: struct json_member_value * */
};

void json_value_free(struct json_value *v)
{
    if (!v)
        return;
    g_free(v->string);
    if (v->items)
        g_ptr_array_free(v->items, TRUE);
    g_free(v);
}

static void member_free(gpointer p)
{
    struct json_member_value *m = p;
    g_free(m->name);
    json_value_free(m->value);
    g_free(m);
}

struct parser {
    const char *text;
    const char *p;
    GError **errp;
};

static bool parse_fail(struct parser *ps, const char *what)
{
    return kvmkit_fail(ps->errp, KVMKIT_ERROR_INPUT, "%s at offset %td", what, ps->p - ps->text);
}

static void skip_ws(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static bool literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(ps->p, word, n) != 0)
        return parse_fail(ps, "unexpected character");
    ps->p += n;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = g_ascii_xdigit_value(p[i]);
        if (c < 0)
            return -1;
        v = v * 16 + c;
    }
    return v;
}

/* A string; *ps->p is the opening quote. Returns it in *out (g_free). */
static bool parse_string(struct parser *ps, char **out)
{
    GString *s = g_string_new(NULL);
    ps->p++;
    for (;;) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20) {
            g_string_free(s, TRUE);
            return parse_fail(ps, c ? "control character in a string" : "unterminated string");
        }
        if (c != '\\') {
            g_string_append_c(s, (char)c);
            ps->p++;
            continue;
        }
        char e = ps->p[1];
        if (!e)
            goto bad_escape;
        ps->p += 2;
        if (escape_value(e)) {
            g_string_append_c(s, escape_value(e));
            continue;
        }
        /* \uXXXX; hex4() stops at the terminating NUL, if any. */
        int u = e == 'u' ? hex4(ps->p) : -1;
        if (u < 0)
            goto bad_escape;
        ps->p += 4;
        gunichar ch = u;
        if (u >= 0xd800 && u < 0xdc00) {    /* a surrogate pair */
            int lo = ps->p[0] == '\\' && ps->p[1] == 'u' ? hex4(ps->p + 2) : -1;
            if (lo < 0xdc00 || lo > 0xdfff)
                goto bad_escape;
            ps->p += 6;
            ch = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        } else if (u >= 0xdc00 && u <= 0xdfff) {
            goto bad_escape;
        }
        if (ch == 0)
            goto bad_escape;    /* would cut the C string short */
        g_string_append_unichar(s, ch);
    }
    *out = g_string_free(s, FALSE);
    return true;
bad_escape:
    g_string_free(s, TRUE);
    return parse_fail(ps, "bad escape in a string");
}

/* RFC 8259 section 6 grammar, checked by hand; strtod does the value. */
static bool parse_number(struct parser *ps, double *out)
{
    const char *start = ps->p, *p = ps->p;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (g_ascii_isdigit(*p))
        while (g_ascii_isdigit(*p))
            p++;
    else
        return parse_fail(ps, "bad number");
    if (*p == '.') {
        if (!g_ascii_isdigit(*++p))
            return parse_fail(ps, "bad number");
        while (g_ascii_isdigit(*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!g_ascii_isdigit(*p))
            return parse_fail(ps, "bad number");
        while (g_ascii_isdigit(*p))
            p++;
    }
    *out = g_ascii_strtod(start, NULL);
    ps->p = p;
    return true;
}

static struct json_value *parse_value(struct parser *ps, unsigned depth);

static bool parse_items(struct parser *ps, struct json_value *v, unsigned depth)
{
    bool object = v->type == JSON_OBJECT;
    char close = object ? '}' : ']';
    v->items = g_ptr_array_new_with_free_func(object ? member_free
                                                     : (GDestroyNotify)json_value_free);
    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) {
        ps->p++;
        return true;
    }
    for (;;) {
        char *name = NULL;
        skip_ws(ps);
        if (object) {
            if (*ps->p != '"')
                return parse_fail(ps, "expected a member name");
            if (!parse_string(ps, &name))
                return false;
            skip_ws(ps);
            if (*ps->p != ':') {
                g_free(name);
                return parse_fail(ps, "expected ':'");
            }
            ps->p++;
        }
        struct json_value *item = parse_value(ps, depth + 1);
        if (!item) {
            g_free(name);
            return false;
        }
        if (object) {
            struct json_member_value *m = g_new(struct json_member_value, 1);
            m->name = name;
            m->value = item;
            g_ptr_array_add(v->items, m);
        } else {
            g_ptr_array_add(v->items, item);
        }
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return true;
        }
        return parse_fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static struct json_value *parse_value(struct parser *ps, unsigned depth)
{
    if (depth > JSON_MAX_DEPTH) {
        parse_fail(ps, "nested too deeply");
        return NULL;
    }
    skip_ws(ps);
    struct json_value *v = g_new0(struct json_value, 1);
    bool ok;
    switch (*ps->p) {
    case '{':
        v->type = JSON_OBJECT;
        ok = parse_items(ps, v, depth);
        break;
    case '[':
        v->type = JSON_ARRAY;
        ok = parse_items(ps, v, depth);
        break;
    case '"':
        v->type = JSON_STRING;
        ok = parse_string(ps, &v->string);
        break;
    case 't':
        v->type = JSON_BOOL;
        v->boolean = true;
        ok = literal(ps, "true");
        break;
    case 'f':
        v->type = JSON_BOOL;
        ok = literal(ps, "false");
        break;
    case 'n':
        v->type = JSON_NULL;
        ok = literal(ps, "null");
        break;
    case '\0':
        ok = parse_fail(ps, "unexpected end of text");
        break;
    default:
        v->type = JSON_NUMBER;
        ok = parse_number(ps, &v->number);
    }
    if (!ok) {
        json_value_free(v);
        return NULL;
    }
    return v;
}

struct json_value *json_parse(const char *text, GError **errp)
{
    struct parser ps = { .text = text, .p = text, .errp = errp };
    struct json_value *v = parse_value(&ps, 0);
    if (!v)
        return NULL;
    skip_ws(&ps);
    if (*ps.p) {
        parse_fail(&ps, "text after the value");
        json_value_free(v);
        return NULL;
    }
    return v;
}

enum json_type json_type(const struct json_value *v)
{
    return v->type;
}

const struct json_value *json_get(const struct json_value *v, const char *name)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (guint i = v->items->len; i-- > 0;) {
        const struct json_member_value *m = g_ptr_array_index(v->items, i);
        if (strcmp(m->name, name) == 0)
            return m->value;
    }
    return NULL;
}

const char *json_string(const struct json_value *v)
{
    return v && v->type == JSON_STRING ? v->string : NULL;
}

const char *json_get_string(const struct json_value *v, const char *name, const char *def)
{
    const char *s = json_string(json_get(v, name));
    return s ? s : def;
}

bool json_get_bool(const struct json_value *v, const char *name, bool def)
{
    const struct json_value *m = json_get(v, name);
    return m && m->type == JSON_BOOL ? m->boolean : def;
}
