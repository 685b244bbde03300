/* vcpucheck's FreeBSD shim: sx(9), a shared/exclusive sleepable lock keyed by its address. */
#ifndef VCPUCHECK_SHIM_SYS_SX_H
#define VCPUCHECK_SHIM_SYS_SX_H
#include "lock.h"
#ifdef __cplusplus
extern "C" {
#endif
struct sx { long __vcpucheck_opaque[4]; };
#define SA_UNLOCKED 0x0
#define SA_LOCKED 0x1
#define SA_SLOCKED 0x2
#define SA_XLOCKED 0x4
void sx_init(struct sx *s, const char *name);
void sx_destroy(struct sx *s);
void sx_xlock(struct sx *s);
void sx_xunlock(struct sx *s);
void sx_slock(struct sx *s);
void sx_sunlock(struct sx *s);
void sx_unlock(struct sx *s);
int sx_try_xlock(struct sx *s);
int sx_xlocked(struct sx *s);
void sx_assert(struct sx *s, int what);
#ifdef __cplusplus
}
#endif
#endif
