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
#ifdef __cplusplus
}
#endif
#endif
