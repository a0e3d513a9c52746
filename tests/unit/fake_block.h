/* SPDX-License-Identifier: MIT */
/*
 * A block back end for tests and fuzzers: the in-memory disk behind a probe
 * that counts the calls a device makes and fails them on demand.
 */
#ifndef KVMKIT_TEST_FAKE_BLOCK_H
#define KVMKIT_TEST_FAKE_BLOCK_H

#include "backend/block.h"

struct fake_block {
    struct block_backend b;     /* what the device is given */
    struct block_backend *mem;  /* block_mem_new() underneath */
    unsigned reads, writes, flushes, discards, zeroes;
    bool last_unmap;            /* of the last write_zeroes() */
    int flush_result;           /* what flush() returns */
    bool fail_io;               /* preadv/pwritev return -EIO */
    int discard_result;         /* nonzero: discard/write_zeroes return it */
};

/* A zeroed disk of @size bytes; b.ops->destroy() frees it all. */
struct fake_block *fake_block_new(uint64_t size, bool readonly);

/* The disk's bytes. */
uint8_t *fake_block_data(struct fake_block *f);

#endif
