/* bhyve-c: the C entry points the harness calls (vmm.c). */
#ifndef VCPUCHECK_MODELS_C_BHYVE_VMM_H
#define VCPUCHECK_MODELS_C_BHYVE_VMM_H
#ifdef __cplusplus
extern "C" {
#endif
struct vm;
struct vcpu;
struct vm *vm_create(int maxcpus, int run_slices);
struct vcpu *vm_alloc_vcpu(struct vm *vm, int vcpuid);
struct vcpu *vm_vcpu(struct vm *vm, int vcpuid);
int vmmdev_ioctl_vcpu(struct vm *vm, int vcpuid, int what);  /* 0 VM_GET_REGISTER, 1 VM_MMAP_GETNEXT, 2 VM_RUN */
int vmmdev_ioctl_all(struct vm *vm, int what);               /* 0 VM_MMAP_MEMSEG, 1 VM_SNAPSHOT_REQ */
void sysctl_vmm_destroy(struct vm *vm, int drain);
/* The end-of-execution checks (not instrumented): the first one broken, described in `why`. */
enum { VM_CHECK_OK, VM_CHECK_INVARIANT, VM_CHECK_LEAK };
int vm_check_end(struct vm *vm, char *why, int n);

/* AP startup on the emulated machine (vmm_ipi.c, vlapic.c): the bhyve-c.ap model. */
enum { VM_EXIT_NONE, VM_EXIT_IPI, VM_EXIT_SPINUP_AP, VM_EXIT_HLT, VM_EXIT_REQIDLE, VM_EXIT_SUSPENDED };
struct vm_exit {		/* what VM_RUN returns to userspace */
	int code;		/* VM_EXIT_* */
	int mode;		/* the IPI's delivery mode (VCPUCHECK_APIC_*) */
	int vector;
	unsigned int dmask;
	int spinup_vcpu;
	unsigned int rip;
};
struct vcpucheck_icr;
struct vm *vm_create_ap(int maxcpus, int configured, int ipi_exit);
int vm_activate_cpu(struct vm *vm, int vcpuid);	/* VM_ACTIVATE_CPU: 0, or ENXIO once the device is gone */
int vmmdev_ioctl_run_guest(struct vm *vm, int vcpuid, struct vm_exit *vmexit);	/* VM_RUN on the machine */
void vm_suspend_destroy(struct vm *vm);		/* vm_suspend(VM_SUSPEND_DESTROY) */
void vm_reqidle_yield(struct vm *vm);		/* userspace after VM_EXIT_REQIDLE (see vmm_ipi.c) */
void vlapic_icr_write(void *vm, int vcpuid, const struct vcpucheck_icr *icr);	/* the machine's ICR handler */
#ifdef __cplusplus
}
#endif
#endif
