/* bhyve's AP startup with lazily allocated vCPUs, after D38446 ("vmm: Fix AP startup
 * compatibility"), as kernel C on the emulated machine: vm_handle_ipi() with the INIT rendezvous
 * and startup_cpus, VM_RUN's loop around the guest (HLT, requests to idle, suspend),
 * VM_ACTIVATE_CPU and vm_suspend(). The vlapic's ICR handler is vlapic.c; vm_alloc_vcpu(), the
 * vCPU state machine and its locking are vmm.c's. The C++ model is models/src/bhyve/vm_ipi.cpp;
 * the bug switches are its. */
#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/mutex.h>
#include <sys/sx.h>
#include <machine/atomic.h>
#include <vcpucheck/c.h>
#include <vcpucheck/machine.h>

#include "vmm_priv.h"

struct vm *vm_create_ap(int maxcpus, int configured, int ipi_exit)
{
	struct vm *vm = vm_create(maxcpus, 0);

	vm->ipi_exit = ipi_exit != 0;
	vm->configured = configured;
	mtx_init(&vm->rendezvous_mtx, "vm rendezvous lock", NULL, MTX_DEF);
	return vm;
}

/* vm_smp_rendezvous(vcpu, dest, vlapic_handle_init): notify every target, then run the handler
 * for each (on the initiator's behalf, as for idle vCPUs). */
static void vm_smp_rendezvous(struct vm *vm, u_int dest)
{
	int i, maxcpus = vm->maxcpus;	/* vm_get_maxcpus() */

	mtx_lock(&vm->rendezvous_mtx);
	vm->rendezvous_req_cpus = dest;
	mtx_unlock(&vm->rendezvous_mtx);
	for (i = 0; i < maxcpus; i++)
		if (dest & (1u << i))
			vcpu_notify_event(vm_vcpu(vm, i));	/* must not be NULL here */
	for (i = 0; i < maxcpus; i++)
		if (dest & (1u << i))
			vcpucheck_lapic_reset(i);		/* vlapic_handle_init(): vlapic_reset() */
	mtx_lock(&vm->rendezvous_mtx);
	vm->rendezvous_req_cpus = 0;
	mtx_unlock(&vm->rendezvous_mtx);
}

/* vm_await_start(): INIT targets now wait for STARTUP. */
static void vm_await_start(struct vm *vm, u_int mask)
{
	mtx_lock(&vm->rendezvous_mtx);
	vm->startup_cpus |= mask;
	mtx_unlock(&vm->rendezvous_mtx);
}

/* vm_start_cpus(): the STARTUP targets that were waiting for one ("ignore SIPIs in any state
 * other than wait-for-SIPI"). */
static u_int vm_start_cpus(struct vm *vm, u_int tostart)
{
	u_int set;

	mtx_lock(&vm->rendezvous_mtx);
	set = vcpucheck_bug("sipi-ungated") ? tostart : (vm->startup_cpus & tostart);
	vm->startup_cpus &= ~set;
	mtx_unlock(&vm->rendezvous_mtx);
	return set;
}

static int vm_handle_ipi(struct vm *vm, struct vm_exit *vmexit, bool *retu)
{
	u_int reinit, set;
	int first;

	switch (vmexit->mode) {
	case VCPUCHECK_APIC_INIT:
		/* Reinitialize only vCPUs that exist: vm_alloc_vcpu() initializes the rest later. */
		reinit = vcpucheck_bug("rendezvous-all-dmask") ? vmexit->dmask :
		    (atomic_load_acq_int(&vm->active_cpus) & vmexit->dmask);
		if (reinit != 0)
			vm_smp_rendezvous(vm, reinit);
		vm_await_start(vm, vmexit->dmask);
		if (!vm->ipi_exit)
			*retu = false;	/* compat: the BSP goes on */
		return 0;
	case VCPUCHECK_APIC_STARTUP:
		set = vm_start_cpus(vm, vmexit->dmask);
		if (set == 0) {
			*retu = false;
			return 0;
		}
		vmexit->dmask = set;
		if (!vm->ipi_exit) {	/* old bhyve: VM_EXITCODE_SPINUP_AP, one vCPU at a time */
			vmexit->code = VM_EXIT_SPINUP_AP;
			first = __builtin_ffs((int)set);	/* CPU_FFS is 1-based */
			vmexit->spinup_vcpu = vcpucheck_bug("spinup-off-by-one") ? first : first - 1;
			vmexit->rip = (u_int)vmexit->vector << 12;
		}
		return 0;
	default:
		panic("vm_handle_ipi: unexpected delivery mode %d", vmexit->mode);
	}
}

