#include "sim/execution.hpp"

#include <cassert>
#include <exception>
#include <new>
#include <cstdio>
#include <stdexcept>

#include "sim/fault.hpp"
#include "sim/memory.hpp"

namespace vcpucheck::sim {

namespace {
thread_local Execution* tls_execution = nullptr;

}  // namespace

bool JoinBlocker::enabled(const PendingOp&, ThreadId) const { return x_->thread(t_).finished; }

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Complete: return "complete";
    case Outcome::Deadlock: return "deadlock";
    case Outcome::Violation: return "violation";
    case Outcome::StepBound: return "step-bound";
    case Outcome::Blocked: return "sleep-set-blocked";
  }
  return "?";
}

Execution& current_execution() {
  if (!tls_execution)
    throw std::logic_error("vcpucheck: a primitive was used outside an execution (no Execution is running)");
  return *tls_execution;
}

CurrentExecution::CurrentExecution(Execution& x) : saved_(tls_execution) { tls_execution = &x; }
CurrentExecution::~CurrentExecution() { tls_execution = saved_; }

void Execution::require_thread(const char* what, const Loc& loc) const {
  if (!current_.valid())
    throw SetupError(sim::where(loc) + ": " + what +
                     " while the model builds its initial state (no thread runs yet): do it in an operation");
}

Execution::Execution(FiberPool& pool, Bounds bounds) : pool_(pool), bounds_(bounds) {}

Execution::~Execution() {
  stop_threads();
  // Unwind what is left while the objects it references still exist (abandoned fibers are not
  // unwound: Fiber::abandon).
  for (auto& t : threads_) t.fiber.reset();
  model.reset();
  arena.clear();
  if (!tables_) return;
  Tables& t = *tables_;
  auto give = [](auto& from, auto& to) {
    from.clear();
    to = std::move(from);
  };
  give(threads_, t.threads);
  give(bodies_, t.bodies);
  give(objects_, t.objects);
  give(events_, t.events);
  give(links_, t.links);
  give(schedule_, t.schedule);
  give(enabled_, t.enabled);
  give(blocks_, t.blocks);
  spin_.clear();
  std::swap(spin_, t.spin);
}

void Execution::reuse(Tables& t) {
  assert(!tables_ && threads_.empty() && objects_.empty() && events_.empty());
  tables_ = &t;
  auto take = [](auto& from, auto& to) {
    to = std::move(from);
    to.clear();
  };
  take(t.threads, threads_);
  take(t.bodies, bodies_);
  take(t.objects, objects_);
  take(t.events, events_);
  take(t.links, links_);
  take(t.schedule, schedule_);
  take(t.enabled, enabled_);
  take(t.blocks, blocks_);
  std::swap(spin_, t.spin);
  spin_.clear();
}

ObjectId Execution::add_object(ObjectInfo info) {
  ObjectId id(static_cast<uint32_t>(objects_.size()));
  objects_.push_back(std::move(info));
  ThreadId creator = current_;
  for (Observer* o : observers_) o->on_object(*this, id, creator);
  return id;
}

ThreadId Execution::spawn(std::string name, std::function<void()> body) {
  if (threads_.size() >= kMaxThreads)
    fail(ViolationKind::ModelError,
         "too many threads (at most " + std::to_string(kMaxThreads) +
             (bounds_.memory == MemoryModel::TSO ? ", counting one store buffer per thread under tso)" : ")"),
         Loc::current());
  ThreadId parent = current_;
  if (parent.valid()) announce(PendingOp{OpKind::Spawn, ObjectId(), LockMode::Exclusive, false, false, Loc::current()});
  if (threads_.empty()) {  // the first spawn, in setup: nothing refers into the tables yet
    threads_.reserve(kMaxThreads);
    bodies_.reserve(kMaxThreads);
  }
  ThreadId id(static_cast<uint32_t>(threads_.size()));
  threads_.emplace_back();
  threads_.back().name = std::move(name);
  threads_.back().parent = parent;
  bodies_.push_back(std::move(body));
  threads_.back().join = JoinBlocker(this, id);
  ObjectInfo oi{threads_.back().name, ObjectClass::Thread, BlockId(), &threads_.back().join, true, 0};
  threads_[id.v].self_obj = add_object(std::move(oi));
  for (Observer* o : observers_) o->on_spawn(*this, parent, id);
  // TSO: the thread's store buffer is a thread of its own, made with it so that thread ids do
  // not depend on which thread stored first.
  if (bounds_.memory == MemoryModel::TSO) {
    if (threads_.size() >= kMaxThreads)
      fail(ViolationKind::ModelError,
           "too many threads (at most " + std::to_string(kMaxThreads) + ", counting one store buffer per thread under tso)",
           Loc::current());
    const ThreadId sb(static_cast<uint32_t>(threads_.size()));
    threads_.emplace_back();
    ThreadInfo& b = threads_.back();
    b.name = threads_[id.v].name + ".sb";
    b.parent = id;
    b.buffer_of = id;
    threads_[id.v].store_buffer = sb;
    bodies_.emplace_back();
    for (Observer* o : observers_) o->on_spawn(*this, id, sb);
  }
  if (parent.valid()) {
    Event e;
    e.tid = parent;
    e.obj = threads_[id.v].self_obj;
    e.kind = OpKind::Spawn;
    e.value = id.v;
    e.loc = threads_[parent.v].pending.loc;
    record(e);
  }
  return id;
}

