// bhyve-c.ap: the harness of the C AP-startup model (vmm_ipi.c, vlapic.c over vmm.c) on the
// emulated machine -- the C++ "bhyve-ap" model's parameters, bug switches and operations. The
// kernel is C; what runs here is bhyve's userspace (its vCPU threads and main), as the C++
// model's vm_ipi.cpp has it, calling the C ioctls.
#include <vector>

#include "models/builtin.hpp"
#include "protocols.hpp"
#include "sim/c/machine.hpp"
#include "sim/c/world.hpp"
#include "sim/chan.hpp"
#include "vmm.h"

#include "../../../sim/c/shim/vcpucheck/machine.h"

namespace vcpucheck::models {

namespace {

namespace mc = sim::machine;
using sim::c::call;

struct ApC : Instance {
  sim::Execution& x;
  sim::c::World c;
  const int configured, maxcpus;
  const bool ipi_exit;
  mc::Machine& m;
  struct vm* vm;
  sim::c::MachineBinding bind;
  // Userspace: an AP's thread waits here for its start address (new bhyve).
  sim::Mutex start_mtx;
  sim::Chan start_chan;
  std::vector<uint32_t> start_rip;            // [start_mtx] 0 = not told to start
  std::vector<std::vector<uint32_t>> starts;  // bookkeeping: each start of a vCPU, and where
  bool destroying = false, destroyed = false;  // bookkeeping: the destroy operation began, ended

  ApC(sim::Execution& e, const Config& cfg)
      : x(e),
        c(e, cfg.switches),
        configured(static_cast<int>(cfg.params.i("ncpus"))),
        maxcpus(static_cast<int>(cfg.params.i("maxcpus"))),
        ipi_exit(!cfg.params.b("compat")),
        m(mc::Machine::for_execution(e, bhyve_ap_machine_config(cfg))),
        vm(vm_create_ap(maxcpus, configured, ipi_exit ? 1 : 0)),
        bind(m, vlapic_icr_write, vm),
        start_mtx(e, "bhyve.start_mtx"),
        start_chan(e, "bhyve.start"),
        start_rip(static_cast<size_t>(maxcpus), 0),
        starts(static_cast<size_t>(maxcpus)) {}

  // VM_ACTIVATE_CPU; false when the VM is being destroyed (bhyve then exits). It fails only
  // then: the device is gone (ENXIO) or creation is disabled (EINVAL).
  bool activate(int id) {
    const int error = call([&] { return vm_activate_cpu(vm, id); });
    if (error && !destroying) sim::panic(x, "bhyve: vm_activate_cpu(" + std::to_string(id) + ") failed");
    return error == 0;
  }

  // Start `id` at `rip`: old bhyve creates its thread now (fbsdrun_addcpu); new bhyve wakes the
  // thread it created at boot. The start invariants are checked when a start happens.
  void spinup_ap(int id, uint32_t rip) {
    if (id < 0 || id >= maxcpus) sim::panic(x, "bhyve: spinup_ap: vcpu " + std::to_string(id) + " out of range");
    const std::string name = "vcpu[" + std::to_string(id) + "]";
    if (id >= configured)
      x.fail(sim::ViolationKind::Invariant,
             name + " is being started, but only " + std::to_string(configured) + " vCPUs are configured", sim::Loc::current(),
             name);
    if (!starts[static_cast<size_t>(id)].empty())
      x.fail(sim::ViolationKind::Invariant, "AP " + name + " is being started a second time", sim::Loc::current(), name);
    starts[static_cast<size_t>(id)].push_back(rip);
    if (!ipi_exit) {
      if (!activate(id)) return;
      x.spawn("vcpu" + std::to_string(id), [this, id, rip] {
        call([&] { vcpucheck_cpu_start(id, rip); });
        vcpu_thread(id);
      });
      return;
    }
    start_mtx.lock();
    start_rip[static_cast<size_t>(id)] = rip;
    start_chan.wakeup();
    start_mtx.unlock();
  }

  uint32_t wait_for_start(int id) {
    start_mtx.lock();
    while (start_rip[static_cast<size_t>(id)] == 0) start_chan.sleep(start_mtx, {.idle = true});
    const uint32_t rip = start_rip[static_cast<size_t>(id)];
    start_mtx.unlock();
    return rip;
  }

  // fbsdrun_start_thread + vm_loop.
  void vcpu_thread(int id) {
    for (;;) {
      vm_exit e{};
      if (call([&] { return vmmdev_ioctl_run_guest(vm, id, &e); })) return;  // the device is gone
      switch (e.code) {
        case VM_EXIT_SPINUP_AP: spinup_ap(e.spinup_vcpu, e.rip); break;
        case VM_EXIT_IPI:  // new bhyve: STARTUP targets are resumed at the vector's address
          if (e.mode == VCPUCHECK_APIC_STARTUP)
            for (int i = 0; i < maxcpus; ++i)
              if (e.dmask >> i & 1) spinup_ap(i, uint32_t(e.vector) << 12);
          break;
        case VM_EXIT_SUSPENDED: return;
        case VM_EXIT_REQIDLE: call([&] { vm_reqidle_yield(vm); }); break;
        default: break;
      }
    }
  }

  // bhyve's main(): new bhyve activates every configured vCPU and creates its thread, then runs
  // the BSP; old bhyve runs the BSP alone.
  void main() {
    if (ipi_exit)
      for (int i = 1; i < configured; ++i) {
        if (!activate(i)) return;
        x.spawn("vcpu" + std::to_string(i), [this, i] {
          const uint32_t rip = wait_for_start(i);
          call([&] { vcpucheck_cpu_start(i, rip); });
          vcpu_thread(i);
        });
      }
    if (!activate(0)) return;
    call([&] { vcpucheck_cpu_start(0, vcpucheck_bsp_entry()); });
    vcpu_thread(0);
  }

  void check_invariants(sim::Execution& e) override {
    if (!destroyed) bhyve_ap_check_boot(e, starts, configured, maxcpus, m);  // destroy may cut a boot short
  }
};

}  // namespace

void register_bhyve_c_ap_models(Registry& r) {
  using X = sim::Execution;
  ModelDef m;
  m.name = "bhyve-c.ap";
  m.help = "bhyve-ap as kernel C (models/c/bhyve/vmm_ipi.c, vlapic.c: the machine's ICR handler) under the TSan-hook runtime";
  bhyve_ap_protocol(m);  // the C++ model's parameters and switches
  m.ops = {
      op<ApC>("bhyve", "the bhyve process: activate the vCPUs (new bhyve), run the BSP, start APs as the guest asks", {},
              [](ApC& a, X&, const Args&) { a.main(); }),
      op<ApC>("mmap_memseg", "VM_MMAP_MEMSEG: lock every vCPU (running ones are asked to idle) and write the memory map", {},
              [](ApC& a, X&, const Args&) { (void)call([&] { return vmmdev_ioctl_all(a.vm, 0); }); }),
      op<ApC>("destroy", "vm_suspend(VM_SUSPEND_DESTROY), then destroy_dev() and vmmdev_destroy()", {},
              [](ApC& a, X&, const Args&) {
                a.destroying = true;
                call([&] {
                  vm_suspend_destroy(a.vm);
                  sysctl_vmm_destroy(a.vm, 1);
                });
                a.destroyed = true;
              }),
  };
  m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
    sim::Scope scope(x, "vm");
    return std::make_shared<ApC>(x, c);
  };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
