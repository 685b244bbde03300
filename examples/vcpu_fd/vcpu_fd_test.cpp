// The team's own unit test of the vCPU fd protocol, through the in-process API: no scenario file.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>

#include <checker/check.hpp>
#include <memory>

#include "vcpu_fd.hpp"

namespace {
// The VMM creates vCPU 0 and starts its thread, which runs an ioctl on the fd it got; another
// thread of the process closes fd 0.
std::function<void(vcpucheck::sim::Execution&)> world(bool bug) {
  return [bug](vcpucheck::sim::Execution& x) {
    auto kvm = std::make_shared<vcpu_fd::kvm>(x, bug);
    x.model = kvm;
    x.spawn("vmm", [kvm, &x] {
      const int fd = vcpu_fd::kvm_vm_ioctl_create_vcpu(kvm.get(), 0);
      x.spawn("vcpu0", [kvm, fd] { (void)vcpu_fd::kvm_vcpu_ioctl(kvm.get(), static_cast<unsigned>(fd)); });
    });
    x.spawn("closer", [] { (void)vcpu_fd::vcpu_close(0); });
  };
}
}  // namespace

TEST_CASE("the fd is installed last: every interleaving is fine") {
  const vcpucheck::CheckResult r = vcpucheck::check({}, world(false));
  REQUIRE_MESSAGE(r.passed(), r.report);
}

TEST_CASE("the fd installed first: a racing close frees the vCPU under KVM_CREATE_VCPU") {
  const vcpucheck::CheckResult r = vcpucheck::check({}, world(true));
  REQUIRE(r.found());
  CHECK(r.violation->kind == vcpucheck::sim::ViolationKind::UseAfterFree);
  CHECK(r.report.find("vcpu_fd.cpp:") != std::string::npos);
}
