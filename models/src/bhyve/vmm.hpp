// FreeBSD bhyve's vmm(4) vCPU lifecycle after "vmm: Allocate vCPUs on first use of a vCPU"
// (98568a005a19, D37174): lazily allocated vCPUs, the vcpus_init_lock that serializes their
// creation, lock-all ioctls, and destroy.
//
// The structures mirror sys/amd64/vmm/vmm.c. Each shared field carries bhyve's annotation, and
// the ones that can be checked are checked on every access:
//   (o) initialized once, then read-only      (i) set by vcpu_init()
//   (x) [vcpus_init_lock] creation is serialized by the sx; reads of a slot may be unlocked
//   [v] vm.mem_maps: reads need one frozen vCPU, writes need every vCPU frozen
//
// Each bug switch (see kSwitches in bhyve_model.cpp) removes one piece of the protocol; the
// model reads them as plain booleans so a path reads like the kernel code with one `if`.
#pragma once
#include <cerrno>
#include <memory>
#include <vector>

#include "models/registry.hpp"
#include "sim/chan.hpp"
#include "sim/freebsd.hpp"
#include "sim/heap.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::models::bhyve {

using sim::Execution;
using sim::Ptr;

// vcpu->state. Only the edges in kTransitions may ever be taken; the ioctl paths "lock" a vCPU
// by moving it IDLE -> FROZEN.
enum VcpuState : int { VCPU_IDLE, VCPU_FROZEN, VCPU_RUNNING, VCPU_SLEEPING };
const char* vcpu_state_name(int s);
bool transition_allowed(int from, int to);

constexpr int NOCPU = -1;
// errno values come from <cerrno> (EINVAL, EBUSY, ENXIO), as in the kernel.

struct Bugs {
  bool lockall_no_sx = false;        // vcpu_lock_all does not take vcpus_init_lock
  bool no_recheck = false;           // vm_alloc_vcpu does not re-read the slot under the xlock
  bool publish_before_init = false;  // the slot is stored before vcpu_init()
  bool plain_publish = false;        // the slot is stored without release semantics
  bool no_dying = false;             // creation does not stop once destroy begins
  bool destroy_freezes_early = false;  // destroy freezes the vCPUs unlocked, before disabling creation
  bool snapshot_no_null_skip = false;  // the snapshot walk dereferences NULL slots
  bool no_idle_wakeup = false;         // no wakeup(&vcpu->state) when a vCPU goes IDLE
};

struct Vm;

struct Vcpu {
  fbsd::mtx mtx;             // vcpu_lock() (MTX_SPIN): protects state, hostcpu, reqidle
  sim::Field<int> state;     // [mtx]
  sim::Field<int> hostcpu;   // [mtx]
  sim::Field<int> reqidle;   // (i) [mtx] request the vCPU to idle
  sim::Field<uint64_t> cookie;      // (i) vmmops_vcpu_init()'s handle; must never be seen unset
  sim::Field<uint64_t> vlapic;      // (i) vmmops_vlapic_init()'s handle
  sim::Field<int> x2apic_state;     // (i)
  sim::Chan state_chan;      // &vcpu->state: msleep_spin()/wakeup() channel
  sim::Chan hlt_chan;        // vcpu: where vm_handle_hlt() sleeps
  const int vcpuid;          // (o)
  Vm* const vm;              // (o)

  Vcpu(Execution& x, int id, Vm* owner);
};

struct Vm : Instance {
  Execution& x;
  Bugs bug;
  const int maxcpus;                           // (o)
  const int run_slices;                        // guest time slices per VM_RUN
  fbsd::sx vcpus_init_lock;                    // (o)
  sim::Field<bool> dying;                      // (o) [vcpus_init_lock] set once destroy begins
  sim::Array<sim::Atomic<Ptr<Vcpu>>> vcpu;     // (x) NULL until first use
  sim::Field<uint64_t> mem_maps;               // [v] stands for the guest memory map
  // The cdev (struct vmmdev_softc): in-flight ioctls hold dev_ref shared; destroy_dev() takes it
  // exclusively, which waits for them, and marks the device gone.
  fbsd::sx dev_ref;
  sim::Field<bool> cdev_gone;                  // [dev_ref]
  bool destroyed = false;                      // bookkeeping for the end-of-execution invariants
  std::vector<std::pair<int, Ptr<Vcpu>>> allocated;  // every vcpu_alloc(), in order (bookkeeping)

