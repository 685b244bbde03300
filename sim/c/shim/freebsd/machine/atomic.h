/* vcpucheck's FreeBSD shim: atomic(9) for int and long (on u_int and u_long, as atomic(9) has them), 32, 64 and pointers. Plain forms are relaxed, _acq
 * loads acquire, _rel stores release; each is one visible atomic access. */
#ifndef VCPUCHECK_SHIM_MACHINE_ATOMIC_H
#define VCPUCHECK_SHIM_MACHINE_ATOMIC_H
#include "../sys/types.h"
#define VCPUCHECK_ATOMIC_FAMILY(T, N)                                                                        \
  static inline T atomic_load_##N(volatile T *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }            \
  static inline T atomic_load_acq_##N(volatile T *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }        \
  static inline void atomic_store_##N(volatile T *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }      \
  static inline void atomic_store_rel_##N(volatile T *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }  \
  static inline void atomic_add_##N(volatile T *p, T v) { (void)__atomic_fetch_add(p, v, __ATOMIC_RELAXED); } \
  static inline void atomic_subtract_##N(volatile T *p, T v) { (void)__atomic_fetch_sub(p, v, __ATOMIC_RELAXED); } \
  static inline void atomic_set_##N(volatile T *p, T v) { (void)__atomic_fetch_or(p, v, __ATOMIC_RELAXED); }  \
  static inline void atomic_clear_##N(volatile T *p, T v) { (void)__atomic_fetch_and(p, ~v, __ATOMIC_RELAXED); } \
  static inline T atomic_fetchadd_##N(volatile T *p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); } \
  static inline T atomic_readandclear_##N(volatile T *p) { return __atomic_exchange_n(p, 0, __ATOMIC_SEQ_CST); } \
  static inline int atomic_cmpset_##N(volatile T *p, T old, T v) {                                           \
    return __atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);               \
  }                                                                                                          \
  static inline int atomic_cmpset_acq_##N(volatile T *p, T old, T v) {                                       \
    return __atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);               \
  }                                                                                                          \
  static inline int atomic_cmpset_rel_##N(volatile T *p, T old, T v) {                                       \
    return __atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);               \
  }
VCPUCHECK_ATOMIC_FAMILY(u_int, int)
VCPUCHECK_ATOMIC_FAMILY(u_int, 32)
VCPUCHECK_ATOMIC_FAMILY(u_long, long)
VCPUCHECK_ATOMIC_FAMILY(uint64_t, 64)
#undef VCPUCHECK_ATOMIC_FAMILY
/* Pointers: bhyve publishes a vCPU with atomic_store_rel_ptr and looks it up with
 * atomic_load_ptr (an address-dependency-ordered load: consume). */
#define atomic_load_ptr(p) __atomic_load_n((p), __ATOMIC_CONSUME)
#define atomic_load_acq_ptr(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store_ptr(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define atomic_store_rel_ptr(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_thread_fence_acq() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define atomic_thread_fence_rel() __atomic_thread_fence(__ATOMIC_RELEASE)
#define atomic_thread_fence_seq_cst() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
