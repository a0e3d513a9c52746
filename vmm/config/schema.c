/* SPDX-License-Identifier: MIT */
/*
 * The config schema: one table of sections and one of keys (schema.h).
 * To add a key, add a row to config_keys; to add a section, a row to
 * config_sections. User documentation: docs/config.md (keep it in step
 * with the table; tests/docs_keys.py checks it).
 */
#include "schema.h"

#include <string.h>

#include "config_internal.h"
#include "net_config.h"

/* [disk "NAME"]: cfg->disks, a GPtrArray of struct config_disk. */
static void disk_free(void *p)
{
    struct config_disk *d = p;
    g_free(d->name);
    g_free(d->path);
    g_free(d);
}

static void disk_init(struct vm_config *cfg)
{
    cfg->disks = g_ptr_array_new_with_free_func(disk_free);
}

void *config_named_nth(GPtrArray *all, size_t i, const char **name)
{
    char **inst;

    if (!all || i >= all->len)
        return NULL;
    inst = g_ptr_array_index(all, i);
    if (name)
        *name = *inst;
    return inst;
}

static void *named_instance(GPtrArray *all, size_t size, const char *name,
                            bool *created)
{
    char **inst;

    for (size_t i = 0; (inst = config_named_nth(all, i, NULL)) != NULL; i++)
        if (strcmp(*inst, name) == 0)
            return inst;
    inst = g_malloc0(size);
    *inst = g_strdup(name);
    g_ptr_array_add(all, inst);
    *created = true;
    return inst;
}

static void *disk_nth(struct vm_config *cfg, size_t i, const char **name)
{
    return config_named_nth(cfg->disks, i, name);
}

static void *disk_instance(struct vm_config *cfg, const char *name,
                           bool *created)
{
    return named_instance(cfg->disks, sizeof(struct config_disk), name,
                          created);
}

static void disk_clear(struct vm_config *cfg)
{
    g_clear_pointer(&cfg->disks, g_ptr_array_unref);
}

/* [net "NAME"]: cfg->nets, a GPtrArray of struct config_net.  The key
 * fields are freed by config_clear() before the array. */
static void net_free(void *p)
{
    struct config_net *n = p;
    g_free(n->name);
    g_free(n);
}

static void net_init(struct vm_config *cfg)
{
    cfg->nets = g_ptr_array_new_with_free_func(net_free);
}

static void *net_nth(struct vm_config *cfg, size_t i, const char **name)
{
    return config_named_nth(cfg->nets, i, name);
}

static void *net_instance(struct vm_config *cfg, const char *name,
                          bool *created)
{
    return named_instance(cfg->nets, sizeof(struct config_net), name,
                          created);
}

static void net_clear(struct vm_config *cfg)
{
    g_clear_pointer(&cfg->nets, g_ptr_array_unref);
}

/* Value checks of the [net] keys, in config.c's "expected ..." form. */
static bool check_mac(const char *v, char **expected)
{
    uint8_t mac[6];
    return net_config_parse_mac(v, mac, expected);
}

static bool check_hostfwd(const char *v, char **expected)
{
    struct net_hostfwd *fwd = NULL;
    unsigned n;
    bool ok = net_config_parse_hostfwds(v, &fwd, &n, expected);
    g_free(fwd);
    return ok;
}

static bool check_subnet(const char *v, char **expected)
{
    struct in_addr net, mask;
    return net_config_parse_subnet(v, &net, &mask, expected);
}

static bool check_ipv4(const char *v, char **expected)
{
    struct in_addr a;
    return net_config_parse_ipv4(v, &a, expected);
}

/* ---- [security] and [limits] values ------------------------------------- */

static const char *const namespace_names[] = { "mount", "pid", "net", "ipc", "uts", NULL };

bool config_parse_namespaces(const char *value, unsigned *bits, char **expected)
{
    g_auto(GStrv) names = g_strsplit(value, ",", -1);
    unsigned v = 0;
    if (strcmp(value, "none") != 0 && *value) {
        for (size_t i = 0; names[i]; i++) {
            size_t j = 0;
            while (namespace_names[j] && strcmp(namespace_names[j], names[i]) != 0)
                j++;
            if (!namespace_names[j] || (v & (1u << j))) {
                *expected = g_strdup("none, or a list of mount, pid, net, ipc, uts "
                                     "separated by ',', each at most once");
                return false;
            }
            v |= 1u << j;
        }
    }
    *bits = v;
    return true;
}