  Vm(Execution& x, const Config& c);
  void check_invariants(Execution& x) override;
};

// --- vmm.c ----------------------------------------------------------------------------------
Ptr<Vcpu> vm_vcpu(Vm& vm, int vcpuid);               // unlocked read of a slot (may be NULL)
Ptr<Vcpu> vm_alloc_vcpu(Vm& vm, int vcpuid);         // create on first use
void vm_disable_vcpu_creation(Vm& vm);
void vm_slock_vcpus(Vm& vm);
void vm_unlock_vcpus(Vm& vm);
int vcpu_set_state(Vcpu& v, int newstate, bool from_idle);
int vcpu_set_state_locked(Vcpu& v, int newstate, bool from_idle);
void vcpu_notify_event_locked(Vcpu& v);   // wake a sleeping vCPU (a running one polls reqidle)
void vcpu_notify_event(Vcpu& v);
int vcpu_get_state(Vcpu& v);
int vm_run(Vm& vm, Vcpu& v);                         // FROZEN -> RUNNING -> FROZEN, honouring reqidle
void vm_cleanup(Vm& vm);                             // frees every vCPU (destroy = true)
int vm_snapshot_vcpus(Vm& vm);                       // walks vcpu[] (under lock-all)
uint64_t mem_maps_read(Vm& vm, const sim::Loc& loc = sim::Loc::current());
void mem_maps_write(Vm& vm, uint64_t v, const sim::Loc& loc = sim::Loc::current());

// --- vmm_dev.c ------------------------------------------------------------------------------
bool devfs_enter(Vm& vm);  // false once destroy_dev() made the device go away (ENXIO)
void devfs_exit(Vm& vm);
int vcpu_lock_one(Vcpu& v);
void vcpu_unlock_one(Vm& vm, int vcpuid, Vcpu& v);
int vcpu_lock_all(Vm& vm);
void vcpu_unlock_all(Vm& vm);
int ioctl_vcpu(Vm& vm, int vcpuid, bool read_mem_maps);  // a per-vCPU ioctl (VM_GET_REGISTER...)
int ioctl_run(Vm& vm, int vcpuid);                       // VM_RUN
int ioctl_mmap_memseg(Vm& vm, uint64_t map);             // a lock-all ioctl writing [v] state
int ioctl_snapshot(Vm& vm);                              // VM_SNAPSHOT_REQ (lock-all)
void vmmdev_destroy(Vm& vm);
void sysctl_vmm_destroy(Vm& vm, bool drain);             // destroy_dev() (drain), then vmmdev_destroy
Ptr<Vcpu> kernel_alloc_vcpu(Vm& vm, int vcpuid);         // a thread inside vm_alloc_vcpu only

// vmmdev_ioctl()'s frame for ioctls that lock one vCPU (vcpus_locked = SINGLE): allocate it on
// first use, freeze it, run the ioctl's body, thaw it.
template <class Body>
int with_vcpu_locked(Vm& vm, int vcpuid, Body body) {
  if (!devfs_enter(vm)) return ENXIO;
  int error = 0;
  Ptr<Vcpu> v = vm_alloc_vcpu(vm, vcpuid);
  if (!v) {
    error = EINVAL;
  } else if ((error = vcpu_lock_one(*v)) == 0) {
    error = body(*v);
    vcpu_unlock_one(vm, vcpuid, *v);
  }
  devfs_exit(vm);
  return error;
}

// ... and for ioctls that lock every vCPU (vcpus_locked = ALL).
template <class Body>
int with_all_locked(Vm& vm, Body body) {
  if (!devfs_enter(vm)) return ENXIO;
  int error = vcpu_lock_all(vm);
  if (error == 0) {
    error = body();
    vcpu_unlock_all(vm);
  }
  devfs_exit(vm);
  return error;
}

}  // namespace vcpucheck::models::bhyve
