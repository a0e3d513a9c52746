/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/serial16550.c, driven through its bus ops the way
 * a guest driver would (PC16550D datasheet), with a recording IRQ sink and
 * an in-memory character back end.
 */
#include "serial16550.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3,
       MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define GSI 4

/* ---- fakes ---- */

struct irq_rec {
    bool level;
    unsigned raises, lowers;
    unsigned bad_gsi;
};

static void irq_rec_set(void *opaque, unsigned gsi, bool level)
{
    struct irq_rec *r = opaque;
    if (gsi != GSI)
        r->bad_gsi++;
    /* Devices must only report changes. */
    ck_assert_msg(level != r->level, "IRQ set to %d twice", level);
    r->level = level;
    if (level)
        r->raises++;
    else
        r->lowers++;
}

static const struct irq_ops irq_rec_ops = { .set_level = irq_rec_set };

struct fake_chr {
    struct chardev chr;
    GByteArray *out;
    unsigned accept_calls;
};

static void fake_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
    g_byte_array_append(((struct fake_chr *)chr)->out, buf, len);
}

static void fake_accept_input(struct chardev *chr)
{
    ((struct fake_chr *)chr)->accept_calls++;
}

static const struct chardev_ops fake_ops = {
    .write = fake_write,
    .accept_input = fake_accept_input,
};

/* ---- fixture ---- */

static struct irq_rec irq;
static struct fake_chr chr;
static struct serial16550 *s;

static void setup(void)
{
    memset(&irq, 0, sizeof(irq));
    memset(&chr, 0, sizeof(chr));
    chr.chr.ops = &fake_ops;
    chr.out = g_byte_array_new();
    struct irq_line line = { .ops = &irq_rec_ops, .opaque = &irq, .gsi = GSI };
    s = serial16550_new(line, &chr.chr);
}

static void teardown(void)
{
    serial16550_free(s);
    g_byte_array_free(chr.out, TRUE);
    ck_assert_uint_eq(irq.bad_gsi, 0);
}

static void out8(unsigned reg, uint8_t v)
{
    serial16550_bus_ops.write(s, reg, &v, 1);
}

static uint8_t in8(unsigned reg)
{
    uint8_t v = 0;
    serial16550_bus_ops.read(s, reg, &v, 1);
    return v;
}

static size_t can_receive(void)
{
    return chr.chr.fe->can_receive(chr.chr.fe_opaque);
}

static void receive(const char *text)
{
    chr.chr.fe->receive(chr.chr.fe_opaque, (const uint8_t *)text, strlen(text));
}

static unsigned rx_count(void)
{
    struct serial16550_regs r;
    serial16550_get_regs(s, &r);
    return r.rx_count;
}

/* ---- power-on and plain registers ---- */

START_TEST(test_attached_to_backend)
{
    ck_assert_ptr_nonnull(chr.chr.fe);
    ck_assert_ptr_eq(chr.chr.fe_opaque, s);
    ck_assert_uint_ge(chr.accept_calls, 1);     /* input may start flowing */
}
END_TEST

START_TEST(test_power_on)
{
    ck_assert_uint_eq(in8(LSR), 0x60);
    ck_assert_uint_eq(in8(IIR), 0x01);
    ck_assert_uint_eq(in8(IER), 0x00);
    ck_assert_uint_eq(in8(LCR), 0x00);
    ck_assert_uint_eq(in8(MCR), 0x00);
    ck_assert_uint_eq(in8(SCR), 0x00);
    /* A connected, ready terminal: CTS, DSR, DCD, no deltas. */
    ck_assert_uint_eq(in8(MSR), 0xb0);
    ck_assert(!irq.level);
    ck_assert_uint_eq(irq.raises + irq.lowers, 0);
    ck_assert_uint_eq(can_receive(), 1);
    struct serial16550_regs r;
    serial16550_get_regs(s, &r);
    ck_assert_uint_eq(r.lsr, 0x60);
    ck_assert_uint_eq(r.iir, 0x01);
    ck_assert_uint_eq(r.rx_count, 0);
}
END_TEST

