/* SPDX-License-Identifier: MIT */
#include "mmio.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <glib-unix.h>

#include "error.h"
#include "log.h"
#include "mmio_internal.h"

/* Register offsets (virtio 1.2, 4.2.2, table "MMIO Device Register Layout"). */
enum {
    REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
    REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014,
    REG_DRIVER_FEATURES = 0x020, REG_DRIVER_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038,
    REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = 0x050,
    REG_INTERRUPT_STATUS = 0x060, REG_INTERRUPT_ACK = 0x064, REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DESC_HIGH = 0x084,
    REG_QUEUE_DRIVER_LOW = 0x090, REG_QUEUE_DRIVER_HIGH = 0x094,
    REG_QUEUE_DEVICE_LOW = 0x0a0, REG_QUEUE_DEVICE_HIGH = 0x0a4,
    REG_SHM_SEL = 0x0ac, REG_SHM_LEN_LOW = 0x0b0, REG_SHM_LEN_HIGH = 0x0b4,
    REG_SHM_BASE_LOW = 0x0b8, REG_SHM_BASE_HIGH = 0x0bc,
    REG_CONFIG_GENERATION = 0x0fc, REG_CONFIG = 0x100,
};

#define MAGIC 0x74726976        /* "virt" */
#define VENDOR_ID 0x4b4d564b    /* "KVMK" */

/* Signals an eventfd. It can only fail with EAGAIN, when the counter is
 * saturated: a wake-up is pending anyway. */
void virtio_mmio_kick(int fd)
{
    (void)eventfd_write(fd, 1);
}

static struct virtio_mmio *of(struct virtio_dev *dev)
{
    return dev->transport_opaque;
}

static void raise_interrupt(struct virtio_mmio *t, unsigned bits)
{
    __atomic_fetch_or(&t->interrupt_status, bits, __ATOMIC_SEQ_CST);
    t->irq.trigger(t->irq.opaque);
}

/* ---- what the device calls (virtio_transport_ops) ---- */

static struct virtq *tr_queue(struct virtio_dev *dev, unsigned index)
{
    return index < dev->n_queues ? &of(dev)->queues[index] : NULL;
}

static void tr_notify(struct virtio_dev *dev, unsigned index)
{
    struct virtio_mmio *t = of(dev);
    if (index < dev->n_queues && virtq_should_notify(&t->queues[index]))
        raise_interrupt(t, INT_USED_BUFFER);
}

static void tr_config_changed(struct virtio_dev *dev)
{
    struct virtio_mmio *t = of(dev);
    __atomic_fetch_add(&t->config_generation, 1, __ATOMIC_SEQ_CST);
    raise_interrupt(t, INT_CONFIG_CHANGE);
}

static void tr_broken(struct virtio_dev *dev, const char *why)
{
    struct virtio_mmio *t = of(dev);
    if (t->broken)
        return;
    t->broken = true;
    g_autofree char *key = g_strdup_printf("virtio-broken:%p", (void *)t);
    log_warn_once_in("virtio-mmio", key, "%s: the guest driver broke the device (%s); it needs a reset",
                 dev->name, why);
    t->status |= VIRTIO_STATUS_NEEDS_RESET;
    /* 2.1.2: a device setting NEEDS_RESET sends a configuration change notification. */
    if (t->status & VIRTIO_STATUS_DRIVER_OK)
        raise_interrupt(t, INT_CONFIG_CHANGE);
}

struct scheduled {
    struct virtio_mmio *t;
    void (*fn)(struct virtio_dev *dev, void *data);
    void *data;
};

static gboolean run_scheduled(gpointer opaque)
{
    struct scheduled *s = opaque;
    struct virtio_mmio *t = s->t;
    g_mutex_lock(&t->lock);
    if (!t->broken && (t->status & VIRTIO_STATUS_DRIVER_OK))
        s->fn(t->dev, s->data);
    g_mutex_unlock(&t->lock);
    return G_SOURCE_REMOVE;
}

