/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2, section 5.3), port 0 only (no
 * VIRTIO_CONSOLE_F_MULTIPORT): the guest's hvc0, over a character back end.
 *
 * Queue 0 (receiveq) carries host input to the guest, queue 1 (transmitq)
 * guest output to the back end. Input arrives on the main loop thread
 * through the chardev front end callbacks and waits in a small buffer
 * until the guest has posted receive buffers; while that buffer is full
 * can_receive() says 0 and the back end holds further input, so nothing
 * is dropped. A chain with device-writable buffers on the transmitq, or
 * device-readable ones on the receiveq, breaks the device (NEEDS_RESET).
 */
#ifndef KVMKIT_VIRTIO_CONSOLE_H
#define KVMKIT_VIRTIO_CONSOLE_H

#include "backend/chardev.h"
#include "virtio.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE 64
#define VIRTIO_CONSOLE_RX_BUFFER 4096   /* host input held for the guest */
#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1

struct virtio_console;

/*
 * Creates the device on @chr, which it owns from now on (freed by
 * virtio_console_free) and attaches to as front end. Main thread.
 */
struct virtio_console *virtio_console_new(struct chardev *chr);

/* Frees the device and its back end; the transport must be gone already. */
void virtio_console_free(struct virtio_console *con);

struct virtio_dev *virtio_console_dev(struct virtio_console *con);

#endif
