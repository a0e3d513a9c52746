/* SPDX-License-Identifier: MIT */
#include "vm_metrics.h"

#include "error.h"
#include "log.h"
#include "metrics.h"
#include "serial16550.h"
#include "virtio.h"
#include "vm.h"

/* Names of enum vcpu_exit_kind, as in the JSON. */
static const char *const exit_names[VCPU_EXIT_KINDS] = {
    [VCPU_EXIT_IO] = "io",
    [VCPU_EXIT_MMIO] = "mmio",
    [VCPU_EXIT_HLT] = "hlt",
    [VCPU_EXIT_SHUTDOWN] = "shutdown",
    [VCPU_EXIT_INTR] = "intr",
    [VCPU_EXIT_INTERNAL_ERROR] = "internal_error",
    [VCPU_EXIT_OTHER] = "other",
};

/* A metrics_sink that adds "key": value members to a JSON object being written. */
static void json_put(void *opaque, const char *key, uint64_t value)
{
    struct json_writer *b = opaque;
    json_member(b, key);
    json_add_int(b, (gint64)value);
}

static const char *virtio_type(uint32_t device_id)
{
    switch (device_id) {
    case 1: return "virtio-net";
    case 2: return "virtio-blk";
    case 3: return "virtio-console";
    case 4: return "virtio-rng";
    default: return "virtio";
    }
}

/* {"name": ..., "type": ..., "counters": {...}}, counters from @fn. */
static void add_device(struct json_writer *b, const char *name, const char *type,
                       void (*fn)(void *obj, const struct metrics_sink *sink), void *obj)
{
    struct metrics_sink sink = { .put = json_put, .opaque = b };
    json_begin_object(b);
    json_member(b, "name");
    json_add_string(b, name);
    json_member(b, "type");
    json_add_string(b, type);
    json_member(b, "counters");
    json_begin_object(b);
    if (fn)
        fn(obj, &sink);
    json_end_object(b);
    json_end_object(b);
}

static void serial_metrics(void *obj, const struct metrics_sink *sink)
{
    serial16550_metrics(obj, sink);
}

static void virtio_metrics(void *obj, const struct metrics_sink *sink)
{
    struct virtio_dev *dev = obj;
    dev->ops->metrics(dev, sink);
}

static void add_vm(struct vm *vm, struct json_writer *b)
{
    json_member(b, "vm");
    json_begin_object(b);
    json_member(b, "name");
    json_add_string(b, vm->cfg->name);
    json_member(b, "state");
    json_add_string(b, atomic_load(&vm->stop_reason) != VM_STOP_NONE ? "stopping"
                                     : vm_is_paused(vm) ? "paused" : "running");
    json_member(b, "uptime_ms");
    json_add_int(b, (g_get_monotonic_time() - vm->started_us) / 1000);
    json_member(b, "cpus");
    json_add_int(b, vm->n_vcpus);
    json_member(b, "memory");
    json_add_int(b, (gint64)vm->cfg->memory);
    json_end_object(b);
}

static void add_vcpus(struct vm *vm, struct json_writer *b)
{
    json_member(b, "vcpus");
    json_begin_array(b);
    for (unsigned i = 0; i < vm->n_vcpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        uint64_t total = 0;
        json_begin_object(b);
        json_member(b, "id");
        json_add_int(b, v->id);
        json_member(b, "exits");
        json_begin_object(b);
        for (unsigned k = 0; k < VCPU_EXIT_KINDS; k++) {
            uint64_t n = metrics_read(&v->exits[k]);
            json_put(b, exit_names[k], n);
            total += n;
        }
        json_end_object(b);
        json_member(b, "exits_total");
        json_add_int(b, (gint64)total);
        json_end_object(b);
    }
    json_end_array(b);
}

void vm_metrics_build(struct vm *vm, struct json_writer *b)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format_iso8601(now);
    json_member(b, "timestamp");
    json_add_string(b, stamp);
    add_vm(vm, b);
    add_vcpus(vm, b);
    json_member(b, "devices");
    json_begin_array(b);
    if (vm->serial)
        add_device(b, "ttyS0", "serial", serial_metrics, vm->serial);
    struct virtio_dev *dev;
    for (unsigned i = 0; (dev = vm_virtio_dev(vm, i)) != NULL; i++)
        add_device(b, dev->name, virtio_type(dev->device_id),
                   dev->ops->metrics ? virtio_metrics : NULL, dev);
    json_end_array(b);
}

char *vm_metrics_json(struct vm *vm)
{
    struct json_writer *b = json_writer_new();
    json_begin_object(b);
    vm_metrics_build(vm, b);
    json_end_object(b);
    return json_writer_finish(b);
}

/* ---- the periodic file ---- */

struct vm_metrics_file {
    struct vm *vm;
    char *path;
    guint timer;
};

bool vm_metrics_file_write(struct vm_metrics_file *f, GError **errp)
{
    g_autofree char *json = vm_metrics_json(f->vm);
    g_autofree char *line = g_strconcat(json, "\n", NULL);
    g_autoptr(GError) err = NULL;
    /* CONSISTENT: temp file + rename, readers see the old or the new line;
     * not DURABLE, the main loop must not wait for the disk. */
    if (!g_file_set_contents_full(f->path, line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                  &err))
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[metrics] file: %s", err->message);
    return true;
}

static gboolean on_timer(gpointer opaque)
{
    struct vm_metrics_file *f = opaque;
    g_autoptr(GError) err = NULL;
    if (!vm_metrics_file_write(f, &err))
        log_warn_once_in("metrics", "metrics-file", "%s", err->message);
    return G_SOURCE_CONTINUE;
}

struct vm_metrics_file *vm_metrics_file_new(struct vm *vm, const char *path,
                                            unsigned interval_s)
{
    struct vm_metrics_file *f = g_new0(struct vm_metrics_file, 1);
    f->vm = vm;
    f->path = g_strdup(path);
    GSource *src = g_timeout_source_new_seconds(interval_s);
    g_source_set_callback(src, on_timer, f, NULL);
    f->timer = g_source_attach(src, vm->ctx);
    g_source_unref(src);
    return f;
}

void vm_metrics_file_free(struct vm_metrics_file *f)
{
    if (!f)
        return;
    GSource *src = g_main_context_find_source_by_id(f->vm->ctx, f->timer);
    if (src)
        g_source_destroy(src);
    g_free(f->path);
    g_free(f);
}
