/* SPDX-License-Identifier: MIT */
/*
 * What the files of vmm/config/ share and nobody outside calls: the
 * helpers of config.c (setting one key, its value and its section) that
 * the file reader, the command line, the checks and the INI writer build
 * on. Same rules as config.h: main thread, errors in KVMKIT_CONFIG_ERROR.
 */
#ifndef KVMKIT_CONFIG_INTERNAL_H
#define KVMKIT_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"

struct key_desc;
struct section_desc;

/* Sets @errp to "WHO: message", or "message" if @who is NULL. */
void config_fail(GError **errp, int code, const char *who, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* Decimal digits only, no sign, no overflow. */
bool config_parse_uint(const char *s, uint64_t *out);

/* @v with the largest exact unit ("512M", "1G"), or in bytes (caller
 * frees). */
char *config_format_size(uint64_t v);

/* "auto, on or off" (@sep ", ", @last " or ") or "auto | on | off"
 * (caller frees). */
char *config_join_choices(const char *const *choices, const char *sep, const char *last);

/* Checks that @path is a readable regular file; @who prefixes errors,
 * which get @code. */
bool config_check_input_file(const char *who, const char *path, int code, GError **errp);

/* Frees the string a key of type @k holds in @field (and NULLs it). */
void config_free_field(const struct key_desc *k, void *field);

/* "machine", or "disk \"root\"" for an instance: as in a file's header
 * (caller frees). */
char *config_group_name(const char *section, const char *inst);

/* Splits a group name: "machine" -> machine, NULL; "disk \"root\"" ->
 * disk, root (both g_malloc'd). False if it has neither form. */
bool config_split_group(const char *group, char **section, char **inst);

/* The section called @section, checking that it takes an instance name iff
 * it is named; @who prefixes errors ("vm.conf", "--set machin.cpus", NULL). */
const struct section_desc *config_lookup_section(const char *who, const char *section,
                                                 const char *inst, GError **errp);

/* The instance @inst of the named section @sec, added (with the defaults)
 * if absent; @who is as for config_lookup_section() and, if a file, is
 * remembered as where the instance was first named. */
void *config_get_instance(struct vm_config *cfg, const struct section_desc *sec,
                          const char *inst, const char *who);

/*
 * Looks up [section "inst"] key and sets it from @value. @who names the
 * origin in lookup errors ("vm.conf", "--set machin.cpus", NULL); @prefix
 * starts value errors ("vm.conf: [machine] cpus"). @line is the key's line
 * in a file, 0 if unknown. Remembers @prefix as the key's origin.
 */
bool config_set_key(struct vm_config *cfg, const char *who, const char *prefix,
                    const char *section, const char *inst, const char *key,
                    const char *value, const char *base_dir, unsigned line, GError **errp);

#endif
