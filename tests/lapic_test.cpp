// Local APIC logic, table-driven against the Intel SDM: ICR encodings and what they decode to,
// which IPIs are architecturally ignored, and which APIC IDs a command reaches.
#include <doctest/doctest.h>

#include "sim/machine/lapic.hpp"

using namespace vcpucheck::sim::machine;

TEST_CASE("ICR decoding") {
  struct Row {
    uint64_t icr;
    bool x2apic;
    DeliveryMode mode;
    uint8_t vector;
    Shorthand shorthand;
    uint32_t dest;
    bool logical, assert_, trigger;
  };
  const Row rows[] = {
      // SDM "typical BSP initialization": broadcast INIT, then STARTUP vector XX, to all but self.
      {0x000C4500, false, DeliveryMode::Init, 0x00, Shorthand::AllExcludingSelf, 0, false, true, false},
      {0x000C4608, false, DeliveryMode::Startup, 0x08, Shorthand::AllExcludingSelf, 0, false, true, false},
      // xAPIC: the destination is ICR bits 63:56.
      {0x0300000000004500ull, false, DeliveryMode::Init, 0x00, Shorthand::None, 3, false, true, false},
      {0x0100000000004699ull, false, DeliveryMode::Startup, 0x99, Shorthand::None, 1, false, true, false},
      // x2APIC: the destination is bits 63:32.
      {0x0000000200004608ull, true, DeliveryMode::Startup, 0x08, Shorthand::None, 2, false, true, false},
      {0xFFFFFFFF00004500ull, true, DeliveryMode::Init, 0x00, Shorthand::None, 0xFFFFFFFF, false, true, false},
      // Fixed, logical destination; INIT level de-assert (level 0, trigger 1).
      {0x0500000000000830ull, false, DeliveryMode::Fixed, 0x30, Shorthand::None, 5, true, false, false},
      {0x0000000000008500ull, false, DeliveryMode::Init, 0x00, Shorthand::None, 0, false, false, true},
      {0x0000000000044031ull, false, DeliveryMode::Fixed, 0x31, Shorthand::Self, 0, false, true, false},
      {0x0000000000084400ull, false, DeliveryMode::Nmi, 0x00, Shorthand::AllIncludingSelf, 0, false, true, false},
  };
  for (const Row& r : rows) {
    CAPTURE(r.icr);
    Icr i = decode_icr(r.icr, r.x2apic);
    CHECK(i.mode == r.mode);
    CHECK(i.vector == r.vector);
    CHECK(i.shorthand == r.shorthand);
    CHECK(i.dest == r.dest);
    CHECK(i.logical == r.logical);
    CHECK(i.level_assert == r.assert_);
    CHECK(i.level_trigger == r.trigger);
    CHECK(encode_icr(i) == r.icr);
  }
}

TEST_CASE("IPIs the architecture ignores or reserves") {
  CHECK(icr_invalid_reason(decode_icr(0x000C4500, false)).empty());
  CHECK(icr_invalid_reason(decode_icr(0x0000000000008500ull, false)) == "INIT level de-assert is ignored");
  CHECK(!icr_invalid_reason(decode_icr(0x00044608, false)).empty());  // STARTUP to self
  CHECK(!icr_invalid_reason(decode_icr(0x00084608, false)).empty());  // STARTUP to all including self
  CHECK(icr_invalid_reason(decode_icr(0x000C4608, false)).empty());   // STARTUP to all but self
  CHECK(!icr_invalid_reason(decode_icr(0x0000000000004005ull, false)).empty());  // fixed vector 5
  CHECK(!icr_invalid_reason(decode_icr(0x0000000000004330ull, false)).empty());  // reserved mode 3
  CHECK(!icr_invalid_reason(decode_icr(0x0000000100004130ull, true)).empty());   // lowest priority, x2APIC
}

TEST_CASE("destinations") {
  std::vector<Lapic> l(4);
  for (uint32_t i = 0; i < 4; ++i) {
    l[i].id = i;
    l[i].ldr = (1u << i) << 24;  // flat logical IDs 1, 2, 4, 8
  }
  std::vector<const Lapic*> all;
  for (auto& x : l) all.push_back(&x);
  auto to = [&](uint64_t icr, bool x2 = false, uint32_t self = 0) { return icr_targets(decode_icr(icr, x2), self, all); };
  using V = std::vector<uint32_t>;
  CHECK(to(0x0200000000004500ull) == V{2});                 // physical
  CHECK(to(0x0700000000004500ull) == V{});                  // no such APIC
  CHECK(to(0xFF00000000004500ull) == V{0, 1, 2, 3});        // xAPIC broadcast
  CHECK(to(0x000C4500, false, 1) == V{0, 2, 3});            // all but self
  CHECK(to(0x00084500, false, 1) == V{0, 1, 2, 3});         // all including self
  CHECK(to(0x00044031, false, 2) == V{2});                  // self
  CHECK(to(0x0600000000004830ull) == V{1, 2});              // logical flat: mask 0b0110
  CHECK(to(0xFFFFFFFF00004500ull, true) == V{0, 1, 2, 3});  // x2APIC broadcast
  CHECK(to(0x0000000300004500ull, true) == V{3});
  for (uint32_t i = 0; i < 4; ++i) l[i].ldr = (0u << 16) | (1u << i);  // x2APIC cluster 0, members 1,2,4,8
  CHECK(to(0x0000000900004830ull, true) == V{0, 3});        // cluster 0, members 0b1001
  CHECK(to(0x0001000900004830ull, true) == V{});            // cluster 1: nobody
}

TEST_CASE("INIT resets every register but the APIC ID and the x2APIC mode") {
  Lapic l;
  l.id = 5;
  l.x2apic = true;
  l.tpr = 0x20;
  l.set_irr(0x31);
  l.icr_lo = 0x4500;
  l.reset();
  CHECK(l.id == 5);
  CHECK(l.x2apic);
  CHECK(l.tpr == 0);
  CHECK(!l.irr_pending());
  CHECK(l.icr_lo == 0);
  CHECK(l.read(APIC_ID) == 5);      // x2APIC: the whole 32-bit ID
  l.x2apic = false;
  CHECK(l.read(APIC_ID) == 5u << 24);  // xAPIC: bits 31:24
  CHECK((l.read(APIC_ICR_LO) & (1u << 12)) == 0);  // delivery status always reads idle
}
