#include "qemu/virt_cpus.hpp"

#include <cerrno>

#include "models/builtin.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::models::qemu {

using sim::Order;

namespace {
std::string cpu_name(int i) { return "cpu" + std::to_string(i); }

// --- KVM arm64 --------------------------------------------------------------------------------

// KVM_CREATE_VCPU: kvm_arch_vcpu_precreate() refuses once the vgic is initialized (arm64).
int kvm_ioctl_create_vcpu(Virt& v, int id, Ptr<KvmVcpuFd>& out) {
  v.kvm_lock.lock();
  int r = 0;
  if (v.vgic_initialized.get()) {
    r = -EBUSY;
  } else if (v.kvm_vcpus.at(id).load(Order::Relaxed)) {
    r = -EEXIST;
  } else {
    out = sim::heap_alloc<KvmVcpuFd>(v.x, "kvm.vcpu" + std::to_string(id));
    out->vcpu_id.set(id);
    v.kvm_vcpus.at(id).store(out, Order::Release);
  }
  v.kvm_lock.unlock();
  return r;
}

void kvm_arm_vcpu_init(Ptr<KvmVcpuFd> fd) { fd->inited.set(true); }  // KVM_ARM_VCPU_INIT: MPIDR, reset

void kvm_vgic_init(Virt& v) {
  v.kvm_lock.lock();
  v.vgic_initialized.set(true);  // the vgic now knows every vCPU it will ever have
  v.kvm_lock.unlock();
}

// --- QEMU accel/kvm ---------------------------------------------------------------------------

int park_key(Virt& v, CpuSlot& s) { return v.bug.park_by_cpu_index ? s.cpu_index : s.arch_id; }

void kvm_park_vcpu(Virt& v, CpuSlot& s, Ptr<KvmVcpuFd> fd) {
  v.parked.insert(v.parked.begin(), Virt::Parked{park_key(v, s), fd});
  v.parked_count.set(static_cast<int>(v.parked.size()));
}

Ptr<KvmVcpuFd> kvm_unpark_vcpu(Virt& v, int key) {
  (void)v.parked_count.get();
  for (size_t i = 0; i < v.parked.size(); ++i)
    if (v.parked[i].key == key) {
      Ptr<KvmVcpuFd> fd = v.parked[i].fd;
      if (!v.bug.unpark_keeps_entry) {
        v.parked.erase(v.parked.begin() + static_cast<long>(i));
        v.parked_count.set(static_cast<int>(v.parked.size()));
      }
      return fd;
    }
  return nullptr;  // -ENOENT
}

// kvm_create_vcpu(): unpark by kvm_arch_vcpu_id(), else KVM_CREATE_VCPU.
int kvm_create_vcpu(Virt& v, CpuSlot& s) {
  Ptr<KvmVcpuFd> fd = kvm_unpark_vcpu(v, s.arch_id);
  int r = 0;
  if (!fd) r = kvm_ioctl_create_vcpu(v, s.arch_id, fd);
  if (r == 0) s.kvm_fd.set(fd);
  return r;
}

// The vCPU thread: one KVM_RUN without the BQL (the guest then idles), unless already asked to
// stop. Two CPUs driving one KVM vCPU race on its run state.
void vcpu_thread(Virt& v, CpuSlot& s) {
  v.bql.lock();
  if (!s.stop.get()) {
    Ptr<KvmVcpuFd> fd = s.kvm_fd.get();
    v.bql.unlock();
    fd->runs.set(fd->runs.get() + 1);  // KVM_RUN
    v.bql.lock();
  }
  v.bql.unlock();
}

// qdev realize of an ARM CPU (bql held).
bool cpu_realize(Virt& v, CpuSlot& s) {
  int r = kvm_create_vcpu(v, s);
  if (r) {
    v.errors.push_back("realizing " + cpu_name(s.cpu_index) + ": KVM_CREATE_VCPU failed with " +
                       (r == -EBUSY ? std::string("EBUSY (the vgic is initialized)") : std::string("EEXIST")));
    return false;
  }
  Ptr<KvmVcpuFd> fd = s.kvm_fd.get();
  if (!fd->inited.get()) kvm_arm_vcpu_init(fd);
  s.realized.set(true);
  s.stop.set(false);
  s.vmstate_handler.set(true);  // qemu_add_vm_change_state_handler(): cs->thread_id != 0
  CpuSlot* sp = &s;
  s.thread = v.x.spawn(cpu_name(s.cpu_index) + ".thread", [&v, sp] { vcpu_thread(v, *sp); });
  return true;
}

}  // namespace