void Execution::start_thread(ThreadId t) {
  ThreadInfo& ti = threads_[t.v];
  if (ti.buffer_of.valid()) return;  // a store-buffer thread has no body: see flush_one
  ti.fiber = std::make_unique<Fiber>(pool_, [this, t] {
    bodies_[t.v]();
    ThreadInfo& me = threads_[t.v];
    if (me.critical > 0 || me.spin_held > 0)
      fail(ViolationKind::LockMisuse, "thread " + me.name + " ended inside a critical section", Loc::current());
    if (!me.held.empty())
      fail(ViolationKind::LockMisuse,
           "thread " + me.name + " ended holding " + objects_[me.held.back().v].name, Loc::current());
    me.finished = true;
    me.has_pending = false;
  });
  resume(t);
}

void Execution::resume(ThreadId t) {
  ThreadInfo& ti = threads_[t.v];
  if (ti.abandoned) return;
  if (ti.buffer_of.valid()) {
    flush_one(t);
    return;
  }
  current_ = t;
  ti.has_pending = false;
  bool alive = ti.fiber->resume();
  current_ = ThreadId();
  if (const Fault* f = ti.fiber->fault()) {  // the model faulted: its fiber is gone (fault.hpp)
    ti.finished = true;
    ti.abandoned = true;
    report(Violation{ViolationKind::ModelCrash, "thread " + ti.name + " " + describe_fault(*f) + " " + last_operation(t),
                     {}, {}, (int64_t)steps()});
    return;
  }
  if (!alive) {
    ti.finished = true;
    ti.has_pending = false;
    if (auto err = ti.fiber->error()) {
      try {
        std::rethrow_exception(err);
      } catch (const Abort&) {
        // the violation is already recorded
      } catch (const std::bad_alloc&) {
        report(Violation{ViolationKind::ModelError, "thread " + ti.name + " ran out of memory (std::bad_alloc)", {}, {},
                         (int64_t)steps()});
      } catch (const std::exception& ex) {
        report(Violation{ViolationKind::ModelError,
                         "thread " + ti.name + " threw an exception: " + ex.what(), {}, {}, (int64_t)steps()});
      } catch (...) {
        report(Violation{ViolationKind::ModelError, "thread " + ti.name + " threw a non-standard exception", {}, {},
                         (int64_t)steps()});
      }
    }
  }
}

std::string Execution::last_operation(ThreadId t) const {
  for (size_t i = events_.size(); i-- > 0;)
    if (events_[i].tid == t) {
      auto [loc, fn] = where(events_[i]);
      return "after its visible operation at step " + std::to_string(i) + ", " + loc + (fn.empty() ? "" : " (" + fn + ")");
    }
  return "before its first visible operation";
}

void Execution::buffer_store(const BufferedStore& s) {
  const ThreadId me = current_;
  buffers_.of(me).push_back(s);
  post_flush(threads_[me.v].store_buffer);
}

void Execution::post_flush(ThreadId sb) {
  ThreadInfo& b = threads_[sb.v];
  const auto& fifo = buffers_.of(b.buffer_of);
  b.has_pending = !fifo.empty();
  if (b.has_pending) b.pending = PendingOp{OpKind::Flush, fifo.front().obj, LockMode::Exclusive, false, false, fifo.front().loc};
}

bool Execution::enabled(ThreadId t) const {
  const ThreadInfo& ti = threads_[t.v];
  if (!ti.has_pending) return false;
  const PendingOp& op = ti.pending;
  if (op.drain && !buffers_.empty(t)) return false;  // TSO: waits for its store buffer to drain
  if (op.await) return spin_.released(t);
  if (!op.blocking) return true;
  const Blocker* b = objects_[op.obj.v].blocker;
  return b == nullptr || b->enabled(op, t);
}

