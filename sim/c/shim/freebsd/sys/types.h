/* vcpucheck's FreeBSD shim: the kernel's basic types. */
#ifndef VCPUCHECK_SHIM_SYS_TYPES_H
#define VCPUCHECK_SHIM_SYS_TYPES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef unsigned char u_char;
typedef unsigned short u_short;
typedef unsigned int u_int;
typedef unsigned long u_long;
typedef uint64_t vm_paddr_t;
#endif
