/* vcpucheck's Linux shim: the xarray subset KVM uses (kvm->vcpu_array), as sim/linux/xarray.hpp
 * models it: a fixed capacity of VCPUCHECK_XA_SLOTS slots, each a pointer cell. Writers
 * (xa_store, xa_insert, xa_erase, xa_reserve, xa_release) serialize on the array's xa_lock and
 * publish with a release store; readers (xa_load, xa_find, xa_for_each*) take no lock and read a
 * slot with a dependency-ordered load. A reserved slot reads as NULL, yet xa_insert sees it
 * occupied (-EBUSY). An index past the capacity is a model error, never silently absent. Zeroed
 * memory (kzalloc) is an empty xarray; xa_init makes one in kmalloc'd memory. The calls never
 * fail for memory: xa_is_err() is always false. */
#ifndef VCPUCHECK_SHIM_LINUX_XARRAY_H
#define VCPUCHECK_SHIM_LINUX_XARRAY_H
#include <limits.h>
#include "spinlock.h"
#include "types.h"
#ifdef __cplusplus
extern "C" {
#endif
#define VCPUCHECK_XA_SLOTS 64
struct xarray {
	spinlock_t xa_lock;
	unsigned int xa_flags;
	void *xa_slots[VCPUCHECK_XA_SLOTS];
	unsigned char xa_reserved[VCPUCHECK_XA_SLOTS];	/* [xa_lock] */
};
typedef unsigned int xa_mark_t;
#define XA_PRESENT 8U
#define XA_FLAGS_ALLOC 0x2U
#define XA_FLAGS_LOCK_IRQ 0x1U
#define DEFINE_XARRAY(name) struct xarray name = { { 0 }, 0, { 0 }, { 0 } }
void xa_init_flags(struct xarray *xa, unsigned int flags);
void xa_destroy(struct xarray *xa);
void *xa_load(struct xarray *xa, unsigned long index);
void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
void *xa_erase(struct xarray *xa, unsigned long index);
int xa_reserve(struct xarray *xa, unsigned long index, gfp_t gfp);
void xa_release(struct xarray *xa, unsigned long index);
void *xa_find(struct xarray *xa, unsigned long *index, unsigned long max, xa_mark_t filter);
void *xa_find_after(struct xarray *xa, unsigned long *index, unsigned long max, xa_mark_t filter);
#ifdef __cplusplus
}
#endif
#define xa_init(xa) xa_init_flags((xa), 0)
#define xa_lock(xa) spin_lock(&(xa)->xa_lock)
#define xa_unlock(xa) spin_unlock(&(xa)->xa_lock)
#define xa_is_err(entry) ((void)(entry), 0)
#define xa_err(entry) ((void)(entry), 0)
#define xa_for_each_range(xa, index, entry, start, last) \
	for ((index) = (start), (entry) = xa_find((xa), &(index), (last), XA_PRESENT); (entry); \
	     (entry) = xa_find_after((xa), &(index), (last), XA_PRESENT))
#define xa_for_each(xa, index, entry) xa_for_each_range(xa, index, entry, 0, ULONG_MAX)
#endif
