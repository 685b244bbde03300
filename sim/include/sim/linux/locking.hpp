// Linux: mutexes, spinlocks, rw_semaphores, completions, wait queues and SRCU (include
// sim/linux.hpp).
//
// Ordering: every lock release happens before the next acquisition of that lock; complete()
// happens before the wait_for_completion() it ends (through the completion's wait lock);
// wake_up() after the condition's writes happens before the woken wait_event's re-check (through
// the wait queue's lock); synchronize_srcu() returns only after every SRCU read-side section
// that was open when it started has ended, and those sections happen before it returns.
//
// Rules checked: a sleeping lock (mutex, rw_semaphore), wait_event, wait_for_completion or
// synchronize_*rcu under a spinlock, in a critical section or inside an rcu_read_lock section
// is "blocking in a critical section" (the kernel's "scheduling while atomic"); an SRCU
// read-side section may sleep. No signal is ever delivered: the _killable and _interruptible
// forms return 0 (acquired, or the condition became true).
#pragma once
#include <functional>

#include "sim/chan.hpp"
#include "sim/rcu.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::lnx {

using sim::Loc;
using sim::Order;

using mutex = sim::Mutex;
using spinlock_t = sim::SpinMutex;
using raw_spinlock_t = sim::SpinMutex;
using rw_semaphore = sim::Sx;

inline void mutex_init(mutex*) {}
inline void mutex_lock(mutex* m, const Loc& loc = Loc::current()) { m->lock(loc); }
inline void mutex_unlock(mutex* m, const Loc& loc = Loc::current()) { m->unlock(loc); }
// 1 when it took the mutex, 0 when another thread holds it (a visible read of the mutex).
inline int mutex_trylock(mutex* m, const Loc& loc = Loc::current()) { return m->trylock(loc) ? 1 : 0; }
inline int mutex_lock_killable(mutex* m, const Loc& loc = Loc::current()) {
  m->lock(loc);
  return 0;
}
inline int mutex_lock_interruptible(mutex* m, const Loc& loc = Loc::current()) {
  m->lock(loc);
  return 0;
}
// Not a visible operation: whether the current thread holds it (lockdep's expressions).
inline bool lockdep_is_held(const sim::Lock* l) {
  sim::Execution& x = sim::current_execution();
  return x.in_thread() && l->held_by(x.current());
}
inline void lockdep_assert_held(const sim::Lock* l, const Loc& loc = Loc::current()) {
  sim::Execution& x = l->exec();
  sim::kassert(x, x.in_thread() && l->held_by(x.current()), "lockdep_assert_held(" + l->name() + ")", loc);
}

inline void spin_lock_init(spinlock_t*) {}
inline void spin_lock(spinlock_t* s, const Loc& loc = Loc::current()) { s->lock(loc); }
inline void spin_unlock(spinlock_t* s, const Loc& loc = Loc::current()) { s->unlock(loc); }
inline int spin_trylock(spinlock_t* s, const Loc& loc = Loc::current()) { return s->trylock(loc) ? 1 : 0; }
// Interrupts are not modeled apart from the machine's LAPIC: the flags word is only set.
inline void spin_lock_irqsave(spinlock_t* s, unsigned long& flags, const Loc& loc = Loc::current()) {
  s->lock(loc);
  flags = 0;
}
inline void spin_unlock_irqrestore(spinlock_t* s, unsigned long /*flags*/, const Loc& loc = Loc::current()) {
  s->unlock(loc);
}
inline void spin_lock_irq(spinlock_t* s, const Loc& loc = Loc::current()) { s->lock(loc); }
inline void spin_unlock_irq(spinlock_t* s, const Loc& loc = Loc::current()) { s->unlock(loc); }
inline void spin_lock_bh(spinlock_t* s, const Loc& loc = Loc::current()) { s->lock(loc); }
inline void spin_unlock_bh(spinlock_t* s, const Loc& loc = Loc::current()) { s->unlock(loc); }
inline void raw_spin_lock(raw_spinlock_t* s, const Loc& loc = Loc::current()) { s->lock(loc); }
inline void raw_spin_unlock(raw_spinlock_t* s, const Loc& loc = Loc::current()) { s->unlock(loc); }

inline void init_rwsem(rw_semaphore*) {}
inline void down_read(rw_semaphore* s, const Loc& loc = Loc::current()) { s->slock(loc); }
inline void up_read(rw_semaphore* s, const Loc& loc = Loc::current()) { s->sunlock(loc); }
inline void down_write(rw_semaphore* s, const Loc& loc = Loc::current()) { s->xlock(loc); }
inline void up_write(rw_semaphore* s, const Loc& loc = Loc::current()) { s->xunlock(loc); }
inline int down_read_trylock(rw_semaphore* s, const Loc& loc = Loc::current()) { return s->try_slock(loc) ? 1 : 0; }
inline int down_write_trylock(rw_semaphore* s, const Loc& loc = Loc::current()) { return s->try_xlock(loc) ? 1 : 0; }

