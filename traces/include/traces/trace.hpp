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
//   verdict    how the execution ended and, for a violation, its kind, message, object and the
//              accesses involved
// Writing is deterministic: the same execution gives the same bytes (keys in a fixed order, no
// timestamps, no host paths beyond the repository-relative source locations).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/explorer.hpp"
#include "sim/json_input.hpp"

namespace vcpucheck::traces {

inline constexpr int kTraceFormat = 1;
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

// The event log as `vcpucheck replay` prints it, one line per step.
std::string format_log(const checker::ExecutionRecord& r, bool verbose);
// The verdict block: the violation's message and every access involved.
std::string format_verdict(const checker::ExecutionRecord& r);

// Compares a replayed execution with the trace: nullopt when identical, else where and how they
// differ ("step 12: the trace has ..., the model now does ...").
std::optional<std::string> compare(const checker::ExecutionRecord& expected, const checker::ExecutionRecord& actual);

}  // namespace vcpucheck::traces
