/* SPDX-License-Identifier: MIT */
/*
 * config: the VM description, from an INI file (GKeyFile) and the command
 * line of `kvmkit run`.
 *
 * Every key lives in one table in config.c; the file parser, `--set`, the
 * dedicated flags, the defaults, `--help-keys` and the required-key checks
 * are all driven by it.  docs/config.md is the user-facing reference.
 *
 * Threading: none of these functions are thread-safe; use them from the main
 * thread before the VM starts.  Errors are reported in KVMKIT_CONFIG_ERROR
 * with a message ready to print after "kvmkit: ", naming where the value
 * came from, e.g.
 *     vm.conf: [machine] memory: expected a size like 512M, got "12X"
 *     --memory: expected a size like 512M, got "12X"
 *     --set machine.memory: expected a size like 512M, got "12X"
 */
#ifndef KVMKIT_VMM_CONFIG_H
#define KVMKIT_VMM_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

#define KVMKIT_CONFIG_ERROR (kvmkit_config_error_quark())
GQuark kvmkit_config_error_quark(void);

/* Codes in KVMKIT_CONFIG_ERROR.  main treats all of them alike (exit 2). */
enum config_error {
    CONFIG_ERROR_USAGE,    /* bad command line: unknown flag, --set syntax */
    CONFIG_ERROR_FILE,     /* config file missing, unreadable, a directory */
    CONFIG_ERROR_SYNTAX,   /* config file is not a valid INI file */
    CONFIG_ERROR_UNKNOWN,  /* unknown section or key */
    CONFIG_ERROR_VALUE,    /* value of the wrong form or out of range */
    CONFIG_ERROR_PATH,     /* a path value names nothing usable */
    CONFIG_ERROR_MISSING,  /* a required key was not given */
    CONFIG_ERROR_CONFLICT, /* values that do not go together */
};

/* [machine] pvm: the PVM-host workarounds.  AUTO means "on when
 * /sys/module/kvm_pvm exists"; this module only parses the key. */
enum config_pvm_mode { CONFIG_PVM_AUTO, CONFIG_PVM_ON, CONFIG_PVM_OFF };

/* PTY (a new pseudo-terminal, its path printed; input from it too) is
 * accepted by [console] output only. */
enum config_char_kind {
    CONFIG_CHAR_STDIO, CONFIG_CHAR_NONE, CONFIG_CHAR_FILE, CONFIG_CHAR_PTY
};

/* [console] device: the guest's hvc0. */
enum config_console { CONFIG_CONSOLE_NONE, CONFIG_CONSOLE_VIRTIO };

/* [rng] device: the entropy device. */
enum config_rng { CONFIG_RNG_NONE, CONFIG_RNG_VIRTIO };

/* A character back end choice.  path is absolute, set only for FILE. */
struct config_char {
    enum config_char_kind kind;
    char *path;
};

/* [disk "NAME"]: a virtio-blk disk.  Disks appear in the guest in the order
 * of vm_config.disks (/dev/vda, /dev/vdb, ...). */
struct config_disk {
    /* the section's name: [disk "root"] -> "root"; [A-Za-z0-9_.-]{1,20}
     * (it is the virtio-blk serial, 20 bytes max) */
    char *name;
    /* absolute, canonical; required; must be an existing regular file */
    char *path;
    bool readonly;   /* default false */
    unsigned poll_us; /* 0..1000, default 32: devices/virtio/mmio.c polling */
};

/* [net "NAME"] backend */
enum config_net_backend { CONFIG_NET_USER, CONFIG_NET_TAP };

/* [net "NAME"]: a virtio-net NIC (docs/networking.md).  The address keys
 * are kept as text, checked one by one as they are set and together by
 * config_finish() (vmm/config/net_config.h turns them into back-end settings). */
struct config_net {
    char *name;                      /* [A-Za-z0-9_.-]{1,20} */
    enum config_net_backend backend; /* default user */
    char *mac;        /* NULL: derived from [machine] name and the NIC name */
    char *hostfwd;    /* user: forwards separated by ';', NULL for none */
    bool restrict_;   /* user: restrict; default false */
    char *net;        /* user: subnet, default 10.0.2.0/24 */
    char *host;       /* user: gateway; NULL: network + 2 */
    char *dhcp_start; /* user: NULL: network + 15 */
    char *dns;        /* user: NULL: network + 3 */
    char *ifname;     /* tap: required */
    bool offload;     /* tap: IFF_VNET_HDR + checksum offload; default true */
    unsigned mtu;     /* 68..65520, default 1500 */
};

/* [security] seccomp: the per-thread system call filters
 * (vmm/security/seccomp_filter.h); LOG allows and logs what ON would kill. */
enum config_seccomp { CONFIG_SECCOMP_ON, CONFIG_SECCOMP_OFF, CONFIG_SECCOMP_LOG };

