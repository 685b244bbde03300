// Linux: atomic_t, atomic_long_t, bitops, refcount_t and kref (include sim/linux.hpp).
//
// Ordering, as Documentation/atomic_t.txt gives it:
//   atomic_read / atomic_set, atomic_inc / atomic_dec / atomic_add / atomic_sub (no return value)
//                                        relaxed
//   atomic_*_return, atomic_dec_and_test, atomic_inc_and_test, atomic_fetch_*, atomic_xchg,
//   atomic_cmpxchg (when it succeeds)    fully ordered (seq_cst); a failed cmpxchg is a relaxed read
//   set_bit / clear_bit / change_bit / test_bit   relaxed
//   test_and_set_bit / test_and_clear_bit / test_and_change_bit   fully ordered
//   clear_bit_unlock                     release; test_and_set_bit_lock acquire
//   __set_bit / __clear_bit              not atomic: a plain read and a plain write of a Field
//   refcount_inc / refcount_inc_not_zero relaxed; refcount_dec_and_test / refcount_dec release,
//                                        and acquire when it reaches zero (a fence after the last
//                                        put, as the kernel's smp_acquire__after_ctrl_dep)
// Each is one visible operation (bit operations are fetch_or/fetch_and/fetch_xor, never CAS
// loops), except refcount_inc_not_zero, a CAS loop as in the kernel.
#pragma once
#include <climits>
#include <string>

#include "sim/memory.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::lnx {

using sim::Loc;
using sim::Order;

// The kernel's atomic types: declare them like any shared object, `atomic_t users{x, "users", 1}`.
struct atomic_t : sim::Atomic<int> {
  using sim::Atomic<int>::Atomic;
};
struct atomic_long_t : sim::Atomic<long> {
  using sim::Atomic<long>::Atomic;
};
struct atomic64_t : sim::Atomic<long long> {
  using sim::Atomic<long long>::Atomic;
};

#define VCPUCHECK_LINUX_ATOMIC_OPS(T, A, V)                                                                          \
  inline V A##_read(T* v, const Loc& loc = Loc::current()) { return v->load(Order::Relaxed, loc); }                 \
  inline void A##_set(T* v, V i, const Loc& loc = Loc::current()) { v->store(i, Order::Relaxed, loc); }             \
  inline void A##_add(V i, T* v, const Loc& loc = Loc::current()) { (void)v->fetch_add(i, Order::Relaxed, loc); }   \
  inline void A##_sub(V i, T* v, const Loc& loc = Loc::current()) { (void)v->fetch_sub(i, Order::Relaxed, loc); }   \
  inline void A##_inc(T* v, const Loc& loc = Loc::current()) { (void)v->fetch_add(1, Order::Relaxed, loc); }        \
  inline void A##_dec(T* v, const Loc& loc = Loc::current()) { (void)v->fetch_sub(1, Order::Relaxed, loc); }        \
  inline void A##_or(V i, T* v, const Loc& loc = Loc::current()) { (void)v->fetch_or(i, Order::Relaxed, loc); }     \
  inline void A##_and(V i, T* v, const Loc& loc = Loc::current()) { (void)v->fetch_and(i, Order::Relaxed, loc); }   \
  inline V A##_add_return(V i, T* v, const Loc& loc = Loc::current()) { return v->fetch_add(i, Order::SeqCst, loc) + i; } \
  inline V A##_sub_return(V i, T* v, const Loc& loc = Loc::current()) { return v->fetch_sub(i, Order::SeqCst, loc) - i; } \
  inline V A##_inc_return(T* v, const Loc& loc = Loc::current()) { return v->fetch_add(1, Order::SeqCst, loc) + 1; } \
  inline V A##_dec_return(T* v, const Loc& loc = Loc::current()) { return v->fetch_sub(1, Order::SeqCst, loc) - 1; } \
  inline V A##_fetch_add(V i, T* v, const Loc& loc = Loc::current()) { return v->fetch_add(i, Order::SeqCst, loc); } \
  inline V A##_fetch_sub(V i, T* v, const Loc& loc = Loc::current()) { return v->fetch_sub(i, Order::SeqCst, loc); } \
  inline V A##_fetch_or(V i, T* v, const Loc& loc = Loc::current()) { return v->fetch_or(i, Order::SeqCst, loc); }   \
  inline V A##_fetch_and(V i, T* v, const Loc& loc = Loc::current()) { return v->fetch_and(i, Order::SeqCst, loc); } \
  inline bool A##_dec_and_test(T* v, const Loc& loc = Loc::current()) { return v->fetch_sub(1, Order::SeqCst, loc) == 1; } \
  inline bool A##_inc_and_test(T* v, const Loc& loc = Loc::current()) { return v->fetch_add(1, Order::SeqCst, loc) == -1; } \
  inline bool A##_sub_and_test(V i, T* v, const Loc& loc = Loc::current()) { return v->fetch_sub(i, Order::SeqCst, loc) == i; } \
  inline V A##_xchg(T* v, V n, const Loc& loc = Loc::current()) { return v->exchange(n, Order::SeqCst, loc); }      \
  /* Returns the value found; it stored `n` if that was `o`. */                                                      \
  inline V A##_cmpxchg(T* v, V o, V n, const Loc& loc = Loc::current()) {                                           \
    V seen = o;                                                                                                      \
    (void)v->compare_exchange(seen, n, Order::SeqCst, loc);                                                          \
    return seen;                                                                                                     \
  }                                                                                                                  \
  /* On failure *o receives the value found. */                                                                      \
  inline bool A##_try_cmpxchg(T* v, V* o, V n, const Loc& loc = Loc::current()) {                                   \
    return v->compare_exchange(*o, n, Order::SeqCst, loc);                                                           \
  }

