/* SPDX-License-Identifier: MIT */
#include "virtq.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "error.h"

/* Ring layouts, virtio 1.2 section 2.7 (all little-endian; x86 hosts only). */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];    /* then used_event */
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];  /* then avail_event */
};


void virtq_reset(struct virtq *q, const struct guest_mem *mem)
{
    memset(q, 0, sizeof(*q));
    q->mem = mem;
}

static size_t avail_bytes(uint16_t size)
{
    return offsetof(struct virtq_avail, ring) + sizeof(uint16_t) * (size + 1);
}

static size_t used_bytes(uint16_t size)
{
    return offsetof(struct virtq_used, ring) + sizeof(struct virtq_used_elem) * size +
           sizeof(uint16_t);
}

bool virtq_start(struct virtq *q, GError **errp)
{
    q->ready = false;
    if (q->size == 0 || (q->size & (q->size - 1)))
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "queue size %u is not a power of 2", q->size);
    if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "misaligned ring (desc 0x%" G_GINT64_MODIFIER "x, avail 0x%"
                          G_GINT64_MODIFIER "x, used 0x%" G_GINT64_MODIFIER "x)",
                          q->desc_gpa, q->avail_gpa, q->used_gpa);
    q->desc = guest_mem_ptr(q->mem, q->desc_gpa, sizeof(struct virtq_desc) * (uint64_t)q->size);
    q->avail = guest_mem_ptr(q->mem, q->avail_gpa, avail_bytes(q->size));
    q->used = guest_mem_ptr(q->mem, q->used_gpa, used_bytes(q->size));
    if (!q->desc || !q->avail || !q->used)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "ring outside guest RAM");
    /* A queue starts with notifications on, even if a poller left them off
     * when the driver took the queue away (QueueReady = 0) mid-poll. */
    q->notify_off = false;
    q->ready = true;
    return true;
}

static uint16_t *used_event(struct virtq *q)
{
    return &q->avail->ring[q->size];
}

static uint16_t *avail_event(struct virtq *q)
{
    return (uint16_t *)&q->used->ring[q->size];
}

static uint16_t read_avail_idx(struct virtq *q)
{
    /* Acquire: ring entries the index covers are visible after it. */
    return __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
}

bool virtq_has_work(struct virtq *q)
{
    return q->ready && read_avail_idx(q) != q->last_avail;
}

/* Appends one buffer to @elem, checking order (readable before writable). */
static bool add_buffer(struct virtq *q, struct virtq_elem *elem, uint64_t addr, uint32_t len,
                       bool writable, GError **errp)
{
    if (!writable && elem->n_in)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "device-readable buffer after a device-writable one");
    if (elem->n_out + elem->n_in == VIRTQ_MAX_SG)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "more than %d buffers in one chain", VIRTQ_MAX_SG);
    void *p = guest_mem_ptr(q->mem, addr, len);
    if (!p)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "buffer 0x%" G_GINT64_MODIFIER "x+%u outside guest RAM",
                          addr, len);
    struct iovec *iov = &elem->iov[elem->n_out + elem->n_in];
    iov->iov_base = p;
    iov->iov_len = len;
    if (writable) {
        elem->n_in++;
        elem->in_len += len;
    } else {
        elem->n_out++;
        elem->out_len += len;
    }
    return true;
}

/* Walks an indirect table (2.7.5.3.1: no nesting, no NEXT out of it). */
static bool walk_indirect(struct virtq *q, struct virtq_elem *elem,
                          const struct virtq_desc *d, GError **errp)
{
    if (!q->indirect)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
    if (d->flags & VIRTQ_DESC_F_NEXT)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "indirect descriptor with NEXT set");
    if (d->len == 0 || d->len % sizeof(struct virtq_desc))
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "indirect table of %u bytes", d->len);
    unsigned n = d->len / sizeof(struct virtq_desc);
    if (n > VIRTQ_MAX_SIZE)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "indirect table of %u descriptors", n);
    const struct virtq_desc *table = guest_mem_ptr(q->mem, d->addr, d->len);
    if (!table)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "indirect table outside guest RAM");
    unsigned i = 0;
    for (unsigned count = 0;; count++) {
        if (count == n)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "loop in indirect table");
        struct virtq_desc id;
        memcpy(&id, &table[i], sizeof(id));
        if (id.flags & VIRTQ_DESC_F_INDIRECT)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "nested indirect table");
        if (!add_buffer(q, elem, id.addr, id.len, id.flags & VIRTQ_DESC_F_WRITE, errp))
            return false;
        if (!(id.flags & VIRTQ_DESC_F_NEXT))
            return true;
        if (id.next >= n)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "indirect next index %u out of %u", id.next, n);
        i = id.next;
    }
}

