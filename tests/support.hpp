// Helpers shared by the unit tests: build scenarios from JSON text and explore them.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "checker/context_bound.hpp"
#include "checker/dpor.hpp"
#include "checker/explorer.hpp"
#include "models/registry.hpp"
#include "models/scenario.hpp"

namespace vcpucheck::test {

inline const models::Registry& registry() {
  static const models::Registry r = [] {
    models::Registry x;
    models::register_builtin_models(x);
    return x;
  }();
  return r;
}

inline models::Scenario scenario(const nlohmann::json& j) { return models::parse_scenario(j, "<test>", registry()); }

// Explores with DPOR, or with iterative context bounding when a preemption bound is given.
inline checker::ExploreResult explore_with(const checker::Setup& setup, uint32_t preemptions, uint64_t max_steps) {
  checker::ExploreOptions o;
  o.bounds.max_steps = max_steps;
  if (preemptions == UINT32_MAX) {
    checker::Dpor d;
    return checker::explore(d, setup, o);
  }
  checker::ContextBound c(checker::ContextBound::Options{preemptions});
  return checker::explore(c, setup, o);
}

inline checker::ExploreResult dpor(const models::Scenario& s, uint32_t preemptions = UINT32_MAX) {
  return explore_with([&](sim::Execution& x) { models::setup_scenario(s, x); }, preemptions, s.strategy.max_steps);
}

}  // namespace vcpucheck::test

namespace vcpucheck::test {

// Explores a world built directly (no model): `setup` creates shared state and spawns threads.
inline checker::ExploreResult dpor_world(const checker::Setup& setup, uint32_t preemptions = UINT32_MAX,
                                         uint64_t max_steps = 1000) {
  return explore_with(setup, preemptions, max_steps);
}

inline std::optional<sim::ViolationKind> found(const checker::ExploreResult& r) {
  if (r.counterexample && r.counterexample->violation) return r.counterexample->violation->kind;
  return std::nullopt;
}

// Keeps `state` alive for the execution and returns a reference to it.
template <class T, class... A>
T& make_state(sim::Execution& x, A&&... a) {
  auto p = std::make_shared<T>(x, std::forward<A>(a)...);
  x.model = p;
  return *p;
}

}  // namespace vcpucheck::test

// Scenarios of the benchmark programs (models/src/bench), shared by the count tests.
namespace vcpucheck::test::bench {

using nlohmann::json;

inline json readers(int n) {
  return {{"model", "bench.readers"},
          {"threads", {{{"name", "W"}, {"ops", {{{"op", "write"}}}}}, {{"name", "R"}, {"count", n}, {"ops", {{{"op", "read"}}}}}}},
          {"expect", {{"verdict", "pass"}}}};
}

inline json lastzero(int n) {
  return {{"model", "bench.lastzero"},
          {"params", {{"n", n}}},
          {"threads",
           {{{"name", "T0"}, {"ops", {{{"op", "scan"}}}}},
            {{"name", "T"}, {"count", n}, {"ops", {{{"op", "step"}, {"args", {{"j", "$i"}}}}}}}}},
          {"expect", {{"verdict", "pass"}}}};
}

inline json opt_lock(int n) {
  return {{"model", "bench.opt_lock"},
          {"params", {{"n", n}}},
          {"threads",
           {{{"name", "T0"}, {"ops", {{{"op", "attempts"}, {"args", {{"id", 0}}}}}}},
            {{"name", "T1"}, {"ops", {{{"op", "attempts"}, {"args", {{"id", 1}}}}}}}}},
          {"expect", {{"verdict", "pass"}}}};
}

// GenMC's CoA: writers "one" and "two" of x, and n-1 writers of y and z.
inline json genmc_coa(int n) {
  json threads = {{{"name", "one"}, {"ops", {{{"op", "one"}}}}}, {{"name", "two"}, {"ops", {{{"op", "two"}}}}}};
  if (n > 1) threads.push_back({{"name", "T"}, {"count", n - 1}, {"ops", {{{"op", "n"}, {"args", {{"i", "$i"}}}}}}});
  return {{"model", "bench.coa"}, {"threads", threads}, {"expect", {{"verdict", "pass"}}}};
}

inline json casrot(int n) {
  return {{"model", "bench.casrot"},
          {"threads", {{{"name", "T"}, {"count", n}, {"ops", {{{"op", "cas"}, {"args", {{"i", "$i"}}}}}}}}},
          {"expect", {{"verdict", "pass"}}}};
}

}  // namespace vcpucheck::test::bench
