// bhyve's AP startup with lazily allocated vCPUs, after D38446 ("vmm: Fix AP startup
// compatibility", b265a2e0d764), running real guest code on the emulated machine.
//
// The BSP's guest program writes the ICR (xAPIC MMIO, or x2APIC WRMSR inside a critical section);
// the vlapic's ICR write handler decodes it and, for INIT and STARTUP, exits with VM_EXITCODE_IPI;
// vm_handle_ipi() then rendezvouses with active targets for INIT and records them in
// startup_cpus, and takes STARTUP targets out of startup_cpus. New bhyve (IPI exits on) gets the
// STARTUP targets in userspace and resumes their threads; old bhyve (13.1) gets
// VM_EXITCODE_SPINUP_AP and allocates, activates and starts the AP's thread itself.
//
// Kept from vmm.c: vm_alloc_vcpu(), vcpu state and locking (vmm.hpp); lock-all and destroy can
// run concurrently with a boot.
#pragma once
#include "bhyve/vmm.hpp"
#include "sim/machine/machine.hpp"

namespace vcpucheck::models::bhyve {

namespace mc = sim::machine;
using CpuSet = uint32_t;

struct ApBugs {
  bool rendezvous_all_dmask = false;  // INIT rendezvous over dmask, not active & dmask
  bool compat_calcdest = false;       // the compat path uses vlapic_calcdest(): inactive APs are missed
  bool spinup_off_by_one = false;     // SPINUP_AP names vcpu CPU_FFS(dmask), not CPU_FFS(dmask) - 1
  bool sipi_ungated = false;          // STARTUP does not consume startup_cpus
  bool x2apic_icr_mutex = false;      // the ICR handler takes rendezvous_mtx (inside a critical section for x2APIC)
  bool no_configured_check = false;   // the compat path bounds the target by maxcpus only
  bool suspend_plain_store = false;   // vm_suspend() sets vm->suspend with a plain store (no locked cmpxchg)
};

enum ExitCode { EXIT_NONE, EXIT_IPI, EXIT_SPINUP_AP, EXIT_HLT, EXIT_REQIDLE, EXIT_SUSPENDED };

// What VM_RUN returns to userspace (struct vm_exit).
struct VmExit {
  ExitCode code = EXIT_NONE;
  mc::DeliveryMode mode = mc::DeliveryMode::Fixed;
  uint8_t vector = 0;
  CpuSet dmask = 0;
  int spinup_vcpu = -1;
  uint32_t rip = 0;
};

class Vlapic;

struct ApVm : Vm {
  ApBugs apbug;
  const bool ipi_exit;      // new bhyve: VM_CAP_IPI_EXIT
  const int configured;     // vCPUs the VMM configured (the topology)
  mc::Machine& m;
  fbsd::mtx rendezvous_mtx;
  sim::Atomic<CpuSet> active_cpus;   // CPU_SET_ATOMIC
  sim::Field<CpuSet> startup_cpus;   // [rendezvous_mtx] waiting for STARTUP
  sim::Field<CpuSet> rendezvous_req_cpus;  // [rendezvous_mtx] targets of the rendezvous in progress
  sim::Atomic<bool> suspend;         // vm_suspend(VM_SUSPEND_DESTROY)
  std::vector<VmExit> exits;         // per vCPU: the exit being handled (owned by that vCPU's thread)
  // Userspace: an AP's thread waits here for the startup address (new bhyve).
  sim::Mutex start_mtx;
  sim::Chan start_chan;
  std::vector<uint32_t> start_rip;   // [start_mtx] 0 = not told to start
  std::vector<std::vector<uint32_t>> starts;  // bookkeeping: each time userspace started a vCPU, and where
  std::unique_ptr<Vlapic> vlapic;             // installed as the machine's APIC for this execution

  ApVm(Execution& x, const Config& c);
  ~ApVm() override;
  void check_invariants(Execution& x) override;
};

// The vlapic (sys/amd64/vmm/io/vlapic.c): the guest's local APIC as bhyve emulates it.
class Vlapic final : public mc::ApicHandler {
 public:
  explicit Vlapic(ApVm& vm) : vm_(vm) {}
  // An ICR write: bhyve's handler instead of hardware delivery. x2APIC ICR writes are WRMSR
  // exits, handled inside a critical section.
  void send_ipi(mc::Cpu& c, const mc::Icr& icr) override;

 private:
  void icrlo_write_handler(mc::Cpu& c, const mc::Icr& icr);
  ApVm& vm_;
};

CpuSet vlapic_calcdest(ApVm& vm, const mc::Icr& icr, int self);
int vm_handle_ipi(ApVm& vm, int vcpuid, VmExit& exit, bool& retu);
// The kernel side of VM_RUN with the guest: runs the vCPU's core until userspace has to act.
VmExit vm_run_guest(ApVm& vm, int vcpuid);
// vmmops_run's VMRUN: guest mode inside a critical section, as vmx_run enters it.
inline sim::machine::CoreExit vmrun(sim::machine::Cpu& cpu) {
  fbsd::critical_enter();
  const sim::machine::CoreExit e = cpu.run_guest();
  fbsd::critical_exit();
  return e;
}
// Userspace: a vCPU thread (fbsdrun_start_thread + vm_loop), and bhyve's main().
void bhyve_vcpu_thread(ApVm& vm, int vcpuid);
void bhyve_main(ApVm& vm);
void vm_suspend_destroy(ApVm& vm);

}  // namespace vcpucheck::models::bhyve
