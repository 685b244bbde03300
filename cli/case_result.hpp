// One scenario's result in `run`, and the reports made of them (JUnit, SARIF, annotations). A
// result crosses a process boundary (each scenario runs in a child), so it converts to JSON.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vcpucheck::cli {

struct CaseResult {
  enum class State { Passed, Failed, BadInput, Interrupted, NotRun };
  std::string file, name;
  State state = State::NotRun;
  std::string detail;   // one line: what was found, or why the expectation was missed
  std::string kind;     // the violation found ("data-race"), "" when none
  std::string failure;  // why a failure failed: a violation kind, "step-bound" or "expectation-missed"
  std::string summary;  // the search's summary line
  std::string report;   // a failure in full: every access involved, the trace, the replay command
  std::string trace;    // the trace written, "" when none
  // Every distinct violation found: [{kind, message, object, step, involved: [{thread, what, loc, step}], trace}]
  nlohmann::json violations = nlohmann::json::array();
  double seconds = 0;

  bool ok() const { return state == State::Passed; }
};

nlohmann::json to_json(const CaseResult& c);
CaseResult case_from_json(const nlohmann::json& j);  // throws nlohmann::json::exception

struct RunInfo {
  std::string timestamp;  // ISO 8601, local time of the start
  double seconds = 0;
  std::string stopped_by;  // "" when the run was not interrupted
};

// JUnit XML as Jenkins, GitLab and GitHub read it (tests/schemas/junit-10.xsd).
void write_junit(const std::string& path, const std::vector<CaseResult>& results, const RunInfo& info);
// SARIF 2.1.0 for code scanning (tests/schemas/sarif-schema-2.1.0.json); `exit_code` is the run's.
void write_sarif(const std::string& path, const std::vector<CaseResult>& results, int exit_code);
// `::error file=...,line=...::` workflow commands on stdout for each failure, when GITHUB_ACTIONS is set.
void github_annotations(const std::vector<CaseResult>& results);

}  // namespace vcpucheck::cli
