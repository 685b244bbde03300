// The emulated machine's costs:
//  1. a guest visible operation: two APs each do 1000 locked increments of a shared guest word
//     under a random schedule, so every increment is a scheduling point (MMIO callback, fiber
//     switch, event, detectors); reported as ns per guest visible operation;
//  2. the AP-boot scenario explored exhaustively with DPOR: executions/s and steps/s.
//
//   build/bench/machine_bench [ops|boot|all]
#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

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
  if (which == "boot" || which == "all") {
    boot_search(reg, 3);
    boot_search(reg, 4);
  }
  return 0;
}
