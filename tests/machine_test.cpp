// The emulated machine: the Unicorn facts the core depends on, and the CPU rules for INIT and
// STARTUP under every interleaving DPOR explores.
#include <doctest/doctest.h>

#include <cstring>
#include <set>

#include "sim/machine/machine.hpp"
#include "support.hpp"

using namespace vcpucheck;
using namespace vcpucheck::sim::machine;
using sim::Execution;

namespace {

// A host that records what the guest did.
struct Recorder : CoreHost {
  std::vector<std::string> log;
  uint8_t* ram;
  uint64_t mmio_read(Core& c, uint64_t addr, unsigned, bool rmw) override {
    log.push_back("read " + std::to_string(addr) + " at " + std::to_string(c.ip()) + (rmw ? " rmw" : ""));
    uint32_t v;
    std::memcpy(&v, ram + addr, 4);
    return v;
  }
  void mmio_write(Core& c, uint64_t addr, unsigned, uint64_t value, GuestWrite kind) override {
    log.push_back("write " + std::to_string(addr) + " at " + std::to_string(c.ip()) +
                  (kind == GuestWrite::LockedRmw  ? " rmw"
                   : kind == GuestWrite::SplitRmw ? " split"
                                                  : ""));
    std::memcpy(ram + addr, &value, 4);
  }
  void serialize(Core& c) override { log.push_back("serialize at " + std::to_string(c.ip())); }
  uint64_t rdmsr(Core&, uint32_t msr) override {
    log.push_back("rdmsr " + std::to_string(msr));
    return msr == kMsrApicBase ? (kLapicBase | 0x800 | 0x400) : 7;  // x2APIC on; ID 7
  }
  void wrmsr(Core&, uint32_t msr, uint64_t v) override {
    log.push_back("wrmsr " + std::to_string(msr) + " " + std::to_string(v));
  }
};

const GuestLine* find_line(const GuestProgram& p, const char* text) {
  for (size_t i = 0; i < p.nlines; ++i)
    if (std::string(p.lines[i].text).find(text) != std::string::npos) return &p.lines[i];
  return nullptr;
}

}  // namespace

TEST_CASE("the core: real mode start, exact instruction addresses, locked RMW, MSRs, HLT, resume") {
  const GuestProgram* ap = find_guest_program("ap_trampoline");
  REQUIRE(ap);
  std::vector<uint8_t> ram(kRamSize, 0);
  std::memcpy(ram.data() + ap->base, ap->bytes, ap->size);
  Recorder host;
  host.ram = ram.data();
  Core core(0, ram.data(), kRamSize, {{kSharedPage, 0x1000}, {kLapicBase, 0x1000}}, &host);
  core.start_real_mode(kApTrampoline);
  REQUIRE(core.run(100000) == CoreExit::Halt);
  const GuestLine* xadd = find_line(*ap, "lock xadd");
  REQUIRE(xadd);
  // Entering protected mode serializes twice (LGDT, MOV to CR0: the x86-TSO drains), at those
  // instructions; a MOV from CR0 does not.
  const GuestLine* lgdt = find_line(*ap, "lgdt");
  const GuestLine* to_cr0 = find_line(*ap, "mov %eax,%cr0");
  REQUIRE(lgdt);
  REQUIRE(to_cr0);
  CHECK(host.log.at(0) == "serialize at " + std::to_string(lgdt->addr));
  CHECK(host.log.at(1) == "serialize at " + std::to_string(to_cr0->addr));
  // RDMSR answered by the host; x2APIC mode, so the ID comes from MSR 0x802 (= 7 here).
  CHECK(host.log.at(2) == "rdmsr 27");
  CHECK(host.log.at(3) == "rdmsr 2050");
  // The locked XADD serializes, then one read flagged as a locked RMW, then its write, at the
  // instruction's address; the MOV after it is a plain store.
  CHECK(host.log.at(4) == "serialize at " + std::to_string(xadd->addr));
  CHECK(host.log.at(5) == "read " + std::to_string(kStartedCount) + " at " + std::to_string(xadd->addr) + " rmw");
  CHECK(host.log.at(6) == "write " + std::to_string(kStartedCount) + " at " + std::to_string(xadd->addr) + " rmw");
  CHECK(host.log.at(7) == "write " + std::to_string(kStartedIds) + " at " + std::to_string(xadd->addr + xadd->len));
  CHECK(host.log.size() == 8);
  uint32_t id;
  std::memcpy(&id, ram.data() + kStartedIds, 4);
  CHECK(id == 7);
  // HLT stops the run; resuming continues after it (PARK loops back to HLT).
  const uint64_t halt_ip = core.ip();
  CHECK(ram[halt_ip] == 0xF4);
  CHECK(core.run(100000) == CoreExit::Halt);
  CHECK(core.ip() == halt_ip);
  // A second start from power-on runs the program again.
  core.start_real_mode(kApTrampoline);
  CHECK(core.run(100000) == CoreExit::Halt);
  std::memcpy(&id, ram.data() + kStartedCount, 4);
  CHECK(id == 2);
}

