/* SPDX-License-Identifier: MIT */
/*
 * vmm/snapshot/: saved state. Owns the state tree each object writes its
 * own versioned section into (snap.c) and the snapshot files (this file).
 * Calls only vmm/base/ and vmm/observe/; it sits below the devices (which
 * save into snap.h) and the VM, which it reaches only through a struct
 * snapshot_source (vm_snapshot() in vmm/vm.c). Migration joins here.
 */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <libfdt.h>
#define XXH_INLINE_ALL      /* the header's own inline build: no library to load */
#include <xxhash.h>

#include "error.h"
#include "guest_mem.h"
#include "log.h"

#define PAGE ((uint64_t)4096)
#define CHECKSUM_PROP "checksum"
#define CHECKSUM_LEN 32                 /* SHA-256 */
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)
#define SCAN_BATCH 512                  /* pages per pagemap read (2 MiB) */
#define WRITE_CHUNK ((size_t)1 << 20)         /* buffered */
#define DIRECT_CHUNK ((size_t)8 << 20)        /* O_DIRECT */
#define DIRECT_MIN_RUN ((uint64_t)256 << 10)  /* shorter runs go buffered */
#define BLOCK_PROP "memory-block-xxh3"        /* one XXH3-64 per block, big-endian */
#define BLOCK_SIZE_PROP "memory-block-size"
#define BLOCK_SIZE (SCAN_BATCH * PAGE)        /* 2 MiB */
#define MAX_BLOCK_SIZE ((uint32_t)64 << 20)   /* what a reader accepts */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool page_is_zero(const uint8_t *p)
{
    const uint64_t *w = (const uint64_t *)p;
    for (size_t i = 0; i < PAGE / 8; i += 8)
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
            return false;
    return true;
}

/*
 * pwrite()s all of @len. @direct (NULL for a plain file) says whether the
 * descriptor has O_DIRECT; a file system that refuses a direct write gets
 * the rest buffered, and *@direct becomes false.
 */
static bool write_all(int fd, const uint8_t *p, size_t len, uint64_t off, const char *path,
                      bool *direct, GError **errp)
{
    while (len) {
        /* Buffered: 1 MiB at a time, measured twice as fast as one huge
         * pwrite() on ext4, the page cache fills in smaller steps. Direct:
         * 8 MiB, each write waits for the disk. */
        bool d = direct && *direct;
        ssize_t n = pwrite(fd, p, MIN(len, d ? DIRECT_CHUNK : WRITE_CHUNK), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EINVAL && d) {
            /* This file system wants other alignment for O_DIRECT (or none
             * at all): go on buffered. */
            *direct = false;
            if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT) == 0)
                continue;
        }
        if (n <= 0)
            return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "writing %s: %s", path,
                               n < 0 ? g_strerror(errno) : "no progress");
        p += n;
        off += n;
        len -= n;
    }
    return true;
}

/*
 * The memory file's descriptor and how runs of pages go to it: O_DIRECT for
 * long runs while the file system takes it, the page cache for short ones
 * (a 4 KiB direct write waits for the disk; a fragmented guest has many).
 */
struct mem_writer {
    int fd;
    int flags;          /* the file status flags without O_DIRECT */
    const char *path;
    bool direct_ok;     /* O_DIRECT was accepted and no write refused it */
    bool direct_now;    /* O_DIRECT is set on fd */
};

/* Writes @len bytes of guest RAM at @p to offset @off of the file. */
static bool write_run(struct mem_writer *w, const uint8_t *p, uint64_t len, uint64_t off,
                      GError **errp)
{
    bool want = w->direct_ok && len >= DIRECT_MIN_RUN;
    if (want != w->direct_now &&
        fcntl(w->fd, F_SETFL, want ? w->flags | O_DIRECT : w->flags) == 0)
        w->direct_now = want;
    if (!write_all(w->fd, p, len, off, w->path, &w->direct_now, errp))
        return false;
    if (want && !w->direct_now)
        w->direct_ok = false;   /* refused (or could not be set): for good */
    return true;
}

/* The data extent of a file at or after some offset: [from, to). */
struct data_extent {
    uint64_t from, to;
};

/*
 * Whether byte @off of @fd lies in a hole, for increasing @off; @e caches
 * the extent last found (start with {0, 0}). Unsure (no SEEK_DATA) is
 * "not a hole".
 */
