/* vcpucheck's FreeBSD shim: error numbers. */
#ifndef VCPUCHECK_SHIM_SYS_ERRNO_H
#define VCPUCHECK_SHIM_SYS_ERRNO_H
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define ENXIO 6
#define EBADF 9
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define EAGAIN 35
#define EWOULDBLOCK EAGAIN
#endif
