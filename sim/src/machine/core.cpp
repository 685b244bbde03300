#include "sim/machine/core.hpp"

#include <unicorn/unicorn.h>

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <stdexcept>

namespace vcpucheck::sim::machine {

namespace {
uc_engine* E(void* p) { return static_cast<uc_engine*>(p); }

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK) throw std::runtime_error(std::string("unicorn: ") + what + ": " + uc_strerror(e));
}

uint64_t reg(void* uc, int r) {
  uint64_t v = 0;
  uc_reg_read(E(uc), r, &v);
  return v;
}

void set_reg(void* uc, int r, uint64_t v) { uc_reg_write(E(uc), r, &v); }

// Instructions that order every earlier store before every later load (SDM 8.2.5, 8.3): MFENCE
// (0F AE /6, register form), CPUID, IRET, MOV to a control register, LGDT/LIDT, INVD/WBINVD.
// (LFENCE and SFENCE do not: neither waits for the store buffer on write-back memory. WRMSR is
// the host's to judge: x2APIC register writes are not serializing.)
bool serializes(uint8_t op, uint8_t op2, uint8_t modrm) {
  if (op == 0xCF) return true;
  if (op != 0x0F) return false;
  switch (op2) {
    case 0xAE: return modrm >= 0xF0 && modrm <= 0xF7;
    case 0xA2: case 0x22: case 0x08: case 0x09: return true;
    case 0x01: return (modrm >> 6) != 3 && (((modrm >> 3) & 7) == 2 || ((modrm >> 3) & 7) == 3);
  }
  return false;
}

bool is_prefix(uint8_t b) {
  switch (b) {
    case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3: case 0x2E: case 0x36: case 0x3E: case 0x26: case 0x64:
    case 0x65:
      return true;
  }
  return false;
}
}  // namespace

Core::Core(int index, uint8_t* ram, uint64_t ram_size, const std::vector<std::pair<uint64_t, uint64_t>>& mmio,
           CoreHost* host)
    : index_(index), ram_(ram), ram_size_(ram_size), host_(host) {
  uc_engine* uc = nullptr;
  check(uc_open(UC_ARCH_X86, UC_MODE_16, &uc), "open");
  uc_ = uc;
  // RAM around the MMIO ranges inside it.
  uint64_t at = 0;
  std::vector<std::pair<uint64_t, uint64_t>> sorted = mmio;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [base, size] : sorted) {
    if (base < ram_size) {
      if (base > at) check(uc_mem_map_ptr(uc, at, base - at, UC_PROT_ALL, ram + at), "map RAM");
      at = base + size;
    }
    regions_.push_back(std::make_unique<Region>(Region{this, base}));
    check(uc_mmio_map(uc, base, size, reinterpret_cast<uc_cb_mmio_read_t>(&Core::on_read), regions_.back().get(),
                      reinterpret_cast<uc_cb_mmio_write_t>(&Core::on_write), regions_.back().get()),
          "map MMIO");
  }
  if (at < ram_size) check(uc_mem_map_ptr(uc, at, ram_size - at, UC_PROT_ALL, ram + at), "map RAM");
  uc_hook h;
  check(uc_hook_add(uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&Core::on_code), this, 0, ram_size - 1), "code hook");
  check(uc_hook_add(uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&Core::on_interrupt), this, 1, 0), "interrupt hook");
  uc_context* c = nullptr;
  check(uc_context_alloc(uc, &c), "context");
  check(uc_context_save(uc, c), "save context");
  ctx0_ = c;
}

Core::~Core() {
  if (ctx0_) uc_context_free(static_cast<uc_context*>(ctx0_));
  if (uc_) uc_close(E(uc_));
}

void Core::power_on() {
  check(uc_context_restore(E(uc_), static_cast<uc_context*>(ctx0_)), "restore context");
  ip_ = 0;
  rdmsr_pending_ = false;
  kinds_ = 0;
  rmw_addr_ = read_addr_ = UINT64_MAX;
}