CpuSlot::CpuSlot(Execution& x, int idx, int arch)
    : cpu_index(idx),
      arch_id(arch),
      realized(x, cpu_name(idx) + ".realized", false),
      kvm_fd(x, cpu_name(idx) + ".kvm_fd"),
      vmstate_handler(x, cpu_name(idx) + ".vmstate_handler", false),
      stop(x, cpu_name(idx) + ".stop", false) {}

Virt::Virt(Execution& x_, const Config& c)
    : x(x_),
      bug{c.bug("no-precreate"), c.bug("park-by-cpu-index"), c.bug("double-park"), c.bug("unpark-keeps-entry"),
          c.bug("vmstate-for-precreated")},
      smp_cpus(static_cast<int>(c.params.i("smp_cpus"))),
      max_cpus(static_cast<int>(c.params.i("max_cpus"))),
      bql(x_, "bql"),
      kvm_lock(x_, "kvm.lock"),
      vgic_initialized(x_, "kvm.vgic_initialized", false),
      kvm_vcpus(x_, "kvm.vcpus", static_cast<size_t>(c.params.i("max_cpus")) + 8),
      parked_count(x_, "kvm_parked_vcpus", 0),
      machine_ready(x_, "machine_ready", false),
      ready_chan(x_, "machine_ready") {
  // The topology: MPIDR-derived ids differ from cpu_index when `affinity_offset` is set.
  const int offset = static_cast<int>(c.params.i("affinity_offset"));
  for (int i = 0; i < max_cpus; ++i) slots.push_back(std::make_unique<CpuSlot>(x_, i, i + offset));
}

void machvirt_init(Virt& v) {
  v.bql.lock();
  for (int n = 0; n < v.max_cpus; ++n) {
    CpuSlot& s = *v.slots[static_cast<size_t>(n)];
    if (n < v.smp_cpus) {
      cpu_realize(v, s);
      continue;
    }
    if (v.bug.no_precreate) continue;
    // kvm_arm_create_host_vcpu(): create, init, park; the slot keeps the arch id (MPIDR).
    Ptr<KvmVcpuFd> fd;
    if (kvm_ioctl_create_vcpu(v, s.arch_id, fd) != 0) sim::panic(v.x, "machvirt_init: KVM_CREATE_VCPU failed");
    kvm_arm_vcpu_init(fd);
    kvm_park_vcpu(v, s, fd);
    if (v.bug.vmstate_for_precreated) s.vmstate_handler.set(true);
  }
  kvm_vgic_init(v);  // GIC realize: the vgic with every possible vCPU
  v.machine_ready.set(true);
  v.ready_chan.wakeup();
  v.bql.unlock();
}

namespace {
void wait_machine_ready(Virt& v) {
  while (!v.machine_ready.get()) v.ready_chan.sleep(v.bql);
}
}  // namespace

void device_add(Virt& v, int cpu) {
  v.bql.lock();
  wait_machine_ready(v);
  CpuSlot& s = *v.slots.at(static_cast<size_t>(cpu));
  if (!s.realized.get()) cpu_realize(v, s);
  v.bql.unlock();
}

void device_del(Virt& v, int cpu) {
  v.bql.lock();
  wait_machine_ready(v);
  CpuSlot& s = *v.slots.at(static_cast<size_t>(cpu));
  if (!s.realized.get() && !v.bug.double_park) {
    v.bql.unlock();
    return;  // nothing plugged there
  }
  Ptr<KvmVcpuFd> fd = s.kvm_fd.get();
  if (s.realized.get()) {
    // Stop the vCPU thread: ask, drop the BQL, join.
    s.stop.set(true);
    v.bql.unlock();
    sim::join(v.x, s.thread);
    v.bql.lock();
    s.vmstate_handler.set(false);
    s.realized.set(false);
    if (!v.bug.double_park) s.kvm_fd.set(nullptr);  // the bug keeps the stale fd and parks it again
  }
  if (fd) kvm_park_vcpu(v, s, fd);  // do_kvm_destroy_vcpu(): KVM cannot remove a vCPU, so park it
  v.bql.unlock();
}

