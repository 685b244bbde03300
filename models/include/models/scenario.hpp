// Scenario files: which model, which bug switches and parameters, which threads run which
// operations, how to explore, and what must come out. Format: scenarios/README.md and
// scenarios/scenario.schema.json.
//
// Loading validates everything before anything runs: an unknown model, operation or switch, a
// wrong argument type, a missing field all raise InputError naming the file and the JSON path of
// the bad field (`/threads/1/ops/0/args/id`).
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "sim/json_input.hpp"
#include "sim/violation.hpp"

namespace vcpucheck::models {

// Bad input: one line, "FILE: PATH: what is wrong".
class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, const std::string& path, const std::string& what)
      : std::runtime_error(sim::one_line(file + ": " + (path.empty() ? "" : "at " + path + ": ") + what)) {}
};

// The ranges of the numbers a scenario (and the command line) may set.
inline constexpr uint64_t kMaxSteps = 100'000'000;         // steps in one execution
inline constexpr uint64_t kMaxExecutions = uint64_t(1) << 48;
inline constexpr uint64_t kMaxPreemptions = 1'000'000;
inline constexpr uint64_t kMaxDepth = 1'000;               // pct's depth

struct ThreadSpec;

// One entry of a thread's list: an operation, or (def == nullptr) the start of a new thread.
struct OpCall {
  const OpDef* def = nullptr;
  Args args;
  std::string result;                       // "result": the name its value is bound to
  std::map<std::string, std::string> refs;  // argument -> the earlier result it takes ("$fd")
  std::shared_ptr<ThreadSpec> spawn;        // "spawn": a thread this one starts here
};

struct ThreadSpec {
  std::string name;
  std::vector<OpCall> ops;
};

struct StrategySpec {
  std::string name = "dpor";  // dpor | random | pct
  uint64_t seed = 1;
  uint64_t executions = 0;    // random/pct: how many; dpor: a cap (0 = none)
  uint32_t depth = 3;         // pct
  std::optional<uint32_t> preemptions;
  uint64_t max_steps = 10000;
  sim::MemoryModel memory = sim::MemoryModel::SC;  // the scenario's "memory" (store_buffer.hpp)
};

struct Expectation {
  // False when the scenario states no "expect": `explore` reports what it finds, `run` refuses it.
  bool stated = true;
  bool pass = true;
  sim::ViolationKind violation = sim::ViolationKind::Assertion;
  std::optional<uint64_t> executions;  // pass: the exact number of executions
  std::optional<std::string> object;   // violation: the object it must name (substring)
  bool step_bound_allowed = false;     // executions cut by max_steps still meet it ("step_bound": "allowed")
  // "verdicts": [...]: a scenario with several distinct violations, explored on after each one;
  // `violation` is then the first of them.
  std::vector<sim::ViolationKind> verdicts;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  const ModelDef* model = nullptr;
  Config config;
  std::vector<ThreadSpec> threads;
  StrategySpec strategy;
  Expectation expect;
  nlohmann::json source;  // the file's JSON, as loaded
  std::string hash;       // FNV-1a 64 of source.dump(), hex
};

Scenario parse_scenario(const nlohmann::json& j, const std::string& file, const Registry& reg);
Scenario load_scenario(const std::string& path, const Registry& reg);
// Reads a JSON file; InputError on a missing file or malformed JSON (with line and column).
nlohmann::json read_json_file(const std::string& path);

std::string fnv1a_hex(const std::string& s);

// Builds one execution's world for the scenario: a fresh model instance, one thread per
// ThreadSpec running its operations in order, and the invariant check at the end.
void setup_scenario(const Scenario& s, sim::Execution& x);

}  // namespace vcpucheck::models