/* [security] namespaces: a subset of "mount,pid,net,ipc,uts". */
enum config_namespace {
    CONFIG_NS_MOUNT = 1 << 0,
    CONFIG_NS_PID = 1 << 1,
    CONFIG_NS_NET = 1 << 2,
    CONFIG_NS_IPC = 1 << 3,
    CONFIG_NS_UTS = 1 << 4,
};

/* Parses a [security] namespaces value (names separated by ',', any
 * order, no repeats; "" or "none" for none) into CONFIG_NS_* bits.
 * Returns false with *expected set (caller frees) on anything else. */
bool config_parse_namespaces(const char *value, unsigned *bits, char **expected);

/* Parses a [limits] cpu value: a decimal number of cores, at most three
 * decimals, from 0.01 to 1024, into thousandths of a core. */
bool config_parse_cpu_limit(const char *value, unsigned *millicores);

/* What `kvmkit run` was asked to do besides running. */
enum config_help {
    CONFIG_HELP_NONE,  /* run the VM */
    CONFIG_HELP_USAGE, /* -h/--help: print config_print_usage(), exit 0 */
    CONFIG_HELP_KEYS,  /* --help-keys: print config_print_keys(), exit 0 */
};

/*
 * The VM description.  All strings are owned by the struct (g_malloc'd) and
 * freed by config_clear(); all paths are absolute and canonical
 * (g_canonicalize_filename: "." and ".." resolved, symlinks kept).
 */
/* Virtio devices a machine takes at most (disks, NICs, the virtio console
 * and the virtio-rng together): one interrupt line each (vmm/x86/layout.h). */
#define CONFIG_MAX_VIRTIO_DEVICES 9

struct vm_config {
    char *name;               /* [machine] name */
    unsigned cpus;            /* [machine] cpus */
    uint64_t memory;          /* [machine] memory, bytes */
    enum config_pvm_mode pvm; /* [machine] pvm */
    bool acpi;                /* [machine] acpi */
    char *kernel;             /* [boot] kernel, NULL until given */
    char *initrd;             /* [boot] initrd, NULL if none */
    char *cmdline;            /* [boot] cmdline, never NULL */
    struct config_char serial_out; /* [serial] output */
    bool serial_in_stdio;     /* [serial] input: true for stdio; false after
                                 config_finish() when the console takes
                                 stdin and [serial] input was not given */
    enum config_console console; /* [console] device */
    enum config_rng rng;      /* [rng] device */
    struct config_char console_out; /* [console] output */
    bool console_in_stdio;    /* [console] input: true for stdio (from
                                 stdin; with output = pty the pty is the
                                 input whatever this says) */
    /* [disk "NAME"] and --disk: struct config_disk *, in the order first
     * named; never NULL after config_init */
    GPtrArray *disks;
    /* [net "NAME"] and --net: struct config_net *, in the order first
     * named (the guest's eth0, eth1, ...); never NULL after config_init */
    GPtrArray *nets;

    char *control_socket;     /* [control] socket, NULL if none */
    char *snapshot_restore;   /* [snapshot] restore, NULL: boot */
    bool snapshot_paused;     /* [snapshot] paused */
    bool snapshot_verify;     /* [snapshot] verify */
    bool snapshot_machine;    /* not a key: this is the machine description of a
                               * snapshot being restored (config_finish()
                               * then neither requires nor opens [boot] files,
                               * which a restore does not load) */
    enum log_format log_format; /* [log] format */
    char *log_file;           /* [log] file, NULL: stderr */
    enum log_level log_level; /* [log] level */
    char *metrics_file;       /* [metrics] file, NULL: none */
    unsigned metrics_interval; /* [metrics] interval, seconds */

    /* [security] and [limits] (docs/security.md) */
    enum config_seccomp seccomp; /* [security] seccomp */
    char *security_user;      /* [security] user: NAME or UID:GID, NULL: stay */
    char *security_chroot;    /* [security] chroot: a directory, NULL: none */
    char *namespaces;         /* [security] namespaces, as given (checked);
                                 config_parse_namespaces() makes the bits */
    char *limit_cpu;          /* [limits] cpu: cores like "1.5", NULL: none */
    uint64_t limit_memory;    /* [limits] memory, bytes, 0: none */

    enum config_help help;    /* set by config_parse_run_args() */

    /* private: "section.key" -> error prefix naming where the current
     * value came from ("vm.conf: [boot] kernel", "--kernel"), so that
     * config_finish() can blame the right origin; for a named section
     * also "disk \"root\"" -> where it was first named
     * ("vm.conf: [disk \"root\"]", or "[disk \"root\"]" for a flag). */
    GHashTable *origins;
};

/* Fills *cfg with the defaults from the key table.  cfg's previous contents
 * are overwritten, not freed.  Cannot fail. */
void config_init(struct vm_config *cfg);

/* Frees everything *cfg owns and zeroes it; config_init() may follow.
 * Safe on a zeroed or already-cleared struct. */
