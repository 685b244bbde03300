/* vcpucheck's Linux shim: marked accesses and barriers.
 * READ_ONCE/WRITE_ONCE are volatile accesses, which the instrumentation reports as marked
 * accesses (KCSAN's rule: not a data race with another marked access; relaxed ordering).
 * smp_wmb/smp_rmb/smp_mb are release/acquire/full fences, as sim/linux/compiler.hpp's. */
#ifndef VCPUCHECK_SHIM_LINUX_COMPILER_H
#define VCPUCHECK_SHIM_LINUX_COMPILER_H
#include "types.h"
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)
#define data_race(expr) (expr)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_mb__before_atomic() smp_mb()
#define smp_mb__after_atomic() smp_mb()
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