START_TEST(test_scratch)
{
    out8(SCR, 0x5a);
    ck_assert_uint_eq(in8(SCR), 0x5a);
    out8(SCR, 0xa5);
    ck_assert_uint_eq(in8(SCR), 0xa5);
    /* Unaffected by DLAB. */
    out8(LCR, 0x80);
    ck_assert_uint_eq(in8(SCR), 0xa5);
}
END_TEST

START_TEST(test_dlab)
{
    out8(IER, 0x05);
    out8(LCR, 0x83);                /* DLAB, 8N1 */
    ck_assert_uint_eq(in8(LCR), 0x83);
    out8(DLL, 0x0c);
    out8(DLM, 0x01);
    ck_assert_uint_eq(in8(DLL), 0x0c);
    ck_assert_uint_eq(in8(DLM), 0x01);
    ck_assert_uint_eq(chr.out->len, 0);     /* DLL write is not a THR write */
    out8(LCR, 0x03);
    ck_assert_uint_eq(in8(IER), 0x05);      /* IER kept through DLAB */
    out8(IER, 0xff);
    ck_assert_uint_eq(in8(IER), 0x0f);      /* upper nibble reads as 0 */
    struct serial16550_regs r;
    serial16550_get_regs(s, &r);
    ck_assert_uint_eq(r.dll, 0x0c);
    ck_assert_uint_eq(r.dlm, 0x01);
    /* With DLAB clear, offset 0 is RBR/THR again. */
    out8(THR, 'z');
    ck_assert_uint_eq(chr.out->len, 1);
    out8(LCR, 0x80);
    ck_assert_uint_eq(in8(DLM), 0x01);
    ck_assert_uint_eq(in8(DLL), 0x0c);
}
END_TEST

START_TEST(test_wide_access)
{
    out8(SCR, 0x42);
    uint8_t data[4] = { 0 };
    serial16550_bus_ops.read(s, SCR, data, 4);
    ck_assert_uint_eq(data[0], 0x42);
    ck_assert_uint_eq(data[1], 0xff);
    ck_assert_uint_eq(data[3], 0xff);
}
END_TEST

/* ---- transmit and THRE interrupt ---- */

START_TEST(test_thr_output)
{
    out8(THR, 'h');
    out8(THR, 'i');
    ck_assert_uint_eq(chr.out->len, 2);
    ck_assert_mem_eq(chr.out->data, "hi", 2);
    ck_assert_uint_eq(in8(LSR), 0x60);      /* sent at once: THRE and TEMT */
    ck_assert_uint_eq(irq.raises, 0);       /* IER.THRI is off */
    ck_assert_uint_eq(in8(IIR), 0x01);
}
END_TEST

START_TEST(test_thre_irq_gated_by_out2)
{
    out8(IER, 0x02);            /* THRI while THR is empty: pending */
    ck_assert(!irq.level);      /* but OUT2 is low */
    out8(MCR, 0x08);            /* OUT2 */
    ck_assert(irq.level);
    ck_assert_uint_eq(irq.raises, 1);
    out8(MCR, 0x00);
    ck_assert(!irq.level);
    out8(MCR, 0x0b);            /* DTR | RTS | OUT2 */
    ck_assert(irq.level);
    /* Reading IIR reports THRE and clears it. */
    ck_assert_uint_eq(in8(IIR), 0x02);
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(IIR), 0x01);
    /* Each character sent makes THR empty again. */
    out8(THR, 'a');
    ck_assert(irq.level);
    ck_assert_uint_eq(chr.out->data[0], 'a');
    ck_assert_uint_eq(in8(IIR), 0x02);
    ck_assert(!irq.level);
}
END_TEST

START_TEST(test_thr_write_without_out2)
{
    out8(IER, 0x02);
    out8(THR, 'x');
    ck_assert(!irq.level);
    ck_assert_uint_eq(irq.raises, 0);
    ck_assert_uint_eq(in8(IIR), 0x02);      /* the source is still reported */
    ck_assert_uint_eq(in8(IIR), 0x01);
}
END_TEST

