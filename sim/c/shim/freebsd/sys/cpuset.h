/* vcpucheck's FreeBSD shim: cpuset_t (up to 64 CPUs). The plain macros are plain accesses, the
 * _ATOMIC ones atomic read-modify-writes, as in the kernel. */
#ifndef VCPUCHECK_SHIM_SYS_CPUSET_H
#define VCPUCHECK_SHIM_SYS_CPUSET_H
#include "types.h"
typedef struct { unsigned long __bits[1]; } cpuset_t;
#define CPU_SETSIZE 64
#define CPU_ZERO(p) ((p)->__bits[0] = 0)
#define CPU_SET(n, p) ((p)->__bits[0] |= 1UL << (n))
#define CPU_CLR(n, p) ((p)->__bits[0] &= ~(1UL << (n)))
#define CPU_ISSET(n, p) (((p)->__bits[0] & (1UL << (n))) != 0)
#define CPU_EMPTY(p) ((p)->__bits[0] == 0)
#define CPU_FFS(p) __builtin_ffsl((long)(p)->__bits[0])
#define CPU_COUNT(p) __builtin_popcountl((p)->__bits[0])
#define CPU_SET_ATOMIC(n, p) ((void)__atomic_fetch_or(&(p)->__bits[0], 1UL << (n), __ATOMIC_RELAXED))
#define CPU_CLR_ATOMIC(n, p) ((void)__atomic_fetch_and(&(p)->__bits[0], ~(1UL << (n)), __ATOMIC_RELAXED))
#endif
