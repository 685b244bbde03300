/* Kernel-style C for the Linux xarray, RCU, SRCU and refcount shims' tests
 * (tests/c_linux_test.cpp): the C twins of tests/linux_test.cpp's worlds. */
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/xarray.h>

#include "linux_cases.h"

struct vcpu {
	int vcpu_idx;
	struct kref ref;
};

struct cfg {
	int v;
	struct rcu_head rcu;
};

struct vm {
	struct mutex lock;
	struct xarray vcpu_array;
	struct srcu_struct srcu;
	struct cfg __rcu *cfg;
	refcount_t users;
	int releases;
};

struct vm *vm_new(int kmalloced)
{
	struct vm *vm = kmalloced ? kmalloc(sizeof(*vm), GFP_KERNEL) : kzalloc(sizeof(*vm), GFP_KERNEL);
	struct cfg *c = kzalloc(sizeof(*c), GFP_KERNEL);

	mutex_init(&vm->lock);
	xa_init(&vm->vcpu_array);
	init_srcu_struct(&vm->srcu);
	RCU_INIT_POINTER(vm->cfg, c);
	refcount_set(&vm->users, 2);
	vm->releases = 0;
	return vm;
}

/* kvm_vm_ioctl_create_vcpu's publication: the vCPU finished before xa_insert, or (the bug)
 * after it. */
int vm_create_vcpu(struct vm *vm, unsigned long id, int init_first)
{
	struct vcpu *vcpu = kmalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	int r;

	if (init_first)
		vcpu->vcpu_idx = (int)id;
	r = xa_insert(&vm->vcpu_array, id, vcpu, GFP_KERNEL_ACCOUNT);
	if (!init_first)
		vcpu->vcpu_idx = (int)id;
	if (r)
		kfree(vcpu);
	return r;
}

/* kvm_get_vcpu under rcu_read_lock: the vCPU's index, or -1. */
int vm_vcpu_idx(struct vm *vm, unsigned long id)
{
	struct vcpu *vcpu;
	int idx = -1;

	rcu_read_lock();
	vcpu = xa_load(&vm->vcpu_array, id);
	if (vcpu)
		idx = vcpu->vcpu_idx;
	rcu_read_unlock();
	return idx;
}

/* The xarray calls one after another: each step's result a digit (tests/linux_test.cpp's). */
long vm_xa_walk(struct vm *vm)
{
	struct vcpu *a = kzalloc(sizeof(*a), GFP_KERNEL), *b = kzalloc(sizeof(*b), GFP_KERNEL), *e;
	unsigned long i;
	long seen = 0, ok = 1;

	ok &= xa_reserve(&vm->vcpu_array, 1, GFP_KERNEL) == 0;
	ok &= xa_load(&vm->vcpu_array, 1) == NULL;		/* a reserved slot reads NULL */
	ok &= xa_insert(&vm->vcpu_array, 1, a, GFP_KERNEL) == -EBUSY;
	ok &= xa_insert(&vm->vcpu_array, 2, a, GFP_KERNEL) == 0;
	ok &= xa_insert(&vm->vcpu_array, 2, b, GFP_KERNEL) == -EBUSY;
	ok &= xa_store(&vm->vcpu_array, 1, b, GFP_KERNEL) == NULL;
	xa_for_each_range(&vm->vcpu_array, i, e, 0, 3)
		seen = seen * 10 + (long)i;
	ok &= xa_erase(&vm->vcpu_array, 2) == a && xa_load(&vm->vcpu_array, 2) == NULL;
	xa_release(&vm->vcpu_array, 1);			/* stored, not reserved: nothing happens */
	ok &= xa_load(&vm->vcpu_array, 1) == b;
	kfree(a);
	kfree(xa_erase(&vm->vcpu_array, 1));
	return ok ? seen : -1;
}

void *vm_xa_load(struct vm *vm, unsigned long id) { return xa_load(&vm->vcpu_array, id); }

