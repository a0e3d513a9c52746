/* SPDX-License-Identifier: MIT */
#include "virtio_drv.h"

#include "lib.h"

#define MAGIC 0x74726976    /* "virt" */
#define REG_DEVICE_FEATURES     0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES     0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL           0x030
#define REG_QUEUE_NUM_MAX       0x034
#define REG_QUEUE_NUM           0x038
#define REG_QUEUE_NOTIFY        0x050
#define REG_QUEUE_DESC_LOW      0x080
#define REG_QUEUE_DESC_HIGH     0x084
#define REG_QUEUE_DRIVER_LOW    0x090
#define REG_QUEUE_DRIVER_HIGH   0x094
#define REG_QUEUE_DEVICE_LOW    0x0a0
#define REG_QUEUE_DEVICE_HIGH   0x0a4
#define F_VERSION_1_HIGH        1   /* bit 32: bit 0 of the second feature word */

const char *vdrv_strerror(int err)
{
    static const char *const names[] = {
        [VDRV_OK] = "ok",
        [VDRV_E_MAGIC] = "bad magic",
        [VDRV_E_VERSION] = "not a version 2 (modern) transport",
        [VDRV_E_DEVICE_ID] = "unexpected device id",
        [VDRV_E_NO_VERSION_1] = "device does not offer VIRTIO_F_VERSION_1",
        [VDRV_E_FEATURES] = "FEATURES_OK not accepted",
        [VDRV_E_QUEUE_MAX] = "queue 0 too small or absent",
        [VDRV_E_QUEUE_READY] = "queue 0 not ready after setup",
        [VDRV_E_STATUS] = "DRIVER_OK not accepted",
    };
    if (err < 0 || err >= (int)(sizeof(names) / sizeof(names[0])))
        return "?";
    return names[err];
}

uint32_t vdrv_read(const struct vdrv *d, uint32_t reg)
{
    return mmio_read32(d->base + reg);
}

void vdrv_write(const struct vdrv *d, uint32_t reg, uint32_t v)
{
    mmio_write32(d->base + reg, v);
}

void vdrv_reset(struct vdrv *d)
{
    vdrv_write(d, VDRV_REG_STATUS, 0);
}

int vdrv_begin(struct vdrv *d, uint64_t base, uint32_t device_id)
{
    memset(d, 0, sizeof(*d));
    d->base = base;
    if (vdrv_read(d, VDRV_REG_MAGIC) != MAGIC)
        return VDRV_E_MAGIC;
    if (vdrv_read(d, VDRV_REG_VERSION) != 2)
        return VDRV_E_VERSION;
    if (vdrv_read(d, VDRV_REG_DEVICE_ID) != device_id)
        return VDRV_E_DEVICE_ID;
    vdrv_reset(d);
    vdrv_write(d, VDRV_REG_STATUS, VDRV_S_ACKNOWLEDGE);
    vdrv_write(d, VDRV_REG_STATUS, VDRV_S_ACKNOWLEDGE | VDRV_S_DRIVER);
    vdrv_write(d, REG_DEVICE_FEATURES_SEL, 1);
    if (!(vdrv_read(d, REG_DEVICE_FEATURES) & F_VERSION_1_HIGH))
        return VDRV_E_NO_VERSION_1;
    vdrv_write(d, REG_DRIVER_FEATURES_SEL, 0);
    vdrv_write(d, REG_DRIVER_FEATURES, 0);
    vdrv_write(d, REG_DRIVER_FEATURES_SEL, 1);
    vdrv_write(d, REG_DRIVER_FEATURES, F_VERSION_1_HIGH);
    vdrv_write(d, VDRV_REG_STATUS, VDRV_S_ACKNOWLEDGE | VDRV_S_DRIVER | VDRV_S_FEATURES_OK);
    if (!(vdrv_status(d) & VDRV_S_FEATURES_OK))
        return VDRV_E_FEATURES;
    return VDRV_OK;
}

