#include "sim/sync.hpp"

namespace vcpucheck::sim {

namespace {
const char* lock_kind_name(LockKind k) {
  switch (k) {
    case LockKind::Sleep: return "mutex";
    case LockKind::Spin: return "spin mutex";
    case LockKind::Sx: return "sx lock";
    case LockKind::Rw: return "rwlock";
  }
  return "lock";
}
}  // namespace

Lock::Lock(Execution& x, const std::string& leaf, LockKind kind)
    : SharedObject(x, leaf, ObjectClass::Lock, nullptr), kind_(kind) {
  x.object(id_).blocker = this;
}

uint64_t Lock::state() const {
  if (xholder_.valid()) return (1ull << 63) | xholder_.v;
  return shared_;
}

bool Lock::state_allows(uint64_t state, LockMode m) {
  if (state >> 63) return false;
  return m == LockMode::Shared || state == 0;
}

bool Lock::enabled(const PendingOp& op, ThreadId) const {
  if (op.kind != OpKind::Acquire) return true;
  return state_allows(state(), op.mode);
}

std::optional<ThreadId> Lock::waits_for(const PendingOp&, ThreadId) const {
  if (xholder_.valid()) return xholder_;
  for (uint32_t i = 0; i < kMaxThreads; ++i)
    if (shared_ & (1u << i)) return ThreadId(i);
  return std::nullopt;
}

void check_may_sleep(Execution& x, const std::string& what, const Loc& loc, const std::string& object) {
  if (!x.in_thread()) return;
  const ThreadInfo& t = x.thread(x.current());
  const char* where = t.spin_held ? "while holding a spin mutex"
                      : t.critical ? "inside a critical section"
                      : t.rcu_nest ? "inside an RCU read-side section"
                                   : nullptr;
  if (where) x.fail(ViolationKind::BlockingInCritical, what + " " + where, loc, object);
}

void Lock::check_blocking_context(const Loc& loc) {
  if (kind_ == LockKind::Spin) return;
  check_may_sleep(x_, std::string("blocking acquire of ") + lock_kind_name(kind_) + " " + name(), loc, name());
}

void Lock::take(LockMode m, const Loc& loc, bool is_try, uint64_t pre) {
  ThreadId me = x_.current();
  ThreadInfo& t = x_.thread(me);
  if (m == LockMode::Exclusive)
    xholder_ = me;
  else
    shared_ |= 1u << me.v;
  t.held.push_back(id_);
  if (kind_ == LockKind::Spin) ++t.spin_held;
  Event e = event(OpKind::Acquire, loc);
  e.mode = m;
  e.pre = pre;
  e.post = state();
  e.flags = is_try ? kFlagTry : 0;
  x_.record(e);
}

// While the model builds its initial state no thread runs: a lock taken there (an init function
// that locks, as kernels' do) must be released there too; nothing is recorded.
bool Lock::setup_op(bool take, LockMode m, const Loc& loc) {
  if (take) {
    if (setup_held_) throw SetupError(sim::where(loc) + ": " + name() + " taken twice while the model builds its initial state");
    setup_held_ = true;
    setup_mode_ = m;
  } else {
    if (!setup_held_ || setup_mode_ != m)
      throw SetupError(sim::where(loc) + ": release of " + name() + ", not held, while the model builds its initial state");
    setup_held_ = false;
  }
  return true;
}

void Lock::check_setup_released(const Loc& loc) {
  if (setup_held_)
    x_.fail(ViolationKind::ModelError, name() + " was taken while the model built its initial state and never released",
            loc, name());
}

void Lock::acquire(LockMode m, const Loc& loc) {
  if (!x_.in_thread()) {
    setup_op(true, m, loc);
    return;
  }
  check_setup_released(loc);
  check_blocking_context(loc);
  if (held_by(x_.current()))
    x_.fail(ViolationKind::LockMisuse, std::string("recursion on non-recursive ") + lock_kind_name(kind_) + " " + name(),
            loc, name());
  x_.announce(PendingOp{OpKind::Acquire, id_, m, true, false, loc});
  check_alive(loc);
  take(m, loc, false, state());
}

bool Lock::try_acquire(LockMode m, const Loc& loc) {
  if (!x_.in_thread()) return !setup_held_ && setup_op(true, m, loc);
  check_setup_released(loc);
  if (held_by(x_.current()))
    x_.fail(ViolationKind::LockMisuse, std::string("recursion on non-recursive ") + lock_kind_name(kind_) + " " + name(),
            loc, name());
  x_.announce(PendingOp{OpKind::Acquire, id_, m, false, false, loc});
  check_alive(loc);
  uint64_t pre = state();
  if (state_allows(pre, m)) {
    take(m, loc, true, pre);
    return true;
  }
  Event e = event(OpKind::TryFail, loc);
  e.mode = m;
  e.pre = e.post = pre;
  e.flags = kFlagTry;
  x_.record(e);
  return false;
}

void Lock::release(LockMode m, const Loc& loc) {
  if (!x_.in_thread()) {
    setup_op(false, m, loc);
    return;
  }
  ThreadId me = x_.current();
  bool ok = m == LockMode::Exclusive ? owned_by(me) : (shared_ & (1u << me.v)) != 0;
  if (!ok)
    x_.fail(ViolationKind::LockMisuse,
            std::string("release of ") + lock_kind_name(kind_) + " " + name() + " not held " +
                (m == LockMode::Exclusive ? "exclusively" : "shared") + " by this thread",
            loc, name());
  const bool buffered = kind_ == LockKind::Spin && m == LockMode::Exclusive && x_.memory() == MemoryModel::TSO &&
                        !x_.object(id_).hardware;
  x_.announce(PendingOp{buffered ? OpKind::Buffer : OpKind::Release, id_, m, false, false, loc});
  check_alive(loc);
  uint64_t pre = state();
  if (buffered) {
    release_buffered_ = true;
    x_.buffer_store(BufferedStore{this, id_, 0, Order::Release, loc});
  } else if (m == LockMode::Exclusive) {
    xholder_ = ThreadId();
  } else {
    shared_ &= ~(1u << me.v);
  }
  ThreadInfo& t = x_.thread(me);
  for (size_t i = t.held.size(); i-- > 0;)
    if (t.held[i] == id_) {
      t.held.erase(t.held.begin() + static_cast<long>(i));
      break;
    }
  if (kind_ == LockKind::Spin) --t.spin_held;
  Event e = event(buffered ? OpKind::Buffer : OpKind::Release, loc);
  e.mode = m;
  e.pre = pre;
  e.post = buffered ? 0 : state();  // a buffered release: the state it will leave in memory
  if (buffered) e.order = Order::Release;
  x_.record(e);
}

uint64_t Lock::flush_oldest(ThreadId) {
  const uint64_t pre = state();
  xholder_ = ThreadId();
  release_buffered_ = false;
  return pre;
}

void critical_enter(Execution& x, const Loc& loc) {
  x.require_thread("critical_enter", loc);
  ++x.thread(x.current()).critical;
}

void critical_exit(Execution& x, const Loc& loc) {
  x.require_thread("critical_exit", loc);
  ThreadInfo& t = x.thread(x.current());
  if (t.critical <= 0) x.fail(ViolationKind::LockMisuse, "critical_exit without critical_enter", loc);
  --t.critical;
}

void join(Execution& x, ThreadId t, const Loc& loc) {
  x.require_thread("join", loc);
  if (!t.valid() || t.v >= x.thread_count()) x.fail(ViolationKind::ModelError, "join of an unknown thread", loc);
  if (t == x.current()) x.fail(ViolationKind::ModelError, "a thread joins itself", loc);
  ObjectId obj = x.thread(t).self_obj;
  x.announce(PendingOp{OpKind::Join, obj, LockMode::Exclusive, true, false, loc});
  Event e;
  e.tid = x.current();
  e.obj = obj;
  e.kind = OpKind::Join;
  e.value = t.v;
  e.loc = loc;
  x.record(e);
}

}  // namespace vcpucheck::sim
