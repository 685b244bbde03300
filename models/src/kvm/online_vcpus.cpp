// kvm.online-vcpus: mainline's publication through online_vcpus and smp_wmb/smp_rmb.
// Written in the kernel's vocabulary (sim/linux.hpp): each line reads as the kvm_main.c line it models.
#include "kvm/kvm.hpp"
#include "sim/linux.hpp"

namespace vcpucheck::models::kvm {

using namespace vcpucheck::lnx;

OnlineKvm::OnlineKvm(Execution& x_, const Config& c)
    : x(x_),
      bug{c.bug("no-wmb"), c.bug("no-rmb"), c.bug("online-before-store")},
      max_vcpus(static_cast<int>(c.params.i("max_vcpus"))),
      lock(x_, "lock"),
      created_vcpus(x_, "created_vcpus", 0),
      online_vcpus(x_, "online_vcpus", 0),
      vcpu_array(x_, "vcpu_array", static_cast<size_t>(c.params.i("max_vcpus"))) {}

int kvm_vm_ioctl_create_vcpu(OnlineKvm& kvm, int id) {
  Execution& x = kvm.x;
  // Reserve a slot.
  mutex_lock(&kvm.lock);
  if (kvm.created_vcpus.get() >= kvm.max_vcpus) {
    mutex_unlock(&kvm.lock);
    return -EINVAL;
  }
  kvm.created_vcpus.set(kvm.created_vcpus.get() + 1);
  mutex_unlock(&kvm.lock);

  Ptr<KvmVcpu> vcpu = sim::heap_alloc<KvmVcpu>(x, "vcpu" + std::to_string(id));  // kmem_cache_zalloc()
  vcpu->vcpu_id.set(id);  // kvm_vcpu_init()
  vcpu->arch.set(0x100 + static_cast<uint64_t>(id));

  mutex_lock(&kvm.lock);
  const int n = atomic_read(&kvm.online_vcpus);
  if (kvm.bug.online_before_store) {
    atomic_inc(&kvm.online_vcpus);
    WRITE_ONCE(kvm.vcpu_array.at(n), vcpu);
  } else {
    WRITE_ONCE(kvm.vcpu_array.at(n), vcpu);  // kvm->vcpus[n] = vcpu
    // Fill the array before publishing the count (pairs with kvm_get_vcpu's smp_rmb).
    if (!kvm.bug.no_wmb) smp_wmb();
    atomic_inc(&kvm.online_vcpus);
  }
  mutex_unlock(&kvm.lock);
  return 0;
}

Ptr<KvmVcpu> kvm_get_vcpu(OnlineKvm& kvm, int i) {
  const int num = atomic_read(&kvm.online_vcpus);
  if (i >= num) return nullptr;
  if (!kvm.bug.no_rmb) smp_rmb();  // pairs with smp_wmb in kvm_vm_ioctl_create_vcpu
  return READ_ONCE(kvm.vcpu_array.at(i));
}

void kvm_for_each_vcpu(OnlineKvm& kvm) {
  for (int i = 0; i < atomic_read(&kvm.online_vcpus); ++i) {
    Ptr<KvmVcpu> vcpu = kvm_get_vcpu(kvm, i);
    (void)vcpu->vcpu_id.get();  // a VM-wide ioctl touching each vCPU
  }
}

void OnlineKvm::check_invariants(Execution& e) {
  const int online = online_vcpus.peek();
  if (online != created_vcpus.peek())
    return e.report(sim::ViolationKind::Invariant, "online_vcpus is " + std::to_string(online) + " but " +
                                       std::to_string(created_vcpus.peek()) + " vCPUs were created",
                                   "online_vcpus");
}

}  // namespace vcpucheck::models::kvm
