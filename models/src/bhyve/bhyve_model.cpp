// The "bhyve" model: registration (parameters, bug switches, operations) and the invariants
// checked at the end of every complete execution.
#include "bhyve/vmm.hpp"
#include "models/builtin.hpp"
#include "protocols.hpp"

namespace vcpucheck::models::bhyve {

Vm::Vm(Execution& x_, const Config& c)
    : x(x_),
      bug{c.bug("lockall-no-sx"),      c.bug("no-recheck"), c.bug("publish-before-init"), c.bug("plain-publish"),
          c.bug("no-dying"),           c.bug("destroy-unlocked-freeze"), c.bug("snapshot-no-null-skip"),
          c.bug("no-idle-wakeup")},
      maxcpus(static_cast<int>(c.params.i("maxcpus"))),
      run_slices(static_cast<int>(c.params.i("run_slices"))),
      vcpus_init_lock(x_, "vcpus_init_lock"),
      dying(x_, "dying", false),
      vcpu(x_, "vcpu", static_cast<size_t>(c.params.i("maxcpus"))),
      mem_maps(x_, "mem_maps", 0),
      dev_ref(x_, "cdev"),
      cdev_gone(x_, "cdev_gone", false) {}

void Vm::check_invariants(Execution& e) {
  // I2: at most one vCPU per id.
  for (int id = 0; id < maxcpus; ++id) {
    int n = 0;
    for (const auto& [i, _] : allocated) n += i == id;
    if (n > 1)
      return e.report(sim::ViolationKind::Invariant,
                       "I2: " + std::to_string(n) + " vCPUs were allocated for id " + std::to_string(id) +
                           "; vm.vcpu[" + std::to_string(id) + "] keeps only the last",
                       "vcpu[" + std::to_string(id) + "]");
  }
  for (const auto& [id, v] : allocated) {
    const std::string name = "vcpu[" + std::to_string(id) + "]";
    if (destroyed && !e.block(v.block()).freed)  // I4: destroy frees every vCPU there is
      return e.report(sim::ViolationKind::Leak, "I4: " + name + " was created while the VM was being destroyed and is never freed", name);
    if (!destroyed && v->state.peek() != VCPU_IDLE)  // every ioctl unlocks what it locked
      return e.report(sim::ViolationKind::Invariant,
                       name + " ends " + vcpu_state_name(v->state.peek()) + ": an ioctl left it locked", name);
  }
}

namespace {
int id_arg(Vm& vm, const Args& a) {
  int64_t id = a.i("vcpu");
  if (id < 0 || id >= vm.maxcpus)
    vm.x.fail(sim::ViolationKind::ModelError, "vcpu " + std::to_string(id) + " is outside 0..maxcpus-1", sim::Loc::current());
  return static_cast<int>(id);
}
}  // namespace

}  // namespace vcpucheck::models::bhyve

namespace vcpucheck::models {

void bhyve_protocol(ModelDef& m) {
  m.params = {{"maxcpus", ArgType::Int, "vm_get_maxcpus(): vCPU slots", int64_t{2}},
              {"run_slices", ArgType::Int, "guest time slices per VM_RUN before it returns", int64_t{2}}};
  m.switches = {
      {"lockall-no-sx", "vcpu_lock_all does not take vcpus_init_lock: a vCPU created meanwhile escapes lock-all"},
      {"no-recheck", "vm_alloc_vcpu does not re-read the slot under the xlock: two creators both allocate"},
      {"publish-before-init", "vm_alloc_vcpu stores the slot before vcpu_init() sets cookie and vlapic"},
      {"plain-publish", "the slot is stored without release semantics (a plain store, not atomic_store_rel_ptr)"},
      {"no-dying", "no dying flag: vm_alloc_vcpu still creates vCPUs once destroy has begun"},
      {"destroy-unlocked-freeze",
       "vmmdev_destroy freezes the vCPUs without vcpus_init_lock and before disabling creation"},
      {"snapshot-no-null-skip", "the snapshot walk over vm->vcpu[] does not skip NULL (unallocated) slots"},
      {"no-idle-wakeup", "vcpu_set_state_locked does not wakeup(&vcpu->state) on the way to IDLE: only msleep_spin's hz "
                         "timeout lets a waiter see the vCPU idle"},
  };
  m.validate = [](const Config& c) -> std::pair<std::string, std::string> {
    if (c.params.i("maxcpus") < 1 || c.params.i("maxcpus") > 16) return {"/params/maxcpus", "expected 1 to 16"};
    if (c.params.i("run_slices") < 0 || c.params.i("run_slices") > 64) return {"/params/run_slices", "expected 0 to 64"};
    return {};
  };
}

void register_bhyve_models(Registry& r) {
  using namespace bhyve;
  using X = Execution;
  const ArgDef vcpu{"vcpu", ArgType::Int, "the vCPU id the ioctl names", {}, int_below_param(0, "maxcpus")};
  ModelDef m;
  m.name = "bhyve";
  m.help = "FreeBSD vmm: vCPUs allocated on first use (98568a005a19) vs lock-all ioctls vs destroy";
  bhyve_protocol(m);
  m.ops = {
      op<Vm>("vcpu_ioctl", "a per-vCPU ioctl (VM_GET_REGISTER): allocate on first use, lock one, use, unlock", {vcpu},
             [](Vm& vm, X&, const Args& a) { ioctl_vcpu(vm, id_arg(vm, a), false); }),
      op<Vm>("mmap_getnext", "VM_MMAP_GETNEXT: lock one vCPU and read the memory map ([v] read)", {vcpu},
             [](Vm& vm, X&, const Args& a) { ioctl_vcpu(vm, id_arg(vm, a), true); }),
      op<Vm>("run", "VM_RUN: allocate, lock one, FROZEN -> RUNNING -> FROZEN honouring reqidle, unlock", {vcpu},
             [](Vm& vm, X&, const Args& a) { ioctl_run(vm, id_arg(vm, a)); }),
      op<Vm>("mmap_memseg", "VM_MMAP_MEMSEG: lock all vCPUs and write the memory map ([v] write)", {},
             [](Vm& vm, X&, const Args&) { ioctl_mmap_memseg(vm, 1); }),
      op<Vm>("snapshot", "VM_SNAPSHOT_REQ: lock all vCPUs and walk vm->vcpu[]", {},
             [](Vm& vm, X&, const Args&) { ioctl_snapshot(vm); }),
      op<Vm>("destroy",
             "destroy the VM: destroy_dev() (which waits for in-flight ioctls, when drain) then vmmdev_destroy()",
             {{"drain", ArgType::Bool, "destroy_dev() drains in-flight ioctls (the stock kernel)", true}},
             [](Vm& vm, X&, const Args& a) { sysctl_vmm_destroy(vm, a.b("drain")); }),
      op<Vm>("alloc_vcpu", "a kernel thread in vm_alloc_vcpu() only (no ioctl, no use of the vCPU)", {vcpu},
             [](Vm& vm, X&, const Args& a) { kernel_alloc_vcpu(vm, id_arg(vm, a)); }),
  };
  m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
    sim::Scope scope(x, "vm");
    return std::make_shared<Vm>(x, c);
  };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
