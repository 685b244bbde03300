// kvm.ipiv: VMX IPI virtualization's PID-pointer table and the set-once max_vcpu_ids
// (d588bb9be1da, 1d5e740d518e, 35875316384b; PROTOCOLS.md 1(d)), with the guest on the
// emulated machine: vCPU 0 sends a fixed IPI to each peer by one WRMSR to the x2APIC ICR, and
// "hardware" delivers it through the sender's PID table without a VM exit. A missing or foreign
// entry is a lost IPI: the peer never acknowledges it.
//
//   KVM_ENABLE_CAP(MAX_VCPU_ID)  under kvm->lock; set once, and only while unset
//   KVM_CREATE_VCPU(id)          under kvm->lock: kvm_arch_vcpu_precreate() latches the default
//                                max_vcpu_ids, rejects id >= max_vcpu_ids and allocates the PID
//                                table once (max_vcpu_ids entries); then the vCPU writes
//                                pid_table[id] and its VMCS gets the table and last index
#include "kvm/kvm.hpp"
#include "models/builtin.hpp"
#include "sim/machine/machine.hpp"

namespace vcpucheck::models::kvm {

namespace mc = sim::machine;
using namespace vcpucheck::lnx;  // mutex_lock(&kvm->lock), Order

namespace {

constexpr int64_t kDefaultMaxVcpuIds = 4;  // KVM_MAX_VCPU_IDS, scaled to the model
constexpr int64_t kCapLimit = 64;
constexpr uint64_t kPidValid = 1;

struct PidTable {
  sim::Array<sim::Atomic<uint64_t>> entry;  // PID-pointer entries: (vcpu id + 1) << 1 | valid
  PidTable(Execution& x, size_t n) : entry(x, "entry", n, uint64_t{0}) {}
};

struct IpivVcpu {
  sim::Field<int> vcpu_id;
  sim::Field<Ptr<PidTable>> vmcs_pid_table;   // PID_POINTER_TABLE
  sim::Field<uint32_t> vmcs_last_pid_index;   // LAST_PID_POINTER_INDEX
  IpivVcpu(Execution& x)
      : vcpu_id(x, "vcpu_id", sim::uninit), vmcs_pid_table(x, "vmcs.pid_table", sim::uninit),
        vmcs_last_pid_index(x, "vmcs.last_pid_index", sim::uninit) {}
};

struct IpivBugs {
  bool precreate_unlocked = false;  // kvm_arch_vcpu_precreate() outside kvm->lock (the v7 design)
  bool max_id_mutable = false;      // KVM_CAP_MAX_VCPU_ID accepted after the first vCPU
};

class IpivApic;

struct IpivKvm : Instance {
  Execution& x;
  IpivBugs bug;
  const int nvcpus;
  mc::Machine& m;
  lnx::mutex lock;                            // kvm->lock
  sim::Field<int> created_vcpus;              // [lock]
  // Word-sized fields the buggy variants read without kvm->lock: modelled as word-atomic
  // accesses (the table pointer with release/acquire), so what is found is the logical race --
  // two tables, lost IPIs -- not tearing or a missing barrier.
  sim::Atomic<int64_t> max_vcpu_ids;          // [lock] 0 = unset
  sim::Atomic<Ptr<PidTable>> pid_table;       // kvm_vmx->pid_table
  sim::Array<sim::Atomic<Ptr<IpivVcpu>>> vcpu_fds;  // userspace's vCPU fds, one slot per id
  std::vector<int64_t> created_ids;           // bookkeeping
  int lost_ipis = 0;                          // bookkeeping: IPIs the PID table dropped
  sim::Mutex start_mtx;                       // userspace: run the vCPUs once all are created
  sim::Chan start_chan;
  sim::Field<int> ready;
  std::unique_ptr<IpivApic> apic;
  bool ran_guest = false;

  IpivKvm(Execution& x, const Config& c);
  ~IpivKvm() override;
  void check_invariants(Execution& x) override;
};

// The ICR as a vCPU with IPI virtualization sees it: a fixed physical IPI goes through the
// sender's PID table (no VM exit); anything else exits to KVM's emulated APIC.
class IpivApic final : public mc::ApicHandler {
 public:
  explicit IpivApic(IpivKvm& k) : k_(k) {}
  void send_ipi(mc::Cpu& c, const mc::Icr& icr) override {
    if (!c.lapic().x2apic || icr.mode != mc::DeliveryMode::Fixed || icr.logical ||
        icr.shorthand != mc::Shorthand::None || !mc::icr_invalid_reason(icr).empty())
      return ApicHandler::send_ipi(c, icr);  // not virtualized: KVM's emulated APIC (or ignored)
    IpivVcpu& s = *k_.vcpu_fds.peek(static_cast<size_t>(c.index())).peek();  // this CPU's own VMCS
    if (icr.dest > s.vmcs_last_pid_index.get()) return ApicHandler::send_ipi(c, icr);  // APIC-write exit
    Ptr<PidTable> table = s.vmcs_pid_table.get();
    const uint64_t e = table->entry.at(icr.dest).load(Order::Acquire);  // the CPU reads the entry
    const uint64_t target = e >> 1;
    if (!(e & kPidValid) || target == 0 || target - 1 != icr.dest) {
      ++k_.lost_ipis;  // no descriptor to post to: the IPI is gone
      return;
    }
    c.machine().cpu(static_cast<int>(target - 1)).post(mc::Ipi{icr.mode, icr.vector, c.lapic().id});
  }

