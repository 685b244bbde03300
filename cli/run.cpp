#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <thread>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "options.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

namespace fs = std::filesystem;

namespace {

struct CaseResult {
  std::string file, name;
  bool ok = false;
  bool bad_input = false;
  std::string detail;
  double seconds = 0;
};

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

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// Checks the result against the scenario's expectation; returns "" when met, else why not.
std::string judge(const models::Scenario& s, const Outcome& o) {
  const auto& r = o.result;
  const auto& ex = s.expect;
  const sim::Violation* v = r.counterexample && r.counterexample->violation ? &*r.counterexample->violation : nullptr;
  if (ex.pass) {
    if (v) return std::string("expected pass, found ") + sim::violation_name(v->kind) + ": " + v->message;
    if (r.step_bounded && !ex.step_bound_allowed) return step_bound_reason(o);
    if (ex.executions && r.executions != *ex.executions)
      return "expected exactly " + std::to_string(*ex.executions) + " executions, explored " + std::to_string(r.executions);
    if (ex.executions && o.strategy == "dpor" && !r.exhausted) return "the search did not finish";
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
CaseResult isolated(const std::string& f, const std::function<CaseResult(const std::string&)>& one,
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
    return one(f);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    forking.unlock();
    return one(f);
  }
  if (pid == 0) {
    die_with_parent(parent);
    ::close(fds[0]);
    const CaseResult c = one(f);
    const std::string out =
        nlohmann::json{{"name", c.name}, {"ok", c.ok}, {"bad", c.bad_input}, {"detail", c.detail}, {"seconds", c.seconds}}
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) ::_exit(3);
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
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
  CaseResult c;
  c.file = f;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    try {
      const nlohmann::json j = nlohmann::json::parse(in);
      c.name = j.at("name").get<std::string>();
      c.ok = j.at("ok").get<bool>();
      c.bad_input = j.at("bad").get<bool>();
      c.detail = j.at("detail").get<std::string>();
      c.seconds = j.at("seconds").get<double>();
      return c;
    } catch (const nlohmann::json::exception&) {
    }
  }
  c.name = fs::path(f).stem().string();
  c.ok = false;
  if (!WIFSIGNALED(status)) {
    c.detail = "vcpucheck ended without a result on this scenario (exit " + std::to_string(WEXITSTATUS(status)) + ")";
    return c;
  }
  // Died of a signal outside every fiber: a model crash all the same (a destructor, say), or
  // vcpucheck's own -- it cannot tell which. A scenario that expects a model-crash has it.
  c.detail = "model-crash: " + died_of(status);
  if (expects) {
    try {
      c.ok = expects(f);
    } catch (const std::exception&) {
    }
  }
  if (c.ok) c.detail = "model-crash (" + died_of(status) + ")";
  return c;
}

}  // namespace

