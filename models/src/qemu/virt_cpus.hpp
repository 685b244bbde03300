// QEMU arm/virt with KVM: every possible vCPU is created in KVM at machine init, the ones not yet
// plugged are parked, and hotplug unparks them, because KVM arm64 refuses KVM_CREATE_VCPU once the
// vgic is initialized (PROTOCOLS.md 1(e); Salil Mehta's RFC V5 05/30, 2024).
//
//   machvirt_init()      for each possible CPU: realize the first smp_cpus; pre-create the rest in
//                        KVM (KVM_CREATE_VCPU, KVM_ARM_VCPU_INIT) and park them; then the GIC
//                        initializes the vgic with every vCPU present
//   kvm_create_vcpu()    unpark by kvm_arch_vcpu_id(), or KVM_CREATE_VCPU
//   device_add/del       realize (create or unpark, start the vCPU thread, VM-state handler) /
//                        unrealize (stop the thread, destroy, park)
// Everything runs under the BQL; a vCPU thread drops it while in KVM_RUN.
#pragma once
#include "models/registry.hpp"
#include "sim/chan.hpp"
#include "sim/heap.hpp"

namespace vcpucheck::models::qemu {

using sim::Execution;
using sim::Ptr;

// KVM's vCPU (what the fd refers to).
struct KvmVcpuFd {
  sim::Field<int> vcpu_id;
  sim::Field<bool> inited;     // KVM_ARM_VCPU_INIT done
  sim::Field<int> runs;        // KVM_RUN count
  explicit KvmVcpuFd(Execution& x) : vcpu_id(x, "vcpu_id", sim::uninit), inited(x, "inited", false), runs(x, "runs", 0) {}
};

// A QOM CPU object in its slot.
struct CpuSlot {
  const int cpu_index;
  const int arch_id;                      // kvm_arch_vcpu_id(): the MPIDR-derived id
  sim::Field<bool> realized;              // [bql]
  sim::Field<Ptr<KvmVcpuFd>> kvm_fd;      // [bql] cpu->kvm_fd
  sim::Field<bool> vmstate_handler;       // [bql] a VM change-state handler is installed
  sim::Field<bool> stop;                  // [bql] the vCPU thread is asked to leave
  sim::ThreadId thread;                   // its vCPU thread, while realized
  CpuSlot(Execution& x, int idx, int arch);
};

struct QemuBugs {
  bool no_precreate = false;           // machvirt_init does not pre-create unplugged vCPUs
  bool park_by_cpu_index = false;      // park with cpu_index as the key, unpark with the arch id
  bool double_park = false;            // unplugging an unplugged CPU parks its fd again
  bool unpark_keeps_entry = false;     // unpark returns the fd but leaves it on the list
  bool vmstate_for_precreated = false; // a VM-state handler is installed for pre-created CPUs too
};

struct Virt : Instance {
  Execution& x;
  QemuBugs bug;
  const int smp_cpus, max_cpus;
  sim::Mutex bql;
  // KVM arm64
  sim::Mutex kvm_lock;                    // kvm->lock
  sim::Field<bool> vgic_initialized;      // [kvm_lock]
  sim::Array<sim::Atomic<Ptr<KvmVcpuFd>>> kvm_vcpus;  // KVM's vCPUs by id
  // QEMU
  std::vector<std::unique_ptr<CpuSlot>> slots;
  struct Parked {
    int key;
    Ptr<KvmVcpuFd> fd;
  };
  std::vector<Parked> parked;             // [bql] KVMState.kvm_parked_vcpus
  sim::Field<int> parked_count;           // [bql] its length, for the log
  sim::Field<bool> machine_ready;         // [bql] machvirt_init finished
  sim::Chan ready_chan;
  std::vector<std::string> errors;        // bookkeeping: device_add failures

  Virt(Execution& x, const Config& c);
  void check_invariants(Execution& x) override;
};

void machvirt_init(Virt& v);
void device_add(Virt& v, int cpu);
void device_del(Virt& v, int cpu);

}  // namespace vcpucheck::models::qemu