static bool check_namespaces(const char *v, char **expected)
{
    unsigned bits;
    return config_parse_namespaces(v, &bits, expected);
}

bool config_parse_cpu_limit(const char *value, unsigned *millicores)
{
    const char *dot = strchr(value, '.');
    g_autofree char *whole = g_strndup(value, dot ? (size_t)(dot - value) : strlen(value));
    uint64_t cores, frac = 0;
    size_t decimals = dot ? strlen(dot + 1) : 0;
    if (!config_parse_uint(whole, &cores) || cores > 1024 ||
        (dot && (decimals < 1 || decimals > 3)) ||
        (dot && !config_parse_uint(dot + 1, &frac)))
        return false;
    for (size_t i = decimals; i < 3; i++)
        frac *= 10;
    uint64_t milli = cores * 1000 + frac;
    if (milli < 10 || milli > 1024 * 1000)
        return false;
    *millicores = milli;
    return true;
}

static bool check_cpu_limit(const char *v, char **expected)
{
    unsigned milli;
    if (config_parse_cpu_limit(v, &milli))
        return true;
    *expected = g_strdup("a number of cores from 0.01 to 1024, like 1.5");
    return false;
}

/* A user name as useradd takes it, or UID:GID in decimal. Whether the
 * user exists is checked when the VM starts (vmm/security/jail.c). */
static bool check_user(const char *v, char **expected)
{
    const char *colon = strchr(v, ':');
    bool numeric = colon && colon > v && colon[1] &&
                   strspn(v, "0123456789") == (size_t)(colon - v) &&
                   strspn(colon + 1, "0123456789") == strlen(colon + 1);
    bool name = (g_ascii_islower(*v) || *v == '_') &&
                strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(v);
    if (numeric || name)
        return true;
    *expected = g_strdup("a user name or UID:GID");
    return false;
}

const struct section_desc config_sections[] = {
    { .name = "machine", .doc = "The virtual machine itself." },
    { .name = "boot", .doc = "What to boot: a Linux kernel (bzImage)." },
    { .name = "serial", .doc = "The 16550 serial port (ttyS0)." },
    { .name = "console", .doc = "The virtio console (hvc0, then the "
                                "guest's /dev/console)." },
    { .name = "rng", .doc = "The virtio entropy device (the guest's /dev/hwrng)." },
    { .name = "control", .doc = "The control socket (docs/control.md)." },
    { .name = "snapshot", .doc = "Restoring a saved VM (docs/snapshot-format.md)." },
    { .name = "security", .doc = "System call filters, privilege drop and jail "
                                 "(docs/security.md)." },
    { .name = "limits", .doc = "CPU and memory limits through a cgroup v2 group "
                               "(docs/security.md)." },
    { .name = "log", .doc = "kvmkit's own messages (docs/observability.md)." },
    { .name = "metrics", .doc = "Counters written to a file periodically "
                                "(docs/observability.md)." },
    { .name = "disk", .name_max = 20, .init = disk_init,
      .instance = disk_instance, .nth = disk_nth, .clear = disk_clear,
      .doc = "A virtio-blk disk; NAME (1 to 20 of A-Z a-z 0-9 _ . -)\n"
             "  is its serial.  Disks appear as /dev/vda, /dev/vdb, ... in "
             "the order\n  first named, at most 8; --disk PATH[,ro] adds "
             "one named disk0, disk1, ..." },
    { .name = "net", .name_max = 20, .init = net_init,
      .instance = net_instance, .nth = net_nth, .clear = net_clear,
      .doc = "A virtio-net NIC (docs/networking.md); NAME (1 to 20 of\n"
             "  A-Z a-z 0-9 _ . -) names it in messages.  NICs appear as "
             "eth0, eth1, ...\n  in the order first named, at most 4; "
             "--net BACKEND[,KEY=VALUE...] adds one\n  named net0, net1, ..." },
};

static const char *const pvm_choices[] = { "auto", "on", "off", NULL };
static const char *const net_backend_choices[] = { "user", "tap", NULL };
G_STATIC_ASSERT(sizeof(enum config_net_backend) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum config_pvm_mode) == sizeof(int));
/* [console] device and [rng] device: absent, or the virtio device. */
static const char *const device_choices[] = { "none", "virtio", NULL };
static const char *const seccomp_choices[] = { "on", "off", "log", NULL };
G_STATIC_ASSERT(sizeof(enum config_seccomp) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum config_console) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum config_rng) == sizeof(int));
static const char *const log_format_choices[] = { "text", "json", NULL };
static const char *const log_level_choices[] = { "error", "warning", "info", "debug", NULL };
G_STATIC_ASSERT(sizeof(enum log_format) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum log_level) == sizeof(int));

