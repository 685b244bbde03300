#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <deque>
#include <atomic>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <set>
#include <thread>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "case_result.hpp"
#include "cli.hpp"
#include "monitor.hpp"
#include "options.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> collect(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    fs::path p(in);
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (fs::is_directory(st)) {
      fs::recursive_directory_iterator it(p, ec), end;
      fs::path last = p;
      for (; !ec && it != end; it.increment(ec)) {
        const fs::path& f = it->path();
        last = f;
        const std::string name = f.filename().string();
        std::error_code fec;
        // Scenarios only: schemas and traces (a traces-out tree inside the input) are not.
        if (f.extension() == ".json" && name.find(".schema.") == std::string::npos &&
            name.find(".trace.") == std::string::npos && it->is_regular_file(fec))
          files.push_back(f.lexically_normal().string());
      }
      if (ec) {
        throw UsageError(last.string() + ": cannot read the directory: " + ec.message());
      }
    } else if (fs::is_regular_file(st)) {
      files.push_back(p.lexically_normal().string());
    } else if (fs::exists(st)) {
      throw UsageError(in + ": not a scenario file or directory (a FIFO, a device or a socket)");
    } else {
      throw UsageError(in + ": no such scenario file or directory");
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  if (files.empty()) throw UsageError("no scenario files found");
  return files;
}

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

// Runs one scenario in a child process: whatever its model does -- corrupt the heap, crash
// where no fiber can catch it (sim/fault.hpp), exhaust memory -- costs that scenario only. The
// child sends its result back over a pipe; a child that dies instead is that scenario's failure.
// `live` is shared memory the child keeps up to date for the progress line.
using RunOne = std::function<CaseResult(const std::string&, checker::LiveStats*)>;

