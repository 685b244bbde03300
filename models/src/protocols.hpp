// The parameters, bug switches and their validation of the protocols that have both a C++ model
// and a kernel-C one (models/c): one definition, so the two stay the same model.
#pragma once
#include "models/registry.hpp"

namespace vcpucheck::models {

void bhyve_protocol(ModelDef& m);       // bhyve, bhyve-c: maxcpus, run_slices, eight switches
void kvm_online_protocol(ModelDef& m);  // kvm.online-vcpus, kvm-c.online-vcpus: max_vcpus, three switches

}  // namespace vcpucheck::models
