// Helpers shared by the unit tests: build scenarios from JSON text and explore them.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

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

inline checker::ExploreResult dpor(const models::Scenario& s, uint32_t preemptions = UINT32_MAX) {
  checker::Dpor d(checker::Dpor::Options{preemptions});
  checker::ExploreOptions o;
  o.bounds.max_steps = s.strategy.max_steps;
  return checker::explore(d, [&](sim::Execution& x) { models::setup_scenario(s, x); }, o);
}

}  // namespace vcpucheck::test
