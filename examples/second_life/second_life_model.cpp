// example.second-life: a VMM brings AP 1 online twice. Bringing a CPU online is INIT, then
// STARTUP with the trampoline's vector; the guest program (ap_second_life.S, this plugin's own,
// assembled by vcpucheck_add_guest_program) counts each life and parks in `cli; hlt`.
// Property: eventually the AP has begun two lives.
// Switch sipi-only: the VMM skips INIT for a CPU that ran before (it "is already initialized"),
// so the second STARTUP reaches a parked CPU and is discarded: the AP never comes back.
#include "models/registry.hpp"
#include "sim/machine/machine.hpp"

using namespace vcpucheck;
namespace mc = sim::machine;

namespace {

constexpr uint64_t kLives = mc::kSharedPage + 0x300;  // LIVES in ap_second_life.S
constexpr uint8_t kTrampolineVector = mc::kApTrampoline >> 12;

mc::MachineConfig machine_config() {
  mc::MachineConfig m;
  m.ncpus = 2;
  m.ap_program = "ap_second_life";  // registered by this library (CMakeLists.txt)
  return m;
}

struct SecondLife : models::Instance {
  mc::Machine& m;
  bool sipi_only;
  bool onlined_before = false;  // the VMM's own record (host memory, one VMM thread)

  SecondLife(sim::Execution& x, const models::Config& c)
      : m(mc::Machine::for_execution(x, machine_config())), sipi_only(c.bug("sipi-only")) {
    x.eventually("AP 1 began its second life", [this] { return m.peek32(kLives) >= 2; });
  }

  // The VMM's cpu_up(1): the IPIs a BSP would send, posted to the AP's local APIC.
  void online() {
    mc::Cpu& ap = m.cpu(1);
    if (!sipi_only || !onlined_before) ap.post(mc::Ipi{mc::DeliveryMode::Init, 0, 0});
    ap.post(mc::Ipi{mc::DeliveryMode::Startup, kTrampolineVector, 0});
    onlined_before = true;
  }
};

}  // namespace

extern "C" void vcpucheck_register_models(models::Registry& r) {
  models::ModelDef m;
  m.name = "example.second-life";
  m.help = "a VMM bringing AP 1 online twice; the AP runs this plugin's own guest program (out-of-tree example)";
  m.switches = {{"sipi-only", "bring a CPU that ran before online with STARTUP alone, without INIT"}};
  m.ops = {
      models::op<SecondLife>("ap", "CPU 1: waits for INIT and STARTUP, runs the guest, forever", {},
                             [](SecondLife& s, sim::Execution&, const models::Args&) { s.m.cpu(1).run_forever(); }),
      models::op<SecondLife>("online", "bring CPU 1 online (INIT, then STARTUP at the trampoline)", {},
                             [](SecondLife& s, sim::Execution&, const models::Args&) { s.online(); }),
  };
  m.create = [](sim::Execution& x, const models::Config& c) { return std::make_shared<SecondLife>(x, c); };
  r.add(std::move(m));
}