 private:
  IpivKvm& k_;
};

mc::MachineConfig machine_config(const Config& c) {
  mc::MachineConfig m;
  m.ncpus = static_cast<int>(c.params.i("nvcpus"));
  m.x2apic = true;
  m.bsp_program = "ipi_sender";
  m.ap_program = "ipi_receiver";
  return m;
}

IpivKvm::IpivKvm(Execution& x_, const Config& c)
    : x(x_),
      bug{c.bug("precreate-unlocked"), c.bug("max-vcpu-id-mutable")},
      nvcpus(static_cast<int>(c.params.i("nvcpus"))),
      m(mc::Machine::for_execution(x_, machine_config(c))),
      lock(x_, "lock"),
      created_vcpus(x_, "created_vcpus", 0),
      max_vcpu_ids(x_, "max_vcpu_ids", 0),
      pid_table(x_, "pid_table"),
      vcpu_fds(x_, "vcpu_fds", static_cast<size_t>(kCapLimit)),
      start_mtx(x_, "userspace.start_mtx"),
      start_chan(x_, "userspace.start"),
      ready(x_, "userspace.ready", 0),
      apic(std::make_unique<IpivApic>(*this)) {
  m.set_apic_handler(apic.get());
}

IpivKvm::~IpivKvm() { m.set_apic_handler(nullptr); }

int kvm_vm_ioctl_enable_cap_max_vcpu_id(IpivKvm& k, int64_t value) {
  int r = -22;  // -EINVAL
  mutex_lock(&k.lock);
  const int64_t cur = k.max_vcpu_ids.load(Order::Relaxed);
  if (value > kCapLimit) {
  } else if (k.bug.max_id_mutable) {
    k.max_vcpu_ids.store(value, Order::Relaxed);  // the v7 design: changeable at any time
    r = 0;
  } else if (cur == value) {
    r = 0;
  } else if (cur == 0) {
    k.max_vcpu_ids.store(value, Order::Relaxed);  // set once, and only before the first vCPU latched the default
    r = 0;
  }
  mutex_unlock(&k.lock);
  return r;
}

// kvm_arch_vcpu_precreate() (x86 + vmx_vcpu_precreate()).
int kvm_arch_vcpu_precreate(IpivKvm& k, int64_t id) {
  if (k.max_vcpu_ids.load(Order::Relaxed) == 0) k.max_vcpu_ids.store(kDefaultMaxVcpuIds, Order::Relaxed);
  if (id >= k.max_vcpu_ids.load(Order::Relaxed)) return -22;
  if (!k.pid_table.load(Order::Acquire)) {  // vmx_alloc_ipiv_pid_table()
    Ptr<PidTable> t = sim::heap_alloc<PidTable>(k.x, "pid_table",
                                                static_cast<size_t>(k.max_vcpu_ids.load(Order::Relaxed)));
    k.pid_table.store(t, Order::Release);
  }
  return 0;
}

Ptr<IpivVcpu> kvm_vm_ioctl_create_vcpu_ipiv(IpivKvm& k, int64_t id) {
  int r;
  if (k.bug.precreate_unlocked) {
    r = kvm_arch_vcpu_precreate(k, id);
    mutex_lock(&k.lock);
  } else {
    mutex_lock(&k.lock);
    r = kvm_arch_vcpu_precreate(k, id);
  }
  if (r == 0) k.created_vcpus.set(k.created_vcpus.get() + 1);
  mutex_unlock(&k.lock);
  if (r) return nullptr;

  Ptr<IpivVcpu> v = sim::heap_alloc<IpivVcpu>(k.x, "vcpu" + std::to_string(id));
  v->vcpu_id.set(static_cast<int>(id));
  Ptr<PidTable> table = k.pid_table.load(Order::Acquire);
  // vmx_vcpu_create(): this vCPU's entry, then init_vmcs().
  table->entry.at(id).store((uint64_t(id) + 1) << 1 | kPidValid, Order::Release);
  v->vmcs_pid_table.set(table);
  v->vmcs_last_pid_index.set(static_cast<uint32_t>(k.max_vcpu_ids.load(Order::Relaxed) - 1));
  k.created_ids.push_back(id);
  return v;
}

// A vCPU thread of the VMM: create the vCPU, wait until userspace created them all, run it.
void vcpu_thread(IpivKvm& k, int id) {
  Ptr<IpivVcpu> v = kvm_vm_ioctl_create_vcpu_ipiv(k, id);
  if (v) k.vcpu_fds.at(id).store(v, Order::Relaxed);
  k.start_mtx.lock();
  k.ready.set(k.ready.get() + 1);
  k.start_chan.wakeup();
  while (k.ready.get() < k.nvcpus) k.start_chan.sleep(k.start_mtx);
  k.start_mtx.unlock();
  if (!v) return;
  k.ran_guest = true;
  k.m.cpu(id).run_from(id == 0 ? k.m.bsp_entry() : mc::kApTrampoline);  // KVM_RUN, forever
}

}  // namespace

void IpivKvm::check_invariants(Execution& e) {
  const Ptr<PidTable>& table = pid_table.peek();
  for (int64_t id : created_ids) {
    if (id >= max_vcpu_ids.peek())
      return e.report(sim::ViolationKind::Invariant,
                    "vcpu" + std::to_string(id) + " exists but max_vcpu_ids is " + std::to_string(max_vcpu_ids.peek()), "max_vcpu_ids");
  }
  for (int i = 0; i < nvcpus; ++i) {
    const Ptr<IpivVcpu>& v = vcpu_fds.peek(static_cast<size_t>(i)).peek();
    if (!v) continue;
    if (v->vmcs_pid_table.peek() != table)
      return e.report(sim::ViolationKind::Invariant,
                    "vcpu" + std::to_string(i) + "'s VMCS points to a PID table that is not the VM's (two tables were allocated; " +
                        std::to_string(lost_ipis) + " IPI(s) lost)",
                    "pid_table");
    if (v->vmcs_last_pid_index.peek() + 1 > table->entry.size())
      return e.report(sim::ViolationKind::Invariant, "vcpu" + std::to_string(i) + "'s last PID index exceeds the table", "pid_table");
  }
  if (ran_guest) {
    const uint32_t acks = m.peek32(mc::kAcks);
    if (acks != static_cast<uint32_t>(nvcpus - 1) || lost_ipis)
      return e.report(sim::ViolationKind::Invariant,
                    std::to_string(lost_ipis) + " IPI(s) lost: the peers acknowledged " + std::to_string(acks) + " of " +
                        std::to_string(nvcpus - 1),
                    "guest.acks");
  }
}

}  // namespace vcpucheck::models::kvm

