/* SPDX-License-Identifier: MIT */
/*
 * AML byte writer (aml.h). Opcodes and encodings: ACPI 6.5 chapter 20
 * ("ACPI Machine Language Specification"); resource descriptors: section
 * 6.4 ("Resource Data Types for ACPI").
 */
#include "aml.h"

#include <string.h>
#include <glib.h>

/* Opcodes (ACPI 6.5 section 20.3). */
#define AML_ZERO        0x00
#define AML_ONE         0x01
#define AML_NAME_OP     0x08
#define AML_BYTE_PFX    0x0a
#define AML_WORD_PFX    0x0b
#define AML_DWORD_PFX   0x0c
#define AML_STRING_PFX  0x0d
#define AML_QWORD_PFX   0x0e
#define AML_SCOPE_OP    0x10
#define AML_BUFFER_OP   0x11
#define AML_PACKAGE_OP  0x12
#define AML_METHOD_OP   0x14
#define AML_DUAL_NAME   0x2e
#define AML_MULTI_NAME  0x2f
#define AML_EXT_PFX     0x5b
#define AML_DEVICE_OP   0x82    /* after AML_EXT_PFX */
#define AML_ROOT_CHAR   '\\'
#define AML_PARENT_CHAR '^'
#define AML_RETURN_OP   0xa4
#define AML_ONES        0xff

/* Resource descriptor tags (section 6.4.2 small, 6.4.3 large). */
#define RES_IRQ_NOFLAGS   0x22    /* small type 4, length 2 */
#define RES_IO            0x47    /* small type 8, length 7 */
#define RES_END_TAG       0x79    /* small type 15, length 1 */
#define RES_MEMORY32_FIXED 0x86
#define RES_EXT_INTERRUPT  0x89

void aml_init(struct aml *a)
{
    memset(a, 0, sizeof(*a));
}

void aml_clear(struct aml *a)
{
    g_free(a->data);
    aml_init(a);
}

static void reserve(struct aml *a, size_t n)
{
    g_assert(a->len + n >= a->len);
    if (a->len + n <= a->cap)
        return;
    size_t cap = MAX(a->cap * 2, MAX(a->len + n, (size_t)256));
    a->data = g_realloc(a->data, cap);
    a->cap = cap;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    reserve(a, n);
    memcpy(a->data + a->len, p, n);
    a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

unsigned aml_pkglength(size_t body_len, uint8_t out[4])
{
    /* The largest total each encoding holds: 6 bits, then 4 + 8k. */
    static const uint32_t max_total[4] = { 0x3f, 0xfff, 0xfffff, AML_PKGLENGTH_MAX };
    for (unsigned n = 1; n <= 4; n++) {
        if (body_len > max_total[n - 1] - n)
            continue;
        uint32_t total = (uint32_t)body_len + n;
        if (n == 1) {
            out[0] = (uint8_t)total;
            return 1;
        }
        /* Bits 7-6: bytes that follow; bits 3-0: the low nibble. */
        out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
        for (unsigned i = 1; i < n; i++)
            out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
        return n;
    }
    return 0;
}

void aml_integer(struct aml *a, uint64_t v)
{
    if (v == 0) {
        aml_byte(a, AML_ZERO);
    } else if (v == 1) {
        aml_byte(a, AML_ONE);
    } else if (v == UINT64_MAX) {
        aml_byte(a, AML_ONES);
    } else if (v <= UINT8_MAX) {
        aml_byte(a, AML_BYTE_PFX);
        le(a, v, 1);
    } else if (v <= UINT16_MAX) {
        aml_byte(a, AML_WORD_PFX);
        le(a, v, 2);
    } else if (v <= UINT32_MAX) {
        aml_byte(a, AML_DWORD_PFX);
        le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD_PFX);
        le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    for (const char *c = s; *c; c++)
        g_assert((unsigned char)*c < 0x80);
    aml_byte(a, AML_STRING_PFX);
    aml_bytes(a, s, strlen(s) + 1);
}

static bool seg_char_ok(char c, bool lead)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || (!lead && c >= '0' && c <= '9');
}

/* One NameSeg from @s[0..n), padded with '_' to 4 bytes. */
static void name_seg(struct aml *a, const char *s, size_t n)
{
    g_assert(n >= 1 && n <= 4);
    char seg[4] = { '_', '_', '_', '_' };
    for (size_t i = 0; i < n; i++) {
        g_assert(seg_char_ok(s[i], i == 0));
        seg[i] = s[i];
    }
    aml_bytes(a, seg, 4);
}

void aml_name(struct aml *a, const char *path)
{
    if (*path == AML_ROOT_CHAR) {
        aml_byte(a, AML_ROOT_CHAR);
        path++;
    } else {
        while (*path == AML_PARENT_CHAR)
            aml_byte(a, *path++);
    }
    if (!*path) {
        aml_byte(a, AML_ZERO);      /* NullName */
        return;
    }
    unsigned n_segs = 1;
    for (const char *c = path; *c; c++)
        n_segs += *c == '.';
    g_assert(n_segs <= 255);
    if (n_segs == 2) {
        aml_byte(a, AML_DUAL_NAME);
    } else if (n_segs > 2) {
        aml_byte(a, AML_MULTI_NAME);
        aml_byte(a, (uint8_t)n_segs);
    }
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        name_seg(a, path, n);
        path += n + (dot ? 1 : 0);
        g_assert(!dot || *path);    /* no trailing '.' */
    }
}

