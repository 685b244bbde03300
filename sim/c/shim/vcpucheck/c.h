/* vcpucheck's C interface for model code (not a kernel header).
 *
 * vcpucheck_bug("no-wmb"): whether the scenario enabled that bug switch of the model, so a
 * model's C source can revert one line the way a patch would, without a build per variant.
 * Not a visible operation.
 * Functions a model marks __attribute__((no_sanitize_thread)) are its own checks: their
 * accesses are not visible operations. */
#ifndef VCPUCHECK_SHIM_VCPUCHECK_C_H
#define VCPUCHECK_SHIM_VCPUCHECK_C_H
#ifdef __cplusplus
extern "C" {
#endif
int vcpucheck_bug(const char *name);
/* A use of a value the model does not spell out (vmmops_getreg(vcpu->cookie, ...)): keeps the
 * plain load that produced it. Not a visible operation. */
void vcpucheck_use(unsigned long value);
/* A model's own rule broken: stops the execution with the violation `kind` ("invariant",
 * "locking-rule", ... as scenarios name them) on `object`. */
void vcpucheck_violation(const char *kind, const char *object, const char *message);
/* Whether `p`, a block from the kernel allocator shims, was freed (for end-of-execution
 * checks; not a visible operation). */
int vcpucheck_freed(const void *p);
#ifdef __cplusplus
}
#endif
#endif