static bool in_file_hole(int fd, uint64_t off, struct data_extent *e)
{
    if (fd < 0)
        return false;
    if (off >= e->to) {
        off_t from = lseek(fd, off, SEEK_DATA);
        if (from < 0) {
            /* ENXIO: no data from @off to the end. */
            *e = errno == ENXIO ? (struct data_extent){ UINT64_MAX, UINT64_MAX }
                                : (struct data_extent){ off, UINT64_MAX };
            return errno == ENXIO;
        }
        off_t to = lseek(fd, from, SEEK_HOLE);
        *e = (struct data_extent){ from, to < 0 ? UINT64_MAX : (uint64_t)to };
    }
    return off < e->from;
}

/* What holes read as, for the checksums. */
static const uint8_t zero_page[PAGE];

/* XXH3-64 of @len zero bytes (a block of the memory file with no data). */
static uint64_t zero_block_hash(uint64_t len)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    for (uint64_t off = 0; off < len; off += PAGE)
        XXH3_64bits_update(&st, zero_page, MIN(PAGE, len - off));
    return XXH3_64bits_digest(&st);
}

/*
 * The checksum of one block of the memory file, fed page by page in
 * order: zero pages before the first page with data are only counted, so
 * that a block with none (most of an idle guest) costs nothing to hash.
 */
struct block_hash {
    XXH3_state_t st;
    unsigned zero_pages;    /* counted, not yet fed */
    bool any_data;
};

static void block_hash_page(struct block_hash *h, const uint8_t *data)
{
    if (!data && !h->any_data) {
        h->zero_pages++;
        return;
    }
    if (data && !h->any_data) {
        h->any_data = true;
        for (; h->zero_pages; h->zero_pages--)
            XXH3_64bits_update(&h->st, zero_page, PAGE);
    }
    XXH3_64bits_update(&h->st, data ? data : zero_page, PAGE);
}

static uint64_t block_hash_end(struct block_hash *h, uint64_t zero_hash)
{
    return h->any_data ? XXH3_64bits_digest(&h->st) : zero_hash;
}

/*
 * Writes guest RAM to @fd, skipping all-zero pages (left as holes after an
 * ftruncate to the full size). Pages the guest never touched are neither
 * present nor swapped (/proc/self/pagemap) and are skipped without being
 * read, so scanning a big idle guest costs little: in anonymous memory
 * they are zero; in a restored guest's private file mapping they hold the
 * old memory file's bytes, zero where that file has a hole (SEEK_DATA).
 * Runs of pages are page-aligned in memory and in the file, as O_DIRECT
 * (see snapshot_save) needs.
 *
 * Appends to @hashes the XXH3-64 of each BLOCK_SIZE block of the file as
 * written (holes as zeros), big-endian, as the state file stores them.
 */
static bool write_memory(const struct guest_mem *mem, int fd, const char *path,
                         uint64_t *written, GArray *hashes, GError **errp)
{
    if (ftruncate(fd, mem->base_size) < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "%s: %s", path, g_strerror(errno));
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    struct data_extent extent = { 0, 0 };
    int flags = fcntl(fd, F_GETFL);
    bool direct = flags >= 0 && (flags & O_DIRECT);
    struct mem_writer w = { .fd = fd, .flags = flags & ~O_DIRECT, .path = path,
                            .direct_ok = direct, .direct_now = direct };
    uint64_t npages = mem->base_size / PAGE, run_start = 0, run_len = 0;
    uint64_t entries[SCAN_BATCH];
    double start = now_s(), last_report = start;
    uint64_t zero_hash = zero_block_hash(BLOCK_SIZE);
    bool ok = true;
    *written = 0;
    for (uint64_t pg = 0; ok && pg < npages; pg += SCAN_BATCH) {
        unsigned batch = (unsigned)MIN((uint64_t)SCAN_BATCH, npages - pg);
        uintptr_t va = (uintptr_t)mem->base + pg * PAGE;
        bool have_map = pagemap >= 0 &&
                        pread(pagemap, entries, batch * 8, (va / PAGE) * 8) == (ssize_t)batch * 8;
        struct block_hash h = { .any_data = false };
        XXH3_64bits_reset(&h.st);
        for (unsigned i = 0; ok && i < batch; i++) {
            const uint8_t *p = mem->base + (pg + i) * PAGE;
            bool untouched = have_map && !(entries[i] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED));
            bool zero = untouched && (!mem->file_backed ||
                                      in_file_hole(mem->file_fd, (pg + i) * PAGE, &extent));
            bool data = !zero && !page_is_zero(p);
            block_hash_page(&h, data ? p : NULL);
            if (data && run_len && run_start + run_len == pg + i) {
                run_len++;
                continue;
            }
            if (run_len) {
                ok = write_run(&w, mem->base + run_start * PAGE, run_len * PAGE,
                               run_start * PAGE, errp);
                *written += run_len * PAGE;
                run_len = 0;
            }
            if (data) {
                run_start = pg + i;
                run_len = 1;
            }
        }
        uint64_t sum = GUINT64_TO_BE(block_hash_end(&h, batch == SCAN_BATCH
                                                            ? zero_hash
                                                            : zero_block_hash(batch * PAGE)));
        g_array_append_val(hashes, sum);
        double t = now_s();
        if (t - last_report >= 1.0) {
            kvmkit_log(G_LOG_LEVEL_MESSAGE, "snapshot", "%" G_GUINT64_FORMAT " of %"
                       G_GUINT64_FORMAT " MiB scanned, %" G_GUINT64_FORMAT " MiB written",
                       (pg + batch) * PAGE >> 20, mem->base_size >> 20, *written >> 20);
            last_report = t;
        }
    }
    if (ok && run_len) {
        ok = write_run(&w, mem->base + run_start * PAGE, run_len * PAGE, run_start * PAGE,
                       errp);
        *written += run_len * PAGE;
    }
    if (pagemap >= 0)
        close(pagemap);
    if (ok && fdatasync(fd) < 0)
        ok = kvmkit_fail(errp, KVMKIT_ERROR_HOST, "fsync %s: %s", path, g_strerror(errno));
    if (ok && now_s() - start >= 1.0)
        kvmkit_log(G_LOG_LEVEL_MESSAGE, "snapshot", "memory done, %" G_GUINT64_FORMAT
                   " MiB in %.1f s",
                   *written >> 20, now_s() - start);
    return ok;
}

