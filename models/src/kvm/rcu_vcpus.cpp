// kvm.rcu-vcpus: the RFC's RCU-protected kvm->vcpus.
#include "kvm/kvm.hpp"

namespace vcpucheck::models::kvm {

using sim::Order;

RcuKvm::RcuKvm(Execution& x_, const Config& c)
    : x(x_),
      bug{c.bug("no-synchronize-rcu"), c.bug("publish-before-fill"), c.bug("online-outside"), c.bug("no-kvm-lock")},
      lock(x_, "lock"),
      rcu(x_, "rcu"),
      vcpus(x_, "vcpus"),
      online_vcpus(x_, "online_vcpus", 0) {
  // kvm_alloc_vm(): an empty object, online = 0.
  vcpus.store(sim::heap_alloc<KvmVcpus>(x_, "vcpus", size_t{0}));
}

void kvm_vm_ioctl_create_vcpu_rcu(RcuKvm& kvm, int id) {
  Execution& x = kvm.x;
  Ptr<KvmVcpu> vcpu = sim::heap_alloc<KvmVcpu>(x, "vcpu" + std::to_string(id));
  vcpu->vcpu_id.set(id);  // kvm_vcpu_init()
  vcpu->arch.set(0x100 + static_cast<uint64_t>(id));

  if (!kvm.bug.no_kvm_lock) kvm.lock.lock();
  Ptr<KvmVcpus> old = kvm.vcpus.load(Order::Relaxed);  // rcu_dereference_protected(kvm->vcpus, lock held)
  const uint32_t n = old->online.get();
  Ptr<KvmVcpus> fresh = sim::heap_alloc<KvmVcpus>(x, "vcpus", size_t{n} + 1);
  for (uint32_t i = 0; i < n; ++i) fresh->array.at(i).store(old->array.at(i).load(Order::Relaxed), Order::Relaxed);
  fresh->online.set(n + 1);
  if (!kvm.bug.publish_before_fill) fresh->array.at(n).store(vcpu, Order::Relaxed);
  if (kvm.bug.online_outside) kvm.online_vcpus.fetch_add(1, Order::Relaxed);
  kvm.vcpus.store(fresh, Order::Release);  // rcu_assign_pointer(kvm->vcpus, new)
  if (kvm.bug.publish_before_fill) fresh->array.at(n).store(vcpu, Order::Relaxed);
  if (!kvm.bug.no_kvm_lock) kvm.lock.unlock();

  if (!kvm.bug.no_synchronize_rcu) kvm.rcu.synchronize();
  sim::heap_free(x, old);  // kfree(old)
  if (!kvm.bug.online_outside) kvm.online_vcpus.fetch_add(1, Order::Relaxed);
  kvm.created.push_back(id);
}

Ptr<KvmVcpu> kvm_get_vcpu_rcu(RcuKvm& kvm, uint32_t i) {
  kvm.rcu.read_lock();
  Ptr<KvmVcpus> vcpus = kvm.vcpus.load(Order::Consume);  // rcu_dereference(kvm->vcpus)
  const uint32_t online = kvm.bug.online_outside ? kvm.online_vcpus.load(Order::Relaxed) : vcpus->online.get();
  Ptr<KvmVcpu> vcpu;
  if (i < online) vcpu = vcpus->array.at(i).load(Order::Relaxed);
  kvm.rcu.read_unlock();
  return vcpu;
}

void kvm_for_each_vcpu_rcu(RcuKvm& kvm, bool sleeping_body) {
  // Each iteration re-dereferences kvm->vcpus in its own short RCU section: the body may sleep.
  for (uint32_t i = 0;; ++i) {
    kvm.rcu.read_lock();
    Ptr<KvmVcpus> vcpus = kvm.vcpus.load(Order::Consume);
    const uint32_t online = kvm.bug.online_outside ? kvm.online_vcpus.load(Order::Relaxed) : vcpus->online.get();
    if (i >= online) {
      kvm.rcu.read_unlock();
      return;
    }
    Ptr<KvmVcpu> vcpu = vcpus->array.at(i).load(Order::Relaxed);
    kvm.rcu.read_unlock();
    (void)vcpu->vcpu_id.get();  // the body, outside RCU: vCPUs live as long as the VM
    if (sleeping_body) {
      vcpu->mutex.lock();
      (void)vcpu->arch.get();
      vcpu->mutex.unlock();
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
