// The cost of x86-TSO: each program explored exhaustively with DPOR under sc and under tso.
// Prints executions, steps, wall time and executions/s per memory model, and the tso/sc ratio of
// executions/s (the cost of a step that may go through a store buffer) and of wall time (which
// also counts the extra executions TSO has). A benchmark, not a test: run it on a quiet machine.
//
//   build/bench/memory_bench [SOURCE_DIR]     (SOURCE_DIR: where scenarios/ is; default .)
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/dpor.hpp"
#include "checker/explorer.hpp"
#include "models/registry.hpp"
#include "models/scenario.hpp"

using namespace vcpucheck;
using nlohmann::json;

namespace {

struct Run {
  uint64_t executions = 0, steps = 0, blocked = 0;
  double seconds = 0;
};

Run explore(const models::Scenario& s, sim::MemoryModel m) {
  checker::Dpor d;
  checker::ExploreOptions o;
  o.bounds.max_steps = 100000;
  o.bounds.memory = m;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = checker::explore(d, [&](sim::Execution& x) { models::setup_scenario(s, x); }, o);
  Run out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.executions = r.executions;
  out.steps = r.steps;
  out.blocked = r.stats.blocked;
  if (r.counterexample || r.step_bounded) std::printf("  (%s: not a clean pass)\n", s.name.c_str());
  return out;
}

json readers(int n) {
  return {{"model", "bench.readers"},
          {"params", {{"acq_rel", true}}},
          {"threads", {{{"name", "W"}, {"ops", {{{"op", "write"}}}}}, {{"name", "R"}, {"count", n}, {"ops", {{{"op", "read"}}}}}}},
          {"expect", {{"verdict", "pass"}}}};
}

json lastzero(int n) {
  return {{"model", "bench.lastzero"},
          {"params", {{"n", n}, {"acq_rel", true}}},
          {"threads",
           {{{"name", "T0"}, {"ops", {{{"op", "scan"}}}}},
            {{"name", "T"}, {"count", n}, {"ops", {{{"op", "step"}, {"args", {{"j", "$i"}}}}}}}}},
          {"expect", {{"verdict", "pass"}}}};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : ".";
  models::Registry reg;
  models::register_builtin_models(reg);
  std::vector<models::Scenario> cases;
  cases.push_back(models::parse_scenario(readers(13), "readers(13), acquire/release", reg));
  cases.push_back(models::parse_scenario(lastzero(12), "lastzero(12), acquire/release", reg));
  for (const char* f : {"scenarios/kvm/ipiv-3.json", "scenarios/qemu/two-hotplugs.json", "scenarios/bhyve/run-getnext-lockall-3.json",
                        "scenarios/x86/tso/dekker-mfence.sc.json"})
    cases.push_back(models::load_scenario(root + "/" + f, reg));
  std::printf("%-34s %6s %10s %11s %8s %13s %8s\n", "program", "memory", "executions", "steps", "seconds", "executions/s",
              "blocked");
  for (models::Scenario& s : cases) {
    if (s.name.empty()) s.name = s.file;
    const Run sc = explore(s, sim::MemoryModel::SC), tso = explore(s, sim::MemoryModel::TSO);
    for (const auto& [name, r] : {std::pair<const char*, const Run&>{"sc", sc}, {"tso", tso}})
      std::printf("%-34s %6s %10llu %11llu %8.3f %13.0f %8llu\n", s.name.c_str(), name, (unsigned long long)r.executions,
                  (unsigned long long)r.steps, r.seconds, r.executions / r.seconds, (unsigned long long)r.blocked);
    std::printf("%-34s tso/sc: executions/s %.2f, steps/s %.2f, wall time %.2f\n", "", (tso.executions / tso.seconds) / (sc.executions / sc.seconds),
                (tso.steps / tso.seconds) / (sc.steps / sc.seconds), tso.seconds / sc.seconds);
  }
  return 0;
}