VCPUCHECK_LINUX_ATOMIC_OPS(atomic_t, atomic, int)
VCPUCHECK_LINUX_ATOMIC_OPS(atomic_long_t, atomic_long, long)
VCPUCHECK_LINUX_ATOMIC_OPS(atomic64_t, atomic64, long long)
#undef VCPUCHECK_LINUX_ATOMIC_OPS

// --- bitops on one word (`unsigned long flags`, a vCPU's `requests`) ----------------------
// `nr` must be below BITS_PER_LONG: a larger one is reported as out of bounds, never a wrong bit.
constexpr unsigned BITS_PER_LONG = 64;
using bitword = sim::Atomic<unsigned long>;

namespace detail {
inline unsigned long bit(long nr, const sim::SharedObject& w, const Loc& loc) {
  if (nr < 0 || nr >= static_cast<long>(BITS_PER_LONG))
    sim::current_execution().fail(sim::ViolationKind::OutOfBounds,
                                  "bit " + std::to_string(nr) + " outside the word " + w.name() + " (64 bits)", loc, w.name());
  return 1ul << nr;
}
}  // namespace detail

inline void set_bit(long nr, bitword* w, const Loc& loc = Loc::current()) {
  (void)w->fetch_or(detail::bit(nr, *w, loc), Order::Relaxed, loc);
}
inline void clear_bit(long nr, bitword* w, const Loc& loc = Loc::current()) {
  (void)w->fetch_and(~detail::bit(nr, *w, loc), Order::Relaxed, loc);
}
inline void change_bit(long nr, bitword* w, const Loc& loc = Loc::current()) {
  (void)w->fetch_xor(detail::bit(nr, *w, loc), Order::Relaxed, loc);
}
inline bool test_bit(long nr, bitword* w, const Loc& loc = Loc::current()) {
  const unsigned long b = detail::bit(nr, *w, loc);
  return (w->load(Order::Relaxed, loc) & b) != 0;
}
inline bool test_and_set_bit(long nr, bitword* w, const Loc& loc = Loc::current()) {
  const unsigned long b = detail::bit(nr, *w, loc);
  return (w->fetch_or(b, Order::SeqCst, loc) & b) != 0;
}
inline bool test_and_clear_bit(long nr, bitword* w, const Loc& loc = Loc::current()) {
  const unsigned long b = detail::bit(nr, *w, loc);
  return (w->fetch_and(~b, Order::SeqCst, loc) & b) != 0;
}
inline bool test_and_change_bit(long nr, bitword* w, const Loc& loc = Loc::current()) {
  const unsigned long b = detail::bit(nr, *w, loc);
  return (w->fetch_xor(b, Order::SeqCst, loc) & b) != 0;
}
inline bool test_and_set_bit_lock(long nr, bitword* w, const Loc& loc = Loc::current()) {
  const unsigned long b = detail::bit(nr, *w, loc);
  return (w->fetch_or(b, Order::Acquire, loc) & b) != 0;
}
inline void clear_bit_unlock(long nr, bitword* w, const Loc& loc = Loc::current()) {
  (void)w->fetch_and(~detail::bit(nr, *w, loc), Order::Release, loc);
}
// The non-atomic forms, on a plain word: a read and a write that race like any plain access.
inline void __set_bit(long nr, sim::Field<unsigned long>* w, const Loc& loc = Loc::current()) {
  const unsigned long b = detail::bit(nr, *w, loc);
  w->set(w->get(loc) | b, loc);
}
inline void __clear_bit(long nr, sim::Field<unsigned long>* w, const Loc& loc = Loc::current()) {
  const unsigned long b = detail::bit(nr, *w, loc);
  w->set(w->get(loc) & ~b, loc);
}