namespace vcpucheck::models {

void register_kvm_ipiv_model(Registry& r) {
  using namespace kvm;
  using X = Execution;
  ModelDef m;
  m.name = "kvm.ipiv";
  m.help = "KVM VMX IPI virtualization: the PID-pointer table, set-once max_vcpu_ids, guests sending IPIs through it";
  m.params = {{"nvcpus", ArgType::Int, "vCPUs (and emulated CPUs); vCPU 0 sends an IPI to each other", int64_t{3}}};
  m.switches = {
      {"precreate-unlocked", "kvm_arch_vcpu_precreate() runs outside kvm->lock: two creators can allocate two PID tables"},
      {"max-vcpu-id-mutable", "KVM_CAP_MAX_VCPU_ID is accepted after vCPUs exist (max_vcpu_ids not set-once)"},
  };
  m.validate = [](const Config& c) -> std::pair<std::string, std::string> {
    if (c.params.i("nvcpus") < 1 || c.params.i("nvcpus") > 4) return {"/params/nvcpus", "expected 1 to 4"};
    return {};
  };
  m.ops = {
      op<IpivKvm>("vcpu", "a VMM vCPU thread: KVM_CREATE_VCPU(id), wait for the others, then KVM_RUN its guest",
                  {{"id", ArgType::Int, "the vCPU id (0 sends, the others receive)", {}, int_below_param(0, "nvcpus")}},
                  [](IpivKvm& k, X& x, const Args& a) {
                    const int64_t id = a.i("id");
                    if (id < 0 || id >= k.nvcpus)
                      x.fail(sim::ViolationKind::ModelError, "vcpu id must be 0..nvcpus-1", sim::Loc::current());
                    vcpu_thread(k, static_cast<int>(id));
                  }),
      op<IpivKvm>("create_vcpu", "KVM_CREATE_VCPU(id) alone (no guest)", {{"id", ArgType::Int, "the vCPU id", {}, int_in(0, INT32_MAX)}},
                  [](IpivKvm& k, X&, const Args& a) {
                    const int64_t id = a.i("id");
                    if (Ptr<IpivVcpu> v = kvm_vm_ioctl_create_vcpu_ipiv(k, id)) k.vcpu_fds.at(id).store(v, Order::Relaxed);
                  }),
      op<IpivKvm>("enable_cap_max_vcpu_id", "KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID, value)",
                  {{"value", ArgType::Int, "the new max_vcpu_ids", {}, int_in(0, INT32_MAX)}},
                  [](IpivKvm& k, X&, const Args& a) { kvm_vm_ioctl_enable_cap_max_vcpu_id(k, a.i("value")); }),
  };
  m.create = [](X& x, const Config& c) -> std::shared_ptr<Instance> {
    sim::Scope s(x, "kvm");
    return std::make_shared<IpivKvm>(x, c);
  };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