START_TEST(test_enable_thri_raises)
{
    out8(MCR, 0x08);
    ck_assert(!irq.level);
    out8(IER, 0x02);
    ck_assert(irq.level);
    out8(IER, 0x00);
    ck_assert(!irq.level);
    /* Linux's THRE test (UART_BUG_THRE): enable, read IIR, disable, enable, read IIR. */
    out8(IER, 0x02);
    ck_assert_uint_eq(in8(IIR), 0x02);
    out8(IER, 0x00);
    out8(IER, 0x02);
    ck_assert_uint_eq(in8(IIR), 0x02);
    ck_assert_uint_eq(in8(IIR), 0x01);
    /* Rewriting IER with THRI already set does not re-raise. */
    out8(IER, 0x02);
    ck_assert_uint_eq(in8(IIR), 0x01);
}
END_TEST

START_TEST(test_fifo_enable_iir)
{
    out8(FCR, 0x01);
    ck_assert_uint_eq(in8(IIR), 0xc1);
    out8(FCR, 0xc7);            /* enable, clear both, trigger 14 */
    ck_assert_uint_eq(in8(IIR), 0xc1);
    struct serial16550_regs r;
    serial16550_get_regs(s, &r);
    ck_assert_uint_eq(r.fcr, 0xc1);         /* clear bits are self-clearing */
    ck_assert_uint_eq(r.iir, 0xc1);
    ck_assert_uint_eq(can_receive(), 16);
    out8(FCR, 0x00);
    ck_assert_uint_eq(in8(IIR), 0x01);
    ck_assert_uint_eq(can_receive(), 1);
    /* Trigger bits without the enable bit are dropped. */
    out8(FCR, 0xc0);
    serial16550_get_regs(s, &r);
    ck_assert_uint_eq(r.fcr, 0);
}
END_TEST

/* ---- receive ---- */

START_TEST(test_rx_no_fifo)
{
    out8(IER, 0x01);
    out8(MCR, 0x08);
    ck_assert_uint_eq(can_receive(), 1);
    receive("a");
    ck_assert_uint_eq(can_receive(), 0);
    ck_assert(irq.level);
    ck_assert_uint_eq(in8(LSR), 0x61);
    ck_assert_uint_eq(in8(IIR), 0x04);
    ck_assert(irq.level);                   /* IIR read does not clear RDA */
    unsigned accepts = chr.accept_calls;
    ck_assert_uint_eq(in8(RBR), 'a');
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(LSR), 0x60);
    ck_assert_uint_eq(in8(IIR), 0x01);
    ck_assert_uint_eq(chr.accept_calls, accepts + 1);   /* room again */
    ck_assert_uint_eq(can_receive(), 1);
    /* Reading an empty RBR is harmless. */
    in8(RBR);
    ck_assert_uint_eq(in8(LSR), 0x60);
}
END_TEST

START_TEST(test_rx_data_without_rdi)
{
    /* Polled mode: LSR.DR, no interrupt. */
    out8(MCR, 0x08);
    receive("q");
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(LSR) & 0x01, 0x01);
    ck_assert_uint_eq(in8(IIR), 0x01);
    ck_assert_uint_eq(in8(RBR), 'q');
}
END_TEST

START_TEST(test_rx_fifo_trigger_and_timeout)
{
    out8(FCR, 0x41);            /* FIFO, trigger level 4 */
    out8(IER, 0x01);
    out8(MCR, 0x08);
    ck_assert_uint_eq(can_receive(), 16);
    receive("abc");
    ck_assert(irq.level);
    ck_assert_uint_eq(in8(IIR), 0xcc);      /* below trigger: character timeout */
    receive("d");
    ck_assert_uint_eq(in8(IIR), 0xc4);      /* at trigger: data available */
    ck_assert_uint_eq(can_receive(), 12);
    ck_assert_uint_eq(in8(RBR), 'a');
    ck_assert_uint_eq(in8(IIR), 0xcc);
    ck_assert(irq.level);
    ck_assert_uint_eq(in8(RBR), 'b');
    ck_assert_uint_eq(in8(RBR), 'c');
    ck_assert_uint_eq(in8(LSR), 0x61);
    ck_assert_uint_eq(in8(RBR), 'd');
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(IIR), 0xc1);
    ck_assert_uint_eq(in8(LSR), 0x60);
}
END_TEST

