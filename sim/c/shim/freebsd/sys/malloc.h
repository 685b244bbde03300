/* vcpucheck's FreeBSD shim: malloc(9). Blocks are vcpucheck's memory (see linux/slab.h): without
 * M_ZERO the bytes are uninitialized; M_WAITOK may sleep, a violation under a spin mutex or in a
 * critical section. malloc and free are macros (the C library's names stay the C library's). */
#ifndef VCPUCHECK_SHIM_SYS_MALLOC_H
#define VCPUCHECK_SHIM_SYS_MALLOC_H
#include "types.h"
#ifdef __cplusplus
extern "C" {
#endif
struct malloc_type { const char *ks_shortdesc; };
#define M_NOWAIT 0x0001
#define M_WAITOK 0x0002
#define M_ZERO 0x0100
#define MALLOC_DEFINE(type, shortdesc, longdesc) struct malloc_type type[1] = { { shortdesc } }
#define MALLOC_DECLARE(type) extern struct malloc_type type[1]
void *__vcpucheck_malloc(size_t size, struct malloc_type *type, int flags);
void __vcpucheck_free(void *p, struct malloc_type *type);
#ifdef __cplusplus
}
#endif
#define malloc(size, type, flags) __vcpucheck_malloc((size), (type), (flags))
#define free(p, type) __vcpucheck_free((p), (type))
#endif
