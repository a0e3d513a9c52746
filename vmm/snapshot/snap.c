/* SPDX-License-Identifier: MIT */
#include "snap.h"

#include <stdarg.h>
#include <string.h>
#include <libfdt.h>

#include "error.h"

#define INITIAL_SIZE (64 * 1024)

struct snap_out {
    void *buf;
    int size;
    int depth;
    int err;            /* first libfdt error, 0 if none */
    const char *err_where;
};

/* Runs one libfdt write call, growing the buffer while it says NOSPACE. */
#define SNAP_DO(o, where, call)                                          \
    do {                                                                 \
        if ((o)->err)                                                    \
            break;                                                       \
        int r_;                                                          \
        while ((r_ = (call)) == -FDT_ERR_NOSPACE && grow(o))             \
            ;                                                            \
        if (r_ < 0) {                                                    \
            (o)->err = r_;                                               \
            (o)->err_where = (where);                                    \
        }                                                                \
    } while (0)

static bool grow(struct snap_out *o)
{
    if (o->size > (1 << 30))
        return false;
    int size = o->size * 2;
    void *buf = g_malloc(size);
    if (fdt_resize(o->buf, buf, size) < 0) {
        g_free(buf);
        return false;
    }
    g_free(o->buf);
    o->buf = buf;
    o->size = size;
    return true;
}

struct snap_out *snap_out_new(void)
{
    struct snap_out *o = g_new0(struct snap_out, 1);
    o->size = INITIAL_SIZE;
    o->buf = g_malloc(o->size);
    SNAP_DO(o, "create", fdt_create(o->buf, o->size));
    SNAP_DO(o, "reserve map", fdt_finish_reservemap(o->buf));
    SNAP_DO(o, "root", fdt_begin_node(o->buf, ""));
    return o;
}

void snap_out_free(struct snap_out *o)
{
    if (!o)
        return;
    g_free(o->buf);
    g_free(o);
}

void snap_begin(struct snap_out *o, const char *node, uint32_t version)
{
    SNAP_DO(o, node, fdt_begin_node(o->buf, node));
    o->depth++;
    snap_put_u32(o, "version", version);
}

void snap_end(struct snap_out *o)
{
    if (o->depth == 0 && !o->err) {
        o->err = -FDT_ERR_BADSTRUCTURE;
        o->err_where = "unbalanced snap_end";
        return;
    }
    o->depth--;
    SNAP_DO(o, "end node", fdt_end_node(o->buf));
}

void snap_put_bytes(struct snap_out *o, const char *prop, const void *data, size_t len)
{
    if (len > INT32_MAX && !o->err) {
        o->err = -FDT_ERR_BADVALUE;
        o->err_where = prop;
    }
    SNAP_DO(o, prop, fdt_property(o->buf, prop, data, (int)len));
}

void snap_put_u32(struct snap_out *o, const char *prop, uint32_t v)
{
    fdt32_t be = cpu_to_fdt32(v);
    snap_put_bytes(o, prop, &be, sizeof(be));
}

void snap_put_u64(struct snap_out *o, const char *prop, uint64_t v)
{
    fdt64_t be = cpu_to_fdt64(v);
    snap_put_bytes(o, prop, &be, sizeof(be));
}

void snap_put_str(struct snap_out *o, const char *prop, const char *s)
{
    snap_put_bytes(o, prop, s, strlen(s) + 1);
}

void *snap_out_finish(struct snap_out *o, size_t *len, GError **errp)
{
    if (o->depth != 0 && !o->err) {
        o->err = -FDT_ERR_BADSTRUCTURE;
        o->err_where = "unclosed node";
    }
    SNAP_DO(o, "root", fdt_end_node(o->buf));
    SNAP_DO(o, "finish", fdt_finish(o->buf));
    if (o->err) {
        kvmkit_fail(errp, KVMKIT_ERROR_INTERNAL, "building the snapshot state tree (%s): %s",
                    o->err_where, fdt_strerror(o->err));
        return NULL;
    }
    *len = fdt_totalsize(o->buf);
    void *out = o->buf;
    o->buf = NULL;
    return out;
}

/* ---- reading ---- */

bool snap_bad(const struct snap_in *n, const char *prop, GError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "snapshot state %s%s%s: %s",
                       n->path[0] ? n->path : "/", prop ? ": " : "", prop ? prop : "", why);
}

bool snap_in_root(const void *fdt, size_t len, struct snap_in *root, GError **errp)
{
    int r = len < sizeof(struct fdt_header) ? -FDT_ERR_TRUNCATED : fdt_check_full(fdt, len);
    if (r < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "snapshot state is not a valid "
                           "device tree: %s", fdt_strerror(r));
    *root = (struct snap_in){ .fdt = fdt, .node = 0 };
    return true;
}

bool snap_has_prop(const struct snap_in *n, const char *prop)
{
    return fdt_getprop(n->fdt, n->node, prop, NULL) != NULL;
}

bool snap_has_child(const struct snap_in *parent, const char *name)
{
    return fdt_subnode_offset(parent->fdt, parent->node, name) >= 0;
}

bool snap_child(const struct snap_in *parent, const char *name, uint32_t max_version,
                struct snap_in *child, uint32_t *version, GError **errp)
{
    int off = fdt_subnode_offset(parent->fdt, parent->node, name);
    if (off < 0)
        return snap_bad(parent, NULL, errp, "no \"%s\" section", name);
    *child = (struct snap_in){ .fdt = parent->fdt, .node = off };
    g_snprintf(child->path, sizeof(child->path), "%s%s%s", parent->path,
               parent->path[0] ? "/" : "", name);
    uint32_t v;
    if (!snap_get_u32(child, "version", &v, errp))
        return false;
    if (v < 1 || v > max_version)
        return snap_bad(child, "version", errp, "version %u, this kvmkit reads 1 to %u",
                        v, max_version);
    if (version)
        *version = v;
    return true;
}

const void *snap_get_blob(const struct snap_in *n, const char *prop, size_t *len,
                          GError **errp)
{
    int l;
    const void *p = fdt_getprop(n->fdt, n->node, prop, &l);
    if (!p) {
        snap_bad(n, prop, errp, "missing");
        return NULL;
    }
    *len = (size_t)l;
    return p;
}

bool snap_get_bytes(const struct snap_in *n, const char *prop, void *buf, size_t len,
                    GError **errp)
{
    size_t l;
    const void *p = snap_get_blob(n, prop, &l, errp);
    if (!p)
        return false;
    if (l != len)
        return snap_bad(n, prop, errp, "%zu bytes, expected %zu", l, len);
    memcpy(buf, p, len);
    return true;
}

bool snap_get_u32(const struct snap_in *n, const char *prop, uint32_t *v, GError **errp)
{
    fdt32_t be;
    if (!snap_get_bytes(n, prop, &be, sizeof(be), errp))
        return false;
    *v = fdt32_to_cpu(be);
    return true;
}

bool snap_get_u64(const struct snap_in *n, const char *prop, uint64_t *v, GError **errp)
{
    fdt64_t be;
    if (!snap_get_bytes(n, prop, &be, sizeof(be), errp))
        return false;
    *v = fdt64_to_cpu(be);
    return true;
}

const char *snap_get_str(const struct snap_in *n, const char *prop, GError **errp)
{
    size_t l;
    const char *p = snap_get_blob(n, prop, &l, errp);
    if (!p)
        return NULL;
    if (l == 0 || p[l - 1] != '\0' || strlen(p) != l - 1) {
        snap_bad(n, prop, errp, "not a string");
        return NULL;
    }
    return p;
}
