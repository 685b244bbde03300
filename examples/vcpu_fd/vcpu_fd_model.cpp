// Registers the vCPU fd model (vcpu_fd.hpp) with `vcpucheck --load`.
#include <models/registry.hpp>

#include "vcpu_fd.hpp"

namespace {
struct Instance : vcpucheck::models::Instance {
  vcpu_fd::kvm kvm;
  Instance(vcpucheck::sim::Execution& x, const vcpucheck::models::Config& c) : kvm(x, c.bug("fd-before-init")) {}
};
}  // namespace

extern "C" void vcpucheck_register_models(vcpucheck::models::Registry& r) {
  using namespace vcpucheck;
  using A = models::Args;
  using X = sim::Execution;
  models::ModelDef m;
  m.name = "example.vcpu-fd";
  m.help = "KVM-style vCPU fds in the kernel's own words (sim/linux.hpp): create, ioctl through the fd, close";
  m.switches = {{"fd-before-init", "install the vCPU's fd before the vCPU is initialized and published"}};
  m.ops = {
      models::op_returning<Instance>("create_vcpu", "KVM_CREATE_VCPU: returns the vCPU's fd",
                                     {{"id", models::ArgType::Int, "the vCPU id", {}, models::int_in(0, 3)}},
                                     [](Instance& in, X&, const A& a) -> int64_t {
                                       return vcpu_fd::kvm_vm_ioctl_create_vcpu(&in.kvm, static_cast<int>(a.i("id")));
                                     }),
      models::op<Instance>("vcpu_ioctl", "an ioctl on a vCPU fd", {{"fd", models::ArgType::Int, "the fd", {}, models::int_in(0, 63)}},
                           [](Instance& in, X&, const A& a) {
                             (void)vcpu_fd::kvm_vcpu_ioctl(&in.kvm, static_cast<unsigned>(a.i("fd")));
                           }),
      models::op<Instance>("close", "close(fd)", {{"fd", models::ArgType::Int, "the fd", {}, models::int_in(0, 63)}},
                           [](Instance&, X&, const A& a) { (void)vcpu_fd::vcpu_close(static_cast<unsigned>(a.i("fd"))); }),
  };
  m.create = [](X& x, const models::Config& c) { return std::make_shared<Instance>(x, c); };
  r.add(std::move(m));
}
