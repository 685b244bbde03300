// The in-process API (check.hpp): one search, its verdict and a report in words.
#include "checker/check.hpp"

#include <memory>
#include <stdexcept>

#include "checker/context_bound.hpp"
#include "checker/dpor.hpp"
#include "checker/simple_strategies.hpp"

namespace vcpucheck {

namespace {

std::unique_ptr<checker::Strategy> make_strategy(const CheckOptions& o) {
  const uint64_t n = o.max_executions ? o.max_executions : 1000;
  if (o.strategy == "dpor") {
    if (o.preemptions) return std::make_unique<checker::ContextBound>(checker::ContextBound::Options{*o.preemptions});
    return std::make_unique<checker::Dpor>();
  }
  if (o.preemptions) throw std::invalid_argument("vcpucheck::check: preemptions goes with the dpor strategy");
  if (o.strategy == "random") return std::make_unique<checker::RandomStrategy>(o.seed, n);
  if (o.strategy == "pct") {
    if (o.depth == 0) throw std::invalid_argument("vcpucheck::check: pct needs a depth of at least 1");
    return std::make_unique<checker::PctStrategy>(o.seed, n, o.depth);
  }
  if (o.strategy == "pos") return std::make_unique<checker::PosStrategy>(o.seed, n);
  throw std::invalid_argument("vcpucheck::check: unknown strategy '" + o.strategy + "' (dpor, random, pct, pos)");
}

std::string describe(const CheckResult& r) {
  std::string s;
  if (r.violation) {
    const sim::Violation& v = *r.violation;
    s = std::string(sim::violation_name(v.kind)) + ": " + v.message + "\n";
    for (const sim::Involved& i : v.involved)
      s += "  " + i.thread + (i.what.empty() ? "" : ": " + i.what) + "\n      at " + i.loc +
           (i.step >= 0 ? "  [step " + std::to_string(i.step) + "]" : "") + "\n";
    s += "execution (" + std::to_string(r.counterexample.log.size()) + " steps):\n";
    for (const checker::LogEntry& e : r.counterexample.log)
      s += "  " + std::to_string(e.step) + "  " + e.thread + "  " + e.text + "  " + e.loc + "\n";
    return s;
  }
  s = "no violation in " + std::to_string(r.executions) + (r.executions == 1 ? " execution" : " executions");
  if (r.step_bounded) s += "; " + std::to_string(r.step_bounded) + " cut by max_steps";
  s += r.passed() ? " (complete: every interleaving explored)"
                  : r.complete ? " (complete within the bounds only)" : " (the search is incomplete)";
  return s + "\n";
}

}  // namespace

CheckResult check(const CheckOptions& o, const std::function<void(sim::Execution&)>& world) {
  if (o.max_steps == 0) throw std::invalid_argument("vcpucheck::check: max_steps must be at least 1");
  std::unique_ptr<checker::Strategy> s = make_strategy(o);
  checker::ExploreOptions eo;
  eo.bounds.max_steps = o.max_steps;
  eo.bounds.memory = o.memory;
  if (o.strategy == "dpor") eo.max_executions = o.max_executions;
  const checker::ExploreResult e = checker::explore(*s, world, eo);
  CheckResult r;
  r.executions = e.executions;
  r.step_bounded = e.step_bounded;
  r.complete = e.exhausted;
  r.bounded = e.bounded || e.step_bounded > 0 || (o.strategy == "dpor" && o.preemptions.has_value());
  if (e.counterexample && e.counterexample->violation) {
    r.violation = e.counterexample->violation;
    r.counterexample = *e.counterexample;
  }
  r.report = describe(r);
  return r;
}

}  // namespace vcpucheck
