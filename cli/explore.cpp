#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <set>

#include "checker/context_bound.hpp"
#include "checker/dpor.hpp"
#include "checker/parallel_dpor.hpp"
#include "checker/simple_strategies.hpp"
#include "cli.hpp"
#include "monitor.hpp"
#include "options.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

models::StrategySpec effective_strategy(const models::Scenario& s, const Overrides& o) {
  models::StrategySpec spec = s.strategy;
  if (o.strategy && *o.strategy != spec.name) {
    spec.name = *o.strategy;
    if (spec.name != "dpor" && !o.executions) spec.executions = 1000;
  }
  if (o.seed) spec.seed = *o.seed;
  if (o.executions) spec.executions = *o.executions;
  if (o.max_steps) spec.max_steps = *o.max_steps;
  if (o.preemptions) spec.preemptions = *o.preemptions;
  if (o.depth) spec.depth = *o.depth;
  if (o.memory) spec.memory = *o.memory;
  if (spec.name != "dpor" && spec.executions == 0)
    throw UsageError(s.file + ": the " + spec.name + " strategy needs a number of executions (--executions N)");
  return spec;
}

std::optional<InapplicableOption> inapplicable_option(const std::string& strategy, const Overrides& o) {
  if (o.depth && strategy != "pct")
    return InapplicableOption{"--depth", "the bug depth of pct", [](Overrides& x) { x.depth.reset(); }};
  if (o.preemptions && strategy != "dpor")
    return InapplicableOption{"--preemptions", "the preemption bound of dpor", [](Overrides& x) { x.preemptions.reset(); }};
  if (o.search_jobs > 1 && strategy != "dpor")
    return InapplicableOption{"--jobs", "the threads of one exhaustive dpor search", [](Overrides& x) { x.search_jobs = 1; }};
  if (o.seed && strategy == "dpor")
    return InapplicableOption{"--seed", "dpor is exhaustive: it draws no random numbers", [](Overrides& x) { x.seed.reset(); }};
  return std::nullopt;
}

std::unique_ptr<checker::Strategy> make_strategy(const models::StrategySpec& spec) {
  if (spec.name == "dpor") {
    if (spec.preemptions) return std::make_unique<checker::ContextBound>(checker::ContextBound::Options{*spec.preemptions});
    return std::make_unique<checker::Dpor>();
  }
  if (spec.name == "random") return std::make_unique<checker::RandomStrategy>(spec.seed, spec.executions);
  if (spec.name == "pos") return std::make_unique<checker::PosStrategy>(spec.seed, spec.executions);
  return std::make_unique<checker::PctStrategy>(spec.seed, spec.executions, spec.depth);
}

