// The "bhyve-ap" model: registration and the invariants checked at the end of every execution.
#include "bhyve/ap_startup.hpp"
#include "models/builtin.hpp"
#include "protocols.hpp"

namespace vcpucheck::models::bhyve {

}  // namespace vcpucheck::models::bhyve

namespace vcpucheck::models {

sim::machine::MachineConfig bhyve_ap_machine_config(const Config& c) {
  namespace mc = sim::machine;
  mc::MachineConfig m;
  m.ncpus = static_cast<int>(c.params.i("maxcpus"));
  m.x2apic = c.params.b("x2apic");
  const bool bc = c.params.b("broadcast");
  m.bsp_program = m.x2apic ? (bc ? "bsp_x2apic_broadcast" : "bsp_x2apic_init_sipi") : (bc ? "bsp_broadcast" : "bsp_init_sipi");
  m.ap_program = "ap_trampoline";
  m.guest_ncpus = static_cast<int>(c.params.i("guest_ncpus") ? c.params.i("guest_ncpus") : c.params.i("ncpus"));
  return m;
}

}  // namespace vcpucheck::models

namespace vcpucheck::models::bhyve {

ApVm::ApVm(Execution& x_, const Config& c)
    : Vm(x_, c),
      apbug{c.bug("rendezvous-all-dmask"), c.bug("compat-calcdest"), c.bug("spinup-off-by-one"),
            c.bug("sipi-ungated"),         c.bug("x2apic-icr-mutex"), c.bug("no-configured-check"),
            c.bug("suspend-plain-store")},
      ipi_exit(!c.params.b("compat")),
      configured(static_cast<int>(c.params.i("ncpus"))),
      m(mc::Machine::for_execution(x_, bhyve_ap_machine_config(c))),
      rendezvous_mtx(x_, "rendezvous_mtx"),
      active_cpus(x_, "active_cpus", 0),
      startup_cpus(x_, "startup_cpus", 0),
      rendezvous_req_cpus(x_, "rendezvous_req_cpus", 0),
      suspend(x_, "suspend", false),
      exits(static_cast<size_t>(maxcpus)),
      start_mtx(x_, "bhyve.start_mtx"),
      start_chan(x_, "bhyve.start"),
      start_rip(static_cast<size_t>(maxcpus), 0),
      starts(static_cast<size_t>(maxcpus)),
      vlapic(std::make_unique<Vlapic>(*this)) {
  m.set_apic_handler(vlapic.get());
}

ApVm::~ApVm() { m.set_apic_handler(nullptr); }

void ApVm::check_invariants(Execution& e) {
  if (destroyed) return;  // destroy may cut a boot short
  bhyve_ap_check_boot(e, starts, configured, maxcpus, m);
}

}  // namespace vcpucheck::models::bhyve

