/* SPDX-License-Identifier: MIT */
/*
 * State sections for snapshots: a thin layer over libfdt so that each
 * object (a vCPU, the 16550, a virtqueue, ...) writes and reads its own
 * named node with a "version" property, and nothing else.
 *
 * Writing: snap_out_new() -> snap_begin(node, version) / snap_put_*() /
 * snap_end() ... -> snap_out_finish(). Errors (out of memory in libfdt,
 * unbalanced nodes) are sticky and reported once by snap_out_finish(), so
 * save functions need no error paths of their own.
 *
 * Reading: snap_in_root() over a validated blob, then snap_child() to
 * enter a node (checking its version is one this build reads) and
 * snap_get_*() for properties. Every getter checks the property exists
 * and has exactly the expected size, and names node and property in the
 * error: a corrupted or foreign snapshot is refused, never trusted.
 *
 * Multi-byte integers are stored big-endian (the device tree convention,
 * so `dtc -I dtb -O dts` shows them as cells); byte blobs (raw KVM
 * structures) are stored as they are.
 */
#ifndef KVMKIT_SNAP_H
#define KVMKIT_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

struct snap_out;

struct snap_out *snap_out_new(void);
void snap_out_free(struct snap_out *o);

void snap_begin(struct snap_out *o, const char *node, uint32_t version);
void snap_end(struct snap_out *o);
void snap_put_u32(struct snap_out *o, const char *prop, uint32_t v);
void snap_put_u64(struct snap_out *o, const char *prop, uint64_t v);
void snap_put_bytes(struct snap_out *o, const char *prop, const void *data, size_t len);
void snap_put_str(struct snap_out *o, const char *prop, const char *s);

/* Closes the tree; returns the blob (caller frees with g_free) or NULL. */
void *snap_out_finish(struct snap_out *o, size_t *len, GError **errp);

/* A node of a blob being read; the blob must outlive it. */
struct snap_in {
    const void *fdt;
    int node;
    char path[128];     /* for messages: "cpus/cpu@0" */
};

/* Checks @fdt is a well-formed device tree of @len bytes; the root node. */
bool snap_in_root(const void *fdt, size_t len, struct snap_in *root, GError **errp);

/*
 * Enters child @name of @parent, which must exist and carry a version in
 * [1, @max_version] (stored in *@version if not NULL).
 */
bool snap_child(const struct snap_in *parent, const char *name, uint32_t max_version,
                struct snap_in *child, uint32_t *version, GError **errp);

/* True if @n has a property called @prop. */
bool snap_has_prop(const struct snap_in *n, const char *prop);

/* True if @parent has a child called @name. */
bool snap_has_child(const struct snap_in *parent, const char *name);

bool snap_get_u32(const struct snap_in *n, const char *prop, uint32_t *v, GError **errp);
bool snap_get_u64(const struct snap_in *n, const char *prop, uint64_t *v, GError **errp);
/* Exactly @len bytes into @buf. */
bool snap_get_bytes(const struct snap_in *n, const char *prop, void *buf, size_t len,
                    GError **errp);
/* Any length; pointer into the blob. */
const void *snap_get_blob(const struct snap_in *n, const char *prop, size_t *len,
                          GError **errp);
/* A NUL-terminated string; pointer into the blob. */
const char *snap_get_str(const struct snap_in *n, const char *prop, GError **errp);

/* A value out of range on load: "NODE: PROP: WHY". Returns false. */
bool snap_bad(const struct snap_in *n, const char *prop, GError **errp, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

#endif