void Core::start_real_mode(uint32_t linear) {
  power_on();
  set_reg(uc_, UC_X86_REG_CS, linear >> 4);
  set_reg(uc_, UC_X86_REG_EIP, 0);
}

CoreExit Core::run(uint64_t budget) {
  halted_ = stop_ = budget_hit_ = exit_requested_ = kicked_ = check_due_ = false;
  fault_.clear();
  error_ = nullptr;
  budget_left_ = budget;
  const uint64_t begin = (reg(uc_, UC_X86_REG_EIP) & 0xFFFFFFFF) + (reg(uc_, UC_X86_REG_CS) & 0xFFFF) * 16;
  uc_err e = uc_emu_start(E(uc_), begin, 0, 0, 0);
  if (budget_hit_) {
    // Stopped before the instruction at resume_: Unicorn leaves its linear address in EIP.
    const bool real_mode = (reg(uc_, UC_X86_REG_CR0) & 1) == 0;
    const uint64_t cs_base = real_mode ? (reg(uc_, UC_X86_REG_CS) & 0xFFFF) * 16 : 0;  // guests use flat segments
    set_reg(uc_, UC_X86_REG_EIP, resume_ - cs_base);
  }
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  if (!fault_.empty()) return CoreExit::Fault;
  if (e != UC_ERR_OK) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " at ip 0x%llx", static_cast<unsigned long long>(ip_));
    fault_ = std::string(uc_strerror(e)) + buf;
    return CoreExit::Fault;
  }
  if (halted_) return CoreExit::Halt;
  if (kicked_) return CoreExit::Kick;
  if (budget_hit_) return exit_requested_ ? CoreExit::Exit : CoreExit::Budget;
  return CoreExit::Stopped;
}

void Core::stop() {
  stop_ = true;
  uc_emu_stop(E(uc_));
}

void Core::abort_with(std::exception_ptr e) {
  if (!error_) error_ = e;
  stop();
}

bool Core::locked_rmw_at(uint64_t addr) const {
  bool lock = false;
  uint64_t p = addr;
  while (p < ram_size_ && is_prefix(ram_[p])) lock = lock || ram_[p++] == 0xF0;
  if (lock) return true;
  // XCHG with a memory operand is locked without the prefix.
  return p + 1 < ram_size_ && (ram_[p] == 0x86 || ram_[p] == 0x87) && (ram_[p + 1] >> 6) != 3;
}

uint8_t Core::decode(uint64_t addr) {
  uint64_t p = addr;
  while (p < ram_size_ && is_prefix(ram_[p])) ++p;
  if (p + 1 >= ram_size_) return 0;
  const uint8_t op = ram_[p], op2 = ram_[p + 1], modrm = p + 2 < ram_size_ ? ram_[p + 2] : 0;
  uint8_t kinds = 0;
  if (serializes(op, op2, modrm)) kinds |= kSerializes;
  if (locked_rmw_at(addr)) kinds |= kLocked;
  if (op == 0xF4) kinds |= kHlt;
  if (op == 0x0F && op2 == 0x30) kinds |= kWrmsr;
  if (op == 0x0F && op2 == 0x32) kinds |= kRdmsr;
  if (p + 3 > addr + 8 || addr + 8 > ram_size_) return kinds;  // decoded from beyond 8 bytes: not cached
  Decoded& d = decoded_[addr & (decoded_.size() - 1)];
  d.addr = addr;
  std::memcpy(&d.bytes, ram_ + addr, 8);
  d.kinds = kinds;
  return kinds;
}

