#include "checker/stacks.hpp"

#define BOOST_STACKTRACE_LINK  // the implementation: libboost_stacktrace_backtrace (libbacktrace)
#include <boost/stacktrace.hpp>

#include <algorithm>
#include <set>
#include <thread>

namespace vcpucheck::checker {

using sim::ThreadId;

namespace {

// A frame of model code: a source file of a model, relative to its source root (vcpucheck's own
// models under this repository, a plugin's under its root by the package's -ffile-prefix-map),
// and not the engine's (sim/, checker/) or a system header.
std::string model_source(std::string file) {
  const std::string root = VCPUCHECK_SOURCE_DIR "/";
  if (file.rfind(root, 0) == 0) file = file.substr(root.size());
  if (file.empty() || file[0] == '/' || file.rfind("..", 0) == 0) return "";  // system and C library sources
  for (const char* engine : {"sim/", "checker/", "traces/", "cli/"})
    if (file.rfind(engine, 0) == 0) return "";
  if (file == "models/src/scenario.cpp") return "";  // the scenario's thread runner, not a model
  return file;
}

std::vector<std::string> model_stack(const boost::stacktrace::stacktrace& frames) {
  std::vector<std::string> out;
  for (const boost::stacktrace::frame& ret : frames) {
    // A return address: its line is the one after the call; one byte back is the call itself.
    const boost::stacktrace::frame f(static_cast<const char*>(ret.address()) - 1);
    const std::string file = model_source(f.source_file());
    if (file.empty()) continue;
    std::string line = sim::short_function_name(f.name()) + "  " + file + ":" + std::to_string(f.source_line());
    if (out.empty() || out.back() != line) out.push_back(std::move(line));
  }
  return out;
}

// Replays the schedule and captures the context at the steps asked for.
class Capture final : public Strategy {
 public:
  // `steps`: the step of each access, and the thread that made it.
  Capture(const std::vector<uint32_t>& schedule, std::map<int64_t, std::string> steps)
      : schedule_(schedule), steps_(std::move(steps)) {}
  const char* name() const override { return "capture"; }
  void begin(sim::Execution&) override {}
  bool end(sim::Execution&, sim::Outcome) override { return false; }
  ThreadId pick(const sim::Execution& x, const std::vector<ThreadId>& enabled) override {
    const size_t i = x.schedule().size();
    if (i >= schedule_.size()) return ThreadId();
    const ThreadId t(schedule_[i]);
    return std::binary_search(enabled.begin(), enabled.end(), t) ? t : ThreadId();
  }
  void on_event(sim::Execution& x, const sim::Event& e) override {
    const int64_t step = static_cast<int64_t>(x.steps()) - 1;
    auto it = steps_.find(step);
    // Only the access itself: a deadlocked thread's entry names the step it began to wait, which
    // another thread's event took.
    if (it != steps_.end() && x.thread(e.tid).name == it->second) capture(x, e.tid, step, &e.loc);
  }
  void on_warning(const sim::Execution& x, const sim::Violation& v) override { on_violation(x, v); }
  void on_violation(const sim::Execution& x, const sim::Violation& v) override {
    auto it = steps_.find(v.step);
    if (x.current().valid() && !got_.count(v.step) && it != steps_.end() && x.thread(x.current()).name == it->second)
      capture(x, x.current(), v.step);
  }
  // Symbolized here, outside the fibers: reading debug information needs more stack than a model thread has.
  std::map<int64_t, AccessContext> take() {
    std::map<int64_t, AccessContext> out;
    for (auto& [step, raw] : got_) {
      AccessContext c;
      c.stack = model_stack(raw.frames);
      if (raw.c_access) at_c_access(c.stack, raw.access);
      c.held = std::move(raw.held);
      out[step] = std::move(c);
    }
    return out;
  }

 private:
  struct Raw {
    boost::stacktrace::stacktrace frames;  // addresses only, until take()
    std::vector<std::string> held;
    bool c_access = false;  // the event is C code's: `access` is where the C code made it
    sim::Loc access;
  };
  // C code's innermost frame is where the access was made: a store is recorded when the code
  // next enters vcpucheck (the frames are then at its next access), and a function the compiler
  // inlined has no frame of its own. The access's location (the hook's line, innermost inlined
  // function) replaces a frame of its function, or goes on top of its inlining caller.
  static void at_c_access(std::vector<std::string>& stack, const sim::Loc& l) {
    const std::string fn = sim::short_function_name(l.function_name());
    const std::string file = model_source(l.file_name());
    if (file.empty()) return;
    std::string line = fn + "  " + file + ":" + std::to_string(l.line());
    if (!stack.empty() && stack.front().rfind(fn + "  ", 0) == 0)
      stack.front() = std::move(line);
    else
      stack.insert(stack.begin(), std::move(line));
  }
  void capture(const sim::Execution& x, ThreadId t, int64_t step, const sim::Loc* at = nullptr) {
    Raw r;
    const std::string file = at ? at->file_name() : "";
    if (file.size() > 2 && file.compare(file.size() - 2, 2, ".c") == 0) r.c_access = true, r.access = *at;
    for (sim::ObjectId l : x.thread(t).held) r.held.push_back(x.object(l).name);
    got_[step] = std::move(r);
  }
  const std::vector<uint32_t>& schedule_;
  std::map<int64_t, std::string> steps_;
  std::map<int64_t, Raw> got_;
};

}  // namespace

std::map<int64_t, AccessContext> access_contexts(const ExecutionRecord& r, const Setup& setup, const ExploreOptions& o) {
  if (!r.violation) return {};
  std::map<int64_t, std::string> steps;
  for (const auto& i : r.violation->involved)
    if (i.step >= 0) steps[i.step] = i.thread;
  Capture c(r.schedule, steps);
  ExploreOptions one;
  one.bounds = o.bounds;
  one.stack_size = o.stack_size;
  run_one(c, setup, one);
  // Symbolized on a thread of its own: a fresh stack, whatever the fibers left on this thread's
  // (AddressSanitizer keeps stale marks of their frames there, which libbacktrace's large stack
  // buffers would trip).
  std::map<int64_t, AccessContext> out;
  std::thread([&] { out = c.take(); }).join();
  return out;
}

}  // namespace vcpucheck::checker