/* SHA-256 of @blob with the checksum property's value taken as zeros. */
static bool compute_checksum(void *blob, uint8_t out[CHECKSUM_LEN])
{
    int len;
    uint8_t *prop = fdt_getprop_w(blob, 0, CHECKSUM_PROP, &len);
    if (!prop || len != CHECKSUM_LEN)
        return false;
    uint8_t saved[CHECKSUM_LEN];
    memcpy(saved, prop, CHECKSUM_LEN);
    memset(prop, 0, CHECKSUM_LEN);
    g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(c, blob, fdt_totalsize(blob));
    gsize n = CHECKSUM_LEN;
    g_checksum_get_digest(c, out, &n);
    memcpy(prop, saved, CHECKSUM_LEN);
    return true;
}

static bool fsync_dir(const char *dir, GError **errp)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "fsync %s: %s", dir, g_strerror(e));
    }
    close(fd);
    return true;
}

/* The memory file of the snapshot now at @path, if any (to delete it once
 * it is replaced). */
static char *previous_memory_file(const char *path)
{
    g_autoptr(GError) err = NULL;
    struct snapshot *old = snapshot_open(path, &err);
    char *mem = old ? g_strdup(old->mem_path) : NULL;
    snapshot_free(old);
    return mem;
}

bool snapshot_save(const struct snapshot_source *src, const char *path, GError **errp)
{
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    g_autofree char *dir = g_path_get_dirname(abs);
    g_autofree char *base = g_path_get_basename(abs);
    g_autofree char *mem_name = g_strdup_printf("%s.%08x%08x.mem", base, g_random_int(),
                                                g_random_int());
    g_autofree char *mem_path = g_build_filename(dir, mem_name, NULL);
    g_autofree char *tmp_path = g_strdup_printf("%s.tmp", abs);
    g_autofree char *old_mem = previous_memory_file(abs);
    g_autofree void *blob = NULL;
    size_t len = 0;
    uint64_t written = 0;
    bool ok = false, renamed = false;
    int state_fd = -1;
    struct snap_out *o = NULL;
    g_autoptr(GArray) hashes = NULL;

    /* The disks first: the RAM saved below may cache data the guest wrote
     * but never flushed, which a restore after a host crash must find on
     * the images. */
    if (!src->sync_devices(src->opaque, errp))
        return false;
    /*
     * O_DIRECT: guest RAM goes from its pages to the disk, not through
     * newly allocated page cache. Here (a VM whose freed memory is
     * reported to its host, docs/platform.md) filling 1 GiB of page cache
     * took 1.2-2.2 s before the final fdatasync; direct writes take the
     * disk's ~1 GB/s. File systems without O_DIRECT (tmpfs before 6.6)
     * refuse it here or at the first write; then buffered writes.
     */
    int mem_fd = open(mem_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (mem_fd < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "cannot create %s: %s", mem_path,
                           g_strerror(errno));
    (void)fcntl(mem_fd, F_SETFL, O_DIRECT);
    hashes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    if (!write_memory(src->mem, mem_fd, mem_path, &written, hashes, errp))
        goto out;

    o = snap_out_new();
    static const uint8_t zeros[CHECKSUM_LEN];
    snap_put_str(o, "format", SNAPSHOT_FORMAT);
    snap_put_u32(o, "version", SNAPSHOT_VERSION);
    snap_put_bytes(o, CHECKSUM_PROP, zeros, sizeof(zeros));
    snap_put_str(o, "kvmkit-version", KVMKIT_VERSION);
    snap_put_u64(o, "created-unix", (uint64_t)time(NULL));
    snap_put_str(o, "config", src->config);
    snap_put_str(o, "memory-file", mem_name);
    snap_put_u64(o, "memory-size", src->mem->base_size);
    snap_put_u64(o, "memory-bytes-written", written);
    snap_put_u32(o, BLOCK_SIZE_PROP, BLOCK_SIZE);
    snap_put_bytes(o, BLOCK_PROP, hashes->data, hashes->len * sizeof(uint64_t));
    if (!src->save_state(src->opaque, o, errp))
        goto out;
    blob = snap_out_finish(o, &len, errp);
    if (!blob)
        goto out;
    uint8_t sum[CHECKSUM_LEN];
    compute_checksum(blob, sum);
    memcpy(fdt_getprop_w(blob, 0, CHECKSUM_PROP, NULL), sum, CHECKSUM_LEN);

    state_fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (state_fd < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "cannot create %s: %s", tmp_path,
                    g_strerror(errno));
        goto out;
    }
    if (!write_all(state_fd, blob, len, 0, tmp_path, NULL, errp))
        goto out;
    if (fsync(state_fd) < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "fsync %s: %s", tmp_path, g_strerror(errno));
        goto out;
    }
    if (rename(tmp_path, abs) < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "rename %s to %s: %s", tmp_path, abs,
                    g_strerror(errno));
        goto out;
    }
    renamed = true;
    /* The new snapshot is in place, its memory file with it whatever
     * happens now. Until the directory is on disk a crash may bring the
     * old one back: its memory file goes only after. */
    bool replaced = old_mem && strcmp(old_mem, mem_path) != 0;
    ok = fsync_dir(dir, errp);
    if (!ok)
        g_prefix_error(errp, "%s is written but may not survive a host crash%s%s: ", abs,
                       replaced ? "; the previous memory file is kept (delete it once the "
                                  "directory is on disk): " : "",
                       replaced ? old_mem : "");
    if (ok && replaced)
        unlink(old_mem);
