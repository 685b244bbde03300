/* FreeBSD vmm's vCPU lifecycle as of 98568a005a19 (vCPUs allocated on first use), as kernel C:
 * vm_alloc_vcpu with its unlocked fast path and the re-check under vcpus_init_lock, vCPU state
 * changes under the vCPU's spin mutex with msleep_spin/wakeup, vmmdev's lock-one and lock-all,
 * the [v] rule on the memory map, destroy, and the snapshot walk. Written for vcpucheck in the
 * kernel's style (sys/amd64/vmm/vmm.c and vmm_dev.c's shapes), compiled against its FreeBSD shim.
 *
 * The bug switches are the C++ model's (models/src/bhyve): vcpucheck_bug("name") where a
 * patch would have removed the line. Functions marked VCPUCHECK_MODEL_CHECK are the model's
 * own rule checks and bookkeeping: not instrumented, so they are no visible operations. */
#include <sys/param.h>
#include <sys/systm.h>
#include <sys/lock.h>
#include <sys/malloc.h>
#include <sys/mutex.h>
#include <sys/sx.h>
#include <machine/atomic.h>
#include <vcpucheck/c.h>

#include "vmm.h"
#include "vmm_priv.h"

MALLOC_DEFINE(M_VMM, "vmm", "vmm");

static void vm_note_alloc(struct vm *vm, struct vcpu *vcpu);
static void vm_note_destroyed(struct vm *vm);
static void vm_check_frozen_for_free(struct vm *vm, struct vcpu *vcpu);
static void vm_check_mem_maps(struct vm *vm, bool need_all);

static const bool transitions[4][4] = {
	/* from IDLE     */ { false, true, false, false },
	/* from FROZEN   */ { true, false, true, true },
	/* from RUNNING  */ { false, true, false, false },
	/* from SLEEPING */ { false, true, false, false },
};

struct vm *vm_create(int maxcpus, int run_slices)
{
	struct vm *vm = malloc(sizeof(*vm), M_VMM, M_WAITOK | M_ZERO);

	sx_init(&vm->vcpus_init_lock, "vm vcpus");
	sx_init(&vm->dev_ref, "vmmdev");
	vm->maxcpus = maxcpus;
	vm->run_slices = run_slices;
	return vm;
}

/* A running vCPU polls reqidle at every exit (the IPI is implicit); a sleeping one is woken. */
static void vcpu_notify_event_locked(struct vcpu *vcpu)
{
	if (vcpu->state == VCPU_SLEEPING)
		wakeup(vcpu);
}

void vcpu_notify_event(struct vcpu *vcpu)
{
	mtx_lock_spin(&vcpu->mtx);
	vcpu_notify_event_locked(vcpu);
	mtx_unlock_spin(&vcpu->mtx);
}

int vcpu_set_state_locked(struct vcpu *vcpu, enum vcpu_state newstate, bool from_idle)
{
	if (from_idle) {
		/* State changes out of IDLE wait for the vCPU to come back to IDLE. */
		while (vcpu->state != VCPU_IDLE) {
			vcpu->reqidle = 1;
			vcpu_notify_event_locked(vcpu);
			msleep_spin(&vcpu->state, &vcpu->mtx, "vmstat", hz);
		}
	} else {
		KASSERT(vcpu->state != VCPU_IDLE, ("invalid transition from idle"));
	}
	if (!transitions[vcpu->state][newstate])
		vcpucheck_violation("illegal-transition", "vcpu state", "vcpu->state: not an allowed transition");
	vcpu->state = newstate;
	vcpu->hostcpu = newstate == VCPU_RUNNING ? 0 : NOCPU;
	if (newstate == VCPU_IDLE && !vcpucheck_bug("no-idle-wakeup"))
		wakeup(&vcpu->state);
	return 0;
}

int vcpu_set_state(struct vcpu *vcpu, enum vcpu_state newstate, bool from_idle)
{
	int error;

	mtx_lock_spin(&vcpu->mtx);
	error = vcpu_set_state_locked(vcpu, newstate, from_idle);
	mtx_unlock_spin(&vcpu->mtx);
	return error;
}

static enum vcpu_state vcpu_get_state(struct vcpu *vcpu)
{
	enum vcpu_state state;

	mtx_lock_spin(&vcpu->mtx);
	state = vcpu->state;
	mtx_unlock_spin(&vcpu->mtx);
	return state;
}

static struct vcpu *vcpu_alloc(struct vm *vm, int vcpu_id)
{
	struct vcpu *vcpu;

