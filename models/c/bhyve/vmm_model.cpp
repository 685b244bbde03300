// bhyve-c: the harness of the C model (vmm.c) -- the C++ "bhyve" model's parameters, bug
// switches and operations, each operation a call into the C code.
#include "models/builtin.hpp"
#include "protocols.hpp"
#include "sim/c/world.hpp"
#include "vmm.h"

namespace vcpucheck::models {

namespace {

struct BhyveC : Instance {
  sim::c::World c;
  struct vm* vm;
  BhyveC(sim::Execution& x, const Config& cfg)
      : c(x, cfg.switches),
        vm(vm_create(static_cast<int>(cfg.params.i("maxcpus")), static_cast<int>(cfg.params.i("run_slices")))) {}
  void check_invariants(sim::Execution& x) override {
    char why[160];
    switch (vm_check_end(vm, why, sizeof why)) {  // not instrumented: the end state, as peek() reads it
      case VM_CHECK_INVARIANT: return x.report(sim::ViolationKind::Invariant, why, "vcpu");
      case VM_CHECK_LEAK: return x.report(sim::ViolationKind::Leak, why, "vcpu");
      default: return;
    }
  }
};

}  // namespace

void register_bhyve_c_models(Registry& r) {
  using X = sim::Execution;
  const ArgDef vcpu{"vcpu", ArgType::Int, "the vCPU id the ioctl names", {}, int_below_param(0, "maxcpus")};
  ModelDef m;
  m.name = "bhyve-c";
  m.help = "the bhyve model as kernel C (models/c/bhyve/vmm.c) under the TSan-hook runtime";
  bhyve_protocol(m);  // the C++ model's parameters and switches
  auto id = [](const Args& a) { return static_cast<int>(a.i("vcpu")); };
  m.ops = {
      op<BhyveC>("vcpu_ioctl", "a per-vCPU ioctl (VM_GET_REGISTER): allocate on first use, lock one, use, unlock", {vcpu},
                 [id](BhyveC& b, X&, const Args& a) { (void)sim::c::call([&] { return vmmdev_ioctl_vcpu(b.vm, id(a), 0); }); }),
      op<BhyveC>("mmap_getnext", "VM_MMAP_GETNEXT: lock one vCPU and read the memory map ([v] read)", {vcpu},
                 [id](BhyveC& b, X&, const Args& a) { (void)sim::c::call([&] { return vmmdev_ioctl_vcpu(b.vm, id(a), 1); }); }),
      op<BhyveC>("run", "VM_RUN: allocate, lock one, FROZEN -> RUNNING -> FROZEN honouring reqidle, unlock", {vcpu},
                 [id](BhyveC& b, X&, const Args& a) { (void)sim::c::call([&] { return vmmdev_ioctl_vcpu(b.vm, id(a), 2); }); }),
      op<BhyveC>("mmap_memseg", "VM_MMAP_MEMSEG: lock all vCPUs and write the memory map ([v] write)", {},
                 [](BhyveC& b, X&, const Args&) { (void)sim::c::call([&] { return vmmdev_ioctl_all(b.vm, 0); }); }),
      op<BhyveC>("snapshot", "VM_SNAPSHOT_REQ: lock all vCPUs and walk vm->vcpu[]", {},
                 [](BhyveC& b, X&, const Args&) { (void)sim::c::call([&] { return vmmdev_ioctl_all(b.vm, 1); }); }),
      op<BhyveC>("destroy", "destroy the VM: destroy_dev() (which waits for in-flight ioctls, when drain) then vmmdev_destroy()",
                 {{"drain", ArgType::Bool, "destroy_dev() drains in-flight ioctls (the stock kernel)", true}},
                 [](BhyveC& b, X&, const Args& a) { sim::c::call([&] { sysctl_vmm_destroy(b.vm, a.b("drain") ? 1 : 0); }); }),
      op<BhyveC>("alloc_vcpu", "a kernel thread in vm_alloc_vcpu() only (no ioctl, no use of the vCPU)", {vcpu},
                 [id](BhyveC& b, X&, const Args& a) { (void)sim::c::call([&] { return vm_alloc_vcpu(b.vm, id(a)); }); }),
  };
  m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
    sim::Scope scope(x, "vm");
    return std::make_shared<BhyveC>(x, c);
  };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
