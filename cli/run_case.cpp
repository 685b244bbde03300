#include "run_case.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "monitor.hpp"
#include "options.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

namespace fs = std::filesystem;

namespace {

// Checks the result against the scenario's expectation; returns "" when met, else why not.
// `counts`: false when the command line changed the search, so an exact count means nothing.
std::string judge(const models::Scenario& s, const Outcome& o, bool counts) {
  const auto& r = o.result;
  const auto& ex = s.expect;
  const sim::Violation* v = r.counterexample && r.counterexample->violation ? &*r.counterexample->violation : nullptr;
  if (ex.pass) {
    if (v) return std::string("expected pass, found ") + sim::violation_name(v->kind) + ": " + v->message;
    if (r.step_bounded && !ex.step_bound_allowed) return step_bound_reason(o);
    if (counts && ex.executions && r.executions != *ex.executions)
      return "expected exactly " + std::to_string(*ex.executions) + " executions, explored " + std::to_string(r.executions);
    if (counts && ex.executions && o.strategy == "dpor" && !r.exhausted) return "the search did not finish";
    return "";
  }
  if (!ex.verdicts.empty()) {  // several: with dpor exactly these, sampled some of them and nothing else
    std::set<std::string> want, got;
    for (auto k : ex.verdicts) want.insert(sim::violation_name(k));
    for (const Finding& f : o.findings) got.insert(sim::violation_name(f.record.violation->kind));
    auto list = [](const std::set<std::string>& x) {
      std::string t;
      for (const auto& k : x) t += (t.empty() ? "" : ", ") + k;
      return t.empty() ? std::string("none") : t;
    };
    const bool exact = o.strategy == "dpor" && r.exhausted;
    const bool subset = std::includes(want.begin(), want.end(), got.begin(), got.end());
    if (exact ? got != want : (got.empty() || !subset))
      return "expected the verdicts " + list(want) + (exact ? "" : " (some of them)") + ", found " + list(got) +
             (o.findings.size() >= o.max_violations ? " (stopped at --max-violations " + std::to_string(o.max_violations) + ")"
                                                      : "");
    return "";
  }
  if (!v)
    return std::string("expected ") + sim::violation_name(ex.violation) + ", found no violation in " +
           std::to_string(r.executions) + " executions" + (r.step_bounded ? " (" + step_bound_reason(o) + ")" : "");
  if (v->kind != ex.violation)
    return std::string("expected ") + sim::violation_name(ex.violation) + ", found " + sim::violation_name(v->kind) + ": " +
           v->message;
  if (ex.object && v->object.find(*ex.object) == std::string::npos && v->message.find(*ex.object) == std::string::npos)
    return std::string("found ") + sim::violation_name(v->kind) + " but on '" + v->object + "', expected it to name '" +
           *ex.object + "'";
  return "";
}

}  // namespace

std::string search_changes(const Overrides& ov) {
  std::string changed;
  for (const auto& [k, set] : {std::pair{"--strategy", bool(ov.strategy)}, {"--preemptions", bool(ov.preemptions)},
                               {"--max-steps", bool(ov.max_steps)}, {"--memory", bool(ov.memory)},
                               {"--executions", bool(ov.executions)}})
    if (set) changed += (changed.empty() ? "" : ", ") + std::string(k);
  return changed;
}

