// kvm.online-vcpus: mainline's publication through online_vcpus and smp_wmb/smp_rmb.
#include "kvm/kvm.hpp"

namespace vcpucheck::models::kvm {

using sim::Order;

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
  kvm.lock.lock();
  if (kvm.created_vcpus.get() >= kvm.max_vcpus) {
    kvm.lock.unlock();
    return -1;  // -EINVAL
  }
  kvm.created_vcpus.set(kvm.created_vcpus.get() + 1);
  kvm.lock.unlock();

  Ptr<KvmVcpu> vcpu = sim::heap_alloc<KvmVcpu>(x, "vcpu" + std::to_string(id), sim::Loc::current());
  vcpu->vcpu_id.set(id);  // kvm_vcpu_init()
  vcpu->arch.set(0x100 + static_cast<uint64_t>(id));

  kvm.lock.lock();
  const int n = kvm.online_vcpus.load(Order::Relaxed);
  if (kvm.bug.online_before_store) {
    kvm.online_vcpus.store(n + 1, Order::Relaxed);
    kvm.vcpu_array.at(n).store(vcpu, Order::Relaxed);
  } else {
    kvm.vcpu_array.at(n).store(vcpu, Order::Relaxed);  // xa_store()
    // Fill the array before publishing the count (pairs with kvm_get_vcpu's smp_rmb).
    if (!kvm.bug.no_wmb) sim::smp_wmb(x);
    kvm.online_vcpus.store(n + 1, Order::Relaxed);  // atomic_inc(&kvm->online_vcpus)
  }
  kvm.lock.unlock();
  return 0;
}

Ptr<KvmVcpu> kvm_get_vcpu(OnlineKvm& kvm, int i) {
  const int num = kvm.online_vcpus.load(Order::Relaxed);
  if (i >= num) return nullptr;
  if (!kvm.bug.no_rmb) sim::smp_rmb(kvm.x);  // pairs with smp_wmb in kvm_vm_ioctl_create_vcpu
  return kvm.vcpu_array.at(i).load(Order::Relaxed);
}

void kvm_for_each_vcpu(OnlineKvm& kvm) {
  for (int i = 0; i < kvm.online_vcpus.load(Order::Relaxed); ++i) {
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
