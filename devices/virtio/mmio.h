/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio transport, version 2 (virtio 1.2, section 4.2): the register
 * window, feature negotiation, device status and reset, queue setup,
 * interrupt status/ack and config generation, for one struct virtio_dev.
 *
 * Each transport owns an I/O thread where its device's queues are served.
 * Queue notifications arrive on one eventfd per queue (kvmkit registers
 * them with KVM_IOEVENTFD; a QueueNotify write that reaches the transport
 * anyway is forwarded to the same eventfd). Interrupts go out through the
 * @irq callback (an irqfd write in the VM, a recorder in tests).
 */
#ifndef KVMKIT_VIRTIO_MMIO_H
#define KVMKIT_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bus.h"
#include "guest_mem.h"
#include "virtio.h"

#define VIRTIO_MMIO_SIZE 0x1000
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050

struct virtio_mmio;

struct virtio_mmio_irq {
    void (*trigger)(void *opaque);   /* any thread */
    void *opaque;
};

/*
 * Creates the transport for @dev (borrowed; must outlive it) and starts its
 * I/O thread. Fails only if eventfds or the thread cannot be created.
 */
struct virtio_mmio *virtio_mmio_new(struct virtio_dev *dev, const struct guest_mem *mem,
                                    struct virtio_mmio_irq irq, GError **errp);

/* Stops the I/O thread and frees the transport. */
void virtio_mmio_free(struct virtio_mmio *t);

/* The eventfd a notification of queue @index must be written to. */
int virtio_mmio_notify_fd(struct virtio_mmio *t, unsigned index);

/* Register window ops for the MMIO bus (VIRTIO_MMIO_SIZE bytes). */
extern const struct bus_ops virtio_mmio_bus_ops;

/* Device status as the driver sees it (tests, snapshots). */
uint32_t virtio_mmio_status(struct virtio_mmio *t);

/* Waits until the I/O thread has handled everything queued before (tests,
 * pausing the VM): VIRTIO_MMIO_SYNC_ROUNDS empty calls, one after the other
 * (mmio.c says why one is not enough). */
#define VIRTIO_MMIO_SYNC_ROUNDS 2
void virtio_mmio_sync(struct virtio_mmio *t);

/*
 * Posts @fn(@opaque, @errp) (or nothing, with @fn NULL) to the I/O thread
 * and returns at once; virtio_mmio_call_wait() waits for it, returns what
 * @fn returned and frees the call. Posting to every device before waiting
 * lets their threads run it at the same time. Main thread; used to install
 * per-thread security settings (vmm/security/seccomp_filter.h, vmm/security/jail.h) and to
 * pause the VM.
 */
struct virtio_mmio_call;
struct virtio_mmio_call *virtio_mmio_call_post(struct virtio_mmio *t,
                                               bool (*fn)(void *opaque, GError **errp),
                                               void *opaque);
bool virtio_mmio_call_wait(struct virtio_mmio_call *c, GError **errp);

struct snap_out;
struct snap_in;
/*
 * Saves the transport registers, each queue's ring state and the device's
 * own state as child @node (VM paused). Load restores them into a freshly
 * created transport for the same kind of device, re-validating the rings
 * in guest memory, then resumes queue service; a snapshot that does not
 * match (another device type, bad ring addresses) is refused.
 */
void virtio_mmio_save(struct virtio_mmio *t, struct snap_out *o, const char *node);
bool virtio_mmio_load(struct virtio_mmio *t, const struct snap_in *parent, const char *node,
                      GError **errp);

#endif
