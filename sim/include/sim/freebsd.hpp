// FreeBSD's kernel vocabulary over vcpucheck's primitives, so a model line reads like the bhyve
// line it models:
//
//   sx_xlock(&vm->vcpus_init_lock);
//   vcpu = (struct vcpu *)atomic_load_acq_ptr(&vm->vcpu[vcpuid]);
//   KASSERT(vcpu->state == VCPU_IDLE, ("vcpu %d not idle", vcpuid));
//   msleep_spin(&vcpu->state, &vcpu->mtx, "vmstat", hz);
//
// Everything is in namespace vcpucheck::fbsd. Ordering:
//   mtx(9) sleep and spin mutexes, sx(9)   a release happens before the next acquisition; a spin
//                                        mutex is a critical section (nothing may sleep under it)
//   msleep / msleep_spin / wakeup        sleep under the interlock: a wakeup issued under it is
//                                        never lost, and it happens before the woken sleep returns;
//                                        a sleep with timo > 0 may time out (an explored choice,
//                                        under the fairness rule of sim/spin.hpp), returning EWOULDBLOCK
//   atomic(9) without a suffix           relaxed; _acq acquire; _rel release (atomic_thread_fence_*
//                                        likewise); atomic(9) on a plain Field is a marked access
//                                        that races with the field's plain accesses
//   critical_enter / critical_exit       no ordering; sleeping inside is a violation. Running the
//                                        guest inside one (bhyve's VMRUN) is allowed.
//   CPU_SET / CPU_CLR / CPU_ISSET / CPU_FFS on a cpuset_t   plain accesses (they race);
//   CPU_SET_ATOMIC / CPU_CLR_ATOMIC      relaxed atomic or / and
#pragma once
#include <sched.h>  // first, so glibc's CPU_* macros, undefined below, are never defined again

#include <cerrno>
#include <string>

#undef CPU_SETSIZE
#undef CPU_ZERO
#undef CPU_SET
#undef CPU_CLR
#undef CPU_ISSET
#undef CPU_COUNT
#undef CPU_EMPTY

#include "sim/chan.hpp"
#include "sim/heap.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::fbsd {

using sim::Loc;
using sim::Order;
using sim::Ptr;

// --- mtx(9) -------------------------------------------------------------------------------
constexpr int MTX_DEF = 0x0;
constexpr int MTX_SPIN = 0x1;
constexpr int MA_OWNED = 0x1;
constexpr int MA_NOTOWNED = 0x0;

// A sleep mutex, or with MTX_SPIN a spin mutex: `struct mtx mtx{x, "mtx", MTX_SPIN};`.
class mtx : public sim::Lock {
 public:
  mtx(sim::Execution& x, const std::string& leaf, int opts = MTX_DEF)
      : sim::Lock(x, leaf, (opts & MTX_SPIN) ? sim::LockKind::Spin : sim::LockKind::Sleep) {}
};
// The kernel initializes at run time; here the type is fixed at the declaration: a mismatch is
// a model error, since the declaration is what the checker runs.
void mtx_init(mtx* m, const char* name, const char* type, int opts, const Loc& loc = Loc::current());
inline void mtx_destroy(mtx*) {}
void mtx_lock(mtx* m, const Loc& loc = Loc::current());
void mtx_unlock(mtx* m, const Loc& loc = Loc::current());
void mtx_lock_spin(mtx* m, const Loc& loc = Loc::current());
void mtx_unlock_spin(mtx* m, const Loc& loc = Loc::current());
int mtx_trylock(mtx* m, const Loc& loc = Loc::current());
inline bool mtx_owned(mtx* m) { return m->exec().in_thread() && m->owned_by(m->exec().current()); }
void mtx_assert(mtx* m, int what, const Loc& loc = Loc::current());