TEST_CASE("the core: the budget ends a run that touches nothing shared") {
  // jmp . at 0x8000 (real mode)
  std::vector<uint8_t> ram(kRamSize, 0);
  ram[0x8000] = 0xEB;
  ram[0x8001] = 0xFE;
  Recorder host;
  host.ram = ram.data();
  Core core(0, ram.data(), kRamSize, {{kSharedPage, 0x1000}}, &host);
  core.start_real_mode(0x8000);
  CoreExit e = core.run(1000);
  CAPTURE(core.fault());
  CHECK(e == CoreExit::Budget);
  CHECK(core.run(1000) == CoreExit::Budget);  // resumes in the loop, real mode still
  CHECK(core.ip() == 0x8000);
}

TEST_CASE("the core: which writes are split read-modify-writes, which instructions serialize") {
  // Real mode at 0x8000 (DS = 0): incl [0x9004]; movl $5, %ds:0x9008 (a store that is no RMW);
  // lfence; sfence (neither serializes); mfence; cpuid; hlt.
  const uint8_t code[] = {0x66, 0xFF, 0x06, 0x04, 0x90,                          // incl 0x9004
                          0x66, 0xC7, 0x06, 0x08, 0x90, 0x05, 0x00, 0x00, 0x00,  // movl $5, 0x9008
                          0x0F, 0xAE, 0xE8, 0x0F, 0xAE, 0xF8,                    // lfence; sfence
                          0x0F, 0xAE, 0xF0, 0x0F, 0xA2, 0xF4};                   // mfence; cpuid; hlt
  std::vector<uint8_t> ram(kRamSize, 0);
  std::memcpy(ram.data() + 0x8000, code, sizeof code);
  Recorder host;
  host.ram = ram.data();
  Core core(0, ram.data(), kRamSize, {{kSharedPage, 0x1000}}, &host);
  core.start_real_mode(0x8000);
  REQUIRE(core.run(1000) == CoreExit::Halt);
  const std::vector<std::string> want = {"read 36868 at 32768", "write 36868 at 32768 split", "write 36872 at 32773",
                                         "serialize at 32788", "serialize at 32791"};
  CHECK(host.log == want);
}

TEST_CASE("the core: a fault is reported with the instruction, not a crash") {
  std::vector<uint8_t> ram(kRamSize, 0);
  ram[0x8000] = 0x0F;  // ud2
  ram[0x8001] = 0x0B;
  Recorder host;
  host.ram = ram.data();
  Core core(0, ram.data(), kRamSize, {{kSharedPage, 0x1000}}, &host);
  core.start_real_mode(0x8000);
  CHECK(core.run(1000) == CoreExit::Fault);
  CHECK(core.fault().find("0x8000") != std::string::npos);
}

