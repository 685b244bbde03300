/* bhyve's vlapic ICR write handler (sys/amd64/vmm/io/vlapic.c's shape), as kernel C: the
 * emulated machine's ApicHandler for the bhyve-c.ap model. Fixed IPIs are delivered as the
 * hardware would; INIT and STARTUP become a VM_EXITCODE_IPI exit that vm_handle_ipi()
 * (vmm_ipi.c) handles once the guest instruction completes. x2APIC ICR writes are WRMSR exits,
 * handled inside a critical section as vmx_run handles them. APIC ID = vcpuid. */
#include <sys/param.h>
#include <sys/systm.h>
#include <sys/mutex.h>
#include <machine/atomic.h>
#include <vcpucheck/c.h>
#include <vcpucheck/machine.h>

#include "vmm_priv.h"

/* vlapic_calcdest(): the destination set among active vCPUs only. */
static u_int vlapic_calcdest(struct vm *vm, const struct vcpucheck_icr *icr, int self)
{
	u_int active = atomic_load_acq_int(&vm->active_cpus);
	uint32_t broadcast = icr->x2apic ? 0xffffffffu : 0xffu;

	switch (icr->shorthand) {
	case VCPUCHECK_DEST_SELF:
		return 1u << self;
	case VCPUCHECK_DEST_ALL:
		return active;
	case VCPUCHECK_DEST_ALL_BUT_SELF:
		return active & ~(1u << self);
	default:
		break;
	}
	if (icr->dest == broadcast)
		return active;
	if (icr->logical)
		return 0;	/* the guests here use physical destinations */
	return icr->dest < 32 ? active & (1u << icr->dest) : 0;
}

static void vlapic_icrlo_write_handler(struct vm *vm, int self, const struct vcpucheck_icr *icr)
{
	struct vm_exit *vmexit;
	u_int dmask, ipimask;

	if (!icr->valid)
		return;		/* !vlapic_is_icr_valid(): ignored */
	if (icr->mode != VCPUCHECK_APIC_INIT && icr->mode != VCPUCHECK_APIC_STARTUP) {
		vcpucheck_apic_deliver(self, icr);	/* vlapic_set_intr_ready() on each target */
		return;
	}
	dmask = vlapic_calcdest(vm, icr, self);
	if (!vm->ipi_exit) {
		/* Compat (old bhyve): target the APIC ID directly, so inactive and even
		 * unallocated vCPUs can be started. */
		if (vcpucheck_bug("compat-calcdest")) {
			ipimask = dmask;
		} else {
			uint32_t i = icr->dest, bound;

			if (icr->logical || icr->shorthand != VCPUCHECK_DEST_NONE)
				return;
			bound = vcpucheck_bug("no-configured-check") ? (uint32_t)vm->maxcpus : (uint32_t)vm->configured;
			if (i >= bound || i == (uint32_t)self)
				return;
			ipimask = dmask = 1u << i;
		}
	} else {
		ipimask = dmask;
	}
	if (vcpucheck_bug("x2apic-icr-mutex") && icr->mode == VCPUCHECK_APIC_INIT) {
		/* startup_cpus updated right here, under the sleep mutex. */
		mtx_lock(&vm->rendezvous_mtx);
		vm->startup_cpus |= dmask;
		mtx_unlock(&vm->rendezvous_mtx);
	}
	if (ipimask == 0)
		return;
	vmexit = &vm->exits[self];
	vmexit->code = VM_EXIT_IPI;
	vmexit->mode = icr->mode;
	vmexit->vector = icr->vector;
	vmexit->dmask = ipimask;
	vcpucheck_cpu_request_exit(self);	/* *retu = true */
}

void vlapic_icr_write(void *arg, int vcpuid, const struct vcpucheck_icr *icr)
{
	struct vm *vm = arg;

	if (icr->x2apic)
		critical_enter();
	vlapic_icrlo_write_handler(vm, vcpuid, icr);
	if (icr->x2apic)
		critical_exit();
}
