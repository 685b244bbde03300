// One scenario of `run`: its search, judged against the scenario's expectation, as the result
// run prints and reports. run starts a search process per scenario (`vcpucheck run-scenario`, a
// command of its own that --help does not list) and that process calls run_case; run calls it
// itself only when it cannot start one.
//
// A search process gets three descriptors from run: kResultFd, a pipe it writes its result to
// as JSON (case_result.hpp); kLiveFd, a page of shared memory holding its checker::LiveStats for
// run's progress line; kStopFd, the page saying why a stop came (monitor.hpp).
#pragma once
#include <string>

#include "case_result.hpp"
#include "cli.hpp"

namespace vcpucheck::cli {

inline constexpr int kResultFd = 3, kLiveFd = 4, kStopFd = 5;

struct RunSettings {
  Overrides ov;
  std::string traces_dir;  // root of the tree of traces mirroring the scenario paths
};

// The overrides that change every scenario's search ("--strategy, --memory"), "" when none:
// with any, a scenario's exact execution count means nothing and only verdicts are checked.
std::string search_changes(const Overrides& ov);

// Runs the scenario in `file` and judges it; never throws (bad input is a BadInput result).
// `live` (may be null) is kept up to date while it runs.
CaseResult run_case(const models::Registry& reg, const RunSettings& rs, const std::string& file,
                    checker::LiveStats* live);

struct Parsed;
// The search process's command: run_case on its one scenario, the result written to kResultFd.
int cmd_run_scenario(const models::Registry& reg, const Parsed& p);

}  // namespace vcpucheck::cli
