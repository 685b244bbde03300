// The local APIC, as the Intel SDM (vol. 3A, "Advanced Programmable Interrupt Controller")
// defines what a guest can see of it: a register file (xAPIC at 0xFEE00000, x2APIC through MSRs
// 0x800-0x8FF), ICR decoding, and destination resolution. Pure logic: no emulator, no threads;
// the Machine and the VMM models decide when things happen.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vcpucheck::sim::machine {

constexpr uint64_t kLapicBase = 0xFEE00000;

// xAPIC register offsets (the x2APIC MSR is 0x800 + offset / 16).
enum LapicReg : uint32_t {
  APIC_ID = 0x20,
  APIC_VERSION = 0x30,
  APIC_TPR = 0x80,
  APIC_EOI = 0xB0,
  APIC_LDR = 0xD0,
  APIC_DFR = 0xE0,
  APIC_SVR = 0xF0,
  APIC_ISR = 0x100,  // 8 registers, 0x100..0x170
  APIC_IRR = 0x200,  // 8 registers, 0x200..0x270
  APIC_ESR = 0x280,
  APIC_ICR_LO = 0x300,
  APIC_ICR_HI = 0x310,
  APIC_LVT_TIMER = 0x320,
};
constexpr uint32_t kMsrApicBase = 0x1B;
constexpr uint32_t kMsrX2apicFirst = 0x800, kMsrX2apicLast = 0x8FF;
constexpr uint32_t kMsrX2apicIcr = 0x830;
constexpr uint32_t x2apic_msr(uint32_t reg) { return kMsrX2apicFirst + reg / 16; }
constexpr uint32_t reg_of_msr(uint32_t msr) { return (msr - kMsrX2apicFirst) * 16; }
const char* lapic_reg_name(uint32_t reg);

enum class DeliveryMode : uint8_t { Fixed, LowestPriority, Smi, Reserved3, Nmi, Init, Startup, Reserved7 };
enum class Shorthand : uint8_t { None, Self, AllIncludingSelf, AllExcludingSelf };
const char* delivery_mode_name(DeliveryMode m);
const char* shorthand_name(Shorthand s);

// One interprocessor interrupt command (ICR), decoded.
struct Icr {
  uint8_t vector = 0;
  DeliveryMode mode = DeliveryMode::Fixed;
  bool logical = false;        // destination mode: bit 11
  bool level_assert = true;    // bit 14
  bool level_trigger = false;  // bit 15
  Shorthand shorthand = Shorthand::None;
  uint32_t dest = 0;           // xAPIC: bits 63:56; x2APIC: bits 63:32
  bool x2apic = false;

  std::string describe() const;  // "INIT to APIC 1 (physical)", "STARTUP vector 0x08 to all but self"
};

Icr decode_icr(uint64_t icr, bool x2apic);
uint64_t encode_icr(const Icr& i);

// Why an IPI is not sent at all, per the SDM (empty when it is valid): INIT level de-assert, a
// STARTUP with a shorthand that includes self, a fixed vector below 16, a reserved mode...
std::string icr_invalid_reason(const Icr& i);

// A local APIC's architectural registers.
struct Lapic {
  uint32_t id = 0;       // physical APIC ID (xAPIC: bits 31:24 of the ID register)
  bool x2apic = false;   // IA32_APIC_BASE.EXTD
  uint32_t tpr = 0, ldr = 0, dfr = 0xFFFFFFFF, svr = 0xFF, esr = 0, lvt_timer = 0x10000;
  uint32_t icr_lo = 0, icr_hi = 0;
  std::array<uint32_t, 8> isr{}, irr{};

  // INIT or power-on: every register reset but the APIC ID and the x2APIC mode (SDM 10.12.5.1).
  void reset();
  uint32_t read(uint32_t reg) const;   // an xAPIC register as MMIO shows it
  void set_irr(uint8_t vector) { irr[vector / 32] |= 1u << (vector % 32); }
  bool irr_pending() const;
  uint64_t apic_base_msr(bool bsp) const;
};

// The APIC IDs an IPI from `self` reaches (SDM 10.6.2): physical destination or broadcast,
// logical flat (xAPIC) or cluster (x2APIC) matching, and the shorthands. In APIC-ID order.
std::vector<uint32_t> icr_targets(const Icr& i, uint32_t self, const std::vector<const Lapic*>& all);

}  // namespace vcpucheck::sim::machine
