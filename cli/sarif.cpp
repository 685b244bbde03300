// SARIF 2.1.0 for GitHub code scanning, and GitHub Actions annotations. One result per violation
// found, located at the model source line of the access that found it, the other accesses as related
// locations and the trace as an attachment. A violation the scenario expects (a bug scenario) is
// still a result, but suppressed, so code scanning lists it as dismissed rather than as an alert.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

#include "case_result.hpp"
#include "cli.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

namespace {

using nlohmann::ordered_json;

struct SourceLine {
  std::string file;
  uint64_t line = 0;
};

// "models/src/bhyve/vmm.cpp:120" or "...:120 (bhyve::vm_run)" -> {file, 120}; {} when not a location.
SourceLine parse_loc(const std::string& loc) {
  std::string s = loc.substr(0, loc.find(" ("));
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) return {};
  uint64_t line = 0;
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return {};
    line = line * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (line == 0) return {};
  return {s.substr(0, colon), line};
}

ordered_json physical(const std::string& file, uint64_t line) {
  ordered_json loc;
  loc["artifactLocation"] = ordered_json{{"uri", file}, {"uriBaseId", "SRCROOT"}};
  if (line) loc["region"] = ordered_json{{"startLine", line}};
  return loc;
}

const char* rule_text(const std::string& kind) {
  static const std::map<std::string, const char*> texts = {
      {"data-race", "Two accesses to shared memory, at least one a write, with no happens-before order between them."},
      {"use-before-init", "An object read before its initialization happens-before the read."},
      {"null-deref", "A null pointer dereferenced in the model."},
      {"use-after-free", "An object accessed after it was freed."},
      {"double-free", "An object freed twice."},
      {"out-of-bounds", "An index outside an array of the model."},
      {"leak", "An object still allocated when every thread has finished."},
      {"deadlock", "Threads wait for one another (or for a wakeup that never comes) and none can proceed."},
      {"lock-order-inversion", "Two locks taken in opposite orders on different paths: a potential deadlock."},
      {"assertion", "An assertion (KASSERT, BUG_ON, panic) in the model failed."},
      {"invariant", "A protocol invariant of the model does not hold at the end of an execution."},
      {"blocking-in-critical-section", "A blocking operation inside a critical section or under a spin mutex."},
      {"illegal-transition", "A state change that the object's state machine does not allow."},
      {"lock-misuse", "An unlock of a lock not held, or recursion on a non-recursive lock."},
      {"locking-rule", "A field accessed without the lock its annotation requires."},
      {"liveness", "An expected event never happened although every thread is done or blocked."},
      {"warning", "A WARN_ON condition held: the kernel would print a warning and go on."},
      {"guest-fault", "A guest CPU faulted (an exception, an invalid instruction, unmapped memory)."},
      {"model-crash", "Model code crashed (a fault, abort(), or a hang stopped by the watchdog)."},
      {"model-error", "The model threw or misused vcpucheck's API."},
      {"expectation-missed", "The scenario's expected verdict was not met."},
      {"step-bound", "Executions hit --max-steps: the search is incomplete (a loop that never waits, or a bound too low)."},
  };
  auto it = texts.find(kind);
  return it == texts.end() ? "A violation of the vCPU lifecycle protocol found by vcpucheck." : it->second;
}

}  // namespace

