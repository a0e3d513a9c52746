/* SPDX-License-Identifier: MIT */
#include "i8042.h"
#include "snap.h"

#include <glib.h>

#define STATUS_OBF    0x01   /* output buffer full */
#define STATUS_SYS    0x04   /* system flag: self test passed */
#define STATUS_CMD    0x08   /* last write was to the command port */

#define CMD_READ_CB      0x20
#define CMD_WRITE_CB     0x60
#define CMD_DISABLE_AUX  0xa7
#define CMD_ENABLE_AUX   0xa8
#define CMD_TEST_AUX     0xa9
#define CMD_SELF_TEST    0xaa
#define CMD_TEST_KBD     0xab
#define CMD_DISABLE_KBD  0xad
#define CMD_ENABLE_KBD   0xae
#define CMD_READ_OUTPORT 0xd0
#define CMD_WRITE_OUTPORT 0xd1
#define CMD_PULSE_BASE   0xf0   /* 0xf0-0xff: pulse output bits whose mask bit is 0 */

struct i8042 {
    GMutex lock;
    void (*reset)(void *opaque);
    void *opaque;
    uint8_t status;
    uint8_t command_byte;
    uint8_t outport;
    uint8_t pending_cmd;    /* command waiting for its data byte */
    uint8_t out;            /* output buffer, valid when STATUS_OBF */
};

static void set_output(struct i8042 *k, uint8_t v)
{
    k->out = v;
    k->status |= STATUS_OBF;
}

static bool handle_command(struct i8042 *k, uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_CB:       set_output(k, k->command_byte); break;
    case CMD_WRITE_CB:
    case CMD_WRITE_OUTPORT: k->pending_cmd = cmd; break;
    case CMD_READ_OUTPORT:  set_output(k, k->outport); break;
    case CMD_SELF_TEST:     set_output(k, 0x55); break;
    case CMD_TEST_KBD:
    case CMD_TEST_AUX:      set_output(k, 0x00); break;
    case CMD_DISABLE_AUX:   k->command_byte |= 0x20; break;
    case CMD_ENABLE_AUX:    k->command_byte &= ~0x20; break;
    case CMD_DISABLE_KBD:   k->command_byte |= 0x10; break;
    case CMD_ENABLE_KBD:    k->command_byte &= ~0x10; break;
    default:
        /* Pulsing output bit 0 low resets the CPU. */
        if (cmd >= CMD_PULSE_BASE && !(cmd & 1))
            return true;
        break;
    }
    return false;
}

static void data_read(void *opaque, uint64_t off, uint8_t *data, unsigned size)
{
    struct i8042 *k = opaque;
    (void)off; (void)size;
    g_mutex_lock(&k->lock);
    data[0] = k->out;
    k->status &= ~STATUS_OBF;
    g_mutex_unlock(&k->lock);
}

static void data_write(void *opaque, uint64_t off, const uint8_t *data, unsigned size)
{
    struct i8042 *k = opaque;
    bool reset = false;
    (void)off; (void)size;
    g_mutex_lock(&k->lock);
    k->status &= ~STATUS_CMD;
    switch (k->pending_cmd) {
    case CMD_WRITE_CB:
        k->command_byte = data[0];
        break;
    case CMD_WRITE_OUTPORT:
        k->outport = data[0];
        reset = !(data[0] & 1);
        break;
    default:
        /* A byte for the (absent) keyboard: answer "resend"-free silence. */
        break;
    }
    k->pending_cmd = 0;
    g_mutex_unlock(&k->lock);
    if (reset)
        k->reset(k->opaque);
}

static void cmd_read(void *opaque, uint64_t off, uint8_t *data, unsigned size)
{
    struct i8042 *k = opaque;
    (void)off; (void)size;
    g_mutex_lock(&k->lock);
    data[0] = k->status;
    g_mutex_unlock(&k->lock);
}

static void cmd_write(void *opaque, uint64_t off, const uint8_t *data, unsigned size)
{
    struct i8042 *k = opaque;
    (void)off; (void)size;
    g_mutex_lock(&k->lock);
    k->status |= STATUS_CMD;
    bool reset = handle_command(k, data[0]);
    g_mutex_unlock(&k->lock);
    if (reset)
        k->reset(k->opaque);
}

const struct bus_ops i8042_data_ops = { .read = data_read, .write = data_write };
const struct bus_ops i8042_cmd_ops = { .read = cmd_read, .write = cmd_write };

struct i8042 *i8042_new(void (*reset)(void *opaque), void *opaque)
{
    struct i8042 *k = g_new0(struct i8042, 1);
    g_mutex_init(&k->lock);
    k->reset = reset;
    k->opaque = opaque;
    k->status = STATUS_SYS;
    k->command_byte = 0x30;    /* both ports disabled, no interrupts: nothing attached */
    k->outport = 0x01;         /* reset line not asserted */
    return k;
}

void i8042_free(struct i8042 *k)
{
    if (!k)
        return;
    g_mutex_clear(&k->lock);
    g_free(k);
}

/* ---- snapshot ---- */

#define SNAP_VERSION 1

void i8042_save(struct i8042 *k, struct snap_out *o, const char *node)
{
    g_mutex_lock(&k->lock);
    snap_begin(o, node, SNAP_VERSION);
    const uint8_t regs[] = { k->status, k->command_byte, k->outport, k->pending_cmd, k->out };
    snap_put_bytes(o, "regs", regs, sizeof(regs));
    snap_end(o);
    g_mutex_unlock(&k->lock);
}

bool i8042_load(struct i8042 *k, const struct snap_in *parent, const char *node, GError **errp)
{
    struct snap_in n;
    uint8_t regs[5];
    if (!snap_child(parent, node, SNAP_VERSION, &n, NULL, errp) ||
        !snap_get_bytes(&n, "regs", regs, sizeof(regs), errp))
        return false;
    g_mutex_lock(&k->lock);
    k->status = regs[0];
    k->command_byte = regs[1];
    k->outport = regs[2];
    k->pending_cmd = regs[3];
    k->out = regs[4];
    g_mutex_unlock(&k->lock);
    return true;
}