static void tr_schedule(struct virtio_dev *dev, void (*fn)(struct virtio_dev *dev, void *data),
                        void *data)
{
    struct scheduled *s = g_new(struct scheduled, 1);
    *s = (struct scheduled){ .t = of(dev), .fn = fn, .data = data };
    /* Always a source on the I/O context, never g_main_context_invoke(): that
     * calls @fn at once when the caller owns the context (the I/O thread,
     * inside queue_notify with t->lock held: a self-deadlock) or when nobody
     * owns it yet (the thread is still starting: @fn on the wrong thread). */
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, run_scheduled, s, g_free);
    g_source_attach(src, of(dev)->io_ctx);
    g_source_unref(src);
}

static const struct virtio_transport_ops transport_ops = {
    .queue = tr_queue,
    .notify = tr_notify,
    .config_changed = tr_config_changed,
    .broken = tr_broken,
    .schedule = tr_schedule,
};

/* ---- the I/O thread ---- */

/*
 * Busy-polling, after QEMU's adaptive AioContext polling (util/aio-posix.c):
 * once a queue is served, the I/O thread watches its avail index for up to
 * poll_ns with the driver's notifications off (2.7.10) and serves what
 * comes without an eventfd wake-up and a main-loop iteration. poll_ns
 * adapts to the wait from the end of one service to the next buffer: a
 * wait within poll_ns needs no change; one longer than dev->poll_max_ns
 * could not have been caught (halve); one in between would have been by a
 * longer window (double, up to the maximum). It never drops below
 * POLL_START_NS: the wait is only measured after a wake-up, and includes
 * its latency, which on a host that is itself a VM alone exceeds 32 us, so
 * a window at 0 would never grow again. A guest that goes idle thus costs
 * at most one window of CPU, and one whose requests come rarely (a Linux
 * guest on a PVM host, whose kernel is emulated) 4 us per request.
 */
#define POLL_START_NS 4000
/* Longest one dispatch serves and polls while buffers keep coming, before
 * the other sources of the I/O context (stop, sync, scheduled work) run. */
#define POLL_BUDGET_NS 2000000

