/* SPDX-License-Identifier: MIT */
/*
 * Drives the virtio-rng device in virtio-mmio slot 0 with the polled
 * driver (firmware/virtio_drv.c): two 64-byte requests, then one line
 *   VRNG init failed: WHY
 *   VRNG len=N,N zero=Z same=S   bytes used per request; Z: how many of
 *                                the 128 bytes are 0; S: 1 if the two
 *                                requests returned the same bytes
 * then resets the VM through the i8042.
 */
#include "lib.h"
#include "virtio_drv.h"

#define VIRTIO_ID_RNG 4
#define LEN 64

static struct vdrv dev;
static uint8_t buf[2][LEN] __attribute__((aligned(64)));

/* One request for LEN bytes into @p; the length the device used. */
static uint32_t request(uint8_t *p)
{
    dev.desc[0] = (struct vdrv_desc){ .addr = (uint64_t)(uintptr_t)p, .len = LEN,
                                      .flags = VDRV_DESC_F_WRITE };
    vdrv_publish(&dev, 0);
    struct vdrv_used_elem e;
    if (!vdrv_wait(&dev, &e, 0))
        return 0;
    return e.len;
}

void payload_main(const void *boot_params)
{
    (void)boot_params;
    int r = vdrv_init(&dev, VDRV_MMIO(0), VIRTIO_ID_RNG, 8);
    if (r != VDRV_OK) {
        serial_puts("VRNG init failed: ");
        serial_puts(vdrv_strerror(r));
        serial_puts("\n");
        return;
    }
    uint32_t len0 = request(buf[0]), len1 = request(buf[1]);
    unsigned zero = 0, same = 1;
    for (unsigned i = 0; i < LEN; i++) {
        zero += (buf[0][i] == 0) + (buf[1][i] == 0);
        same &= buf[0][i] == buf[1][i];
    }
    serial_puts("VRNG len=");
    serial_put_dec(len0);
    serial_puts(",");
    serial_put_dec(len1);
    serial_puts(" zero=");
    serial_put_dec(zero);
    serial_puts(" same=");
    serial_put_dec(same);
    serial_puts("\n");
}
