// The emulated machine: N x86 cores (Unicorn) sharing one guest RAM, a local APIC each, and the
// CPU rules for INIT, STARTUP and HLT. Opened once per worker (x.resources) and reset at the
// start of every execution, which also creates that execution's sim objects:
//
//   guest.<symbol>         observed guest memory (the shared page): each access is a visible
//                          operation; a plain increment is two (read, write), a locked one is one
//   cpu[i].lapic.<REG>     LAPIC registers as the guest touches them
//   cpu[i].mailbox         IPIs delivered to CPU i and not yet taken (INIT, STARTUP, fixed)
//   cpu[i].state           RUNNING, HALTED or WAIT_FOR_SIPI; written by CPU i's own thread only
//
// A vCPU thread alternates guest mode (Core::run) and host mode (handling the exit), like a
// hypervisor's run loop. Who decides where an IPI goes is the ApicHandler: the machine's own
// hardware handler follows the SDM; a VMM model installs its vlapic instead.
//
// CPU rules (SDM 8.4, MP spec B.4): INIT puts an AP in wait-for-SIPI (the BSP restarts); a STARTUP
// with vector VV in wait-for-SIPI starts real mode at CS = VV00h, IP = 0 and leaves
// wait-for-SIPI, so a second one is dropped; a STARTUP in any other state is dropped; a fixed IPI
// sets IRR and wakes a halted CPU. IPIs reach a CPU when it is halted or waiting for SIPI: one
// sent to a running CPU stays in its mailbox until it halts.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/chan.hpp"
#include "sim/machine/core.hpp"
#include "sim/machine/lapic.hpp"
#include "sim/machine/program.hpp"
#include "sim/memory.hpp"

namespace vcpucheck::sim::machine {

// Guest physical layout (sim/guest/guest.inc says the same).
constexpr uint64_t kRamSize = 0x10000;
constexpr uint64_t kSharedPage = 0x9000;
constexpr uint64_t kNcpus = kSharedPage + 0x00, kStartedCount = kSharedPage + 0x04, kBspDone = kSharedPage + 0x08,
                   kStartedIds = kSharedPage + 0x10;
constexpr uint32_t kApTrampoline = 0x8000;  // SIPI vector 0x08
constexpr uint64_t kAcks = kSharedPage + 0x0C;  // interrupts acknowledged (ipi_receiver)
constexpr uint64_t kEntered = kSharedPage + 0x1F0, kFlags = kSharedPage + 0x200;  // ap_dekker
constexpr uint64_t kData = kSharedPage + 0x1E0, kMissed = kSharedPage + 0x1E4;     // ap_take_data

enum CpuState : int { CPU_RUNNING, CPU_HALTED, CPU_WAIT_FOR_SIPI };
const char* cpu_state_name(int s);

struct MachineConfig {
  int ncpus = 2;
  bool x2apic = false;
  std::string bsp_program = "bsp_init_sipi";
  std::string ap_program = "ap_trampoline";  // loaded at its base too (the SIPI target)
  int guest_ncpus = 0;  // NCPUS as the guest reads it (0: ncpus)
  // Cpu::kick may force a VM exit: each CPU checks for a kick at VM entry and at the instruction
  // boundary after every visible guest access (one more visible operation each; off by default).
  bool kickable = false;
  std::string key() const;
};

struct Ipi {
  DeliveryMode mode = DeliveryMode::Fixed;
  uint8_t vector = 0;
  uint32_t from = 0;
  uint32_t sent = 0;  // the step that posted it to the target's mailbox (for the trace's link)
};

class Machine;
class Cpu;

// The guest's view of its local APIC, as a VMM (or hardware) implements it. Called on the
// accessing CPU's thread, in host mode.
class ApicHandler {
 public:
  virtual ~ApicHandler() = default;
  virtual uint64_t apic_read(Cpu& c, uint32_t reg);                 // xAPIC MMIO or x2APIC RDMSR
  virtual void apic_write(Cpu& c, uint32_t reg, uint64_t value);    // an ICR write sends an IPI
  // The IPI an ICR write sends: hardware delivers it to its destinations.
  virtual void send_ipi(Cpu& c, const Icr& icr);
};

// A guest memory word as a shared object (a visible operation per access). What x86 guarantees
// is what the detectors see: an aligned load is an acquire, a store a release, a locked
// instruction a sequentially consistent read-modify-write; only a non-locked read-modify-write's
// write is a plain (racy) access. Under x86-TSO (store_buffer.hpp) a store enters the CPU
// thread's store buffer and a load forwards the CPU's own buffered bytes.
class GuestCell final : public SharedObject, public BufferTarget {
 public:
  GuestCell(Execution& x, const std::string& name, uint8_t* backing);
  // `offset`: of the access inside this 4-byte word.
  uint64_t read(unsigned offset, unsigned size, uint64_t gip, bool rmw_begin);
  void write(unsigned offset, unsigned size, uint64_t value, uint64_t gip, GuestWrite kind);
  // A visible access whose value lives elsewhere (a LAPIC register).
  void note(OpKind k, uint64_t value, uint64_t gip);
  // A hardware flag kept elsewhere (a CPU's pending kick): one visible read-modify-write that
  // stores `value` and returns what was there.
  uint64_t exchange_flag(uint64_t& flag, uint64_t value, uint64_t gip, const Loc& loc);
  uint64_t flush_oldest(ThreadId t) override;

