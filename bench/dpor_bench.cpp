// DPOR throughput on the standard benchmark programs: readers(15), lastzero(15), opt_lock(11),
// and GenMC's synthetic coa(5), big0 and fib_bench(5) (many writers to few words).
// Prints, per program, the executions explored (checked against the known trace counts),
// wall time, executions/s and steps/s. A benchmark, not a test: run it on a quiet machine.
// With --jobs N the search runs on N threads (parallel_dpor.hpp), and what the parallel search
// did besides is printed too: branches handed out, adopted, taken back, executions wasted.
//
//   build/bench/dpor_bench [readers|lastzero|opt_lock|coa|big0|fib_bench|all] [--jobs N]
#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "checker/dpor.hpp"
#include "checker/explorer.hpp"
#include "checker/parallel_dpor.hpp"
#include "models/registry.hpp"
#include "models/scenario.hpp"

using namespace vcpucheck;
using nlohmann::json;

namespace {

struct Case {
  const char* name;
  json scenario;
  uint64_t traces;
};

json threads_lastzero(int n) {
  return {{{"name", "T0"}, {"ops", {{{"op", "scan"}}}}},
          {{"name", "T"}, {"count", n}, {"ops", {{{"op", "step"}, {"args", {{"j", "$i"}}}}}}}};
}

int run(const Case& c, const models::Registry& reg, unsigned jobs) {
  models::Scenario s = models::parse_scenario(c.scenario, c.name, reg);
  checker::ExploreOptions o;
  o.bounds.max_steps = 100000;
  checker::ParallelStats ps;
  auto t0 = std::chrono::steady_clock::now();
  auto r = checker::explore_dpor([&](sim::Execution& x) { models::setup_scenario(s, x); }, o, jobs, &ps);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bool ok = !r.counterexample && r.executions == c.traces && r.stats.blocked == 0;
  std::printf("%-14s %9llu executions (expected %llu%s)  %7.3f s  %9.0f executions/s  %10.0f steps/s  blocked %llu\n",
              c.name, (unsigned long long)r.executions, (unsigned long long)c.traces, ok ? ", exact" : ", WRONG", secs,
              r.executions / secs, r.steps / secs, (unsigned long long)r.stats.blocked);
  if (jobs > 1)
    std::printf("%-14s jobs %u: %llu branches handed out, %llu adopted, %llu taken back; %llu executions wasted; "
                "workers idle %.3f s\n",
                "", jobs, (unsigned long long)ps.handed_out, (unsigned long long)ps.adopted,
                (unsigned long long)ps.taken_back, (unsigned long long)ps.wasted, ps.idle_seconds);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "all";
  unsigned jobs = 1;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "--jobs" && k + 1 < argc)
      jobs = static_cast<unsigned>(std::stoul(argv[++k]));
    else
      which = a;
  }
  models::Registry reg;
  models::register_builtin_models(reg);
  const Case cases[] = {
      {"readers(15)",
       {{"model", "bench.readers"},
        {"threads", {{{"name", "W"}, {"ops", {{{"op", "write"}}}}}, {{"name", "R"}, {"count", 15}, {"ops", {{{"op", "read"}}}}}}},
        {"expect", {{"verdict", "pass"}}}},
       32768},
      {"lastzero(15)",
       {{"model", "bench.lastzero"}, {"params", {{"n", 15}}}, {"threads", threads_lastzero(15)}, {"expect", {{"verdict", "pass"}}}},
       147456},
      {"opt_lock(11)",
       {{"model", "bench.opt_lock"},
        {"params", {{"n", 11}}},
        {"threads",
         {{{"name", "T0"}, {"ops", {{{"op", "attempts"}, {"args", {{"id", 0}}}}}}},
          {{"name", "T1"}, {"ops", {{{"op", "attempts"}, {"args", {{"id", 1}}}}}}}}},
        {"expect", {{"verdict", "pass"}}}},
       300090},
      {"coa(5)",
       {{"model", "bench.coa"},
        {"threads",
         {{{"name", "one"}, {"ops", {{{"op", "one"}}}}},
          {{"name", "two"}, {"ops", {{{"op", "two"}}}}},
          {{"name", "T"}, {"count", 4}, {"ops", {{{"op", "n"}, {"args", {{"i", "$i"}}}}}}}}},
        {"expect", {{"verdict", "pass"}}}},
       49776},
      {"big0",
       {{"model", "bench.big0"},
        {"threads",
         {{{"name", "one"}, {"ops", {{{"op", "one"}}}}},
          {{"name", "two"}, {"ops", {{{"op", "two"}}}}},
          {{"name", "three"}, {"ops", {{{"op", "three"}}}}},
          {{"name", "four"}, {"ops", {{{"op", "four"}}}}}}},
        {"expect", {{"verdict", "pass"}}}},
       69112},
      {"fib_bench(5)",
       {{"model", "bench.fib_bench"},
        {"params", {{"n", 5}}},
        {"threads",
         {{{"name", "t1"}, {"ops", {{{"op", "x"}}}}},
          {{"name", "t2"}, {"ops", {{{"op", "y"}}}}},
          {{"name", "t3"}, {"ops", {{{"op", "check"}}}}}}},
        {"expect", {{"verdict", "pass"}}}},
       218243},
  };
  int rc = 0;
  for (const Case& c : cases)
    if (which == "all" || std::string(c.name).rfind(which, 0) == 0) rc |= run(c, reg, jobs);
  return rc;
}