namespace {

// CPU 1 on bare hardware, and a sender that posts IPIs to it in order.
checker::ExploreResult send(std::vector<Ipi> ipis, std::function<void(Machine&, Execution&)> check) {
  return test::dpor_world(
      [ipis, check](Execution& x) {
        MachineConfig c;
        c.ncpus = 2;
        Machine& m = Machine::for_execution(x, c);
        x.spawn("cpu1", [&m] { m.cpu(1).run_forever(); });
        x.spawn("sender", [&m, ipis] {
          for (const Ipi& i : ipis) m.cpu(1).post(i);
        });
        x.on_end([&m, &x, check] { check(m, x); });
      },
      UINT32_MAX, 5000);
}

Ipi init() { return {DeliveryMode::Init, 0, 0}; }
Ipi sipi(uint8_t v) { return {DeliveryMode::Startup, v, 0}; }

}  // namespace

TEST_CASE("CPU rules: a STARTUP in wait-for-SIPI starts real mode at VV000h; later ones are dropped") {
  auto r = send({init(), sipi(0x08), sipi(0x09)}, [](Machine& m, Execution& x) {
    sim::kassert(x, m.cpu(1).starts == std::vector<uint32_t>{0x8000}, "one start, at 0x8000");
    sim::kassert(x, m.cpu(1).sipis_dropped == 1, "the second STARTUP is dropped");
    sim::kassert(x, m.peek32(kStartedCount) == 1, "the AP ran the trampoline once");
  });
  CHECK(!r.counterexample);
  CHECK(r.exhausted);
  CHECK(r.executions > 1);
}

TEST_CASE("CPU rules: an AP waits for SIPI after power-on; INIT again puts it back") {
  auto r = send({sipi(0x08), init(), sipi(0x08)}, [](Machine& m, Execution& x) {
    sim::kassert(x, m.cpu(1).starts.size() == 2, "started, INITed, started again");
    sim::kassert(x, m.peek32(kStartedCount) == 2, "the trampoline ran twice");
  });
  CHECK(!r.counterexample);
}

TEST_CASE("CPU rules: a STARTUP to a running or halted CPU is dropped") {
  auto r = send({sipi(0x08), sipi(0x08)}, [](Machine& m, Execution& x) {
    sim::kassert(x, m.cpu(1).starts.size() == 1, "one start");
  });
  CHECK(!r.counterexample);
}

TEST_CASE("the x86 model finds the guest race and boots cleanly with locked increments") {
  auto world = [](const char* ap) {
    return nlohmann::json{
        {"model", "x86"},
        {"params", {{"ncpus", 3}, {"bsp", "bsp_broadcast"}, {"ap", ap}}},
        {"threads", {{{"name", "bsp"}, {"ops", {{{"op", "bsp"}}}}}, {{"name", "ap"}, {"count", 2}, {"ops", {{{"op", "ap"}, {"args", {{"id", "$i"}}}}}}}}},
        {"expect", {{"verdict", "pass"}}}};
  };
  auto locked = test::dpor(test::scenario(world("ap_trampoline")));
  CHECK(!locked.counterexample);
  CHECK(locked.exhausted);
  auto plain = test::dpor(test::scenario(world("ap_plain_increment")));
  REQUIRE(test::found(plain) == sim::ViolationKind::DataRace);
  CHECK(plain.counterexample->violation->involved.at(0).loc.find("sim/guest/ap_plain_increment.S") == 0);
}

namespace {
// A VMM's LAPIC emulation that takes a sleeping lock for each ICR write (as a vlapic handler
// running at VM-exit time may), and counts them.
struct LockingApic : ApicHandler {
  sim::Mutex* lock = nullptr;
  int writes = 0;
  void apic_write(Cpu& c, uint32_t reg, uint64_t value) override {
    lock->lock();
    ++writes;
    lock->unlock();
    ApicHandler::apic_write(c, reg, value);
  }
};
}  // namespace

