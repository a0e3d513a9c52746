/* SPDX-License-Identifier: MIT */
#include "fake_transport.h"

#include <string.h>

static struct fake_transport *of(struct virtio_dev *dev)
{
    return dev->transport_opaque;
}

static struct virtq *fake_queue(struct virtio_dev *dev, unsigned index)
{
    return index < VIRTIO_MAX_QUEUES ? &of(dev)->queues[index] : NULL;
}

static void fake_notify(struct virtio_dev *dev, unsigned index)
{
    if (virtq_should_notify(fake_queue(dev, index)))
        of(dev)->interrupts++;
}

static void fake_config_changed(struct virtio_dev *dev)
{
    of(dev)->config_changes++;
}

static void fake_broken(struct virtio_dev *dev, const char *why)
{
    struct fake_transport *t = of(dev);
    if (t->broken++ == 0)
        g_strlcpy(t->why, why, sizeof(t->why));
}

static void fake_schedule(struct virtio_dev *dev, void (*fn)(struct virtio_dev *dev, void *data),
                          void *data)
{
    if (!of(dev)->broken)
        fn(dev, data);
}

static const struct virtio_transport_ops fake_transport_ops = {
    .queue = fake_queue,
    .notify = fake_notify,
    .config_changed = fake_config_changed,
    .broken = fake_broken,
    .schedule = fake_schedule,
};

void fake_transport_attach(struct fake_transport *t, struct virtio_dev *dev,
                           const struct guest_mem *mem, uint64_t features)
{
    memset(t, 0, sizeof(*t));
    t->dev = dev;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        virtq_reset(&t->queues[i], mem);
    dev->transport = &fake_transport_ops;
    dev->transport_opaque = t;
    dev->driver_features = features & dev->host_features;
    if (dev->ops->activate)
        dev->ops->activate(dev);
}

bool fake_transport_start_queue(struct fake_transport *t, unsigned index, uint16_t size,
                                uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
                                GError **errp)
{
    struct virtq *q = &t->queues[index];
    virtq_reset(q, q->mem);
    q->size = size;
    q->desc_gpa = desc_gpa;
    q->avail_gpa = avail_gpa;
    q->used_gpa = used_gpa;
    q->event_idx = virtio_has_feature(t->dev, VIRTIO_F_EVENT_IDX);
    q->indirect = virtio_has_feature(t->dev, VIRTIO_F_INDIRECT_DESC);
    return virtq_start(q, errp);
}

void fake_transport_kick(struct fake_transport *t, unsigned index)
{
    if (!t->broken)
        t->dev->ops->queue_notify(t->dev, index);
}