Outcome explore_scenario(const models::Scenario& s, const models::StrategySpec& spec, checker::LiveStats* live,
                         const Overrides& ov) {
  if (spec.memory == sim::MemoryModel::TSO && s.threads.size() > sim::kMaxThreads / 2)
    throw models::InputError(s.file, "/threads",
                             std::to_string(s.threads.size()) + " threads under tso: at most " +
                                 std::to_string(sim::kMaxThreads / 2) + " (each has a store-buffer thread of its own; " +
                                 std::to_string(sim::kMaxThreads) + " threads in all)");
  // Going on past a violation needs every trace of the program that stops at its violations:
  // DPOR's race reversal only sees what an execution did, and a violation cuts it short, so
  // keep-going explores with context bounding instead (unbounded unless --preemptions), which
  // runs schedules, not races.
  const bool keep_going = ov.keep_going || !s.expect.verdicts.empty();
  auto strategy = keep_going && spec.name == "dpor"
                      ? std::make_unique<checker::ContextBound>(checker::ContextBound::Options{
                            spec.preemptions.value_or(std::numeric_limits<uint32_t>::max())})
                      : make_strategy(spec);
  checker::ExploreOptions o;
  o.bounds.max_steps = spec.max_steps;
  o.bounds.memory = spec.memory;
  o.live = live;
  o.stop = &stop_requested();
  if (spec.name == "dpor") o.max_executions = spec.executions;
  // The clock only feeds what is printed; it never decides anything.
  const auto start = std::chrono::steady_clock::now();
  Outcome out;
  out.strategy = spec.name;
  out.max_steps = spec.max_steps;
  out.memory = spec.memory;
  out.preemptions = spec.preemptions ? std::to_string(*spec.preemptions) : "";
  const checker::Setup setup = [&](sim::Execution& x) { models::setup_scenario(s, x); };
  out.keep_going = keep_going;
  out.max_violations = ov.max_violations;
  std::set<std::string> seen;
  if (out.keep_going)
    o.on_violation = [&](const checker::ExecutionRecord& r) {
      if (seen.insert(checker::violation_key(*r.violation)).second) out.findings.push_back(Finding{r, std::nullopt});
      return out.findings.size() >= out.max_violations;
    };
  try {
    o.grow = ov.grow && live;
    if (ov.cluster && ov.cluster->rank() != 0) {  // rank 0 searches; this one explores branches for it
      ov.cluster->serve(setup, o);
      out.served = true;
      return out;
    }
    if ((ov.search_jobs > 1 || o.grow || ov.cluster) && !keep_going && spec.name == "dpor" && !spec.preemptions)
      out.result = checker::explore_dpor(setup, o, ov.search_jobs, nullptr, false,
                                         ov.cluster ? &ov.cluster->remote() : nullptr);
    else
      out.result = checker::explore(*strategy, setup, o);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();  // the search's own
    auto& cx = out.result.counterexample;
    // Without keep-going the counterexample is the one finding; with it, a counterexample the
    // search ended with is the last finding already, or a lock-order inversion found at the end.
    if (cx && seen.insert(checker::violation_key(*cx->violation)).second) out.findings.push_back(Finding{*cx, std::nullopt});
    for (Finding& f : out.findings)
      if (ov.minimize && !stop_requested().load()) {
        f.minimized = checker::minimize(f.record, setup, o, kMinimizeBudget);
        if (f.minimized) f.record = f.minimized->record;
      }
    for (Finding& f : out.findings)  // a hang would take the watchdog's time again: not re-run
      if (f.record.violation->kind != sim::ViolationKind::ModelCrash && !stop_requested().load())
        f.contexts = checker::access_contexts(f.record, setup, o);
    if (!out.findings.empty()) cx = out.findings.front().record;
  } catch (const std::exception& e) {  // a model that could not build its world, or broke the engine's rules
    throw UsageError(s.file + ": " + e.what());
  }
  if (out.result.interrupted) out.stopped_by = stop_reason();
  return out;
}

std::string progress_of(const checker::LiveStats& live, double seconds) {
  const uint64_t n = live.executions.load(std::memory_order_relaxed);
  const uint64_t rate = seconds > 0 ? static_cast<uint64_t>(static_cast<double>(n) / seconds) : 0;
  std::string s = thousands(n) + " executions (" + thousands(rate) + "/s), deepest " +
                  thousands(live.deepest.load(std::memory_order_relaxed)) + " steps";
  // The search ended with a violation and its counterexample is being minimized: the executions
  // stand still, the minimization's schedules move.
  if (const uint64_t m = live.minimizing.load(std::memory_order_relaxed))
    s += ", minimizing the counterexample (" + thousands(m) + (m == 1 ? " schedule)" : " schedules)");
  return s;
}

std::string elapsed_text(double seconds) {
  char buf[32];
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  else
    std::snprintf(buf, sizeof buf, "%um%02us", unsigned(seconds / 60), unsigned(seconds) % 60);
  return buf;
}

std::string step_bound_reason(const Outcome& o) {
  const auto& r = o.result;
  return std::to_string(r.step_bounded) + " of " + std::to_string(r.executions) + " execution" +
         (r.executions == 1 ? "" : "s") + " hit --max-steps " + std::to_string(o.max_steps) +
         ": the search is incomplete (raise --max-steps, or look for a loop that never waits; a scenario that expects "
         "this says \"step_bound\": \"allowed\")";
}