	KASSERT(vcpu_id >= 0 && vcpu_id < vm->maxcpus, ("vcpu_alloc: invalid vcpu %d", vcpu_id));
	vcpu = malloc(sizeof(*vcpu), M_VMM, M_WAITOK);	/* the (i) fields stay unset until vcpu_init() */
	mtx_init(&vcpu->mtx, "vcpu lock", 0, MTX_SPIN);
	vcpu->state = VCPU_IDLE;
	vcpu->hostcpu = NOCPU;
	vcpu->vcpuid = vcpu_id;
	vcpu->vm = vm;
	vm_note_alloc(vm, vcpu);
	return vcpu;
}

static void vcpu_init(struct vcpu *vcpu)
{
	vcpu->cookie = (void *)(0x1000UL + vcpu->vcpuid);	/* vmmops_vcpu_init() */
	vcpu->vlapic = (void *)(0x2000UL + vcpu->vcpuid);	/* vmmops_vlapic_init() */
	vcpu->x2apic_state = 0;					/* X2APIC_DISABLED */
	vcpu->reqidle = 0;
}

static void vcpu_cleanup(struct vcpu *vcpu)
{
	vcpucheck_use((unsigned long)vcpu->vlapic);	/* vmmops_vlapic_cleanup(vcpu->vlapic) */
	vcpucheck_use((unsigned long)vcpu->cookie);	/* vmmops_vcpu_cleanup(vcpu->cookie) */
	vcpu->cookie = NULL;
	free(vcpu, M_VMM);
}

struct vcpu *vm_vcpu(struct vm *vm, int vcpuid)
{
	/* A plain pointer read in the kernel, safe because the pointer is only dereferenced
	 * (address dependency) and a slot never changes once set while the VM lives. */
	return atomic_load_ptr(&vm->vcpu[vcpuid]);
}

struct vcpu *vm_alloc_vcpu(struct vm *vm, int vcpuid)
{
	struct vcpu *vcpu;

	if (vcpuid < 0 || vcpuid >= vm->maxcpus)
		return NULL;

	/* Unlocked fast path: a vCPU is never freed while the VM is active. */
	vcpu = atomic_load_ptr(&vm->vcpu[vcpuid]);
	if (__builtin_expect(vcpu != NULL, 1))
		return vcpu;

	sx_xlock(&vm->vcpus_init_lock);
	if (!vcpucheck_bug("no-recheck"))
		vcpu = vm->vcpu[vcpuid];
	if (vcpu == NULL && (vcpucheck_bug("no-dying") || !vm->dying)) {
		vcpu = vcpu_alloc(vm, vcpuid);
		if (vcpucheck_bug("publish-before-init"))
			atomic_store_rel_ptr(&vm->vcpu[vcpuid], vcpu);
		vcpu_init(vcpu);
		/* Ensure the vCPU is fully created before updating the pointer, to permit the
		 * unlocked reads above. */
		if (!vcpucheck_bug("publish-before-init")) {
			if (vcpucheck_bug("plain-publish"))
				atomic_store_ptr(&vm->vcpu[vcpuid], vcpu);
			else
				atomic_store_rel_ptr(&vm->vcpu[vcpuid], vcpu);
		}
	}
	sx_xunlock(&vm->vcpus_init_lock);
	return vcpu;
}

static void vm_disable_vcpu_creation(struct vm *vm)
{
	if (vcpucheck_bug("no-dying"))
		return;	/* there is no dying flag */
	sx_xlock(&vm->vcpus_init_lock);
	vm->dying = true;
	sx_xunlock(&vm->vcpus_init_lock);
}

static int vm_run(struct vm *vm, struct vcpu *vcpu)
{
	int slice;

	vcpucheck_use((unsigned long)vcpu->cookie);	/* vmmops_run(vcpu->cookie, ...) */
	vcpu_set_state(vcpu, VCPU_RUNNING, false);
	for (slice = 0; slice < vm->run_slices; slice++) {
		bool idle;

		/* The guest runs; between slices the run loop checks for a request to idle. */
		mtx_lock_spin(&vcpu->mtx);
		idle = vcpu->reqidle != 0;
		if (idle)
			vcpu->reqidle = 0;
		mtx_unlock_spin(&vcpu->mtx);
		if (idle)
			break;	/* VM_EXITCODE_REQIDLE: back to userspace */
	}
	vcpu_set_state(vcpu, VCPU_FROZEN, false);
	return 0;
}

