// The emulated machine's costs:
//  1. a guest visible operation: two APs each do 1000 locked increments of a shared guest word
//     under a random schedule, so every increment is a scheduling point (MMIO callback, fiber
//     switch, event, detectors); reported as ns per guest visible operation;
//  2. the floor under (1): the same locked increment on a bare Unicorn engine whose MMIO callbacks
//     do nothing (no scheduler, no fibers, no detectors) -- what the emulator itself costs;
//  3. the AP-boot scenario explored exhaustively with DPOR: executions/s and steps/s.
//
//   build/bench/machine_bench [ops|floor|boot|all]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>
#include <unicorn/unicorn.h>

#include "checker/dpor.hpp"
#include "checker/explorer.hpp"
#include "checker/simple_strategies.hpp"
#include "models/registry.hpp"
#include "models/scenario.hpp"

using namespace vcpucheck;
using nlohmann::json;

namespace {

json boot(int ncpus, const char* bsp, const char* ap) {
  return {{"model", "x86"},
          {"params", {{"ncpus", ncpus}, {"bsp", bsp}, {"ap", ap}}},
          {"threads",
           {{{"name", "bsp"}, {"ops", {{{"op", "bsp"}}}}},
            {{"name", "ap"}, {"count", ncpus - 1}, {"ops", {{{"op", "ap"}, {"args", {{"id", "$i"}}}}}}}}},
          {"expect", {{"verdict", "pass"}}}};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void guest_ops(const models::Registry& reg) {
  models::Scenario s = models::parse_scenario(boot(3, "bsp_broadcast", "ap_increment_loop"), "ops", reg);
  checker::ExploreOptions o;
  o.bounds.max_steps = 100000;
  const int runs = 500;  // engines open once per search (~4 ms each): amortized over a million operations
  checker::RandomStrategy rs(1, runs);
  auto t0 = std::chrono::steady_clock::now();
  auto r = checker::explore(rs, [&](sim::Execution& x) { models::setup_scenario(s, x); }, o);
  double secs = seconds_since(t0);
  const double guest_ops = 2000.0 * static_cast<double>(r.executions);  // two APs x 1000 locked increments
  std::printf("guest visible operations: %llu executions, %llu steps (%.0f guest increments) in %.3f s: "
              "%.0f ns per step, %.0f ns per guest increment%s\n",
              (unsigned long long)r.executions, (unsigned long long)r.steps, guest_ops, secs, secs * 1e9 / r.steps,
              secs * 1e9 / guest_ops, r.counterexample ? " (VIOLATION)" : "");
}

// One engine, RAM below 64 KiB, an MMIO page at 0x10000; 32-bit code at 0x1000:
//   mov ecx, N; 1: lock inc dword [0x10000]; loop 1b; hlt
void unicorn_floor() {
  constexpr uint32_t n = 1000000;
  static uint8_t ram[0x10000];
  const uint8_t code[] = {0xB9, n & 0xFF, (n >> 8) & 0xFF, (n >> 16) & 0xFF, n >> 24,  // mov ecx, n
                          0xF0, 0xFF, 0x05, 0x00, 0x00, 0x01, 0x00,                   // lock inc [0x10000]
                          0xE2, 0xF7,                                                  // loop
                          0xF4};                                                       // hlt
  std::copy(std::begin(code), std::end(code), ram + 0x1000);
  struct Word {
    uint64_t value = 0, reads = 0;
  } word;
  uc_engine* uc = nullptr;
  if (uc_open(UC_ARCH_X86, UC_MODE_32, &uc) != UC_ERR_OK || uc_mem_map_ptr(uc, 0, sizeof ram, UC_PROT_ALL, ram) ||
      uc_mmio_map(
          uc, 0x10000, 0x1000,
          [](uc_engine*, uint64_t, unsigned, void* w) -> uint64_t {
            ++static_cast<Word*>(w)->reads;
            return static_cast<Word*>(w)->value;
          },
          &word, [](uc_engine*, uint64_t, unsigned, uint64_t v, void* w) { static_cast<Word*>(w)->value = v; }, &word)) {
    std::printf("unicorn floor: could not set up the engine\n");
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  uc_err e = uc_emu_start(uc, 0x1000, 0x1000 + sizeof code - 1, 0, 0);
  double secs = seconds_since(t0);
  uc_close(uc);
  std::printf("unicorn floor: %llu locked increments through MMIO callbacks that do nothing in %.3f s: %.0f ns each%s\n",
              (unsigned long long)word.reads, secs, secs * 1e9 / static_cast<double>(word.reads),
              e == UC_ERR_OK && word.value == n ? "" : " (PROBLEM)");
}

void boot_search(const models::Registry& reg, int ncpus) {
  models::Scenario s = models::parse_scenario(boot(ncpus, "bsp_init_sipi", "ap_trampoline"), "boot", reg);
  checker::Dpor d;
  checker::ExploreOptions o;
  auto t0 = std::chrono::steady_clock::now();
  auto r = checker::explore(d, [&](sim::Execution& x) { models::setup_scenario(s, x); }, o);
  double secs = seconds_since(t0);
  std::printf("AP boot, %d CPUs, dpor: %llu executions (%s) in %.3f s: %.0f executions/s, %.0f steps/s\n", ncpus,
              (unsigned long long)r.executions, r.exhausted && !r.counterexample ? "complete, no violation" : "PROBLEM",
              secs, r.executions / secs, r.steps / secs);
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = argc > 1 ? argv[1] : "all";
  models::Registry reg;
  models::register_builtin_models(reg);
  if (which == "ops" || which == "all") guest_ops(reg);
  if (which == "floor" || which == "all") unicorn_floor();
  if (which == "boot" || which == "all") {
    boot_search(reg, 3);
    boot_search(reg, 4);
  }
  return 0;
}
