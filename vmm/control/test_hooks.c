/* SPDX-License-Identifier: MIT */
#include "test_hooks.h"

#ifdef KVMKIT_TEST_HOOKS
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "vcpu.h"
#include "vm.h"

static char *reply(bool ok, int err, const char *error)
{
    struct json_writer *w = json_writer_new();
    json_begin_object(w);
    json_member(w, "ok");
    json_add_bool(w, ok);
    if (ok) {
        json_member(w, "errno");
        json_add_int(w, err);
    }
    if (error) {
        json_member(w, "error");
        json_add_string(w, error);
    }
    json_end_object(w);
    return json_writer_finish(w);
}

static bool forbidden_on_io_thread(void *opaque, GError **errp)
{
    (void)errp;
    int e = seccomp_filter_test_forbidden();
    /* Every I/O thread at once: keep one thread's errno, any one. */
    __atomic_store_n((int *)opaque, e, __ATOMIC_RELAXED);
    return true;
}

static char *forbidden_syscall(struct vm *vm, const char *thread)
{
    int err = 0;
    if (strcmp(thread, "main") == 0) {
        err = seccomp_filter_test_forbidden();
    } else if (strcmp(thread, "io") == 0) {
        if (vm->virtio->len == 0)
            return reply(false, 0, "no I/O thread: the VM has no virtio device");
        g_autoptr(GError) gerr = NULL;
        /* On every I/O thread at once: the process dies, if filtered. */
        vm_call_on_io_threads(vm, forbidden_on_io_thread, &err, &gerr);
    } else if (strcmp(thread, "vcpu") == 0) {
        atomic_store(&vm->test_forbidden_syscall, true);
        vcpu_kick(&vm->vcpus[0]);
    } else {
        return reply(false, 0, "\"thread\" must be main, io or vcpu");
    }
    return reply(true, err, NULL);
}

char *test_hooks_handle(struct vm *vm, const char *cmd, const struct json_value *req)
{
    const char *arg;
    if (strcmp(cmd, "test-forbidden-syscall") == 0) {
        arg = json_get_string(req, "thread", "main");
        return forbidden_syscall(vm, arg);
    }
    if (strcmp(cmd, "test-open") == 0) {
        arg = json_get_string(req, "path", "/etc/hostname");
        int fd = open(arg, O_RDONLY | O_CLOEXEC);
        int err = fd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        return reply(true, err, err ? g_strerror(err) : NULL);
    }
    return NULL;
}
#endif
