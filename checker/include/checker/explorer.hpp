// The explorer: runs executions of one world under one strategy and turns what they do into a
// verdict. It owns the per-search detectors (lock order) and builds the per-execution ones
// (happens-before); it never looks inside a model.
//
// One Explorer is one worker: it holds no global state, so several can run side by side (one
// strategy and one world each).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/lock_order.hpp"
#include "checker/strategy.hpp"

namespace vcpucheck::checker {

struct LogEntry {
  uint64_t step = 0;
  uint32_t tid = 0;
  std::string thread;
  std::string op;      // op_name
  std::string object;  // object name, "" when none
  uint64_t value = 0;
  std::string text;    // "write vm.vcpu[3].state = 2"
  std::string loc;     // "models/bhyve/vmm.cpp:120"
  std::string function;
};

// One execution as a user reads it: the schedule, the event log, and how it ended.
struct ExecutionRecord {
  std::vector<uint32_t> schedule;
  std::vector<std::string> threads;
  std::vector<LogEntry> log;
  std::vector<sim::Link> links;  // edges between threads, for a reader (sim::Link)
  sim::Outcome outcome = sim::Outcome::Complete;
  std::optional<sim::Violation> violation;
};

// What a search has done so far, readable from another thread -- or, placed in shared memory,
// from another process -- while it runs. It feeds progress lines and never decides anything.
struct LiveStats {
  std::atomic<uint64_t> executions{0};
  std::atomic<uint64_t> steps{0};
  std::atomic<uint64_t> deepest{0};  // the most steps one execution took
  std::atomic<uint64_t> minimizing{0};  // schedules run so far minimizing a counterexample (minimize.hpp)
  // The host threads the search may use (parallel_dpor.hpp): `run` raises it as its workers run
  // out of scenarios. The search reads it; it only ever grows.
  std::atomic<uint32_t> threads{1};
};

struct ExploreOptions {
  sim::Bounds bounds;
  uint64_t max_executions = 0;  // 0: no limit (the strategy decides)
  size_t stack_size = 256 * 1024;
  LiveStats* live = nullptr;                  // updated after every execution when set
  bool grow = false;  // explore_dpor takes on more threads as live->threads grows
  const std::atomic<bool>* stop = nullptr;    // when it turns true, the search ends after the current execution
  // Called with each execution that found a violation: true ends the search with it as the
  // counterexample (what happens when unset); false goes on as if it had not failed.
  std::function<bool(const ExecutionRecord&)> on_violation;
  // Called after each execution: false ends the search there (not counted as interrupted).
  std::function<bool()> keep_going;
};

struct ExploreResult {
  uint64_t executions = 0;  // executions that ran to an end (not counting blocked ones)
  uint64_t complete = 0;
  uint64_t deadlocks = 0;
  uint64_t step_bounded = 0;
  uint64_t blocked = 0;     // stopped by sleep sets or by a planned branch that could not run
  uint64_t steps = 0;
  uint64_t max_steps_seen = 0;
  bool exhausted = false;  // the strategy explored everything within its bounds
  bool bounded = false;    // a bound (steps, preemptions, executions) cut the search
  bool interrupted = false;  // ended by ExploreOptions::stop before the strategy was done
  StrategyStats stats;
  std::optional<ExecutionRecord> counterexample;
};

// Builds one execution's world: the model instance and its threads. Called once per execution.
using Setup = std::function<void(sim::Execution&)>;

ExploreResult explore(Strategy& s, const Setup& setup, const ExploreOptions& o);

// What runs executions on one host thread: emulator engines (opened once), fiber stacks and the
// per-execution detectors. A search borrows one for each execution.
class Worker {
 public:
  explicit Worker(size_t stack_size);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  struct Impl;
  std::unique_ptr<Impl> impl;
};

// What one execution adds to a search's result: run() makes it, account() counts it. In a
// parallel search (parallel_dpor.hpp) the two happen on different searches.
// Consecutive plain executions (same outcome, nothing found, no lock-order edge) fold into one
// summary with a count, so that a parallel search keeps little per execution.
struct ExecutionSummary {
  sim::Outcome outcome = sim::Outcome::Complete;
  bool repeated = false;  // a repeat of an explored trace: not counted
  bool deadlock = false;  // its violation is a deadlock
  uint64_t count = 1;     // executions it stands for
  uint64_t steps = 0;     // their steps, in all
  uint64_t max_steps = 0;  // the longest of them
  // Folds `next` in when both are plain and alike; false when it must stay apart.
  bool fold(const ExecutionSummary& next);
  std::shared_ptr<const ExecutionRecord> violation;  // what it found, when it found something
  std::shared_ptr<const ExecutionRecord> growth;     // itself, when it added lock-order edges...
  size_t edges_from = 0, edges_to = 0;               // ...these, of the graph it ran against
};

// One search advanced an execution at a time: explore() runs it to its end.
class Search {
 public:
  Search(Strategy& s, const Setup& setup, const ExploreOptions& o) : s_(s), setup_(setup), o_(o) {}
  // Runs one execution on w. False once this search stops for now: its strategy has nothing left
  // to run, a violation ended it, the execution budget is spent, or it was interrupted.
  bool step(Worker& w);
  // The two halves of step(). run() sets `more` to what the strategy's end() returned.
  ExecutionSummary run(Worker& w, bool& more);
  // Counts an execution; `graph` is the lock-order graph it ran against (this search's own, or
  // another's whose edges are merged here). False when a violation ended the search.
  bool account(const ExecutionSummary& s, const LockOrderGraph& graph);
  // After account(): whether the search goes on, given what the strategy said (budget, stop).
  bool proceed(bool more);
  // Re-bases a summary made against `graph` onto this search's own graph, merging its edges
  // (it then counts as growth here only if they were new here).
  void absorb(ExecutionSummary& s, const LockOrderGraph& graph);
  const ExploreResult& result() const { return r_; }
  const LockOrderGraph& lock_order() const { return lock_order_; }
  // The verdict: the strategy's state, and a lock-order inversion when nothing else was found.
  ExploreResult finish();

 private:
  Strategy& s_;
  const Setup& setup_;
  const ExploreOptions& o_;
  ExploreResult r_;
  LockOrderGraph lock_order_;
  std::shared_ptr<const ExecutionRecord> last_growth_;  // the last execution that added a lock-order edge
};

// Runs exactly one execution under `s` (replay) and records it. A lock-order inversion within
// that one execution is its verdict when nothing else went wrong.
ExecutionRecord run_one(Strategy& s, const Setup& setup, const ExploreOptions& o);

ExecutionRecord record_execution(const sim::Execution& x, sim::Outcome o);

}  // namespace vcpucheck::checker