// --- completion ---------------------------------------------------------------------------
struct completion {
  sim::SpinMutex wait_lock;
  sim::Chan wait;
  sim::Field<unsigned> done;
  explicit completion(sim::Execution& x, const std::string& leaf = "completion")
      : wait_lock(x, leaf + ".wait.lock"), wait(x, leaf + ".wait"), done(x, leaf + ".done", 0) {}
};
constexpr unsigned kCompleteAll = 1u << 30;  // complete_all: every present and future waiter passes

void init_completion(completion* c, const Loc& loc = Loc::current());
void reinit_completion(completion* c, const Loc& loc = Loc::current());
void complete(completion* c, const Loc& loc = Loc::current());
void complete_all(completion* c, const Loc& loc = Loc::current());
void wait_for_completion(completion* c, const Loc& loc = Loc::current());
// Returns 0 when it timed out (an explored choice: spin.hpp's fairness rule), else 1.
unsigned long wait_for_completion_timeout(completion* c, unsigned long timeout, const Loc& loc = Loc::current());
bool try_wait_for_completion(completion* c, const Loc& loc = Loc::current());
bool completion_done(completion* c, const Loc& loc = Loc::current());

// --- wait queues --------------------------------------------------------------------------
struct wait_queue_head {
  sim::SpinMutex lock;
  sim::Chan chan;
  explicit wait_queue_head(sim::Execution& x, const std::string& leaf = "wq")
      : lock(x, leaf + ".lock"), chan(x, leaf) {}
};
using wait_queue_head_t = wait_queue_head;

inline void init_waitqueue_head(wait_queue_head*) {}
void wake_up(wait_queue_head* wq, const Loc& loc = Loc::current());
void wake_up_all(wait_queue_head* wq, const Loc& loc = Loc::current());

namespace detail {
// The kernel's ___wait_event: the condition once without the queue's lock (its fast path), then,
// until it holds, re-checked under the lock after registering as a waiter, so a wake_up() that
// follows the condition's writes is never lost. Returns false when a timed wait timed out with
// the condition still false.
bool wait_event_cond(wait_queue_head& wq, const std::function<bool()>& cond, bool timed, const Loc& loc);
}  // namespace detail

}  // namespace vcpucheck::lnx

// wait_event(wq, cond): `wq` is the queue itself, as in the kernel; cond is any expression.
#define wait_event(wq, cond) \
  (void)::vcpucheck::lnx::detail::wait_event_cond((wq), [&]() -> bool { return (cond); }, false, ::vcpucheck::sim::Loc::current())
#define wait_event_interruptible(wq, cond) (wait_event(wq, cond), 0)
#define wait_event_killable(wq, cond) (wait_event(wq, cond), 0)
// 0 when the timeout elapsed with cond false, else 1 (the kernel's remaining jiffies, at least 1).
#define wait_event_timeout(wq, cond, timeout)                                                                   \
  (static_cast<void>(timeout),                                                                                  \
   ::vcpucheck::lnx::detail::wait_event_cond((wq), [&]() -> bool { return (cond); }, true, ::vcpucheck::sim::Loc::current()) \
       ? 1L                                                                                                     \
       : 0L)

namespace vcpucheck::lnx {

// --- SRCU ---------------------------------------------------------------------------------
struct srcu_struct : sim::Rcu {
  explicit srcu_struct(sim::Execution& x, const std::string& leaf = "srcu") : sim::Rcu(x, leaf, sim::Rcu::sleepable) {}
};
inline int init_srcu_struct(srcu_struct*) { return 0; }
inline void cleanup_srcu_struct(srcu_struct*) {}
// The index is 0: the grace-period bookkeeping is per thread, not per index.
inline int srcu_read_lock(srcu_struct* s, const Loc& loc = Loc::current()) {
  s->read_lock(loc);
  return 0;
}
inline void srcu_read_unlock(srcu_struct* s, int /*idx*/, const Loc& loc = Loc::current()) { s->read_unlock(loc); }
inline void synchronize_srcu(srcu_struct* s, const Loc& loc = Loc::current()) { s->synchronize(loc); }
inline void synchronize_srcu_expedited(srcu_struct* s, const Loc& loc = Loc::current()) { s->synchronize(loc); }
template <class T>
sim::Ptr<T> srcu_dereference(sim::Atomic<sim::Ptr<T>>& p, srcu_struct*, const Loc& loc = Loc::current()) {
  return p.load(Order::Consume, loc);
}

}  // namespace vcpucheck::lnx
