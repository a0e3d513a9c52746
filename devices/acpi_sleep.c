/* SPDX-License-Identifier: MIT */
#include "acpi_sleep.h"
#include "log.h"

#include <glib.h>
#include <string.h>

struct acpi_sleep {
    void (*poweroff)(void *opaque);
    void *opaque;
};

/* The registers are 1 byte wide (the FADT's GAS says so); a guest that
 * reads or writes them otherwise gets all ones and is ignored. */
static bool width_ok(uint64_t off, unsigned size)
{
    if (size == 1)
        return true;
    log_warn_once_in("acpi-sleep", "width", "guest accessed ACPI sleep register %s with "
                     "a %u-byte access; only 1-byte accesses are honoured, ignored",
                     off == ACPI_SLEEP_CONTROL ? "control" : "status", size);
    return false;
}

static void sleep_read(void *opaque, uint64_t off, uint8_t *data, unsigned size)
{
    (void)opaque;
    if (!width_ok(off, size)) {
        memset(data, 0xff, size);
        return;
    }
    /* Control: SLP_EN is write-only and reads 0; status: WAK_STS is never set. */
    data[0] = 0;
}

static void sleep_write(void *opaque, uint64_t off, const uint8_t *data, unsigned size)
{
    struct acpi_sleep *s = opaque;
    if (!width_ok(off, size) || off != ACPI_SLEEP_CONTROL)
        return;     /* status: writing WAK_STS clears a bit that is never set */
    if (!(data[0] & ACPI_SLEEP_EN))
        return;
    unsigned typ = (data[0] & ACPI_SLEEP_TYP_MASK) >> ACPI_SLEEP_TYP_SHIFT;
    if (typ != ACPI_SLEEP_S5_TYP) {
        log_warn_once_in("acpi-sleep", "typ", "guest asked for sleep type %u, which the "
                         "DSDT does not offer (only S5 = %u), ignored", typ,
                         ACPI_SLEEP_S5_TYP);
        return;
    }
    s->poweroff(s->opaque);
}

const struct bus_ops acpi_sleep_ops = { .read = sleep_read, .write = sleep_write };

struct acpi_sleep *acpi_sleep_new(void (*poweroff)(void *opaque), void *opaque)
{
    struct acpi_sleep *s = g_new0(struct acpi_sleep, 1);
    s->poweroff = poweroff;
    s->opaque = opaque;
    return s;
}

void acpi_sleep_free(struct acpi_sleep *s)
{
    g_free(s);
}
