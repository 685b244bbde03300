#include "sim/rcu.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::sim {

Rcu::Rcu(Execution& x, const std::string& leaf) : SharedObject(x, leaf, ObjectClass::Rcu, nullptr) {
  x.object(id_).blocker = this;
}

Rcu::Rcu(Execution& x, const std::string& leaf, Sleepable) : Rcu(x, leaf) { sleepable_ = true; }

bool Rcu::enabled(const PendingOp& op, ThreadId t) const {
  if (op.kind != OpKind::RcuSyncWait) return true;
  const Wait& w = waits_[t.v];
  for (uint32_t r = 0; r < kMaxThreads; ++r)
    if ((w.readers >> r & 1u) && gen_[r] == w.gen[r]) return false;
  return true;
}

std::optional<ThreadId> Rcu::waits_for(const PendingOp& op, ThreadId t) const {
  if (op.kind != OpKind::RcuSyncWait) return std::nullopt;
  const Wait& w = waits_[t.v];
  for (uint32_t r = 0; r < kMaxThreads; ++r)
    if ((w.readers >> r & 1u) && gen_[r] == w.gen[r]) return ThreadId(r);
  return std::nullopt;
}

void Rcu::read_lock(const Loc& loc) {
  x_.require_thread("rcu_read_lock", loc);
  ThreadId me = x_.current();
  ThreadInfo& t = x_.thread(me);
  x_.announce(PendingOp{OpKind::RcuLock, id_, LockMode::Shared, false, false, loc});
  uint64_t pre = state();
  int& nest = sleepable_ ? nest_[me.v] : t.rcu_nest;  // only a classic section forbids sleeping
  if (nest++ == 0) inside_ |= 1u << me.v;
  Event e = event(OpKind::RcuLock, loc);
  e.pre = pre;
  e.post = state();
  x_.record(e);
}

void Rcu::read_unlock(const Loc& loc) {
  x_.require_thread("rcu_read_unlock", loc);
  ThreadId me = x_.current();
  ThreadInfo& t = x_.thread(me);
  int& nest = sleepable_ ? nest_[me.v] : t.rcu_nest;
  if (nest <= 0)
    x_.fail(ViolationKind::LockMisuse,
            std::string(sleepable_ ? "srcu_read_unlock without srcu_read_lock" : "rcu_read_unlock without rcu_read_lock") +
                " on " + name(),
            loc, name());
  x_.announce(PendingOp{OpKind::RcuUnlock, id_, LockMode::Shared, false, false, loc});
  uint64_t pre = state();
  if (--nest == 0) {
    inside_ &= ~(1u << me.v);
    ++gen_[me.v];
  }
  Event e = event(OpKind::RcuUnlock, loc);
  e.pre = pre;
  e.post = state();
  x_.record(e);
}

void Rcu::synchronize(const Loc& loc) {
  if (!x_.in_thread()) return;  // during setup there are no readers: the grace period is over
  ThreadId me = x_.current();
  check_may_sleep(x_, "synchronize_rcu on " + name(), loc, name());
  if (sleepable_ && nest_[me.v] > 0)
    x_.fail(ViolationKind::Deadlock,
            "synchronize_srcu on " + name() + " inside a read-side section of the same domain: it waits for itself",
            loc, name());
  x_.announce(PendingOp{OpKind::RcuSyncStart, id_, LockMode::Exclusive, false, false, loc});
  Wait& w = waits_[me.v];
  w.readers = inside_;
  w.gen = gen_;
  Event s = event(OpKind::RcuSyncStart, loc);
  s.pre = s.post = state();
  s.value = w.readers;
  x_.record(s);

  x_.announce(PendingOp{OpKind::RcuSyncWait, id_, LockMode::Exclusive, true, false, loc});
  Event e = event(OpKind::RcuSyncWait, loc);
  e.pre = e.post = state();
  w.readers = 0;
  x_.record(e);
}

void Rcu::call_rcu_free(BlockId b, const Loc& loc) {
  std::string name = "rcu-callback-" + std::to_string(callbacks_++);
  x_.spawn(name, [this, b, loc] {
    synchronize(loc);
    heap_free_block(x_, b, loc);
  });
}

}  // namespace vcpucheck::sim
