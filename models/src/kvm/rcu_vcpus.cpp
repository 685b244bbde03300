// kvm.rcu-vcpus: the RFC's RCU-protected kvm->vcpus.
// Written in the kernel's vocabulary (sim/linux.hpp): each line reads as the RFC's line it models.
#include "kvm/kvm.hpp"

namespace vcpucheck::models::kvm {

using namespace vcpucheck::lnx;

RcuKvm::RcuKvm(Execution& x_, const Config& c)
    : x(x_),
      bug{c.bug("no-synchronize-rcu"), c.bug("publish-before-fill"), c.bug("online-outside"), c.bug("no-kvm-lock")},
      kernel(x_),
      lock(x_, "lock"),
      vcpus(x_, "vcpus"),
      online_vcpus(x_, "online_vcpus", 0) {
  // kvm_alloc_vm(): an empty object, online = 0.
  RCU_INIT_POINTER(vcpus, sim::heap_alloc<KvmVcpus>(x_, "vcpus", size_t{0}));
}

void kvm_vm_ioctl_create_vcpu_rcu(RcuKvm& kvm, int id) {
  Execution& x = kvm.x;
  Ptr<KvmVcpu> vcpu = sim::heap_alloc<KvmVcpu>(x, "vcpu" + std::to_string(id));  // kmem_cache_zalloc()
  vcpu->vcpu_id.set(id);  // kvm_vcpu_init()
  vcpu->arch.set(0x100 + static_cast<uint64_t>(id));

  if (!kvm.bug.no_kvm_lock) mutex_lock(&kvm.lock);
  // Without kvm->lock (no-kvm-lock) the creator reads the pointer bare, as such code would.
  Ptr<KvmVcpus> old = kvm.bug.no_kvm_lock ? rcu_access_pointer(kvm.vcpus)
                                          : rcu_dereference_protected(kvm.vcpus, lockdep_is_held(&kvm.lock));
  const uint32_t n = old->online.get();
  Ptr<KvmVcpus> fresh = sim::heap_alloc<KvmVcpus>(x, "vcpus", size_t{n} + 1);  // kzalloc(struct_size(...))
  for (uint32_t i = 0; i < n; ++i) RCU_INIT_POINTER(fresh->array.at(i), rcu_access_pointer(old->array.at(i)));
  fresh->online.set(n + 1);
  if (!kvm.bug.publish_before_fill) RCU_INIT_POINTER(fresh->array.at(n), vcpu);
  if (kvm.bug.online_outside) atomic_inc(&kvm.online_vcpus);
  rcu_assign_pointer(kvm.vcpus, fresh);  // rcu_assign_pointer(kvm->vcpus, new)
  if (kvm.bug.publish_before_fill) RCU_INIT_POINTER(fresh->array.at(n), vcpu);
  if (!kvm.bug.no_kvm_lock) mutex_unlock(&kvm.lock);

  if (!kvm.bug.no_synchronize_rcu) synchronize_rcu();
  kfree(old);
  if (!kvm.bug.online_outside) atomic_inc(&kvm.online_vcpus);
  kvm.created.push_back(id);
}

Ptr<KvmVcpu> kvm_get_vcpu_rcu(RcuKvm& kvm, uint32_t i) {
  rcu_read_lock();
  Ptr<KvmVcpus> vcpus = rcu_dereference(kvm.vcpus);
  const uint32_t online = kvm.bug.online_outside ? static_cast<uint32_t>(atomic_read(&kvm.online_vcpus)) : vcpus->online.get();
  Ptr<KvmVcpu> vcpu;
  if (i < online) vcpu = rcu_access_pointer(vcpus->array.at(i));
  rcu_read_unlock();
  return vcpu;
}

void kvm_for_each_vcpu_rcu(RcuKvm& kvm, bool sleeping_body) {
  // Each iteration re-dereferences kvm->vcpus in its own short RCU section: the body may sleep.
  for (uint32_t i = 0;; ++i) {
    rcu_read_lock();
    Ptr<KvmVcpus> vcpus = rcu_dereference(kvm.vcpus);
    const uint32_t online = kvm.bug.online_outside ? static_cast<uint32_t>(atomic_read(&kvm.online_vcpus)) : vcpus->online.get();
    if (i >= online) {
      rcu_read_unlock();
      return;
    }
    Ptr<KvmVcpu> vcpu = rcu_access_pointer(vcpus->array.at(i));
    rcu_read_unlock();
    (void)vcpu->vcpu_id.get();  // the body, outside RCU: vCPUs live as long as the VM
    if (sleeping_body) {
      mutex_lock(&vcpu->mutex);
      (void)vcpu->arch.get();
      mutex_unlock(&vcpu->mutex);
    }
  }
}

void RcuKvm::check_invariants(Execution& e) {
  // Every vCPU whose creation completed is reachable through kvm->vcpus, exactly once.
  const Ptr<KvmVcpus>& v = vcpus.peek();
  std::vector<int> seen;
  for (size_t i = 0; i < v->array.size(); ++i)
    if (const Ptr<KvmVcpu>& p = v->array.peek(i).peek()) seen.push_back(p->vcpu_id.peek());
  for (int id : created) {
    int n = 0;
    for (int s : seen) n += s == id;
    if (n != 1)
      return e.report(sim::ViolationKind::Invariant, "vcpu " + std::to_string(id) + " was created but is reachable " + std::to_string(n) +
                                         " times through kvm->vcpus",
                                     "vcpus");
  }
}

}  // namespace vcpucheck::models::kvm
