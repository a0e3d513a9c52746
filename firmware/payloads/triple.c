/* SPDX-License-Identifier: MIT */
/*
 * Loads an empty IDT and raises #UD: the #UD cannot be delivered (#GP), nor
 * can the #GP (#DF), nor the #DF, so the CPU shuts down (Intel SDM vol. 3,
 * 6.15 "Interrupt 8"). kvmkit must report the triple fault and exit 1.
 */
#include "lib.h"

struct idtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

void payload_main(const void *boot_params)
{
    static const struct idtr empty = { 0, 0 };
    (void)boot_params;
    serial_puts("KVMKIT-TRIPLE: ud2 with an empty IDT\n");
    __asm__ volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
    serial_puts("KVMKIT-TRIPLE-SURVIVED\n");   /* never reached */
}
