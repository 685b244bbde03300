/* vcpucheck's FreeBSD shim: sys/param.h brings the basic types. */
#ifndef VCPUCHECK_SHIM_SYS_PARAM_H
#define VCPUCHECK_SHIM_SYS_PARAM_H
#include "types.h"
#define MAXCPU 64
#define nitems(x) (sizeof((x)) / sizeof((x)[0]))
#endif