std::string summary_line(const models::Scenario& s, const Outcome& o) {
  const auto& r = o.result;
  char buf[1024];
  std::string kinds;
  for (const Finding& f : o.findings) kinds += (kinds.empty() ? "" : ", ") + std::string(sim::violation_name(f.record.violation->kind));
  std::string verdict =
      o.findings.size() > 1 ? std::to_string(o.findings.size()) + " distinct violations (" + kinds + ")"
      : r.counterexample && r.counterexample->violation ? std::string(sim::violation_name(r.counterexample->violation->kind))
      : r.step_bounded ? "no violation within the step bound"
                       : "no violation";
  std::string how;
  if (o.strategy == "dpor")
  {
    std::string cut;
    if (r.step_bounded) cut = "every prefix of --max-steps " + std::to_string(o.max_steps) + " steps";
    if (r.stats.pruned)
      cut += std::string(cut.empty() ? "" : ", ") + "every trace with a schedule of at most --preemptions " + o.preemptions +
             " (" + std::to_string(r.stats.pruned) + " preemptions beyond it not taken)";
    how = o.keep_going && o.findings.size() >= o.max_violations
              ? "search stopped at --max-violations " + std::to_string(o.max_violations)
          : o.keep_going && r.interrupted ? "interrupted (" + o.stopped_by + ") before the search was done"
          : o.keep_going && !r.exhausted ? "bounded: search cut by --executions"
          : o.keep_going && !r.stats.pruned ? "complete: every interleaving explored by context bounding, going on after each violation"
          : r.counterexample ? "search stopped at the violation"
          : !r.exhausted      ? "bounded: search cut by --executions"
          : cut.empty()       ? "complete: every interleaving explored"
                              : "complete only within bounds: " + cut;
    if (r.stats.repeated || r.stats.cached)
      how += "; " + std::to_string(r.stats.repeated + r.stats.cached) + " more schedules led to traces already explored";
    if (r.blocked)  // redundant work the search could not avoid: not counted as executions
      how += "; " + std::to_string(r.blocked) + (r.blocked == 1 ? " execution" : " executions") +
             (o.preemptions.empty() && !o.keep_going ? " blocked by sleep sets"
                                                     : " stopped in states already explored");
  }
  else
    how = "sampled (" + o.strategy + ")";
  double rate = o.seconds > 0 ? static_cast<double>(r.executions) / o.seconds : 0;
  if (r.interrupted && !r.counterexample) {
    std::snprintf(buf, sizeof buf,
                  "%s: interrupted (%s) after %s execution%s in %.2f s: no violation so far; the search is incomplete "
                  "(%s steps, %.0f executions/s)",
                  s.file.c_str(), o.stopped_by.c_str(), thousands(r.executions).c_str(), r.executions == 1 ? "" : "s",
                  o.seconds, thousands(r.steps).c_str(), rate);
    return buf;
  }
  double srate = o.seconds > 0 ? static_cast<double>(r.steps) / o.seconds : 0;
  std::snprintf(buf, sizeof buf, "%s: %s in %llu execution%s%s (%s; %llu steps%s) in %.2f s, %.0f executions/s, %.0f steps/s",
                s.file.c_str(), verdict.c_str(), (unsigned long long)r.executions, r.executions == 1 ? "" : "s",
                o.memory == sim::MemoryModel::TSO ? " under x86-TSO" : "", how.c_str(),
                (unsigned long long)r.steps,
                r.step_bounded ? (", " + std::to_string(r.step_bounded) + " hit --max-steps").c_str() : "", o.seconds,
                rate, srate);
  return buf;
}