out:
    snap_out_free(o);
    if (state_fd >= 0)
        close(state_fd);
    close(mem_fd);
    if (!ok && !renamed) {
        unlink(mem_path);
        unlink(tmp_path);
    }
    return ok;
}

/* ---- opening ---- */

void snapshot_free(struct snapshot *s)
{
    if (!s)
        return;
    if (s->mem_fd >= 0)
        close(s->mem_fd);
    g_free(s->path);
    g_free(s->blob);
    g_free(s->mem_path);
    g_free(s);
}

static struct snapshot *open_checked(struct snapshot *s, const char *path, GError **errp);

struct snapshot *snapshot_open(const char *path, GError **errp)
{
    struct snapshot *s = g_new0(struct snapshot, 1);
    s->mem_fd = -1;
    if (!open_checked(s, path, errp)) {
        snapshot_free(s);
        return NULL;
    }
    return s;
}

/* Fills @s from @path; false (with @s to be freed) if anything is wrong. */
static struct snapshot *open_checked(struct snapshot *s, const char *path, GError **errp)
{
    g_autoptr(GError) err = NULL;
    gsize len;
    s->path = g_canonicalize_filename(path, NULL);
    if (!g_file_get_contents(s->path, (char **)&s->blob, &len, &err)) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "snapshot %s: %s", path, err->message);
        return NULL;
    }
    s->len = len;
    if (!snap_in_root(s->blob, s->len, &s->root, errp)) {
        g_prefix_error(errp, "%s: ", path);
        return NULL;
    }
    const char *format = snap_get_str(&s->root, "format", NULL);
    if (!format || strcmp(format, SNAPSHOT_FORMAT) != 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: not a kvmkit snapshot", path);
        return NULL;
    }
    uint32_t version;
    if (!snap_get_u32(&s->root, "version", &version, errp)) {
        g_prefix_error(errp, "%s: ", path);
        return NULL;
    }
    if (version != SNAPSHOT_VERSION) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: snapshot format version %u, this kvmkit "
                    "reads version %u", path, version, SNAPSHOT_VERSION);
        return NULL;
    }
    uint8_t sum[CHECKSUM_LEN], stored[CHECKSUM_LEN];
    if (!snap_get_bytes(&s->root, CHECKSUM_PROP, stored, sizeof(stored), errp) ||
        !compute_checksum(s->blob, sum)) {
        g_prefix_error(errp, "%s: ", path);
        return NULL;
    }
    if (memcmp(sum, stored, CHECKSUM_LEN) != 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: checksum mismatch: the snapshot is "
                    "corrupted", path);
        return NULL;
    }
    const char *mem_name;
    if (!(s->config = snap_get_str(&s->root, "config", errp)) ||
        !(mem_name = snap_get_str(&s->root, "memory-file", errp)) ||
        !snap_get_u64(&s->root, "memory-size", &s->mem_size, errp)) {
        g_prefix_error(errp, "%s: ", path);
        return NULL;
    }
    if (strchr(mem_name, '/') || !strcmp(mem_name, "..") || !strcmp(mem_name, ".")) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: bad memory file name", path);
        return NULL;
    }
    g_autofree char *dir = g_path_get_dirname(s->path);
    s->mem_path = g_build_filename(dir, mem_name, NULL);
    s->mem_fd = open(s->mem_path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (s->mem_fd < 0 || fstat(s->mem_fd, &st) < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: memory file %s: %s", path, s->mem_path,
                    g_strerror(errno));
        return NULL;
    }
    if ((uint64_t)st.st_size != s->mem_size) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: memory file %s is %" G_GUINT64_FORMAT
                    " bytes, the snapshot needs %" G_GUINT64_FORMAT, path, s->mem_path,
                    (uint64_t)st.st_size, s->mem_size);
        return NULL;
    }
    if (snap_has_prop(&s->root, BLOCK_PROP)) {
        size_t n;
        if (!snap_get_u32(&s->root, BLOCK_SIZE_PROP, &s->block_size, errp) ||
            !(s->block_hashes = snap_get_blob(&s->root, BLOCK_PROP, &n, errp))) {
            g_prefix_error(errp, "%s: ", path);
            return NULL;
        }
        if (s->block_size == 0 || s->block_size % PAGE || s->block_size > MAX_BLOCK_SIZE ||
            n != (s->mem_size + s->block_size - 1) / s->block_size * sizeof(uint64_t)) {
            kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: the memory file's checksums do not "
                        "fit its size", path);
            return NULL;
        }
    }
    return s;
}