void Execution::collect_enabled() {
  enabled_.clear();
  quiescent_ = false;
  for (uint32_t i = 0; i < threads_.size(); ++i)
    if (enabled(ThreadId(i))) enabled_.push_back(ThreadId(i));
  if (!enabled_.empty()) return;
  // Nothing else can run: a timed sleep may time out now (spin.hpp, rule b).
  quiescent_ = true;
  for (uint32_t i = 0; i < threads_.size(); ++i)
    if (enabled(ThreadId(i))) enabled_.push_back(ThreadId(i));
}

Outcome Execution::run(Scheduler& s) {
  assert(!running_);
  arm_fault_handlers();
  running_ = true;
  Execution* saved = tls_execution;
  tls_execution = this;
  Outcome outcome = Outcome::Complete;
  size_t started = 0;
  for (;;) {
    while (started < threads_.size() && !violation_) start_thread(ThreadId(static_cast<uint32_t>(started++)));
    if (violation_) {
      outcome = Outcome::Violation;
      break;
    }
    collect_enabled();
    if (enabled_.empty()) {
      // Finished, or idle (a halted CPU waiting for an interrupt), is a normal end.
      bool all_done = true;
      for (auto& t : threads_)
        all_done = all_done && (t.finished || t.buffer_of.valid() || (t.has_pending && t.pending.idle));
      if (auto spin = spinning_forever()) {
        report(*spin);
        outcome = Outcome::Violation;
      } else {
        outcome = all_done ? Outcome::Complete : Outcome::Deadlock;
      }
      break;
    }
    if (events_.size() >= bounds_.max_steps) {
      outcome = Outcome::StepBound;
      break;
    }
    ThreadId t = s.pick(*this, enabled_);
    if (!t.valid()) {
      outcome = Outcome::Blocked;
      break;
    }
    assert(enabled(t));
    schedule_.push_back(t.v);
    resume(t);
    if (violation_) {
      outcome = Outcome::Violation;
      break;
    }
  }
  if (outcome == Outcome::Complete && (!end_hooks_.empty() || !eventually_.empty())) {
    // The model's end-of-execution checks run in a fiber too: a crash there is reported.
    Fiber checks(pool_, [this] {
      for (const Eventually& e : eventually_)
        if (!violation_ && !e.holds())
          report(Violation{ViolationKind::Liveness,
                           "eventually \"" + e.what + "\" never held: every thread is done or idle",
                           e.what,
                           {Involved{"(end of execution)", "eventually " + e.what, sim::where(e.loc), -1}},
                           static_cast<int64_t>(steps())});
      for (auto& h : end_hooks_) h();
    });
    checks.resume();
    if (const Fault* f = checks.fault())
      report(Violation{ViolationKind::ModelCrash, "the model crashed in its end-of-execution checks: " + describe_fault(*f),
                       {}, {}, (int64_t)steps()});
    else if (auto e = checks.error())
      std::rethrow_exception(e);
  }
  if (violation_) outcome = Outcome::Violation;
  if (warning_ && (outcome == Outcome::Complete || outcome == Outcome::StepBound || outcome == Outcome::Blocked)) {
    report(*warning_);
    outcome = Outcome::Violation;
  }
  for (Observer* o : observers_) o->on_end(*this);
  if (violation_) outcome = Outcome::Violation;
  tls_execution = saved;
  running_ = false;
  return outcome;
}

void Execution::announce(const PendingOp& op) {
  if (!current_.valid())
    throw SetupError(sim::where(op.loc) + ": a visible operation (" + op_name(op.kind) +
                     ") while the model builds its initial state (no thread runs yet): do it in an operation");
  ThreadInfo& ti = threads_[current_.v];
  if (stopping_ || violation_) {
    // Only a model that caught vcpucheck's stop and went on gets here -- or a destructor that
    // performs an operation while the stop unwinds it, which is left to finish.
    if (std::uncaught_exceptions() > 0) return;
    swallowed(ti, op.loc);
  }
  ti.pending = op;
  // TSO: everything but a plain memory access and a light fence drains the buffer first.
  if (bounds_.memory == MemoryModel::TSO && !ti.pending.drain && !(op.obj.valid() && objects_[op.obj.v].hardware))
    ti.pending.drain = op.kind != OpKind::Read && op.kind != OpKind::Write && op.kind != OpKind::Buffer &&
                       op.kind != OpKind::Fence && op.kind != OpKind::Local;
  ti.pending.await = SpinWatch::is_read(op.kind) && spin_.begin_await(current_, op);
  if (op.kind == OpKind::SleepWait && op.timeout) spin_.begin_timed(current_);
  ti.has_pending = true;
  ti.fiber->yield();
  if (violation_ || stopping_) throw Abort{};  // unwound by a stop requested while suspended
  if (resume_) resume_();
}

