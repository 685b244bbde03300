/* vcpucheck's FreeBSD shim: KASSERT and panic (an assertion that stops the execution),
 * critical_enter/exit, the sleep queue (msleep, msleep_spin, wakeup, wakeup_one; any address is
 * a wait channel; `timo` in ticks of hz, 0 = forever, EWOULDBLOCK on a timeout), hz; bzero,
 * bcopy, memset, memcpy, memmove, memcmp as visible accesses (vcpucheck/string.h). */
#ifndef VCPUCHECK_SHIM_SYS_SYSTM_H
#define VCPUCHECK_SHIM_SYS_SYSTM_H
#include "errno.h"
#include "types.h"
#include <string.h>
#include "vcpucheck/string.h"
#ifdef __cplusplus
extern "C" {
#endif
struct mtx;
void __vcpucheck_kassert_failed(const char *expr);
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void critical_enter(void);
void critical_exit(void);
int msleep(const void *chan, struct mtx *mtx, int pri, const char *wmesg, int timo);
int msleep_spin(const void *chan, struct mtx *mtx, const char *wmesg, int timo);
void wakeup(const void *chan);
void wakeup_one(const void *chan);
/* vcpucheck's own: msleep_spin with no timeout that may last to the end of the execution without
 * that being a deadlock -- a vCPU halted in HLT waiting for an interrupt (vm_handle_hlt). */
int vcpucheck_msleep_idle(const void *chan, struct mtx *mtx, const char *wmesg);
#ifdef __cplusplus
}
#endif
#define bzero(p, n) ((void)__vcpucheck_memset((p), 0, (n)))
#define bcopy(s, d, n) ((void)__vcpucheck_memmove((d), (s), (n)))
#define memset(p, c, n) __vcpucheck_memset((p), (c), (n))
#define memcpy(d, s, n) __vcpucheck_memcpy((d), (s), (n))
#define memmove(d, s, n) __vcpucheck_memmove((d), (s), (n))
#define memcmp(a, b, n) __vcpucheck_memcmp((a), (b), (n))
#define hz 1000
#define PDROP 0x200
#define PCATCH 0x100
#define KASSERT(exp, msg) do { if (__builtin_expect(!(exp), 0)) __vcpucheck_kassert_failed(#exp); } while (0)
#define MPASS(exp) KASSERT(exp, ("Assertion %s failed", #exp))
#endif