void config_clear(struct vm_config *cfg);

/*
 * Reads the INI file at path (relative to the cwd) and applies every key in
 * file order.  Errors name the file as path was given ("vm.conf: ...").
 * Paths inside the file are resolved against the file's directory.  Unknown
 * sections and keys are errors (with the key's line number and a "did you
 * mean" hint).  On error *cfg holds the keys applied before the bad one; it
 * still belongs to the caller and must be config_clear()ed.
 */
bool config_load_file(struct vm_config *cfg, const char *path, GError **errp);

/* The same for @len bytes of INI text that came from @path (a name for
 * messages); relative paths in it are resolved against @dir. */
bool config_load_data(struct vm_config *cfg, const char *path, const char *text,
                      size_t len, const char *dir, GError **errp);

/*
 * The effective configuration as INI text that config_load_data() reads
 * back to the same vm_config: every key of every section and instance,
 * defaults included, paths absolute. Used to describe the machine in a
 * snapshot. Caller frees.
 */
char *config_to_ini(const struct vm_config *cfg);

/*
 * Copies the keys named in @which ("serial.output", NULL-terminated) from
 * @src to @dst, as if set in a file. Used to apply the host-side settings
 * of a restore over a snapshot's machine. For a named section ("disk.path")
 * the key of each instance @src has goes to the instance of the same name
 * in @dst; one @dst lacks is an error naming it (@src cannot add disks).
 */
bool config_copy_keys(struct vm_config *dst, const struct vm_config *src,
                      const char *const *which, GError **errp);

/*
 * Sets one key from its text form, as written in a config file.
 * section is "machine", or for a named section the group text as in the
 * file: "disk \"root\"".  Relative paths are resolved against base_dir
 * (NULL: the cwd).  origin is where the value came from and starts error
 * messages: a file name gives "ORIGIN: [section] key: ...", a flag (a
 * string starting with '-', e.g. "--memory" or "--set machine.memory")
 * gives "ORIGIN: ..." since it already names the key; NULL gives
 * "[section] key: ...".  On error *cfg is unchanged.
 */
bool config_set(struct vm_config *cfg, const char *origin, const char *section,
                const char *key, const char *value, const char *base_dir,
                GError **errp);

/* Applies one `--set` argument "section.key=value" (or for named sections
 * "section.name.key=value"; the value may contain '=').  Paths are relative
 * to the cwd.  Errors start with "--set section.key: " or, for syntax
 * errors, "--set: ".  On error *cfg is unchanged. */
bool config_set_arg(struct vm_config *cfg, const char *arg, GError **errp);

/*
 * Checks the assembled configuration: required keys present, input files
 * readable regular files, output files in an existing directory, and
 * conflicts (an initrd without a kernel; a serial or console output file
 * that is the kernel, the initrd, a disk or the other output; two disks on
 * the same file; more than 8 disks; serial and console both reading stdin
 * by explicit choice).  Reads the file system.  Changes one thing in
 * *cfg: when a virtio console reads stdin and [serial] input was left at
 * its default, serial_in_stdio becomes false.
 */
bool config_finish(struct vm_config *cfg, GError **errp);

/*
 * Parses the arguments of `kvmkit run` (argv[0] is "run"; argv is not
 * modified): at most one positional config file, the dedicated flags
 * (--kernel --initrd --append --memory --cpus --serial-output --name --pvm --acpi
 * --console --console-output --log-format --log-file),
 * repeatable --set and --disk PATH[,ro], -h/--help and --help-keys.  Then
 * applies, in order of increasing precedence, the file, each --set, each
 * flag, and calls config_finish().  Each --disk adds a disk named "disk0",
 * "disk1", ... (the first such names not already used), after the disks of
 * the file and of --set.  *cfg must have been config_init()ed.
 * If help was asked for, sets cfg->help and returns true without loading
 * anything.  Every error, GOptionContext's included, is returned in
 * KVMKIT_CONFIG_ERROR.  Sets the program name to "kvmkit" if it is unset
 * (GOptionContext would otherwise name the program after argv[0]).
 */
bool config_parse_run_args(struct vm_config *cfg, int argc, char **argv,
                           GError **errp);

/*
 * Parses a size: decimal digits with an optional suffix K, M or G (or
 * k, m, g; powers of 1024).  No sign, spaces, fractions, hex, or "B"/"iB".
 * "0" parses (range limits belong to the key).  Returns false on anything
 * else and on overflow of 64 bits; *out is written only on success.
 */
bool config_parse_size(const char *s, uint64_t *out);

/* Writes every key with its type, default, flag and documentation:
 * the text of `kvmkit run --help-keys`. */
void config_print_keys(FILE *out);

/* Writes the `kvmkit run --help` text. */
void config_print_usage(FILE *out);

#endif /* KVMKIT_VMM_CONFIG_H */