// Threads still suspended when the execution ends are resumed with `stopping_` set: each unwinds
// from its pending operation by an ordinary exception. (Destroying a suspended fiber would
// unwind it too, but not through a guest CPU's emulator frames, which have no unwind tables.)
void Execution::stop_threads() {
  if (running_) return;
  stopping_ = true;
  Execution* saved = tls_execution;
  tls_execution = this;
  for (uint32_t i = 0; i < threads_.size(); ++i) {
    ThreadInfo& t = threads_[i];
    if (t.fiber && !t.finished && !t.abandoned && !t.fiber->finished()) resume(ThreadId(i));
  }
  tls_execution = saved;
}

// The model caught the Abort that stops this thread (`catch (...) {}`) and went on. The first time
// it is thrown again; a model that swallows it twice is never resumed: its fiber is abandoned (not
// unwound, which it would swallow too), and the execution's verdict becomes a model error.
void Execution::swallowed(ThreadInfo& ti, const Loc& loc) {
  if (++ti.swallowed == 1) throw Abort{};
  std::string before = violation_ ? " (after: " + std::string(violation_name(violation_->kind)) + ": " +
                                        violation_->message + ")"
                                  : "";
  Violation v;
  v.kind = ViolationKind::ModelError;
  v.message = "thread " + ti.name + " caught vcpucheck's stop and went on (a catch (...) that does not rethrow)" + before;
  v.involved.push_back(Involved{ti.name, "", sim::where(loc), static_cast<int64_t>(events_.size())});
  v.step = static_cast<int64_t>(events_.size());
  violation_ = std::move(v);
  ti.abandoned = true;
  ti.fiber->abandon();
  for (;;) ti.fiber->yield();  // never resumed again
}

// Nothing can run, and some thread waits in a spin loop: what it reads can never change.
std::optional<Violation> Execution::spinning_forever() const {
  std::optional<Violation> v;
  for (uint32_t i = 0; i < threads_.size(); ++i) {
    const ThreadInfo& t = threads_[i];
    if (t.finished || !t.has_pending) continue;
    const bool timed = t.pending.kind == OpKind::SleepWait && t.pending.timeout && !t.pending.idle;
    if (!t.pending.await && !timed) continue;
    const std::string obj = t.pending.obj.valid() ? objects_[t.pending.obj.v].name : "?";
    if (!v) {
      v.emplace();
      v->kind = ViolationKind::Liveness;
      v->object = obj;
      v->message = timed ? "thread " + t.name + " sleeps forever on " + obj +
                               ": its timeout fired and nothing it looks at can change any more"
                         : "thread " + t.name + " spins forever reading " + obj +
                               ": no other thread can run to change what its loop reads";
      v->step = static_cast<int64_t>(events_.size());
    }
    std::string what = (timed ? "sleeps on " : "spins on ") + obj;
    v->involved.push_back(Involved{t.name, what, sim::where(t.pending.loc), -1});
  }
  return v;
}

std::pair<std::string, std::string> Execution::where(const Event& e) const {
  if (e.gip && guest_where) return guest_where(e);
  return {loc_string(e.loc), function_name(e.loc)};
}

void Execution::record(Event e) {
  if (e.obj.valid()) e.cls = objects_[e.obj.v].cls;
  if (!current_.valid()) {
    for (Observer* o : observers_) o->on_setup(*this, e);
    return;
  }
  if ((stopping_ || violation_) && std::uncaught_exceptions() > 0) return;  // a destructor while unwinding
  ThreadInfo& ti = threads_[e.tid.v];
  if (ti.buffer_of.valid()) e.buffer_of = static_cast<uint8_t>(ti.buffer_of.v);
  if (ti.pending.await) {
    e.flags |= kFlagAwait;
    e.after = static_cast<uint32_t>(spin_.released_at(e.tid));
  }
  if (e.kind == OpKind::SleepWait && (e.flags & kFlagTry)) {
    // Timing out needs a change by another thread (its step in `after`) or quiescence (none).
    e.flags |= kFlagAwait;
    if (e.value == 0 && spin_.timeout_released(e.tid)) e.after = static_cast<uint32_t>(spin_.timeout_released_at(e.tid));
  }
  if (ti.pending.drain && bounds_.memory == MemoryModel::TSO) e.flags |= kFlagDrain;
  if (spin_.on_event(e, events_.size(), ti.pending.await)) e.flags |= kFlagWindow;
  ti.pending.await = false;
  events_.push_back(e);
  ++ti.steps;
  for (Observer* o : observers_) o->on_event(*this, events_.back());
  if (violation_ && current_.valid()) throw Abort{};
}