/* vm_handle_hlt(): sleep until an interrupt is pending, or the vCPU has to leave for userspace. */
static void vm_handle_hlt(struct vm *vm, struct vcpu *vcpu)
{
	mtx_lock_spin(&vcpu->mtx);
	vcpu_set_state_locked(vcpu, VCPU_SLEEPING, false);
	while (!vcpucheck_lapic_irr_pending(vcpu->vcpuid) && !vcpu->reqidle && !atomic_load_acq_int(&vm->suspend))
		vcpucheck_msleep_idle(vcpu, &vcpu->mtx, "vmidle");
	vcpu_set_state_locked(vcpu, VCPU_FROZEN, false);
	mtx_unlock_spin(&vcpu->mtx);
}

/* vm_run() with the guest: run the vCPU's core until userspace has to act. */
static void vm_run_guest(struct vm *vm, struct vcpu *vcpu, struct vm_exit *out)
{
	int vcpuid = vcpu->vcpuid;

	vcpucheck_use((unsigned long)vcpu->cookie);	/* vmmops_run(vcpu->cookie, ...) */
	for (;;) {
		struct vm_exit *vmexit = &vm->exits[vcpuid];
		bool idle, retu;
		int exit;

		mtx_lock_spin(&vcpu->mtx);
		idle = vcpu->reqidle != 0;
		if (idle)
			vcpu->reqidle = 0;
		mtx_unlock_spin(&vcpu->mtx);
		if (idle) {
			out->code = VM_EXIT_REQIDLE;
			return;
		}
		if (atomic_load_acq_int(&vm->suspend)) {
			out->code = VM_EXIT_SUSPENDED;
			return;
		}
		memset(vmexit, 0, sizeof(*vmexit));
		vcpu_set_state(vcpu, VCPU_RUNNING, false);
		critical_enter();	/* vmx_run's VMRUN */
		exit = vcpucheck_cpu_run(vcpuid);
		critical_exit();
		vcpu_set_state(vcpu, VCPU_FROZEN, false);
		if (exit == VCPUCHECK_EXIT_HLT) {
			vm_handle_hlt(vm, vcpu);
		} else if (exit == VCPUCHECK_EXIT_VMM && vmexit->code == VM_EXIT_IPI) {
			retu = true;
			vm_handle_ipi(vm, vmexit, &retu);
			if (retu) {
				*out = *vmexit;
				return;
			}
		}
	}
}

/* VM_RUN: allocate on first use, freeze, run the guest, thaw. */
int vmmdev_ioctl_run_guest(struct vm *vm, int vcpuid, struct vm_exit *vmexit)
{
	struct vcpu *vcpu;
	int error = 0;

	if (!devfs_enter(vm))
		return ENXIO;
	vcpu = vm_alloc_vcpu(vm, vcpuid);
	if (vcpu == NULL) {
		error = EINVAL;
	} else if ((error = vcpu_lock_one(vcpu)) == 0) {
		vm_run_guest(vm, vcpu, vmexit);
		vcpu_unlock_one(vcpu);
	}
	devfs_exit(vm);
	return error;
}

/* VM_ACTIVATE_CPU: allocate the vCPU on first use and mark it active (CPU_SET_ATOMIC). */
int vm_activate_cpu(struct vm *vm, int vcpuid)
{
	struct vcpu *vcpu;

	if (!devfs_enter(vm))
		return ENXIO;
	vcpu = vm_alloc_vcpu(vm, vcpuid);
	if (vcpu != NULL)
		atomic_set_int(&vm->active_cpus, 1u << vcpuid);
	devfs_exit(vm);
	return vcpu != NULL ? 0 : EINVAL;
}

/* vm_suspend(vm, VM_SUSPEND_DESTROY): a locked cmpxchg, a full barrier on x86. With a plain store
 * (suspend-plain-store) the store-buffering pair (suspend; read vcpu[i]) against (publish
 * vcpu[i]; read suspend) loses the notification under x86-TSO. */
void vm_suspend_destroy(struct vm *vm)
{
	int i, maxcpus = vm->maxcpus;

	if (vcpucheck_bug("suspend-plain-store"))
		atomic_store_rel_int(&vm->suspend, 1);
	else if (!atomic_cmpset_int(&vm->suspend, 0, 1))
		return;	/* EALREADY */
	for (i = 0; i < maxcpus; i++) {
		struct vcpu *vcpu = vm_vcpu(vm, i);

		if (vcpu != NULL)
			vcpu_notify_event(vcpu);
	}
}

/* Userspace after VM_EXITCODE_REQIDLE runs again at once; a scheduler lets the lock-all caller
 * that asked for the idle vCPU get it first. The model makes that fairness explicit: it waits
 * until no lock-all holds vcpus_init_lock (as the C++ model does). */
void vm_reqidle_yield(struct vm *vm)
{
	sx_xlock(&vm->vcpus_init_lock);
	sx_xunlock(&vm->vcpus_init_lock);
}
