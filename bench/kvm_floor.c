/* SPDX-License-Identifier: MIT */
/*
 * kvm_floor: the least a VMM must do before its first KVM_RUN, for
 * bench/startup.py to put kvmkit's start-up next to: open /dev/kvm, a VM
 * with 256 MiB of RAM, the in-kernel irqchip and PIT, one vCPU with the
 * supported CPUID, registers for a one-instruction real-mode guest (OUT),
 * a thread for the vCPU, KVM_RUN. No configuration, no checks, no
 * sandbox. Prints "kvmkit-trace: first KVM_RUN at monotonic N ns" like
 * kvmkit with KVMKIT_TRACE_STARTUP, and exits 0 when the guest's OUT came
 * back as KVM_EXIT_IO.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (256UL << 20)

static int vcpu_fd;
static struct kvm_run *run;

static void *vcpu_thread(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(stderr, "kvmkit-trace: first KVM_RUN at monotonic %lld ns\n",
            (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    if (ioctl(vcpu_fd, KVM_RUN, 0) < 0)
        perror("KVM_RUN");
    return NULL;
}

static int check(int r, const char *what)
{
    if (r < 0) {
        perror(what);
        exit(1);
    }
    return r;
}

int main(void)
{
    int kvm = check(open("/dev/kvm", O_RDWR | O_CLOEXEC), "/dev/kvm");
    int vm = check(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
    unsigned char *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        return check(-1, "mmap");
    struct kvm_userspace_memory_region slot = {
        .memory_size = MEM_SIZE, .userspace_addr = (unsigned long)mem,
    };
    check(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot), "KVM_SET_USER_MEMORY_REGION");
    check(ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000), "KVM_SET_TSS_ADDR");
    check(ioctl(vm, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    check(ioctl(vm, KVM_CREATE_PIT2, &pit), "KVM_CREATE_PIT2");
    vcpu_fd = check(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
    int run_size = check(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), "KVM_GET_VCPU_MMAP_SIZE");
    run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
    if (run == MAP_FAILED)
        return check(-1, "mmap kvm_run");
    /* 512 entries: more than any host reports (KVM says E2BIG otherwise). */
    struct {
        struct kvm_cpuid2 head;
        struct kvm_cpuid_entry2 entries[512];
    } cpuid = { .head.nent = 512 };
    check(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid), "KVM_GET_SUPPORTED_CPUID");
    check(ioctl(vcpu_fd, KVM_SET_CPUID2, &cpuid), "KVM_SET_CPUID2");
    /* out 0x10, al at 0:0 in real mode */
    mem[0] = 0xe6;
    mem[1] = 0x10;
    struct kvm_sregs sregs;
    check(ioctl(vcpu_fd, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    check(ioctl(vcpu_fd, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
    struct kvm_regs regs = { .rflags = 2 };
    check(ioctl(vcpu_fd, KVM_SET_REGS, &regs), "KVM_SET_REGS");
    pthread_t t;
    if (pthread_create(&t, NULL, vcpu_thread, NULL) != 0)
        return check(-1, "pthread_create");
    pthread_join(t, NULL);
    return run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10 ? 0 : 1;
}
