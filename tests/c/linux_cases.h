/* The C entry points of linux_cases.c. */
#ifndef VCPUCHECK_TESTS_C_LINUX_CASES_H
#define VCPUCHECK_TESTS_C_LINUX_CASES_H
#ifdef __cplusplus
extern "C" {
#endif
struct vm;
struct vcpu;
struct vm *vm_new(int kmalloced);
int vm_create_vcpu(struct vm *vm, unsigned long id, int init_first);
int vm_vcpu_idx(struct vm *vm, unsigned long id);
long vm_xa_walk(struct vm *vm);
void *vm_xa_load(struct vm *vm, unsigned long id);
int vm_cfg_read(struct vm *vm);
void vm_cfg_replace(struct vm *vm, int v, int how);
int vm_cfg_peek(struct vm *vm, int locked);
void vm_sleep_in_rcu(struct vm *vm);
int vm_srcu_read(struct vm *vm);
void vm_srcu_retire(struct vm *vm, int sync);
void vm_srcu_self_wait(struct vm *vm);
int vm_put(struct vm *vm);
void vm_put_thrice(struct vm *vm);
int vm_get_from_zero(struct vm *vm);
struct vcpu *vcpu_new_shared(void);
int vcpu_use_and_put(struct vcpu *vcpu);
#ifdef __cplusplus
}
#endif
#endif