static void vm_cleanup(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->maxcpus; i++) {
		/* An atomic read, as every other read of a slot (the C++ model's too): the slot is
		 * published with atomic_store_rel_ptr. */
		struct vcpu *vcpu = atomic_load_ptr(&vm->vcpu[i]);

		if (vcpu == NULL)
			continue;
		vm_check_frozen_for_free(vm, vcpu);	/* I4: destroy froze every vCPU it frees */
		vcpu_cleanup(vcpu);
	}
}

static int vm_snapshot_vcpus(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->maxcpus; i++) {
		struct vcpu *vcpu = atomic_load_ptr(&vm->vcpu[i]);

		if (vcpu == NULL && !vcpucheck_bug("snapshot-no-null-skip"))
			continue;
		vcpucheck_use((unsigned long)vcpu->x2apic_state);	/* SNAPSHOT_VAR_OR_LEAVE(vcpu->x2apic_state, ...) */
		vcpucheck_use((unsigned long)vcpu->cookie);	/* vmmops_vcpu_snapshot(vcpu->cookie, ...) */
	}
	return 0;
}

/* --- vmm_dev.c ------------------------------------------------------------------------ */

bool devfs_enter(struct vm *vm)
{
	sx_slock(&vm->dev_ref);
	if (vm->cdev_gone) {
		sx_sunlock(&vm->dev_ref);
		return false;
	}
	return true;
}

void devfs_exit(struct vm *vm) { sx_sunlock(&vm->dev_ref); }

int vcpu_lock_one(struct vcpu *vcpu) { return vcpu_set_state(vcpu, VCPU_FROZEN, true); }

void vcpu_unlock_one(struct vcpu *vcpu)
{
	enum vcpu_state state = vcpu_get_state(vcpu);

	if (state != VCPU_FROZEN)
		panic("vcpu vm(%d) has invalid state %d", vcpu->vcpuid, state);
	vcpu_set_state(vcpu, VCPU_IDLE, false);
}

static int vcpu_lock_all(struct vm *vm)
{
	struct vcpu *vcpu;
	int error = 0, i;

	if (!vcpucheck_bug("lockall-no-sx"))
		sx_slock(&vm->vcpus_init_lock);
	for (i = 0; i < vm->maxcpus; i++) {
		vcpu = vm_vcpu(vm, i);
		if (vcpu == NULL)
			continue;
		error = vcpu_lock_one(vcpu);
		if (error)
			break;
	}
	if (error) {
		while (--i >= 0) {
			vcpu = vm_vcpu(vm, i);
			if (vcpu == NULL)
				continue;
			vcpu_unlock_one(vcpu);
		}
		if (!vcpucheck_bug("lockall-no-sx"))
			sx_unlock(&vm->vcpus_init_lock);
	}
	return error;
}

static void vcpu_unlock_all(struct vm *vm)
{
	struct vcpu *vcpu;
	int i;

	for (i = 0; i < vm->maxcpus; i++) {
		vcpu = vm_vcpu(vm, i);
		if (vcpu == NULL)
			continue;
		vcpu_unlock_one(vcpu);
	}
	if (!vcpucheck_bug("lockall-no-sx"))
		sx_unlock(&vm->vcpus_init_lock);
}

/* vmmdev_ioctl() for an ioctl that locks one vCPU: allocate it on first use, freeze it, run the
 * body, thaw it. what: 0 VM_GET_REGISTER, 1 VM_MMAP_GETNEXT ([v] read), 2 VM_RUN. */
int vmmdev_ioctl_vcpu(struct vm *vm, int vcpuid, int what)
{
	struct vcpu *vcpu;
	int error = 0;

	if (!devfs_enter(vm))
		return ENXIO;
	vcpu = vm_alloc_vcpu(vm, vcpuid);
	if (vcpu == NULL) {
		error = EINVAL;
	} else if ((error = vcpu_lock_one(vcpu)) == 0) {
		if (what == 1) {
			vcpucheck_use(vm->mem_maps);
			vm_check_mem_maps(vm, false);
		} else if (what == 2) {
			error = vm_run(vm, vcpu);
		} else {
			vcpucheck_use((unsigned long)vcpu->cookie);	/* vmmops_getreg(vcpu->cookie, ...) */
		}
		vcpu_unlock_one(vcpu);
	}
	devfs_exit(vm);
	return error;
}

/* ... and one that locks every vCPU: what 0 VM_MMAP_MEMSEG ([v] write), 1 VM_SNAPSHOT_REQ. */
int vmmdev_ioctl_all(struct vm *vm, int what)
{
	int error;

	if (!devfs_enter(vm))
		return ENXIO;
	error = vcpu_lock_all(vm);
	if (error == 0) {
		if (what == 0) {
			vm->mem_maps = 1;	/* vm_mmap_memseg() */
			vm_check_mem_maps(vm, true);
		} else {
			error = vm_snapshot_vcpus(vm);
		}
		vcpu_unlock_all(vm);
	}
	devfs_exit(vm);
	return error;
}

