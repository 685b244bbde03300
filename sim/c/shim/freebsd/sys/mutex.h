/* vcpucheck's FreeBSD shim: mtx(9). A sleep mutex, or with MTX_SPIN a spin mutex (holding one is
 * a critical section: sleeping there is a violation), keyed by its address; mtx_init sets the
 * kind, and a lock call of the other kind is a model error, as it panics under INVARIANTS. */
#ifndef VCPUCHECK_SHIM_SYS_MUTEX_H
#define VCPUCHECK_SHIM_SYS_MUTEX_H
#include "lock.h"
/* mtx_init, mtx_lock, mtx_unlock, mtx_trylock and mtx_destroy are also C11's <threads.h>
 * functions in the C library: the shim's are named __vcpucheck_mtx_* and these macros map the
 * kernel's names onto them. */
#define mtx_init __vcpucheck_mtx_init
#define mtx_destroy __vcpucheck_mtx_destroy
#define mtx_lock __vcpucheck_mtx_lock
#define mtx_unlock __vcpucheck_mtx_unlock
#define mtx_lock_spin __vcpucheck_mtx_lock_spin
#define mtx_unlock_spin __vcpucheck_mtx_unlock_spin
#define mtx_trylock __vcpucheck_mtx_trylock
#define mtx_owned __vcpucheck_mtx_owned
#define mtx_assert __vcpucheck_mtx_assert
#ifdef __cplusplus
extern "C" {
#endif
struct mtx { long __vcpucheck_opaque[4]; };
#define MTX_DEF 0x0
#define MTX_SPIN 0x1
#define MA_OWNED 0x1
#define MA_NOTOWNED 0x0
void mtx_init(struct mtx *m, const char *name, const char *type, int opts);
void mtx_destroy(struct mtx *m);
void mtx_lock(struct mtx *m);
void mtx_unlock(struct mtx *m);
void mtx_lock_spin(struct mtx *m);
void mtx_unlock_spin(struct mtx *m);
int mtx_trylock(struct mtx *m);
int mtx_owned(struct mtx *m);
void mtx_assert(struct mtx *m, int what);
#ifdef __cplusplus
}
#endif
#endif
