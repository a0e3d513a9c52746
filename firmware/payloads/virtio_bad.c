/* SPDX-License-Identifier: MIT */
/*
 * A hostile driver: feeds virtio-blk device 0 malformed queues and chains,
 * one case at a time, and checks the device answers each by setting
 * DEVICE_NEEDS_RESET (2.1.2) without using the chain; resets it, and goes
 * on. Then checks device 0 works again after a reset and device 1 (never
 * touched) still answers a read. Prints:
 *   VBAD case=NAME needs_reset=0|1 used=N    N: used entries (must be 0)
 *   VBAD dev0 recovered status=N
 *   VBAD dev1 read status=N sector0=TEXT
 *   VBAD done
 */
#include "lib.h"
#include "virtio_drv.h"

#define VIRTIO_ID_BLOCK 2
#define QSIZE 8
#define OUTSIDE_RAM 0x200000000ULL   /* 8 GiB: the test gives the guest 64 MiB */
#define STATUS_POLLS 200000

static struct vdrv dev;
static struct vdrv_blk_req req;
static uint8_t sector[512] __attribute__((aligned(512)));

static void start(void)
{
    int r = vdrv_init(&dev, VDRV_MMIO(0), VIRTIO_ID_BLOCK, QSIZE);
    if (r != VDRV_OK) {
        serial_puts("VBAD init failed: ");
        serial_puts(vdrv_strerror(r));
        serial_puts("\n");
        reset_via_i8042();
    }
}

/* Waits (bounded) for NEEDS_RESET, reports, and resets the device. */
static void finish(const char *name)
{
    uint32_t s = 0;
    for (int i = 0; i < STATUS_POLLS && !(s & VDRV_S_NEEDS_RESET); i++)
        s = vdrv_status(&dev);
    serial_puts("VBAD case=");
    serial_puts(name);
    serial_puts(s & VDRV_S_NEEDS_RESET ? " needs_reset=1" : " needs_reset=0");
    serial_puts(" used=");
    serial_put_dec(__atomic_load_n(&dev.used.idx, __ATOMIC_ACQUIRE));
    serial_puts("\n");
    vdrv_reset(&dev);
}

static struct vdrv_desc header_desc(uint16_t next)
{
    return (struct vdrv_desc){ (uint64_t)&req, 16, VDRV_DESC_F_NEXT, next };
}

static struct vdrv_desc status_desc(void)
{
    return (struct vdrv_desc){ (uint64_t)&req.status, 1, VDRV_DESC_F_WRITE, 0 };
}

/* Descriptor 0 points at itself. */
static void case_loop(void)
{
    start();
    dev.desc[0] = header_desc(0);
    vdrv_publish(&dev, 0);
    finish("loop");
}

/* 0 -> 1 -> ... -> 7 -> 0: a chain longer than the queue. */
static void case_long_chain(void)
{
    start();
    for (uint16_t i = 0; i < QSIZE; i++)
        dev.desc[i] = header_desc((i + 1) % QSIZE);
    vdrv_publish(&dev, 0);
    finish("long-chain");
}

/* A read whose data buffer is @addr+@len, which the device must refuse. */
static void case_bad_buffer(const char *name, uint64_t addr, uint32_t len)
{
    start();
    dev.desc[0] = header_desc(1);
    dev.desc[1] = (struct vdrv_desc){ addr, len, VDRV_DESC_F_NEXT | VDRV_DESC_F_WRITE, 2 };
    dev.desc[2] = status_desc();
    req = (struct vdrv_blk_req){ .type = VDRV_BLK_T_IN };
    vdrv_publish(&dev, 0);
    finish(name);
}

/* The status byte in a device-readable descriptor: nowhere to answer. */
static void case_status_readable(void)
{
    start();
    vdrv_blk_prepare(&dev, 0, &req, VDRV_BLK_T_OUT, 1, sector, sizeof(sector));
    dev.desc[2].flags &= (uint16_t)~VDRV_DESC_F_WRITE;
    vdrv_publish(&dev, 0);
    finish("status-readable");
}

/* The avail index moves by more than the queue size. */
static void case_avail_jump(void)
{
    start();
    vdrv_blk_prepare(&dev, 0, &req, VDRV_BLK_T_IN, 0, sector, sizeof(sector));
    dev.avail_idx = QSIZE;   /* vdrv_publish() adds one more */
    vdrv_publish(&dev, 0);
    finish("avail-jump");
}

/* A descriptor table 8 bytes off its required 16-byte alignment (2.7). */
static void case_unaligned_ring(void)
{
    int r = vdrv_begin(&dev, VDRV_MMIO(0), VIRTIO_ID_BLOCK);
    if (r == VDRV_OK)
        r = vdrv_setup_queue(&dev, QSIZE, (uint64_t)dev.desc + 8, (uint64_t)&dev.avail,
                             (uint64_t)&dev.used);
    if (r != VDRV_E_QUEUE_READY) {
        serial_puts("VBAD unaligned ring: queue setup gave: ");
        serial_puts(vdrv_strerror(r));
        serial_puts("\n");
    }
    finish("unaligned-ring");
}

static uint8_t read_sector0(unsigned index)
{
    int r = vdrv_init(&dev, VDRV_MMIO(index), VIRTIO_ID_BLOCK, QSIZE);
    if (r != VDRV_OK)
        return VDRV_BLK_S_NONE;
    return vdrv_blk_rw(&dev, VDRV_BLK_T_IN, 0, sector, sizeof(sector));
}

void payload_main(const void *bp)
{
    (void)bp;
    case_loop();
    case_long_chain();
    case_bad_buffer("outside-ram", OUTSIDE_RAM, 512);
    /* addr + len wraps around 2^64: only an overflow-checked helper catches it. */
    case_bad_buffer("wrapping", ~0ULL - 0xfff, 0x2000);
    case_status_readable();
    case_avail_jump();
    case_unaligned_ring();

    serial_puts("VBAD dev0 recovered status=");
    serial_put_dec(read_sector0(0));
    serial_puts("\n");

    uint8_t st = read_sector0(1);
    serial_puts("VBAD dev1 read status=");
    serial_put_dec(st);
    serial_puts(" sector0=");
    serial_put_printable(sector, 16);
    serial_puts("\n");
    serial_puts("VBAD done\n");
    reset_via_i8042();
}
