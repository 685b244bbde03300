#include "checker/explorer.hpp"

#include <deque>
#include <stdexcept>
#include <tuple>

#include "checker/end_checks.hpp"
#include "checker/hb_detector.hpp"
#include "checker/lock_order.hpp"
#include "sim/fault.hpp"
#include "sim/fiber.hpp"

namespace vcpucheck::checker {

namespace {
// Under x86-TSO, the reorderings of an execution: a thread's load (or unbuffered guest register
// write) that ran while one of its earlier stores to another word was still in its buffer. The
// first few, for the report.
std::string tso_reorderings(const sim::Execution& x) {
  struct Pending {
    size_t step;
    sim::ObjectId obj;
  };
  std::vector<std::deque<Pending>> buf(x.thread_count());
  std::string out;
  int shown = 0;
  const auto& ev = x.events();
  for (size_t i = 0; i < ev.size() && shown < 3; ++i) {
    const sim::Event& e = ev[i];
    if (e.kind == sim::OpKind::Buffer) buf[e.tid.v].push_back(Pending{i, e.obj});
    if (e.kind == sim::OpKind::Flush) {
      auto& q = buf[x.thread(e.tid).buffer_of.v];
      if (!q.empty()) q.pop_front();
    }
    // A load from memory, or a guest write that bypasses the buffer without draining it (an
    // x2APIC register: an ICR write sends an IPI the receiver may act on at once).
    const bool load = e.kind == sim::OpKind::Read && !(e.flags & sim::kFlagForwarded);
    const bool unbuffered = e.kind == sim::OpKind::Write && e.gip != 0;
    if (!load && !unbuffered) continue;
    for (const Pending& p : buf[e.tid.v]) {
      if (p.obj == e.obj) continue;
      const std::string& t = x.thread(e.tid).name;
      out += (out.empty() ? "" : "; ") + t + "'s store to " + x.object(p.obj).name + " at " + x.where(ev[p.step]).first +
             " (step " + std::to_string(p.step) + ") was still in " + t + "'s store buffer when " + t +
             (load ? " read " : " wrote ") +
             x.object(e.obj).name + " at " + x.where(e).first + " (step " + std::to_string(i) +
             (e.gip ? "): an MFENCE or a locked instruction between them orders them"
                    : "): a full barrier (smp_mb) between them orders them");
      ++shown;
      break;
    }
  }
  return out;
}
}  // namespace

ExecutionRecord record_execution(const sim::Execution& x, sim::Outcome o) {
  ExecutionRecord r;
  r.outcome = o;
  r.violation = x.violation();
  if (r.violation && x.memory() == sim::MemoryModel::TSO)
    if (std::string why = tso_reorderings(x); !why.empty()) r.violation->message += " [x86-TSO: " + why + "]";
  for (size_t t = 0; t < x.thread_count(); ++t) r.threads.push_back(x.thread(sim::ThreadId(uint32_t(t))).name);
  const auto& ev = x.events();
  r.schedule = x.schedule();
  r.links = x.links();
  for (size_t i = 0; i < ev.size(); ++i) {
    const sim::Event& e = ev[i];
    LogEntry l;
    l.step = i;
    l.tid = e.tid.v;
    l.thread = x.thread(e.tid).name;
    l.op = sim::op_name(e.kind);
    l.object = e.obj.valid() ? x.object(e.obj).name : "";
    l.value = e.value;
    l.text = x.describe_op(e);
    std::tie(l.loc, l.function) = x.where(e);
    r.log.push_back(std::move(l));
  }
  return r;
}

namespace {
// The model builds its world in a fiber of its own, so that a crash there (a null dereference in
// a constructor) is reported as one in a thread is (sim/fault.hpp). Setup never yields.
bool build_world(sim::Execution& x, sim::FiberPool& pool, const Setup& setup) {
  sim::arm_fault_handlers();
  sim::Fiber f(pool, [&] {
    sim::CurrentExecution current(x);
    setup(x);
  });
  f.resume();
  if (const sim::Fault* fault = f.fault()) {
    x.report(sim::Violation{sim::ViolationKind::ModelCrash,
                            "the model crashed while building its world: " + sim::describe_fault(*fault), {}, {}, 0});
    return false;
  }
  if (auto e = f.error()) std::rethrow_exception(e);
  return true;
}

// Runs one execution with the per-execution detectors; returns its outcome with every
// end-of-execution check applied.
sim::Outcome run_checked(sim::Execution& x, sim::FiberPool& pool, Strategy& s, HbDetector& hb, LockOrderGraph* lo,
                         const Setup& setup) {
  x.add_observer(&s);
  x.add_observer(&hb);
  if (lo) x.add_observer(lo);
  hb.reset();
  s.begin(x);
  if (!build_world(x, pool, setup)) return sim::Outcome::Violation;
  sim::Outcome o = x.run(s);
  if (o == sim::Outcome::Deadlock) {
    x.report(deadlock_report(x));
  } else if (o == sim::Outcome::Complete) {
    if (auto leak = find_leak(x)) x.report(*leak);
  }
  if (x.violation()) o = sim::Outcome::Violation;
  return o;
}
}  // namespace

struct Worker::Impl {
  explicit Impl(size_t stack_size) : pool(stack_size) {}
  sim::Resources resources;  // outlives every execution: emulator engines are opened once
  sim::FiberPool pool;
  HbDetector hb;
  sim::Execution::Tables tables;  // the last execution's tables, for the next
};

Worker::Worker(size_t stack_size) : impl(std::make_unique<Impl>(stack_size)) {}
Worker::~Worker() = default;

ExecutionSummary Search::run(Worker& w, bool& more) {
  ExecutionSummary s;
  sim::Execution x(w.impl->pool, o_.bounds);
  x.resources = &w.impl->resources;
  x.reuse(w.impl->tables);
  s.edges_from = lock_order_.edge_count();
  sim::Outcome o = run_checked(x, w.impl->pool, s_, w.impl->hb, &lock_order_, setup_);
  s.edges_to = lock_order_.edge_count();
  if (s.edges_to != s.edges_from) s.growth = std::make_shared<const ExecutionRecord>(record_execution(x, o));
  // The strategy reads the threads' pending operations; then the waiting threads are stopped,
  // and a model that swallows the stop makes the execution a model error.
  more = s_.end(x, o);
  s.outcome = o;
  s.steps = s.max_steps = x.steps();
  s.repeated = s_.repeated();
  x.stop_threads();
  if (x.violation()) {
    s.deadlock = x.violation()->kind == sim::ViolationKind::Deadlock;
    s.violation = std::make_shared<const ExecutionRecord>(
        record_execution(x, x.violation()->kind == sim::ViolationKind::ModelError ? sim::Outcome::Violation : o));
  }
  return s;
}

bool ExecutionSummary::fold(const ExecutionSummary& next) {
  auto plain = [](const ExecutionSummary& s) { return !s.violation && !s.growth; };
  if (!plain(*this) || !plain(next) || outcome != next.outcome || repeated != next.repeated) return false;
  count += next.count;
  steps += next.steps;
  max_steps = std::max(max_steps, next.max_steps);
  return true;
}

bool Search::account(const ExecutionSummary& s, const LockOrderGraph& graph) {
  ExploreResult& r = r_;
  if (s.growth && (&graph == &lock_order_ || lock_order_.merge(graph, s.edges_from, s.edges_to))) last_growth_ = s.growth;
  r.steps += s.steps;
  r.max_steps_seen = std::max<uint64_t>(r.max_steps_seen, s.max_steps);
  if (!s.repeated) {  // a repeat of an explored trace is not counted again
    if (s.outcome != sim::Outcome::Blocked) r.executions += s.count;  // blocked ones are counted apart
    switch (s.outcome) {
      case sim::Outcome::Complete: r.complete += s.count; break;
      case sim::Outcome::StepBound: r.step_bounded += s.count; break;
      case sim::Outcome::Blocked: r.blocked += s.count; break;
      case sim::Outcome::Deadlock: r.deadlocks += s.count; break;
      case sim::Outcome::Violation: break;
    }
  }
  if (s.violation) {
    if (s.deadlock) ++r.deadlocks;
    if (!o_.on_violation || o_.on_violation(*s.violation)) {
      r.counterexample = *s.violation;
      return false;
    }
  }
  if (o_.live) {
    o_.live->executions.store(r.executions, std::memory_order_relaxed);
    o_.live->steps.store(r.steps, std::memory_order_relaxed);
    o_.live->deepest.store(r.max_steps_seen, std::memory_order_relaxed);
  }
  return true;
}

bool Search::proceed(bool more) {
  if (!more) return false;
  if (o_.max_executions && r_.executions >= o_.max_executions) {
    r_.bounded = true;
    return false;
  }
  if (o_.stop && o_.stop->load(std::memory_order_relaxed)) {
    r_.interrupted = true;
    return false;
  }
  return !o_.keep_going || o_.keep_going();
}

void Search::absorb(ExecutionSummary& s, const LockOrderGraph& graph) {
  if (!s.growth) return;
  const size_t before = lock_order_.edge_count();
  if (!lock_order_.merge(graph, s.edges_from, s.edges_to)) {
    s.growth.reset();
    return;
  }
  s.edges_from = before;
  s.edges_to = lock_order_.edge_count();
}

bool Search::step(Worker& w) {
  bool more = false;
  const ExecutionSummary s = run(w, more);
  return account(s, lock_order_) && proceed(more);
}

ExploreResult Search::finish() {
  r_.exhausted = s_.exhausted();
  r_.stats = s_.stats();
  r_.bounded = r_.bounded || s_.bounded() || r_.step_bounded > 0;
  if (!r_.counterexample)
    if (auto inv = lock_order_.find_inversion()) {
      ExecutionRecord rec = *last_growth_;  // an inversion needs edges, so some execution added one
      rec.outcome = sim::Outcome::Violation;
      rec.violation = inv;
      r_.counterexample = std::move(rec);
    }
  return r_;
}

ExploreResult explore(Strategy& s, const Setup& setup, const ExploreOptions& opt) {
  Worker w(opt.stack_size);
  Search search(s, setup, opt);
  while (search.step(w)) {
  }
  return search.finish();
}

ExecutionRecord run_one(Strategy& s, const Setup& setup, const ExploreOptions& opt) {
  sim::FiberPool pool(opt.stack_size);
  HbDetector hb;
  LockOrderGraph lock_order;
  sim::Execution x(pool, opt.bounds);
  sim::Outcome o = run_checked(x, pool, s, hb, &lock_order, setup);
  s.end(x, o);
  x.stop_threads();
  if (x.violation()) o = sim::Outcome::Violation;
  ExecutionRecord rec = record_execution(x, o);
  if (!rec.violation)
    if (auto inv = lock_order.find_inversion()) {
      rec.outcome = sim::Outcome::Violation;
      rec.violation = inv;
    }
  return rec;
}

}  // namespace vcpucheck::checker
