/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files (docs/snapshot-format.md): a state file, a flattened
 * device tree holding the machine description (the effective config as
 * INI text) and every object's state, checksummed with SHA-256; and next
 * to it a memory file, guest RAM byte for byte, sparse (all-zero pages are
 * holes), that a restore maps with MAP_PRIVATE.
 *
 * Saving is atomic per path: the memory file gets a fresh unique name, the
 * state file is written under a temporary name, fsynced and renamed over
 * PATH, and only then is the previous snapshot's memory file removed. A
 * failed save (ENOSPC, a crash) leaves the previous snapshot intact.
 *
 * Main thread only.
 */
#ifndef KVMKIT_SNAPSHOT_H
#define KVMKIT_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "snap.h"

#define SNAPSHOT_FORMAT "kvmkit-snapshot"
#define SNAPSHOT_VERSION 1

struct guest_mem;

/*
 * What a snapshot is made of, from a machine its caller has paused: guest
 * RAM, the machine description (the effective config as INI text) and two
 * calls back into the machine with @opaque. vm_snapshot() (vmm/vm.c) fills
 * it in: the snapshot layer sits below the VM and does not know struct vm.
 */
struct snapshot_source {
    const struct guest_mem *mem;
    const char *config;
    /* Makes durable what the devices told the guest was done, before RAM
     * is saved (vm_sync_devices()). */
    bool (*sync_devices)(void *opaque, GError **errp);
    /* Writes the state of every object (vm_save_state()). */
    bool (*save_state)(void *opaque, struct snap_out *o, GError **errp);
    void *opaque;
};

/* Saves the machine @src describes to @path. */
bool snapshot_save(const struct snapshot_source *src, const char *path, GError **errp);

/* An opened, verified snapshot. */
struct snapshot {
    char *path;
    void *blob;             /* the state file */
    size_t len;
    struct snap_in root;
    const char *config;     /* INI text of the machine (inside blob) */
    char *mem_path;         /* absolute */
    uint64_t mem_size;
    int mem_fd;             /* open read-only, for mapping */
    /* The memory file's checksums: XXH3-64 of each @block_size bytes, big
     * endian, inside blob; NULL in a snapshot saved without them. */
    const uint8_t *block_hashes;
    uint32_t block_size;
};

/*
 * Reads @path and checks everything that can be checked without building
 * the machine and without reading the memory file: it is a kvmkit snapshot
 * of a version this build reads, the checksum matches, the memory file
 * exists and has the recorded size.
 */
struct snapshot *snapshot_open(const char *path, GError **errp);
void snapshot_free(struct snapshot *s);

/*
 * Reads the whole memory file of @s and checks it against the checksums
 * the save recorded ([snapshot] verify; a restore maps the file and reads
 * only what the guest touches, so it does not read it otherwise). Fails
 * (KVMKIT_ERROR_INPUT) naming the first damaged block, or when @s has no
 * checksums.
 */
bool snapshot_verify_memory(const struct snapshot *s, GError **errp);

#endif
