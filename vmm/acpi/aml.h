/* SPDX-License-Identifier: MIT */
/*
 * A small writer of ACPI Machine Language (ACPI 6.5, chapter 20) and of the
 * resource descriptors _CRS returns (chapter 6.4): enough for a VMM to
 * describe its devices in a DSDT at run time. Arch-neutral: it knows bytes,
 * not machines (the x86 tables are vmm/x86/acpi.c).
 *
 * vmm/acpi/: a layer of its own, above base only; it calls nothing else of
 * kvmkit. Every object is a struct the caller owns: no static state.
 *
 * Usage: aml_new(), then terms in order; a term with a body (Scope, Device,
 * Method, Package) is opened with aml_begin_*() and closed with aml_end(),
 * which fills in its PkgLength. Resource templates are built in a second
 * struct aml with the aml_res_*() calls, closed with aml_res_end() (EndTag
 * and checksum), and placed with aml_name_buffer(). Memory errors abort, as
 * in GLib; a misuse (aml_end() with nothing open, too deep a nesting, a
 * malformed name) is a programming error and asserts.
 */
#ifndef KVMKIT_AML_H
#define KVMKIT_AML_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define AML_MAX_DEPTH 16
/* PkgLength encodes at most 2^28 - 1 bytes (its own included). */
#define AML_PKGLENGTH_MAX 0x0fffffffu

struct aml {
    uint8_t *data;
    size_t len, cap;
    unsigned depth;
    size_t open[AML_MAX_DEPTH];   /* where each open term's body starts */
};

void aml_init(struct aml *a);
void aml_clear(struct aml *a);     /* frees the bytes; @a can be reused */

/* Raw bytes, for what the writer has no helper for. */
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);

/*
 * Encodes a PkgLength for a body of @body_len bytes into @out (which it
 * counts itself in, ACPI 6.5 section 20.2.4): returns how many bytes (1 to
 * 4) it used, or 0 if the total exceeds AML_PKGLENGTH_MAX.
 */
unsigned aml_pkglength(size_t body_len, uint8_t out[4]);

/* Integer with the smallest encoding: ZeroOp, OneOp, OnesOp (all ones),
 * or Byte/Word/DWord/QWord prefix. */
void aml_integer(struct aml *a, uint64_t v);
/* String (StringPrefix, ASCII, NUL). @s must hold no NUL and only 0x01-0x7f. */
void aml_string(struct aml *a, const char *s);
/*
 * NameString from ASL spelling: optional leading '\' or '^'s, segments
 * separated by '.', each 1 to 4 of A-Z 0-9 _ (first not a digit), padded
 * with '_'. "" is the NullName.
 */
void aml_name(struct aml *a, const char *path);
/* A 7-character EISA ID ("PNP0501") compressed into a DWord, as ASL's
 * EisaId() does. */
uint32_t aml_eisaid(const char *id);

/* Name (NAME, value) for the common values. */
void aml_name_integer(struct aml *a, const char *name, uint64_t v);
void aml_name_string(struct aml *a, const char *name, const char *s);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
/* Name (NAME, Buffer () {bytes}), e.g. a _CRS from aml_res_*(). */
void aml_name_buffer(struct aml *a, const char *name, const void *p, size_t n);
/* Name (NAME, ...): the caller writes the value term next. */
void aml_name_decl(struct aml *a, const char *name);

/* Terms with a body, closed by aml_end(). */
void aml_begin_scope(struct aml *a, const char *name);
void aml_begin_device(struct aml *a, const char *name);
/* Method (NAME, @n_args, Serialized if @serialized); @n_args 0-7. */
void aml_begin_method(struct aml *a, const char *name, unsigned n_args, bool serialized);
/* Package (@n_elements) {...}: the caller writes @n_elements data terms. */
void aml_begin_package(struct aml *a, uint8_t n_elements);
void aml_end(struct aml *a);

/* Return (@v), inside a method. */
void aml_return_integer(struct aml *a, uint64_t v);

/* Resource descriptors (ACPI 6.5 section 6.4), into a buffer of their own. */
/* IO (Decode16, @min, @max, @align, @len). */
void aml_res_io(struct aml *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
/* IRQNoFlags () {@irq}: an ISA IRQ, edge-triggered, active high. */
void aml_res_irq_noflags(struct aml *r, unsigned irq);
/* Memory32Fixed (ReadWrite or ReadOnly, @base, @len). */
void aml_res_memory32_fixed(struct aml *r, uint32_t base, uint32_t len, bool writable);
/* Interrupt (ResourceConsumer, Edge or Level, ActiveHigh or ActiveLow,
 * Exclusive) {@gsi}. */
void aml_res_interrupt(struct aml *r, uint32_t gsi, bool edge, bool active_low);
/* EndTag, with the checksum that makes the template's bytes sum to 0. */
void aml_res_end(struct aml *r);

/* The byte that makes @len bytes at @p plus itself sum to zero (mod 256):
 * the checksum of ACPI tables, of a resource template's EndTag, and of the
 * Intel MP table, which uses the same rule. */
uint8_t aml_checksum(const uint8_t *p, size_t len);

#endif
