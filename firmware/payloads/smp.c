/* SPDX-License-Identifier: MIT */
/*
 * SMP bring-up the way an OS does it: count the processors in the MP table
 * (MP specification 1.4, chapter 4), start the APs with INIT and two
 * STARTUP IPIs (Intel SDM vol. 3, 9.4.4), and wait until each has checked
 * in from long mode. Every CPU prints "KVMKIT-CPU apic=N" once.
 *
 * With "counter" on the command line every CPU then counts forever,
 * printing "KVMKIT-COUNT cpu=N n=K" a few times a second: the snapshot
 * tests save, kill and restore it, and check each count goes on from where
 * it was (no gap, no restart).
 */
#include "lib.h"

#define MPF_SCAN_START 0xf0000
#define MPF_SCAN_END 0x100000
#define MPC_CPU 0
#define MPC_CPU_ENTRY_LEN 20
#define MPC_OTHER_ENTRY_LEN 8
#define MPC_CPU_ENABLED 1

#define SMP_TRAMPOLINE_ADDR 0x8000
#define SIPI_VECTOR (SMP_TRAMPOLINE_ADDR >> 12)

#define LAPIC_BASE 0xfee00000ULL
#define LAPIC_ID (LAPIC_BASE + 0x20)
#define LAPIC_ICR_LO (LAPIC_BASE + 0x300)
#define LAPIC_ICR_HI (LAPIC_BASE + 0x310)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)

/* Generous: the APs' real-mode code is emulated on a PVM host. In TSC
 * cycles, so the bound is time, not iterations (~10-30 s). */
#define AP_WAIT_TSC_CYCLES 30000000000ULL
/* Between the IPIs; the SDM's 10 ms / 200 us delays matter to real
 * hardware only, KVM orders INIT and SIPI itself. */
#define IPI_GAP_TSC_CYCLES 1000000ULL

extern const uint8_t smp_trampoline_start[], smp_trampoline_end[];
void smp_ap_main(uint32_t apic_id) __attribute__((noreturn));

static volatile uint32_t print_lock;
static volatile uint32_t cpus_in;
static volatile uint32_t counter_mode;
static volatile uint32_t go;

/* Between counts, in TSC cycles (~20-50 ms). */
#define COUNT_GAP_TSC_CYCLES 60000000ULL

static void lock(void)
{
    while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))   /* lock xchg */
        while (print_lock)
            __asm__ volatile("pause");
}

static void unlock(void)
{
    __atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

static uint32_t lapic_id(void)
{
    return mmio_read32(LAPIC_ID) >> 24;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo | (uint64_t)hi << 32;
}

static void check_in(uint32_t apic_id)
{
    lock();
    serial_puts("KVMKIT-CPU apic=");
    serial_put_dec(apic_id);
    serial_puts("\n");
    unlock();
    __atomic_fetch_add(&cpus_in, 1, __ATOMIC_RELEASE);
}

static void delay(uint64_t cycles);

static __attribute__((noreturn)) void count_forever(uint32_t apic_id)
{
    for (uint64_t n = 0;; n++) {
        lock();
        serial_puts("KVMKIT-COUNT cpu=");
        serial_put_dec(apic_id);
        serial_puts(" n=");
        serial_put_dec(n);
        serial_puts("\n");
        unlock();
        delay(COUNT_GAP_TSC_CYCLES);
    }
}

void smp_ap_main(uint32_t apic_id)
{
    check_in(apic_id);
    if (counter_mode) {
        while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
            __asm__ volatile("pause");
        count_forever(apic_id);
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}

static int has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] == w[i])
            i++;
        if (i == n && (s[n] == ' ' || s[n] == '\0'))
            return 1;
    }
    return 0;
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    while (len--)
        sum += *p++;
    return sum;
}

/* Processor entries in the MP table; 0 if there is no valid table. */
static unsigned mp_count_cpus(void)
{
    const uint8_t *mpf = NULL;
    for (uint64_t a = MPF_SCAN_START; a < MPF_SCAN_END; a += 16) {
        const uint8_t *p = (const uint8_t *)a;
        if (p[0] == '_' && p[1] == 'M' && p[2] == 'P' && p[3] == '_' &&
            checksum(p, 16) == 0) {
            mpf = p;
            break;
        }
    }
    if (!mpf)
        return 0;
    const uint8_t *mpc = (const uint8_t *)(uint64_t)*(const uint32_t *)(mpf + 4);
    if (!mpc || mpc[0] != 'P' || mpc[1] != 'C' || mpc[2] != 'M' || mpc[3] != 'P')
        return 0;
    uint16_t length = *(const uint16_t *)(mpc + 4);
    uint16_t entries = *(const uint16_t *)(mpc + 34);
    const uint8_t *p = mpc + 44, *end = mpc + length;
    unsigned cpus = 0;
    for (unsigned i = 0; i < entries && p < end; i++) {
        if (p[0] == MPC_CPU) {
            if (p[3] & MPC_CPU_ENABLED)
                cpus++;
            p += MPC_CPU_ENTRY_LEN;
        } else {
            p += MPC_OTHER_ENTRY_LEN;
        }
    }
    return cpus;
}

static void send_ipi(uint32_t icr_lo)
{
    mmio_write32(LAPIC_ICR_HI, 0);
    mmio_write32(LAPIC_ICR_LO, icr_lo);
    while (mmio_read32(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING)
        __asm__ volatile("pause");
}

static void delay(uint64_t cycles)
{
    uint64_t until = rdtsc() + cycles;
    while (rdtsc() < until)
        __asm__ volatile("pause");
}

void payload_main(const void *boot_params)
{
    counter_mode = has_word(boot_cmdline(boot_params), "counter");
    unsigned cpus = mp_count_cpus();
    if (cpus == 0) {
        serial_puts("KVMKIT-SMP-FAIL no MP table\n");
        return;
    }
    memcpy((void *)SMP_TRAMPOLINE_ADDR, smp_trampoline_start,
           smp_trampoline_end - smp_trampoline_start);
    check_in(lapic_id());

    if (cpus > 1) {
        send_ipi(ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT | ICR_INIT);
        delay(IPI_GAP_TSC_CYCLES);
        for (int i = 0; i < 2; i++) {
            send_ipi(ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT | ICR_STARTUP | SIPI_VECTOR);
            delay(IPI_GAP_TSC_CYCLES);
        }
    }

    uint64_t deadline = rdtsc() + AP_WAIT_TSC_CYCLES;
    while (__atomic_load_n(&cpus_in, __ATOMIC_ACQUIRE) < cpus && rdtsc() < deadline)
        __asm__ volatile("pause");

    unsigned in = __atomic_load_n(&cpus_in, __ATOMIC_ACQUIRE);
    lock();
    serial_puts(in == cpus ? "KVMKIT-SMP-OK cpus=" : "KVMKIT-SMP-TIMEOUT cpus=");
    serial_put_dec(cpus);
    if (in != cpus) {
        serial_puts(" checked-in=");
        serial_put_dec(in);
    }
    serial_puts("\n");
    unlock();
    if (counter_mode) {
        __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
        count_forever(lapic_id());
    }
}