 private:
  struct Buffered {
    uint32_t thread;
    unsigned offset, size;
    uint64_t value;
  };
  uint64_t memory(unsigned offset, unsigned size) const;
  uint8_t* p_;
  uint64_t rmw_old_ = 0;
  std::vector<Buffered> buffered_;  // TSO: this word's stores still in a buffer, oldest first
};

class Cpu {
 public:
  Cpu(Machine& m, int index);
  int index() const { return index_; }
  bool bsp() const { return index_ == 0; }
  Machine& machine() { return m_; }
  Core& core() { return *core_; }
  Lapic& lapic() { return lapic_; }
  const Lapic& lapic() const { return lapic_; }
  // The CPU's own view of its state: what it last set (under x86-TSO the store to cpu[i].state
  // may still be in its store buffer, and a CPU always sees its own stores).
  int state() const { return state_; }

  // --- this CPU's own thread ---------------------------------------------------------------
  void set_state(int s);  // a visible write of cpu[i].state
  // Guest mode until the next exit. A guest fault becomes a violation naming the instruction.
  // Allowed inside critical_enter() (bhyve's VMRUN): guest mode is not host code.
  CoreExit run_guest();
  // Host mode: waits (idle) for an IPI in the mailbox and takes the oldest.
  Ipi take_ipi();
  // The CPU rules for one IPI taken from the mailbox. Returns true when the CPU runs again.
  bool apply(const Ipi& ipi);
  // The hardware run loop: run, halt, take IPIs, forever (idle when halted).
  void run_forever();
  // The same, starting at `addr` in real mode at once (a vCPU whose registers the VMM set).
  void run_from(uint32_t addr);

  // Kicked (MachineConfig::kickable): whether a kick is pending, consuming it. At VM entry
  // (run_guest) and at each instruction boundary after a visible guest access.
  bool take_kick();

  // --- any thread ---------------------------------------------------------------------------
  void post(const Ipi& ipi);  // into the mailbox (under its lock), waking the CPU
  // Forces the CPU out of guest mode (kvm_vcpu_kick's IPI, bhyve's vcpu_notify_event): one
  // visible write of cpu[i].kick. A CPU in guest mode exits with CoreExit::Kick at the next
  // instruction boundary it reaches after the kick -- after its next visible access at the
  // latest; one in host mode exits at its next VM entry, before any guest instruction (the host
  // has interrupts off around VM entry, as KVM's and bhyve's run loops do). Kicks before the exit
  // coalesce into one. Needs MachineConfig::kickable.
  void kick(const Loc& loc = Loc::current());

  // Bookkeeping for invariants (not shared state): where each STARTUP started this CPU.
  std::vector<uint32_t> starts;
  uint32_t sipis_dropped = 0;

 private:
  friend class Machine;
  void reset_objects(Execution& x);
  [[noreturn]] void run_loop();
  Machine& m_;
  int index_;
  std::unique_ptr<Core> core_;
  Lapic lapic_;
  std::vector<Ipi> queue_;  // the mailbox's contents, guarded by mailbox_lock_
  std::unique_ptr<SpinMutex> mailbox_lock_;
  std::unique_ptr<Chan> mailbox_chan_;
  std::unique_ptr<Field<int>> mailbox_;   // queue size, for the event log
  std::unique_ptr<Field<int>> state_cell_;
  std::unique_ptr<GuestCell> kick_cell_;
  uint64_t kick_pending_ = 0;
  int state_ = CPU_WAIT_FOR_SIPI;
};

class Machine : public CoreHost {
 public:
  explicit Machine(const MachineConfig& c);
  ~Machine() override;
  // The machine of this worker for `c`, reset for execution x.
  static Machine& for_execution(Execution& x, const MachineConfig& c);

  void reset(Execution& x);
  Execution& exec() { return *x_; }
  const MachineConfig& config() const { return cfg_; }
  uint32_t bsp_entry() const { return programs_[0]->base; }  // where the BSP program starts
  int ncpus() const { return cfg_.ncpus; }
  Cpu& cpu(int i) { return *cpus_[static_cast<size_t>(i)]; }
  Cpu* cpu_by_apic_id(uint32_t id);
  ApicHandler& apic() { return *apic_; }
  void set_apic_handler(ApicHandler* h) { apic_ = h ? h : &hardware_; }
  std::vector<const Lapic*> lapics() const;

  // Guest memory (peek: not a visible operation, for invariants).
  uint32_t peek32(uint64_t addr) const;
  GuestCell& cell(uint64_t addr);
  GuestCell& reg_cell(Cpu& c, uint32_t reg);  // cpu[i].lapic.<REG>

  // "sim/guest/ap_trampoline.S:21" and "0x8066 f0 0f c1 1d 04 90 00 00  lock xadd %ebx,STARTED_COUNT".
  std::pair<std::string, std::string> where(uint64_t gip) const;

  // CoreHost
  uint64_t mmio_read(Core& c, uint64_t addr, unsigned size, bool rmw) override;
  void mmio_write(Core& c, uint64_t addr, unsigned size, uint64_t value, GuestWrite kind) override;
  uint64_t rdmsr(Core& c, uint32_t msr) override;
  void wrmsr(Core& c, uint32_t msr, uint64_t value) override;
  void serialize(Core& c) override;
  bool exit_pending(Core& c) override;

  static constexpr uint64_t kBudget = 100000;  // instructions per guest run without a visible operation

 private:
  MachineConfig cfg_;
  Execution* x_ = nullptr;
  std::vector<uint8_t> ram_, pristine_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  std::vector<const GuestProgram*> programs_;
  ApicHandler hardware_;
  ApicHandler* apic_ = &hardware_;
  std::vector<std::unique_ptr<GuestCell>> cells_;  // the shared page's words, created on first access
  std::map<std::pair<int, uint32_t>, std::unique_ptr<GuestCell>> regs_;  // (cpu, reg) -> LAPIC register cell
  friend class Cpu;
};

}  // namespace vcpucheck::sim::machine
