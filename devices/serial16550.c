/* SPDX-License-Identifier: MIT */
#include "serial16550.h"
#include "metrics.h"
#include "snap.h"

#include <string.h>

/* Register offsets (PC16550D datasheet, table II). */
enum {
    REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
    REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDI   0x01  /* received data available */
#define IER_THRI  0x02  /* transmitter holding register empty */
#define IER_RLSI  0x04  /* receiver line status */
#define IER_MSI   0x08  /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_CTI    0x0c
#define IIR_FIFO   0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS 0x1e

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_DELTAS 0x0f

#define FIFO_SIZE 16

struct serial16550 {
    GMutex lock;
    struct irq_line irq;
    struct chardev *chr;
    bool irq_level;

    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
    bool thr_ipending;      /* THR-empty interrupt latched, cleared by IIR read or THR write */

    uint8_t rx_fifo[FIFO_SIZE];
    unsigned rx_head, rx_count;

    /* Counters (metrics.h), from the guest's side: tx is its output. */
    metrics_counter tx_bytes, rx_bytes, rx_overruns;
};

static const unsigned trigger_levels[4] = { 1, 4, 8, 14 };

static unsigned rx_capacity(const struct serial16550 *s)
{
    return (s->fcr & FCR_ENABLE) ? FIFO_SIZE : 1;
}

/* Bytes the back end may deliver now. In loopback the line from it is disconnected. */
static size_t rx_room(const struct serial16550 *s)
{
    return (s->mcr & MCR_LOOP) ? 0 : rx_capacity(s) - s->rx_count;
}

/* Highest-priority pending interrupt (datasheet table IV), without FIFO bits. */
static uint8_t pending_iir(const struct serial16550 *s)
{
    if ((s->ier & IER_RLSI) && (s->lsr & LSR_ERRS))
        return IIR_RLSI;
    if ((s->ier & IER_RDI) && s->rx_count) {
        if (!(s->fcr & FCR_ENABLE) ||
            s->rx_count >= trigger_levels[s->fcr >> 6])
            return IIR_RDI;
        return IIR_CTI;
    }
    if ((s->ier & IER_THRI) && s->thr_ipending)
        return IIR_THRI;
    if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS))
        return IIR_MSI;
    return IIR_NO_INT;
}

static void update_irq(struct serial16550 *s)
{
    bool level = pending_iir(s) != IIR_NO_INT && (s->mcr & MCR_OUT2);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_line_set(&s->irq, level);
    }
}

static void rx_push(struct serial16550 *s, uint8_t byte)
{
    if (s->rx_count == rx_capacity(s)) {
        s->lsr |= LSR_OE;   /* only loopback can get here: input is flow-controlled */
        metrics_add(&s->rx_overruns, 1);
        return;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= LSR_DR;
}

static uint8_t rx_pop(struct serial16550 *s)
{
    if (!s->rx_count)
        return 0;
    uint8_t b = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % FIFO_SIZE;
    if (--s->rx_count == 0)
        s->lsr &= ~LSR_DR;
    return b;
}

/* Modem inputs: in loopback they follow MCR (datasheet, MCR bit 4). */
static void update_msr(struct serial16550 *s)
{
    uint8_t in;
    if (s->mcr & MCR_LOOP) {
        in = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
             ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    } else {
        /* A connected, ready terminal. */
        in = MSR_CTS | MSR_DSR | MSR_DCD;
    }
    uint8_t old = s->msr;
    uint8_t delta = 0;
    if ((old ^ in) & MSR_CTS) delta |= MSR_DCTS;
    if ((old ^ in) & MSR_DSR) delta |= MSR_DDSR;
    if ((old ^ in) & MSR_DCD) delta |= MSR_DDCD;
    if ((old & MSR_RI) && !(in & MSR_RI)) delta |= MSR_TERI;  /* trailing edge */
    s->msr = in | (old & MSR_DELTAS) | delta;
}

static void write_reg(struct serial16550 *s, unsigned reg, uint8_t v)
{
    switch (reg) {
    case REG_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            s->dll = v;
            break;
        }
        if (s->mcr & MCR_LOOP)
            rx_push(s, v);
        else
            chardev_write(s->chr, &v, 1);
        metrics_add(&s->tx_bytes, 1);
        /* Sent at once: THR and the shift register are empty again. */
        s->lsr |= LSR_THRE | LSR_TEMT;
        s->thr_ipending = true;
        break;
    case REG_IER:
        if (s->lcr & LCR_DLAB) {
            s->dlm = v;
            break;
        }
        /* Enabling THRI while THR is empty raises the interrupt (8250 drivers rely on it). */
        if ((v & IER_THRI) && !(s->ier & IER_THRI) && (s->lsr & LSR_THRE))
            s->thr_ipending = true;
        s->ier = v & 0x0f;
        break;
    case REG_IIR_FCR: {
        bool was_enabled = s->fcr & FCR_ENABLE;
        if ((v & FCR_ENABLE) != was_enabled || (v & FCR_CLEAR_RX)) {
            s->rx_count = 0;
            s->rx_head = 0;
            s->lsr &= ~LSR_DR;
        }
        /* TX FIFO is always empty; FCR_CLEAR_TX has nothing to clear. */
        s->fcr = v & 0xc9 & ~(FCR_CLEAR_RX | FCR_CLEAR_TX);
        if (!(s->fcr & FCR_ENABLE))
            s->fcr = 0;
        break;
    }
    case REG_LCR:
        s->lcr = v;
        break;
    case REG_MCR:
        s->mcr = v & 0x1f;
        update_msr(s);
        break;
    case REG_LSR:
        /* Writable on some parts for factory test; ignored here. */
        break;
    case REG_MSR:
        break;
    case REG_SCR:
        s->scr = v;
        break;
    }
}

