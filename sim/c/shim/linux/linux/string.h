/* vcpucheck's Linux shim: memset, memcpy, memmove, memcmp and memzero_explicit as visible
 * accesses of the memory they touch (vcpucheck/string.h). */
#ifndef VCPUCHECK_SHIM_LINUX_STRING_H
#define VCPUCHECK_SHIM_LINUX_STRING_H
#include <string.h>
#include "vcpucheck/string.h"
#define memset(p, c, n) __vcpucheck_memset((p), (c), (n))
#define memcpy(d, s, n) __vcpucheck_memcpy((d), (s), (n))
#define memmove(d, s, n) __vcpucheck_memmove((d), (s), (n))
#define memcmp(a, b, n) __vcpucheck_memcmp((a), (b), (n))
#define memzero_explicit(p, n) ((void)__vcpucheck_memset((p), 0, (n)))
#endif
