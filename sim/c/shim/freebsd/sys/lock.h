/* vcpucheck's FreeBSD shim: sys/lock.h (the lock types come with sys/mutex.h and sys/sx.h). */
#ifndef VCPUCHECK_SHIM_SYS_LOCK_H
#define VCPUCHECK_SHIM_SYS_LOCK_H
#include "types.h"
#endif
