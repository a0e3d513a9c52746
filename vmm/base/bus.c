/* SPDX-License-Identifier: MIT */
#include "bus.h"

#include <string.h>

#include "error.h"

void bus_init(struct bus *bus, const char *name)
{
    bus->name = name;
    bus->ranges = g_array_new(FALSE, TRUE, sizeof(struct bus_range));
}

void bus_destroy(struct bus *bus)
{
    if (bus->ranges)
        g_array_free(bus->ranges, TRUE);
    bus->ranges = NULL;
}

bool bus_register(struct bus *bus, uint64_t base, uint64_t len,
                  const struct bus_ops *ops, void *opaque, const char *name,
                  GError **errp)
{
    if (len == 0 || base + len - 1 < base) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL,
                    "%s: %s: invalid range 0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x", bus->name, name, base, len);
        return false;
    }
    guint pos = 0;
    for (; pos < bus->ranges->len; pos++) {
        const struct bus_range *r = &g_array_index(bus->ranges, struct bus_range, pos);
        if (base <= r->base + (r->len - 1) && r->base <= base + (len - 1)) {
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL,
                        "%s: %s at 0x%" G_GINT64_MODIFIER "x overlaps %s at 0x%"
                        G_GINT64_MODIFIER "x", bus->name, name, base, r->name, r->base);
            return false;
        }
        if (r->base > base)
            break;
    }
    struct bus_range nr = {
        .base = base, .len = len, .ops = ops, .opaque = opaque, .name = name,
    };
    g_array_insert_val(bus->ranges, pos, nr);
    return true;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned size)
{
    guint lo = 0, hi = bus->ranges->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const struct bus_range *r = &g_array_index(bus->ranges, struct bus_range, mid);
        if (addr < r->base) {
            hi = mid;
        } else if (addr - r->base >= r->len) {
            lo = mid + 1;
        } else {
            /* The whole access must be inside the range. */
            if (size == 0 || size - 1 > r->len - 1 - (addr - r->base))
                return NULL;
            return r;
        }
    }
    return NULL;
}

bool bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned size)
{
    const struct bus_range *r = bus_find(bus, addr, size);
    if (!r || !r->ops->read) {
        memset(data, 0xff, size);
        return r != NULL;
    }
    r->ops->read(r->opaque, addr - r->base, data, size);
    return true;
}

bool bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, unsigned size)
{
    const struct bus_range *r = bus_find(bus, addr, size);
    if (!r)
        return false;
    if (r->ops->write)
        r->ops->write(r->opaque, addr - r->base, data, size);
    return true;
}
