/* vcpucheck's Linux shim: what most kernel files get from linux/kernel.h. */
#ifndef VCPUCHECK_SHIM_LINUX_KERNEL_H
#define VCPUCHECK_SHIM_LINUX_KERNEL_H
#include "bug.h"
#include "compiler.h"
#include "errno.h"
#include "string.h"
#include "types.h"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#endif
