// The in-process API, for a team's own unit tests (doctest, GoogleTest), loom-style: explore a
// world built by a lambda, no scenario file, no command line.
//
//   TEST_CASE("create vs. get") {
//     auto r = vcpucheck::check({}, [](vcpucheck::sim::Execution& x) {
//       auto& kvm = ...;                            // the shared state, e.g. via x.model
//       x.spawn("create", [&] { kvm_vm_ioctl_create_vcpu(kvm, 0); });
//       x.spawn("get", [&] { (void)kvm_get_vcpu(kvm, 0); });
//     });
//     REQUIRE_MESSAGE(r.passed(), r.report);
//   }
//
// The world lambda runs once per execution and must build everything afresh (keep the state
// alive with `x.model = std::make_shared<State>(x)`). The verdict means what `vcpucheck explore`
// prints: passed() is true only when nothing was found *and* the search was complete; a search
// cut by a bound is not a pass (bounded says so).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "checker/explorer.hpp"
#include "sim/execution.hpp"

namespace vcpucheck {

struct CheckOptions {
  std::string strategy = "dpor";          // dpor (exhaustive), random, pct, pos
  std::optional<uint32_t> preemptions;    // dpor: every trace with at most this many preemptions
  uint64_t max_steps = 10000;             // per execution
  uint64_t max_executions = 0;            // dpor: a cap (0: none); random/pct/pos: how many (0: 1000)
  uint64_t seed = 1;                      // random/pct/pos
  uint32_t depth = 3;                     // pct
  sim::MemoryModel memory = sim::MemoryModel::SC;
};

struct CheckResult {
  std::optional<sim::Violation> violation;  // the first one found
  checker::ExecutionRecord counterexample;  // its execution, when there is one
  uint64_t executions = 0;
  uint64_t step_bounded = 0;  // executions cut by max_steps
  bool complete = false;      // the strategy explored everything (dpor), within no bound
  bool bounded = false;       // a bound (steps, preemptions, executions) cut the search
  std::string report;         // the verdict in words; with a violation, its accesses and the event log
  // dpor: nothing found and every interleaving explored. A random or PCT search is never
  // complete: test !found() there.
  bool passed() const { return !violation && complete && !bounded; }
  bool found() const { return violation.has_value(); }
};

// Throws std::invalid_argument for an unknown strategy or an out-of-range option, and what the
// world throws while it is built (sim::SetupError) -- bad input, as the command line's exit 2.
CheckResult check(const CheckOptions& o, const std::function<void(sim::Execution&)>& world);

}  // namespace vcpucheck
