// One execution of a model: its threads (fibers), its objects and the events they produce.
//
// Exactly one thread runs at a time. Before every visible operation a thread calls announce(),
// which posts its PendingOp and yields to run(); run() asks the Scheduler which enabled thread goes
// next and resumes it; the thread then performs the operation atomically and calls record().
// Nothing here decides *which* thread runs (that is the Scheduler's policy) and nothing here knows
// about happens-before (Observers do that): this is mechanism only.
//
// Determinism: threads and objects get ids in creation order, enabled sets are scanned in id
// order, and no host address, clock or unordered container decides anything.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/event.hpp"
#include "sim/fiber.hpp"
#include "sim/spin.hpp"
#include "sim/store_buffer.hpp"
#include "sim/types.hpp"
#include "sim/violation.hpp"

namespace vcpucheck::sim {

class Execution;

// Implemented by every primitive that can block a thread (locks, joins, channels, RCU).
class Blocker {
 public:
  virtual ~Blocker() = default;
  virtual bool enabled(const PendingOp& op, ThreadId t) const = 0;
  // For deadlock reports: which thread (if any) this pending operation waits for.
  virtual std::optional<ThreadId> waits_for(const PendingOp&, ThreadId) const { return std::nullopt; }
};

struct ObjectInfo {
  std::string name;
  ObjectClass cls = ObjectClass::Memory;
  BlockId block;
  Blocker* blocker = nullptr;
  bool init_on_create = true;  // false: the first write initializes it (see Field)
  bool preexisting = false;    // part of the initial state, whichever thread first names it (guest RAM)
  bool init_at_alloc = false;  // created later, yet initialized by its heap block's allocation (C memory)
  bool is_ptr = false;         // holds a Ptr<T>: counted as a reference by the leak check
  bool is_signed = false;      // values print as signed integers
  uint8_t bytes = 8;           // memory: the value's width (a fetch_add wraps at it)
  bool hex = false;            // values print in hex (registers)
  bool hardware = false;       // a machine's own state (an APIC's delivery queue, a CPU's run state),
                               // not memory: under TSO never buffered and never draining
  uint64_t initial = 0;
  uint64_t current = 0;        // pointer cells: the block they point to, encoded (leak check)
};

// Policy seam: picks the next thread among the enabled ones.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // `enabled` is sorted by id and never empty.
  virtual ThreadId pick(const Execution& x, const std::vector<ThreadId>& enabled) = 0;
};

// Analysis seam: sees every object, thread and event as it happens.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_object(const Execution&, ObjectId, ThreadId /*creator, invalid in setup*/) {}
  virtual void on_spawn(const Execution&, ThreadId /*parent, invalid in setup*/, ThreadId /*child*/) {}
  virtual void on_event(Execution&, const Event&) {}
  // An access made while the model builds its initial state (no thread, not a step).
  virtual void on_setup(const Execution&, const Event&) {}
  virtual void on_end(Execution&) {}
  // The execution's (first) violation, as it is reported -- inside the violating thread when a
  // thread reports it, so its call stack is the violation's.
  virtual void on_violation(const Execution&, const Violation&) {}
  // The execution's first warning (Execution::warn), inside the warning thread, as it is raised.
  virtual void on_warning(const Execution&, const Violation&) {}
};

enum class Outcome : uint8_t { Complete, Deadlock, Violation, StepBound, Blocked };

// An edge between two steps of different threads that a reader of a trace wants drawn: a
// happens-before edge the detector used (a lock released then taken, a release store read by an
// acquire load...) or an IPI from the step that sent it to the step its target CPU took it.
// Links only describe an execution; nothing in a search reads them.
struct Link {
  enum class Kind : uint8_t { Lock, ReadsFrom, Fence, Wakeup, Rcu, Spawn, Join, Ipi };
  uint32_t from = 0, to = 0;
  Kind kind = Kind::Lock;
  std::string text;  // an IPI: "INIT", "STARTUP vector 0x08"; else ""
};
const char* link_kind_name(Link::Kind k);
const char* outcome_name(Outcome o);

struct Bounds {
  uint64_t max_steps = 100000;
  MemoryModel memory = MemoryModel::SC;  // store_buffer.hpp
};