namespace vcpucheck::models {

void bhyve_ap_check_boot(sim::Execution& e, const std::vector<std::vector<uint32_t>>& starts, int configured, int maxcpus,
                         sim::machine::Machine& m) {
  namespace mc = sim::machine;
  // No vCPU beyond the configured ones is started (checked first: the wrong AP starting is the
  // cause when a configured one then never starts).
  for (int i = configured; i < maxcpus; ++i)
    if (!starts[static_cast<size_t>(i)].empty())
      return e.report(sim::ViolationKind::Invariant,
                    "vcpu[" + std::to_string(i) + "] was started, but only " + std::to_string(configured) +
                        " vCPUs are configured",
                    "vcpu[" + std::to_string(i) + "]");
  // Every configured AP started exactly once, at the SIPI address.
  for (int i = 1; i < configured; ++i) {
    const std::string name = "vcpu[" + std::to_string(i) + "]";
    const std::vector<uint32_t>& s = starts[static_cast<size_t>(i)];
    if (s.empty()) return e.report(sim::ViolationKind::Liveness, "AP " + name + " never started", name);
    if (s.size() > 1)
      return e.report(sim::ViolationKind::Invariant, "AP " + name + " was started " + std::to_string(s.size()) + " times", name);
    if (s[0] != mc::kApTrampoline)
      return e.report(sim::ViolationKind::Invariant, "AP " + name + " was started at the wrong address", name);
  }
  const uint32_t count = m.peek32(mc::kStartedCount);
  if (count != static_cast<uint32_t>(configured - 1))
    return e.report(sim::ViolationKind::Invariant,
                  "guest.started_count is " + std::to_string(count) + ", expected " + std::to_string(configured - 1),
                  "guest.started_count");
}

void bhyve_ap_protocol(ModelDef& m) {
  m.params = {
      {"ncpus", ArgType::Int, "vCPUs the VMM configures (the topology)", int64_t{2}},
      {"maxcpus", ArgType::Int, "vm_get_maxcpus(): vCPU slots (and emulated CPUs)", int64_t{3}},
      {"guest_ncpus", ArgType::Int, "how many CPUs the guest tries to start (0: ncpus)", int64_t{0}},
      {"x2apic", ArgType::Bool, "the guest uses x2APIC (ICR writes are WRMSR exits, in a critical section)", false},
      {"broadcast", ArgType::Bool, "the BSP broadcasts INIT and STARTUP to all but itself", false},
      {"compat", ArgType::Bool, "old bhyve (13.1): no IPI exits; APs start on VM_EXITCODE_SPINUP_AP", false},
      {"run_slices", ArgType::Int, "(unused here; VM_RUN runs the guest)", int64_t{2}},
  };
  m.switches = {
      {"rendezvous-all-dmask", "vm_handle_ipi rendezvouses INIT with every target in dmask, not only active ones"},
      {"compat-calcdest", "the compat ICR path uses vlapic_calcdest(), which only returns active vCPUs"},
      {"spinup-off-by-one", "VM_EXITCODE_SPINUP_AP names vcpu CPU_FFS(dmask) instead of CPU_FFS(dmask) - 1"},
      {"sipi-ungated", "a STARTUP is not gated by startup_cpus: every STARTUP starts its targets"},
      {"x2apic-icr-mutex", "the ICR write handler takes rendezvous_mtx (x2APIC: inside a critical section)"},
      {"no-configured-check", "the compat ICR path checks the target against maxcpus only, not the configured vCPUs"},
      {"suspend-plain-store", "vm_suspend() sets vm->suspend with a plain store instead of atomic_cmpset_int (under tso a "
                              "new vCPU can miss both the flag and the notification)"},
  };
  m.validate = [](const Config& c) -> std::pair<std::string, std::string> {
    const int64_t n = c.params.i("ncpus"), max = c.params.i("maxcpus"), g = c.params.i("guest_ncpus");
    if (n < 1 || n > 8) return {"/params/ncpus", "expected 1 to 8"};
    if (max < n || max > 8) return {"/params/maxcpus", "expected ncpus to 8"};
    if (g < 0 || g > max) return {"/params/guest_ncpus", "expected 0 to maxcpus"};
    if (c.params.i("run_slices") < 0 || c.params.i("run_slices") > 64) return {"/params/run_slices", "expected 0 to 64"};
    return {};
  };
}

void register_bhyve_ap_models(Registry& r) {
  using namespace bhyve;
  using X = Execution;
  ModelDef m;
  m.name = "bhyve-ap";
  m.help = "FreeBSD vmm AP startup with lazily allocated vCPUs (D38446): the guest's INIT-SIPI-SIPI through the vlapic";
  bhyve_ap_protocol(m);
  m.ops = {
      op<ApVm>("bhyve", "the bhyve process: activate the vCPUs (new bhyve), run the BSP, start APs as the guest asks", {},
               [](ApVm& vm, X&, const Args&) { bhyve_main(vm); }),
      op<ApVm>("mmap_memseg", "VM_MMAP_MEMSEG: lock every vCPU (running ones are asked to idle) and write the memory map",
               {}, [](ApVm& vm, X&, const Args&) { ioctl_mmap_memseg(vm, 1); }),
      op<ApVm>("destroy", "vm_suspend(VM_SUSPEND_DESTROY), then destroy_dev() and vmmdev_destroy()", {},
               [](ApVm& vm, X&, const Args&) {
                 vm_suspend_destroy(vm);
                 sysctl_vmm_destroy(vm, true);
               }),
  };
  m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
    sim::Scope scope(x, "vm");
    return std::make_shared<ApVm>(x, c);
  };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
