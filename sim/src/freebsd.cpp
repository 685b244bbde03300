// sim/freebsd.hpp: mtx(9) and sx(9) checks, msleep, malloc's sleeping rule, cpuset bounds.
#include "sim/freebsd.hpp"

namespace vcpucheck::fbsd {

namespace {
sim::Execution& exec_of(const sim::Lock& l) { return l.exec(); }
void misuse(const sim::Lock& l, const std::string& what, const Loc& loc) {
  exec_of(l).fail(sim::ViolationKind::LockMisuse, what + " on " + l.name(), loc, l.name());
}
}  // namespace

void mtx_init(mtx* m, const char* /*name*/, const char* /*type*/, int opts, const Loc& loc) {
  const bool spin = (opts & MTX_SPIN) != 0;
  if (spin != (m->kind() == sim::LockKind::Spin))
    throw sim::SetupError(sim::where(loc) + ": mtx_init of " + m->name() + " with " + (spin ? "MTX_SPIN" : "MTX_DEF") +
                          ", but it is declared " + (spin ? "a sleep mutex" : "a spin mutex") +
                          ": declare it `mtx{x, name, " + (spin ? "MTX_SPIN" : "MTX_DEF") + "}`");
}

void mtx_lock(mtx* m, const Loc& loc) {
  if (m->kind() == sim::LockKind::Spin) misuse(*m, "mtx_lock of a spin mutex (use mtx_lock_spin)", loc);
  m->acquire(sim::LockMode::Exclusive, loc);
}
void mtx_unlock(mtx* m, const Loc& loc) {
  if (m->kind() == sim::LockKind::Spin) misuse(*m, "mtx_unlock of a spin mutex (use mtx_unlock_spin)", loc);
  m->release(sim::LockMode::Exclusive, loc);
}
void mtx_lock_spin(mtx* m, const Loc& loc) {
  if (m->kind() != sim::LockKind::Spin) misuse(*m, "mtx_lock_spin of a sleep mutex (use mtx_lock)", loc);
  m->acquire(sim::LockMode::Exclusive, loc);
}
void mtx_unlock_spin(mtx* m, const Loc& loc) {
  if (m->kind() != sim::LockKind::Spin) misuse(*m, "mtx_unlock_spin of a sleep mutex (use mtx_unlock)", loc);
  m->release(sim::LockMode::Exclusive, loc);
}
int mtx_trylock(mtx* m, const Loc& loc) { return m->try_acquire(sim::LockMode::Exclusive, loc) ? 1 : 0; }

void mtx_assert(mtx* m, int what, const Loc& loc) {
  if (what != MA_OWNED && what != MA_NOTOWNED)
    exec_of(*m).fail(sim::ViolationKind::ModelError, "mtx_assert with " + std::to_string(what) + ": not MA_OWNED or MA_NOTOWNED", loc);
  const bool owned = mtx_owned(m);
  if ((what & MA_OWNED) && !owned) sim::kassert(exec_of(*m), false, "mtx_assert(" + m->name() + ", MA_OWNED)", loc);
  if (!(what & MA_OWNED) && owned) sim::kassert(exec_of(*m), false, "mtx_assert(" + m->name() + ", MA_NOTOWNED)", loc);
}

void sx_unlock(sx* s, const Loc& loc) {
  if (sx_xlocked(s))
    s->xunlock(loc);
  else
    s->sunlock(loc);
}

void sx_assert(sx* s, int what, const Loc& loc) {
  sim::Execution& x = s->exec();
  const bool x_held = sx_xlocked(s);
  const bool held = x.in_thread() && s->held_by(x.current());
  bool ok = true;
  if (what == SA_XLOCKED) ok = x_held;
  else if (what == SA_SLOCKED) ok = held && !x_held;
  else if (what == SA_LOCKED) ok = held;
  else if (what == SA_UNLOCKED) ok = !held;
  else x.fail(sim::ViolationKind::ModelError, "sx_assert with " + std::to_string(what) +
                                                  ": not one of SA_XLOCKED, SA_SLOCKED, SA_LOCKED, SA_UNLOCKED", loc);
  sim::kassert(x, ok, "sx_assert(" + s->name() + ", " + std::to_string(what) + ")", loc);
}

int msleep_chan(sim::Chan* chan, sim::Lock* interlock, int priority, int timo, const Loc& loc) {
  sim::Execution& x = chan->exec();
  if (!interlock)
    x.fail(sim::ViolationKind::ModelError,
           "msleep without an interlock (tsleep): a wakeup could be lost in any schedule; pass the mutex that guards "
           "the condition",
           loc);
  if (timo < 0) x.fail(sim::ViolationKind::ModelError, "msleep with a negative timeout", loc);
  const bool woken = chan->sleep(*interlock, {.timeout = timo > 0}, loc);
  if (priority & PDROP) interlock->release(sim::LockMode::Exclusive, loc);
  return woken ? 0 : EWOULDBLOCK;
}


uint64_t cpu_bit(int n, const cpuset_t& s, const Loc& loc) {
  if (n < 0 || n >= CPU_SETSIZE)
    sim::current_execution().fail(sim::ViolationKind::OutOfBounds,
                                  "cpu " + std::to_string(n) + " outside the cpuset " + s.name() + " (CPU_SETSIZE 64)", loc,
                                  s.name());
  return uint64_t(1) << n;
}

}  // namespace vcpucheck::fbsd