// Thrown inside a fiber to stop the execution (after a violation or a bound, or when the
// execution ends with threads still waiting). Models must not swallow it: `catch (...)` in a
// model must rethrow, and destructors must not perform visible operations.
struct Abort {};

// A primitive used while the model builds its initial state, where it cannot run (a sleep, an
// RCU read section, a free): the scenario's model cannot be set up -- bad input, not a crash.
class SetupError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Heavy per-worker resources that outlive executions (emulator engines): built once by the first
// execution that asks, reused by the rest. Keys are names; iteration never decides anything.
class Resources {
 public:
  template <class T, class Make>
  T& get(const std::string& key, Make make) {
    auto it = items_.find(key);
    if (it == items_.end()) it = items_.emplace(key, std::shared_ptr<void>(make())).first;
    return *static_cast<T*>(it->second.get());
  }

 private:
  std::map<std::string, std::shared_ptr<void>> items_;
};

// What a join of a thread waits on: the thread's end. Each thread's own (ThreadInfo::join).
class JoinBlocker final : public Blocker {
 public:
  JoinBlocker() = default;
  JoinBlocker(const Execution* x, ThreadId t) : x_(x), t_(t) {}
  bool enabled(const PendingOp&, ThreadId) const override;
  std::optional<ThreadId> waits_for(const PendingOp&, ThreadId) const override { return t_; }

 private:
  const Execution* x_ = nullptr;
  ThreadId t_;
};

struct ThreadInfo {
  std::string name;
  JoinBlocker join;  // the blocker of self_obj
  ThreadId parent;
  std::unique_ptr<Fiber> fiber;
  PendingOp pending;
  bool has_pending = false;
  bool finished = false;
  ObjectId self_obj;   // the thread object joins wait on
  int critical = 0;    // critical_enter nesting
  int spin_held = 0;   // spin mutexes held (they imply a critical section)
  int rcu_nest = 0;
  int swallowed = 0;   // times the model went on after vcpucheck's stop was thrown at it
  bool abandoned = false;  // the model swallowed the stop: its fiber is never resumed or unwound
  std::vector<ObjectId> held;  // locks held, in acquisition order
  uint64_t steps = 0;
  ThreadId store_buffer;  // TSO: this thread's store-buffer thread, once it buffered a store
  ThreadId buffer_of;     // TSO: on a store-buffer thread, the thread whose buffer it flushes
};

class Execution {
 public:
  Execution(FiberPool& pool, Bounds bounds);
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // --- setup and composition -------------------------------------------------------------
  void add_observer(Observer* o) { observers_.push_back(o); }
  ThreadId spawn(std::string name, std::function<void()> body);  // in setup or from a thread
  Outcome run(Scheduler& s);
  // After run(): unwinds the threads still waiting (each from its pending operation). A thread
  // that swallows the stop makes the execution's violation a model error. Idempotent; the
  // destructor calls it too.
  void stop_threads();
  void on_end(std::function<void()> f) { end_hooks_.push_back(std::move(f)); }
  // A liveness property: `holds` must be true once every thread is done or idle (an execution
  // that ends normally); otherwise the execution is a liveness violation naming `what`
  // ("AP 1 started"). Checked before the on_end hooks, in the order declared. An execution cut
  // by the step bound or ended by a deadlock or another violation is not judged by it.
  void eventually(std::string what, std::function<bool()> holds, const Loc& loc = Loc::current());

  // --- objects ---------------------------------------------------------------------------
  ObjectId add_object(ObjectInfo info);
  const ObjectInfo& object(ObjectId o) const { return objects_[o.v]; }
  ObjectInfo& object(ObjectId o) { return objects_[o.v]; }
  size_t object_count() const { return objects_.size(); }
  // Heap blocks: allocated by Heap, their fields check liveness on every access.
  struct BlockInfo {
    std::string name;
    ObjectId header;
    bool freed = false;
    std::string alloc_at;  // "file:line (function) by thread"
    std::string freed_at;  // "file:line (function) by thread"
    int64_t freed_step = -1;
    bool must_free = true;  // reported as a leak if unreferenced and not freed at the end
  };
  BlockId new_block(BlockInfo b) {
    blocks_.push_back(std::move(b));
    return BlockId(static_cast<uint32_t>(blocks_.size() - 1));
  }
  BlockInfo& block(BlockId b) { return blocks_[b.v]; }
  const BlockInfo& block(BlockId b) const { return blocks_[b.v]; }
  size_t block_count() const { return blocks_.size(); }

