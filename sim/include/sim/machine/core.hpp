// One emulated x86 CPU core: a Unicorn engine, opened once and reset per execution. This is the
// only file that includes Unicorn (core.cpp); the rest of vcpucheck sees guest mode as a call
// that returns at the next exit.
//
// Facts this relies on, measured on Unicorn 2.0.1 here (tests/machine_test.cpp keeps them true):
//  - a code hook gives each instruction's exact address; inside MMIO callbacks the PC is not
//    exact, so the core tracks the current instruction itself;
//  - RDMSR/WRMSR cannot be hooked: the code hook sees them before they run (WRMSR is handled
//    there, RDMSR's result is written at the next instruction);
//  - uc_emu_start(begin) in a 16-bit engine sets EIP = begin - CS * 16 whatever mode the CPU is
//    in, so a run resumes at CS * 16 + EIP;
//  - uc_emu_stop() in a code hook stops before that instruction but leaves its linear address in
//    EIP (so does uc_emu_start's instruction count): the core counts instructions itself and
//    puts EIP back;
//  - HLT ends uc_emu_start with EIP after the HLT;
//  - a fiber may yield inside an MMIO callback and resume later; but no C++ exception may cross
//    Unicorn's C frames, so callbacks catch everything, stop the engine, and run() rethrows.
#pragma once
#include <array>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vcpucheck::sim::machine {

class Core;

// How a guest instruction writes memory.
enum class GuestWrite : uint8_t {
  Store,      // a MOV-like store
  SplitRmw,   // the write of a non-locked read-modify-write of the same address (INC m, ADD r, m)
  LockedRmw,  // the write of a LOCK-prefixed instruction or XCHG with memory: its read came just before
};

// What the core calls, on its own thread, when the guest touches something that is not RAM.
class CoreHost {
 public:
  virtual ~CoreHost() = default;
  // `rmw`: a locked read-modify-write (LOCK prefix, XCHG with memory); its write follows at once.
  virtual uint64_t mmio_read(Core& c, uint64_t addr, unsigned size, bool rmw) = 0;
  virtual void mmio_write(Core& c, uint64_t addr, unsigned size, uint64_t value, GuestWrite kind) = 0;
  virtual uint64_t rdmsr(Core& c, uint32_t msr) = 0;
  virtual void wrmsr(Core& c, uint32_t msr, uint64_t value) = 0;
  // Before an instruction that orders every earlier store before every later load: MFENCE,
  // a locked instruction, a serializing one (CPUID, IRET, MOV to CR, LGDT/LIDT, INVD/WBINVD).
  virtual void serialize(Core& c) = 0;
  // With boundary checks on (Core::set_boundary_checks): called at the instruction boundary
  // after each of the callbacks above (the guest's visible accesses). True ends run() before that
  // instruction with CoreExit::Kick -- another thread forced a VM exit.
  virtual bool exit_pending(Core&) { return false; }
};

// Kick: a forced exit (Cpu::kick) at an instruction boundary; run() may be called again.
enum class CoreExit { Halt, Budget, Exit, Stopped, Fault, Kick };

class Core {
 public:
  // `ram` (ram_size bytes from guest physical 0) is shared by every core; `mmio` ranges
  // (address, size) are routed to the host instead.
  Core(int index, uint8_t* ram, uint64_t ram_size, const std::vector<std::pair<uint64_t, uint64_t>>& mmio,
       CoreHost* host);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  int index() const { return index_; }
  // Registers to their power-on state (real mode, CS:IP = 0:0).
  void power_on();
  // Real mode at `linear` (a multiple of 16): CS = linear >> 4, IP = 0 -- a SIPI or a boot.
  void start_real_mode(uint32_t linear);
  // Guest mode until HLT, `budget` instructions, stop(), a fault or a kick (exit_pending).
  // Rethrows what a callback threw.
  CoreExit run(uint64_t budget);
  // From a callback: end run() at the next instruction boundary.
  void stop();
  // From a callback (an exit to the VMM that needs userspace): end run() cleanly before the next
  // instruction, so the current one completes and is never executed twice. run() returns Exit.
  void request_exit() { exit_requested_ = true; }
  // Ask the host (exit_pending) at the boundary after each visible access whether to exit.
  void set_boundary_checks(bool on) { boundary_checks_ = on; }
  // The instruction executing now (inside callbacks) or last executed; 0 before any.
  uint64_t ip() const { return ip_; }
  const std::string& fault() const { return fault_; }

 private:
  static void on_code(void* uc, uint64_t addr, uint32_t size, void* self);
  static uint64_t on_read(void* uc, uint64_t off, unsigned size, void* region);
  static void on_write(void* uc, uint64_t off, unsigned size, uint64_t value, void* region);
  static void on_interrupt(void* uc, uint32_t intno, void* self);
  bool locked_rmw_at(uint64_t addr) const;
  void abort_with(std::exception_ptr e);
  // What on_code needs to know of the instruction at an address, decoded once: a direct-mapped
  // cache checked against the instruction's first 8 bytes (guest memory is rewritten between
  // executions, and a guest may write code), so a stale entry is never used.
  enum Kind : uint8_t { kSerializes = 1, kLocked = 2, kHlt = 4, kWrmsr = 8, kRdmsr = 16 };
  struct Decoded {
    uint64_t addr = UINT64_MAX;
    uint64_t bytes = 0;
    uint8_t kinds = 0;
  };
  uint8_t decode(uint64_t addr);
  std::array<Decoded, 256> decoded_{};
  uint8_t kinds_ = 0;  // of the instruction at ip_

  struct Region {
    Core* core;
    uint64_t base;
  };
  int index_;
  uint8_t* ram_;
  uint64_t ram_size_;
  CoreHost* host_;
  void* uc_ = nullptr;   // uc_engine*
  void* ctx0_ = nullptr; // uc_context*: power-on state
  std::vector<std::unique_ptr<Region>> regions_;
  uint64_t ip_ = 0;
  bool halted_ = false, stop_ = false, budget_hit_ = false, exit_requested_ = false, kicked_ = false;
  bool boundary_checks_ = false, check_due_ = false;  // check_due_: a visible access since the last boundary
  uint64_t budget_left_ = 0, resume_ = 0;
  bool rdmsr_pending_ = false;
  uint32_t rdmsr_msr_ = 0;
  uint64_t rmw_addr_ = UINT64_MAX;  // a locked RMW's read has happened; its write completes it
  uint64_t read_addr_ = UINT64_MAX;  // what this instruction read (a write there is a split RMW)
  std::string fault_;
  std::exception_ptr error_;
};

}  // namespace vcpucheck::sim::machine
