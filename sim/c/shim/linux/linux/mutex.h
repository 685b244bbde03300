/* vcpucheck's Linux shim: struct mutex, a sleeping lock keyed by its address (inside a
 * kmalloc'd struct or a global): lockdep-style lock-order, deadlock and may-sleep checks apply. */
#ifndef VCPUCHECK_SHIM_LINUX_MUTEX_H
#define VCPUCHECK_SHIM_LINUX_MUTEX_H
#include "types.h"
#ifdef __cplusplus
extern "C" {
#endif
struct mutex { long __vcpucheck_opaque; };
#define DEFINE_MUTEX(name) struct mutex name = { 0 }
void mutex_init(struct mutex *lock);
void mutex_lock(struct mutex *lock);
int mutex_lock_killable(struct mutex *lock);
int mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
bool mutex_is_locked(struct mutex *lock);
#define mutex_destroy(lock) ((void)(lock))
#define lockdep_assert_held(lock) __vcpucheck_lockdep_assert_held(lock)
void __vcpucheck_lockdep_assert_held(const void *lock);
#define lockdep_is_held(lock) __vcpucheck_lockdep_is_held(lock)
int __vcpucheck_lockdep_is_held(const void *lock);
#ifdef __cplusplus
}
#endif
#endif
