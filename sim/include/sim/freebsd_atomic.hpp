// FreeBSD atomic(9), included by sim/freebsd.hpp: each operation on a plain sim::Field (FreeBSD
// applies atomic(9) to ordinary `volatile u_int` members: a marked access) or on a sim::Atomic.
// No suffix: relaxed; _acq: acquire; _rel: release. Each is one visible operation.
#pragma once
#include "sim/heap.hpp"
#include "sim/memory.hpp"

namespace vcpucheck::fbsd {

namespace detail {
template <class T, class V>
T rmw(sim::Field<T>* f, sim::RmwOp op, V d, Order o, const Loc& loc) {
  return f->marked_rmw(op, static_cast<T>(d), o, loc);
}
template <class T, class V>
T rmw(sim::Atomic<T>* a, sim::RmwOp op, V d, Order o, const Loc& loc) {
  switch (op) {
    case sim::RmwOp::Add: return a->fetch_add(static_cast<T>(d), o, loc);
    case sim::RmwOp::Or: return a->fetch_or(static_cast<T>(d), o, loc);
    case sim::RmwOp::And: return a->fetch_and(static_cast<T>(d), o, loc);
    case sim::RmwOp::Xor: return a->fetch_xor(static_cast<T>(d), o, loc);
    case sim::RmwOp::Exchange: return a->exchange(static_cast<T>(d), o, loc);
  }
  return T{};
}
template <class T>
T load(sim::Field<T>* f, Order o, const Loc& loc) {
  return f->marked_get(o, loc);
}
template <class T>
T load(sim::Atomic<T>* a, Order o, const Loc& loc) {
  return a->load(o, loc);
}
template <class T, class V>
void store(sim::Field<T>* f, V v, Order o, const Loc& loc) {
  f->marked_set(static_cast<T>(v), o, loc);
}
template <class T, class V>
void store(sim::Atomic<T>* a, V v, Order o, const Loc& loc) {
  a->store(static_cast<T>(v), o, loc);
}
template <class T, class V>
bool cas(sim::Field<T>* f, T& expected, V desired, Order o, const Loc& loc) {
  return f->marked_cas(expected, static_cast<T>(desired), o, loc);
}
template <class T, class V>
bool cas(sim::Atomic<T>* a, T& expected, V desired, Order o, const Loc& loc) {
  return a->compare_exchange(expected, static_cast<T>(desired), o, loc);
}
template <class C>
struct value;
template <class T>
struct value<sim::Field<T>> {
  using type = T;
};
template <class T>
struct value<sim::Atomic<T>> {
  using type = T;
};
template <class C>
using value_t = typename value<std::remove_cv_t<C>>::type;
// atomic_cmpset: 1 when the cell held `old` and now holds `nv`.
template <class Cell, class V, class W>
int cmpset(Cell* c, const V& old, const W& nv, Order o, const Loc& loc) {
  value_t<Cell> e = old;
  return cas(c, e, nv, o, loc) ? 1 : 0;
}
// A derived cell type (cpuset_t, a with_wchan field) converts to its base.
template <class T>
sim::Field<T>* cell(sim::Field<T>* f) {
  return f;
}
template <class T>
sim::Atomic<T>* cell(sim::Atomic<T>* a) {
  return a;
}
}  // namespace detail

#define VCPUCHECK_FBSD_RMW(NAME, OP, NEG, ORDER)                                                 \
  template <class C, class V>                                                                    \
  void NAME(C* p, V v, const Loc& loc = Loc::current()) {                                        \
    auto* c = detail::cell(p);                                                                   \
    using T = detail::value_t<std::remove_pointer_t<decltype(c)>>;                               \
    (void)detail::rmw(c, sim::RmwOp::OP, NEG(static_cast<T>(v)), Order::ORDER, loc);             \
  }
#define VCPUCHECK_FBSD_CMPSET(NAME, ORDER)                                 \
  template <class C, class V, class W>                                     \
  int NAME(C* p, V old, W nv, const Loc& loc = Loc::current()) {           \
    return detail::cmpset(detail::cell(p), old, nv, Order::ORDER, loc);    \
  }
#define VCPUCHECK_FBSD_ID(v) (v)
#define VCPUCHECK_FBSD_NEG(v) static_cast<T>(T{} - (v))
#define VCPUCHECK_FBSD_NOT(v) static_cast<T>(~(v))
#define VCPUCHECK_FBSD_FAMILY(T)                                                          \
  VCPUCHECK_FBSD_RMW(atomic_add_##T, Add, VCPUCHECK_FBSD_ID, Relaxed)                     \
  VCPUCHECK_FBSD_RMW(atomic_add_acq_##T, Add, VCPUCHECK_FBSD_ID, Acquire)                 \
  VCPUCHECK_FBSD_RMW(atomic_add_rel_##T, Add, VCPUCHECK_FBSD_ID, Release)                 \
  VCPUCHECK_FBSD_RMW(atomic_subtract_##T, Add, VCPUCHECK_FBSD_NEG, Relaxed)               \
  VCPUCHECK_FBSD_RMW(atomic_subtract_acq_##T, Add, VCPUCHECK_FBSD_NEG, Acquire)           \
  VCPUCHECK_FBSD_RMW(atomic_subtract_rel_##T, Add, VCPUCHECK_FBSD_NEG, Release)           \
  VCPUCHECK_FBSD_RMW(atomic_set_##T, Or, VCPUCHECK_FBSD_ID, Relaxed)                      \
  VCPUCHECK_FBSD_RMW(atomic_set_acq_##T, Or, VCPUCHECK_FBSD_ID, Acquire)                  \
  VCPUCHECK_FBSD_RMW(atomic_set_rel_##T, Or, VCPUCHECK_FBSD_ID, Release)                  \
  VCPUCHECK_FBSD_RMW(atomic_clear_##T, And, VCPUCHECK_FBSD_NOT, Relaxed)                  \
  VCPUCHECK_FBSD_RMW(atomic_clear_acq_##T, And, VCPUCHECK_FBSD_NOT, Acquire)              \
  VCPUCHECK_FBSD_RMW(atomic_clear_rel_##T, And, VCPUCHECK_FBSD_NOT, Release)              \
  template <class C>                                                                      \
  auto atomic_load_##T(C* p, const Loc& loc = Loc::current()) {                           \
    return detail::load(detail::cell(p), Order::Relaxed, loc);                            \
  }                                                                                       \
  template <class C>                                                                      \
  auto atomic_load_acq_##T(C* p, const Loc& loc = Loc::current()) {                       \
    return detail::load(detail::cell(p), Order::Acquire, loc);                            \
  }                                                                                       \
  template <class C, class V>                                                             \
  void atomic_store_##T(C* p, V v, const Loc& loc = Loc::current()) {                     \
    detail::store(detail::cell(p), v, Order::Relaxed, loc);                               \
  }                                                                                       \
  template <class C, class V>                                                             \
  void atomic_store_rel_##T(C* p, V v, const Loc& loc = Loc::current()) {                 \
    detail::store(detail::cell(p), v, Order::Release, loc);                               \
  }                                                                                       \
  template <class C, class V>                                                             \
  auto atomic_fetchadd_##T(C* p, V v, const Loc& loc = Loc::current()) {                  \
    return detail::rmw(detail::cell(p), sim::RmwOp::Add, v, Order::Relaxed, loc);         \
  }                                                                                       \
  template <class C>                                                                      \
  auto atomic_readandclear_##T(C* p, const Loc& loc = Loc::current()) {                   \
    return detail::rmw(detail::cell(p), sim::RmwOp::Exchange, 0, Order::Relaxed, loc);    \
  }                                                                                       \
  template <class C, class V>                                                             \
  auto atomic_swap_##T(C* p, V v, const Loc& loc = Loc::current()) {                      \
    return detail::rmw(detail::cell(p), sim::RmwOp::Exchange, v, Order::Relaxed, loc);    \
  }                                                                                       \
  /* 1 when *p was `old` and is now `nv`. */                                              \
  VCPUCHECK_FBSD_CMPSET(atomic_cmpset_##T, Relaxed)                                      \
  VCPUCHECK_FBSD_CMPSET(atomic_cmpset_acq_##T, Acquire)                                  \
  VCPUCHECK_FBSD_CMPSET(atomic_cmpset_rel_##T, Release)                                  \
  /* On failure *old receives the value found. */                                         \
  template <class C, class V, class W>                                                    \
  int atomic_fcmpset_##T(C* p, V* old, W nv, const Loc& loc = Loc::current()) {           \
    return detail::cas(detail::cell(p), *old, nv, Order::Relaxed, loc) ? 1 : 0;           \
  }

VCPUCHECK_FBSD_FAMILY(int)
VCPUCHECK_FBSD_FAMILY(long)
VCPUCHECK_FBSD_FAMILY(32)
VCPUCHECK_FBSD_FAMILY(64)
#undef VCPUCHECK_FBSD_FAMILY
#undef VCPUCHECK_FBSD_RMW
#undef VCPUCHECK_FBSD_ID
#undef VCPUCHECK_FBSD_NEG
#undef VCPUCHECK_FBSD_NOT

// Pointers (a Ptr<T> cell): bhyve publishes a vCPU with atomic_store_rel_ptr and looks it up
// with atomic_load_acq_ptr (or atomic_load_ptr, a dependency-ordered load).
template <class C>
auto atomic_load_ptr(C* p, const Loc& loc = Loc::current()) {
  return detail::load(detail::cell(p), Order::Consume, loc);
}
template <class C>
auto atomic_load_acq_ptr(C* p, const Loc& loc = Loc::current()) {
  return detail::load(detail::cell(p), Order::Acquire, loc);
}
template <class C, class V>
void atomic_store_ptr(C* p, const V& v, const Loc& loc = Loc::current()) {
  detail::store(detail::cell(p), v, Order::Relaxed, loc);
}
template <class C, class V>
void atomic_store_rel_ptr(C* p, const V& v, const Loc& loc = Loc::current()) {
  detail::store(detail::cell(p), v, Order::Release, loc);
}
VCPUCHECK_FBSD_CMPSET(atomic_cmpset_ptr, Relaxed)
#undef VCPUCHECK_FBSD_CMPSET

inline void atomic_thread_fence_acq(const Loc& loc = Loc::current()) { sim::fence(sim::current_execution(), Order::Acquire, loc); }
inline void atomic_thread_fence_rel(const Loc& loc = Loc::current()) { sim::fence(sim::current_execution(), Order::Release, loc); }
inline void atomic_thread_fence_seq_cst(const Loc& loc = Loc::current()) {
  sim::fence(sim::current_execution(), Order::SeqCst, loc);
}

}  // namespace vcpucheck::fbsd