CaseResult run_case(const models::Registry& reg, const RunSettings& rs, const std::string& f,
                    checker::LiveStats* live) {
  CaseResult c;
  c.file = f;
  c.name = fs::path(f).stem().string();
  try {
    models::Scenario s = models::load_scenario(f, reg);
    if (!s.expect.stated)
      throw models::InputError(f, "/expect",
                               "missing field 'expect': run checks each scenario against its expected verdict (`vcpucheck "
                               "explore " + f + "` runs it without one)");
    if (!s.name.empty()) c.name = s.name;
    // An override that means nothing for this scenario's strategy (--preemptions over a suite
    // with one random scenario) is left out for it, and its line says so.
    Overrides mine = rs.ov;
    std::string ignored;
    models::StrategySpec spec = effective_strategy(s, mine);
    while (auto bad = inapplicable_option(spec.name, mine)) {
      ignored += (ignored.empty() ? "" : ", ") + bad->flag;
      bad->drop(mine);
      spec = effective_strategy(s, mine);
    }
    Outcome o = explore_scenario(s, spec, live, rs.ov);
    if (std::string bad = bad_input_reason(s, o); !bad.empty()) throw UsageError(bad);
    c.seconds = o.seconds;
    c.summary = summary_line(s, o);
    const auto& r = o.result;
    std::string found = "pass";
    c.violations = nlohmann::json::array();
    const std::string first_trace = mirrored_trace_path(rs.traces_dir, f);
    for (size_t k = 0; k < o.findings.size(); ++k) {
      const Finding& fd = o.findings[k];
      const sim::Violation& v = *fd.record.violation;
      const std::string kind = sim::violation_name(v.kind);
      const std::string what = kind + (v.object.empty() ? "" : " on " + v.object);
      found = k == 0 ? what : found + ", " + what;
      if (k == 0) c.kind = kind;
      const std::string tp = write_trace(s, spec, o, fd.record, nth_trace_path(first_trace, k));
      if (k == 0) c.trace = tp;
      nlohmann::json vj = traces::to_json_violation(v);
      vj["trace"] = tp;
      c.violations.push_back(std::move(vj));
      c.report += (o.findings.size() > 1 ? "[" + std::to_string(k + 1) + "/" + std::to_string(o.findings.size()) + "] " : "") +
                  failure_report(s, fd, tp);
    }
    if (r.interrupted && !r.counterexample) {
      c.state = CaseResult::State::Interrupted;
      c.detail = "interrupted (" + o.stopped_by + ") after " + thousands(r.executions) +
                 " executions: no violation so far; the search is incomplete";
      return c;
    }
    std::string why = judge(s, o, search_changes(rs.ov).empty());
    c.state = why.empty() ? CaseResult::State::Passed : CaseResult::State::Failed;
    if (!why.empty()) {
      const bool unexpected = !c.kind.empty() && s.expect.verdicts.empty() &&
                              (s.expect.pass || c.kind != sim::violation_name(s.expect.violation));
      c.failure = unexpected ? c.kind : r.step_bounded ? "step-bound" : "expectation-missed";
    }
    c.detail = why.empty() ? found + " (" + thousands(r.executions) + (r.executions == 1 ? " execution)" : " executions)")
                           : why;
    if (!ignored.empty()) c.detail += " [" + ignored + " ignored: its strategy is " + spec.name + "]";
  } catch (const std::exception& e) {  // InputError, UsageError, or a model that broke the engine's rules
    c.state = CaseResult::State::BadInput;
    c.detail = e.what();
    c.report.clear();
  }
  return c;
}

int cmd_run_scenario(const models::Registry& reg, const Parsed& p) {
  struct stat st;
  for (int fd : {kResultFd, kLiveFd, kStopFd})
    if (::fstat(fd, &st) != 0)
      throw UsageError("run-scenario is the search process `vcpucheck run` starts for each scenario; use run");
  const std::optional<std::string> file = p.get("scenario");
  if (!file) throw UsageError("run-scenario needs --scenario=FILE");
  attach_stop_reason(kStopFd);
  void* page = ::mmap(nullptr, sizeof(checker::LiveStats), PROT_READ | PROT_WRITE, MAP_SHARED, kLiveFd, 0);
  auto* live = page == MAP_FAILED ? nullptr : static_cast<checker::LiveStats*>(page);
  RunSettings rs{overrides_from(p), p.get("traces-dir").value_or("traces-out")};
  rs.ov.grow = live != nullptr;  // run hands this search the threads of its idle workers
  const std::string out = to_json(run_case(reg, rs, *file, live))
                              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (size_t done = 0; done < out.size();) {
    const ssize_t n = ::write(kResultFd, out.data() + done, out.size() - done);
    if (n <= 0) return 3;
    done += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace vcpucheck::cli
