/* SPDX-License-Identifier: MIT */
/*
 * Block back ends behind one ops table; device models (virtio-blk) never
 * see a file descriptor. Calls may block; they are made from the device's
 * I/O thread.
 */
#ifndef KVMKIT_BLOCK_H
#define KVMKIT_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <glib.h>

struct block_backend;

struct block_backend_ops {
    /* Like preadv/pwritev: bytes transferred (all of them) or -errno. */
    ssize_t (*preadv)(struct block_backend *b, const struct iovec *iov, int n, uint64_t off);
    ssize_t (*pwritev)(struct block_backend *b, const struct iovec *iov, int n, uint64_t off);
    /* Makes every completed write durable; 0 or -errno. */
    int (*flush)(struct block_backend *b);
    /* Deallocates / zeroes [off, off + len); 0 or -errno (-EOPNOTSUPP allowed). */
    int (*discard)(struct block_backend *b, uint64_t off, uint64_t len);
    int (*write_zeroes)(struct block_backend *b, uint64_t off, uint64_t len, bool unmap);
    void (*destroy)(struct block_backend *b);
};

struct block_backend {
    const struct block_backend_ops *ops;
    uint64_t size;      /* bytes, a multiple of 512 */
    bool readonly;
};

/*
 * Opens a raw image file. Refuses, naming @path: a missing or unreadable
 * file, a size that is not a multiple of 512, and an image another process
 * holds open for writing (an fcntl lock: one writer, or any number of
 * readers).
 */
struct block_backend *block_file_open(const char *path, bool readonly, GError **errp);

/* An in-memory disk of @size bytes (tests). */
struct block_backend *block_mem_new(uint64_t size, bool readonly);
uint8_t *block_mem_data(struct block_backend *b);

static inline void block_backend_free(struct block_backend *b)
{
    if (b)
        b->ops->destroy(b);
}

#endif
