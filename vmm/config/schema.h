/* SPDX-License-Identifier: MIT */
/*
 * The config schema (vmm/config/schema.c): every section and key, with its
 * type, range, default, flag and documentation, in two tables that drive
 * the file reader, --set, the dedicated flags, the defaults, the checks,
 * --help-keys and the INI writer. Private to vmm/config/.
 */
#ifndef KVMKIT_CONFIG_SCHEMA_H
#define KVMKIT_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"

enum key_kind {
    KIND_UINT,     /* unsigned: decimal integer in [min, max] */
    KIND_SIZE,     /* uint64_t: config_parse_size() in [min, max], % align */
    KIND_NAME,     /* char *: 1..max of [A-Za-z0-9_.-] */
    KIND_STRING,   /* char *: at most max bytes */
    KIND_ENUM,     /* an enum (int-sized): index into choices */
    KIND_PATH,     /* char *: made absolute against the origin's base dir */
    KIND_CHAR_OUT, /* struct config_char: stdio | none | file:PATH (| pty) */
    KIND_CHAR_IN,  /* bool: stdio (true) | none (false) */
    KIND_BOOL,     /* bool: true|yes|on|1 or false|no|off|0, any case */
};

enum key_flags {
    KEY_REQUIRED = 1 << 0,  /* pointer kinds only: config_finish fails if NULL */
    KEY_READ_FILE = 1 << 1, /* PATH: must be a readable regular file */
    KEY_EMPTY_OK = 1 << 2,  /* STRING: "" is a valid value */
    KEY_PTY_OK = 1 << 3,    /* CHAR_OUT: "pty" is a valid value */
    KEY_WRITE_FILE = 1 << 4, /* PATH: a file kvmkit writes; its directory must exist */
};

struct key_desc {
    const char *section;
    const char *key;
    enum key_kind kind;
    size_t offset;      /* into struct vm_config, or the instance struct */
    uint64_t min, max;  /* UINT, SIZE: range; NAME, STRING: max length */
    uint64_t align;     /* SIZE */
    const char *const *choices; /* ENUM: NULL-terminated, index = value */
    unsigned flags;
    const char *def;      /* default in file syntax, NULL for none */
    const char *flag;     /* dedicated `run` flag without "--", or NULL */
    const char *flag_arg; /* its placeholder in --help */
    const char *doc;
    /* STRING: further checks; false with *expected set ("expected ...") */
    bool (*check)(const char *value, char **expected);
};

/*
 * Named multi-instance sections ([disk "root"], [net "lan"]) set the three
 * hooks; their keys' offsets are into the instance struct the hooks manage
 * (say a GPtrArray of struct config_disk in struct vm_config).  Unnamed
 * sections leave them NULL and their keys are offsets into struct vm_config.
 */
struct section_desc {
    const char *name;
    const char *doc;
    size_t name_max;    /* named sections: longest instance name; 0: 64 */
    /* Named sections: makes the (empty) instance storage; config_init. */
    void (*init)(struct vm_config *cfg);
    /* The instance called name; if absent, adds a zeroed one and sets
     * *created (the caller then applies the defaults). */
    void *(*instance)(struct vm_config *cfg, const char *name, bool *created);
    /* The i-th instance, NULL past the last one; sets *name unless NULL. */
    void *(*nth)(struct vm_config *cfg, size_t i, const char **name);
    /* Frees the instance storage; the caller has freed the key fields. */
    void (*clear)(struct vm_config *cfg);
};

/* At most this many [disk "NAME"] and [net "NAME"] sections. */
#define CONFIG_MAX_DISKS 8
#define CONFIG_MAX_NETS 4

/* The tables: sections in --help-keys order, keys by section. */
extern const struct section_desc config_sections[];
extern const size_t config_n_sections;
extern const struct key_desc config_keys[];
extern const size_t config_n_keys;

/* The key @key of @section, or NULL. */
const struct key_desc *config_find_key(const char *section, const char *key);

/* Instances of named sections are structs that start with `char *name`,
 * kept in a GPtrArray: the @i-th of @all, NULL past the last one; sets
 * *@name unless @name is NULL. */
void *config_named_nth(GPtrArray *all, size_t i, const char **name);

#endif
