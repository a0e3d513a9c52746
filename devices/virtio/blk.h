/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2, section 5.2) over a block back end: read, write,
 * flush (the request completes only after the back end's flush), get-id
 * (the disk's name), discard and write-zeroes; read-only disks.
 *
 * A malformed request gets VIRTIO_BLK_S_IOERR or _UNSUPP and has no effect
 * on the image; a chain with no room for the status byte breaks the
 * device (NEEDS_RESET). Requests run on the transport's I/O thread.
 */
#ifndef KVMKIT_VIRTIO_BLK_H
#define KVMKIT_VIRTIO_BLK_H

#include "backend/block.h"
#include "virtio.h"

#define VIRTIO_BLK_QUEUE_SIZE 256

struct virtio_blk;

/* @backend is owned by the device from now on; @name is copied (GET_ID). */
struct virtio_blk *virtio_blk_new(const char *name, struct block_backend *backend);
void virtio_blk_free(struct virtio_blk *blk);
struct virtio_dev *virtio_blk_dev(struct virtio_blk *blk);

/* Status codes and request types (5.2.6). */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#endif