struct notify_source {
    struct virtio_mmio *t;
    unsigned index;
    /* I/O thread only. */
    uint32_t poll_ns;           /* current window, 0..dev->poll_max_ns */
    uint32_t last_poll_ns;      /* the window that ended at idle_since */
    int64_t idle_since;         /* when the queue was last left empty; 0: unknown */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

/* With t->lock held. */
static bool queue_live(struct virtio_mmio *t, unsigned index)
{
    return !t->broken && (t->status & VIRTIO_STATUS_DRIVER_OK) && t->queues[index].ready;
}

/* The queue was left empty at ns->idle_since; a notification woke us at @woke. */
static void adapt_poll(struct notify_source *ns, uint32_t max, int64_t woke)
{
    if (!ns->idle_since)
        return;
    int64_t waited = woke - ns->idle_since + ns->last_poll_ns;
    ns->idle_since = 0;
    if (waited <= ns->poll_ns)
        return;
    uint32_t floor = MIN((uint32_t)POLL_START_NS, max);
    if (waited > max)
        ns->poll_ns = MAX(ns->poll_ns / 2, floor);
    else
        ns->poll_ns = MIN(MAX(ns->poll_ns * 2, floor), max);
}

static void went_idle(struct notify_source *ns, uint32_t polled)
{
    ns->idle_since = now_ns();
    ns->last_poll_ns = polled;
}

/*
 * Spins until the driver makes a buffer available or @ns_max passed. No
 * PAUSE in the loop (the clock read paces it): when the host is itself a
 * VM, a PAUSE loop makes the hypervisor below deschedule this CPU
 * (pause-loop exiting), and on the development host that let the window
 * pass unseen; without it polling caught 85 % of the requests instead
 * of ~2 % (docs/devices.md).
 */
static bool spin_for_work(const struct virtq_peek *peek, uint32_t ns_max)
{
    int64_t start = now_ns();
    do {
        if (virtq_peek_has_work(peek))
            return true;
    } while (now_ns() - start < ns_max);
    return virtq_peek_has_work(peek);
}

/*
 * Called after queue @ns->index was served and left empty with
 * notifications on: polls it as described above. Returns with
 * notifications on again (or the device reset or broken).
 */
static void poll_queue(struct virtio_mmio *t, struct notify_source *ns)
{
    struct virtq *q = &t->queues[ns->index];
    int64_t start = now_ns();
    while (ns->poll_ns) {
        struct virtq_peek peek;
        if (now_ns() - start >= POLL_BUDGET_NS) {
            /* Notifications on; what is left is served after the other
             * sources had their turn. */
            g_mutex_lock(&t->lock);
            if (queue_live(t, ns->index)) {
                virtq_set_notification(q, true);
                if (virtq_has_work(q))
                    virtio_mmio_kick(t->notify_fd[ns->index]);
            }
            g_mutex_unlock(&t->lock);
            break;
        }
        g_mutex_lock(&t->lock);
        if (!queue_live(t, ns->index)) {
            g_mutex_unlock(&t->lock);
            return;
        }
        virtq_set_notification(q, false);
        virtq_peek_init(q, &peek);
        g_mutex_unlock(&t->lock);

        bool found = spin_for_work(&peek, ns->poll_ns);

        g_mutex_lock(&t->lock);
        if (!queue_live(t, ns->index)) {
            g_mutex_unlock(&t->lock);
            return;
        }
        if (!found) {
            /* Notifications on, then one more look (virtq_set_notification). */
            virtq_set_notification(q, true);
            found = virtq_has_work(q);
        }
        if (found)
            t->dev->ops->queue_notify(t->dev, ns->index);
        g_mutex_unlock(&t->lock);
        if (!found) {
            went_idle(ns, ns->poll_ns);
            return;
        }
    }
    went_idle(ns, 0);
}

static gboolean on_queue_notify(gint fd, GIOCondition cond, gpointer opaque)
{
    struct notify_source *ns = opaque;
    struct virtio_mmio *t = ns->t;
    eventfd_t n;
    (void)cond;
    if (eventfd_read(fd, &n) < 0 && errno != EAGAIN)
        return G_SOURCE_CONTINUE;
    int64_t woke = t->dev->poll_max_ns ? now_ns() : 0;
    g_mutex_lock(&t->lock);
    bool live = queue_live(t, ns->index);
    if (live)
        t->dev->ops->queue_notify(t->dev, ns->index);
    g_mutex_unlock(&t->lock);
    if (live && t->dev->poll_max_ns) {
        adapt_poll(ns, t->dev->poll_max_ns, woke);
        poll_queue(t, ns);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_stop(gint fd, GIOCondition cond, gpointer opaque)
{
    (void)fd; (void)cond;
    g_main_loop_quit(opaque);
    return G_SOURCE_REMOVE;
}

static gpointer io_thread_main(gpointer opaque)
{
    struct virtio_mmio *t = opaque;
    g_main_context_push_thread_default(t->io_ctx);
    g_main_loop_run(t->io_loop);
    g_main_context_pop_thread_default(t->io_ctx);
    return NULL;
}

/* ---- register window ---- */

void virtio_mmio_device_reset(struct virtio_mmio *t)
{
    t->status = 0;
    t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
    t->driver_features = 0;
    t->dev->driver_features = 0;
    t->broken = false;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        virtq_reset(&t->queues[i], t->mem);
    __atomic_store_n(&t->interrupt_status, 0, __ATOMIC_SEQ_CST);
    if (t->dev->ops->reset)
        t->dev->ops->reset(t->dev);
}

static void write_status(struct virtio_mmio *t, uint32_t v)
{
    if (v == 0) {
        virtio_mmio_device_reset(t);
        return;
    }
    uint32_t old = t->status;
    if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
        /* 3.1.1: accept only offered features, and only the modern interface. */
        bool ok = !(t->driver_features & ~t->dev->host_features) &&
                  (t->driver_features & (1ULL << VIRTIO_F_VERSION_1));
        if (!ok)
            v &= ~VIRTIO_STATUS_FEATURES_OK;
        else
            t->dev->driver_features = t->driver_features;
    }
    if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
        if (!(v & VIRTIO_STATUS_FEATURES_OK)) {
            /* 3.1.1: no DRIVER_OK without accepted features. The device was
             * not activated, so DRIVER_OK must not stick: with it set the
             * I/O thread would serve queues of an inactive device. */
            v = (v & ~VIRTIO_STATUS_DRIVER_OK) | VIRTIO_STATUS_NEEDS_RESET;
        } else {
            for (unsigned i = 0; i < t->dev->n_queues; i++) {
                t->queues[i].event_idx = virtio_has_feature(t->dev, VIRTIO_F_EVENT_IDX);
                t->queues[i].indirect = virtio_has_feature(t->dev, VIRTIO_F_INDIRECT_DESC);
            }
            t->status = v | (old & VIRTIO_STATUS_NEEDS_RESET);
            if (t->dev->ops->activate)
                t->dev->ops->activate(t->dev);
            /* Buffers made available before DRIVER_OK are served now. */
            for (unsigned i = 0; i < t->dev->n_queues; i++)
                if (t->queues[i].ready)
                    virtio_mmio_kick(t->notify_fd[i]);
            return;
        }
    }
    /* The driver cannot clear bits other than by writing 0 (3.1.1). */
    t->status = v | (old & VIRTIO_STATUS_NEEDS_RESET);
}

static struct virtq *selected_queue(struct virtio_mmio *t)
{
    return t->queue_sel < t->dev->n_queues ? &t->queues[t->queue_sel] : NULL;
}

static void set_low(uint64_t *v, uint32_t x) { *v = (*v & ~0xffffffffULL) | x; }
static void set_high(uint64_t *v, uint32_t x) { *v = (*v & 0xffffffffULL) | (uint64_t)x << 32; }

static uint32_t read_reg(struct virtio_mmio *t, uint64_t off)
{
    struct virtq *q;
    switch (off) {
    case REG_MAGIC:     return MAGIC;
    case REG_VERSION:   return 2;
    case REG_DEVICE_ID: return t->dev->device_id;
    case REG_VENDOR_ID: return VENDOR_ID;
    case REG_DEVICE_FEATURES:
        if (t->dev_features_sel > 1)
            return 0;
        return (uint32_t)(t->dev->host_features >> (32 * t->dev_features_sel));
    case REG_QUEUE_NUM_MAX:
        return selected_queue(t) ? t->dev->queue_max : 0;
    case REG_QUEUE_READY:
        q = selected_queue(t);
        return q && q->ready;
    case REG_INTERRUPT_STATUS:
        return __atomic_load_n(&t->interrupt_status, __ATOMIC_SEQ_CST);
    case REG_STATUS:
        return t->status;
    case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH:
    case REG_SHM_BASE_LOW: case REG_SHM_BASE_HIGH:
        return 0xffffffff;  /* no shared memory regions */
    case REG_CONFIG_GENERATION:
        return __atomic_load_n(&t->config_generation, __ATOMIC_SEQ_CST);
    }
    return 0;
}

static void write_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
    struct virtq *q = selected_queue(t);
    /* Queue registers may change only while that queue is not live (4.2.3.2). */
    bool queue_setup = q && !q->ready;
    switch (off) {
    case REG_DEVICE_FEATURES_SEL: t->dev_features_sel = v; break;
    case REG_DRIVER_FEATURES_SEL: t->drv_features_sel = v; break;
    case REG_DRIVER_FEATURES:
        if ((t->status & VIRTIO_STATUS_FEATURES_OK) || t->drv_features_sel > 1)
            break;
        if (t->drv_features_sel == 0)
            set_low(&t->driver_features, v);
        else
            set_high(&t->driver_features, v);
        break;
    case REG_QUEUE_SEL: t->queue_sel = v; break;
    case REG_QUEUE_NUM:
        if (queue_setup)
            q->size = (v <= t->dev->queue_max) ? (uint16_t)v : 0;
        break;
    case REG_QUEUE_READY:
        if (!q)
            break;
        if (v == 1 && !q->ready) {
            g_autoptr(GError) err = NULL;
            if (!virtq_start(q, &err)) {
                t->status |= VIRTIO_STATUS_NEEDS_RESET;
                g_autofree char *key = g_strdup_printf("virtio-queue:%p", (void *)t);
                log_warn_once_in("virtio-mmio", key, "%s: queue %u: %s", t->dev->name, t->queue_sel, err->message);
            }
        } else if (v == 0) {
            q->ready = false;
        }
        break;
    case REG_QUEUE_NOTIFY:
        if (v < t->dev->n_queues)
            virtio_mmio_kick(t->notify_fd[v]);
        break;
    case REG_INTERRUPT_ACK:
        __atomic_fetch_and(&t->interrupt_status, ~v, __ATOMIC_SEQ_CST);
        break;
    case REG_STATUS:
        write_status(t, v);
        break;
    case REG_QUEUE_DESC_LOW:    if (queue_setup) set_low(&q->desc_gpa, v); break;
    case REG_QUEUE_DESC_HIGH:   if (queue_setup) set_high(&q->desc_gpa, v); break;
    case REG_QUEUE_DRIVER_LOW:  if (queue_setup) set_low(&q->avail_gpa, v); break;
    case REG_QUEUE_DRIVER_HIGH: if (queue_setup) set_high(&q->avail_gpa, v); break;
    case REG_QUEUE_DEVICE_LOW:  if (queue_setup) set_low(&q->used_gpa, v); break;
    case REG_QUEUE_DEVICE_HIGH: if (queue_setup) set_high(&q->used_gpa, v); break;
    default:
        break;
    }
}

