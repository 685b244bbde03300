/* vcpucheck's Linux shim: RCU. One domain per execution (rcu_read_lock, synchronize_rcu,
 * kfree_rcu), as sim/rcu.hpp models it: synchronize_rcu() waits for every read-side section open
 * when it started; blocking inside a section is a violation; kfree_rcu frees the block after a
 * grace period from an internal thread. rcu_dereference is a dependency-ordered load (GCC treats
 * it as acquire), rcu_assign_pointer a release store, both of the pointer itself. call_rcu with
 * an arbitrary callback is not modeled. */
#ifndef VCPUCHECK_SHIM_LINUX_RCUPDATE_H
#define VCPUCHECK_SHIM_LINUX_RCUPDATE_H
#include "compiler.h"
#include "types.h"
#ifdef __cplusplus
extern "C" {
#endif
struct rcu_head { void *__vcpucheck_next; void (*func)(struct rcu_head *head); };
void rcu_read_lock(void);
void rcu_read_unlock(void);
void synchronize_rcu(void);
void __vcpucheck_kfree_rcu(const void *p);
void __vcpucheck_rcu_protected(const void *p, int held, const char *cond);
#ifdef __cplusplus
}
#endif
#ifndef __rcu
#define __rcu
#endif
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_CONSUME)
#define rcu_dereference_raw(p) rcu_dereference(p)
#define rcu_dereference_check(p, c) rcu_dereference(p)
/* The updater's read under the lock its condition names: no ordering; a false condition is
 * lockdep-RCU's "suspicious rcu_dereference_protected() usage" (a warning). */
#define rcu_dereference_protected(p, c) \
	(__vcpucheck_rcu_protected(&(p), !!(c), #c), __atomic_load_n(&(p), __ATOMIC_RELAXED))
#define rcu_access_pointer(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#define synchronize_rcu_expedited() synchronize_rcu()
#define kfree_rcu(p, ...) __vcpucheck_kfree_rcu(p)
#define kvfree_rcu(p, ...) __vcpucheck_kfree_rcu(p)
#define kfree_rcu_mightsleep(p) __vcpucheck_kfree_rcu(p)
#endif
