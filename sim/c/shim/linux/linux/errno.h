/* vcpucheck's Linux shim: the kernel's error numbers used as -EINVAL. */
#ifndef VCPUCHECK_SHIM_LINUX_ERRNO_H
#define VCPUCHECK_SHIM_LINUX_ERRNO_H
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28
#endif
