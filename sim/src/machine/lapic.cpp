#include "sim/machine/lapic.hpp"

#include <cstdio>

namespace vcpucheck::sim::machine {

const char* lapic_reg_name(uint32_t reg) {
  switch (reg) {
    case APIC_ID: return "ID";
    case APIC_VERSION: return "VERSION";
    case APIC_TPR: return "TPR";
    case APIC_EOI: return "EOI";
    case APIC_LDR: return "LDR";
    case APIC_DFR: return "DFR";
    case APIC_SVR: return "SVR";
    case APIC_ESR: return "ESR";
    case APIC_ICR_LO: return "ICR_LO";
    case APIC_ICR_HI: return "ICR_HI";
    case APIC_LVT_TIMER: return "LVT_TIMER";
  }
  if (reg >= APIC_ISR && reg < APIC_ISR + 0x80) return "ISR";
  if (reg >= APIC_IRR && reg < APIC_IRR + 0x80) return "IRR";
  return "reserved";
}

const char* delivery_mode_name(DeliveryMode m) {
  static const char* names[] = {"fixed", "lowest-priority", "SMI", "reserved(3)", "NMI", "INIT", "STARTUP", "reserved(7)"};
  return names[static_cast<int>(m)];
}

const char* shorthand_name(Shorthand s) {
  static const char* names[] = {"none", "self", "all", "all-but-self"};
  return names[static_cast<int>(s)];
}

Icr decode_icr(uint64_t v, bool x2apic) {
  Icr i;
  i.vector = static_cast<uint8_t>(v & 0xFF);
  i.mode = static_cast<DeliveryMode>((v >> 8) & 7);
  i.logical = (v >> 11) & 1;
  i.level_assert = (v >> 14) & 1;
  i.level_trigger = (v >> 15) & 1;
  i.shorthand = static_cast<Shorthand>((v >> 18) & 3);
  i.dest = x2apic ? static_cast<uint32_t>(v >> 32) : static_cast<uint32_t>((v >> 56) & 0xFF);
  i.x2apic = x2apic;
  return i;
}

uint64_t encode_icr(const Icr& i) {
  uint64_t v = i.vector | (uint64_t(i.mode) << 8) | (uint64_t(i.logical) << 11) | (uint64_t(i.level_assert) << 14) |
               (uint64_t(i.level_trigger) << 15) | (uint64_t(i.shorthand) << 18);
  return v | (i.x2apic ? uint64_t(i.dest) << 32 : uint64_t(i.dest & 0xFF) << 56);
}

std::string Icr::describe() const {
  char buf[160];
  std::string what = delivery_mode_name(mode);
  if (mode == DeliveryMode::Startup || mode == DeliveryMode::Fixed) {
    char v[24];
    std::snprintf(v, sizeof v, " vector 0x%02x", vector);
    what += v;
  }
  if (shorthand != Shorthand::None)
    std::snprintf(buf, sizeof buf, "%s to %s", what.c_str(),
                  shorthand == Shorthand::Self ? "self" : shorthand == Shorthand::AllIncludingSelf ? "all" : "all but self");
  else
    std::snprintf(buf, sizeof buf, "%s to APIC %u (%s)", what.c_str(), dest, logical ? "logical" : "physical");
  return buf;
}

std::string icr_invalid_reason(const Icr& i) {
  if (i.mode == DeliveryMode::Init && i.level_trigger && !i.level_assert) return "INIT level de-assert is ignored";
  if (i.mode == DeliveryMode::Startup && i.shorthand != Shorthand::None && i.shorthand != Shorthand::AllExcludingSelf)
    return "STARTUP is valid only with no shorthand or all-excluding-self";
  if (i.mode == DeliveryMode::Fixed && i.vector < 16) return "fixed IPI with an illegal vector (below 16)";
  if (i.mode == DeliveryMode::Reserved3 || i.mode == DeliveryMode::Reserved7) return "reserved delivery mode";
  if (i.mode == DeliveryMode::LowestPriority && i.x2apic) return "lowest-priority delivery is reserved in x2APIC mode";
  if (i.mode == DeliveryMode::Smi || i.mode == DeliveryMode::Nmi || i.mode == DeliveryMode::LowestPriority)
    return std::string(delivery_mode_name(i.mode)) + " IPIs are not modelled";
  return "";
}

void Lapic::reset() {
  tpr = 0;
  ldr = 0;
  dfr = 0xFFFFFFFF;
  svr = 0xFF;
  esr = 0;
  lvt_timer = 0x10000;
  icr_lo = icr_hi = 0;
  isr.fill(0);
  irr.fill(0);
}

bool Lapic::irr_pending() const {
  for (uint32_t w : irr)
    if (w) return true;
  return false;
}

uint64_t Lapic::apic_base_msr(bool bsp) const {
  return kLapicBase | (1u << 11) /* EN */ | (x2apic ? 1u << 10 : 0) | (bsp ? 1u << 8 : 0);
}

uint32_t Lapic::read(uint32_t reg) const {
  switch (reg) {
    case APIC_ID: return x2apic ? id : id << 24;
    case APIC_VERSION: return 0x14 | (5u << 16);  // integrated APIC, 6 LVT entries
    case APIC_TPR: return tpr;
    case APIC_LDR: return ldr;
    case APIC_DFR: return dfr;
    case APIC_SVR: return svr;
    case APIC_ESR: return esr;
    case APIC_ICR_LO: return icr_lo & ~(1u << 12);  // delivery status: always idle
    case APIC_ICR_HI: return icr_hi;
    case APIC_LVT_TIMER: return lvt_timer;
  }
  if (reg >= APIC_ISR && reg < APIC_ISR + 0x80) return isr[(reg - APIC_ISR) / 16];
  if (reg >= APIC_IRR && reg < APIC_IRR + 0x80) return irr[(reg - APIC_IRR) / 16];
  return 0;
}

std::vector<uint32_t> icr_targets(const Icr& i, uint32_t self, const std::vector<const Lapic*>& all) {
  std::vector<uint32_t> out;
  const uint32_t broadcast = i.x2apic ? 0xFFFFFFFFu : 0xFFu;
  for (const Lapic* l : all) {
    bool hit = false;
    switch (i.shorthand) {
      case Shorthand::Self: hit = l->id == self; break;
      case Shorthand::AllIncludingSelf: hit = true; break;
      case Shorthand::AllExcludingSelf: hit = l->id != self; break;
      case Shorthand::None:
        if (i.dest == broadcast)
          hit = true;
        else if (!i.logical)
          hit = l->id == i.dest;
        else if (i.x2apic)  // cluster: bits 31:16 select the cluster, 15:0 the members
          hit = (i.dest >> 16) == (l->ldr >> 16) && (i.dest & l->ldr & 0xFFFF);
        else  // flat model
          hit = ((l->ldr >> 24) & i.dest) != 0;
        break;
    }
    if (hit) out.push_back(l->id);
  }
  return out;
}

}  // namespace vcpucheck::sim::machine
