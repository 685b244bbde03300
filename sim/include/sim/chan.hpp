// Sleep/wakeup channels (FreeBSD msleep/wakeup, Linux wait queues).
//
// sleep() runs under an interlock: it registers the thread as a waiter while the interlock is
// held, drops the interlock, waits, and retakes it, so a wakeup issued under the same interlock
// is never lost. With a timeout the wait may also return without a wakeup: whether the wakeup or
// the timeout comes first is an explored choice (the two operations conflict), not a clock.
#pragma once
#include "sim/sync.hpp"

namespace vcpucheck::sim {

// How a sleep may end. `timeout`: it may also return without a wakeup (msleep's timo, an
// explored choice under the fairness rule of spin.hpp). `idle`: it may last to the end of the
// execution without that being a deadlock (a halted CPU waiting for an interrupt).
struct SleepOptions {
  bool timeout = false;
  bool idle = false;
};

class Chan : public SharedObject, public Blocker {
 public:
  Chan(Execution& x, const std::string& leaf);

  // Returns true when woken, false when the timeout fired:
  //   chan.sleep(mtx);  chan.sleep(mtx, {.timeout = true});  chan.sleep(mtx, {.idle = true});
  bool sleep(Lock& interlock, SleepOptions o = {}, const Loc& loc = Loc::current());
  void wakeup(const Loc& loc = Loc::current());      // every waiter
  void wakeup_one(const Loc& loc = Loc::current());  // the waiter with the lowest thread id

  bool enabled(const PendingOp& op, ThreadId t) const override;
  // State word: waiters in the low 32 bits, woken threads in the high 32 bits.
  uint64_t state() const { return uint64_t(waiters_) | (uint64_t(woken_) << 32); }

 private:
  void wake(bool one, const Loc& loc);
  uint32_t waiters_ = 0;
  uint32_t woken_ = 0;
};

}  // namespace vcpucheck::sim
