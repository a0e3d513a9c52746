/* SPDX-License-Identifier: MIT */
/*
 * kvmkit: one process per virtual machine.
 *
 *   kvmkit run [vm.conf] [options]   build the VM and run it
 *   kvmkit restore SNAPSHOT [--paused] [options]
 *                                    bring a saved VM back
 *   kvmkit ctl SOCKET status|pause|resume|snapshot PATH|stop|metrics
 *   kvmkit version
 *
 * Exit status: 0 when the guest rebooted/powered off or the user quit,
 * 1 when the VM failed (triple fault, unhandled exit, host error),
 * 2 for bad configuration or command-line input (nothing was started).
 *
 * vmm/: the machine core. Owns the VM (vm.c: KVM handles, guest memory
 * slots, the buses, the event loop, pausing), its vCPU threads (vcpu.c),
 * their counters as JSON (vm_metrics.c), the arch interface (arch.h, which
 * vmm/x86/ implements) and this file, the top, which wires the layers
 * together. The core may call security, config, devices, snapshot,
 * observe and base; never control or x86 headers (docs/architecture.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <glib-unix.h>

#include "config.h"
#include "control.h"
#include "error.h"
#include "jail.h"
#include "log.h"
#include "snapshot.h"
#include "vm.h"
#include "vm_metrics.h"

#define KVMKIT_EXIT_FAILURE 1
#define KVMKIT_EXIT_USAGE 2


/*
 * SIGINT, SIGTERM and SIGHUP stop the VM cleanly (exit 0, terminal
 * restored). They are blocked in every thread from before the VM is built
 * and read from a signalfd on the main loop. GLib's g_unix_signal_add()
 * would start a helper thread for them at every start (~0.15 ms here,
 * docs/platform.md).
 */
static int block_stop_signals(GError **errp)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "signalfd: %s", g_strerror(errno));
    return fd;
}

static gboolean on_stop_signal(gint fd, GIOCondition cond, gpointer opaque)
{
    struct signalfd_siginfo si;
    (void)cond;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        ;
    vm_request_stop(opaque, VM_STOP_USER);
    return G_SOURCE_CONTINUE;
}

/* What a restore takes from its own command line / config file rather
 * than from the snapshot: where the VM's I/O goes on this host. */
static const char *const restore_host_keys[] = {
    "serial.output", "serial.input", "console.output", "console.input",
    "control.socket", "snapshot.paused", "snapshot.verify",
    "log.format", "log.file", "log.level",
    "metrics.file", "metrics.interval", "security.seccomp", "security.user",
    "security.chroot", "security.namespaces", "limits.cpu", "limits.memory",
    /* a disk's image moved elsewhere, a NIC's forwards on other host ports:
     * only for disks and NICs the snapshot has (same names) */
    "disk.path", "net.hostfwd", NULL,
};

/*
 * Replaces *cfg (which names a snapshot to restore) with the snapshot's own
 * machine description plus the host-side keys of *cfg. Returns the opened
 * snapshot, or NULL with @errp set.
 */
static struct snapshot *prepare_restore(struct vm_config *cfg, GError **errp)
{
    struct snapshot *snap = snapshot_open(cfg->snapshot_restore, errp);
    if (!snap)
        return NULL;
    struct vm_config saved;
    config_init(&saved);
    saved.snapshot_machine = true;
    g_autofree char *origin = g_strdup_printf("%s (machine description)", snap->path);
    if (!config_load_data(&saved, origin, snap->config, strlen(snap->config), "/", errp) ||
        !config_copy_keys(&saved, cfg, restore_host_keys, errp) ||
        !config_finish(&saved, errp) ||
        (cfg->snapshot_verify && !snapshot_verify_memory(snap, errp))) {
        config_clear(&saved);
        snapshot_free(snap);
        return NULL;
    }
    config_clear(cfg);
    *cfg = saved;
    return snap;
}

/* jail_new() and jail_early() (vmm/security/jail.h). NULL with *status set when
 * kvmkit must exit now: an error, or the supervisor's child has ended. */