void Virt::check_invariants(Execution& e) {
  for (const std::string& err : errors) return e.report(sim::ViolationKind::Assertion, err, "kvm.vgic_initialized");
  // Q1: every KVM vCPU is parked or owned by exactly one realized CPU; never both, never neither.
  for (size_t id = 0; id < kvm_vcpus.size(); ++id) {
    const Ptr<KvmVcpuFd>& fd = kvm_vcpus.peek(id).peek();
    if (!fd) continue;
    int owners = 0, parks = 0;
    for (const auto& s : slots) owners += s->realized.peek() && s->kvm_fd.peek() == fd;
    for (const Parked& p : parked) parks += p.fd == fd;
    if (owners + parks != 1)
      return e.report(sim::ViolationKind::Invariant,
                      "Q1: KVM vCPU " + std::to_string(id) + " is owned by " + std::to_string(owners) +
                          " realized CPU(s) and parked " + std::to_string(parks) + " time(s)",
                      "kvm.vcpu" + std::to_string(id));
  }
  // Every possible CPU has a KVM vCPU (pre-created or realized).
  for (const auto& s : slots)
    if (!kvm_vcpus.peek(static_cast<size_t>(s->arch_id)).peek())
      return e.report(sim::ViolationKind::Invariant, "Q3: possible " + cpu_name(s->cpu_index) + " has no KVM vCPU",
                      cpu_name(s->cpu_index));
  // Q4: a VM-state handler exactly for realized CPUs.
  for (const auto& s : slots)
    if (s->vmstate_handler.peek() != s->realized.peek())
      return e.report(sim::ViolationKind::Invariant,
                      "Q4: " + cpu_name(s->cpu_index) + (s->realized.peek() ? " is realized without" : " is not realized but has") +
                          " a VM change-state handler",
                      cpu_name(s->cpu_index));
}

}  // namespace vcpucheck::models::qemu

namespace vcpucheck::models {

void register_qemu_models(Registry& r) {
  using namespace qemu;
  using X = Execution;
  const ArgDef cpu{"cpu", ArgType::Int, "the CPU slot (cpu_index)", {}, int_below_param(0, "max_cpus")};
  ModelDef m;
  m.name = "qemu.virt";
  m.help = "QEMU arm/virt with KVM: pre-created, parked vCPUs and vCPU hotplug (no KVM_CREATE_VCPU after vgic init)";
  m.params = {{"smp_cpus", ArgType::Int, "CPUs plugged at boot", int64_t{1}},
              {"max_cpus", ArgType::Int, "possible CPUs", int64_t{3}},
              {"affinity_offset", ArgType::Int, "kvm_arch_vcpu_id() = cpu_index + this (a topology where they differ)", int64_t{0}}};
  m.switches = {
      {"no-precreate", "machvirt_init does not pre-create the unplugged vCPUs: hotplug creates them after vgic init"},
      {"park-by-cpu-index", "vCPUs are parked by cpu_index but unparked by kvm_arch_vcpu_id()"},
      {"double-park", "unplugging a CPU that is not plugged parks its stale vCPU fd again"},
      {"unpark-keeps-entry", "kvm_unpark_vcpu() returns the fd without removing it from the parked list"},
      {"vmstate-for-precreated", "a VM change-state handler is installed for pre-created (unrealized) CPUs"},
  };
  m.validate = [](const Config& c) -> std::pair<std::string, std::string> {
    const int64_t smp = c.params.i("smp_cpus"), max = c.params.i("max_cpus"), off = c.params.i("affinity_offset");
    if (max < 1 || max > 8) return {"/params/max_cpus", "expected 1 to 8"};
    if (smp < 1 || smp > max) return {"/params/smp_cpus", "expected 1 to max_cpus"};
    if (off < 0 || off > 8) return {"/params/affinity_offset", "expected 0 to 8"};
    return {};
  };
  m.ops = {
      op<Virt>("machvirt_init", "machine init: realize smp_cpus CPUs, pre-create and park the rest, initialize the vgic",
               {}, [](Virt& v, X&, const Args&) { machvirt_init(v); }),
      op<Virt>("device_add", "QMP device_add of a CPU (after machine init)", {cpu},
               [](Virt& v, X&, const Args& a) { device_add(v, static_cast<int>(a.i("cpu"))); }),
      op<Virt>("device_del", "QMP device_del of a CPU: stop its thread, destroy, park", {cpu},
               [](Virt& v, X&, const Args& a) { device_del(v, static_cast<int>(a.i("cpu"))); }),
  };
  m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> { return std::make_shared<Virt>(x, c); };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
