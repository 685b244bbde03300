// kvm-c.online-vcpus: the harness of the C model (online_vcpus.c) -- the same operations, bug
// switches and invariant as kvm.online-vcpus, each operation a call into the C code.
#include "online_vcpus.h"
#include "models/builtin.hpp"
#include "protocols.hpp"
#include "sim/c/world.hpp"

namespace vcpucheck::models {

namespace {

struct OnlineKvmC : Instance {
  sim::c::World c;
  struct kvm* kvm;
  OnlineKvmC(sim::Execution& x, const Config& cfg)
      : c(x, cfg.switches), kvm(kvm_create_vm(static_cast<int>(cfg.params.i("max_vcpus")))) {}
  void check_invariants(sim::Execution& x) override {
    const int online = kvm_online_vcpus(kvm), created = kvm_created_vcpus(kvm);  // the end state
    if (online != created)
      x.report(sim::ViolationKind::Invariant,
               "online_vcpus is " + std::to_string(online) + " but " + std::to_string(created) + " vCPUs were created",
               "online_vcpus");
  }
};

}  // namespace

void register_kvm_c_models(Registry& r) {
  ModelDef m;
  m.name = "kvm-c.online-vcpus";
  m.help = "kvm.online-vcpus as kernel C (models/c/kvm/online_vcpus.c) under the TSan-hook runtime";
  kvm_online_protocol(m);  // the C++ model's parameters and switches
  using X = sim::Execution;
  const ArgDef id{"id", ArgType::Int, "the new vCPU's id", {}, int_in(0, INT32_MAX)};
  const ArgDef index{"index", ArgType::Int, "the vCPU index to look up", int64_t{0}, int_in(0, INT32_MAX)};
  m.ops = {
      op<OnlineKvmC>("create_vcpu", "KVM_CREATE_VCPU: kvm_vm_ioctl_create_vcpu(kvm, id)", {id},
                     [](OnlineKvmC& k, X&, const Args& a) {
                       (void)sim::c::call([&] { return kvm_vm_ioctl_create_vcpu(k.kvm, static_cast<int>(a.i("id"))); });
                     }),
      op<OnlineKvmC>("get_vcpu", "kvm_get_vcpu(kvm, index), then read its vcpu_id if it exists", {index},
                     [](OnlineKvmC& k, X&, const Args& a) {
                       sim::c::call([&] {
                         if (struct kvm_vcpu* v = kvm_get_vcpu(k.kvm, static_cast<int>(a.i("index")))) (void)kvm_vcpu_id(v);
                       });
                     }),
      op<OnlineKvmC>("for_each_vcpu", "a VM-wide ioctl: kvm_for_each_vcpu, reading every online vCPU", {},
                     [](OnlineKvmC& k, X&, const Args&) { (void)sim::c::call([&] { return kvm_for_each_vcpu_touch(k.kvm); }); }),
  };
  m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
    sim::Scope s(x, "kvm");
    return std::make_shared<OnlineKvmC>(x, c);
  };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
