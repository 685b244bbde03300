// The models shipped with vcpucheck, grouped by family. register_builtin_models() adds them all.
#pragma once
#include "models/registry.hpp"

namespace vcpucheck::models {

void register_bench_models(Registry& r);   // DPOR benchmarks: readers, lastzero, opt_lock, casrot
void register_litmus_models(Registry& r);  // one litmus test per detector
void register_memory_litmus_models(Registry& r);  // x86-TSO litmus family: loads, stores, fences, a final state
void register_bhyve_models(Registry& r);
void register_x86_models(Registry& r);
void register_bhyve_ap_models(Registry& r);
void register_kvm_models(Registry& r);
void register_kvm_ipiv_model(Registry& r);
void register_kvm_c_models(Registry& r);    // kvm.online-vcpus as kernel C (models/c/kvm)
void register_bhyve_c_ap_models(Registry& r);  // bhyve-ap as kernel C on the emulated machine
void register_bhyve_c_models(Registry& r);  // the bhyve model as kernel C (models/c/bhyve)
void register_qemu_models(Registry& r);     // QEMU arm/virt: pre-created, parked vCPUs and hotplug  // KVM IPI virtualization's PID table, with guests      // KVM vCPU publication: the RCU array RFC, online_vcpus  // bhyve AP startup (D38446) on the emulated machine    // the emulated machine alone (SDM APIC and CPU rules)   // FreeBSD bhyve vmm: lazy vCPU allocation, lock-all, destroy

}  // namespace vcpucheck::models
