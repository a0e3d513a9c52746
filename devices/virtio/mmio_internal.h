/* SPDX-License-Identifier: MIT */
/*
 * What the two files of the virtio-mmio transport share (mmio.c, the
 * registers, I/O thread and lifecycle; mmio_snap.c, its snapshot
 * section). Private to them.
 */
#ifndef KVMKIT_VIRTIO_MMIO_INTERNAL_H
#define KVMKIT_VIRTIO_MMIO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "mmio.h"

/* InterruptStatus bits (virtio 1.2, 4.2.2). */
#define INT_USED_BUFFER 1
#define INT_CONFIG_CHANGE 2

struct virtio_mmio {
    struct virtio_dev *dev;
    const struct guest_mem *mem;
    struct virtio_mmio_irq irq;

    /* Guards everything below except interrupt_status; held by the I/O
     * thread while it serves queues. */
    GMutex lock;
    uint32_t status;
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
    uint64_t driver_features;
    uint32_t config_generation;
    bool broken;
    struct virtq queues[VIRTIO_MAX_QUEUES];

    unsigned interrupt_status;  /* atomic */

    int notify_fd[VIRTIO_MAX_QUEUES];
    int stop_fd;
    GMainContext *io_ctx;
    GMainLoop *io_loop;
    GThread *io_thread;
};

/* Signals the eventfd @fd (a queue's notifier: the I/O thread looks at the
 * queue). Any thread. */
void virtio_mmio_kick(int fd);

/* Back to the state after power-on: status, selectors, features and
 * interrupt status 0, every queue reset, then the device's reset op.
 * Caller holds t->lock. */
void virtio_mmio_device_reset(struct virtio_mmio *t);

#endif
