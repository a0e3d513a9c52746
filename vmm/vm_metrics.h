/* SPDX-License-Identifier: MIT */
/*
 * The VM's counters as JSON (schema: docs/observability.md): the VM (name,
 * state, uptime), each vCPU's exits by reason, each device's counters.
 * Read by the control socket's `metrics` command and written periodically
 * to [metrics] file. Main thread only: the VM must stay alive meanwhile;
 * vCPUs and devices may be running (every counter is read atomically).
 */
#ifndef KVMKIT_VM_METRICS_H
#define KVMKIT_VM_METRICS_H

#include <stdbool.h>
#include <glib.h>
#include "json.h"

struct vm;

/* Adds the members "timestamp", "vm", "vcpus" and "devices" to the object
 * @w is writing. */
void vm_metrics_build(struct vm *vm, struct json_writer *w);

/* The same as one JSON object on one line, without newline. Caller frees. */
char *vm_metrics_json(struct vm *vm);

struct vm_metrics_file;

/*
 * Every @interval_s seconds (a timeout on vm->ctx) replaces @path
 * atomically (temp file + rename) with vm_metrics_json() and a newline.
 * Failures are logged once, and the timer goes on. Nothing is written until
 * the first interval has passed.
 */
struct vm_metrics_file *vm_metrics_file_new(struct vm *vm, const char *path,
                                            unsigned interval_s);

/* Writes the file now (e.g. as the VM stops); false with @errp set. */
bool vm_metrics_file_write(struct vm_metrics_file *f, GError **errp);

/* Stops the timer; the file stays. NULL is fine. */
void vm_metrics_file_free(struct vm_metrics_file *f);

#endif