static uint8_t read_reg(struct serial16550 *s, unsigned reg)
{
    uint8_t v = 0;
    switch (reg) {
    case REG_RBR_THR:
        if (s->lcr & LCR_DLAB)
            return s->dll;
        v = rx_pop(s);
        if (s->chr && s->rx_count == 0)
            chardev_accept_input(s->chr);
        return v;
    case REG_IER:
        return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case REG_IIR_FCR:
        v = pending_iir(s);
        /* Reading IIR with THRE as the reported source clears it. */
        if (v == IIR_THRI)
            s->thr_ipending = false;
        return v | ((s->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
    case REG_LCR:
        return s->lcr;
    case REG_MCR:
        return s->mcr;
    case REG_LSR:
        v = s->lsr;
        s->lsr &= ~(LSR_ERRS | 0x80);
        return v;
    case REG_MSR:
        v = s->msr;
        s->msr &= ~MSR_DELTAS;
        return v;
    case REG_SCR:
        return s->scr;
    }
    return 0xff;
}

static void serial_bus_read(void *opaque, uint64_t offset, uint8_t *data, unsigned size)
{
    struct serial16550 *s = opaque;
    memset(data, 0xff, size);
    g_mutex_lock(&s->lock);
    /* Byte registers: a wider access reads the addressed one only. */
    data[0] = read_reg(s, offset & 7);
    update_irq(s);
    g_mutex_unlock(&s->lock);
}

static void serial_bus_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned size)
{
    struct serial16550 *s = opaque;
    (void)size;
    g_mutex_lock(&s->lock);
    size_t room_before = rx_room(s);
    write_reg(s, offset & 7, data[0]);
    update_irq(s);
    /*
     * Clearing the RX FIFO (FCR) or leaving loopback (MCR) makes room; a
     * back end that saw can_receive() == 0 waits to be told (chardev.h).
     */
    if (room_before == 0 && rx_room(s) > 0)
        chardev_accept_input(s->chr);
    g_mutex_unlock(&s->lock);
}

const struct bus_ops serial16550_bus_ops = {
    .read = serial_bus_read,
    .write = serial_bus_write,
};

static size_t serial_can_receive(void *opaque)
{
    struct serial16550 *s = opaque;
    g_mutex_lock(&s->lock);
    size_t room = rx_room(s);
    g_mutex_unlock(&s->lock);
    return room;
}

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    struct serial16550 *s = opaque;
    g_mutex_lock(&s->lock);
    for (size_t i = 0; i < len && !(s->mcr & MCR_LOOP); i++) {
        rx_push(s, buf[i]);
        metrics_add(&s->rx_bytes, 1);
    }
    update_irq(s);
    g_mutex_unlock(&s->lock);
}