START_TEST(test_rx_trigger_levels)
{
    static const struct { uint8_t fcr; unsigned level; } cases[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };
    out8(IER, 0x01);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        out8(FCR, cases[i].fcr | 0x02);
        for (unsigned n = 1; n <= cases[i].level; n++) {
            receive("x");
            uint8_t want = n < cases[i].level ? 0xcc : 0xc4;
            ck_assert_msg(in8(IIR) == want, "fcr %#x, %u bytes: IIR %#x", cases[i].fcr, n,
                          in8(IIR));
        }
    }
}
END_TEST

START_TEST(test_rx_flow_control_fifo)
{
    out8(FCR, 0x01);
    ck_assert_uint_eq(can_receive(), 16);
    receive("0123456789abcdef");
    ck_assert_uint_eq(can_receive(), 0);
    ck_assert_uint_eq(rx_count(), 16);
    ck_assert_uint_eq(in8(LSR), 0x61);      /* no overrun */
    unsigned accepts = chr.accept_calls;
    ck_assert_uint_eq(in8(RBR), '0');
    ck_assert_uint_eq(can_receive(), 1);
    for (const char *p = "123456789abcde"; *p; p++)
        ck_assert_uint_eq(in8(RBR), (uint8_t)*p);
    ck_assert_uint_eq(in8(RBR), 'f');
    ck_assert_uint_gt(chr.accept_calls, accepts);
    ck_assert_uint_eq(can_receive(), 16);
    ck_assert_uint_eq(in8(LSR), 0x60);
}
END_TEST

START_TEST(test_fcr_clear_rx)
{
    out8(FCR, 0x01);
    out8(IER, 0x01);
    out8(MCR, 0x08);
    receive("0123456789abcdef");
    ck_assert(irq.level);
    ck_assert_uint_eq(can_receive(), 0);
    unsigned accepts = chr.accept_calls;
    out8(FCR, 0x03);            /* clear RX, FIFO stays on */
    ck_assert_uint_eq(rx_count(), 0);
    ck_assert_uint_eq(in8(LSR), 0x60);
    ck_assert_uint_eq(in8(IIR), 0xc1);
    ck_assert(!irq.level);
    ck_assert_uint_eq(can_receive(), 16);
    /* The back end stopped at can_receive() == 0: it must be told there is room. */
    ck_assert_uint_gt(chr.accept_calls, accepts);
    /* New data after the clear is delivered in order. */
    receive("Z");
    ck_assert_uint_eq(in8(RBR), 'Z');
}
END_TEST

START_TEST(test_fifo_toggle_clears_rx)
{
    receive("a");
    ck_assert_uint_eq(rx_count(), 1);
    out8(FCR, 0x01);
    ck_assert_uint_eq(rx_count(), 0);
    ck_assert_uint_eq(in8(LSR) & 0x01, 0);
    receive("bc");
    out8(FCR, 0x00);
    ck_assert_uint_eq(rx_count(), 0);
    /* Rewriting the same enable without the clear bit keeps the data. */
    out8(FCR, 0x01);
    receive("d");
    out8(FCR, 0x81);
    ck_assert_uint_eq(rx_count(), 1);
    ck_assert_uint_eq(in8(RBR), 'd');
}
END_TEST

/* ---- loopback and modem status ---- */

