/* SPDX-License-Identifier: MIT */
/*
 * Drives the first virtio-blk disk (virtio-mmio device 0) with the polled
 * driver in firmware/virtio_drv.c and prints one line per step:
 *   VBLK init ok | VBLK init failed: WHY
 *   VBLK id=NAME                   GET_ID (the disk's name in kvmkit)
 *   VBLK capacity=N                sectors, from the config space
 *   VBLK sector0=TEXT              the first 32 bytes of sector 0, as text
 *   VBLK read status=N             0 OK, 1 IOERR, 2 UNSUPP
 *   VBLK write status=N            sectors 1-8, each starting with
 *                                  "KVMKIT-VBLK-SECTOR-<n>"
 *   VBLK readback ok|bad           (only after a successful write)
 *   VBLK flush status=N
 *   VBLK beyond-end status=N       a read of the sector after the last
 *   VBLK done
 * then resets the VM through the i8042.
 *
 * With vblk.mode=durable on the command line it instead writes sectors
 * 16-23 ("KVMKIT-DURABLE-<n>"), flushes, prints FLUSHED and halts for good:
 * the durability test kills kvmkit at that line.
 */
#include "lib.h"
#include "virtio_drv.h"

#define VIRTIO_ID_BLOCK 2
#define SECTOR 512

static struct vdrv dev;
static uint8_t buf[8 * SECTOR] __attribute__((aligned(4096)));
static uint8_t check[8 * SECTOR] __attribute__((aligned(4096)));
static char id[21];

static void put_status(const char *what, uint8_t st)
{
    serial_puts("VBLK ");
    serial_puts(what);
    serial_puts(" status=");
    serial_put_dec(st);
    serial_puts("\n");
}

/* Fills @n sectors with "<tag><sector>\n" followed by dots. */
static void fill(uint8_t *p, unsigned n, uint64_t first, const char *tag)
{
    memset(p, '.', (size_t)n * SECTOR);
    for (unsigned s = 0; s < n; s++) {
        uint8_t *q = p + (size_t)s * SECTOR;
        size_t t = strlen(tag);
        memcpy(q, tag, t);
        char num[21];
        int k = 20;
        uint64_t v = first + s;
        num[k] = 0;
        do {
            num[--k] = '0' + v % 10;
            v /= 10;
        } while (v);
        memcpy(q + t, num + k, (size_t)(20 - k));
        q[t + (size_t)(20 - k)] = '\n';
    }
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
    while (n--)
        if (*a++ != *b++)
            return false;
    return true;
}

static void durable(void)
{
    fill(buf, 8, 16, "KVMKIT-DURABLE-");
    uint8_t st = vdrv_blk_rw(&dev, VDRV_BLK_T_OUT, 16, buf, sizeof(buf));
    if (st != VDRV_BLK_S_OK) {
        put_status("write", st);
        return;
    }
    st = vdrv_blk_rw(&dev, VDRV_BLK_T_FLUSH, 0, NULL, 0);
    if (st != VDRV_BLK_S_OK) {
        put_status("flush", st);
        return;
    }
    serial_puts("FLUSHED\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}

void payload_main(const void *bp)
{
    int r = vdrv_init(&dev, VDRV_MMIO(0), VIRTIO_ID_BLOCK, 8);
    if (r != VDRV_OK) {
        serial_puts("VBLK init failed: ");
        serial_puts(vdrv_strerror(r));
        serial_puts("\n");
        return;
    }
    serial_puts("VBLK init ok\n");
    const char *mode = cmdline_value(boot_cmdline(bp), "vblk.mode");
    if (mode && mode[0] == 'd') {
        durable();
        return;
    }

    uint8_t st = vdrv_blk_rw(&dev, VDRV_BLK_T_GET_ID, 0, id, 20);
    if (st != VDRV_BLK_S_OK)
        put_status("get-id", st);
    serial_puts("VBLK id=");
    serial_puts(id);
    serial_puts("\n");
    uint64_t capacity = vdrv_blk_capacity(&dev);
    serial_puts("VBLK capacity=");
    serial_put_dec(capacity);
    serial_puts("\n");

    st = vdrv_blk_rw(&dev, VDRV_BLK_T_IN, 0, buf, SECTOR);
    serial_puts("VBLK sector0=");
    serial_put_printable(buf, 32);
    serial_puts("\n");
    put_status("read", st);

    fill(buf, 8, 1, "KVMKIT-VBLK-SECTOR-");
    st = vdrv_blk_rw(&dev, VDRV_BLK_T_OUT, 1, buf, sizeof(buf));
    put_status("write", st);
    if (st == VDRV_BLK_S_OK) {
        memset(check, 0, sizeof(check));
        st = vdrv_blk_rw(&dev, VDRV_BLK_T_IN, 1, check, sizeof(check));
        serial_puts(st == VDRV_BLK_S_OK && same(buf, check, sizeof(buf)) ? "VBLK readback ok\n"
                                                                         : "VBLK readback bad\n");
    }
    put_status("flush", vdrv_blk_rw(&dev, VDRV_BLK_T_FLUSH, 0, NULL, 0));
    put_status("beyond-end", vdrv_blk_rw(&dev, VDRV_BLK_T_IN, capacity, buf, SECTOR));
    serial_puts("VBLK done\n");
    reset_via_i8042();
}
