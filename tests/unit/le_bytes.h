/* SPDX-License-Identifier: MIT */
/*
 * Little-endian reads and the byte sum firmware tables are checked with,
 * for the suites that parse what kvmkit wrote for the guest (MP table,
 * ACPI tables).
 */
#ifndef KVMKIT_TEST_LE_BYTES_H
#define KVMKIT_TEST_LE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* The 8-bit sum of @len bytes: 0 for a table with a correct checksum. */
static inline uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--)
        s += *p++;
    return s;
}

#endif
