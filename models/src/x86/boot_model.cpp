// The "x86" model: the emulated machine on its own, with the SDM's APIC and CPU rules and no VMM
// in between: a BSP starting the APs with INIT-SIPI-SIPI, each CPU a thread running its core.
// Invariants at the end of every complete execution: every AP started exactly once, at the SIPI
// address; the guest's started counter equals the number of APs; each AP recorded its ID once;
// with ap_dekker, at most one AP entered; with ap_take_data, the AP saw the data its IPI announced.
#include "models/builtin.hpp"
#include "sim/machine/machine.hpp"

namespace vcpucheck::models {

using sim::Execution;
using namespace sim::machine;

namespace {

MachineConfig machine_config(const Config& c) {
  MachineConfig m;
  m.ncpus = static_cast<int>(c.params.i("ncpus"));
  m.x2apic = c.params.b("x2apic");
  m.bsp_program = c.params.s("bsp");
  m.ap_program = c.params.s("ap");
  return m;
}

struct Boot : Instance {
  Machine& m;
  Boot(Execution& x, const Config& c) : m(Machine::for_execution(x, machine_config(c))) {}

  void check_invariants(Execution& x) override {
    const int n = m.ncpus();
    for (int i = 1; i < n; ++i) {
      Cpu& c = m.cpu(i);
      const std::string name = "cpu[" + std::to_string(i) + "]";
      if (c.starts.empty()) return x.report(sim::ViolationKind::Liveness, "AP " + name + " never started", name);
      if (c.starts.size() > 1)
        return x.report(sim::ViolationKind::Invariant, "AP " + name + " started " + std::to_string(c.starts.size()) + " times", name);
      if (c.starts[0] != kApTrampoline)
        return x.report(sim::ViolationKind::Invariant, "AP " + name + " started at the wrong address", name);
    }
    if (m.config().ap_program.rfind("ap_dekker", 0) == 0) {  // mutual exclusion
      const uint32_t in = m.peek32(kEntered);
      if (in > 1)
        x.report(sim::ViolationKind::Invariant,
                 "guest.entered is " + std::to_string(in) + ": both APs entered (each read the other's flag as 0)",
                 "guest.entered");
      return;
    }
    if (m.config().ap_program == "ap_take_data") {  // the IPI's data was visible when it arrived
      if (const uint32_t missed = m.peek32(kMissed))
        x.report(sim::ViolationKind::Invariant,
                 "guest.missed is " + std::to_string(missed) + ": the AP took the IPI and read guest.data as 0",
                 "guest.missed");
      return;
    }
    if (m.config().ap_program != "ap_trampoline") return;  // the other AP programs keep no record
    const uint32_t count = m.peek32(kStartedCount);
    if (count != static_cast<uint32_t>(n - 1))
      return x.report(sim::ViolationKind::Invariant,
                    "guest.started_count is " + std::to_string(count) + ", expected " + std::to_string(n - 1), "guest.started_count");
    std::vector<int> seen(static_cast<size_t>(n), 0);
    for (int k = 0; k < n - 1; ++k) {
      uint32_t id = m.peek32(kStartedIds + 4 * static_cast<uint64_t>(k));
      if (id == 0 || id >= static_cast<uint32_t>(n) || seen[id]++)
        return x.report(sim::ViolationKind::Invariant, "guest.started_ids[" + std::to_string(k) + "] = " + std::to_string(id),
                      "guest.started_ids");
    }
  }
};

}  // namespace

void register_x86_models(Registry& r) {
  ModelDef m;
  m.name = "x86";
  m.help = "the emulated machine alone: x86 cores and local APICs following the SDM, booting APs with INIT-SIPI-SIPI";
  m.params = {{"ncpus", ArgType::Int, "CPUs (APIC IDs 0..ncpus-1; 0 is the BSP)", int64_t{2}},
              {"x2apic", ArgType::Bool, "every local APIC starts in x2APIC mode", false},
              {"bsp", ArgType::String, "the BSP's guest program", std::string("bsp_init_sipi")},
              {"ap", ArgType::String, "the program at the SIPI address 0x8000", std::string("ap_trampoline")}};
  m.validate = [](const Config& c) -> std::pair<std::string, std::string> {
    int64_t n = c.params.i("ncpus");
    if (n < 1 || n > 16) return {"/params/ncpus", "expected 1 to 16"};
    for (const char* p : {"bsp", "ap"}) {
      const GuestProgram* g = find_guest_program(c.params.s(p));
      if (!g)
        return {std::string("/params/") + p, "unknown guest program '" + c.params.s(p) + "' (known: " + guest_program_names() + ")"};
    }
    if (find_guest_program(c.params.s("ap"))->base != kApTrampoline)
      return {"/params/ap", "the AP program must be loaded at the SIPI address 0x8000"};
    return {};
  };
  m.ops = {
      op<Boot>("bsp", "CPU 0, the BSP: runs the BSP program from real mode", {},
               [](Boot& b, Execution&, const Args&) { b.m.cpu(0).run_forever(); }),
      op<Boot>("ap", "an AP: waits for INIT and STARTUP, then runs from the SIPI address",
               {{"id", ArgType::Int, "its APIC ID (1..ncpus-1)", {}, int_below_param(1, "ncpus")}},
               [](Boot& b, Execution& x, const Args& a) {
                 int64_t id = a.i("id");
                 if (id < 1 || id >= b.m.ncpus())
                   x.fail(sim::ViolationKind::ModelError, "ap id " + std::to_string(id) + " is not 1..ncpus-1", sim::Loc::current());
                 b.m.cpu(static_cast<int>(id)).run_forever();
               }),
  };
  m.create = [](Execution& x, const Config& c) -> std::shared_ptr<Instance> { return std::make_shared<Boot>(x, c); };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