static struct jail *enter_jail(const struct vm_config *cfg, int *status)
{
    g_autoptr(GError) err = NULL;
    struct jail *jail = jail_new(cfg, &err);
    if (jail && jail_early(jail, status, &err) && *status < 0)
        return jail;
    if (err) {
        kvmkit_log(G_LOG_LEVEL_CRITICAL, "security", "%s", err->message);
        *status = err->domain == KVMKIT_ERROR && err->code == KVMKIT_ERROR_INPUT
                      ? KVMKIT_EXIT_USAGE : KVMKIT_EXIT_FAILURE;
    }
    jail_free(jail);
    return NULL;
}

/* jail_lock_down()'s way to the VM's I/O threads (vmm/security/jail.h). */
static bool call_on_io_threads(void *vm, bool (*fn)(void *opaque, GError **errp),
                               void *fn_opaque, GError **errp)
{
    return vm_call_on_io_threads(vm, fn, fn_opaque, errp);
}

static int cmd_run(int argc, char **argv)
{
    struct vm_config cfg;
    g_autoptr(GError) err = NULL;
    struct snapshot *snap = NULL;
    config_init(&cfg);
    if (!config_parse_run_args(&cfg, argc, argv, &err)) {
        g_printerr("kvmkit: %s\n", err->message);
        config_clear(&cfg);
        return KVMKIT_EXIT_USAGE;
    }
    if (cfg.help != CONFIG_HELP_NONE) {
        if (cfg.help == CONFIG_HELP_KEYS)
            config_print_keys(stdout);
        else
            config_print_usage(stdout);
        config_clear(&cfg);
        return 0;
    }
    log_trace_startup("config parsed");
    /* prepare_restore() replaces cfg with the snapshot's own description,
     * which names no snapshot to restore: remember that this is one. */
    bool restoring = cfg.snapshot_restore != NULL;
    if (restoring && !(snap = prepare_restore(&cfg, &err))) {
        g_printerr("kvmkit: %s\n", err->message);
        config_clear(&cfg);
        return KVMKIT_EXIT_USAGE;
    }
    if (!log_configure(cfg.log_format, cfg.log_level, cfg.name, cfg.log_file, &err)) {
        g_printerr("kvmkit: %s\n", err->message);
        snapshot_free(snap);
        config_clear(&cfg);
        return KVMKIT_EXIT_USAGE;
    }
    int status;
    struct jail *jail = enter_jail(&cfg, &status);
    if (!jail) {
        snapshot_free(snap);
        config_clear(&cfg);
        return status;
    }
    log_trace_startup("jail entered");
    /* Before any thread starts, so that every thread inherits the mask. */
    int sig_fd = block_stop_signals(&err);
    struct vm *vm = sig_fd < 0 ? NULL : vm_new(&cfg, snap, &err);
    g_clear_pointer(&snap, snapshot_free);  /* the memory file stays mapped */
    struct control *ctl = NULL;
    if (vm && cfg.control_socket && !(ctl = control_new(vm, cfg.control_socket, &err))) {
        vm_free(vm);
        vm = NULL;
    }
    if (!vm) {
        kvmkit_log(G_LOG_LEVEL_CRITICAL, "vm", "%s", err->message);
        if (sig_fd >= 0)
            close(sig_fd);
        jail_free(jail);
        config_clear(&cfg);
        return err->domain == KVMKIT_ERROR && err->code == KVMKIT_ERROR_INPUT
                   ? KVMKIT_EXIT_USAGE : KVMKIT_EXIT_FAILURE;
    }
    if (restoring && cfg.snapshot_paused)
        atomic_store(&vm->pause_requested, true);
    g_autoptr(GError) jail_err = NULL;
    struct jail_io_threads io = { call_on_io_threads, vm };
    bool locked_down = jail_lock_down(jail, &io, &jail_err);
    log_trace_startup("locked down");
    guint sig_source = g_unix_fd_add(sig_fd, G_IO_IN, on_stop_signal, vm);
    signal(SIGPIPE, SIG_IGN);

    struct vm_metrics_file *metrics = NULL;
    if (cfg.metrics_file)
        metrics = vm_metrics_file_new(vm, cfg.metrics_file, cfg.metrics_interval);

    enum vm_stop_reason why = VM_STOP_ERROR;
    if (locked_down) {
        /* The vCPU threads load their filter while this thread loads its
         * own (jail.h); they run the guest only from vm_run() on. */
        vm_start(vm);
        bool filtered = jail_filter_main(jail, &jail_err);
        if (!filtered) {
            kvmkit_log(G_LOG_LEVEL_CRITICAL, "security", "%s", jail_err->message);
            vm_request_stop(vm, VM_STOP_ERROR);
        }
        why = vm_run(vm);
        if (!filtered)
            why = VM_STOP_ERROR;
    } else {
        kvmkit_log(G_LOG_LEVEL_CRITICAL, "security", "%s", jail_err->message);
    }
    /* The counters as the VM stopped, for runs shorter than an interval. */
    if (metrics && !vm_metrics_file_write(metrics, &err))
        kvmkit_log(G_LOG_LEVEL_WARNING, "metrics", "%s", err->message);
    vm_metrics_file_free(metrics);
    g_source_remove(sig_source);
    close(sig_fd);
    control_free(ctl);
    vm_free(vm);
    jail_free(jail);
    config_clear(&cfg);
    return why == VM_STOP_ERROR ? KVMKIT_EXIT_FAILURE : 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kvmkit run [vm.conf] [options]   run a virtual machine\n"
            "       kvmkit run --help                options of run\n"
            "       kvmkit restore SNAPSHOT [--paused] [--verify] [run options]\n"
            "                                        bring a saved VM back\n"
            "       kvmkit ctl SOCKET status|pause|resume|snapshot PATH|stop|metrics\n"
            "       kvmkit version\n");
}

