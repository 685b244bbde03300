// sys/amd64/vmm/io/vlapic.c: the ICR write handler and destination calculation.
#include "bhyve/ap_startup.hpp"

namespace vcpucheck::models::bhyve {

using mc::DeliveryMode;
using mc::Shorthand;

// vlapic_calcdest(): the destination set among ACTIVE vCPUs only. APIC ID = vcpuid.
CpuSet vlapic_calcdest(ApVm& vm, const mc::Icr& icr, int self) {
  const CpuSet active = vm.active_cpus.load(sim::Order::Acquire);
  switch (icr.shorthand) {
    case Shorthand::Self: return CpuSet(1) << self;
    case Shorthand::AllIncludingSelf: return active;
    case Shorthand::AllExcludingSelf: return active & ~(CpuSet(1) << self);
    case Shorthand::None: break;
  }
  const uint32_t broadcast = icr.x2apic ? 0xFFFFFFFFu : 0xFFu;
  if (icr.dest == broadcast) return active;
  if (icr.logical) return 0;  // the guests here use physical destinations
  return icr.dest < 32 ? active & (CpuSet(1) << icr.dest) : 0;
}

void Vlapic::icrlo_write_handler(mc::Cpu& c, const mc::Icr& icr) {
  const int self = c.index();
  if (!mc::icr_invalid_reason(icr).empty()) return;  // !vlapic_is_icr_valid(): ignore
  if (icr.mode != DeliveryMode::Init && icr.mode != DeliveryMode::Startup) {
    ApicHandler::send_ipi(c, icr);  // fixed: vlapic_set_intr_ready() on each target
    return;
  }
  CpuSet dmask = vlapic_calcdest(vm_, icr, self);
  CpuSet ipimask;
  if (!vm_.ipi_exit) {
    // Compat (old bhyve): target the APIC ID directly, so inactive and even unallocated vCPUs
    // can be started.
    if (vm_.apbug.compat_calcdest) {
      ipimask = dmask;
    } else {
      if (icr.logical || icr.shorthand != Shorthand::None) return;
      const uint32_t i = icr.dest;  // vm_apicid2vcpuid(): identity
      const uint32_t bound = vm_.apbug.no_configured_check ? uint32_t(vm_.maxcpus) : uint32_t(vm_.configured);
      if (i >= bound || i == uint32_t(self)) return;
      ipimask = CpuSet(1) << i;
      dmask = ipimask;
    }
  } else {
    ipimask = dmask;
  }
  if (vm_.apbug.x2apic_icr_mutex && icr.mode == DeliveryMode::Init) {
    // c0f35dbf19c3: startup_cpus updated right here, under the sleep mutex.
    mtx_lock(&vm_.rendezvous_mtx);
    vm_.startup_cpus.set(vm_.startup_cpus.get() | dmask);
    mtx_unlock(&vm_.rendezvous_mtx);
  }
  if (!ipimask) return;
  VmExit& e = vm_.exits[static_cast<size_t>(self)];
  e.code = EXIT_IPI;
  e.mode = icr.mode;
  e.vector = icr.vector;
  e.dmask = ipimask;
  c.core().request_exit();  // *retu = true
}

void Vlapic::send_ipi(mc::Cpu& c, const mc::Icr& icr) {
  const bool x2apic = c.lapic().x2apic;
  if (x2apic) sim::critical_enter(vm_.x);
  icrlo_write_handler(c, icr);
  if (x2apic) sim::critical_exit(vm_.x);
}

}  // namespace vcpucheck::models::bhyve
