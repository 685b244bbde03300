#include <iostream>

#include "checker/simple_strategies.hpp"
#include "cli.hpp"
#include "options.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

int cmd_replay(const models::Registry& reg, const Parsed& p) {
  if (p.positional.size() != 1) throw UsageError("replay takes exactly one trace file");
  const std::string& file = p.positional[0];
  traces::Trace t = traces::load_trace(file);
  if (models::fnv1a_hex(t.scenario.dump()) != t.scenario_hash)
    throw UsageError(file + ": at /scenario/hash: the embedded scenario does not match its hash (edited by hand?)");
  const models::ModelDef* def = reg.find(t.config.model);
  if (!def && !t.config.library.empty())
    throw UsageError(file + ": at /config/model: model '" + t.config.model +
                     "' is not loaded: load the library that defines it (the trace was made with " + t.config.library +
                     "): vcpucheck --load PATH/TO/" + t.config.library + " replay " + file);
  std::string note;
  if (def && !t.config.library.empty() && !def->library.empty() && file_hash(def->library) != t.config.library_hash)
    note = "note: " + def->library + " is not the build of " + t.config.library +
           " the trace was made with (its bytes differ); the replay says whether the behaviour is the same\n";
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
  std::cout << ")\n" << note;
  traces::Comparison cmp = traces::compare(t.record, got);
  // The schedule itself no longer fits (a thread that cannot run where the trace runs it): that
  // step is where the model's behaviour changed, even if the log up to it is the same.
  if (cmp.same() && rs.divergence()) {
    cmp.divergence = *rs.divergence();
    cmp.diverged_at = got.log.size();
  }
  std::cout << traces::format_log(got, p.has("verbose"), cmp.diverged_at);
  std::cout << traces::format_verdict(got);
  if (!cmp.same()) {
    std::cout << "DIVERGED: " << cmp.divergence << "\n";
    std::cout << "the trace ends with: " << traces::format_verdict(t.record);
    return 1;
  }
  if (cmp.moved)
    std::cout << "note: " << cmp.moved << (cmp.moved == 1 ? " source location" : " source locations")
              << " moved (" << cmp.moved_example << "); the behaviour is the same\n";
  std::cout << "reproduced: the replay matches the trace step for step\n";
  return 0;
}

}  // namespace vcpucheck::cli
