/* KVM's vCPU publication through online_vcpus, as kernel C (mainline since the xarray
 * conversion's predecessor: a vCPU is stored in the array, smp_wmb(), then online_vcpus is
 * incremented; kvm_get_vcpu() reads online_vcpus, smp_rmb(), then the slot). Written for
 * vcpucheck in the kernel's style; compiled unchanged against vcpucheck's Linux shim.
 *
 * The bug switches are the C++ model's (models/src/kvm/online_vcpus.cpp): each reverts one
 * line, asked with vcpucheck_bug("name") where a patch would have removed it. */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <vcpucheck/c.h>

#include "online_vcpus.h"

#define KVM_MAX_VCPUS 16

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;
	u64 arch;
};

struct kvm {
	struct mutex lock;
	int created_vcpus;		/* [lock] reservations */
	int max_vcpus;
	atomic_t online_vcpus;		/* published vCPUs */
	struct kvm_vcpu *vcpu_array[KVM_MAX_VCPUS];
};

struct kvm *kvm_create_vm(int max_vcpus)
{
	struct kvm *kvm = kzalloc(sizeof(*kvm), GFP_KERNEL);

	mutex_init(&kvm->lock);
	kvm->max_vcpus = max_vcpus;
	return kvm;
}

static void kvm_vcpu_init(struct kvm_vcpu *vcpu, struct kvm *kvm, int id)
{
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	vcpu->arch = 0x100 + id;	/* kvm_arch_vcpu_create() */
}

int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, int id)
{
	struct kvm_vcpu *vcpu;
	int n;

	/* Reserve a slot. */
	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus >= kvm->max_vcpus) {
		mutex_unlock(&kvm->lock);
		return -EINVAL;
	}
	kvm->created_vcpus++;
	mutex_unlock(&kvm->lock);

	/* kmalloc, not kmem_cache_zalloc: the fields are uninitialized until kvm_vcpu_init()
	 * writes them, as the C++ model declares them, so a reader that no write happens before
	 * is use-before-init. */
	vcpu = kmalloc(sizeof(*vcpu), GFP_KERNEL);
	kvm_vcpu_init(vcpu, kvm, id);

	mutex_lock(&kvm->lock);
	n = atomic_read(&kvm->online_vcpus);
	if (vcpucheck_bug("online-before-store")) {
		atomic_inc(&kvm->online_vcpus);
		WRITE_ONCE(kvm->vcpu_array[n], vcpu);
	} else {
		WRITE_ONCE(kvm->vcpu_array[n], vcpu);
		/* Fill the array before publishing the count (pairs with kvm_get_vcpu()). */
		if (!vcpucheck_bug("no-wmb"))
			smp_wmb();
		atomic_inc(&kvm->online_vcpus);
	}
	mutex_unlock(&kvm->lock);
	return 0;
}

struct kvm_vcpu *kvm_get_vcpu(struct kvm *kvm, int i)
{
	int num = atomic_read(&kvm->online_vcpus);

	if (i >= num)
		return NULL;
	if (!vcpucheck_bug("no-rmb"))
		smp_rmb();	/* pairs with smp_wmb() in kvm_vm_ioctl_create_vcpu() */
	return READ_ONCE(kvm->vcpu_array[i]);
}

int kvm_vcpu_id(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id;
}

/* A VM-wide ioctl touching each vCPU. */
int kvm_for_each_vcpu_touch(struct kvm *kvm)
{
	int i, sum = 0;

	for (i = 0; i < atomic_read(&kvm->online_vcpus); i++) {
		struct kvm_vcpu *vcpu = kvm_get_vcpu(kvm, i);

		sum += kvm_vcpu_id(vcpu);
	}
	return sum;
}

int kvm_online_vcpus(struct kvm *kvm)
{
	return atomic_read(&kvm->online_vcpus);
}

int kvm_created_vcpus(struct kvm *kvm)
{
	return kvm->created_vcpus;
}
