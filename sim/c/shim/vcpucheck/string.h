/* vcpucheck's memory functions for the kernel shims (linux/string.h, sys/systm.h): GCC expands
 * memset/memcpy with a constant size inline and calls libc for a variable one, without a hook
 * either way, so the shims map the calls here. Each is a visible access of every object of
 * vcpucheck's memory the range overlaps -- the source's bytes read, then the destination's
 * written, as a struct copy is -- and then the copy itself. Not for direct use. */
#ifndef VCPUCHECK_SHIM_VCPUCHECK_STRING_H
#define VCPUCHECK_SHIM_VCPUCHECK_STRING_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void *__vcpucheck_memset(void *p, int c, size_t n);
void *__vcpucheck_memcpy(void *dst, const void *src, size_t n);
void *__vcpucheck_memmove(void *dst, const void *src, size_t n);
int __vcpucheck_memcmp(const void *a, const void *b, size_t n);
#ifdef __cplusplus
}
#endif
#endif