/* `kvmkit restore SNAP [--paused] [opts]` is `kvmkit run --restore SNAP
 * [--set snapshot.paused=true] [opts]`. */
static int cmd_restore(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "kvmkit: restore needs a snapshot file: kvmkit restore SNAPSHOT "
                        "[--paused] [--verify] [run options]\n");
        return KVMKIT_EXIT_USAGE;
    }
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, "run");
    g_ptr_array_add(args, "--restore");
    g_ptr_array_add(args, argv[1]);
    /* restore's own flags, each a [snapshot] key */
    static const char *const flags[][2] = {
        { "--paused", "snapshot.paused=true" },
        { "--verify", "snapshot.verify=true" },
    };
    for (int i = 2; i < argc; i++) {
        const char *set = NULL;
        for (size_t f = 0; f < G_N_ELEMENTS(flags) && !set; f++)
            if (strcmp(argv[i], flags[f][0]) == 0)
                set = flags[f][1];
        if (set) {
            g_ptr_array_add(args, "--set");
            g_ptr_array_add(args, (char *)set);
        } else {
            g_ptr_array_add(args, argv[i]);
        }
    }
    g_ptr_array_add(args, NULL);
    return cmd_run(args->len - 1, (char **)args->pdata);
}

static int cmd_ctl(int argc, char **argv)
{
    static const char *const verbs[] = { "status", "pause", "resume", "snapshot", "stop",
                                         "metrics", NULL };
    if (argc < 3 || !g_strv_contains(verbs, argv[2]) ||
        (strcmp(argv[2], "snapshot") == 0) != (argc == 4) || argc > 4) {
        fprintf(stderr, "usage: kvmkit ctl SOCKET status|pause|resume|snapshot PATH|stop|"
                        "metrics\n");
        return KVMKIT_EXIT_USAGE;
    }
    g_autoptr(GError) err = NULL;
    bool ok;
    g_autofree char *reply = control_request(argv[1], argv[2], argc == 4 ? argv[3] : NULL,
                                             &ok, &err);
    if (!reply) {
        fprintf(stderr, "kvmkit: %s\n", err->message);
        return KVMKIT_EXIT_FAILURE;
    }
    printf("%s\n", reply);
    return ok ? 0 : KVMKIT_EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    /* For the benchmarks: exec + dynamic linking end here. */
    log_trace_startup("main");
    log_init();
    if (argc < 2) {
        usage(stderr);
        return KVMKIT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "restore") == 0)
        return cmd_restore(argc - 1, argv + 1);
    if (strcmp(cmd, "ctl") == 0)
        return cmd_ctl(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("kvmkit %s\n", KVMKIT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "kvmkit: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return KVMKIT_EXIT_USAGE;
}
