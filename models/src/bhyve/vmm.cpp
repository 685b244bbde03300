// sys/amd64/vmm/vmm.c, as of 98568a005a19: vCPU allocation on first use, vCPU state, VM_RUN's
// state changes, the [v] rule on the memory map, cleanup and the snapshot walk.
#include "bhyve/vmm.hpp"

namespace vcpucheck::models::bhyve {

using namespace vcpucheck::fbsd;  // mtx_lock_spin, sx_xlock, atomic_load_ptr, msleep_spin, wakeup

namespace {

// vcpu->state's allowed edges. Anything else is a reported violation: bhyve returns EBUSY there,
// and no correct path ever asks for one.
//   IDLE ---- lock ----> FROZEN ---- unlock ----> IDLE
//   FROZEN -- vm_run --> RUNNING -- exit -------> FROZEN
//   FROZEN -- hlt -----> SLEEPING - wakeup -----> FROZEN
constexpr bool kTransitions[4][4] = {
    /* from IDLE     */ {false, true, false, false},
    /* from FROZEN   */ {true, false, true, true},
    /* from RUNNING  */ {false, true, false, false},
    /* from SLEEPING */ {false, true, false, false},
};

std::string vcpu_name(const Vcpu& v) { return "vcpu[" + std::to_string(v.vcpuid) + "]"; }

}  // namespace

// vcpu_notify_event_locked(): a running vCPU gets an IPI and exits to check reqidle (the model's
// run loops poll reqidle at every exit, so the IPI itself is implicit); a sleeping one is woken.
void vcpu_notify_event_locked(Vcpu& v) {
  if (v.state.get() == VCPU_SLEEPING) wakeup(&v.hlt_chan);
}

void vcpu_notify_event(Vcpu& v) {
  mtx_lock_spin(&v.mtx);
  vcpu_notify_event_locked(v);
  mtx_unlock_spin(&v.mtx);
}

int vcpu_set_state_locked(Vcpu& v, int newstate, bool from_idle) {
  Execution& x = v.vm->x;
  if (from_idle) {
    // State changes out of IDLE wait for the vCPU to come back to IDLE.
    while (v.state.get() != VCPU_IDLE) {
      v.reqidle.set(1);
      vcpu_notify_event_locked(v);
      (void)msleep_spin(&v.state_chan, &v.mtx, "vmstat", hz);
    }
  } else {
    sim::kassert(x, v.state.get() != VCPU_IDLE, "vcpu_set_state_locked: invalid transition from idle");
  }
  const int from = v.state.get();
  if (!transition_allowed(from, newstate))
    x.fail(sim::ViolationKind::IllegalTransition,
           vcpu_name(v) + ".state: " + vcpu_state_name(from) + " -> " + vcpu_state_name(newstate) +
               " is not an allowed transition",
           sim::Loc::current(), vcpu_name(v) + ".state");
  v.state.set(newstate);
  v.hostcpu.set(newstate == VCPU_RUNNING ? static_cast<int>(x.current().v) : NOCPU);
  if (newstate == VCPU_IDLE && !v.vm->bug.no_idle_wakeup) wakeup(&v.state_chan);
  return 0;
}

namespace {

Ptr<Vcpu> vcpu_alloc(Vm& vm, int vcpuid) {
  sim::kassert(vm.x, vcpuid >= 0 && vcpuid < vm.maxcpus, "vcpu_alloc: invalid vcpu " + std::to_string(vcpuid));
  int previous = 0;
  for (const auto& [id, _] : vm.allocated) previous += id == vcpuid;
  std::string name = "vcpu[" + std::to_string(vcpuid) + "]" + (previous ? "#" + std::to_string(previous + 1) : "");
  // malloc(M_ZERO), vcpu_lock_init, state = IDLE, hostcpu = NOCPU, vcpuid, vm: the constructor.
  Ptr<Vcpu> v = sim::heap_alloc<Vcpu>(vm.x, name, vcpuid, &vm);
  vm.allocated.emplace_back(vcpuid, v);
  return v;
}

void vcpu_init(Vcpu& v) {
  v.cookie.set(0x1000 + static_cast<uint64_t>(v.vcpuid));  // vmmops_vcpu_init()
  v.vlapic.set(0x2000 + static_cast<uint64_t>(v.vcpuid));  // vmmops_vlapic_init()
  v.x2apic_state.set(0);                                   // vm_set_x2apic_state(X2APIC_DISABLED)
  v.reqidle.set(0);
}

void vcpu_cleanup(Vm& vm, Ptr<Vcpu> v) {
  (void)v->vlapic.get();  // vmmops_vlapic_cleanup(vcpu->vlapic)
  (void)v->cookie.get();  // vmmops_vcpu_cleanup(vcpu->cookie)
  v->cookie.set(0);
  sim::heap_free(vm.x, v);  // destroy == true
}

}  // namespace

const char* vcpu_state_name(int s) {
  static const char* names[] = {"IDLE", "FROZEN", "RUNNING", "SLEEPING"};
  return s >= 0 && s < 4 ? names[s] : "?";
}

bool transition_allowed(int from, int to) { return from >= 0 && from < 4 && to >= 0 && to < 4 && kTransitions[from][to]; }

Vcpu::Vcpu(Execution& x, int id, Vm* owner)
    : mtx(x, "mtx", MTX_SPIN),
      state(x, "state", VCPU_IDLE),
      hostcpu(x, "hostcpu", NOCPU),
      reqidle(x, "reqidle", 0),
      cookie(x, "cookie", sim::uninit),
      vlapic(x, "vlapic", sim::uninit),
      x2apic_state(x, "x2apic_state", sim::uninit),
      state_chan(x, "state"),
      hlt_chan(x, "vcpu"),
      vcpuid(id),
      vm(owner) {}

Ptr<Vcpu> vm_vcpu(Vm& vm, int vcpuid) {
  // A plain pointer read in the kernel, safe because the pointer is only dereferenced (address
  // dependency) and a slot never changes once set while the VM lives.
  return atomic_load_ptr(&vm.vcpu.at(vcpuid));
}

Ptr<Vcpu> vm_alloc_vcpu(Vm& vm, int vcpuid) {
  if (vcpuid < 0 || vcpuid >= vm.maxcpus) return nullptr;

  // Unlocked fast path: a vCPU is never freed while the VM is active.
  Ptr<Vcpu> vcpu = atomic_load_ptr(&vm.vcpu.at(vcpuid));
  if (vcpu) return vcpu;

  sx_xlock(&vm.vcpus_init_lock);
  if (!vm.bug.no_recheck) vcpu = vm.vcpu.at(vcpuid).load(Order::Relaxed);
  if (!vcpu && (vm.bug.no_dying || !vm.dying.get())) {
    vcpu = vcpu_alloc(vm, vcpuid);
    const Order publish = vm.bug.plain_publish ? Order::Relaxed : Order::Release;
    if (vm.bug.publish_before_init) vm.vcpu.at(vcpuid).store(vcpu, publish);
    vcpu_init(*vcpu);
    // Ensure the vCPU is fully created before updating the pointer, to permit the unlocked
    // reads above: atomic_store_rel_ptr().
    if (!vm.bug.publish_before_init) vm.vcpu.at(vcpuid).store(vcpu, publish);
  }
  sx_xunlock(&vm.vcpus_init_lock);
  return vcpu;
}

void vm_disable_vcpu_creation(Vm& vm) {
  if (vm.bug.no_dying) return;  // there is no dying flag
  sx_xlock(&vm.vcpus_init_lock);
  vm.dying.set(true);
  sx_xunlock(&vm.vcpus_init_lock);
}

void vm_slock_vcpus(Vm& vm) { sx_slock(&vm.vcpus_init_lock); }
void vm_unlock_vcpus(Vm& vm) { sx_unlock(&vm.vcpus_init_lock); }

int vcpu_set_state(Vcpu& v, int newstate, bool from_idle) {
  mtx_lock_spin(&v.mtx);
  int error = vcpu_set_state_locked(v, newstate, from_idle);
  mtx_unlock_spin(&v.mtx);
  return error;
}

int vcpu_get_state(Vcpu& v) {
  mtx_lock_spin(&v.mtx);
  int s = v.state.get();
  mtx_unlock_spin(&v.mtx);
  return s;
}

int vm_run(Vm& vm, Vcpu& v) {
  (void)v.cookie.get();  // vmmops_run(vcpu->cookie, ...)
  vcpu_set_state(v, VCPU_RUNNING, false);
  for (int slice = 0; slice < vm.run_slices; ++slice) {
    // The guest runs; between slices the run loop checks for a request to idle.
    mtx_lock_spin(&v.mtx);
    const bool idle = v.reqidle.get() != 0;
    if (idle) v.reqidle.set(0);
    mtx_unlock_spin(&v.mtx);
    if (idle) break;  // VM_EXITCODE_REQIDLE: back to userspace
  }
  vcpu_set_state(v, VCPU_FROZEN, false);
  return 0;
}

void vm_cleanup(Vm& vm) {
  for (int i = 0; i < vm.maxcpus; ++i) {
    Ptr<Vcpu> v = vm.vcpu.at(i).load(Order::Relaxed);
    if (!v) continue;
    // I4: destroy froze every vCPU it is about to free.
    if (v->state.peek() != VCPU_FROZEN)
      vm.x.fail(sim::ViolationKind::Invariant,
                "I4: vm_cleanup frees vcpu[" + std::to_string(i) + "] while it is " +
                    vcpu_state_name(v->state.peek()) + ": destroy's lock-all never froze it",
                sim::Loc::current(), "vcpu[" + std::to_string(i) + "]");
    vcpu_cleanup(vm, v);
  }
}

int vm_snapshot_vcpus(Vm& vm) {
  for (int i = 0; i < vm.maxcpus; ++i) {
    Ptr<Vcpu> v = atomic_load_ptr(&vm.vcpu.at(i));
    if (!v && !vm.bug.snapshot_no_null_skip) continue;
    (void)v->x2apic_state.get();  // SNAPSHOT_VAR_OR_LEAVE(vcpu->x2apic_state, ...)
    (void)v->cookie.get();        // vmmops_vcpu_snapshot(vcpu->cookie, ...)
  }
  return 0;
}

namespace {
std::string not_frozen(Vm& vm, bool need_all) {
  // [v]: which allocated vCPU breaks the rule, if any (a check, not a kernel access).
  std::string first_bad;
  int frozen = 0;
  for (int i = 0; i < vm.maxcpus; ++i) {
    const Ptr<Vcpu>& v = vm.vcpu.peek(static_cast<size_t>(i)).peek();
    if (!v) continue;
    if (v->state.peek() == VCPU_FROZEN)
      ++frozen;
    else if (first_bad.empty())
      first_bad = "vcpu[" + std::to_string(i) + "] is " + vcpu_state_name(v->state.peek());
  }
  if (need_all) return first_bad;
  return frozen ? std::string() : "no vCPU is frozen";
}
}  // namespace

uint64_t mem_maps_read(Vm& vm, const sim::Loc& loc) {
  uint64_t v = vm.mem_maps.get(loc);
  if (std::string why = not_frozen(vm, false); !why.empty())
    vm.x.fail(sim::ViolationKind::LockingRule, "vm.mem_maps [v] read needs one frozen vCPU, but " + why, loc, "vm.mem_maps");
  return v;
}

void mem_maps_write(Vm& vm, uint64_t value, const sim::Loc& loc) {
  vm.mem_maps.set(value, loc);
  if (std::string why = not_frozen(vm, true); !why.empty())
    vm.x.fail(sim::ViolationKind::LockingRule, "vm.mem_maps [v] written while " + why + " (writes need every vCPU frozen)",
              loc, "vm.mem_maps");
}

}  // namespace vcpucheck::models::bhyve