std::string write_trace(const models::Scenario& s, const models::StrategySpec& spec, const Outcome& o,
                        const checker::ExecutionRecord& record, const std::string& path) {
  traces::Trace t;
  t.scenario_file = std::filesystem::path(s.file).lexically_normal().string();
  t.scenario_hash = s.hash;
  t.scenario = s.source;
  t.config.model = s.model->name;
  t.config.switches.assign(s.config.switches.begin(), s.config.switches.end());
  t.config.strategy = spec.name;
  t.config.seed = spec.seed;
  t.config.preemptions = spec.preemptions;
  t.config.max_steps = spec.max_steps;
  t.config.memory = sim::memory_model_name(spec.memory);
  t.config.depth = spec.depth;
  if (!s.model->library.empty()) {
    t.config.library = std::filesystem::path(s.model->library).filename().string();
    t.config.library_hash = file_hash(s.model->library);
  }
  t.config.execution = o.result.executions;
  t.record = record;
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) throw UsageError(path + ": cannot write the trace: cannot create " + p.parent_path().string() + ": " + ec.message());
  std::ofstream out(path, std::ios::binary);
  if (!out) throw UsageError(path + ": cannot write the trace: " + std::strerror(errno));
  out << traces::serialize(t);
  out.close();
  if (!out) throw UsageError(path + ": cannot write the trace: " + std::strerror(errno));
  return path;
}

std::string bad_input_reason(const models::Scenario& s, const Outcome& o) {
  const auto& r = o.result;
  if (!r.counterexample || !r.counterexample->violation) return "";
  const sim::Violation& v = *r.counterexample->violation;
  if (v.kind != sim::ViolationKind::ModelError && v.kind != sim::ViolationKind::GuestFault) return "";
  if (!s.expect.pass && s.expect.violation == v.kind) return "";  // the scenario expects exactly this
  return s.file + ": " + (v.kind == sim::ViolationKind::GuestFault ? "a guest program faulted: " : "the model refused it: ") +
         v.message;
}

std::string path_from_here(const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path abs = fs::absolute(fs::path(file), ec).lexically_normal();
  const fs::path rel = abs.lexically_relative(fs::current_path(ec));
  if (rel.empty() || *rel.begin() == "..") return abs.relative_path().string();  // outside the working directory
  return rel.string();
}

std::string mirrored_trace_path(const std::string& root, const std::string& scenario_file) {
  namespace fs = std::filesystem;
  fs::path rel = path_from_here(scenario_file);
  rel.replace_extension(".trace.json");
  return (fs::path(root) / rel).lexically_normal().string();
}

std::string replay_command(const models::Scenario& s, const std::string& trace_path) {
  return "vcpucheck " + (s.model->library.empty() ? "" : "--load " + s.model->library + " ") + "replay " + trace_path;
}

std::string minimized_line(const checker::Minimized& m) {
  auto n = [](uint64_t k, const char* what) { return thousands(k) + " " + what + (k == 1 ? "" : "s"); };
  std::string line;
  if (m.preemptions_after < m.preemptions_before || m.steps_after < m.steps_before)
    line = "minimized " +
           (m.preemptions_after < m.preemptions_before
                ? "from " + std::to_string(m.preemptions_before) + " to " + n(m.preemptions_after, "preemption")
                : "to " + n(m.preemptions_after, "preemption") + " (as found)") +
           ", " + thousands(m.steps_before) + " to " + n(m.steps_after, "step");
  else
    line = std::string(m.cut ? "kept as found: " : "minimal: ") + n(m.preemptions_after, "preemption") + ", " +
           n(m.steps_after, "step");
  line += " (" + n(m.executions, "schedule") + " of context bounding";
  if (m.cut) line += "; cut by its budget of " + thousands(kMinimizeBudget) + ": a smaller one may exist";
  return line + ")";
}

std::string nth_trace_path(const std::string& path, size_t k) {
  if (k == 0) return path;
  const std::string ext = ".trace.json";
  const std::string n = "." + std::to_string(k + 1);
  if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
    return path.substr(0, path.size() - ext.size()) + n + ext;
  return path + n;
}

std::string failure_report(const models::Scenario& s, const Finding& f, const std::string& trace_path) {
  std::string out = traces::format_verdict(f.record, &f.contexts);
  if (f.minimized) out += minimized_line(*f.minimized) + "\n";
  out += "trace: " + trace_path + "\n";
  out += "replay: " + replay_command(s, trace_path) + "\n";
  return out;
}

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return models::fnv1a_hex(bytes);
}

