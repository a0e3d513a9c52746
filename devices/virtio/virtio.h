/* SPDX-License-Identifier: MIT */
/*
 * What a virtio device model sees of its transport (virtio 1.2, section 2
 * "Basic Facilities of a Virtio Device"). A device fills in struct
 * virtio_dev (id, features, queues, ops) and then only calls the
 * virtio_dev_*() functions below; it never knows the transport.
 *
 * Threads: queue_notify() and everything a device does with its queues
 * runs on the device's I/O thread (one per device, owned by the
 * transport). config_read/write() run on vCPU threads. activate() and
 * reset() run on a vCPU thread while the I/O thread is quiescent.
 */
#ifndef KVMKIT_VIRTIO_H
#define KVMKIT_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "virtq.h"

/* Feature bits (virtio 1.2, section 6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE  1
#define VIRTIO_STATUS_DRIVER       2
#define VIRTIO_STATUS_DRIVER_OK    4
#define VIRTIO_STATUS_FEATURES_OK  8
#define VIRTIO_STATUS_NEEDS_RESET  64
#define VIRTIO_STATUS_FAILED       128

#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;
struct snap_out;
struct snap_in;
struct metrics_sink;

struct virtio_dev_ops {
    void (*config_read)(struct virtio_dev *dev, uint64_t offset, uint8_t *data, unsigned size);
    void (*config_write)(struct virtio_dev *dev, uint64_t offset, const uint8_t *data, unsigned size);
    /* The driver set DRIVER_OK; dev->driver_features is final. */
    void (*activate)(struct virtio_dev *dev);
    /* The driver made buffers available on @queue (I/O thread). */
    void (*queue_notify)(struct virtio_dev *dev, unsigned queue);
    /* The driver reset the device: drop in-flight state. */
    void (*reset)(struct virtio_dev *dev);
    /*
     * Snapshots (optional; see snap.h). save() writes the device's own
     * state as one child node of @o; load() reads it back from child of
     * @parent and refuses a snapshot that does not fit this device (a disk
     * of another size). Both run with the device quiescent (VM paused);
     * load() runs before activate().
     */
    void (*save)(struct virtio_dev *dev, struct snap_out *o);
    bool (*load)(struct virtio_dev *dev, const struct snap_in *parent, GError **errp);
    /* Makes durable everything the guest was told is done (optional; VM
     * paused, before a snapshot is committed: its RAM may cache data the
     * guest wrote but never flushed). False with @errp set. */
    bool (*sync)(struct virtio_dev *dev, GError **errp);
    /* Counters (optional; see metrics.h): one put() per counter, from the
     * main thread while the device runs, so only atomics may be read. */
    void (*metrics)(struct virtio_dev *dev, const struct metrics_sink *sink);
};

struct virtio_transport_ops {
    struct virtq *(*queue)(struct virtio_dev *dev, unsigned index);
    void (*notify)(struct virtio_dev *dev, unsigned index);
    void (*config_changed)(struct virtio_dev *dev);
    void (*broken)(struct virtio_dev *dev, const char *why);
    void (*schedule)(struct virtio_dev *dev, void (*fn)(struct virtio_dev *dev, void *data),
                     void *data);
};

struct virtio_dev {
    /* Filled by the device (virtio_dev_init()). */
    const char *name;                   /* for messages, e.g. "virtio-blk root" */
    uint32_t device_id;                 /* 2 block, 1 net, 3 console, 4 entropy */
    uint64_t host_features;
    unsigned n_queues;
    uint16_t queue_max;
    const struct virtio_dev_ops *ops;
    /*
     * Longest the transport's I/O thread may busy-poll a queue for more
     * buffers after serving it, instead of sleeping until the driver's
     * next notification (0: never poll). The transport adapts the actual
     * time to how soon buffers come (mmio.c), so an idle guest costs at
     * most this much CPU after its last request.
     */
    uint32_t poll_max_ns;

    /* Set by the transport. */
    uint64_t driver_features;
    const struct virtio_transport_ops *transport;
    void *transport_opaque;
};

/* The ring features every device model offers. */
#define VIRTIO_DEV_RING_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | \
                                  (1ULL << VIRTIO_F_INDIRECT_DESC) | \
                                  (1ULL << VIRTIO_F_EVENT_IDX))

/* What a device model's constructor fills in: its identity, queues and
 * ops, and the ring features plus its own @features. */
static inline void virtio_dev_init(struct virtio_dev *dev, const char *name,
                                   uint32_t device_id, unsigned n_queues, uint16_t queue_max,
                                   const struct virtio_dev_ops *ops, uint64_t features)
{
    dev->name = name;
    dev->device_id = device_id;
    dev->n_queues = n_queues;
    dev->queue_max = queue_max;
    dev->ops = ops;
    dev->host_features = VIRTIO_DEV_RING_FEATURES | features;
}

/* config_read() for a device whose config space is the @len bytes at @cfg:
 * copies what of [@offset, @offset + @size) lies inside (the rest reads 0). */
static inline void virtio_config_copy(const void *cfg, size_t len, uint64_t offset,
                                      uint8_t *data, unsigned size)
{
    if (offset < len)
        memcpy(data, (const uint8_t *)cfg + offset, MIN(size, len - offset));
}

static inline bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit)
{
    return dev->driver_features & (1ULL << bit);
}

static inline struct virtq *virtio_dev_queue(struct virtio_dev *dev, unsigned index)
{
    return dev->transport->queue(dev, index);
}

/* Interrupts the driver for @queue if it asked for it (EVENT_IDX / flags). */
static inline void virtio_dev_notify(struct virtio_dev *dev, unsigned index)
{
    dev->transport->notify(dev, index);
}

static inline void virtio_dev_config_changed(struct virtio_dev *dev)
{
    dev->transport->config_changed(dev);
}

/* The driver broke the device: set NEEDS_RESET, log once, stop serving it.
 * Only from the I/O thread (inside queue_notify or a scheduled function). */
static inline void virtio_dev_broken(struct virtio_dev *dev, const char *why)
{
    dev->transport->broken(dev, why);
}

/*
 * Takes the next available chain of queue @index into @elem (I/O thread).
 * Returns false when the queue is empty -- with notifications re-enabled
 * and the ring looked at once more, so no wake-up is lost -- or when the
 * driver broke the ring (the device is then marked broken).
 */
static inline bool virtio_dev_pop(struct virtio_dev *dev, unsigned index,
                                  struct virtq_elem *elem)
{
    struct virtq *q = virtio_dev_queue(dev, index);
    for (;;) {
        g_autoptr(GError) err = NULL;
        int r = virtq_pop(q, elem, &err);
        if (r < 0) {
            virtio_dev_broken(dev, err->message);
            return false;
        }
        if (r > 0)
            return true;
        virtq_set_notification(q, true);
        if (!virtq_has_work(q))
            return false;
    }
}

/*
 * Runs @fn(@dev, @data) on the device's I/O thread, serialised with queue
 * processing; from any thread (e.g. a back end's input on the main loop).
 * Skipped if the device is not running (reset, broken) by then.
 */
static inline void virtio_dev_schedule(struct virtio_dev *dev,
                                       void (*fn)(struct virtio_dev *dev, void *data),
                                       void *data)
{
    dev->transport->schedule(dev, fn, data);
}

#endif
