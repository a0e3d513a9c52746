/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory: one anonymous host mapping carved into regions
 * that are registered with KVM as memory slots.
 *
 * guest_mem_ptr() is the single checked way to turn a guest-physical
 * (address, length) pair into a host pointer. Every device, loader and
 * virtqueue goes through it; nothing else does pointer arithmetic on guest
 * addresses.
 */
#ifndef KVMKIT_GUEST_MEM_H
#define KVMKIT_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#define GUEST_MEM_MAX_REGIONS 4

struct guest_mem_region {
    uint64_t gpa;   /* first guest-physical address */
    uint64_t size;  /* bytes */
    uint8_t *host;  /* host address of gpa */
};

struct guest_mem {
    uint8_t *base;      /* the whole mapping */
    uint64_t base_size;
    bool file_backed;   /* mapped from a snapshot's memory file... */
    int file_fd;        /* ...this one (our own descriptor), if file_backed */
    unsigned n_regions;
    struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
};

/*
 * Reserves @total bytes of anonymous, zeroed host memory. Regions are
 * added with guest_mem_add_region(). On failure returns false and sets
 * @errp; @mem is left empty (guest_mem_destroy() is still safe).
 */
bool guest_mem_init(struct guest_mem *mem, uint64_t total, GError **errp);

/*
 * Maps [gpa, gpa + size) of the guest to the next @size bytes of the host
 * mapping. Regions must not overlap and must fit in what was reserved.
 */
bool guest_mem_add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size,
                          GError **errp);

/*
 * Replaces the whole reservation with a private (copy-on-write) mapping of
 * @fd, which must be base_size bytes: guest RAM as a snapshot left it,
 * read from the file only as the guest touches it. Before any region is
 * registered with KVM. Keeps a duplicate of @fd (file_fd), so that a later
 * save can find the file's holes (SEEK_DATA) without reading them.
 */
bool guest_mem_map_file(struct guest_mem *mem, int fd, GError **errp);

/*
 * Lets the kernel back anonymous guest RAM with transparent huge pages
 * (MADV_HUGEPAGE; nothing for a snapshot's file mapping). Not done at
 * init: with the usual defrag=madvise setting, the first touch of each
 * 2 MiB then costs 0.5-3 ms (compaction, zeroing) instead of ~10 us, and
 * loading the guest would pay it before the first KVM_RUN. Any thread.
 */
void guest_mem_advise_hugepages(const struct guest_mem *mem);

/* Unmaps everything. Safe on a zeroed or half-initialised struct. */
void guest_mem_destroy(struct guest_mem *mem);

/*
 * Host pointer for guest-physical [gpa, gpa + len), or NULL if any byte of
 * that range is outside one region (including wrap-around of gpa + len).
 * len == 0 is valid for any gpa inside a region or at its end.
 * Thread-safe: the layout never changes after setup.
 */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copies to / from guest memory through guest_mem_ptr(); false if unmapped. */
bool guest_mem_write(const struct guest_mem *mem, uint64_t gpa,
                     const void *src, uint64_t len);
bool guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
                    uint64_t len);

/* Total bytes of guest RAM in all regions. */
uint64_t guest_mem_size(const struct guest_mem *mem);

#endif
