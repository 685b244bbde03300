// The trace format: one execution, replayable.
//
// A trace is JSON (schema: traces/trace.schema.json) with
//   format     kTraceFormat; a trace of another format is refused, never guessed at
//   tool       the vcpucheck version that wrote it
//   scenario   {file, hash, content}: the whole scenario, so a trace replays on its own
//   config     model, bug switches, strategy, seed, bounds
//   schedule   the thread chosen at every step
//   threads    thread names by id
//   events     the event log: step, thread, op, object, value, text, location, function
//   links      edges between threads' steps: happens-before edges the detector used (lock,
//              reads-from, fence, wakeup, rcu, spawn, join) and IPIs (ipi, with the delivery mode)
//   verdict    how the execution ended and, for a violation, its kind, message, object and the
//              accesses involved; a lock-order inversion adds the lock-order graph (lock_order)
// Format 2 added links and lock_order.
// Writing is deterministic: the same execution gives the same bytes (keys in a fixed order, no
// timestamps, no host paths beyond the repository-relative source locations).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/explorer.hpp"
#include "checker/stacks.hpp"
#include "sim/json_input.hpp"

namespace vcpucheck::traces {

inline constexpr int kTraceFormat = 2;
inline constexpr const char* kToolVersion = "vcpucheck 0.1.0";

struct TraceConfig {
  std::string model;
  std::vector<std::string> switches;
  std::string strategy;
  uint64_t seed = 0;
  std::optional<uint32_t> preemptions;
  uint64_t max_steps = 0;
  uint32_t depth = 0;
  uint64_t execution = 0;  // which execution of the search this is (1-based)
  std::string memory = "sc";  // sc | tso
  // For a model loaded with --load: the library's file name and the FNV-1a hash of its bytes.
  std::string library, library_hash;
};

struct Trace {
  int format = kTraceFormat;
  std::string tool = kToolVersion;
  std::string scenario_file;
  std::string scenario_hash;
  nlohmann::json scenario;
  TraceConfig config;
  checker::ExecutionRecord record;
};

nlohmann::ordered_json to_json(const Trace& t);
// A violation as the trace's verdict holds it: kind, message, object, step, involved accesses.
nlohmann::ordered_json to_json_violation(const sim::Violation& v);
std::string serialize(const Trace& t);  // to_json(t).dump(2) + "\n"

// Bad input raises TraceError naming the file and the JSON path of the bad field.
class TraceError : public std::runtime_error {
 public:
  explicit TraceError(const std::string& what) : std::runtime_error(sim::one_line(what)) {}
};
Trace parse_trace(const nlohmann::json& j, const std::string& file);
Trace load_trace(const std::string& path);

// The event log as `vcpucheck replay` prints it, one line per step; the step `mark` (a
// divergence) is flagged ">>" in the margin.
std::string format_log(const checker::ExecutionRecord& r, bool verbose, std::optional<uint64_t> mark = std::nullopt);
// The verdict block: the violation's message and every access involved, or how the execution
// ended, in the user's words. With `contexts` (checker/stacks.hpp), each access also shows the
// locks its thread held and the model's call stack, as a lockdep or KCSAN splat does.
std::string format_verdict(const checker::ExecutionRecord& r,
                           const std::map<int64_t, checker::AccessContext>* contexts = nullptr);

// How a replayed execution compares with its trace. Behaviour is what each step does -- thread,
// operation, object, value -- and how the execution ends; a source location or function name that
// changed (a comment added above the code) is not behaviour: such steps are counted as moved.
struct Comparison {
  std::optional<uint64_t> diverged_at;  // the first step whose behaviour differs
  std::string divergence;               // "step 12: the trace has ..., the model now does ..."
  uint64_t moved = 0;  // steps, and accesses of the verdict, that do the same at another source line
  std::string moved_example;            // "models/src/x.cpp:63 is now models/src/x.cpp:64"
  bool same() const { return !diverged_at && divergence.empty(); }
};
Comparison compare(const checker::ExecutionRecord& expected, const checker::ExecutionRecord& actual);

// "x.cpp:63 (f)" with every source line number replaced by '#': the part of a location or a
// message that stays when code moves.
std::string without_lines(const std::string& s);

}  // namespace vcpucheck::traces
