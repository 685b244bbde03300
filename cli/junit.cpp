// The JUnit report of a run: one <testcase> per scenario, its classname the scenario's directory
// in dotted form, a failure's full report and replay command in the <failure> body.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "case_result.hpp"
#include "cli.hpp"

namespace vcpucheck::cli {

namespace fs = std::filesystem;

nlohmann::json to_json(const CaseResult& c) {
  return nlohmann::json{{"file", c.file},       {"name", c.name},     {"state", static_cast<int>(c.state)},
                        {"detail", c.detail},   {"kind", c.kind},     {"failure", c.failure},  {"summary", c.summary},
                        {"report", c.report},   {"trace", c.trace},   {"violations", c.violations},
                        {"seconds", c.seconds}};
}

CaseResult case_from_json(const nlohmann::json& j) {
  CaseResult c;
  c.file = j.at("file").get<std::string>();
  c.name = j.at("name").get<std::string>();
  const int st = j.at("state").get<int>();
  if (st < 0 || st > static_cast<int>(CaseResult::State::NotRun)) throw nlohmann::json::other_error::create(501, "state", &j);
  c.state = static_cast<CaseResult::State>(st);
  c.detail = j.at("detail").get<std::string>();
  c.kind = j.at("kind").get<std::string>();
  c.failure = j.at("failure").get<std::string>();
  c.summary = j.at("summary").get<std::string>();
  c.report = j.at("report").get<std::string>();
  c.trace = j.at("trace").get<std::string>();
  c.violations = j.at("violations");
  c.seconds = j.at("seconds").get<double>();
  return c;
}

namespace {

// Escaped for XML text and attributes; characters XML 1.0 cannot hold become '?'.
std::string xml(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
          o += '?';
        else
          o += static_cast<char>(c);
    }
  }
  return o;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s < 0 ? 0.0 : s);
  return buf;
}

// "scenarios/bhyve/bugs/x.json" -> "scenarios.bhyve.bugs"
std::string classname(const std::string& file) {
  std::string out;
  for (const auto& part : fs::path(path_from_here(file)).parent_path()) {
    const std::string p = part.string();
    if (p.empty() || p == "/" || p == ".") continue;
    std::string q;
    for (char c : p) q += c == '.' ? '_' : c;
    out += (out.empty() ? "" : ".") + q;
  }
  return out.empty() ? "scenarios" : out;
}

}  // namespace

void write_junit(const std::string& path, const std::vector<CaseResult>& results, const RunInfo& info) {
  size_t failures = 0, errors = 0, skipped = 0;
  for (const auto& c : results) {
    failures += c.state == CaseResult::State::Failed;
    errors += c.state == CaseResult::State::BadInput;
    skipped += c.state == CaseResult::State::Interrupted || c.state == CaseResult::State::NotRun;
  }
  char host[256] = "localhost";
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  std::ofstream out(path, std::ios::binary);
  if (!out) throw UsageError(path + ": cannot write the JUnit report");
  const std::string counts = "tests=\"" + std::to_string(results.size()) + "\" failures=\"" + std::to_string(failures) +
                             "\" errors=\"" + std::to_string(errors) + "\"";
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"vcpucheck\" " << counts << " time=\"" << seconds(info.seconds) << "\">\n";
  out << "  <testsuite name=\"vcpucheck\" " << counts << " skipped=\"" << skipped << "\" time=\""
      << seconds(info.seconds) << "\" timestamp=\"" << xml(info.timestamp) << "\" hostname=\"" << xml(host) << "\">\n";
  if (!info.stopped_by.empty())
    out << "    <properties><property name=\"interrupted\" value=\"" << xml(info.stopped_by) << "\"/></properties>\n";
  for (const auto& c : results) {
    out << "    <testcase classname=\"" << xml(classname(c.file)) << "\" name=\"" << xml(fs::path(c.file).filename().string())
        << "\" time=\"" << seconds(c.seconds) << "\">\n";
    switch (c.state) {
      case CaseResult::State::Passed: break;
      case CaseResult::State::Failed:
        out << "      <failure type=\"" << xml(c.failure.empty() ? "expectation-missed" : c.failure) << "\" message=\""
            << xml(c.detail) << "\">" << xml(c.report.empty() ? c.detail + "\n" : c.report) << "</failure>\n";
        break;
      case CaseResult::State::BadInput:
        out << "      <error type=\"bad-input\" message=\"" << xml(c.detail) << "\">" << xml(c.detail) << "\n</error>\n";
        break;
      case CaseResult::State::Interrupted:
      case CaseResult::State::NotRun:
        out << "      <skipped message=\"" << xml(c.detail) << "\"/>\n";
        break;
    }
    if (!c.summary.empty()) out << "      <system-out>" << xml(c.summary) << "\n</system-out>\n";
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
  out.close();
  if (!out) throw UsageError(path + ": cannot write the JUnit report");
}

}  // namespace vcpucheck::cli
