/* bhyve-c: the vmm's structures and the calls its files share (vmm.c, vmm_ipi.c, vlapic.c). */
#ifndef VCPUCHECK_MODELS_C_BHYVE_VMM_PRIV_H
#define VCPUCHECK_MODELS_C_BHYVE_VMM_PRIV_H
#include <sys/param.h>
#include <sys/lock.h>
#include <sys/mutex.h>
#include <sys/sx.h>

#include "vmm.h"

enum vcpu_state { VCPU_IDLE, VCPU_FROZEN, VCPU_RUNNING, VCPU_SLEEPING };
#define NOCPU (-1)
#define VM_MAXCPU 16

struct vcpu {
	struct mtx mtx;		/* (o) protects state, hostcpu, reqidle */
	enum vcpu_state state;	/* (o) */
	int hostcpu;		/* (o) */
	int reqidle;		/* (i) */
	void *cookie;		/* (i) vmmops_vcpu_init() */
	void *vlapic;		/* (i) vmmops_vlapic_init() */
	int x2apic_state;	/* (i) */
	int vcpuid;		/* (o) */
	struct vm *vm;		/* (o) */
};

struct vm {
	struct sx vcpus_init_lock;	/* (o) */
	bool dying;			/* (o) [vcpus_init_lock] */
	struct vcpu *vcpu[VM_MAXCPU];	/* (x) NULL until first use */
	int maxcpus;
	int run_slices;
	unsigned long mem_maps;		/* [v] stands for the guest memory map */
	struct sx dev_ref;		/* the cdev's in-flight ioctls (shared), destroy_dev() (exclusive) */
	bool cdev_gone;			/* [dev_ref] */
	/* The model's bookkeeping (not the kernel's): every vcpu_alloc() and whether destroy ran. */
	struct vcpu *allocated[4 * VM_MAXCPU];
	int nallocated;
	bool destroyed;
	/* AP startup (vmm_ipi.c, vlapic.c; the bhyve-c.ap model). */
	bool ipi_exit;			/* VM_CAP_IPI_EXIT: new bhyve */
	int configured;			/* vCPUs the VMM configured */
	struct mtx rendezvous_mtx;
	u_int active_cpus;		/* CPU_SET_ATOMIC */
	u_int startup_cpus;		/* [rendezvous_mtx] waiting for STARTUP */
	u_int rendezvous_req_cpus;	/* [rendezvous_mtx] */
	u_int suspend;			/* vm_suspend() */
	struct vm_exit exits[VM_MAXCPU];	/* per vCPU: the exit being handled (its thread's) */
};

/* Functions marked VCPUCHECK_MODEL_CHECK are the model's own checks and bookkeeping: not
 * instrumented, so they are no visible operations. */
#define VCPUCHECK_MODEL_CHECK __attribute__((no_sanitize_thread, noinline))

int vcpu_set_state_locked(struct vcpu *vcpu, enum vcpu_state newstate, bool from_idle);
int vcpu_set_state(struct vcpu *vcpu, enum vcpu_state newstate, bool from_idle);
void vcpu_notify_event(struct vcpu *vcpu);
bool devfs_enter(struct vm *vm);
void devfs_exit(struct vm *vm);
int vcpu_lock_one(struct vcpu *vcpu);
void vcpu_unlock_one(struct vcpu *vcpu);
#endif