bool snapshot_verify_memory(const struct snapshot *s, GError **errp)
{
    if (!s->block_hashes)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: this snapshot has no memory "
                           "checksums to verify (saved by an older kvmkit)", s->path);
    g_autofree uint8_t *buf = g_malloc(s->block_size);
    struct data_extent extent = { 0, 0 };
    uint64_t zero_hash = zero_block_hash(s->block_size);
    double start = now_s();
    (void)posix_fadvise(s->mem_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (uint64_t off = 0, i = 0; off < s->mem_size; off += s->block_size, i++) {
        uint64_t len = MIN((uint64_t)s->block_size, s->mem_size - off);
        uint64_t want, got;
        memcpy(&want, s->block_hashes + i * sizeof(want), sizeof(want));
        want = GUINT64_FROM_BE(want);
        /* A block that is all hole is zeros without reading it. */
        in_file_hole(s->mem_fd, off, &extent);
        if (extent.from >= off + len) {
            got = len == s->block_size ? zero_hash : zero_block_hash(len);
        } else {
            for (uint64_t done = 0; done < len;) {
                ssize_t r = pread(s->mem_fd, buf + done, len - done, off + done);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0)
                    return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: reading %s: %s", s->path,
                                       s->mem_path, r < 0 ? g_strerror(errno) : "short file");
                done += r;
            }
            got = XXH3_64bits(buf, len);
        }
        if (got != want)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: memory file %s is damaged: the "
                               "%u KiB at offset 0x%" G_GINT64_MODIFIER "x do not match their "
                               "checksum", s->path, s->mem_path, (unsigned)(len >> 10), off);
    }
    kvmkit_log(G_LOG_LEVEL_INFO, "snapshot", "memory file verified: %" G_GUINT64_FORMAT
               " MiB in %.3f s", s->mem_size >> 20, now_s() - start);
    return true;
}
