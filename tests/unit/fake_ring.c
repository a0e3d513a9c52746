/* SPDX-License-Identifier: MIT */
#include "fake_ring.h"

#include <check.h>
#include <string.h>

uint8_t *fake_ram(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
    uint8_t *p = guest_mem_ptr(mem, gpa, len);
    if (!p)     /* not ck_assert: this runs in hot loops */
        ck_abort_msg("gpa 0x%" G_GINT64_MODIFIER "x+%" G_GINT64_MODIFIER "u outside RAM", gpa, len);
    return p;
}

void fake_wr16(const struct guest_mem *mem, uint64_t gpa, uint16_t v) { memcpy(fake_ram(mem, gpa, 2), &v, 2); }
void fake_wr32(const struct guest_mem *mem, uint64_t gpa, uint32_t v) { memcpy(fake_ram(mem, gpa, 4), &v, 4); }
void fake_wr64(const struct guest_mem *mem, uint64_t gpa, uint64_t v) { memcpy(fake_ram(mem, gpa, 8), &v, 8); }

uint16_t fake_rd16(const struct guest_mem *mem, uint64_t gpa)
{
    uint16_t v;
    memcpy(&v, fake_ram(mem, gpa, 2), 2);
    return v;
}

uint32_t fake_rd32(const struct guest_mem *mem, uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, fake_ram(mem, gpa, 4), 4);
    return v;
}

void fake_desc(const struct guest_mem *mem, uint64_t table, unsigned i, uint64_t addr,
               uint32_t len, uint16_t flags, uint16_t next)
{
    uint64_t d = table + 16ull * i;
    fake_wr64(mem, d, addr);
    fake_wr32(mem, d + 8, len);
    fake_wr16(mem, d + 12, flags);
    fake_wr16(mem, d + 14, next);
}

void fake_ring_set_avail_idx(struct fake_ring *r, uint16_t idx)
{
    r->avail_idx = idx;
    fake_wr16(r->mem, r->avail_gpa + 2, idx);
}

void fake_ring_set_used_event(struct fake_ring *r, uint16_t v)
{
    fake_wr16(r->mem, r->avail_gpa + 4 + 2u * r->size, v);
}

void fake_ring_make_available(struct fake_ring *r, uint16_t head)
{
    fake_wr16(r->mem, r->avail_gpa + 4 + 2u * (r->avail_idx % r->size), head);
    fake_ring_set_avail_idx(r, r->avail_idx + 1);
}

uint16_t fake_ring_used_idx(const struct fake_ring *r)
{
    return fake_rd16(r->mem, r->used_gpa + 2);
}

uint32_t fake_ring_used_id(const struct fake_ring *r, unsigned slot)
{
    return fake_rd32(r->mem, r->used_gpa + 4 + 8u * (slot % r->size));
}

uint32_t fake_ring_used_len(const struct fake_ring *r, unsigned slot)
{
    return fake_rd32(r->mem, r->used_gpa + 8 + 8u * (slot % r->size));
}

uint16_t fake_ring_avail_event(const struct fake_ring *r)
{
    return fake_rd16(r->mem, r->used_gpa + 4 + 8u * r->size);
}