namespace {

int explore_command(const models::Registry& reg, const Parsed& p, checker::Cluster* cluster) {
  if (p.positional.size() != 1) throw UsageError("explore takes exactly one scenario file");
  Overrides ov = overrides_from(p);
  ov.search_jobs = static_cast<unsigned>(p.number("jobs", 1, 256).value_or(1));
  ov.cluster = cluster;
  ProgressOptions po = progress_options(p);
  if (cluster && cluster->rank() != 0) po.period = 0;  // rank 0 reports the search's progress
  models::Scenario s = models::load_scenario(p.positional[0], reg);
  models::StrategySpec spec = effective_strategy(s, ov);
  const std::string ranks = cluster ? "an MPI job of " + std::to_string(cluster->size()) + " ranks" : "";
  if (cluster && spec.name != "dpor")
    throw UsageError(ranks + " splits one exhaustive dpor search, and the " + spec.name + " strategy " +
                     (ov.strategy ? "asked for" : "of " + s.file) + " runs in one process; run it without the MPI launcher");
  if (auto bad = inapplicable_option(spec.name, ov))
    throw UsageError(bad->flag + " (" + bad->what + ") means nothing for the " + spec.name + " strategy " +
                     (ov.strategy ? "asked for" : "of " + s.file) + "; drop it or choose another --strategy");
  // --jobs splits an optimal dpor search; a preemption bound or going on past violations is a
  // context-bounded search, which runs on one thread.
  if ((ov.search_jobs > 1 || cluster) && (spec.preemptions || ov.keep_going || !s.expect.verdicts.empty())) {
    const std::string why = ov.keep_going        ? "--keep-going"
                            : ov.preemptions     ? "--preemptions"
                            : spec.preemptions   ? s.file + ": /strategy/preemptions"
                                                 : s.file + ": /expect/verdicts";
    if (cluster)
      throw UsageError(ranks + " splits one exhaustive dpor search, and " + why +
                       " makes it a context-bounded one, which runs in one process; run it without the MPI launcher");
    throw UsageError("--jobs splits an exhaustive dpor search, and " + why +
                     " makes it a context-bounded one, which runs on one thread; drop --jobs");
  }
  checker::LiveStats live;
  Outcome o;
  {
    Monitor monitor(po, [&](double t) { return "vcpucheck: " + s.file + ": " + elapsed_text(t) + ", " + progress_of(live, t); });
    o = explore_scenario(s, spec, &live, ov);
  }
  if (o.served) return 0;
  if (std::string bad = bad_input_reason(s, o); !bad.empty()) throw UsageError(bad);
  std::cout << summary_line(s, o) << "\n";
  if (!o.result.counterexample) {
    if (o.result.interrupted) return kExitInterrupted;
    if (o.result.step_bounded == 0 || s.expect.step_bound_allowed) return 0;
    std::cout << "incomplete: " << step_bound_reason(o) << "\n";
    return 1;
  }
  const std::string path = p.get("trace-out").value_or(mirrored_trace_path("traces-out", s.file));
  for (size_t k = 0; k < o.findings.size(); ++k) {
    const std::string tp = nth_trace_path(path, k);
    write_trace(s, spec, o, o.findings[k].record, tp);
    if (o.findings.size() > 1) std::cout << "[" << k + 1 << "/" << o.findings.size() << "] ";
    std::cout << failure_report(s, o.findings[k], tp);
  }
  return 1;
}

}  // namespace

int cmd_explore(const models::Registry& reg, const Parsed& p) {
  std::unique_ptr<checker::Cluster> cluster;
  try {
    cluster = checker::Cluster::join(static_cast<unsigned>(p.number("jobs", 1, 256).value_or(1)));
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  if (cluster && cluster->size() == 1) return explore_command(reg, p, nullptr);
  if (!cluster || cluster->rank() == 0) return explore_command(reg, p, cluster.get());
  // Another rank: the same command line, so the same input errors; rank 0 reports them.
  try {
    return explore_command(reg, p, cluster.get());
  } catch (const std::exception&) {
    return 2;
  }
}

}  // namespace vcpucheck::cli