static bool register_access_ok(struct virtio_mmio *t, uint64_t off, unsigned size)
{
    /* 4.2.2.2: the driver uses 32-bit aligned accesses for registers. */
    if (size == 4 && (off & 3) == 0)
        return true;
    g_autofree char *key = g_strdup_printf("virtio-width:%p", (void *)t);
    log_warn_once_in("virtio-mmio", key, "%s: %u-byte access at register 0x%" G_GINT64_MODIFIER "x ignored",
                 t->dev->name, size, off);
    return false;
}

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, unsigned size)
{
    struct virtio_mmio *t = opaque;
    memset(data, 0, size);
    if (off >= REG_CONFIG) {
        if (t->dev->ops->config_read)
            t->dev->ops->config_read(t->dev, off - REG_CONFIG, data, size);
        return;
    }
    if (!register_access_ok(t, off, size))
        return;
    uint32_t v;
    if (off == REG_INTERRUPT_STATUS || off == REG_CONFIG_GENERATION) {
        v = read_reg(t, off);   /* lock-free: must not wait for queue work */
    } else {
        g_mutex_lock(&t->lock);
        v = read_reg(t, off);
        g_mutex_unlock(&t->lock);
    }
    memcpy(data, &v, 4);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data, unsigned size)
{
    struct virtio_mmio *t = opaque;
    if (off >= REG_CONFIG) {
        if (t->dev->ops->config_write)
            t->dev->ops->config_write(t->dev, off - REG_CONFIG, data, size);
        return;
    }
    if (!register_access_ok(t, off, size))
        return;
    uint32_t v;
    memcpy(&v, data, 4);
    if (off == REG_QUEUE_NOTIFY || off == REG_INTERRUPT_ACK) {
        write_reg(t, off, v);   /* lock-free */
        return;
    }
    g_mutex_lock(&t->lock);
    write_reg(t, off, v);
    g_mutex_unlock(&t->lock);
}