int cmd_run(const models::Registry& reg, const std::vector<std::string>& args) {
  Parsed p = parse_options("run", args, {"junit", "traces-dir", "jobs", "strategy", "seed", "executions",
                                         "preemptions", "max-steps", "depth", "memory"},
                           {});
  if (p.positional.empty()) throw UsageError("run needs scenario files or directories");
  Overrides ov = overrides_from(p);
  std::vector<std::string> files = collect(p.positional);
  uint64_t jobs = p.number("jobs", 1, 256).value_or(1);
  const std::optional<std::string> traces_dir = p.get("traces-dir");
  if (traces_dir) {  // checked before anything runs, so no scenario is reported before the error
    std::error_code ec;
    fs::create_directories(*traces_dir, ec);
    if (ec || !fs::is_directory(*traces_dir))
      throw UsageError(*traces_dir + ": cannot use as --traces-dir: " + (ec ? ec.message() : "not a directory"));
  }
  const std::string first_input = p.positional[0];

  // Each scenario is an independent search: one world and one strategy per worker, no shared
  // mutable state. Results are printed in file order whatever the number of workers.
  auto expects_crash = [&](const std::string& f) {
    const models::Scenario s = models::load_scenario(f, reg);
    return !s.expect.pass && s.expect.violation == sim::ViolationKind::ModelCrash;
  };
  std::function<CaseResult(const std::string&)> one = [&](const std::string& f) {
    CaseResult c;
    c.file = f;
    try {
      models::Scenario s = models::load_scenario(f, reg);
      c.name = s.name.empty() ? fs::path(f).stem().string() : s.name;
      models::StrategySpec spec = effective_strategy(s, ov);
      Outcome o = explore_scenario(s, spec, jobs == 1);
      if (std::string bad = bad_input_reason(s, o); !bad.empty()) throw UsageError(bad);
      c.seconds = o.seconds;
      std::string why = judge(s, o);
      c.ok = why.empty();
      const auto& r = o.result;
      std::string found = "pass";
      if (r.counterexample && r.counterexample->violation) {
        const sim::Violation& v = *r.counterexample->violation;
        found = std::string(sim::violation_name(v.kind)) + (v.object.empty() ? "" : " on " + v.object);
      }
      c.detail = c.ok ? found + " (" + std::to_string(r.executions) + (r.executions == 1 ? " execution)" : " executions)") : why;
      if (r.counterexample && traces_dir) {
        fs::path rel = fs::path(f).lexically_relative(fs::path(first_input));
        if (rel.empty() || rel.string().rfind("..", 0) == 0) rel = fs::path(f).filename();
        rel.replace_extension(".trace.json");
        write_trace(s, spec, o, (fs::path(*traces_dir) / rel).string());
      }
    } catch (const models::InputError& e) {
      c.ok = false;
      c.bad_input = true;
      c.detail = e.what();
    } catch (const std::exception& e) {  // UsageError, or a model that broke the engine's rules
      c.ok = false;
      c.bad_input = true;
      c.detail = e.what();
    }
    return c;
  };
  // Each scenario's line is printed as soon as it and every scenario before it are decided, so
  // the output is in file order for any --jobs, and what was decided is on screen even if a later
  // scenario never ends.
  std::vector<CaseResult> results(files.size());
  std::vector<char> done(files.size(), 0);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  auto print = [](const CaseResult& c) {
    std::cout << (c.ok ? "ok    " : c.bad_input ? "BAD   " : "FAIL  ") << c.file << "  " << c.detail << std::endl;
  };
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      CaseResult c = isolated(files[i], one, expects_crash);
      std::lock_guard<std::mutex> g(mu);
      results[i] = std::move(c);
      done[i] = 1;
      cv.notify_all();
    }
  };
  if (jobs == 1) {
    for (size_t i = 0; i < files.size(); ++i) {
      results[i] = isolated(files[i], one, expects_crash);
      print(results[i]);
    }
  } else {
    std::vector<std::thread> pool;
    for (uint64_t k = 0; k < std::min<uint64_t>(jobs, files.size()); ++k) pool.emplace_back(worker);
    for (size_t i = 0; i < files.size(); ++i) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return done[i] != 0; });
      print(results[i]);
    }
    for (auto& t : pool) t.join();
  }
  size_t failed = 0, bad = 0;
  for (const auto& c : results) {
    if (!c.ok) ++failed;
    if (c.bad_input) ++bad;
  }
  if (auto junit = p.get("junit")) {
    std::ofstream out(*junit);
    if (!out) throw UsageError(*junit + ": cannot write the JUnit report");
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << "<testsuite name=\"vcpucheck\" tests=\"" << results.size() << "\" failures=\"" << failed - bad
        << "\" errors=\"" << bad << "\">\n";
    for (const auto& c : results) {
      out << "  <testcase classname=\"" << xml_escape(fs::path(c.file).parent_path().string()) << "\" name=\""
          << xml_escape(c.file) << "\" time=\"" << c.seconds << "\">";
      if (c.bad_input)
        out << "<error message=\"" << xml_escape(c.detail) << "\"/>";
      else if (!c.ok)
        out << "<failure message=\"" << xml_escape(c.detail) << "\"/>";
      out << "</testcase>\n";
    }
    out << "</testsuite>\n";
  }
  std::cout << "scenarios: " << results.size() - failed << " passed, " << failed << " failed\n";
  if (bad) return 2;
  return failed ? 1 : 0;
}

}  // namespace vcpucheck::cli