void write_sarif(const std::string& path, const std::vector<CaseResult>& results, int exit_code) {
  ordered_json rules = ordered_json::array();
  std::map<std::string, size_t> rule_index;
  auto rule = [&](const std::string& id) {
    auto it = rule_index.find(id);
    if (it != rule_index.end()) return it->second;
    ordered_json r;
    r["id"] = id;
    r["name"] = id;
    r["shortDescription"] = ordered_json{{"text", rule_text(id)}};
    r["defaultConfiguration"] = ordered_json{{"level", "error"}};
    rules.push_back(std::move(r));
    return rule_index[id] = rules.size() - 1;
  };
  ordered_json out = ordered_json::array();
  for (const auto& c : results) {
    const bool failed = c.state == CaseResult::State::Failed;
    std::vector<nlohmann::json> found(c.violations.begin(), c.violations.end());
    if (found.empty() && failed) found.push_back(nlohmann::json());  // a failure without a violation
    for (size_t k = 0; k < found.size(); ++k) {
      const nlohmann::json& v = found[k];
      const std::string id = !v.is_null()       ? v.value("kind", std::string("violation"))
                             : !c.failure.empty() ? c.failure
                                                  : "expectation-missed";
      ordered_json r;
      r["ruleId"] = id;
      r["ruleIndex"] = rule(id);
      r["level"] = "error";
      const std::string message =
          v.is_null() ? c.file + ": " + c.detail : c.file + ": " + id + ": " + v.value("message", std::string());
      r["message"] = ordered_json{{"text", message}};
      ordered_json locations = ordered_json::array(), related = ordered_json::array();
      if (!v.is_null()) {
        // The access that found it -- the last involved, the one the violation stopped at -- is the
        // result's location; the accesses it conflicts with are related locations.
        int n = 0;
        const nlohmann::json involved = v.value("involved", nlohmann::json::array());
        for (auto it = involved.rbegin(); it != involved.rend(); ++it) {
          const auto& inv = *it;
          const SourceLine at = parse_loc(inv.value("loc", std::string()));
          if (at.file.empty()) continue;
          ordered_json l;
          l["id"] = n++;
          l["physicalLocation"] = physical(at.file, at.line);
          std::string what = inv.value("thread", std::string());
          if (!inv.value("what", std::string()).empty()) what += ": " + inv.value("what", std::string());
          if (inv.value("step", int64_t{-1}) >= 0) what += " [step " + std::to_string(inv.value("step", int64_t{0})) + "]";
          l["message"] = ordered_json{{"text", what}};
          (locations.empty() ? locations : related).push_back(std::move(l));
        }
      }
      if (locations.empty()) {  // no source line: the scenario file itself
        ordered_json l;
        l["physicalLocation"] = physical(c.file, 1);
        locations.push_back(std::move(l));
      }
      r["locations"] = std::move(locations);
      if (!related.empty()) r["relatedLocations"] = std::move(related);
      const std::string trace = v.is_null() ? c.trace : v.value("trace", std::string());
      if (!trace.empty()) {
        ordered_json a;
        a["description"] = ordered_json{{"text", "the counterexample trace; replay: vcpucheck replay " + trace}};
        a["artifactLocation"] = ordered_json{{"uri", trace}, {"uriBaseId", "SRCROOT"}};
        r["attachments"] = ordered_json::array({std::move(a)});
      }
      if (!failed)
        r["suppressions"] = ordered_json::array(
            {ordered_json{{"kind", "external"}, {"justification", "the scenario " + c.file + " expects this violation"}}});
      r["partialFingerprints"] = ordered_json{{"vcpucheckScenario/v1", c.file + ":" + id + ":" + std::to_string(k)}};
      r["properties"] = ordered_json{{"scenario", c.file}, {"report", c.report}};
      out.push_back(std::move(r));
    }
  }
  ordered_json driver;
  driver["name"] = "vcpucheck";
  std::string version = traces::kToolVersion;
  driver["semanticVersion"] = version.substr(version.rfind(' ') + 1);
  driver["rules"] = std::move(rules);
  ordered_json run;
  run["tool"] = ordered_json{{"driver", std::move(driver)}};
  run["originalUriBaseIds"] =
      ordered_json{{"SRCROOT", ordered_json{{"description", ordered_json{{"text", "the repository root"}}}}}};
  run["invocations"] = ordered_json::array({ordered_json{{"executionSuccessful", exit_code != 2}, {"exitCode", exit_code}}});
  run["results"] = std::move(out);
  ordered_json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = ordered_json::array({std::move(run)});
  std::ofstream f(path, std::ios::binary);
  if (!f) throw UsageError(path + ": cannot write the SARIF report");
  f << log.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  f.close();
  if (!f) throw UsageError(path + ": cannot write the SARIF report");
}

void github_annotations(const std::vector<CaseResult>& results) {
  const char* gha = std::getenv("GITHUB_ACTIONS");
  if (!gha || std::string(gha) != "true") return;
  // Workflow commands: '%', CR and LF are escaped in the message; ',' and ':' too in properties.
  auto esc = [](const std::string& s, bool property) {
    std::string o;
    for (char ch : s) {
      if (ch == '%') o += "%25";
      else if (ch == '\r') o += "%0D";
      else if (ch == '\n') o += "%0A";
      else if (property && ch == ':') o += "%3A";
      else if (property && ch == ',') o += "%2C";
      else o += ch;
    }
    return o;
  };
  for (const auto& c : results) {
    if (c.state != CaseResult::State::Failed && c.state != CaseResult::State::BadInput) continue;
    SourceLine at{c.file, 0};
    if (!c.violations.empty()) {
      const nlohmann::json involved = c.violations[0].value("involved", nlohmann::json::array());
      for (auto it = involved.rbegin(); it != involved.rend(); ++it)  // the access that found it
        if (SourceLine l = parse_loc(it->value("loc", std::string())); !l.file.empty()) {
          at = l;
          break;
        }
    }
    std::cout << "::error file=" << esc(at.file, true);
    if (at.line) std::cout << ",line=" << at.line;
    std::cout << ",title=" << esc("vcpucheck: " + (c.failure.empty() ? std::string("scenario failed") : c.failure), true)
              << "::" << esc(c.file + ": " + c.detail + (c.trace.empty() ? "" : " (trace: " + c.trace + ")"), false)
              << "\n";
  }
}

}  // namespace vcpucheck::cli
