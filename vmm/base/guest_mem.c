/* SPDX-License-Identifier: MIT */
/*
 * vmm/base/: the bottom layer. Owns errors (error.h), guest memory
 * (guest_mem: RAM regions and the one checked gpa -> host pointer helper),
 * the port and MMIO buses (bus) and interrupt lines (irq.h): the narrow
 * interfaces through which devices reach the machine. Calls nothing else
 * of kvmkit; every other layer may call it.
 */
#include "guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "error.h"

bool guest_mem_init(struct guest_mem *mem, uint64_t total, GError **errp)
{
    memset(mem, 0, sizeof(*mem));
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_HOST,
                    "cannot reserve %" G_GUINT64_FORMAT " MiB of guest memory: %s",
                    total >> 20, g_strerror(errno));
        return false;
    }
    /* Guest RAM is never dumped with the VMM. Huge pages come later
     * (guest_mem_advise_hugepages). */
    madvise(p, total, MADV_DONTDUMP);
    mem->base = p;
    mem->base_size = total;
    return true;
}

bool guest_mem_map_file(struct guest_mem *mem, int fd, GError **errp)
{
    void *p = mmap(mem->base, mem->base_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, 0);
    if (p == MAP_FAILED)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "cannot map the snapshot's memory: %s",
                           g_strerror(errno));
    madvise(p, mem->base_size, MADV_DONTDUMP);
    mem->file_backed = true;
    mem->file_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);   /* -1: saves read the holes */
    return true;
}

void guest_mem_advise_hugepages(const struct guest_mem *mem)
{
    if (mem->base && !mem->file_backed)
        madvise(mem->base, mem->base_size, MADV_HUGEPAGE);
}

bool guest_mem_add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size,
                          GError **errp)
{
    uint64_t used = 0;
    for (unsigned i = 0; i < mem->n_regions; i++) {
        const struct guest_mem_region *r = &mem->regions[i];
        used += r->size;
        if (gpa < r->gpa + r->size && r->gpa < gpa + size) {
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL,
                        "guest memory region 0x%" G_GINT64_MODIFIER "x overlaps another", gpa);
            return false;
        }
    }
    if (mem->n_regions == GUEST_MEM_MAX_REGIONS || size > mem->base_size - used ||
        gpa + size < gpa) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL,
                    "guest memory region 0x%" G_GINT64_MODIFIER "x does not fit", gpa);
        return false;
    }
    mem->regions[mem->n_regions++] = (struct guest_mem_region){
        .gpa = gpa, .size = size, .host = mem->base + used,
    };
    return true;
}

void guest_mem_destroy(struct guest_mem *mem)
{
    if (mem->base)
        munmap(mem->base, mem->base_size);
    if (mem->file_backed && mem->file_fd >= 0)
        close(mem->file_fd);
    memset(mem, 0, sizeof(*mem));
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < mem->n_regions; i++) {
        const struct guest_mem_region *r = &mem->regions[i];
        if (gpa < r->gpa)
            continue;
        uint64_t off = gpa - r->gpa;
        /* Written so that no expression can overflow. */
        if (off > r->size || len > r->size - off)
            continue;
        return r->host + off;
    }
    return NULL;
}

bool guest_mem_write(const struct guest_mem *mem, uint64_t gpa,
                     const void *src, uint64_t len)
{
    void *p = guest_mem_ptr(mem, gpa, len);
    if (!p)
        return false;
    memcpy(p, src, len);
    return true;
}

bool guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
                    uint64_t len)
{
    const void *p = guest_mem_ptr(mem, gpa, len);
    if (!p)
        return false;
    memcpy(dst, p, len);
    return true;
}

uint64_t guest_mem_size(const struct guest_mem *mem)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < mem->n_regions; i++)
        total += mem->regions[i].size;
    return total;
}
