// The emulated machine for C VMM code (the C side: vcpucheck/machine.h).
//
// A harness that runs its C VMM on the machine declares one binding per execution among its
// state, after the World:
//
//   sim::c::World c{x, cfg.switches};
//   sim::machine::Machine& m = sim::machine::Machine::for_execution(x, machine_config);
//   sim::c::MachineBinding bind{m, vlapic_icr_write, vm};   // vlapic.c's handler and its argument
//
// While it lives, the machine's ApicHandler is the C handler (every ICR write the guest makes
// calls it, on the writer's thread) and the vcpucheck_cpu_* calls reach this machine.
#pragma once
#include "sim/machine/machine.hpp"

extern "C" {
struct vcpucheck_icr;
typedef void (*vcpucheck_icr_handler_t)(void* arg, int vcpuid, const struct vcpucheck_icr* icr);
}

namespace vcpucheck::sim::c {

class MachineBinding final : public machine::ApicHandler {
 public:
  MachineBinding(machine::Machine& m, vcpucheck_icr_handler_t handler, void* arg);
  ~MachineBinding() override;
  MachineBinding(const MachineBinding&) = delete;
  MachineBinding& operator=(const MachineBinding&) = delete;

  // The binding of the execution running on this host thread, or nullptr.
  static MachineBinding* current();
  machine::Machine& machine() { return m_; }
  // The hardware's delivery (vcpucheck_apic_deliver).
  void deliver(machine::Cpu& c, const machine::Icr& icr) { ApicHandler::send_ipi(c, icr); }

  void send_ipi(machine::Cpu& c, const machine::Icr& icr) override;

 private:
  machine::Machine& m_;
  vcpucheck_icr_handler_t handler_;
  void* arg_;
  MachineBinding* outer_;
};

}  // namespace vcpucheck::sim::c
