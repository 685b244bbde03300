// sys/amd64/vmm/vmm.c, after D38446: vm_handle_ipi(), the INIT rendezvous, startup_cpus, VM_RUN's
// loop around the guest (HLT, requests to idle, suspend), and bhyve's userspace vCPU threads.
#include "bhyve/ap_startup.hpp"

namespace vcpucheck::models::bhyve {

using mc::DeliveryMode;

namespace {

// vm_smp_rendezvous(vcpu, dest, vlapic_handle_init): notify every target, then run the handler
// for each. The model runs each target's handler on the initiator's behalf, as vcpu_set_state_all
// does for idle vCPUs.
void vm_smp_rendezvous(ApVm& vm, CpuSet dest) {
  mtx_lock(&vm.rendezvous_mtx);
  vm.rendezvous_req_cpus.set(dest);
  mtx_unlock(&vm.rendezvous_mtx);
  for (int i = 0; i < vm.maxcpus; ++i)
    if (dest >> i & 1) vcpu_notify_event(*vm_vcpu(vm, i).deref());  // vm_vcpu() must not be NULL here
  for (int i = 0; i < vm.maxcpus; ++i)
    if (dest >> i & 1) vm.m.cpu(i).lapic().reset();  // vlapic_handle_init(): vlapic_reset()
  mtx_lock(&vm.rendezvous_mtx);
  vm.rendezvous_req_cpus.set(0);  // every target done
  mtx_unlock(&vm.rendezvous_mtx);
}

// vm_await_start(): INIT targets now wait for STARTUP.
void vm_await_start(ApVm& vm, CpuSet mask) {
  mtx_lock(&vm.rendezvous_mtx);
  vm.startup_cpus.set(vm.startup_cpus.get() | mask);
  mtx_unlock(&vm.rendezvous_mtx);
}

// vm_start_cpus(): the STARTUP targets that were waiting for one; "ignore SIPIs in any state
// other than wait-for-SIPI".
CpuSet vm_start_cpus(ApVm& vm, CpuSet tostart) {
  mtx_lock(&vm.rendezvous_mtx);
  const CpuSet waiting = vm.startup_cpus.get();
  const CpuSet set = vm.apbug.sipi_ungated ? tostart : (waiting & tostart);
  vm.startup_cpus.set(waiting & ~set);
  mtx_unlock(&vm.rendezvous_mtx);
  return set;
}

// vm_handle_hlt(): sleep until an interrupt is pending, or vCPU has to leave for userspace.
void vm_handle_hlt(ApVm& vm, Vcpu& v, mc::Cpu& cpu) {
  mtx_lock_spin(&v.mtx);
  vcpu_set_state_locked(v, VCPU_SLEEPING, false);
  while (!cpu.lapic().irr_pending() && !v.reqidle.get() && !vm.suspend.load(sim::Order::Acquire))
    v.hlt_chan.sleep(v.mtx, {.idle = true});
  vcpu_set_state_locked(v, VCPU_FROZEN, false);
  mtx_unlock_spin(&v.mtx);
}

}  // namespace

int vm_handle_ipi(ApVm& vm, int, VmExit& e, bool& retu) {
  switch (e.mode) {
    case DeliveryMode::Init: {
      // Reinitialize only vCPUs that exist: vm_alloc_vcpu() initializes the rest later anyway.
      const CpuSet reinit = vm.apbug.rendezvous_all_dmask ? e.dmask : (vm.active_cpus.load(sim::Order::Acquire) & e.dmask);
      if (reinit) vm_smp_rendezvous(vm, reinit);
      vm_await_start(vm, e.dmask);
      if (!vm.ipi_exit) retu = false;  // compat: the BSP goes on
      return 0;
    }
    case DeliveryMode::Startup: {
      const CpuSet set = vm_start_cpus(vm, e.dmask);
      if (!set) {
        retu = false;
        return 0;
      }
      e.dmask = set;
      if (!vm.ipi_exit) {  // old bhyve: VM_EXITCODE_SPINUP_AP, one vCPU at a time
        e.code = EXIT_SPINUP_AP;
        const int first = __builtin_ffs(static_cast<int>(set));  // CPU_FFS is 1-based
        e.spinup_vcpu = vm.apbug.spinup_off_by_one ? first : first - 1;
        e.rip = uint32_t(e.vector) << 12;
      }
      return 0;
    }
    default:
      sim::panic(vm.x, "vm_handle_ipi: unexpected delivery mode");
  }
}

VmExit vm_run_guest(ApVm& vm, int vcpuid) {
  Ptr<Vcpu> v = vm_vcpu(vm, vcpuid);
  mc::Cpu& cpu = vm.m.cpu(vcpuid);
  (void)v->cookie.get();  // vmmops_run(vcpu->cookie, ...)
  for (;;) {
    mtx_lock_spin(&v->mtx);
    const bool idle = v->reqidle.get() != 0;
    if (idle) v->reqidle.set(0);
    mtx_unlock_spin(&v->mtx);
    if (idle) return VmExit{EXIT_REQIDLE};
    if (vm.suspend.load(sim::Order::Acquire)) return VmExit{EXIT_SUSPENDED};

    VmExit& e = vm.exits[static_cast<size_t>(vcpuid)];
    e = VmExit{};
    vcpu_set_state(*v, VCPU_RUNNING, false);
    const mc::CoreExit ce = vmrun(cpu);
    vcpu_set_state(*v, VCPU_FROZEN, false);
    if (ce == mc::CoreExit::Halt) {
      vm_handle_hlt(vm, *v, cpu);
    } else if (ce == mc::CoreExit::Exit && e.code == EXIT_IPI) {
      bool retu = true;
      vm_handle_ipi(vm, vcpuid, e, retu);
      if (retu) return e;
    }
  }
}

void vm_suspend_destroy(ApVm& vm) {
  // atomic_cmpset_int(&vm->suspend, 0, how), as vm_suspend() does: a locked cmpxchg, a full
  // barrier on x86. With a plain store the store-buffering pair (suspend; read vcpu[i]) against
  // (publish vcpu[i]; read suspend) loses the notification under x86-TSO: the new vCPU sleeps
  // in HLT for good while the destroyer waits for it.
  if (vm.apbug.suspend_plain_store) {
    vm.suspend.store(true, sim::Order::Release);
  } else {
    bool was = false;
    if (!vm.suspend.compare_exchange(was, true, sim::Order::AcqRel)) return;  // EALREADY
  }
  for (int i = 0; i < vm.maxcpus; ++i)
    if (Ptr<Vcpu> v = vm_vcpu(vm, i)) vcpu_notify_event(*v);
}

namespace {

// VM_ACTIVATE_CPU: allocate the vCPU on first use and mark it active (CPU_SET_ATOMIC). Returns
// false when the VM is being destroyed (ENXIO): bhyve then exits.
bool vm_activate_cpu(ApVm& vm, int id) {
  if (!devfs_enter(vm)) return false;
  const bool ok = static_cast<bool>(vm_alloc_vcpu(vm, id));
  CpuSet old = vm.active_cpus.load(sim::Order::Relaxed);
  while (ok && !vm.active_cpus.compare_exchange(old, old | (CpuSet(1) << id), sim::Order::AcqRel)) {
  }
  devfs_exit(vm);
  if (!ok && !vm.dying.peek()) sim::panic(vm.x, "bhyve: vm_activate_cpu(" + std::to_string(id) + ") failed");
  return ok;
}

// Userspace: start `id` at `rip`. Old bhyve creates its thread now (fbsdrun_addcpu); new bhyve
// wakes the thread it created at boot.
void spinup_ap(ApVm& vm, int id, uint32_t rip) {
  if (id < 0 || id >= vm.maxcpus) sim::panic(vm.x, "bhyve: spinup_ap: vcpu " + std::to_string(id) + " out of range");
  // The start invariants, checked when a start happens (the end-of-execution check may never
  // come: two threads running one vCPU can livelock).
  const std::string name = "vcpu[" + std::to_string(id) + "]";
  if (id >= vm.configured)
    vm.x.fail(sim::ViolationKind::Invariant,
              name + " is being started, but only " + std::to_string(vm.configured) + " vCPUs are configured",
              sim::Loc::current(), name);
  if (!vm.starts[static_cast<size_t>(id)].empty())
    vm.x.fail(sim::ViolationKind::Invariant, "AP " + name + " is being started a second time", sim::Loc::current(), name);
  vm.starts[static_cast<size_t>(id)].push_back(rip);
  if (!vm.ipi_exit) {
    if (!vm_activate_cpu(vm, id)) return;
    vm.x.spawn("vcpu" + std::to_string(id), [&vm, id, rip] {
      vm.m.cpu(id).core().start_real_mode(rip);
      bhyve_vcpu_thread(vm, id);
    });
    return;
  }
  vm.start_mtx.lock();
  vm.start_rip[static_cast<size_t>(id)] = rip;
  vm.start_chan.wakeup();
  vm.start_mtx.unlock();
}

uint32_t wait_for_start(ApVm& vm, int id) {
  vm.start_mtx.lock();
  while (vm.start_rip[static_cast<size_t>(id)] == 0) vm.start_chan.sleep(vm.start_mtx, {.idle = true});
  const uint32_t rip = vm.start_rip[static_cast<size_t>(id)];
  vm.start_mtx.unlock();
  return rip;
}

}  // namespace

void bhyve_vcpu_thread(ApVm& vm, int id) {
  for (;;) {
    VmExit e;
    const int error = with_vcpu_locked(vm, id, [&](Vcpu&) {
      e = vm_run_guest(vm, id);
      return 0;
    });
    if (error) return;  // the device is gone
    switch (e.code) {
      case EXIT_SPINUP_AP:
        spinup_ap(vm, e.spinup_vcpu, e.rip);
        break;
      case EXIT_IPI:  // new bhyve: STARTUP targets are resumed at the vector's address
        if (e.mode == DeliveryMode::Startup)
          for (int i = 0; i < vm.maxcpus; ++i)
            if (e.dmask >> i & 1) spinup_ap(vm, i, uint32_t(e.vector) << 12);
        break;
      case EXIT_SUSPENDED:
        return;
      case EXIT_REQIDLE:
        // Fairness, made explicit: bhyve runs again at once, and a scheduler lets the lock-all
        // caller that asked for the idle vCPU get it first. Without this, an unfair schedule (the
        // vCPU re-freezing itself before the waiter runs, forever) would be the first one
        // explored. The model waits until no lock-all holds vcpus_init_lock.
        sx_xlock(&vm.vcpus_init_lock);
        sx_xunlock(&vm.vcpus_init_lock);
        break;
      default:
        break;
    }
  }
}

// bhyve's main(): new bhyve activates every configured vCPU and creates its thread, then runs
// the BSP; old bhyve runs the BSP alone.
void bhyve_main(ApVm& vm) {
  if (vm.ipi_exit)
    for (int i = 1; i < vm.configured; ++i) {
      if (!vm_activate_cpu(vm, i)) return;
      vm.x.spawn("vcpu" + std::to_string(i), [&vm, i] {
        const uint32_t rip = wait_for_start(vm, i);
        vm.m.cpu(i).core().start_real_mode(rip);
        bhyve_vcpu_thread(vm, i);
      });
    }
  if (!vm_activate_cpu(vm, 0)) return;
  vm.m.cpu(0).core().start_real_mode(vm.m.bsp_entry());
  bhyve_vcpu_thread(vm, 0);
}

}  // namespace vcpucheck::models::bhyve
