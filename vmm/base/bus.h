/* SPDX-License-Identifier: MIT */
/*
 * An address bus (port I/O or MMIO): devices register non-overlapping
 * ranges with an ops table; an access is dispatched to the one device whose
 * range contains it, with the offset relative to the range's start.
 *
 * Registration happens while the VM is built (one thread). Dispatch is
 * lock-free and may run concurrently on every vCPU thread; devices do their
 * own locking.
 */
#ifndef KVMKIT_BUS_H
#define KVMKIT_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

struct bus_ops {
    /* Fill @data[0..size) for a read at @offset. size is 1, 2, 4 or 8. */
    void (*read)(void *opaque, uint64_t offset, uint8_t *data, unsigned size);
    void (*write)(void *opaque, uint64_t offset, const uint8_t *data, unsigned size);
};

struct bus_range {
    uint64_t base;
    uint64_t len;
    const struct bus_ops *ops;
    void *opaque;
    const char *name;   /* for messages; not owned, must outlive the bus */
};

struct bus {
    const char *name;   /* "pio" or "mmio" */
    GArray *ranges;     /* struct bus_range, sorted by base */
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);

/*
 * Adds [base, base + len). Fails with a message naming both devices if it
 * overlaps a registered range, or if len is 0 or the range wraps.
 */
bool bus_register(struct bus *bus, uint64_t base, uint64_t len,
                  const struct bus_ops *ops, void *opaque, const char *name,
                  GError **errp);

/* The range containing [addr, addr + size), or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned size);

/*
 * Dispatches an access. Returns false if no device claims it; a read then
 * fills @data with 0xff (an empty ISA/MMIO bus reads as all ones).
 */
bool bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned size);
bool bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, unsigned size);

#endif
