/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport's snapshot section: its registers, each
 * queue's indices (through virtq_save/virtq_load) and, inside, the
 * device's own section. Load checks every value against the device it
 * lands on and re-raises a pending interrupt.
 */
#include "mmio.h"
#include "mmio_internal.h"

#include "snap.h"

#define SNAP_VERSION 1

void virtio_mmio_save(struct virtio_mmio *t, struct snap_out *o, const char *node)
{
    g_mutex_lock(&t->lock);
    snap_begin(o, node, SNAP_VERSION);
    snap_put_u32(o, "device-id", t->dev->device_id);
    snap_put_u32(o, "status", t->status);
    snap_put_u32(o, "device-features-sel", t->dev_features_sel);
    snap_put_u32(o, "driver-features-sel", t->drv_features_sel);
    snap_put_u32(o, "queue-sel", t->queue_sel);
    snap_put_u64(o, "driver-features", t->driver_features);
    snap_put_u32(o, "config-generation", __atomic_load_n(&t->config_generation, __ATOMIC_SEQ_CST));
    snap_put_u32(o, "interrupt-status", __atomic_load_n(&t->interrupt_status, __ATOMIC_SEQ_CST));
    snap_put_u32(o, "broken", t->broken);
    for (unsigned i = 0; i < t->dev->n_queues; i++) {
        struct virtq_state st;
        char name[16];
        virtq_save(&t->queues[i], &st);
        g_snprintf(name, sizeof(name), "queue@%u", i);
        snap_begin(o, name, SNAP_VERSION);
        snap_put_u32(o, "size", st.size);
        snap_put_u32(o, "ready", st.ready);
        snap_put_u64(o, "desc", st.desc_gpa);
        snap_put_u64(o, "driver", st.avail_gpa);
        snap_put_u64(o, "device", st.used_gpa);
        snap_put_u32(o, "last-avail", st.last_avail);
        snap_put_u32(o, "used-idx", st.used_idx);
        snap_put_u32(o, "signalled-used", st.signalled_used);
        snap_put_u32(o, "signalled-valid", st.signalled_valid);
        snap_end(o);
    }
    if (t->dev->ops->save)
        t->dev->ops->save(t->dev, o);
    snap_end(o);
    g_mutex_unlock(&t->lock);
}

static bool load_queue(struct virtio_mmio *t, const struct snap_in *parent, unsigned i,
                       GError **errp)
{
    struct snap_in n;
    char name[16];
    uint32_t size, ready, last_avail, used_idx, signalled_used, signalled_valid;
    struct virtq_state st;
    g_snprintf(name, sizeof(name), "queue@%u", i);
    if (!snap_child(parent, name, SNAP_VERSION, &n, NULL, errp) ||
        !snap_get_u32(&n, "size", &size, errp) || !snap_get_u32(&n, "ready", &ready, errp) ||
        !snap_get_u64(&n, "desc", &st.desc_gpa, errp) ||
        !snap_get_u64(&n, "driver", &st.avail_gpa, errp) ||
        !snap_get_u64(&n, "device", &st.used_gpa, errp) ||
        !snap_get_u32(&n, "last-avail", &last_avail, errp) ||
        !snap_get_u32(&n, "used-idx", &used_idx, errp) ||
        !snap_get_u32(&n, "signalled-used", &signalled_used, errp) ||
        !snap_get_u32(&n, "signalled-valid", &signalled_valid, errp))
        return false;
    if (size > t->dev->queue_max)
        return snap_bad(&n, "size", errp, "%u, the device allows %u", size, t->dev->queue_max);
    if (last_avail > 0xffff || used_idx > 0xffff || signalled_used > 0xffff)
        return snap_bad(&n, NULL, errp, "ring index out of range");
    st.size = (uint16_t)size;
    st.ready = ready != 0;
    st.last_avail = (uint16_t)last_avail;
    st.used_idx = (uint16_t)used_idx;
    st.signalled_used = (uint16_t)signalled_used;
    st.signalled_valid = signalled_valid != 0;
    g_autoptr(GError) err = NULL;
    if (!virtq_load(&t->queues[i], &st, &err))
        return snap_bad(&n, NULL, errp, "%s", err->message);
    return true;
}

bool virtio_mmio_load(struct virtio_mmio *t, const struct snap_in *parent, const char *node,
                      GError **errp)
{
    struct snap_in n;
    uint32_t device_id, status, dsel, drsel, qsel, gen, isr, broken;
    uint64_t features;
    if (!snap_child(parent, node, SNAP_VERSION, &n, NULL, errp) ||
        !snap_get_u32(&n, "device-id", &device_id, errp) ||
        !snap_get_u32(&n, "status", &status, errp) ||
        !snap_get_u32(&n, "device-features-sel", &dsel, errp) ||
        !snap_get_u32(&n, "driver-features-sel", &drsel, errp) ||
        !snap_get_u32(&n, "queue-sel", &qsel, errp) ||
        !snap_get_u64(&n, "driver-features", &features, errp) ||
        !snap_get_u32(&n, "config-generation", &gen, errp) ||
        !snap_get_u32(&n, "interrupt-status", &isr, errp) ||
        !snap_get_u32(&n, "broken", &broken, errp))
        return false;
    if (device_id != t->dev->device_id)
        return snap_bad(&n, "device-id", errp, "%u, but this machine has a %s here",
                        device_id, t->dev->name);
    if (features & ~t->dev->host_features)
        return snap_bad(&n, "driver-features", errp, "0x%" G_GINT64_MODIFIER "x has features "
                        "%s does not offer", features, t->dev->name);
    g_mutex_lock(&t->lock);
    virtio_mmio_device_reset(t);
    t->dev_features_sel = dsel;
    t->drv_features_sel = drsel;
    t->queue_sel = qsel;
    t->driver_features = features;
    if (status & VIRTIO_STATUS_FEATURES_OK)
        t->dev->driver_features = features;
    for (unsigned i = 0; i < t->dev->n_queues; i++) {
        t->queues[i].event_idx = virtio_has_feature(t->dev, VIRTIO_F_EVENT_IDX);
        t->queues[i].indirect = virtio_has_feature(t->dev, VIRTIO_F_INDIRECT_DESC);
    }
    bool ok = true;
    for (unsigned i = 0; ok && i < t->dev->n_queues; i++)
        ok = load_queue(t, &n, i, errp);
    if (ok && t->dev->ops->load)
        ok = t->dev->ops->load(t->dev, &n, errp);
    if (!ok) {
        virtio_mmio_device_reset(t);
        g_mutex_unlock(&t->lock);
        return false;
    }
    t->status = status;
    t->broken = broken != 0;
    t->config_generation = gen;
    __atomic_store_n(&t->interrupt_status, isr & (INT_USED_BUFFER | INT_CONFIG_CHANGE),
                     __ATOMIC_SEQ_CST);
    bool live = !t->broken && (status & VIRTIO_STATUS_DRIVER_OK);
    if (live && t->dev->ops->activate)
        t->dev->ops->activate(t->dev);
    g_mutex_unlock(&t->lock);
    /* An interrupt the driver had not acknowledged is raised again (a
     * spurious one is harmless: the driver reads the status first), and
     * every live queue is looked at once. */
    if (isr)
        t->irq.trigger(t->irq.opaque);
    for (unsigned i = 0; live && i < t->dev->n_queues; i++)
        if (t->queues[i].ready)
            virtio_mmio_kick(t->notify_fd[i]);
    return true;
}
