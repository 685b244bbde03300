/* vcpucheck's Linux shim: the slab allocator. Blocks are vcpucheck's memory: every access to
 * them is a visible operation, named after the allocation site. kmalloc'd bytes are
 * uninitialized (a read no write happens before is use-before-init, as KMSAN reports); kzalloc'd
 * ones are zero. A freed block stays readable: a later access is use-after-free. */
#ifndef VCPUCHECK_SHIM_LINUX_SLAB_H
#define VCPUCHECK_SHIM_LINUX_SLAB_H
#include "types.h"
#ifdef __cplusplus
extern "C" {
#endif
#define GFP_KERNEL 0x0cc0u
#define GFP_KERNEL_ACCOUNT 0x400cc0u
#define GFP_ATOMIC 0x0820u
#define __GFP_ZERO 0x100u
void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void *kcalloc(size_t n, size_t size, gfp_t flags);
void kfree(const void *p);
#define kvfree(p) kfree(p)
#define kvzalloc(size, flags) kzalloc(size, flags)
#ifdef __cplusplus
}
#endif
#endif
