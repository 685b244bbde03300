#include <iostream>

#include "checker/simple_strategies.hpp"
#include "cli.hpp"
#include "options.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

int cmd_replay(const models::Registry& reg, const std::vector<std::string>& args) {
  Parsed p = parse_options("replay", args, {}, {"verbose"});
  if (p.positional.size() != 1) throw UsageError("replay takes exactly one trace file");
  const std::string& file = p.positional[0];
  traces::Trace t = traces::load_trace(file);
  if (models::fnv1a_hex(t.scenario.dump()) != t.scenario_hash)
    throw UsageError(file + ": at /scenario/hash: the embedded scenario does not match its hash (edited by hand?)");
  models::Scenario s;
  try {
    s = models::parse_scenario(t.scenario, file + " (embedded scenario)", reg);
  } catch (const models::InputError& e) {
    throw UsageError(std::string(e.what()) + " (the model changed incompatibly since the trace was written)");
  }
  checker::ReplayStrategy rs(t.record.schedule);
  checker::ExploreOptions o;
  o.bounds.max_steps = t.config.max_steps;
  sim::memory_model_from_name(t.config.memory, o.bounds.memory);  // checked when the trace loaded
  checker::ExecutionRecord got = checker::run_one(rs, [&](sim::Execution& x) { models::setup_scenario(s, x); }, o);
  std::cout << "replaying " << file << " (" << t.scenario_file << ", model " << t.config.model;
  if (!t.config.switches.empty()) {
    std::cout << ", switches";
    for (const auto& w : t.config.switches) std::cout << " " << w;
  }
  std::cout << ")\n";
  std::cout << traces::format_log(got, p.has("verbose"));
  std::cout << traces::format_verdict(got);
  auto diff = traces::compare(t.record, got);
  if (rs.divergence() && !diff) diff = *rs.divergence();
  if (diff) {
    std::cout << "DIVERGED: " << *diff << "\n";
    return 1;
  }
  std::cout << "reproduced: the replay matches the trace step for step\n";
  return 0;
}

}  // namespace vcpucheck::cli