/* An RCU-protected configuration: the reader's value, or 0 when there is none. */
int vm_cfg_read(struct vm *vm)
{
	struct cfg *c;
	int v = 0;

	rcu_read_lock();
	c = rcu_dereference(vm->cfg);
	if (c)
		v = c->v;
	rcu_read_unlock();
	return v;
}

/* Replace it under the lock; the old one freed after a grace period: synchronize_rcu (how 0),
 * kfree_rcu (1), or at once (2, the bug). */
void vm_cfg_replace(struct vm *vm, int v, int how)
{
	struct cfg *c = kmalloc(sizeof(*c), GFP_KERNEL), *old;

	c->v = v;
	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->cfg, lockdep_is_held(&vm->lock));
	rcu_assign_pointer(vm->cfg, c);
	mutex_unlock(&vm->lock);
	if (how == 0) {
		synchronize_rcu();
		kfree(old);
	} else if (how == 1) {
		kfree_rcu(old, rcu);
	} else {
		kfree(old);
	}
}

/* rcu_dereference_protected with or without the lock its condition names. */
int vm_cfg_peek(struct vm *vm, int locked)
{
	struct cfg *c;
	int v;

	if (locked)
		mutex_lock(&vm->lock);
	c = rcu_dereference_protected(vm->cfg, lockdep_is_held(&vm->lock));
	v = c->v;
	if (locked)
		mutex_unlock(&vm->lock);
	return v;
}

void vm_sleep_in_rcu(struct vm *vm)
{
	rcu_read_lock();
	mutex_lock(&vm->lock);	/* sleeping inside a classic section */
	mutex_unlock(&vm->lock);
	rcu_read_unlock();
}

/* SRCU: a reader that sleeps in its section, an updater that retires the pointer. */
int vm_srcu_read(struct vm *vm)
{
	int idx = srcu_read_lock(&vm->srcu), v = 0;
	struct cfg *c;

	mutex_lock(&vm->lock);	/* allowed in an SRCU section */
	c = srcu_dereference(vm->cfg, &vm->srcu);
	if (c)
		v = c->v;
	mutex_unlock(&vm->lock);
	srcu_read_unlock(&vm->srcu, idx);
	return v;
}

void vm_srcu_retire(struct vm *vm, int sync)
{
	struct cfg *old = rcu_access_pointer(vm->cfg);

	rcu_assign_pointer(vm->cfg, NULL);
	if (sync)
		synchronize_srcu(&vm->srcu);
	kfree(old);
}

void vm_srcu_self_wait(struct vm *vm)
{
	(void)srcu_read_lock(&vm->srcu);
	synchronize_srcu(&vm->srcu);
}

/* refcount_t: one put (the last releases); misuse. */
int vm_put(struct vm *vm) { return refcount_dec_and_test(&vm->users); }
void vm_put_thrice(struct vm *vm)
{
	refcount_dec(&vm->users);
	(void)refcount_dec_and_test(&vm->users);
	(void)refcount_dec_and_test(&vm->users);
}
int vm_get_from_zero(struct vm *vm)
{
	int got;

	refcount_set(&vm->users, 0);
	got = refcount_inc_not_zero(&vm->users);
	refcount_inc(&vm->users);
	return got;
}

/* kref: the release runs once, in whichever thread drops the last reference. */
static void vcpu_release(struct kref *ref)
{
	struct vcpu *vcpu = container_of(ref, struct vcpu, ref);

	kfree(vcpu);
}
struct vcpu *vcpu_new_shared(void)
{
	struct vcpu *vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL);

	kref_init(&vcpu->ref);
	kref_get(&vcpu->ref);	/* two references */
	return vcpu;
}
int vcpu_use_and_put(struct vcpu *vcpu)
{
	WRITE_ONCE(vcpu->vcpu_idx, 1);
	return kref_put(&vcpu->ref, vcpu_release);
}