CaseResult isolated(const std::string& f, const RunOne& one, checker::LiveStats* live,
                    const std::function<bool(const std::string&)>& expects) {
  // Under --jobs, another worker forks too: a child forked between this pipe() and the close of
  // its write end below would hold that end open, and this read would wait for that child's
  // scenario to end as well. Creating, forking and closing under one lock keeps each write end in
  // its own child only.
  static std::mutex fork_mu;
  int fds[2];
  std::unique_lock<std::mutex> forking(fork_mu);
  if (::pipe(fds) != 0) {
    forking.unlock();
    return one(f, live);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    forking.unlock();
    return one(f, live);
  }
  if (pid == 0) {
    die_with_parent(parent);
    ::close(fds[0]);
    const std::string out =
        to_json(one(f, live)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) ::_exit(3);
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  register_child(pid);
  ::close(fds[1]);
  forking.unlock();
  std::string in;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  unregister_child(pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    try {
      return case_from_json(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception&) {
    }
  }
  CaseResult c;
  c.file = f;
  c.name = fs::path(f).stem().string();
  c.state = CaseResult::State::Failed;
  if (!WIFSIGNALED(status)) {
    c.detail = "vcpucheck ended without a result on this scenario (exit " + std::to_string(WEXITSTATUS(status)) + ")";
    return c;
  }
  // Died of a signal outside every fiber: a model crash all the same (a destructor, say), or
  // vcpucheck's own -- it cannot tell which. A scenario that expects a model-crash has it.
  c.kind = c.failure = "model-crash";
  c.detail = "model-crash: " + died_of(status);
  c.report = c.detail + " (no trace: the process is gone)\n";
  bool expected = false;
  if (expects) {
    try {
      expected = expects(f);
    } catch (const std::exception&) {
    }
  }
  if (expected) {
    c.state = CaseResult::State::Passed;
    c.detail = "model-crash (" + died_of(status) + ")";
  }
  return c;
}

// The local time, ISO 8601 without a zone, as JUnit readers expect it.
std::string timestamp_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string indent(const std::string& text, const std::string& by) {
  std::string out;
  size_t a = 0;
  while (a < text.size()) {
    size_t b = text.find('\n', a);
    if (b == std::string::npos) b = text.size();
    out += by + text.substr(a, b - a) + "\n";
    a = b + 1;
  }
  return out;
}

// One slot of shared memory per worker: what its child's search has done so far.
class SharedSlots {
 public:
  explicit SharedSlots(size_t n) : n_(n) {
    void* p = ::mmap(nullptr, sizeof(checker::LiveStats) * n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      local_.resize(n);
      slots_ = nullptr;
    } else {
      slots_ = new (p) checker::LiveStats[n];
    }
  }
  ~SharedSlots() {
    if (slots_) ::munmap(slots_, sizeof(checker::LiveStats) * n_);
  }
  checker::LiveStats& operator[](size_t i) { return slots_ ? slots_[i] : local_[i]; }

 private:
  size_t n_;
  checker::LiveStats* slots_;
  std::deque<checker::LiveStats> local_;  // without shared memory: progress of in-process runs only
};

}  // namespace

int cmd_run(const models::Registry& reg, const Parsed& p) {
  if (p.positional.empty()) throw UsageError("run needs scenario files or directories");
  Overrides ov = overrides_from(p);
  const ProgressOptions po = progress_options(p);
  std::vector<std::string> files = collect(p.positional);
  uint64_t jobs = p.number("jobs", 1, 256).value_or(1);
  const std::optional<std::string> traces_opt = p.get("traces-dir");
  if (traces_opt) {  // checked before anything runs, so no scenario is reported before the error
    std::error_code ec;
    fs::create_directories(*traces_opt, ec);
    if (ec || !fs::is_directory(*traces_opt))
      throw UsageError(*traces_opt + ": cannot use as --traces-dir: " + (ec ? ec.message() : "not a directory"));
  }
  const std::string traces_dir = traces_opt.value_or("traces-out");
  const std::string started = timestamp_now();
  // Overrides of the search make a scenario's exact execution count meaningless: verdicts only.
  std::string changed;
  for (const auto& [k, set] : {std::pair{"--strategy", bool(ov.strategy)}, {"--preemptions", bool(ov.preemptions)},
                               {"--max-steps", bool(ov.max_steps)}, {"--memory", bool(ov.memory)},
                               {"--executions", bool(ov.executions)}})
    if (set) changed += (changed.empty() ? "" : ", ") + std::string(k);
  const bool counts = changed.empty();
  if (!counts)
    std::cout << "note: " << changed << " changes every scenario's search: exact execution counts are not checked, "
              << "only verdicts\n";

  // Each scenario is an independent search: one world and one strategy per worker, no shared
  // mutable state. Results are printed in file order whatever the number of workers.
  auto expects_crash = [&](const std::string& f) {
    const models::Scenario s = models::load_scenario(f, reg);
    return !s.expect.pass && s.expect.violation == sim::ViolationKind::ModelCrash;
  };
  RunOne one = [&](const std::string& f, checker::LiveStats* live) {
    CaseResult c;
    c.file = f;
    c.name = fs::path(f).stem().string();
    try {
      models::Scenario s = models::load_scenario(f, reg);
      if (!s.name.empty()) c.name = s.name;
      // An override that means nothing for this scenario's strategy (--preemptions over a suite
      // with one random scenario) is left out for it, and its line says so.
      Overrides mine = ov;
      std::string ignored;
      models::StrategySpec spec = effective_strategy(s, mine);
      for (std::string bad; !(bad = inapplicable_option(spec.name, mine)).empty();) {
        ignored += (ignored.empty() ? "" : ", ") + bad.substr(0, bad.find(' '));
        if (bad.rfind("--depth", 0) == 0) mine.depth.reset();
        if (bad.rfind("--preemptions", 0) == 0) mine.preemptions.reset();
        if (bad.rfind("--seed", 0) == 0) mine.seed.reset();
        spec = effective_strategy(s, mine);
      }
      Outcome o = explore_scenario(s, spec, live, ov);
      if (std::string bad = bad_input_reason(s, o); !bad.empty()) throw UsageError(bad);
      c.seconds = o.seconds;
      c.summary = summary_line(s, o);
      const auto& r = o.result;
      std::string found = "pass";
      c.violations = nlohmann::json::array();
      const std::string first_trace = mirrored_trace_path(traces_dir, f);
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
      std::string why = judge(s, o, counts);
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
  };

  const size_t workers = std::max<size_t>(1, std::min<size_t>(jobs, files.size()));
  SharedSlots slots(workers);
  std::vector<CaseResult> results(files.size());
  std::vector<char> done(files.size(), 0);
  std::vector<long> running(workers, -1);  // the file each worker runs, -1 when idle
  std::vector<double> since(workers, 0);
  size_t decided = 0, failures = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  size_t active = workers;  // workers still taking scenarios

  Monitor monitor(po, [&](double t) {
    std::lock_guard<std::mutex> g(mu);
    std::string line = "vcpucheck run: " + elapsed_text(t) + ", " + std::to_string(decided) + " of " +
                       std::to_string(files.size()) + " scenarios done (" + std::to_string(failures) + " failed)";
    std::string now;
    for (size_t k = 0; k < workers; ++k) {
      if (running[k] < 0) continue;
      const double for_s = t - since[k];
      now += (now.empty() ? "; running: " : ", ") + files[static_cast<size_t>(running[k])] + " (" + elapsed_text(for_s) +
             ", " + progress_of(slots[k], for_s) + ")";
    }
    return line + now;
  });
  auto print = [](const CaseResult& c) {
    const char* tag = c.state == CaseResult::State::Passed        ? "ok    "
                      : c.state == CaseResult::State::BadInput    ? "BAD   "
                      : c.state == CaseResult::State::Failed      ? "FAIL  "
                      : c.state == CaseResult::State::Interrupted ? "STOP  "
                                                                  : "SKIP  ";
    std::cout << tag << c.file << "  " << c.detail << "\n";
    if (c.state == CaseResult::State::Failed && !c.report.empty())
      std::cout << indent(c.summary, "      ") << indent(c.report, "      ");
    std::cout << std::flush;
  };
  auto worker = [&](size_t k) {
    for (;;) {
      const size_t i = stop_requested().load() ? files.size() : next.fetch_add(1);
      if (i >= files.size()) {
        std::lock_guard<std::mutex> g(mu);
        --active;
        cv.notify_all();
        return;
      }
      {
        std::lock_guard<std::mutex> g(mu);
        running[k] = static_cast<long>(i);
        since[k] = monitor.elapsed();
        slots[k].executions = 0;
        slots[k].steps = 0;
        slots[k].deepest = 0;
      }
      CaseResult c = isolated(files[i], one, &slots[k], expects_crash);
      std::lock_guard<std::mutex> g(mu);
      running[k] = -1;
      ++decided;
      failures += c.state == CaseResult::State::Failed || c.state == CaseResult::State::BadInput;
      results[i] = std::move(c);
      done[i] = 1;
      cv.notify_all();
    }
  };
  {
    std::vector<std::thread> pool;
    for (size_t k = 0; k < workers; ++k) pool.emplace_back(worker, k);
    // Each scenario's line is printed as soon as it and every scenario before it are decided, so
    // the output is in file order for any --jobs, and what was decided is on screen even if a
    // later scenario never ends. Scenarios a stop kept from starting are listed last.
    size_t printed = 0;
    for (; printed < files.size(); ++printed) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return done[printed] != 0 || active == 0; });
      if (!done[printed]) break;
      l.unlock();
      print(results[printed]);
    }
    for (auto& t : pool) t.join();
    for (; printed < files.size(); ++printed) {
      if (!done[printed]) {
        results[printed].file = files[printed];
        results[printed].name = fs::path(files[printed]).stem().string();
        results[printed].state = CaseResult::State::NotRun;
        results[printed].detail = "not run: vcpucheck was stopped (" + stop_reason() + ") before it started";
      }
      print(results[printed]);
    }
  }
  size_t passed = 0, failed = 0, bad = 0, stopped = 0, not_run = 0;
  for (const auto& c : results) {
    passed += c.state == CaseResult::State::Passed;
    failed += c.state == CaseResult::State::Failed;
    bad += c.state == CaseResult::State::BadInput;
    stopped += c.state == CaseResult::State::Interrupted;
    not_run += c.state == CaseResult::State::NotRun;
  }
  RunInfo info{started, monitor.elapsed(), stopped + not_run ? stop_reason() : ""};
  const int code = bad ? 2 : failed ? 1 : stopped + not_run ? kExitInterrupted : 0;
  if (auto junit = p.get("junit")) write_junit(*junit, results, info);
  if (auto sarif = p.get("sarif")) write_sarif(*sarif, results, code);
  github_annotations(results);
  std::string line = "scenarios: " + std::to_string(passed) + " passed, " + std::to_string(failed + bad) + " failed";
  if (stopped + not_run)
    line = "interrupted (" + info.stopped_by + ") after " + elapsed_text(info.seconds) + ": " + std::to_string(passed) +
           " passed, " + std::to_string(failed + bad) + " failed, " + std::to_string(stopped) + " stopped before the end, " +
           std::to_string(not_run) + " not run; the run is incomplete";
  std::cout << line << "\n";
  return code;
}

}  // namespace vcpucheck::cli
