/* SPDX-License-Identifier: MIT */
/*
 * For bench/snapshot.py: writes a non-zero pattern into "touch=N" MiB of
 * RAM from 64 MiB up (at CPL3, where this host runs code natively), prints
 * "KVMKIT-TOUCHED mib=N", then prints "KVMKIT-BEAT n=K" heartbeats forever
 * so a restore can be seen running again.
 */
#include "cpl3.h"
#include "lib.h"

#define TOUCH_BASE (64ULL << 20)
#define PAGE 4096

static uint8_t stack[16384] __attribute__((aligned(16)));

struct touch {
    uint64_t start, end;
};

static void touch_pages(void *opaque)
{
    const struct touch *t = opaque;
    /* One word per 64 bytes: every page is non-zero and most cache lines
     * differ, so the snapshot cannot skip or compress them away. */
    for (uint64_t a = t->start; a < t->end; a += 64)
        *(volatile uint64_t *)a = a * 0x9e3779b97f4a7c15ULL | 1;
}

void payload_main(const void *boot_params)
{
    const char *cmdline = boot_cmdline(boot_params);
    uint64_t mib = 0;
    const char *v = cmdline_value(cmdline, "touch");
    if (v)
        mib = parse_dec(v, 0);
    cpl3_init();
    struct touch t = { TOUCH_BASE, TOUCH_BASE + (mib << 20) };
    cpl3_run(touch_pages, &t, stack + sizeof(stack));
    serial_puts("KVMKIT-TOUCHED mib=");
    serial_put_dec(mib);
    serial_puts("\n");
    for (uint64_t n = 0;; n++) {
        serial_puts("KVMKIT-BEAT n=");
        serial_put_dec(n);
        serial_puts("\n");
        uint64_t until = rdtsc() + 200000000ULL;
        while (rdtsc() < until)
            __asm__ volatile("pause");
    }
}
