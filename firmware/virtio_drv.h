/* SPDX-License-Identifier: MIT */
/*
 * A minimal polled virtio-mmio driver for test payloads (virtio 1.2,
 * section 4.2 for the transport, 2.7 for the split ring, 5.2 for block).
 * Modern (version 2) devices only, VIRTIO_F_VERSION_1 as the only feature,
 * one split queue whose rings live in struct vdrv itself, no interrupts:
 * the driver polls the used ring.
 *
 * Everything here is plain memory and MMIO accesses, so it runs at CPL0 and
 * at CPL3 alike, provided the pages it touches (the struct, the buffers, the
 * MMIO window) are user-accessible. Not thread-safe.
 */
#ifndef KVMKIT_FW_VIRTIO_DRV_H
#define KVMKIT_FW_VIRTIO_DRV_H

#include <stdbool.h>
#include <stdint.h>

#define VDRV_MMIO_BASE 0xd0000000ULL      /* vmm/x86/layout.h X86_VIRTIO_MMIO_BASE */
#define VDRV_MMIO_SIZE 0x1000ULL
#define VDRV_MMIO(i)   (VDRV_MMIO_BASE + VDRV_MMIO_SIZE * (i))

#define VDRV_QMAX 16                      /* ring arrays are this big */

/* Register offsets (4.2.2). */
#define VDRV_REG_MAGIC       0x000
#define VDRV_REG_VERSION     0x004
#define VDRV_REG_DEVICE_ID   0x008
#define VDRV_REG_QUEUE_READY 0x044
#define VDRV_REG_STATUS      0x070
#define VDRV_REG_CONFIG      0x100

/* Device status bits (2.1). */
#define VDRV_S_ACKNOWLEDGE 1
#define VDRV_S_DRIVER      2
#define VDRV_S_DRIVER_OK   4
#define VDRV_S_FEATURES_OK 8
#define VDRV_S_NEEDS_RESET 64

#define VDRV_DESC_F_NEXT  1
#define VDRV_DESC_F_WRITE 2
#define VDRV_AVAIL_F_NO_INTERRUPT 1   /* 2.7.7: we poll, the device need not interrupt */
#define VDRV_USED_F_NO_NOTIFY     1   /* 2.7.10: the device is polling, skip the notify */

struct vdrv_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vdrv_used_elem {
    uint32_t id;
    uint32_t len;
};

/* One device and its queue 0. The rings are inside: keep it in memory
 * the device can reach (any payload variable is). */
struct vdrv {
    struct vdrv_desc desc[VDRV_QMAX] __attribute__((aligned(16)));
    struct {
        uint16_t flags, idx;
        uint16_t ring[VDRV_QMAX];
        uint16_t used_event;
    } avail __attribute__((aligned(4)));
    struct {
        uint16_t flags, idx;
        struct vdrv_used_elem ring[VDRV_QMAX];
        uint16_t avail_event;
    } used __attribute__((aligned(4)));
    uint64_t base;          /* MMIO window */
    uint16_t qsize;         /* descriptors in use, a power of 2 <= VDRV_QMAX */
    uint16_t avail_idx;     /* next avail slot (driver's copy) */
    uint16_t used_seen;     /* used entries consumed */
};

/* Why vdrv_init()/vdrv_begin() failed; vdrv_strerror() names it. */
enum vdrv_err {
    VDRV_OK = 0, VDRV_E_MAGIC, VDRV_E_VERSION, VDRV_E_DEVICE_ID, VDRV_E_NO_VERSION_1,
    VDRV_E_FEATURES, VDRV_E_QUEUE_MAX, VDRV_E_QUEUE_READY, VDRV_E_STATUS,
};
const char *vdrv_strerror(int err);

uint32_t vdrv_read(const struct vdrv *d, uint32_t reg);
void vdrv_write(const struct vdrv *d, uint32_t reg, uint32_t v);

/* Device status register (NEEDS_RESET is bit 64). */
static inline uint32_t vdrv_status(const struct vdrv *d)
{
    return vdrv_read(d, VDRV_REG_STATUS);
}

/* Writes 0 to the status register: the device forgets the queue (2.1). */
void vdrv_reset(struct vdrv *d);

/*
 * Probes the window at @base (magic, version 2, @device_id), resets the
 * device and negotiates VIRTIO_F_VERSION_1 up to FEATURES_OK (3.1.1 steps
 * 1-6). Returns VDRV_OK or a vdrv_err.
 */
int vdrv_begin(struct vdrv *d, uint64_t base, uint32_t device_id);

/* Programs queue 0 with @qsize descriptors at the given ring addresses and
 * sets QueueReady. Returns VDRV_E_QUEUE_READY if the device refused it. */
int vdrv_setup_queue(struct vdrv *d, uint16_t qsize, uint64_t desc, uint64_t avail,
                     uint64_t used);

/* Sets DRIVER_OK (3.1.1 step 8); VDRV_E_STATUS if the device refused. */
int vdrv_driver_ok(struct vdrv *d);

/* vdrv_begin + queue 0 on the rings inside @d (with
 * VDRV_AVAIL_F_NO_INTERRUPT: the driver polls) + vdrv_driver_ok. */
int vdrv_init(struct vdrv *d, uint64_t base, uint32_t device_id, uint16_t qsize);

/* Makes the chain starting at descriptor @head available and notifies,
 * unless the device set VDRV_USED_F_NO_NOTIFY. */
void vdrv_publish(struct vdrv *d, uint16_t head);

/* One used entry, or false if none yet (never blocks). */
bool vdrv_poll(struct vdrv *d, struct vdrv_used_elem *out);

/* Polls until an entry is used or @spins polls passed (0: forever). */
bool vdrv_wait(struct vdrv *d, struct vdrv_used_elem *out, uint64_t spins);

/* ---- virtio-blk (5.2) ---- */

#define VDRV_BLK_T_IN     0
#define VDRV_BLK_T_OUT    1
#define VDRV_BLK_T_FLUSH  4
#define VDRV_BLK_T_GET_ID 8
#define VDRV_BLK_S_OK     0
#define VDRV_BLK_S_IOERR  1
#define VDRV_BLK_S_UNSUPP 2
#define VDRV_BLK_S_NONE   0xff  /* no answer (the device broke or timed out) */

/* One request's header and status byte, in device-reachable memory. */
struct vdrv_blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
    uint8_t status;
};

/*
 * Fills descriptors @head, @head+1[, @head+2] with a request: header,
 * optional data (@len bytes at @buf; device-writable for IN and GET_ID),
 * status. Does not publish it.
 */
void vdrv_blk_prepare(struct vdrv *d, uint16_t head, struct vdrv_blk_req *req, uint32_t type,
                      uint64_t sector, void *buf, uint32_t len);

/* Prepares, publishes and waits for one request at descriptor 0.
 * Returns its status byte, or VDRV_BLK_S_NONE if none came in time. */
uint8_t vdrv_blk_rw(struct vdrv *d, uint32_t type, uint64_t sector, void *buf, uint32_t len);

/* The capacity in 512-byte sectors, from the config space. */
uint64_t vdrv_blk_capacity(const struct vdrv *d);

#endif
