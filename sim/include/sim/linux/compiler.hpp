// Linux: marked accesses, barriers, WARN_ON/BUG_ON and scheduling points (include sim/linux.hpp).
//
// Ordering, as the Linux-kernel memory model (tools/memory-model) gives it:
//   READ_ONCE / WRITE_ONCE / data_race   relaxed marked accesses of a plain Field: never a data
//                                        race with another marked access; a plain access that
//                                        races with them is still reported (KCSAN's rule). They
//                                        carry no ordering of their own, yet pair with fences
//                                        (smp_wmb before a WRITE_ONCE, smp_rmb after a READ_ONCE).
//   smp_store_release / smp_load_acquire release store / acquire load (also on an Atomic).
//   smp_wmb / smp_rmb / smp_mb           release / acquire / full fence; smp_mb drains the store
//                                        buffer under x86-TSO, the other two do not (as on x86).
//   smp_mb__before_atomic / __after_     a full fence (the kernel's is one on every architecture
//                                        whose atomics are not already ordered).
//   barrier()                            a compiler barrier: nothing to do for an interleaving.
#pragma once
#include <string>

#include "sim/memory.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::lnx {

using sim::Loc;
using sim::Order;

template <class T>
T READ_ONCE(sim::Field<T>& f, const Loc& loc = Loc::current()) {
  return f.marked_get(Order::Relaxed, loc);
}
template <class T>
T READ_ONCE(sim::Atomic<T>& a, const Loc& loc = Loc::current()) {
  return a.load(Order::Relaxed, loc);
}
template <class T, class V>
void WRITE_ONCE(sim::Field<T>& f, V v, const Loc& loc = Loc::current()) {
  f.marked_set(static_cast<T>(v), Order::Relaxed, loc);
}
template <class T, class V>
void WRITE_ONCE(sim::Atomic<T>& a, V v, const Loc& loc = Loc::current()) {
  a.store(static_cast<T>(v), Order::Relaxed, loc);
}
// data_race(x): an access KCSAN is told to ignore (a statistic, a diagnostic read).
template <class T>
T data_race(sim::Field<T>& f, const Loc& loc = Loc::current()) {
  return f.marked_get(Order::Relaxed, loc);
}

template <class T, class V>
void smp_store_release(sim::Field<T>* f, V v, const Loc& loc = Loc::current()) {
  f->marked_set(static_cast<T>(v), Order::Release, loc);
}
template <class T, class V>
void smp_store_release(sim::Atomic<T>* a, V v, const Loc& loc = Loc::current()) {
  a->store(static_cast<T>(v), Order::Release, loc);
}
template <class T>
T smp_load_acquire(sim::Field<T>* f, const Loc& loc = Loc::current()) {
  return f->marked_get(Order::Acquire, loc);
}
template <class T>
T smp_load_acquire(sim::Atomic<T>* a, const Loc& loc = Loc::current()) {
  return a->load(Order::Acquire, loc);
}

inline void smp_mb(const Loc& loc = Loc::current()) { sim::fence(sim::current_execution(), Order::SeqCst, loc); }
inline void smp_wmb(const Loc& loc = Loc::current()) { sim::fence(sim::current_execution(), Order::Release, loc); }
inline void smp_rmb(const Loc& loc = Loc::current()) { sim::fence(sim::current_execution(), Order::Acquire, loc); }
inline void smp_mb__before_atomic(const Loc& loc = Loc::current()) { smp_mb(loc); }
inline void smp_mb__after_atomic(const Loc& loc = Loc::current()) { smp_mb(loc); }
inline void barrier() {}

// A scheduling point with no shared effect (cond_resched, schedule() in a polling loop): a step
// of its own, so random and PCT schedules can switch there; DPOR knows it commutes with
// everything.
void cond_resched(const Loc& loc = Loc::current());

// WARN_ON(cond): when cond holds, a warning that does not stop the execution (Execution::warn:
// reported as `warning` if the execution then ends without a worse violation). Returns cond, as
// the kernel's does, so `if (WARN_ON(x)) return -EINVAL;` reads as in the kernel. WARN_ON_ONCE
// is the same here: an execution reports its first warning only. BUG_ON(cond) stops the
// execution with an assertion, as KASSERT and panic do.
inline bool warn_on(bool cond, const char* text, const Loc& loc) {
  if (cond) sim::current_execution().warn(std::string("WARNING: ") + text, loc);
  return cond;
}
inline void bug_on(bool cond, const char* text, const Loc& loc) {
  if (cond) sim::current_execution().fail(sim::ViolationKind::Assertion, std::string("kernel BUG: ") + text, loc);
}

}  // namespace vcpucheck::lnx

#define WARN_ON(cond) ::vcpucheck::lnx::warn_on(static_cast<bool>(cond), "WARN_ON(" #cond ")", ::vcpucheck::sim::Loc::current())
#define WARN_ON_ONCE(cond) \
  ::vcpucheck::lnx::warn_on(static_cast<bool>(cond), "WARN_ON_ONCE(" #cond ")", ::vcpucheck::sim::Loc::current())
#define BUG_ON(cond) ::vcpucheck::lnx::bug_on(static_cast<bool>(cond), "BUG_ON(" #cond ")", ::vcpucheck::sim::Loc::current())