const struct bus_ops virtio_mmio_bus_ops = {
    .read = mmio_read,
    .write = mmio_write,
};

/* ---- lifecycle ---- */

struct virtio_mmio *virtio_mmio_new(struct virtio_dev *dev, const struct guest_mem *mem,
                                    struct virtio_mmio_irq irq, GError **errp)
{
    g_assert(dev->n_queues <= VIRTIO_MAX_QUEUES);
    g_autofree char *name = NULL;
    struct virtio_mmio *t = g_new0(struct virtio_mmio, 1);
    t->dev = dev;
    t->mem = mem;
    t->irq = irq;
    t->stop_fd = -1;
    g_mutex_init(&t->lock);
    dev->transport = &transport_ops;
    dev->transport_opaque = t;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        t->notify_fd[i] = -1;
        virtq_reset(&t->queues[i], mem);
    }
    t->io_ctx = g_main_context_new();
    t->io_loop = g_main_loop_new(t->io_ctx, FALSE);
    for (unsigned i = 0; i < dev->n_queues; i++) {
        t->notify_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (t->notify_fd[i] < 0)
            goto fail;
        struct notify_source *ns = g_new(struct notify_source, 1);
        *ns = (struct notify_source){ .t = t, .index = i,
                                      .poll_ns = MIN(dev->poll_max_ns, (uint32_t)POLL_START_NS) };
        GSource *src = g_unix_fd_source_new(t->notify_fd[i], G_IO_IN);
        g_source_set_callback(src, (GSourceFunc)(void (*)(void))on_queue_notify, ns, g_free);
        g_source_attach(src, t->io_ctx);
        g_source_unref(src);
    }
    t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->stop_fd < 0)
        goto fail;
    GSource *stop = g_unix_fd_source_new(t->stop_fd, G_IO_IN);
    g_source_set_callback(stop, (GSourceFunc)(void (*)(void))on_stop, t->io_loop, NULL);
    g_source_attach(stop, t->io_ctx);
    g_source_unref(stop);
    name = g_strdup_printf("io-%s", dev->name);
    t->io_thread = g_thread_try_new(name, io_thread_main, t, errp);
    if (!t->io_thread) {
        virtio_mmio_free(t);
        return NULL;
    }
    return t;
