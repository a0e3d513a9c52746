/* SPDX-License-Identifier: MIT */
/*
 * kvmkit: one process per virtual machine.
 *
 *   kvmkit run [vm.conf] [options]   build the VM and run it
 *   kvmkit version
 *
 * Exit status: 0 when the guest rebooted/powered off or the user quit,
 * 1 when the VM failed (triple fault, unhandled exit, host error),
 * 2 for bad configuration or command-line input (nothing was started).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib-unix.h>

#include "config.h"
#include "error.h"
#include "vm.h"

#define KVMKIT_EXIT_FAILURE 1
#define KVMKIT_EXIT_USAGE 2


static gboolean on_signal(gpointer opaque)
{
    vm_request_stop(opaque, VM_STOP_USER);
    return G_SOURCE_CONTINUE;
}

/* Messages from g_message/g_warning: "kvmkit: ..." on stderr, with CR-LF
 * safety for a terminal in raw mode (output post-processing stays on). */
static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                        gpointer opaque)
{
    (void)domain; (void)opaque;
    const char *tag = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) ? "error: "
                    : (level & G_LOG_LEVEL_WARNING) ? "warning: " : "";
    if ((level & G_LOG_LEVEL_DEBUG) && !g_getenv("KVMKIT_DEBUG"))
        return;
    fprintf(stderr, "kvmkit: %s%s\n", tag, msg);
}

static int cmd_run(int argc, char **argv)
{
    struct vm_config cfg;
    g_autoptr(GError) err = NULL;
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
    struct vm *vm = vm_new(&cfg, &err);
    if (!vm) {
        g_printerr("kvmkit: %s\n", err->message);
        config_clear(&cfg);
        return err->domain == KVMKIT_ERROR && err->code == KVMKIT_ERROR_INPUT
                   ? KVMKIT_EXIT_USAGE : KVMKIT_EXIT_FAILURE;
    }
    guint sig_ids[3];
    int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
    for (unsigned i = 0; i < 3; i++)
        sig_ids[i] = g_unix_signal_add(sigs[i], on_signal, vm);
    signal(SIGPIPE, SIG_IGN);

    enum vm_stop_reason why = vm_run(vm);
    for (unsigned i = 0; i < 3; i++)
        g_source_remove(sig_ids[i]);
    vm_free(vm);
    config_clear(&cfg);
    return why == VM_STOP_ERROR ? KVMKIT_EXIT_FAILURE : 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kvmkit run [vm.conf] [options]   run a virtual machine\n"
            "       kvmkit run --help                options of run\n"
            "       kvmkit version\n");
}

int main(int argc, char **argv)
{
    g_log_set_default_handler(log_handler, NULL);
    if (argc < 2) {
        usage(stderr);
        return KVMKIT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
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