  // Naming scopes (see Scope in object.hpp).
  std::vector<std::string> name_scopes;
  std::vector<BlockId> block_scopes;

  // --- the visible-operation handshake (called by primitives, inside a thread) ------------
  // Posts `op`, yields, and returns once the scheduler picked this thread.
  void announce(const PendingOp& op);
  // Records the event of the operation just performed and tells every observer. Outside a thread
  // (initial state) it only tells observers' on_setup.
  void record(Event e);
  // Adds a link (above) to this execution's.
  void link(Link l) { links_.push_back(std::move(l)); }
  // Stops the execution with a violation. Never returns.
  [[noreturn]] void fail(Violation v);
  // Stops the execution with a violation attributed to the current thread at `loc`.
  [[noreturn]] void fail(ViolationKind k, std::string message, const Loc& loc, std::string object = {});

  // WARN_ON: the current thread raises a warning at `loc` and goes on. The first warning of an
  // execution becomes its violation (ViolationKind::Warning) when it ends without a worse one
  // (done, cut by the step bound or blocked; a deadlock or any violation found later wins).
  void warn(std::string message, const Loc& loc);
  const std::optional<Violation>& warning() const { return warning_; }

  // x86-TSO (store_buffer.hpp): the current thread's store enters its buffer; the cell applies it
  // when it is flushed (the cell forwards the thread's own buffered value to its loads).
  void buffer_store(const BufferedStore& s);
  MemoryModel memory() const { return bounds_.memory; }
  // A runtime whose shared memory the code reads and writes in place (C code: sim/c) keeps the
  // running thread's view of it there: `f` runs whenever a thread resumes from announce().
  void on_resume(std::function<void()> f) { resume_ = std::move(f); }

  // Primitives that need a thread call this first: outside one (while the model builds its
  // initial state) it throws SetupError naming the operation and the model's location.
  void require_thread(const char* what, const Loc& loc) const;

  // --- queries -----------------------------------------------------------------------------
  bool in_thread() const { return current_.valid(); }
  ThreadId current() const { return current_; }
  ThreadInfo& thread(ThreadId t) { return threads_[t.v]; }
  const ThreadInfo& thread(ThreadId t) const { return threads_[t.v]; }
  size_t thread_count() const { return threads_.size(); }
  const std::vector<Event>& events() const { return events_; }
  // What one execution leaves to the next on the same worker: its tables, emptied, with their
  // capacity kept, so a search does not grow fresh vectors every execution. Handed to an
  // execution before its world is built (reuse) and taken back when it is destroyed.
  struct Tables {
    std::vector<ThreadInfo> threads;
    std::vector<std::function<void()>> bodies;
    std::vector<ObjectInfo> objects;
    std::vector<Event> events;
    std::vector<Link> links;
    std::vector<uint32_t> schedule;
    std::vector<ThreadId> enabled;
    std::vector<BlockInfo> blocks;
    SpinWatch spin;
  };
  void reuse(Tables& t);
  const std::vector<Link>& links() const { return links_; }
  // Every scheduling decision, in order. One longer than events() when the last picked operation
  // stopped the execution before it completed (a double free, a use after free).
  const std::vector<uint32_t>& schedule() const { return schedule_; }
  uint64_t steps() const { return events_.size(); }
  const Bounds& bounds() const { return bounds_; }
  bool enabled(ThreadId t) const;
  // A thread whose pending spin-loop read waits (PendingOp::await): the step whose write released
  // it, or UINT64_MAX while it still waits.
  uint64_t released_at(ThreadId t) const { return spin_.released_at(t); }
  // Whether a timed sleep of t may time out now (the fairness rule in spin.hpp).
  bool timeout_allowed(ThreadId t) const {
    return spin_.timeout_released(t) || (quiescent_ && !spin_.quiet_used(t));
  }
  // Whether t's timeout is allowed by a change another thread made (not by quiescence).
  bool timeout_released(ThreadId t) const { return spin_.timeout_released(t); }
  const std::optional<Violation>& violation() const { return violation_; }
  // Reports a violation found outside any thread (end-of-execution checks, detectors).
  void report(Violation v);
  void report(ViolationKind k, std::string message, std::string object) {
    report(Violation{k, std::move(message), std::move(object), {}, -1});
  }

