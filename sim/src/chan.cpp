#include "sim/chan.hpp"

namespace vcpucheck::sim {

Chan::Chan(Execution& x, const std::string& leaf) : SharedObject(x, leaf, ObjectClass::Channel, nullptr) {
  x.object(id_).blocker = this;
}

bool Chan::enabled(const PendingOp& op, ThreadId t) const {
  if (op.kind != OpKind::SleepWait) return true;
  if ((woken_ >> t.v) & 1u) return true;
  return op.timeout && x_.timeout_allowed(t);  // a timeout fires only when it can change something
}

bool Chan::sleep(Lock& interlock, SleepOptions o, const Loc& loc) {
  const bool timeout = o.timeout, idle = o.idle;
  x_.require_thread("sleep", loc);
  ThreadId me = x_.current();
  if (!interlock.held_by(me)) x_.fail(ViolationKind::LockMisuse, "sleep on " + name() + " without holding its interlock " + interlock.name(), loc, name());
  uint32_t bit = 1u << me.v;
  x_.announce(PendingOp{OpKind::SleepPrepare, id_, LockMode::Exclusive, false, false, loc});
  uint64_t pre = state();
  waiters_ |= bit;
  woken_ &= ~bit;
  Event e = event(OpKind::SleepPrepare, loc);
  e.pre = pre;
  e.post = state();
  x_.record(e);

  LockMode m = interlock.owned_by(me) ? LockMode::Exclusive : LockMode::Shared;
  interlock.release(m, loc);
  check_may_sleep(x_, "sleep on " + name(), loc, name());

  x_.announce(PendingOp{OpKind::SleepWait, id_, LockMode::Exclusive, true, timeout, loc, idle});
  pre = state();
  bool woken = (woken_ & bit) != 0;
  waiters_ &= ~bit;
  woken_ &= ~bit;
  Event w = event(OpKind::SleepWait, loc);
  w.pre = pre;
  w.post = state();
  w.value = woken ? 1 : 0;
  w.flags = timeout ? kFlagTry : 0;
  x_.record(w);

  interlock.acquire(m, loc);
  return woken;
}

void Chan::wake(bool one, const Loc& loc) {
  if (!x_.in_thread()) return;  // during setup nobody sleeps yet: nothing to wake
  x_.announce(PendingOp{OpKind::Wakeup, id_, LockMode::Exclusive, false, false, loc});
  uint64_t pre = state();
  // wakeup_one picks, when it runs, the waiter with the lowest thread id.
  uint32_t targets = one ? (waiters_ & (~waiters_ + 1)) : waiters_;
  woken_ |= targets;
  waiters_ &= ~targets;
  Event e = event(OpKind::Wakeup, loc);
  e.pre = pre;
  e.post = state();
  e.value = targets;
  e.arg = one ? 1 : 0;
  x_.record(e);
}

void Chan::wakeup(const Loc& loc) { wake(false, loc); }

void Chan::wakeup_one(const Loc& loc) { wake(true, loc); }

}  // namespace vcpucheck::sim