#define CFG(field) offsetof(struct vm_config, field)
#define DISK(field) offsetof(struct config_disk, field)
#define NET(field) offsetof(struct config_net, field)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

const struct key_desc config_keys[] = {
    { .section = "machine", .key = "cpus", .kind = KIND_UINT,
      .offset = CFG(cpus), .min = 1, .max = 64, .def = "1",
      .flag = "cpus", .flag_arg = "N", .doc = "Number of virtual CPUs." },
    { .section = "machine", .key = "memory", .kind = KIND_SIZE,
      .offset = CFG(memory), .min = 16 * MIB, .max = 1024 * GIB,
      .align = 4096, .def = "512M", .flag = "memory", .flag_arg = "SIZE",
      .doc = "Guest RAM size." },
    { .section = "machine", .key = "name", .kind = KIND_NAME,
      .offset = CFG(name), .max = 64, .def = "kvmkit", .flag = "name",
      .flag_arg = "NAME", .doc = "VM name, used in logs and thread names." },
    { .section = "machine", .key = "pvm", .kind = KIND_ENUM,
      .offset = CFG(pvm), .choices = pvm_choices, .def = "auto",
      .flag = "pvm", .flag_arg = "auto|on|off",
      .doc = "PVM-host workarounds; auto turns them on when "
             "/sys/module/kvm_pvm exists." },
    { .section = "machine", .key = "acpi", .kind = KIND_BOOL,
      .offset = CFG(acpi), .def = "on", .flag = "acpi", .flag_arg = "on|off",
      .doc = "ACPI tables (RSDP, XSDT, FADT, MADT, DSDT) describing the "
             "CPUs and devices, and ACPI power-off; off: an MP table and "
             "virtio_mmio.device= on the command line only." },
    { .section = "boot", .key = "kernel", .kind = KIND_PATH,
      .offset = CFG(kernel), .flags = KEY_REQUIRED | KEY_READ_FILE,
      .flag = "kernel", .flag_arg = "PATH",
      .doc = "Linux kernel image (bzImage) to boot." },
    { .section = "boot", .key = "initrd", .kind = KIND_PATH,
      .offset = CFG(initrd), .flags = KEY_READ_FILE, .flag = "initrd",
      .flag_arg = "PATH", .doc = "Initial ramdisk; none by default." },
    { .section = "boot", .key = "cmdline", .kind = KIND_STRING,
      .offset = CFG(cmdline), .max = 4095, .flags = KEY_EMPTY_OK,
      .def = "console=ttyS0", .flag = "append", .flag_arg = "CMDLINE",
      .doc = "Kernel command line, taken literally (no quoting)." },
    { .section = "serial", .key = "output", .kind = KIND_CHAR_OUT,
      .offset = CFG(serial_out), .def = "stdio", .flag = "serial-output",
      .flag_arg = "stdio|none|file:PATH",
      .doc = "Where guest serial output goes; a file is created or "
             "truncated." },
    { .section = "serial", .key = "input", .kind = KIND_CHAR_IN,
      .offset = CFG(serial_in_stdio), .def = "stdio",
      .doc = "Whether the guest reads the VMM's stdin." },
    { .section = "console", .key = "device", .kind = KIND_ENUM,
      .offset = CFG(console), .choices = device_choices, .def = "none",
      .flag = "console", .flag_arg = "none|virtio",
      .doc = "virtio: a virtio-console whose hvc0 becomes the guest's "
             "console (kvmkit appends console=hvc0)." },
    { .section = "console", .key = "output", .kind = KIND_CHAR_OUT,
      .offset = CFG(console_out), .flags = KEY_PTY_OK, .def = "stdio",
      .flag = "console-output", .flag_arg = "stdio|none|pty|file:PATH",
      .doc = "Where console output goes; pty makes a pseudo-terminal "
             "(its path is printed) that is also the input." },
    { .section = "console", .key = "input", .kind = KIND_CHAR_IN,
      .offset = CFG(console_in_stdio), .def = "stdio",
      .doc = "Whether the console reads the VMM's stdin; it then takes "
             "it from [serial] unless [serial] input = stdio is given." },
    { .section = "rng", .key = "device", .kind = KIND_ENUM,
      .offset = CFG(rng), .choices = device_choices, .def = "none",
      .flag = "rng", .flag_arg = "none|virtio",
      .doc = "virtio: a virtio-rng device that hands the guest bytes from "
             "the host's getrandom() (Linux: hw_random, /dev/hwrng)." },
    { .section = "control", .key = "socket", .kind = KIND_PATH,
      .offset = CFG(control_socket), .flag = "control", .flag_arg = "PATH",
      .doc = "Unix socket for `kvmkit ctl` (created mode 0600; see "
             "docs/control.md); none by default." },
    { .section = "snapshot", .key = "restore", .kind = KIND_PATH,
      .offset = CFG(snapshot_restore), .flags = KEY_READ_FILE,
      .flag = "restore", .flag_arg = "PATH",
      .doc = "Start from this snapshot instead of booting: the machine, "
             "boot and disk settings come from it; [serial], [console] "
             "and [control] from here." },
    { .section = "snapshot", .key = "paused", .kind = KIND_BOOL,
      .offset = CFG(snapshot_paused), .def = "false",
      .doc = "After a restore, stay paused until `kvmkit ctl SOCKET "
             "resume`." },
    { .section = "snapshot", .key = "verify", .kind = KIND_BOOL,
      .offset = CFG(snapshot_verify), .def = "false",
      .doc = "Before a restore, read the whole memory file and check it "
             "against the checksums the save recorded (a restore "
             "otherwise reads only what the guest touches)." },
    { .section = "security", .key = "seccomp", .kind = KIND_ENUM,
      .offset = CFG(seccomp), .choices = seccomp_choices, .def = "on",
      .doc = "Per-thread system call allowlists; a call outside them kills "
             "kvmkit with\n      SIGSYS. log: allow and log it instead (for "
             "finding a missing call)." },
    { .section = "security", .key = "user", .kind = KIND_STRING, .max = 64,
      .offset = CFG(security_user), .check = check_user,
      .doc = "Once the VM is built, become this user (NAME or UID:GID): no "
             "supplementary\n      groups, no capabilities, no_new_privs. "
             "Needs root." },
    { .section = "security", .key = "chroot", .kind = KIND_PATH,
      .offset = CFG(security_chroot),
      .doc = "Once the VM is built, make this directory the root (pivot_root "
             "with the\n      mount namespace, else chroot); later paths "
             "(snapshots) are inside it." },
    { .section = "security", .key = "namespaces", .kind = KIND_STRING,
      .max = 64, .offset = CFG(namespaces), .flags = KEY_EMPTY_OK,
      .def = "none", .check = check_namespaces,
      .doc = "New namespaces for kvmkit: none, or a list of mount, pid, net, "
             "ipc, uts\n      (net: not with a backend = user NIC)." },
    { .section = "limits", .key = "cpu", .kind = KIND_STRING, .max = 16,
      .offset = CFG(limit_cpu), .check = check_cpu_limit,
      .doc = "CPU time in cores (cgroup v2 cpu.max), e.g. 1.5; none by "
             "default." },
    { .section = "limits", .key = "memory", .kind = KIND_SIZE,
      .offset = CFG(limit_memory), .max = 4096 * GIB, .align = 4096,
      .doc = "Memory of the whole kvmkit process, guest RAM included "
             "(cgroup v2\n      memory.max); 0 (the default) for none." },
    { .section = "log", .key = "format", .kind = KIND_ENUM,
      .offset = CFG(log_format), .choices = log_format_choices, .def = "text",
      .flag = "log-format", .flag_arg = "text|json",
      .doc = "text: \"kvmkit: warning: ...\" lines; json: one object per "
             "line with\n      timestamp, level, component, vm and message." },
    { .section = "log", .key = "file", .kind = KIND_PATH,
      .offset = CFG(log_file), .flags = KEY_WRITE_FILE, .flag = "log-file",
      .flag_arg = "PATH",
      .doc = "Append messages to this file instead of stderr." },
    { .section = "log", .key = "level", .kind = KIND_ENUM,
      .offset = CFG(log_level), .choices = log_level_choices, .def = "info",
      .doc = "The least severe messages written (KVMKIT_DEBUG=1 in the "
             "environment\n      means debug)." },
    { .section = "metrics", .key = "file", .kind = KIND_PATH,
      .offset = CFG(metrics_file), .flags = KEY_WRITE_FILE,
      .doc = "Every interval, replace this file (atomically) with the "
             "counters of\n      `kvmkit ctl SOCKET metrics`, one JSON line; "
             "once more as the VM stops." },
    { .section = "metrics", .key = "interval", .kind = KIND_UINT,
      .offset = CFG(metrics_interval), .min = 1, .max = 86400, .def = "10",
      .doc = "Seconds between two writes of [metrics] file." },
    { .section = "disk", .key = "path", .kind = KIND_PATH,
      .offset = DISK(path), .flags = KEY_REQUIRED | KEY_READ_FILE,
      .doc = "Disk image: a raw file, its size a multiple of 512." },
    { .section = "disk", .key = "readonly", .kind = KIND_BOOL,
      .offset = DISK(readonly), .def = "false",
      .doc = "Offer the disk read-only (VIRTIO_BLK_F_RO)." },
    { .section = "disk", .key = "poll-us", .kind = KIND_UINT,
      .offset = DISK(poll_us), .min = 0, .max = 1000, .def = "32",
      .doc = "Longest the disk's I/O thread busy-polls for the next request "
             "after\n      serving one (adaptive; 0: never, sleep until "
             "notified)." },
    { .section = "net", .key = "backend", .kind = KIND_ENUM,
      .offset = NET(backend), .choices = net_backend_choices, .def = "user",
      .doc = "user: libslirp NAT, no privileges; tap: an existing host "
             "tap interface." },
    { .section = "net", .key = "mac", .kind = KIND_STRING, .max = 17,
      .offset = NET(mac), .check = check_mac,
      .doc = "The guest's MAC address; default: a locally administered "
             "one derived\n      from [machine] name and the NIC's name." },
    { .section = "net", .key = "hostfwd", .kind = KIND_STRING, .max = 4095,
      .offset = NET(hostfwd), .flags = KEY_EMPTY_OK, .check = check_hostfwd,
      .doc = "user: port forwards, separated by ';', each\n      "
             "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT; HOSTADDR "
             "defaults to\n      127.0.0.1, GUESTADDR to the first DHCP "
             "address." },
    { .section = "net", .key = "restrict", .kind = KIND_BOOL,
      .offset = NET(restrict_), .def = "false",
      .doc = "user: cut the guest off from everything but DHCP and "
             "the port forwards." },
    { .section = "net", .key = "net", .kind = KIND_STRING, .max = 18,
      .offset = NET(net), .def = "10.0.2.0/24", .check = check_subnet,
      .doc = "user: the guest's subnet." },
    { .section = "net", .key = "host", .kind = KIND_STRING, .max = 15,
      .offset = NET(host), .check = check_ipv4,
      .doc = "user: gateway address (the host's 127.0.0.1 seen from the "
             "guest);\n      default: network + 2 (10.0.2.2)." },
    { .section = "net", .key = "dhcp-start", .kind = KIND_STRING, .max = 15,
      .offset = NET(dhcp_start), .check = check_ipv4,
      .doc = "user: first address DHCP hands out; default: network + 15 "
             "(10.0.2.15)." },
    { .section = "net", .key = "dns", .kind = KIND_STRING, .max = 15,
      .offset = NET(dns), .check = check_ipv4,
      .doc = "user: DNS forwarder address; default: network + 3 "
             "(10.0.2.3)." },
    { .section = "net", .key = "ifname", .kind = KIND_STRING, .max = 15,
      .offset = NET(ifname), .check = net_config_check_ifname,
      .doc = "tap: the host interface (required with backend = tap)." },
    { .section = "net", .key = "mtu", .kind = KIND_UINT, .offset = NET(mtu),
      .min = 68, .max = 65520, .def = "1500",
      .doc = "The guest's MTU (VIRTIO_NET_F_MTU) and, for user, libslirp's;"
             "\n      a large one (65520) makes bulk transfers take fewer "
             "packets.\n      For tap, match the host interface's MTU." },
    { .section = "net", .key = "offload", .kind = KIND_BOOL,
      .offset = NET(offload), .def = "true",
      .doc = "tap: vnet headers and checksum offload (IFF_VNET_HDR)." },
};

const size_t config_n_keys = G_N_ELEMENTS(config_keys);
const size_t config_n_sections = G_N_ELEMENTS(config_sections);

const struct key_desc *config_find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < config_n_keys; i++)
        if (strcmp(config_keys[i].section, section) == 0 &&
            strcmp(config_keys[i].key, key) == 0)
            return &config_keys[i];
    return NULL;
}