void Execution::report(Violation v) {
  if (violation_) return;  // the first violation is the one reported
  if (v.step < 0) v.step = static_cast<int64_t>(events_.size());
  violation_ = std::move(v);
  for (Observer* o : observers_) o->on_violation(*this, *violation_);
}

void Execution::fail(Violation v) {
  report(std::move(v));
  if (current_.valid()) throw Abort{};
  throw std::logic_error("vcpucheck: fail() outside a thread: " + violation_->message);
}

void Execution::fail(ViolationKind k, std::string message, const Loc& loc, std::string object) {
  Violation v;
  v.kind = k;
  v.message = std::move(message);
  v.object = std::move(object);
  if (current_.valid()) {
    v.involved.push_back(Involved{threads_[current_.v].name, "", sim::where(loc),
                                  static_cast<int64_t>(events_.size())});
  }
  fail(std::move(v));
}

void Execution::eventually(std::string what, std::function<bool()> holds, const Loc& loc) {
  eventually_.push_back(Eventually{std::move(what), std::move(holds), loc});
}

void Execution::warn(std::string message, const Loc& loc) {
  if (warning_ || violation_) return;
  Violation v{ViolationKind::Warning, std::move(message), {}, {}, static_cast<int64_t>(events_.size())};
  // While the model builds its initial state: no thread, the line alone.
  v.involved.push_back(Involved{current_.valid() ? threads_[current_.v].name : "setup", "", sim::where(loc),
                                current_.valid() ? v.step : -1});
  warning_ = std::move(v);
  for (Observer* o : observers_) o->on_warning(*this, *warning_);
}

std::string Execution::describe_op(const Event& e) const {
  std::string s = op_name(e.kind);
  if (e.obj.valid()) s += " " + objects_[e.obj.v].name;
  const bool is_signed = e.obj.valid() && objects_[e.obj.v].is_signed;
  std::string value = is_signed ? std::to_string(static_cast<int64_t>(e.value)) : std::to_string(e.value);
  if (e.obj.valid() && objects_[e.obj.v].hex) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(e.value));
    value = buf;
  }
  switch (e.kind) {
    case OpKind::Read:
    case OpKind::CasFail:
      s += " -> " + value;
      break;
    case OpKind::Write:
    case OpKind::Rmw:
    case OpKind::Buffer:
    case OpKind::Flush:
      s += " = " + value;
      break;
    default:
      break;
  }
  if (e.kind == OpKind::Read && (e.flags & kFlagForwarded)) s += " (from its store buffer)";
  if (e.order != Order::Plain && e.order != Order::Relaxed &&
      (e.kind == OpKind::Read || e.kind == OpKind::Write || e.kind == OpKind::Rmw || e.kind == OpKind::Fence ||
       e.kind == OpKind::Buffer))
    s += std::string(" [") + order_name(e.order) + "]";
  return s;
}

Involved Execution::describe(const Event& e, int64_t step) const {
  auto [loc, fn] = where(e);
  return Involved{threads_[e.tid.v].name, describe_op(e), loc + " (" + fn + ")", step};
}

}  // namespace vcpucheck::sim

namespace vcpucheck::sim {

void Execution::flush_one(ThreadId sb) {
  ThreadInfo& b = threads_[sb.v];
  auto& fifo = buffers_.of(b.buffer_of);
  const BufferedStore s = fifo.front();
  fifo.pop_front();
  const uint64_t pre = s.cell->flush_oldest(b.buffer_of);
  Event e;
  e.tid = sb;
  e.obj = s.obj;
  e.block = objects_[s.obj.v].block;
  e.kind = OpKind::Flush;
  e.order = s.order;
  e.value = s.value;
  e.pre = pre;
  e.post = s.value;
  e.loc = s.loc;
  e.gip = s.gip;
  b.has_pending = false;
  current_ = sb;
  try {
    record(e);
  } catch (const Abort&) {
    // a detector stopped the execution at this flush: the violation is recorded
  }
  current_ = ThreadId();
  post_flush(sb);
}

const char* memory_model_name(MemoryModel m) { return m == MemoryModel::TSO ? "tso" : "sc"; }

bool memory_model_from_name(const std::string& s, MemoryModel& out) {
  if (s == "sc") out = MemoryModel::SC;
  else if (s == "tso") out = MemoryModel::TSO;
  else return false;
  return true;
}

}  // namespace vcpucheck::sim
