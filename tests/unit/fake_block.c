/* SPDX-License-Identifier: MIT */
#include "fake_block.h"

#include <errno.h>

static struct fake_block *of(struct block_backend *b)
{
    return (struct fake_block *)b;
}

static ssize_t fake_preadv(struct block_backend *b, const struct iovec *iov, int n, uint64_t off)
{
    struct fake_block *f = of(b);
    f->reads++;
    return f->fail_io ? -EIO : f->mem->ops->preadv(f->mem, iov, n, off);
}

static ssize_t fake_pwritev(struct block_backend *b, const struct iovec *iov, int n, uint64_t off)
{
    struct fake_block *f = of(b);
    f->writes++;
    return f->fail_io ? -EIO : f->mem->ops->pwritev(f->mem, iov, n, off);
}

static int fake_flush(struct block_backend *b)
{
    struct fake_block *f = of(b);
    f->flushes++;
    return f->flush_result;
}

static int fake_discard(struct block_backend *b, uint64_t off, uint64_t len)
{
    struct fake_block *f = of(b);
    f->discards++;
    return f->discard_result ? f->discard_result : f->mem->ops->discard(f->mem, off, len);
}

static int fake_write_zeroes(struct block_backend *b, uint64_t off, uint64_t len, bool unmap)
{
    struct fake_block *f = of(b);
    f->zeroes++;
    f->last_unmap = unmap;
    return f->discard_result ? f->discard_result
                             : f->mem->ops->write_zeroes(f->mem, off, len, unmap);
}

static void fake_destroy(struct block_backend *b)
{
    block_backend_free(of(b)->mem);
    g_free(b);
}

static const struct block_backend_ops fake_block_ops = {
    .preadv = fake_preadv,
    .pwritev = fake_pwritev,
    .flush = fake_flush,
    .discard = fake_discard,
    .write_zeroes = fake_write_zeroes,
    .destroy = fake_destroy,
};

struct fake_block *fake_block_new(uint64_t size, bool readonly)
{
    struct fake_block *f = g_new0(struct fake_block, 1);
    f->mem = block_mem_new(size, readonly);
    f->b = (struct block_backend){ .ops = &fake_block_ops, .size = size, .readonly = readonly };
    return f;
}

uint8_t *fake_block_data(struct fake_block *f)
{
    return block_mem_data(f->mem);
}