START_TEST(test_loopback_data)
{
    out8(FCR, 0x01);
    out8(MCR, 0x10);
    out8(THR, 'L');
    out8(THR, 'B');
    ck_assert_uint_eq(chr.out->len, 0);     /* nothing reaches the back end */
    ck_assert_uint_eq(in8(LSR), 0x61);
    ck_assert_uint_eq(in8(RBR), 'L');
    ck_assert_uint_eq(in8(RBR), 'B');
    ck_assert_uint_eq(in8(LSR), 0x60);
    /* Input from the back end is refused while in loopback. */
    ck_assert_uint_eq(can_receive(), 0);
    receive("nope");
    ck_assert_uint_eq(rx_count(), 0);
    ck_assert_uint_eq(in8(LSR), 0x60);
}
END_TEST

START_TEST(test_loopback_msr_follows_mcr)
{
    out8(MCR, 0x1a);            /* loop | OUT2 | RTS: what Linux's autoconfig writes */
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0x90);
    out8(MCR, 0x1f);
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0xf0);
    out8(MCR, 0x10);
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0x00);
    out8(MCR, 0x11);            /* DTR -> DSR */
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0x20);
    out8(MCR, 0x12);            /* RTS -> CTS */
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0x10);
    out8(MCR, 0x14);            /* OUT1 -> RI */
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0x40);
    out8(MCR, 0x18);            /* OUT2 -> DCD */
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0x80);
    /* Leaving loopback: the terminal is back. */
    out8(MCR, 0x0b);
    ck_assert_uint_eq(in8(MSR) & 0xf0, 0xb0);
    ck_assert_uint_eq(in8(MCR), 0x0b);
}
END_TEST

START_TEST(test_leaving_loopback_resumes_input)
{
    out8(MCR, 0x10);
    ck_assert_uint_eq(can_receive(), 0);    /* the back end stops here */
    unsigned accepts = chr.accept_calls;
    out8(MCR, 0x0b);
    ck_assert_uint_eq(can_receive(), 1);
    ck_assert_uint_gt(chr.accept_calls, accepts);
    receive("k");
    ck_assert_uint_eq(in8(RBR), 'k');
}
END_TEST

START_TEST(test_msr_deltas_and_irq)
{
    out8(IER, 0x08);
    out8(MCR, 0x08);            /* OUT2, not loopback: no modem change */
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(MSR), 0xb0);
    out8(MCR, 0x18);            /* loopback: CTS and DSR drop, DCD stays (OUT2) */
    ck_assert(irq.level);
    ck_assert_uint_eq(in8(IIR), 0x00);      /* modem status */
    ck_assert_uint_eq(in8(MSR), 0x83);      /* DCD | DDSR | DCTS */
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(MSR), 0x80);      /* deltas cleared by the read */
    ck_assert_uint_eq(in8(IIR), 0x01);
    out8(MCR, 0x1c);            /* OUT1 -> RI rises: no TERI on the leading edge */
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(MSR), 0xc0);
    out8(MCR, 0x18);            /* RI falls: trailing edge */
    ck_assert(irq.level);
    ck_assert_uint_eq(in8(MSR), 0x84);
    ck_assert(!irq.level);
    out8(MCR, 0x19);            /* DTR -> DSR rises */
    ck_assert_uint_eq(in8(MSR), 0xa2);
}
END_TEST

START_TEST(test_msr_deltas_accumulate)
{
    /* Without MSI the deltas still latch until MSR is read. */
    out8(MCR, 0x10);
    out8(MCR, 0x13);
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(MSR), 0x3b);      /* DCD went 1 -> 0 -> 0: its delta stays */
    ck_assert_uint_eq(in8(MSR), 0x30);
}
END_TEST

START_TEST(test_lsr_overrun_cleared_by_read)
{
    out8(IER, 0x04);            /* line status interrupt */
    out8(MCR, 0x18);            /* loopback | OUT2 */
    in8(MSR);
    out8(THR, '1');             /* no FIFO: one byte of room */
    ck_assert(!irq.level);
    out8(THR, '2');             /* overrun */
    ck_assert(irq.level);
    ck_assert_uint_eq(in8(IIR), 0x06);
    ck_assert_uint_eq(in8(LSR), 0x63);      /* DR | OE | THRE | TEMT */
    ck_assert(!irq.level);
    ck_assert_uint_eq(in8(LSR), 0x61);      /* OE cleared by the read, DR stays */
    ck_assert_uint_eq(in8(RBR), '1');       /* the first byte survived */
    ck_assert_uint_eq(in8(LSR), 0x60);
}
END_TEST