// --- sx(9) --------------------------------------------------------------------------------
constexpr int SA_XLOCKED = 0x4;
constexpr int SA_SLOCKED = 0x2;
constexpr int SA_LOCKED = 0x1;
constexpr int SA_UNLOCKED = 0x0;
class sx : public sim::Sx {
 public:
  using sim::Sx::Sx;
};
inline void sx_init(sx*, const char*) {}
inline void sx_destroy(sx*) {}
inline void sx_xlock(sx* s, const Loc& loc = Loc::current()) { s->xlock(loc); }
inline void sx_xunlock(sx* s, const Loc& loc = Loc::current()) { s->xunlock(loc); }
inline void sx_slock(sx* s, const Loc& loc = Loc::current()) { s->slock(loc); }
inline void sx_sunlock(sx* s, const Loc& loc = Loc::current()) { s->sunlock(loc); }
inline int sx_try_xlock(sx* s, const Loc& loc = Loc::current()) { return s->try_xlock(loc) ? 1 : 0; }
inline int sx_try_slock(sx* s, const Loc& loc = Loc::current()) { return s->try_slock(loc) ? 1 : 0; }
inline bool sx_xlocked(sx* s) { return s->exec().in_thread() && s->owned_by(s->exec().current()); }
// Releases whichever way the current thread holds it.
void sx_unlock(sx* s, const Loc& loc = Loc::current());
void sx_assert(sx* s, int what, const Loc& loc = Loc::current());

// --- sleep(9) -----------------------------------------------------------------------------
// A wait channel: FreeBSD sleeps on any address. Here the address is a shared object that
// carries its channel -- declare the field a vCPU sleeps on as
// `with_wchan<sim::Field<int>> state{x, "state", VCPU_IDLE};` and write
// `msleep_spin(&vcpu->state, &vcpu->mtx, "vmstat", hz)` as bhyve does. A plain sim::Chan works too.
template <class Obj>
struct with_wchan : Obj {
  template <class... A>
  with_wchan(sim::Execution& x, const std::string& leaf, A&&... a)
      : Obj(x, leaf, std::forward<A>(a)...), wchan(x, leaf + ".wchan") {}
  sim::Chan wchan;
};
inline sim::Chan* wchan_of(sim::Chan* c) { return c; }
template <class Obj>
sim::Chan* wchan_of(with_wchan<Obj>* o) {
  return &o->wchan;
}

inline constexpr int hz = 1000;
constexpr int PDROP = 0x200;  // msleep: return without the interlock
constexpr int PCATCH = 0x100;  // no signals are delivered: a no-op

// 0 when woken, EWOULDBLOCK when timo > 0 and it timed out.
// The interlock is any sim lock (an mtx, or a model's sim::SpinMutex / sim::Mutex).
int msleep_chan(sim::Chan* chan, sim::Lock* interlock, int priority, int timo, const Loc& loc);
template <class Ident>
int msleep(Ident* ident, sim::Lock* interlock, int priority, const char* /*wmesg*/, int timo, const Loc& loc = Loc::current()) {
  return msleep_chan(wchan_of(ident), interlock, priority, timo, loc);
}
template <class Ident>
int msleep_spin(Ident* ident, sim::Lock* interlock, const char* /*wmesg*/, int timo, const Loc& loc = Loc::current()) {
  return msleep_chan(wchan_of(ident), interlock, 0, timo, loc);
}
template <class Ident>
void wakeup(Ident* ident, const Loc& loc = Loc::current()) {
  wchan_of(ident)->wakeup(loc);
}
template <class Ident>
void wakeup_one(Ident* ident, const Loc& loc = Loc::current()) {
  wchan_of(ident)->wakeup_one(loc);
}

// --- critical sections, assertions --------------------------------------------------------
inline void critical_enter(const Loc& loc = Loc::current()) { sim::critical_enter(sim::current_execution(), loc); }
inline void critical_exit(const Loc& loc = Loc::current()) { sim::critical_exit(sim::current_execution(), loc); }
[[noreturn]] inline void panic(const std::string& msg, const Loc& loc = Loc::current()) {
  sim::panic(sim::current_execution(), msg, loc);
}
inline void kassert_at(bool cond, const char* text, const Loc& loc) {
  if (!cond) sim::current_execution().fail(sim::ViolationKind::Assertion, std::string("KASSERT failed: ") + text, loc);
}

