/* SPDX-License-Identifier: MIT */
/*
 * vCPU threads: one per vCPU, each running the KVM_RUN loop and
 * dispatching port I/O and MMIO exits to the VM's buses.
 *
 * A vCPU is stopped by vcpu_kick(): it sets immediate_exit and signals the
 * thread, so KVM_RUN returns at once (or does not enter) and the loop sees
 * the VM's stop request.
 */
#ifndef KVMKIT_VCPU_H
#define KVMKIT_VCPU_H

#include <stdbool.h>
#include <glib.h>

struct vcpu;

/* Starts the vCPU's thread (main thread). */
bool vcpu_start(struct vcpu *vcpu, GError **errp);

/* Makes the vCPU leave KVM_RUN soon. Any thread; async-signal-unsafe. */
void vcpu_kick(struct vcpu *vcpu);

/* Waits for the thread to end (main thread, after a stop request). */
void vcpu_join(struct vcpu *vcpu);

/* Releases the vCPU fd and run area; the thread must have ended. */
void vcpu_destroy(struct vcpu *vcpu);

/* Dispatches one exit; true if the vCPU may continue. Exposed for tests. */
bool vcpu_handle_exit(struct vcpu *vcpu);

#endif
