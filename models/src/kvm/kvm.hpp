// Linux KVM's vCPU publication, two designs (see ../../../shared/domain/PROTOCOLS.md 1(c)):
//
//  kvm.rcu-vcpus     Radim Krcmar's RFC ("KVM: RCU protected dynamic vcpus array", 2017):
//                    kvm->vcpus is an RCU pointer to {online, array[]}; a creator copies the
//                    object under kvm->lock into one with one more slot, fills the slot,
//                    publishes with rcu_assign_pointer, and frees the old one after
//                    synchronize_rcu. online and array live in one object, so readers always
//                    see a consistent pair.
//  kvm.online-vcpus  mainline since c5b077549136: the vCPU is stored in kvm->vcpu_array, then
//                    smp_wmb(), then online_vcpus is incremented; kvm_get_vcpu() reads
//                    online_vcpus, smp_rmb(), then the slot. created_vcpus, under kvm->lock, is
//                    the reservation counter.
//
// A vCPU is never freed while the VM lives: a reader may keep a vCPU pointer across a sleep,
// outside any RCU section (the RFC's axiom, kept here: no path frees a vCPU).
#pragma once
#include "models/registry.hpp"
#include "sim/chan.hpp"
#include "sim/heap.hpp"
#include "sim/linux.hpp"

namespace vcpucheck::models::kvm {

using sim::Execution;
using sim::Ptr;

struct KvmVcpu {
  sim::Field<int> vcpu_id;     // set by kvm_vm_ioctl_create_vcpu() before publication
  sim::Field<uint64_t> arch;   // kvm_arch_vcpu_create()
  lnx::mutex mutex;            // vcpu->mutex: a sleeping lock a for-each body may take
  KvmVcpu(Execution& x) : vcpu_id(x, "vcpu_id", sim::uninit), arch(x, "arch", sim::uninit), mutex(x, "mutex") {}
};

// struct kvm_vcpus: the RFC's RCU-published {online, array[]}.
struct KvmVcpus {
  sim::Field<uint32_t> online;
  sim::Array<sim::Atomic<Ptr<KvmVcpu>>> array;
  KvmVcpus(Execution& x, size_t n) : online(x, "online", 0), array(x, "array", n) {}
};

struct RcuBugs {
  bool no_synchronize_rcu = false;   // the old object is freed without a grace period
  bool publish_before_fill = false;  // rcu_assign_pointer before the new slot is filled
  bool online_outside = false;       // a separate online count, bumped before publication
  bool no_kvm_lock = false;          // creators do not take kvm->lock
};

struct RcuKvm : Instance {
  Execution& x;
  RcuBugs bug;
  lnx::Kernel kernel;                     // the RCU domain of rcu_read_lock/synchronize_rcu
  lnx::mutex lock;                        // kvm->lock
  sim::Atomic<Ptr<KvmVcpus>> vcpus;       // __rcu
  lnx::atomic_t online_vcpus;             // the RFC keeps it, "no longer synchronizes anything"
  std::vector<int> created;               // bookkeeping: ids whose creation completed
  RcuKvm(Execution& x, const Config& c);
  void check_invariants(Execution& x) override;
};

void kvm_vm_ioctl_create_vcpu_rcu(RcuKvm& kvm, int id);
Ptr<KvmVcpu> kvm_get_vcpu_rcu(RcuKvm& kvm, uint32_t i);
void kvm_for_each_vcpu_rcu(RcuKvm& kvm, bool sleeping_body);

struct OnlineBugs {
  bool no_wmb = false;                // no smp_wmb() between the slot store and online_vcpus++
  bool no_rmb = false;                // no smp_rmb() between reading online_vcpus and the slot
  bool online_before_store = false;   // online_vcpus++ before the slot is stored
};

struct OnlineKvm : Instance {
  Execution& x;
  OnlineBugs bug;
  const int max_vcpus;
  lnx::mutex lock;                              // kvm->lock
  sim::Field<int> created_vcpus;                // [lock] reservations
  lnx::atomic_t online_vcpus;                   // published vCPUs
  sim::Array<sim::Atomic<Ptr<KvmVcpu>>> vcpu_array;
  OnlineKvm(Execution& x, const Config& c);
  void check_invariants(Execution& x) override;
};

int kvm_vm_ioctl_create_vcpu(OnlineKvm& kvm, int id);
Ptr<KvmVcpu> kvm_get_vcpu(OnlineKvm& kvm, int i);
void kvm_for_each_vcpu(OnlineKvm& kvm);

}  // namespace vcpucheck::models::kvm