void Core::on_code(void* uc, uint64_t addr, uint32_t, void* self) {
  Core& c = *static_cast<Core*>(self);
  if (c.error_) return;
  try {
    if (c.rdmsr_pending_) {  // RDMSR ran; its result is ours
      c.rdmsr_pending_ = false;
      uint64_t v = c.host_->rdmsr(c, c.rdmsr_msr_);
      set_reg(uc, UC_X86_REG_EAX, v & 0xFFFFFFFF);
      set_reg(uc, UC_X86_REG_EDX, v >> 32);
      c.check_due_ = c.boundary_checks_;
    }
    if (c.check_due_) {  // the boundary after a visible access: a kick takes effect here
      c.check_due_ = false;  // (an exit already requested serves a kick as well: it stays pending)
      if (!c.exit_requested_) c.kicked_ = c.host_->exit_pending(c);
    }
    if (c.exit_requested_ || c.kicked_ || c.budget_left_-- == 0) {  // stop before this instruction; run() resumes here
      c.budget_hit_ = true;
      c.resume_ = addr;
      uc_emu_stop(E(uc));
      return;
    }
    c.ip_ = addr;
    c.read_addr_ = UINT64_MAX;
    const Decoded& d = c.decoded_[addr & (c.decoded_.size() - 1)];
    uint64_t bytes = 0;
    if (addr + 8 <= c.ram_size_) std::memcpy(&bytes, c.ram_ + addr, 8);
    const uint8_t kinds = d.addr == addr && d.bytes == bytes && addr + 8 <= c.ram_size_ ? d.kinds : c.decode(addr);
    c.kinds_ = kinds;
    if (kinds & (kSerializes | kLocked)) c.host_->serialize(c);
    if (kinds & kHlt) {
      if (c.exit_requested_) return;
      c.halted_ = true;
    } else if (kinds & kWrmsr) {  // WRMSR: ECX, EDX:EAX
      const uint32_t msr = static_cast<uint32_t>(reg(uc, UC_X86_REG_ECX));
      const uint64_t v = (reg(uc, UC_X86_REG_EDX) & 0xFFFFFFFF) << 32 | (reg(uc, UC_X86_REG_EAX) & 0xFFFFFFFF);
      c.host_->wrmsr(c, msr, v);
      c.check_due_ = c.boundary_checks_;
    } else if (kinds & kRdmsr) {  // RDMSR: answered at the next instruction
      c.rdmsr_pending_ = true;
      c.rdmsr_msr_ = static_cast<uint32_t>(reg(uc, UC_X86_REG_ECX));
    }
  } catch (...) {
    c.abort_with(std::current_exception());
  }
}

uint64_t Core::on_read(void*, uint64_t off, unsigned size, void* region) {
  Region& r = *static_cast<Region*>(region);
  Core& c = *r.core;
  if (c.error_) return 0;
  try {
    const uint64_t addr = r.base + off;
    const bool rmw = (c.kinds_ & kLocked) != 0;  // of the instruction at ip_ (on_code)
    if (rmw) c.rmw_addr_ = addr;
    else c.read_addr_ = addr;
    c.check_due_ = c.boundary_checks_;
    return c.host_->mmio_read(c, addr, size, rmw);
  } catch (...) {
    c.abort_with(std::current_exception());
    return 0;
  }
}

void Core::on_write(void*, uint64_t off, unsigned size, uint64_t value, void* region) {
  Region& r = *static_cast<Region*>(region);
  Core& c = *r.core;
  if (c.error_) return;
  try {
    const uint64_t addr = r.base + off;
    const GuestWrite kind = c.rmw_addr_ == addr    ? GuestWrite::LockedRmw
                            : c.read_addr_ == addr ? GuestWrite::SplitRmw
                                                   : GuestWrite::Store;
    c.rmw_addr_ = c.read_addr_ = UINT64_MAX;
    c.check_due_ = c.boundary_checks_;
    c.host_->mmio_write(c, addr, size, value, kind);
  } catch (...) {
    c.abort_with(std::current_exception());
  }
}

void Core::on_interrupt(void*, uint32_t intno, void* self) {
  Core& c = *static_cast<Core*>(self);
  char buf[96];
  std::snprintf(buf, sizeof buf, "exception %u at ip 0x%llx", intno, static_cast<unsigned long long>(c.ip_));
  c.fault_ = buf;
  c.stop();
}

}  // namespace vcpucheck::sim::machine