TEST_CASE("guest mode inside critical_enter (bhyve's VMRUN) is not blocking in a critical section") {
  for (bool in_guest : {true, false}) {
    CAPTURE(in_guest);
    static LockingApic apic;
    apic.writes = 0;
    auto r = test::dpor_world(
        [in_guest](Execution& x) {
          MachineConfig c;
          c.ncpus = 2;
          Machine& m = Machine::for_execution(x, c);
          auto& lock = test::make_state<sim::Mutex>(x, "vlapic");
          apic.lock = &lock;
          m.set_apic_handler(&apic);
          x.spawn("vcpu0", [&m, &x, &lock, in_guest] {
            m.cpu(0).set_state(CPU_RUNNING);
            m.cpu(0).core().start_real_mode(m.bsp_entry());
            sim::critical_enter(x);
            if (in_guest)
              (void)m.cpu(0).run_guest();  // the guest's ICR writes reach apic_write
            else
              lock.lock();  // host code taking a sleeping lock in the critical section
            sim::critical_exit(x);
            if (!in_guest) lock.unlock();
          });
          x.on_end([&m] { m.set_apic_handler(nullptr); });
        },
        UINT32_MAX, 5000);
    if (in_guest) {
      CHECK(!test::found(r));
      CHECK(apic.writes > 0);
    } else {
      CHECK(test::found(r) == sim::ViolationKind::BlockingInCritical);
    }
  }
}

TEST_CASE("a kick forces a running guest out at the next instruction boundary, or at its next VM entry") {
  // vCPU 1 runs three locked increments and halts; another thread kicks it once. The kick lands
  // before the VM entry or after any of the increments (each access is followed by a boundary
  // check), or after the guest halted: five traces, and the exit sees 0..3 increments done.
  static std::set<std::string> outcomes;
  outcomes.clear();
  auto r = test::dpor_world(
      [](Execution& x) {
        MachineConfig c;
        c.ncpus = 2;
        c.ap_program = "ap_increment_3";
        c.kickable = true;
        Machine& m = Machine::for_execution(x, c);
        struct Exits {
          explicit Exits(Execution&) {}
          std::vector<std::string> v;
        };
        auto& exits = test::make_state<Exits>(x).v;
        x.spawn("vcpu1", [&m, &exits] {
          Cpu& cpu = m.cpu(1);
          cpu.set_state(CPU_RUNNING);
          cpu.core().start_real_mode(kApTrampoline);
          for (;;) {
            const CoreExit e = cpu.run_guest();
            if (e == CoreExit::Kick) exits.push_back("kick after " + std::to_string(m.peek32(kStartedCount)));
            if (e == CoreExit::Halt) break;
          }
          exits.push_back("halt after " + std::to_string(m.peek32(kStartedCount)));
        });
        x.spawn("kicker", [&m] { m.cpu(1).kick(); });
        x.on_end([&exits] {
          std::string s;
          for (const std::string& e : exits) s += (s.empty() ? "" : ", ") + e;
          outcomes.insert(s);
        });
      },
      UINT32_MAX, 5000);
  if (r.counterexample && r.counterexample->violation) FAIL_CHECK(r.counterexample->violation->message);
  CHECK(r.exhausted);
  CHECK(r.executions == 5);
  CHECK(r.blocked == 0);
  CHECK(outcomes == std::set<std::string>{"kick after 0, halt after 3", "kick after 1, halt after 3", "kick after 2, halt after 3",
                                          "kick after 3, halt after 3", "halt after 3"});
}

TEST_CASE("kicking a CPU of a machine that is not kickable is a model error") {
  auto r = test::dpor_world([](Execution& x) {
    Machine& m = Machine::for_execution(x, MachineConfig{});
    x.spawn("kicker", [&m] { m.cpu(1).kick(); });
  });
  REQUIRE(test::found(r) == sim::ViolationKind::ModelError);
  CHECK(r.counterexample->violation->message.find("MachineConfig::kickable is off") != std::string::npos);
}
