/* SPDX-License-Identifier: MIT */
/* Raw image files, and an in-memory disk for tests. */
#include "block.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/stat.h>

#include "error.h"

struct block_file {
    struct block_backend b;
    int fd;
};

static int fd_of(struct block_backend *b)
{
    return ((struct block_file *)b)->fd;
}

/* Loops until all of @iov moved: preadv/pwritev may return short counts. */
static ssize_t rw_all(struct block_backend *b, const struct iovec *iov, int n, uint64_t off,
                      bool write)
{
    struct iovec local[64];
    const struct iovec *cur = iov;
    size_t total = 0, want = 0;
    for (int i = 0; i < n; i++)
        want += iov[i].iov_len;
    while (total < want) {
        ssize_t r = write ? pwritev(fd_of(b), cur, n, off + total)
                          : preadv(fd_of(b), cur, n, off + total);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EIO;    /* past the end of the file */
        total += r;
        if (total == want)
            break;
        /* Skip what was done and retry the rest. */
        size_t skip = r;
        int k = 0;
        while (k < n && skip >= cur[k].iov_len)
            skip -= cur[k++].iov_len;
        n -= k;
        if (n > (int)G_N_ELEMENTS(local))
            return -EIO;
        memmove(local, cur + k, n * sizeof(*local));
        local[0].iov_base = (uint8_t *)local[0].iov_base + skip;
        local[0].iov_len -= skip;
        cur = local;
    }
    return total;
}

static ssize_t file_preadv(struct block_backend *b, const struct iovec *iov, int n, uint64_t off)
{
    return rw_all(b, iov, n, off, false);
}

static ssize_t file_pwritev(struct block_backend *b, const struct iovec *iov, int n, uint64_t off)
{
    return rw_all(b, iov, n, off, true);
}

static int file_flush(struct block_backend *b)
{
    return fdatasync(fd_of(b)) < 0 ? -errno : 0;
}

static int file_discard(struct block_backend *b, uint64_t off, uint64_t len)
{
    return fallocate(fd_of(b), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0
               ? -errno : 0;
}

static int file_write_zeroes(struct block_backend *b, uint64_t off, uint64_t len, bool unmap)
{
    int mode = unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                     : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
    if (fallocate(fd_of(b), mode, off, len) == 0)
        return 0;
    if (!unmap && errno == EOPNOTSUPP &&
        fallocate(fd_of(b), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
        return 0;
    return -errno;
}

static void file_destroy(struct block_backend *b)
{
    close(fd_of(b));
    g_free(b);
}

static const struct block_backend_ops file_ops = {
    .preadv = file_preadv,
    .pwritev = file_pwritev,
    .flush = file_flush,
    .discard = file_discard,
    .write_zeroes = file_write_zeroes,
    .destroy = file_destroy,
};

struct block_backend *block_file_open(const char *path, bool readonly, GError **errp)
{
    int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: %s", path, g_strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size % 512) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT,
                    "%s: size %lld is not a multiple of 512 bytes", path, (long long)st.st_size);
        close(fd);
        return NULL;
    }
    /* Open file description locks: released when the fd closes. */
    struct flock fl = { .l_type = readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: in use by another process (%s)", path,
                    readonly ? "open for writing" : "open");
        close(fd);
        return NULL;
    }
    struct block_file *f = g_new0(struct block_file, 1);
    f->b.ops = &file_ops;
    f->b.size = st.st_size;
    f->b.readonly = readonly;
    f->fd = fd;
    return &f->b;
}

/* ---- in memory ---- */

struct block_mem {
    struct block_backend b;
    uint8_t *data;
};

static struct block_mem *mem_of(struct block_backend *b)
{
    return (struct block_mem *)b;
}

static ssize_t mem_rw(struct block_backend *b, const struct iovec *iov, int n, uint64_t off,
                      bool write)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (off > b->size || iov[i].iov_len > b->size - off - total)   /* no wrap-around */
            return -EIO;
        if (write)
            memcpy(mem_of(b)->data + off + total, iov[i].iov_base, iov[i].iov_len);
        else
            memcpy(iov[i].iov_base, mem_of(b)->data + off + total, iov[i].iov_len);
        total += iov[i].iov_len;
    }
    return total;
}

static ssize_t mem_preadv(struct block_backend *b, const struct iovec *iov, int n, uint64_t off)
{
    return mem_rw(b, iov, n, off, false);
}

static ssize_t mem_pwritev(struct block_backend *b, const struct iovec *iov, int n, uint64_t off)
{
    return mem_rw(b, iov, n, off, true);
}

static int mem_flush(struct block_backend *b)
{
    (void)b;
    return 0;
}

static int mem_zero(struct block_backend *b, uint64_t off, uint64_t len)
{
    if (off > b->size || len > b->size - off)
        return -EIO;
    memset(mem_of(b)->data + off, 0, len);
    return 0;
}

static int mem_write_zeroes(struct block_backend *b, uint64_t off, uint64_t len, bool unmap)
{
    (void)unmap;
    return mem_zero(b, off, len);
}

static void mem_destroy(struct block_backend *b)
{
    g_free(mem_of(b)->data);
    g_free(b);
}

static const struct block_backend_ops mem_ops = {
    .preadv = mem_preadv,
    .pwritev = mem_pwritev,
    .flush = mem_flush,
    .discard = mem_zero,
    .write_zeroes = mem_write_zeroes,
    .destroy = mem_destroy,
};

struct block_backend *block_mem_new(uint64_t size, bool readonly)
{
    struct block_mem *m = g_new0(struct block_mem, 1);
    m->b.ops = &mem_ops;
    m->b.size = size;
    m->b.readonly = readonly;
    m->data = g_malloc0(size);
    return &m->b;
}

uint8_t *block_mem_data(struct block_backend *b)
{
    return mem_of(b)->data;
}
