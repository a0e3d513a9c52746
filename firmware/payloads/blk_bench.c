/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk throughput from inside the guest, for bench/blk.py. Set-up
 * and printing run at CPL0; each phase's request loop runs at CPL3 (native
 * speed on PVM hosts, docs/platform.md) and times itself with RDTSC. The
 * host turns TSC ticks into seconds by calibrating against the arrival
 * times of these lines.
 *
 * Command line (all optional):
 *   bench.seq=N     1 MiB requests per sequential phase (default 1024)
 *   bench.rand=N    4 KiB requests per random phase (default 20000)
 *   bench.qd=N      requests in flight, 1-5 (default 1)
 *   bench.seed=N    seed of the random offsets (default 1)
 * Phases, in order: seq-read, seq-write (1 MiB, wrapping around the disk),
 * rand-read, rand-write (4 KiB at offsets from xorshift64*; bench/blk_host.c
 * draws the same ones). Output:
 *   BENCH mark tsc=T
 *   BENCH phase=NAME bs=B ops=N qd=Q errors=E tsc_start=T0 tsc_end=T1
 *   BENCH done
 */
#include "cpl3.h"
#include "lib.h"
#include "virtio_drv.h"

#define VIRTIO_ID_BLOCK 2
#define SECTOR 512
#define SEQ_BS (1u << 20)
#define RAND_BS 4096u
#define MAX_QD 5                    /* 3 descriptors each in a queue of 16 */

struct phase {
    const char *name;
    bool write, random;
    uint32_t bs;
    uint64_t ops;
    /* Filled at CPL3. */
    uint64_t errors, tsc_start, tsc_end;
};

static struct vdrv dev;
static struct vdrv_blk_req reqs[MAX_QD];
static uint8_t bufs[MAX_QD][SEQ_BS] __attribute__((aligned(4096)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));
static uint64_t capacity, seed;
static unsigned qd;

/* xorshift64* (Vigna); bench/blk_host.c has the same. */
static uint64_t next_random(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545f4914f6cdd1dULL;
}

static uint64_t sector_of(const struct phase *p, uint64_t i, uint64_t *rng)
{
    uint64_t blocks = capacity * SECTOR / p->bs;
    uint64_t block = p->random ? next_random(rng) % blocks : i % blocks;
    return block * (p->bs / SECTOR);
}

static void submit(const struct phase *p, unsigned slot, uint64_t i, uint64_t *rng)
{
    vdrv_blk_prepare(&dev, (uint16_t)(slot * 3), &reqs[slot],
                     p->write ? VDRV_BLK_T_OUT : VDRV_BLK_T_IN, sector_of(p, i, rng),
                     bufs[slot], p->bs);
    vdrv_publish(&dev, (uint16_t)(slot * 3));
}

/* CPL3: keeps @qd requests in flight until p->ops are done. */
static void run_phase(void *arg)
{
    struct phase *p = arg;
    uint64_t rng = seed, issued = 0, done = 0;
    p->errors = 0;
    p->tsc_start = rdtsc();
    for (unsigned s = 0; s < qd && issued < p->ops; s++)
        submit(p, s, issued++, &rng);
    while (done < p->ops) {
        struct vdrv_used_elem used;
        vdrv_wait(&dev, &used, 0);
        unsigned slot = used.id / 3;
        if (__atomic_load_n(&reqs[slot].status, __ATOMIC_ACQUIRE) != VDRV_BLK_S_OK)
            p->errors++;
        done++;
        if (issued < p->ops)
            submit(p, slot, issued++, &rng);
    }
    p->tsc_end = rdtsc();
}

/* CPL3: one TSC reading, the start of the host's calibration. */
static void mark(void *arg)
{
    *(uint64_t *)arg = rdtsc();
}

/* CPL3: fills the write buffers once (at CPL0 it would take seconds). */
static void fill_buffers(void *arg)
{
    (void)arg;
    for (unsigned s = 0; s < MAX_QD; s++)
        for (uint32_t i = 0; i < SEQ_BS; i++)
            bufs[s][i] = (uint8_t)(i * 7 + s);
}

static void put_field(const char *name, uint64_t v)
{
    serial_puts(name);
    serial_put_dec(v);
}

void payload_main(const void *bp)
{
    const char *cmdline = boot_cmdline(bp);
    uint64_t seq = parse_dec(cmdline_value(cmdline, "bench.seq"), 1024);
    uint64_t rand = parse_dec(cmdline_value(cmdline, "bench.rand"), 20000);
    qd = (unsigned)parse_dec(cmdline_value(cmdline, "bench.qd"), 1);
    seed = parse_dec(cmdline_value(cmdline, "bench.seed"), 1);
    if (qd < 1 || qd > MAX_QD || seed == 0) {
        serial_puts("BENCH bad bench.qd (1-5) or bench.seed (not 0)\n");
        return;
    }
    int r = vdrv_init(&dev, VDRV_MMIO(0), VIRTIO_ID_BLOCK, VDRV_QMAX);
    if (r != VDRV_OK) {
        serial_puts("BENCH init failed: ");
        serial_puts(vdrv_strerror(r));
        serial_puts("\n");
        return;
    }
    capacity = vdrv_blk_capacity(&dev);
    if (capacity * SECTOR < SEQ_BS) {
        serial_puts("BENCH disk smaller than 1 MiB\n");
        return;
    }
    cpl3_init();
    void *stack_top = user_stack + sizeof(user_stack);
    cpl3_run(fill_buffers, NULL, stack_top);

    struct phase phases[] = {
        { "seq-read", false, false, SEQ_BS, seq },
        { "seq-write", true, false, SEQ_BS, seq },
        { "rand-read", false, true, RAND_BS, rand },
        { "rand-write", true, true, RAND_BS, rand },
    };
    uint64_t t0;
    cpl3_run(mark, &t0, stack_top);
    put_field("BENCH mark tsc=", t0);
    serial_puts("\n");
    for (unsigned i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        struct phase *p = &phases[i];
        cpl3_run(run_phase, p, stack_top);
        serial_puts("BENCH phase=");
        serial_puts(p->name);
        put_field(" bs=", p->bs);
        put_field(" ops=", p->ops);
        put_field(" qd=", qd);
        put_field(" errors=", p->errors);
        put_field(" tsc_start=", p->tsc_start);
        put_field(" tsc_end=", p->tsc_end);
        serial_puts("\n");
    }
    serial_puts("BENCH done\n");
}
