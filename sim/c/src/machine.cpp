// The emulated machine for C VMM code: vcpucheck/machine.h's calls, and the ApicHandler that
// hands the guest's ICR writes to the C vlapic (sim/c/machine.hpp).
#include "sim/c/machine.hpp"

#include "shim.hpp"

#include "../shim/vcpucheck/machine.h"

namespace mc = vcpucheck::sim::machine;
using vcpucheck::sim::Loc;
using vcpucheck::sim::ViolationKind;
using vcpucheck::sim::c::MachineBinding;
using vcpucheck::sim::c::shim::caller;
using vcpucheck::sim::c::shim::world;

namespace vcpucheck::sim::c {

namespace {
thread_local MachineBinding* tls_binding = nullptr;
}

MachineBinding::MachineBinding(machine::Machine& m, vcpucheck_icr_handler_t handler, void* arg)
    : m_(m), handler_(handler), arg_(arg), outer_(tls_binding) {
  tls_binding = this;
  m_.set_apic_handler(this);
}

MachineBinding::~MachineBinding() {
  m_.set_apic_handler(nullptr);
  if (tls_binding == this) tls_binding = outer_;
}

MachineBinding* MachineBinding::current() { return tls_binding; }

void MachineBinding::send_ipi(machine::Cpu& c, const machine::Icr& icr) {
  vcpucheck_icr ci{};
  ci.raw = machine::encode_icr(icr);
  ci.mode = static_cast<int>(icr.mode);
  ci.vector = icr.vector;
  ci.logical = icr.logical ? 1 : 0;
  ci.shorthand = static_cast<int>(icr.shorthand);
  ci.dest = icr.dest;
  ci.x2apic = icr.x2apic ? 1 : 0;
  ci.valid = machine::icr_invalid_reason(icr).empty() ? 1 : 0;
  call([&] { handler_(arg_, c.index(), &ci); });
}

}  // namespace vcpucheck::sim::c

namespace {

// The bound machine and the vCPU `id` of a machine call; a model error naming `call` otherwise.
mc::Machine& bound(const char* call, const Loc& loc) {
  MachineBinding* b = MachineBinding::current();
  if (!b) {
    world(call, loc).exec().fail(ViolationKind::ModelError,
                                 std::string(call) + " from C code, but the harness bound no machine (sim::c::MachineBinding)", loc);
  }
  (void)world(call, loc);  // the last store recorded
  return b->machine();
}

mc::Cpu& cpu(int id, const char* call, const Loc& loc) {
  mc::Machine& m = bound(call, loc);
  if (id < 0 || id >= m.ncpus())
    m.exec().fail(ViolationKind::ModelError,
                  std::string(call) + "(" + std::to_string(id) + "): the machine has " + std::to_string(m.ncpus()) + " CPUs", loc);
  return m.cpu(id);
}

}  // namespace

extern "C" {

int vcpucheck_cpu_run(int vcpuid) {
  const Loc loc = caller(__builtin_return_address(0));
  mc::Cpu& c = cpu(vcpuid, "vcpucheck_cpu_run", loc);
  switch (c.run_guest()) {
    case mc::CoreExit::Halt: return VCPUCHECK_EXIT_HLT;
    case mc::CoreExit::Exit: return VCPUCHECK_EXIT_VMM;
    case mc::CoreExit::Kick: return VCPUCHECK_EXIT_KICK;
    default: return VCPUCHECK_EXIT_BUDGET;
  }
}

void vcpucheck_cpu_start(int vcpuid, uint32_t rip) {
  const Loc loc = caller(__builtin_return_address(0));
  cpu(vcpuid, "vcpucheck_cpu_start", loc).core().start_real_mode(rip);
}

uint32_t vcpucheck_bsp_entry(void) {
  const Loc loc = caller(__builtin_return_address(0));
  return bound("vcpucheck_bsp_entry", loc).bsp_entry();
}

void vcpucheck_cpu_request_exit(int vcpuid) {
  const Loc loc = caller(__builtin_return_address(0));
  cpu(vcpuid, "vcpucheck_cpu_request_exit", loc).core().request_exit();
}

void vcpucheck_apic_deliver(int vcpuid, const struct vcpucheck_icr* icr) {
  const Loc loc = caller(__builtin_return_address(0));
  mc::Cpu& c = cpu(vcpuid, "vcpucheck_apic_deliver", loc);
  MachineBinding::current()->deliver(c, mc::decode_icr(icr->raw, icr->x2apic != 0));
}

void vcpucheck_lapic_reset(int vcpuid) {
  const Loc loc = caller(__builtin_return_address(0));
  cpu(vcpuid, "vcpucheck_lapic_reset", loc).lapic().reset();
}

int vcpucheck_lapic_irr_pending(int vcpuid) {
  const Loc loc = caller(__builtin_return_address(0));
  return cpu(vcpuid, "vcpucheck_lapic_irr_pending", loc).lapic().irr_pending() ? 1 : 0;
}

uint32_t vcpucheck_guest_peek32(uint64_t gpa) {
  const Loc loc = caller(__builtin_return_address(0));
  mc::Machine& m = bound("vcpucheck_guest_peek32", loc);
  if (gpa > mc::kRamSize - 4) m.exec().fail(ViolationKind::ModelError, "vcpucheck_guest_peek32 past the guest's RAM", loc);
  return m.peek32(gpa);
}

}  // extern "C"
