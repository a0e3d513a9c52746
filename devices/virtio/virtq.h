/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues, device side (virtio 1.2, section 2.7): pop a
 * descriptor chain into an iovec, push used entries, decide whether the
 * driver wants an interrupt (VIRTIO_F_EVENT_IDX, 2.7.7/2.7.10), follow
 * indirect descriptors (VIRTIO_F_INDIRECT_DESC, 2.7.5.3), and save/load the
 * ring indices.
 *
 * The guest is hostile: every ring and buffer address goes through
 * guest_mem_ptr(); chains are bounded by the queue size (a loop is an
 * error); a device-readable buffer after a device-writable one, a zero-size
 * or nested indirect table, an out-of-range index: each makes virtq_pop()
 * fail with a message, and the transport marks the device NEEDS_RESET.
 *
 * Not thread-safe: one thread (the device's) uses a queue at a time.
 */
#ifndef KVMKIT_VIRTQ_H
#define KVMKIT_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>

#include "guest_mem.h"

#define VIRTQ_MAX_SIZE 32768
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

/* Most buffers one chain may have (also bounded by the queue size). */
#define VIRTQ_MAX_SG 1024

struct virtq {
    const struct guest_mem *mem;
    uint16_t size;              /* number of descriptors, a power of 2 */
    bool ready;
    bool event_idx;             /* VIRTIO_F_EVENT_IDX negotiated */
    bool indirect;              /* VIRTIO_F_INDIRECT_DESC negotiated */
    uint64_t desc_gpa, avail_gpa, used_gpa;

    /* Host pointers, valid while ready (set by virtq_start). */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;

    uint16_t last_avail;        /* next avail ring slot to take */
    uint16_t used_idx;          /* next used ring slot to fill */
    uint16_t signalled_used;    /* used_idx when we last notified */
    bool signalled_valid;
    bool notify_off;            /* virtq_set_notification(false) in force */
};

struct virtq_elem {
    uint16_t head;              /* id to give back in virtq_push() */
    unsigned n_out, n_in;       /* device-readable, then device-writable */
    uint64_t out_len, in_len;   /* total bytes of each */
    struct iovec iov[VIRTQ_MAX_SG];   /* n_out readable ones, then n_in writable */
};

/* Resets indices and forgets addresses (device reset). */
void virtq_reset(struct virtq *q, const struct guest_mem *mem);

/*
 * Validates and maps the rings at the configured addresses and size
 * (alignment 16/2/4, inside RAM). On failure the queue stays not ready.
 */
bool virtq_start(struct virtq *q, GError **errp);

/*
 * Takes the next available chain. Returns 1 with @elem filled, 0 if the
 * ring is empty, -1 with @errp set if the driver broke the ring.
 */
int virtq_pop(struct virtq *q, struct virtq_elem *elem, GError **errp);

/* Returns an unused chain (after a back-end stall): the next pop sees it again. */
void virtq_unpop(struct virtq *q);

/* Puts @head in the used ring with @len bytes written, and publishes it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);

/*
 * The same in two steps, for a device that must publish several chains at
 * once (virtio-net MRG_RXBUF, 5.1.6.4.2: the driver reads all num_buffers
 * of a packet when it sees the first): virtq_fill() writes the @nth entry
 * after the last published one, virtq_flush() publishes @n filled entries.
 */
void virtq_fill(struct virtq *q, unsigned nth, uint16_t head, uint32_t len);
void virtq_flush(struct virtq *q, unsigned n);

/* True if the driver wants an interrupt for what was pushed since the last one. */
bool virtq_should_notify(struct virtq *q);

/*
 * Tells the driver whether to notify us (2.7.10). Off: VIRTQ_USED_F_NO_NOTIFY,
 * or with EVENT_IDX an avail_event the driver has already passed (and
 * virtq_pop() stops moving it), so it does not notify until the index
 * wraps. On: flags 0, or avail_event = the next slot we will take. Either
 * way a full fence follows, so a caller that turns notifications on and
 * then finds the ring empty (virtq_has_work) cannot miss a buffer: the
 * driver either saw them on, or its buffer is already in the ring.
 */
void virtq_set_notification(struct virtq *q, bool enable);

/* True if the driver made buffers available that we have not popped. */
bool virtq_has_work(struct virtq *q);

/*
 * A look at the avail index that needs no lock, for a thread that
 * busy-polls a queue while another thread may reset it: virtq_peek_init()
 * (with the queue's lock held, queue ready) records where the driver's
 * index lives and how far we took it; virtq_peek_has_work() then reads
 * only that guest RAM word, so a reset meanwhile makes it a stale hint,
 * never a bad access. The caller takes the lock again before using the
 * queue (virtq_pop etc.).
 */
struct virtq_peek {
    const uint16_t *avail_idx;
    uint16_t last_avail;
};
void virtq_peek_init(const struct virtq *q, struct virtq_peek *p);
bool virtq_peek_has_work(const struct virtq_peek *p);

/* Ring state for snapshots; load validates against the ring in memory. */
struct virtq_state {
    uint16_t size, last_avail, used_idx, signalled_used;
    bool ready, signalled_valid;
    uint64_t desc_gpa, avail_gpa, used_gpa;
};
void virtq_save(const struct virtq *q, struct virtq_state *st);
bool virtq_load(struct virtq *q, const struct virtq_state *st, GError **errp);

#endif