static void vmmdev_destroy(struct vm *vm)
{
	int error, i;

	if (vcpucheck_bug("destroy-unlocked-freeze")) {
		/* Freeze first, without the sx, and only then stop creation. */
		for (i = 0; i < vm->maxcpus; i++) {
			struct vcpu *vcpu = vm_vcpu(vm, i);

			if (vcpu != NULL)
				vcpu_lock_one(vcpu);
		}
		vm_disable_vcpu_creation(vm);
	} else {
		vm_disable_vcpu_creation(vm);
		error = vcpu_lock_all(vm);
		KASSERT(error == 0, ("vmmdev_destroy: error %d freezing vcpus", error));
		if (!vcpucheck_bug("lockall-no-sx"))
			sx_unlock(&vm->vcpus_init_lock);	/* drop the sx, leave every vCPU frozen */
	}
	vm_cleanup(vm);
	vm_note_destroyed(vm);
}

void sysctl_vmm_destroy(struct vm *vm, int drain)
{
	if (drain) {
		/* destroy_dev(): the cdev goes away once every in-flight ioctl has left. */
		sx_xlock(&vm->dev_ref);
		vm->cdev_gone = true;
		sx_xunlock(&vm->dev_ref);
	}
	vmmdev_destroy(vm);
}

/* --- the model's checks and bookkeeping (not instrumented) ------------------------------ */

VCPUCHECK_MODEL_CHECK static void vm_note_alloc(struct vm *vm, struct vcpu *vcpu)
{
	if (vm->nallocated < (int)nitems(vm->allocated))
		vm->allocated[vm->nallocated++] = vcpu;
}

VCPUCHECK_MODEL_CHECK static void vm_note_destroyed(struct vm *vm) { vm->destroyed = true; }

VCPUCHECK_MODEL_CHECK static void vm_check_frozen_for_free(struct vm *vm, struct vcpu *vcpu)
{
	(void)vm;
	if (vcpu->state != VCPU_FROZEN)
		vcpucheck_violation("invariant", "vcpu",
		    "I4: vm_cleanup frees a vCPU that is not frozen: destroy's lock-all never froze it");
}

/* [v]: a read needs one frozen vCPU, a write every allocated vCPU frozen. */
VCPUCHECK_MODEL_CHECK static void vm_check_mem_maps(struct vm *vm, bool need_all)
{
	int frozen = 0, other = 0, i;

	for (i = 0; i < vm->maxcpus; i++) {
		struct vcpu *vcpu = vm->vcpu[i];

		if (vcpu == NULL)
			continue;
		if (vcpu->state == VCPU_FROZEN)
			frozen++;
		else
			other++;
	}
	if (need_all ? other != 0 : frozen == 0)
		vcpucheck_violation("locking-rule", "mem_maps",
		    need_all ? "vm.mem_maps [v] written while a vCPU is not frozen" :
		    "vm.mem_maps [v] read needs one frozen vCPU");
}

VCPUCHECK_MODEL_CHECK int vm_check_end(struct vm *vm, char *why, int n)
{
	int i, j, count;

	for (i = 0; i < vm->maxcpus; i++) {	/* I2: at most one vCPU per id */
		count = 0;
		for (j = 0; j < vm->nallocated; j++)
			count += vm->allocated[j]->vcpuid == i;
		if (count > 1) {
			__builtin_snprintf(why, n, "I2: %d vCPUs were allocated for id %d; vm->vcpu[%d] keeps only the last", count, i, i);
			return VM_CHECK_INVARIANT;
		}
	}
	for (j = 0; j < vm->nallocated; j++) {
		struct vcpu *vcpu = vm->allocated[j];

		if (vm->destroyed && !vcpucheck_freed(vcpu)) {	/* I4: destroy frees every vCPU */
			__builtin_snprintf(why, n, "I4: vcpu[%d] was created while the VM was being destroyed and is never freed", vcpu->vcpuid);
			return VM_CHECK_LEAK;
		}
		if (!vm->destroyed && vcpu->state != VCPU_IDLE) {
			__builtin_snprintf(why, n, "vcpu[%d] ends in state %d: an ioctl left it locked", vcpu->vcpuid, vcpu->state);
			return VM_CHECK_INVARIANT;
		}
	}
	return VM_CHECK_OK;
}