// --- refcount_t ---------------------------------------------------------------------------
// A misuse the kernel would WARN about and saturate is a violation here: an increment from 0 or
// a decrement below 1 is use-after-free (the object is already on its way to be freed), an
// increment past INT_MAX an assertion.
struct refcount_t : sim::Atomic<int> {
  refcount_t(sim::Execution& x, const std::string& leaf, int init = 1) : sim::Atomic<int>(x, leaf, init) {}
};

namespace detail {
[[noreturn]] inline void refcount_misuse(const refcount_t& r, sim::ViolationKind kind, const char* what, const Loc& loc) {
  r.exec().fail(kind, std::string("refcount_t: ") + what + " (" + r.name() + ")", loc, r.name());
}
[[noreturn]] inline void refcount_after_free(const refcount_t& r, const char* what, const Loc& loc) {
  refcount_misuse(r, sim::ViolationKind::UseAfterFree, what, loc);
}
[[noreturn]] inline void refcount_saturated(const refcount_t& r, const Loc& loc) {
  refcount_misuse(r, sim::ViolationKind::Assertion, "saturated; leaking memory", loc);
}
}  // namespace detail

inline void refcount_set(refcount_t* r, int n, const Loc& loc = Loc::current()) { r->store(n, Order::Relaxed, loc); }
inline unsigned refcount_read(refcount_t* r, const Loc& loc = Loc::current()) {
  return static_cast<unsigned>(r->load(Order::Relaxed, loc));
}
inline void refcount_inc(refcount_t* r, const Loc& loc = Loc::current()) {
  const int old = r->fetch_add(1, Order::Relaxed, loc);
  if (old == 0) detail::refcount_after_free(*r, "addition on 0; use-after-free", loc);
  if (old == INT_MAX) detail::refcount_saturated(*r, loc);
}
// Takes a reference unless the count is 0 (an RCU lookup of an object being freed).
inline bool refcount_inc_not_zero(refcount_t* r, const Loc& loc = Loc::current()) {
  int old = r->load(Order::Relaxed, loc);
  do {
    if (old == 0) return false;
    if (old == INT_MAX) detail::refcount_saturated(*r, loc);
  } while (!r->compare_exchange(old, old + 1, Order::Relaxed, loc));
  return true;
}
// True when this put dropped the last reference: the caller frees the object.
inline bool refcount_dec_and_test(refcount_t* r, const Loc& loc = Loc::current()) {
  const int old = r->fetch_sub(1, Order::Release, loc);
  if (old <= 0) detail::refcount_after_free(*r, "underflow; use-after-free", loc);
  if (old != 1) return false;
  sim::fence(r->exec(), Order::Acquire, loc);  // the last put sees everything the others did
  return true;
}
inline void refcount_dec(refcount_t* r, const Loc& loc = Loc::current()) {
  const int old = r->fetch_sub(1, Order::Release, loc);
  if (old <= 0) detail::refcount_after_free(*r, "underflow; use-after-free", loc);
  if (old == 1) detail::refcount_after_free(*r, "decrement hit 0; leaking memory", loc);
}

// --- kref ---------------------------------------------------------------------------------
// `release` is any callable taking the kref* (the kernel's `void (*)(struct kref *)`, which
// reaches the object with container_of; a model's lambda captures it instead).
struct kref {
  refcount_t refcount;
  kref(sim::Execution& x, const std::string& leaf = "refcount") : refcount(x, leaf, 1) {}
};
inline void kref_init(kref* k, const Loc& loc = Loc::current()) { refcount_set(&k->refcount, 1, loc); }
inline unsigned kref_read(kref* k, const Loc& loc = Loc::current()) { return refcount_read(&k->refcount, loc); }
inline void kref_get(kref* k, const Loc& loc = Loc::current()) { refcount_inc(&k->refcount, loc); }
inline bool kref_get_unless_zero(kref* k, const Loc& loc = Loc::current()) {
  return refcount_inc_not_zero(&k->refcount, loc);
}
// Returns 1 when it released the object.
template <class Release>
int kref_put(kref* k, Release&& release, const Loc& loc = Loc::current()) {
  if (!refcount_dec_and_test(&k->refcount, loc)) return 0;
  release(k);
  return 1;
}

}  // namespace vcpucheck::lnx
