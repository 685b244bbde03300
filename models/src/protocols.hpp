// The parameters, bug switches and their validation of the protocols that have both a C++ model
// and a kernel-C one (models/c): one definition, so the two stay the same model.
#pragma once
#include "models/registry.hpp"
#include <vector>

#include "sim/machine/machine.hpp"

namespace vcpucheck::models {

void bhyve_protocol(ModelDef& m);       // bhyve, bhyve-c: maxcpus, run_slices, eight switches
void kvm_online_protocol(ModelDef& m);
void bhyve_ap_protocol(ModelDef& m);    // bhyve-ap, bhyve-c.ap: ncpus, maxcpus, guest_ncpus, x2apic, broadcast, compat, seven switches
sim::machine::MachineConfig bhyve_ap_machine_config(const Config& c);  // the emulated machine those params ask for
// bhyve-ap's end-of-boot invariants: no unconfigured vCPU started, every configured AP started
// once at the SIPI address, the guest counted them. `starts`: per vCPU, where each start began.
void bhyve_ap_check_boot(sim::Execution& e, const std::vector<std::vector<uint32_t>>& starts, int configured, int maxcpus,
                         sim::machine::Machine& m);  // kvm.online-vcpus, kvm-c.online-vcpus: max_vcpus, three switches

}  // namespace vcpucheck::models
