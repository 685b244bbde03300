#include <fcntl.h>
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
#include "run_case.hpp"
#include "commands.hpp"
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


// One worker's page of shared memory: the progress of the search process it started
// (run_case.hpp's kLiveFd), for the progress line.
class LiveSlot {
 public:
  LiveSlot() {
    fd_ = ::memfd_create("vcpucheck-live", MFD_CLOEXEC);
    if (fd_ < 0) return;
    void* p = ::ftruncate(fd_, sizeof(checker::LiveStats)) == 0
                  ? ::mmap(nullptr, sizeof(checker::LiveStats), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0)
                  : MAP_FAILED;
    if (p == MAP_FAILED) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    shared_ = new (p) checker::LiveStats;
  }
  ~LiveSlot() {
    if (shared_) ::munmap(shared_, sizeof(checker::LiveStats));
    if (fd_ >= 0) ::close(fd_);
  }
  LiveSlot(const LiveSlot&) = delete;
  LiveSlot& operator=(const LiveSlot&) = delete;
  checker::LiveStats& stats() { return shared_ ? *shared_ : local_; }
  int fd() const { return fd_; }  // -1 without shared memory

 private:
  int fd_ = -1;
  checker::LiveStats* shared_ = nullptr;
  checker::LiveStats local_;  // without shared memory: progress of a search run in this process
};

// Runs one scenario in a search process of its own (`args`, run_case.hpp): whatever its model
// does -- corrupt the heap, crash where no fiber can catch it (sim/fault.hpp), exhaust memory --
// costs that scenario only. The process sends its result back over a pipe; one that dies
// instead is that scenario's failure. Without a process, `here` runs it in this one.
CaseResult isolated(const std::string& f, const std::vector<std::string>& args, LiveSlot& slot,
                    const std::function<CaseResult()>& here, const std::function<bool(const std::string&)>& expects) {
  int fds[2];
  if (slot.fd() < 0 || stop_reason_fd() < 0 || ::pipe2(fds, O_CLOEXEC) != 0) return here();
  // Every descriptor of this process is close-on-exec: a search process another worker starts
  // meanwhile holds none of them past its exec, so this read ends when this search does.
  const pid_t pid = spawn_search(args, {{fds[1], kResultFd}, {slot.fd(), kLiveFd}, {stop_reason_fd(), kStopFd}});
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return here();
  }
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
    c.detail = WEXITSTATUS(status) == 127
                   ? "vcpucheck could not start the search process for this scenario (exec of /proc/self/exe failed)"
                   : "vcpucheck ended without a result on this scenario (exit " + std::to_string(WEXITSTATUS(status)) + ")";
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

}  // namespace

int cmd_run(const models::Registry& reg, const Parsed& p, const std::vector<std::string>& self) {
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
  const RunSettings rs{ov, traces_opt.value_or("traces-out")};
  const std::string started = timestamp_now();
  if (const std::string changed = search_changes(ov); !changed.empty())
    std::cout << "note: " << changed << " changes every scenario's search: exact execution counts are not checked, "
              << "only verdicts\n";
  // A scenario's search process: this executable with the same models and watchdog, and the
  // options of run that shape a search.
  std::vector<std::string> args = self;
  args.push_back("run-scenario");
  for (std::string& a : command_arguments(p, "run-scenario")) args.push_back(std::move(a));

  // Each scenario is an independent search: one world and one strategy per worker, no shared
  // mutable state. Results are printed in file order whatever the number of workers.
  auto expects_crash = [&](const std::string& f) {
    const models::Scenario s = models::load_scenario(f, reg);
    return !s.expect.pass && s.expect.violation == sim::ViolationKind::ModelCrash;
  };

  const size_t workers = std::max<size_t>(1, std::min<size_t>(jobs, files.size()));
  std::deque<LiveSlot> slots(workers);
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
    // Running scenarios in file order, whichever worker took each one first.
    std::vector<std::pair<long, size_t>> order;
    for (size_t k = 0; k < workers; ++k)
      if (running[k] >= 0) order.emplace_back(running[k], k);
    std::sort(order.begin(), order.end());
    std::string now;
    for (const auto& [file, k] : order) {
      const double for_s = t - since[k];
      now += (now.empty() ? "; running: " : ", ") + files[static_cast<size_t>(file)] + " (" + elapsed_text(for_s) +
             ", " + progress_of(slots[k].stats(), for_s) + ")";
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
  // Once the scenarios run out, the idle workers' threads go to the searches still running
  // (their dpor search takes them on as it runs: checker/parallel_dpor.hpp). The results are the
  // same for any number of threads. Under mu.
  auto spread = [&] {
    std::vector<size_t> busy;
    for (size_t k = 0; k < workers; ++k)
      if (running[k] >= 0) busy.push_back(k);
    if (busy.empty()) return;
    const size_t idle = workers - busy.size();
    for (size_t n = 0; n < busy.size(); ++n) {
      const uint32_t share = static_cast<uint32_t>(1 + idle / busy.size() + (n < idle % busy.size() ? 1 : 0));
      std::atomic<uint32_t>& t = slots[busy[n]].stats().threads;
      if (share > t.load()) t.store(share);
    }
  };
  auto worker = [&](size_t k) {
    for (;;) {
      const size_t i = stop_requested().load() ? files.size() : next.fetch_add(1);
      if (i >= files.size()) {
        std::lock_guard<std::mutex> g(mu);
        --active;
        spread();
        cv.notify_all();
        return;
      }
      {
        std::lock_guard<std::mutex> g(mu);
        running[k] = static_cast<long>(i);
        since[k] = monitor.elapsed();
        checker::LiveStats& live = slots[k].stats();
        live.executions = 0;
        live.steps = 0;
        live.deepest = 0;
        live.minimizing = 0;
        live.threads = 1;
      }
      std::vector<std::string> with_file = args;
      with_file.push_back("--scenario=" + files[i]);
      CaseResult c = isolated(files[i], with_file, slots[k],
                              [&] { return run_case(reg, rs, files[i], &slots[k].stats()); }, expects_crash);
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
