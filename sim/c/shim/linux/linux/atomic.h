/* vcpucheck's Linux shim: atomic_t. Every operation is one visible atomic access with the
 * kernel's ordering: atomic_read/atomic_set/atomic_inc/atomic_dec are relaxed; the ones that
 * return a value (atomic_inc_return, atomic_dec_and_test, atomic_cmpxchg, atomic_xchg) are fully
 * ordered. */
#ifndef VCPUCHECK_SHIM_LINUX_ATOMIC_H
#define VCPUCHECK_SHIM_LINUX_ATOMIC_H
#include "compiler.h"
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
#define ATOMIC_INIT(i) { (i) }
static inline int atomic_read(const atomic_t *v) { return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }
static inline void atomic_set(atomic_t *v, int i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }
static inline void atomic_inc(atomic_t *v) { (void)__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED); }
static inline void atomic_dec(atomic_t *v) { (void)__atomic_fetch_sub(&v->counter, 1, __ATOMIC_RELAXED); }
static inline void atomic_add(int i, atomic_t *v) { (void)__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); }
static inline void atomic_sub(int i, atomic_t *v) { (void)__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); }
static inline int atomic_inc_return(atomic_t *v) { return __atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST); }
static inline int atomic_dec_return(atomic_t *v) { return __atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST); }
static inline bool atomic_dec_and_test(atomic_t *v) { return __atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST) == 0; }
static inline int atomic_xchg(atomic_t *v, int n) { return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST); }
static inline int atomic_cmpxchg(atomic_t *v, int old, int n) {
  __atomic_compare_exchange_n(&v->counter, &old, n, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return old;
}
static inline long atomic_long_read(const atomic_long_t *v) { return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }
static inline void atomic_long_set(atomic_long_t *v, long i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }
static inline void atomic_long_inc(atomic_long_t *v) { (void)__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED); }
#endif
