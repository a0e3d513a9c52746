/* SPDX-License-Identifier: MIT */
/*
 * A transport for one virtio device model in tests and fuzzers: it owns the
 * device's virtqueues over fake guest RAM, calls queue_notify() on the
 * caller's thread (no I/O thread, no eventfds), runs scheduled functions
 * at once, and counts interrupts and breakages instead of raising them.
 */
#ifndef KVMKIT_TEST_FAKE_TRANSPORT_H
#define KVMKIT_TEST_FAKE_TRANSPORT_H

#include <stdbool.h>

#include "virtio.h"

struct fake_transport {
    struct virtio_dev *dev;
    struct virtq queues[VIRTIO_MAX_QUEUES];
    unsigned interrupts;        /* notify() calls virtq_should_notify() let through */
    unsigned broken;            /* broken() calls */
    char why[256];              /* the first broken() message */
    unsigned config_changes;
};

/*
 * Attaches @dev (borrowed) to @t over @mem and negotiates @features: what
 * the device offers of them becomes dev->driver_features. The queues are
 * reset and not ready.
 */
void fake_transport_attach(struct fake_transport *t, struct virtio_dev *dev,
                           const struct guest_mem *mem, uint64_t features);

/*
 * Sets up queue @index (size and ring addresses) as a driver would, with
 * EVENT_IDX / INDIRECT_DESC as negotiated, and starts it. False with
 * @errp set if virtq_start() refuses the layout.
 */
bool fake_transport_start_queue(struct fake_transport *t, unsigned index, uint16_t size,
                                uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
                                GError **errp);

/* The driver notified queue @index: the device serves it now, unless broken. */
void fake_transport_kick(struct fake_transport *t, unsigned index);

#endif
