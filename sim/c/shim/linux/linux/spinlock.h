/* vcpucheck's Linux shim: spinlock_t, a spin lock keyed by its address: sleeping while holding
 * one is a violation. The irqsave variants save nothing (no interrupts are modeled). */
#ifndef VCPUCHECK_SHIM_LINUX_SPINLOCK_H
#define VCPUCHECK_SHIM_LINUX_SPINLOCK_H
#include "types.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct { long __vcpucheck_opaque; } spinlock_t;
#define DEFINE_SPINLOCK(name) spinlock_t name = { 0 }
void spin_lock_init(spinlock_t *lock);
void spin_lock(spinlock_t *lock);
int spin_trylock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
#define spin_lock_irqsave(lock, flags) do { (flags) = 0; spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) do { (void)(flags); spin_unlock(lock); } while (0)
#define spin_lock_irq(lock) spin_lock(lock)
#define spin_unlock_irq(lock) spin_unlock(lock)
#ifdef __cplusplus
}
#endif
#endif
