// The vcpucheck command line: the composition root that wires models, strategies, detectors and
// traces together. Each command returns its exit code: 0 no violation / every expectation met,
// 1 a violation / an expectation missed (or a trace that no longer reproduces), 2 bad input or
// usage, always with a one-line reason naming the file and, for JSON, the path of the field.
#pragma once
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/cluster.hpp"
#include "checker/explorer.hpp"
#include "checker/minimize.hpp"
#include "checker/stacks.hpp"
#include "checker/strategy.hpp"
#include "models/registry.hpp"
#include "models/scenario.hpp"

namespace vcpucheck::cli {

// Bad usage or input: printed as one line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Command-line options shared by explore and run; unset fields keep the scenario's own values.
struct Overrides {
  std::optional<std::string> strategy;
  std::optional<uint64_t> seed, executions, max_steps;
  std::optional<uint32_t> preemptions, depth;
  std::optional<sim::MemoryModel> memory;
  bool minimize = true;     // --no-minimize: keep the counterexample as first found
  bool keep_going = false;  // --keep-going: go on after a violation, report every distinct one
  uint64_t max_violations = 10;  // --max-violations N: with keep_going, stop after N distinct ones
  unsigned search_jobs = 1;      // explore --jobs N: host threads of one dpor search
  bool grow = false;             // run's search process: more threads as run's workers go idle
  checker::Cluster* cluster = nullptr;  // explore in an MPI job of several ranks (checker/cluster.hpp)
};

// The budget of a counterexample's minimization, in executions.
inline constexpr uint64_t kMinimizeBudget = 20000;

// One distinct violation a search found: its counterexample, and how it was minimized.
struct Finding {
  checker::ExecutionRecord record;
  std::optional<checker::Minimized> minimized;
  std::map<int64_t, checker::AccessContext> contexts;  // call stacks and held locks, by step (checker/stacks.hpp)
};

struct Outcome {
  checker::ExploreResult result;  // result.counterexample is findings[0]'s record
  std::vector<Finding> findings;  // every distinct violation found (one unless keep-going), in order found
  bool keep_going = false;
  uint64_t max_violations = 0;
  double seconds = 0;
  std::string strategy;
  uint64_t max_steps = 0;
  std::string preemptions;  // the bound, "" when none
  sim::MemoryModel memory = sim::MemoryModel::SC;
  std::string stopped_by;  // why an interrupted search stopped: "SIGINT", "--time-limit 30"
  bool served = false;     // an MPI rank other than 0: it explored branches of rank 0's search
};

models::StrategySpec effective_strategy(const models::Scenario& s, const Overrides& o);
// An override that means nothing for a strategy (--depth with dpor, --preemptions with random,
// --seed with dpor): its flag, what it is for, and how to leave it out.
struct InapplicableOption {
  std::string flag;  // "--depth"
  std::string what;  // "the bug depth of pct"
  void (*drop)(Overrides&);
};
// The first override that means nothing for `strategy`; none when every one applies.
std::optional<InapplicableOption> inapplicable_option(const std::string& strategy, const Overrides& o);
std::unique_ptr<checker::Strategy> make_strategy(const models::StrategySpec& spec);
// Runs the search; `live` (may be null) is kept up to date for progress lines. The search stops
// early, marked interrupted, when a stop is requested (monitor.hpp).
// Each counterexample is then minimized (checker/minimize.hpp) unless o.minimize is false; with
// o.keep_going (or a scenario that expects several verdicts) the search goes on after each
// violation, up to o.max_violations distinct ones (checker::violation_key).
Outcome explore_scenario(const models::Scenario& s, const models::StrategySpec& spec, checker::LiveStats* live,
                         const Overrides& o);
// "1,234 executions (800/s), deepest 212 steps"
std::string progress_of(const checker::LiveStats& live, double seconds);
std::string elapsed_text(double seconds);  // "12 s", "3m07s"
std::string summary_line(const models::Scenario& s, const Outcome& o);
// "3 of 40 executions hit --max-steps 200: the search is incomplete ..." (a cut search is never a pass)
std::string step_bound_reason(const Outcome& o);
// A model error or a guest fault is bad input (a wrong configuration, a broken guest program),
// not a protocol violation: the one-line reason, or "" for anything else.
std::string bad_input_reason(const models::Scenario& s, const Outcome& o);
// A file's path relative to the working directory; outside it, its absolute path without the root.
std::string path_from_here(const std::string& file);
// Where a scenario's trace goes under `root`: its path, made relative to the working directory
// (absolute when outside it), so that bugs/x.json in two directories cannot collide.
std::string mirrored_trace_path(const std::string& root, const std::string& scenario_file);
// A counterexample in full, as explore and run print it: every access involved, the trace written
// and the command that replays it.
std::string failure_report(const models::Scenario& s, const Finding& f, const std::string& trace_path);
// The trace path of the k-th finding (0-based): `path` itself for the first, x.2.trace.json after.
std::string nth_trace_path(const std::string& path, size_t k);
// "vcpucheck --load /abs/libx.so replay PATH" (the --load only for a model from a library)
std::string replay_command(const models::Scenario& s, const std::string& trace_path);
// FNV-1a 64 of a file's bytes, in hex (a library's identity in traces).
std::string file_hash(const std::string& path);
// Writes the counterexample trace; returns the path written.
std::string write_trace(const models::Scenario& s, const models::StrategySpec& spec, const Outcome& o,
                        const checker::ExecutionRecord& record, const std::string& path);

// "vcpucheck died of Segmentation fault (signal 11) outside any model thread: ..." for a wait status.
std::string died_of(int status);
// Runs `body` (a whole command: its output, its exit code) in a child process; a child that dies
// of a signal is reported as a model-crash of `file` with exit 1 (isolate.cpp).
int in_child(const std::string& file, const std::function<int()>& body);

// Called first in a child forked by explore: it dies with vcpucheck (a killed or interrupted
// vcpucheck leaves no search running on its own).
void die_with_parent(pid_t parent);
// Starts this executable again with `args` (args[0] included) as a search process of run: it
// dies with vcpucheck, ignores SIGINT and SIGTERM, takes stop_signal() from its parent, and gets
// each descriptor `from` as `to`. Registered as a child (monitor.hpp); -1 when fork fails.
pid_t spawn_search(const std::vector<std::string>& args, const std::vector<std::pair<int, int>>& fds);

struct Parsed;
int cmd_list(const models::Registry& reg, const Parsed& p);
int cmd_explore(const models::Registry& reg, const Parsed& p);
int cmd_replay(const models::Registry& reg, const Parsed& p);
// `self`: this executable's path and the options before the command that load its models
// (--load, --watchdog), to start each scenario's search process with (run_case.hpp).
int cmd_run(const models::Registry& reg, const Parsed& p, const std::vector<std::string>& self);

}  // namespace vcpucheck::cli