int vdrv_setup_queue(struct vdrv *d, uint16_t qsize, uint64_t desc, uint64_t avail,
                     uint64_t used)
{
    vdrv_write(d, REG_QUEUE_SEL, 0);
    uint32_t max = vdrv_read(d, REG_QUEUE_NUM_MAX);
    if (max < qsize)
        return VDRV_E_QUEUE_MAX;
    d->qsize = qsize;
    d->avail_idx = d->used_seen = 0;
    vdrv_write(d, REG_QUEUE_NUM, qsize);
    vdrv_write(d, REG_QUEUE_DESC_LOW, (uint32_t)desc);
    vdrv_write(d, REG_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    vdrv_write(d, REG_QUEUE_DRIVER_LOW, (uint32_t)avail);
    vdrv_write(d, REG_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    vdrv_write(d, REG_QUEUE_DEVICE_LOW, (uint32_t)used);
    vdrv_write(d, REG_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    vdrv_write(d, VDRV_REG_QUEUE_READY, 1);
    return vdrv_read(d, VDRV_REG_QUEUE_READY) == 1 ? VDRV_OK : VDRV_E_QUEUE_READY;
}

int vdrv_driver_ok(struct vdrv *d)
{
    vdrv_write(d, VDRV_REG_STATUS,
               VDRV_S_ACKNOWLEDGE | VDRV_S_DRIVER | VDRV_S_FEATURES_OK | VDRV_S_DRIVER_OK);
    uint32_t s = vdrv_status(d);
    return (s & VDRV_S_DRIVER_OK) && !(s & VDRV_S_NEEDS_RESET) ? VDRV_OK : VDRV_E_STATUS;
}

int vdrv_init(struct vdrv *d, uint64_t base, uint32_t device_id, uint16_t qsize)
{
    int r = vdrv_begin(d, base, device_id);
    d->avail.flags = VDRV_AVAIL_F_NO_INTERRUPT;
    if (r == VDRV_OK)
        r = vdrv_setup_queue(d, qsize, (uint64_t)d->desc, (uint64_t)&d->avail,
                             (uint64_t)&d->used);
    if (r == VDRV_OK)
        r = vdrv_driver_ok(d);
    return r;
}

void vdrv_publish(struct vdrv *d, uint16_t head)
{
    d->avail.ring[d->avail_idx % d->qsize] = head;
    d->avail_idx++;
    /* 2.7.13: the ring entry and the descriptors before the index (release);
     * the index before reading the device's flags (a full fence: store then
     * load), so either the device, re-enabling notifications, sees the new
     * index, or we see its flags cleared (2.7.10, as Linux's
     * virtqueue_kick_prepare). */
    __atomic_store_n(&d->avail.idx, d->avail_idx, __ATOMIC_RELEASE);
    __asm__ volatile("mfence" ::: "memory");
    if (__atomic_load_n(&d->used.flags, __ATOMIC_RELAXED) & VDRV_USED_F_NO_NOTIFY)
        return;
    vdrv_write(d, REG_QUEUE_NOTIFY, 0);
}

bool vdrv_poll(struct vdrv *d, struct vdrv_used_elem *out)
{
    if (__atomic_load_n(&d->used.idx, __ATOMIC_ACQUIRE) == d->used_seen)
        return false;
    *out = d->used.ring[d->used_seen % d->qsize];
    d->used_seen++;
    return true;
}

bool vdrv_wait(struct vdrv *d, struct vdrv_used_elem *out, uint64_t spins)
{
    for (uint64_t i = 0; spins == 0 || i < spins; i++) {
        if (vdrv_poll(d, out))
            return true;
        /* No PAUSE: on a host that is itself a VM, a PAUSE loop makes the
         * hypervisor below deschedule the vCPU (pause-loop exiting), which
         * added tens of microseconds per request (devices/virtio/mmio.c). */
        __asm__ volatile("" ::: "memory");
    }
    return false;
}

void vdrv_blk_prepare(struct vdrv *d, uint16_t head, struct vdrv_blk_req *req, uint32_t type,
                      uint64_t sector, void *buf, uint32_t len)
{
    req->type = type;
    req->reserved = 0;
    req->sector = sector;
    req->status = VDRV_BLK_S_NONE;
    bool device_writes = type == VDRV_BLK_T_IN || type == VDRV_BLK_T_GET_ID;
    uint16_t i = head;
    d->desc[i] = (struct vdrv_desc){ (uint64_t)req, 16, VDRV_DESC_F_NEXT, (uint16_t)(i + 1) };
    i++;
    if (len) {
        d->desc[i] = (struct vdrv_desc){ (uint64_t)buf, len,
            VDRV_DESC_F_NEXT | (device_writes ? VDRV_DESC_F_WRITE : 0), (uint16_t)(i + 1) };
        i++;
    }
    d->desc[i] = (struct vdrv_desc){ (uint64_t)&req->status, 1, VDRV_DESC_F_WRITE, 0 };
}

uint8_t vdrv_blk_rw(struct vdrv *d, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
    static struct vdrv_blk_req req;
    struct vdrv_used_elem used;
    vdrv_blk_prepare(d, 0, &req, type, sector, buf, len);
    vdrv_publish(d, 0);
    if (!vdrv_wait(d, &used, 0))
        return VDRV_BLK_S_NONE;
    return __atomic_load_n(&req.status, __ATOMIC_ACQUIRE);
}

uint64_t vdrv_blk_capacity(const struct vdrv *d)
{
    /* 5.2.4: capacity is the first field; read as two 32-bit halves. */
    uint64_t lo = vdrv_read(d, VDRV_REG_CONFIG);
    uint64_t hi = vdrv_read(d, VDRV_REG_CONFIG + 4);
    return lo | hi << 32;
}
