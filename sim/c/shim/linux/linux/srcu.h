/* vcpucheck's Linux shim: SRCU. A struct srcu_struct is a sleepable RCU domain keyed by its
 * address (inside a kmalloc'd struct, or a registered global): its readers may sleep, and
 * synchronize_srcu() waits only for its own readers' sections open when it started. */
#ifndef VCPUCHECK_SHIM_LINUX_SRCU_H
#define VCPUCHECK_SHIM_LINUX_SRCU_H
#include "rcupdate.h"
#ifdef __cplusplus
extern "C" {
#endif
struct srcu_struct { long __vcpucheck_opaque; };
#define DEFINE_SRCU(name) struct srcu_struct name = { 0 }
#define DEFINE_STATIC_SRCU(name) static struct srcu_struct name = { 0 }
int init_srcu_struct(struct srcu_struct *ssp);
void cleanup_srcu_struct(struct srcu_struct *ssp);
int srcu_read_lock(struct srcu_struct *ssp);
void srcu_read_unlock(struct srcu_struct *ssp, int idx);
void synchronize_srcu(struct srcu_struct *ssp);
#ifdef __cplusplus
}
#endif
#define synchronize_srcu_expedited(ssp) synchronize_srcu(ssp)
#define srcu_dereference(p, ssp) __atomic_load_n(&(p), __ATOMIC_CONSUME)
#define srcu_dereference_check(p, ssp, c) srcu_dereference(p, ssp)
#endif