static unsigned hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    g_assert(c >= 'A' && c <= 'F');
    return c - 'A' + 10;
}

uint32_t aml_eisaid(const char *id)
{
    /* Three letters in 5 bits each ('A' = 1), then four hex digits, stored
     * big-endian (ACPI 6.5 section 19.6.35, EisaId). */
    g_assert(strlen(id) == 7);
    uint32_t v = 0;
    for (int i = 0; i < 3; i++) {
        g_assert(id[i] >= 'A' && id[i] <= 'Z');
        v = (v << 5) | (uint32_t)(id[i] - 'A' + 1);
    }
    for (int i = 3; i < 7; i++)
        v = (v << 4) | hex_digit(id[i]);
    return GUINT32_SWAP_LE_BE(v);
}

void aml_name_decl(struct aml *a, const char *name)
{
    aml_byte(a, AML_NAME_OP);
    aml_name(a, name);
}

void aml_name_integer(struct aml *a, const char *name, uint64_t v)
{
    aml_name_decl(a, name);
    aml_integer(a, v);
}

void aml_name_string(struct aml *a, const char *name, const char *s)
{
    aml_name_decl(a, name);
    aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
    aml_name_decl(a, name);
    /* Always a DWord, as iasl writes it: the disassembler shows EisaId(). */
    aml_byte(a, AML_DWORD_PFX);
    le(a, aml_eisaid(id), 4);
}

/* Opens a term whose PkgLength goes here; aml_end() inserts it. */
static void open_body(struct aml *a)
{
    g_assert(a->depth < AML_MAX_DEPTH);
    a->open[a->depth++] = a->len;
}

void aml_end(struct aml *a)
{
    g_assert(a->depth > 0);
    size_t start = a->open[--a->depth];
    uint8_t pl[4];
    unsigned n = aml_pkglength(a->len - start, pl);
    g_assert(n > 0);
    reserve(a, n);
    memmove(a->data + start + n, a->data + start, a->len - start);
    memcpy(a->data + start, pl, n);
    a->len += n;
}

void aml_name_buffer(struct aml *a, const char *name, const void *p, size_t n)
{
    aml_name_decl(a, name);
    aml_byte(a, AML_BUFFER_OP);
    open_body(a);
    aml_integer(a, n);      /* BufferSize */
    aml_bytes(a, p, n);
    aml_end(a);
}

void aml_begin_scope(struct aml *a, const char *name)
{
    aml_byte(a, AML_SCOPE_OP);
    open_body(a);
    aml_name(a, name);
}

void aml_begin_device(struct aml *a, const char *name)
{
    aml_byte(a, AML_EXT_PFX);
    aml_byte(a, AML_DEVICE_OP);
    open_body(a);
    aml_name(a, name);
}

void aml_begin_method(struct aml *a, const char *name, unsigned n_args, bool serialized)
{
    g_assert(n_args <= 7);
    aml_byte(a, AML_METHOD_OP);
    open_body(a);
    aml_name(a, name);
    /* MethodFlags: bits 0-2 ArgCount, bit 3 SerializeFlag, bits 4-7 SyncLevel 0. */
    aml_byte(a, (uint8_t)(n_args | (serialized ? 0x08 : 0)));
}

void aml_begin_package(struct aml *a, uint8_t n_elements)
{
    aml_byte(a, AML_PACKAGE_OP);
    open_body(a);
    aml_byte(a, n_elements);
}

void aml_return_integer(struct aml *a, uint64_t v)
{
    aml_byte(a, AML_RETURN_OP);
    aml_integer(a, v);
}

void aml_res_io(struct aml *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    aml_byte(r, RES_IO);
    aml_byte(r, 0x01);          /* decodes 16 address bits */
    le(r, min, 2);
    le(r, max, 2);
    aml_byte(r, align);
    aml_byte(r, len);
}

void aml_res_irq_noflags(struct aml *r, unsigned irq)
{
    g_assert(irq < 16);
    aml_byte(r, RES_IRQ_NOFLAGS);
    le(r, 1u << irq, 2);        /* IRQ mask */
}

void aml_res_memory32_fixed(struct aml *r, uint32_t base, uint32_t len, bool writable)
{
    aml_byte(r, RES_MEMORY32_FIXED);
    le(r, 9, 2);                /* length of what follows */
    aml_byte(r, writable ? 0x01 : 0x00);
    le(r, base, 4);
    le(r, len, 4);
}

void aml_res_interrupt(struct aml *r, uint32_t gsi, bool edge, bool active_low)
{
    aml_byte(r, RES_EXT_INTERRUPT);
    le(r, 6, 2);                /* flags, count, one DWord */
    /* Bit 0 consumer, 1 edge, 2 active low, 3 shared (no). */
    aml_byte(r, (uint8_t)(0x01 | (edge ? 0x02 : 0) | (active_low ? 0x04 : 0)));
    aml_byte(r, 1);
    le(r, gsi, 4);
}

uint8_t aml_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    while (len--)
        sum += *p++;
    return (uint8_t)-sum;
}

void aml_res_end(struct aml *r)
{
    aml_byte(r, RES_END_TAG);
    aml_byte(r, aml_checksum(r->data, r->len));
}