int virtq_pop(struct virtq *q, struct virtq_elem *elem, GError **errp)
{
    if (!q->ready)
        return 0;
    uint16_t avail_idx = read_avail_idx(q);
    if (avail_idx == q->last_avail)
        return 0;
    if ((uint16_t)(avail_idx - q->last_avail) > q->size) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "avail index moved by %u on a queue of %u",
                   (uint16_t)(avail_idx - q->last_avail), q->size);
        return -1;
    }
    uint16_t head = __atomic_load_n(&q->avail->ring[q->last_avail % q->size], __ATOMIC_RELAXED);
    if (head >= q->size) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "head index %u out of %u", head, q->size);
        return -1;
    }
    elem->head = head;
    elem->n_out = elem->n_in = 0;
    elem->out_len = elem->in_len = 0;

    uint16_t i = head;
    for (unsigned count = 0;; count++) {
        if (count == q->size) {
            kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "descriptor chain longer than the queue (a loop?)");
            return -1;
        }
        struct virtq_desc d;
        memcpy(&d, &q->desc[i], sizeof(d));
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (count != 0 || !walk_indirect(q, elem, &d, errp)) {
                if (count != 0)
                    kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "indirect descriptor inside a chain");
                return -1;
            }
            break;
        }
        if (!add_buffer(q, elem, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE, errp))
            return -1;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= q->size) {
            kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "next index %u out of %u", d.next, q->size);
            return -1;
        }
        i = d.next;
    }
    q->last_avail++;
    if (q->event_idx && !q->notify_off)
        __atomic_store_n(avail_event(q), q->last_avail, __ATOMIC_RELEASE);
    return 1;
}

void virtq_unpop(struct virtq *q)
{
    q->last_avail--;
}

void virtq_fill(struct virtq *q, unsigned nth, uint16_t head, uint32_t len)
{
    struct virtq_used_elem *e = &q->used->ring[(uint16_t)(q->used_idx + nth) % q->size];
    e->id = head;
    e->len = len;
}

void virtq_flush(struct virtq *q, unsigned n)
{
    q->used_idx += n;
    /* Release: the entries are visible before the index that covers them. */
    __atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    virtq_fill(q, 0, head, len);
    virtq_flush(q, 1);
}

bool virtq_should_notify(struct virtq *q)
{
    /* A queue the driver never set up has no rings to read (nor anyone to tell). */
    if (!q->ready)
        return false;
    /* Order the used index store before reading the driver's event fields. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q->event_idx)
        return !(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    uint16_t old = q->signalled_used;
    uint16_t new = q->used_idx;
    bool valid = q->signalled_valid;
    q->signalled_used = new;
    q->signalled_valid = true;
    if (!valid)
        return true;
    uint16_t event = __atomic_load_n(used_event(q), __ATOMIC_RELAXED);
    /* vring_need_event(), 2.7.10: did used_idx cross used_event? */
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtq_set_notification(struct virtq *q, bool enable)
{
    if (!q->ready)
        return;
    q->notify_off = !enable;
    if (q->event_idx) {
        /* 2.7.10: the driver notifies when its avail index moves past
         * avail_event; one slot behind what we took, it has passed it. */
        uint16_t event = enable ? q->last_avail : (uint16_t)(q->last_avail - 1);
        __atomic_store_n(avail_event(q), event, __ATOMIC_RELEASE);
    } else {
        uint16_t f = enable ? 0 : VIRTQ_USED_F_NO_NOTIFY;
        __atomic_store_n(&q->used->flags, f, __ATOMIC_RELEASE);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void virtq_peek_init(const struct virtq *q, struct virtq_peek *p)
{
    p->avail_idx = &q->avail->idx;
    p->last_avail = q->last_avail;
}

bool virtq_peek_has_work(const struct virtq_peek *p)
{
    /* Relaxed: only a hint; virtq_pop() reads the index again with acquire. */
    return __atomic_load_n(p->avail_idx, __ATOMIC_RELAXED) != p->last_avail;
}

void virtq_save(const struct virtq *q, struct virtq_state *st)
{
    *st = (struct virtq_state){
        .size = q->size, .last_avail = q->last_avail, .used_idx = q->used_idx,
        .signalled_used = q->signalled_used, .ready = q->ready,
        .signalled_valid = q->signalled_valid, .desc_gpa = q->desc_gpa,
        .avail_gpa = q->avail_gpa, .used_gpa = q->used_gpa,
    };
}

bool virtq_load(struct virtq *q, const struct virtq_state *st, GError **errp)
{
    q->size = st->size;
    q->desc_gpa = st->desc_gpa;
    q->avail_gpa = st->avail_gpa;
    q->used_gpa = st->used_gpa;
    q->last_avail = st->last_avail;
    q->used_idx = st->used_idx;
    q->signalled_used = st->signalled_used;
    q->signalled_valid = st->signalled_valid;
    q->ready = false;
    if (!st->ready)
        return true;
    if (!virtq_start(q, errp))
        return false;
    /* The used index in memory must be what we saved: it is ours to write. */
    if (q->used->idx != q->used_idx) {
        q->ready = false;   /* a refused snapshot must not leave a live queue */
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "saved used index %u, ring has %u", q->used_idx, q->used->idx);
    }
    return true;
}