START_TEST(test_interrupt_priority)
{
    out8(IER, 0x0f);
    out8(MCR, 0x18);            /* loopback | OUT2: MSR deltas pending */
    ck_assert(irq.level);
    /* THRI was enabled while empty, modem deltas pending: THRE outranks MSI. */
    ck_assert_uint_eq(in8(IIR), 0x02);
    ck_assert_uint_eq(in8(IIR), 0x00);
    out8(THR, 'a');             /* RDA (loopback) and THRE */
    ck_assert_uint_eq(in8(IIR), 0x04);
    out8(THR, 'b');             /* overrun: line status on top */
    ck_assert_uint_eq(in8(IIR), 0x06);
    in8(LSR);
    ck_assert_uint_eq(in8(IIR), 0x04);
    in8(RBR);
    ck_assert_uint_eq(in8(IIR), 0x02);
    ck_assert_uint_eq(in8(IIR), 0x00);
    in8(MSR);
    ck_assert_uint_eq(in8(IIR), 0x01);
    ck_assert(!irq.level);
}
END_TEST

/* ---- without back end or IRQ sink ---- */

START_TEST(test_no_backend)
{
    struct serial16550 *u = serial16550_new((struct irq_line){ 0 }, NULL);
    uint8_t v = 'x';
    serial16550_bus_ops.write(u, THR, &v, 1);
    v = 0x02;
    serial16550_bus_ops.write(u, IER, &v, 1);
    v = 0x08;
    serial16550_bus_ops.write(u, MCR, &v, 1);
    serial16550_bus_ops.read(u, RBR, &v, 1);
    serial16550_bus_ops.read(u, LSR, &v, 1);
    ck_assert_uint_eq(v, 0x60);
    serial16550_free(u);
    serial16550_free(NULL);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("serial16550");
    TCase *tc = tcase_create("regs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_attached_to_backend);
    tcase_add_test(tc, test_power_on);
    tcase_add_test(tc, test_scratch);
    tcase_add_test(tc, test_dlab);
    tcase_add_test(tc, test_wide_access);
    suite_add_tcase(s, tc);

    tc = tcase_create("tx");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_thr_output);
    tcase_add_test(tc, test_thre_irq_gated_by_out2);
    tcase_add_test(tc, test_thr_write_without_out2);
    tcase_add_test(tc, test_enable_thri_raises);
    tcase_add_test(tc, test_fifo_enable_iir);
    suite_add_tcase(s, tc);

    tc = tcase_create("rx");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rx_no_fifo);
    tcase_add_test(tc, test_rx_data_without_rdi);
    tcase_add_test(tc, test_rx_fifo_trigger_and_timeout);
    tcase_add_test(tc, test_rx_trigger_levels);
    tcase_add_test(tc, test_rx_flow_control_fifo);
    tcase_add_test(tc, test_fcr_clear_rx);
    tcase_add_test(tc, test_fifo_toggle_clears_rx);
    suite_add_tcase(s, tc);

    tc = tcase_create("modem");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_loopback_data);
    tcase_add_test(tc, test_loopback_msr_follows_mcr);
    tcase_add_test(tc, test_leaving_loopback_resumes_input);
    tcase_add_test(tc, test_msr_deltas_and_irq);
    tcase_add_test(tc, test_msr_deltas_accumulate);
    tcase_add_test(tc, test_lsr_overrun_cleared_by_read);
    tcase_add_test(tc, test_interrupt_priority);
    suite_add_tcase(s, tc);

    tc = tcase_create("standalone");
    tcase_add_test(tc, test_no_backend);
    suite_add_tcase(s, tc);
    return s;
}