  // An Involved entry for the event at `step`, or for a pending operation.
  Involved describe(const Event& e, int64_t step) const;
  std::string describe_op(const Event& e) const;

  // Per-execution singletons of the layers above the sim (sim/linux.hpp's kernel: its RCU domain
  // and the process's fd table), keyed by a tag's address: looked up, never iterated.
  std::map<const void*, void*> singletons;
  // The execution's model instance, if the scenario layer attached one (type-erased).
  std::shared_ptr<void> model;
  // Host objects of heap blocks: kept until the execution ends, so freed blocks stay readable.
  std::vector<std::shared_ptr<void>> arena;
  // The worker's long-lived resources (the explorer's; this execution's own by default).
  Resources* resources = &own_resources_;
  // Where a guest event happened: {"sim/guest/ap_trampoline.S:21", "0x8066 f0 0f c1 1d 04 90 00 00  lock xadd ..."}.
  std::function<std::pair<std::string, std::string>(const Event&)> guest_where;
  // {"file:line", "function"} of any event.
  std::pair<std::string, std::string> where(const Event& e) const;

 private:
  void start_thread(ThreadId t);
  void resume(ThreadId t);
  void collect_enabled();

  FiberPool& pool_;
  Bounds bounds_;
  // Reserved to kMaxThreads before the first spawn: a thread spawned by a running thread must not
  // move the running one (a ThreadInfo& is held across a yield) or its body.
  std::vector<ThreadInfo> threads_;
  std::vector<ObjectInfo> objects_;
  std::vector<Event> events_;
  std::vector<Link> links_;
  std::vector<uint32_t> schedule_;
  std::vector<Observer*> observers_;
  std::vector<std::function<void()>> bodies_;  // reserved like threads_
  std::vector<std::function<void()>> end_hooks_;
  std::function<void()> resume_;
  struct Eventually {
    std::string what;
    std::function<bool()> holds;
    Loc loc;
  };
  std::vector<Eventually> eventually_;
  std::vector<ThreadId> enabled_;
  std::optional<Violation> violation_;
  std::optional<Violation> warning_;
  ThreadId current_;
  std::vector<BlockInfo> blocks_;
  bool running_ = false;
  bool stopping_ = false;  // the execution is over: waiting threads unwind
  Resources own_resources_;
  SpinWatch spin_;
  Tables* tables_ = nullptr;  // where the tables go back to (reuse)
  bool quiescent_ = false;  // nothing but timeouts could run at the last scheduling point
  [[noreturn]] void swallowed(ThreadInfo& ti, const Loc& loc);
  std::string last_operation(ThreadId t) const;
  StoreBuffers buffers_;
  void flush_one(ThreadId sb);  // runs the store-buffer thread sb: its oldest store reaches memory
  void post_flush(ThreadId sb);  // the pending op of sb: a flush of its oldest store, or none  // "after its visible operation at step 4, f.cpp:12 (g)"
  std::optional<Violation> spinning_forever() const;
};

// The one scoped accessor: the execution whose thread is running on this host thread -- or
// whose model is building its initial state (CurrentExecution). Fails with a message naming the
// mistake when called outside an execution.
Execution& current_execution();

// While alive, current_execution() is `x` on this host thread: the explorer holds one while the
// model builds its world, so the kernel-vocabulary calls (sim/linux.hpp) work in setup too.
class CurrentExecution {
 public:
  explicit CurrentExecution(Execution& x);
  ~CurrentExecution();
  CurrentExecution(const CurrentExecution&) = delete;
  CurrentExecution& operator=(const CurrentExecution&) = delete;

 private:
  Execution* saved_;
};

}  // namespace vcpucheck::sim
