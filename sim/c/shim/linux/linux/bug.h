/* vcpucheck's Linux shim: WARN_ON is a `warning` verdict and the execution goes on; BUG_ON is an
 * assertion that stops it. Both return or test their condition as the kernel's do. */
#ifndef VCPUCHECK_SHIM_LINUX_BUG_H
#define VCPUCHECK_SHIM_LINUX_BUG_H
#ifdef __cplusplus
extern "C" {
#endif
int __vcpucheck_warn_on(int cond, const char *text);
void __vcpucheck_bug_on(int cond, const char *text);
#ifdef __cplusplus
}
#endif
#define WARN_ON(cond) __vcpucheck_warn_on(!!(cond), "WARN_ON(" #cond ")")
#define WARN_ON_ONCE(cond) __vcpucheck_warn_on(!!(cond), "WARN_ON_ONCE(" #cond ")")
#define BUG_ON(cond) __vcpucheck_bug_on(!!(cond), "BUG_ON(" #cond ")")
#define BUG() __vcpucheck_bug_on(1, "BUG()")
#endif