// --- malloc(9) ----------------------------------------------------------------------------
constexpr int M_WAITOK = 0x2;
constexpr int M_NOWAIT = 0x1;
constexpr int M_ZERO = 0x100;
struct malloc_type {
  const char* name;
};
// The flags, converted at the call so the block records its line. Every field starts as its
// declaration says (M_ZERO or not: a field declared `uninit` is use-before-init until written).
// M_WAITOK may sleep: under a spin mutex or in a critical section it is a violation, as
// WITNESS reports; M_NOWAIT never fails here.
struct MallocFlags {
  int flags;
  Loc loc;
  MallocFlags(int f, const Loc& l = Loc::current()) : flags(f), loc(l) {}
};
template <class T, class... Args>
Ptr<T> malloc(const malloc_type* type, MallocFlags f, Args&&... args) {
  if (f.flags & M_WAITOK) sim::check_may_sleep(sim::current_execution(), "malloc(M_WAITOK)", f.loc);
  return sim::heap_alloc<T>(sim::current_execution(), sim::Named{type ? type->name : "malloc", f.loc},
                            std::forward<Args>(args)...);
}
template <class T>
void free(const Ptr<T>& p, const malloc_type*, const Loc& loc = Loc::current()) {
  sim::heap_free(sim::current_execution(), p, loc);
}

// --- cpuset_t -----------------------------------------------------------------------------
constexpr int CPU_SETSIZE = 64;
struct cpuset_t : sim::Field<uint64_t> {
  cpuset_t(sim::Execution& x, const std::string& leaf, uint64_t init = 0) : sim::Field<uint64_t>(x, leaf, init) {}
};
uint64_t cpu_bit(int n, const cpuset_t& s, const Loc& loc);
inline void CPU_ZERO(cpuset_t* s, const Loc& loc = Loc::current()) { s->set(0, loc); }
inline void CPU_SET(int n, cpuset_t* s, const Loc& loc = Loc::current()) { s->set(s->get(loc) | cpu_bit(n, *s, loc), loc); }
inline void CPU_CLR(int n, cpuset_t* s, const Loc& loc = Loc::current()) { s->set(s->get(loc) & ~cpu_bit(n, *s, loc), loc); }
inline bool CPU_ISSET(int n, cpuset_t* s, const Loc& loc = Loc::current()) { return (s->get(loc) & cpu_bit(n, *s, loc)) != 0; }
inline bool CPU_EMPTY(cpuset_t* s, const Loc& loc = Loc::current()) { return s->get(loc) == 0; }
// 1 + the lowest set CPU, or 0 when the set is empty.
inline int CPU_FFS(cpuset_t* s, const Loc& loc = Loc::current()) {
  const uint64_t v = s->get(loc);
  return v ? __builtin_ctzll(v) + 1 : 0;
}
inline int CPU_COUNT(cpuset_t* s, const Loc& loc = Loc::current()) { return __builtin_popcountll(s->get(loc)); }
inline void CPU_SET_ATOMIC(int n, cpuset_t* s, const Loc& loc = Loc::current()) {
  (void)s->marked_rmw(sim::RmwOp::Or, cpu_bit(n, *s, loc), Order::Relaxed, loc);
}
inline void CPU_CLR_ATOMIC(int n, cpuset_t* s, const Loc& loc = Loc::current()) {
  (void)s->marked_rmw(sim::RmwOp::And, ~cpu_bit(n, *s, loc), Order::Relaxed, loc);
}

}  // namespace vcpucheck::fbsd

// KASSERT(cond, (fmt, args...)): the message is the condition's text (the printf arguments are
// not evaluated).
#define KASSERT(cond, msg) ::vcpucheck::fbsd::kassert_at(static_cast<bool>(cond), #cond, ::vcpucheck::sim::Loc::current())
#define MPASS(cond) KASSERT(cond, ("MPASS"))

#include "sim/freebsd_atomic.hpp"
