// Registration of the KVM publication models.
#include "kvm/kvm.hpp"
#include "models/builtin.hpp"
#include "protocols.hpp"

namespace vcpucheck::models {

void kvm_online_protocol(ModelDef& m) {
  m.params = {{"max_vcpus", ArgType::Int, "KVM_MAX_VCPUS for this VM", int64_t{4}}};
  m.switches = {
      {"no-wmb", "no smp_wmb() between storing the vCPU and incrementing online_vcpus"},
      {"no-rmb", "no smp_rmb() between reading online_vcpus and loading the slot"},
      {"online-before-store", "online_vcpus is incremented before the vCPU is stored in vcpu_array"},
  };
  m.validate = [](const Config& c) -> std::pair<std::string, std::string> {
    if (c.params.i("max_vcpus") < 1 || c.params.i("max_vcpus") > 16) return {"/params/max_vcpus", "expected 1 to 16"};
    return {};
  };
}

void register_kvm_models(Registry& r) {
  using namespace kvm;
  using X = Execution;
  const ArgDef id{"id", ArgType::Int, "the new vCPU's id", {}, int_in(0, INT32_MAX)};
  const ArgDef index{"index", ArgType::Int, "the vCPU index to look up", int64_t{0}, int_in(0, INT32_MAX)};
  {
    ModelDef m;
    m.name = "kvm.rcu-vcpus";
    m.help = "KVM RFC (2017): kvm->vcpus as an RCU-protected {online, array[]}, copied and republished per vCPU";
    m.switches = {
        {"no-synchronize-rcu", "the creator frees the old kvm_vcpus object without waiting for a grace period"},
        {"publish-before-fill", "rcu_assign_pointer() publishes the new object before its last slot is filled"},
        {"online-outside", "readers bound the index by a separate online count, bumped before publication"},
        {"no-kvm-lock", "creators copy and republish kvm->vcpus without kvm->lock"},
    };
    m.ops = {
        op<RcuKvm>("create_vcpu", "KVM_CREATE_VCPU: copy kvm->vcpus with one more slot, publish, synchronize_rcu, free the old",
                   {id}, [](RcuKvm& k, X&, const Args& a) { kvm_vm_ioctl_create_vcpu_rcu(k, static_cast<int>(a.i("id"))); }),
        op<RcuKvm>("get_vcpu", "kvm_get_vcpu(index) in an RCU read section, then use it if it exists", {index},
                   [](RcuKvm& k, X&, const Args& a) {
                     if (Ptr<KvmVcpu> v = kvm_get_vcpu_rcu(k, static_cast<uint32_t>(a.i("index")))) (void)v->vcpu_id.get();
                   }),
        op<RcuKvm>("for_each_vcpu", "kvm_for_each_vcpu: one short RCU section per iteration, the body outside", {},
                   [](RcuKvm& k, X&, const Args&) { kvm_for_each_vcpu_rcu(k, false); }),
        op<RcuKvm>("for_each_vcpu_sleeping", "kvm_for_each_vcpu whose body sleeps (takes vcpu->mutex)", {},
                   [](RcuKvm& k, X&, const Args&) { kvm_for_each_vcpu_rcu(k, true); }),
    };
    m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
      sim::Scope s(x, "kvm");
      return std::make_shared<RcuKvm>(x, c);
    };
    r.add(std::move(m));
  }
  {
    ModelDef m;
    m.name = "kvm.online-vcpus";
    m.help = "KVM mainline: vcpu_array store, smp_wmb, online_vcpus++; readers read online_vcpus, smp_rmb, the slot";
    kvm_online_protocol(m);
    m.ops = {
        op<OnlineKvm>("create_vcpu", "KVM_CREATE_VCPU: reserve under kvm->lock, create, store, smp_wmb, online_vcpus++",
                      {id}, [](OnlineKvm& k, X&, const Args& a) { kvm_vm_ioctl_create_vcpu(k, static_cast<int>(a.i("id"))); }),
        op<OnlineKvm>("get_vcpu", "kvm_get_vcpu(index), then use it if it exists", {index},
                      [](OnlineKvm& k, X&, const Args& a) {
                        if (Ptr<KvmVcpu> v = kvm_get_vcpu(k, static_cast<int>(a.i("index")))) (void)v->vcpu_id.get();
                      }),
        op<OnlineKvm>("for_each_vcpu", "a VM-wide ioctl: kvm_for_each_vcpu, touching every online vCPU", {},
                      [](OnlineKvm& k, X&, const Args&) { kvm_for_each_vcpu(k); }),
    };
    m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
      sim::Scope s(x, "kvm");
      return std::make_shared<OnlineKvm>(x, c);
    };
    r.add(std::move(m));
  }
}

}  // namespace vcpucheck::models