static const struct chardev_frontend serial_frontend = {
    .can_receive = serial_can_receive,
    .receive = serial_receive,
};

struct serial16550 *serial16550_new(struct irq_line irq, struct chardev *chr)
{
    struct serial16550 *s = g_new0(struct serial16550, 1);
    g_mutex_init(&s->lock);
    s->irq = irq;
    s->chr = chr;
    /* Power-on state (datasheet table VIII). */
    s->lsr = LSR_THRE | LSR_TEMT;
    update_msr(s);
    s->msr &= ~MSR_DELTAS;
    if (chr)
        chardev_attach(chr, &serial_frontend, s);
    return s;
}

void serial16550_free(struct serial16550 *s)
{
    if (!s)
        return;
    g_mutex_clear(&s->lock);
    g_free(s);
}

void serial16550_get_regs(struct serial16550 *s, struct serial16550_regs *out)
{
    g_mutex_lock(&s->lock);
    *out = (struct serial16550_regs){
        .ier = s->ier, .iir = pending_iir(s) | ((s->fcr & FCR_ENABLE) ? IIR_FIFO : 0),
        .lcr = s->lcr, .mcr = s->mcr, .lsr = s->lsr, .msr = s->msr, .scr = s->scr,
        .fcr = s->fcr, .dll = s->dll, .dlm = s->dlm, .rx_count = s->rx_count,
    };
    g_mutex_unlock(&s->lock);
}

void serial16550_metrics(struct serial16550 *s, const struct metrics_sink *sink)
{
    metrics_put(sink, "tx_bytes", &s->tx_bytes);
    metrics_put(sink, "rx_bytes", &s->rx_bytes);
    metrics_put(sink, "rx_overruns", &s->rx_overruns);
}

/* ---- snapshot ---- */

#define SNAP_VERSION 1

void serial16550_save(struct serial16550 *s, struct snap_out *o, const char *node)
{
    g_mutex_lock(&s->lock);
    snap_begin(o, node, SNAP_VERSION);
    const uint8_t regs[] = { s->ier, s->lcr, s->mcr, s->lsr, s->msr, s->scr, s->fcr,
                             s->dll, s->dlm, s->thr_ipending };
    snap_put_bytes(o, "regs", regs, sizeof(regs));
    uint8_t fifo[FIFO_SIZE];
    for (unsigned i = 0; i < s->rx_count; i++)
        fifo[i] = s->rx_fifo[(s->rx_head + i) % FIFO_SIZE];
    snap_put_bytes(o, "rx-fifo", fifo, s->rx_count);
    snap_end(o);
    g_mutex_unlock(&s->lock);
}

bool serial16550_load(struct serial16550 *s, const struct snap_in *parent, const char *node,
                      GError **errp)
{
    struct snap_in n;
    uint8_t regs[10];
    size_t fifo_len;
    const uint8_t *fifo;
    if (!snap_child(parent, node, SNAP_VERSION, &n, NULL, errp) ||
        !snap_get_bytes(&n, "regs", regs, sizeof(regs), errp) ||
        !(fifo = snap_get_blob(&n, "rx-fifo", &fifo_len, errp)))
        return false;
    if (fifo_len > FIFO_SIZE)
        return snap_bad(&n, "rx-fifo", errp, "%zu bytes, the FIFO holds %d", fifo_len,
                        FIFO_SIZE);
    g_mutex_lock(&s->lock);
    s->ier = regs[0] & 0x0f;
    s->lcr = regs[1];
    s->mcr = regs[2] & 0x1f;
    s->lsr = regs[3];
    s->msr = regs[4];
    s->scr = regs[5];
    s->fcr = regs[6];
    s->dll = regs[7];
    s->dlm = regs[8];
    s->thr_ipending = regs[9] != 0;
    memcpy(s->rx_fifo, fifo, fifo_len);
    s->rx_head = 0;
    s->rx_count = MIN((unsigned)fifo_len, rx_capacity(s));
    /* Derived state: the line level follows the registers. */
    s->irq_level = pending_iir(s) != IIR_NO_INT && (s->mcr & MCR_OUT2);
    irq_line_set(&s->irq, s->irq_level);
    g_mutex_unlock(&s->lock);
    chardev_accept_input(s->chr);
    return true;
}