fail:
    g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_HOST, "%s: eventfd: %s", dev->name,
                g_strerror(errno));
    virtio_mmio_free(t);
    return NULL;
}

void virtio_mmio_free(struct virtio_mmio *t)
{
    if (!t)
        return;
    if (t->io_thread) {
        virtio_mmio_kick(t->stop_fd);
        g_thread_join(t->io_thread);
    }
    g_main_loop_unref(t->io_loop);
    g_main_context_unref(t->io_ctx);
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        if (t->notify_fd[i] >= 0)
            close(t->notify_fd[i]);
    if (t->stop_fd >= 0)
        close(t->stop_fd);
    g_mutex_clear(&t->lock);
    g_free(t);
}

int virtio_mmio_notify_fd(struct virtio_mmio *t, unsigned index)
{
    return index < t->dev->n_queues ? t->notify_fd[index] : -1;
}

uint32_t virtio_mmio_status(struct virtio_mmio *t)
{
    g_mutex_lock(&t->lock);
    uint32_t s = t->status;
    g_mutex_unlock(&t->lock);
    return s;
}

struct virtio_mmio_call {
    GMutex lock;
    GCond cond;
    bool done;
    bool (*fn)(void *opaque, GError **errp);  /* run on the I/O thread, or NULL */
    void *opaque;
    bool ok;
    GError *err;
};

static gboolean call_done(gpointer opaque)
{
    struct virtio_mmio_call *c = opaque;
    bool ok = !c->fn || c->fn(c->opaque, &c->err);
    g_mutex_lock(&c->lock);
    c->ok = ok;
    c->done = true;
    g_cond_signal(&c->cond);
    g_mutex_unlock(&c->lock);
    return G_SOURCE_REMOVE;
}

struct virtio_mmio_call *virtio_mmio_call_post(struct virtio_mmio *t,
                                               bool (*fn)(void *opaque, GError **errp),
                                               void *opaque)
{
    struct virtio_mmio_call *c = g_new0(struct virtio_mmio_call, 1);
    c->fn = fn;
    c->opaque = opaque;
    g_mutex_init(&c->lock);
    g_cond_init(&c->cond);
    /* A source, not g_main_context_invoke(), which would run call_done()
     * right here if the I/O thread has not acquired its context yet. */
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, call_done, c, NULL);
    g_source_attach(src, t->io_ctx);
    g_source_unref(src);
    return c;
}

bool virtio_mmio_call_wait(struct virtio_mmio_call *c, GError **errp)
{
    g_mutex_lock(&c->lock);
    while (!c->done)
        g_cond_wait(&c->cond, &c->lock);
    g_mutex_unlock(&c->lock);
    g_cond_clear(&c->cond);
    g_mutex_clear(&c->lock);
    bool ok = c->ok;
    if (!ok)
        g_propagate_error(errp, c->err);
    g_free(c);
    return ok;
}

void virtio_mmio_sync(struct virtio_mmio *t)
{
    /*
     * Two rounds: the first may be dispatched by an iteration whose poll()
     * ran before our caller's last eventfd write (GLib checks sources added
     * after the poll). The second is attached after the first completed, so
     * it is dispatched only by an iteration that polled after that write,
     * and the notify sources, attached earlier at the same priority, are
     * dispatched before it.
     */
    for (int round = 0; round < VIRTIO_MMIO_SYNC_ROUNDS; round++)
        virtio_mmio_call_wait(virtio_mmio_call_post(t, NULL, NULL), NULL);
}
