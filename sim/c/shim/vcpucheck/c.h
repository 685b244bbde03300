/* vcpucheck's C interface for model code (not a kernel header).
 *
 * vcpucheck_bug("no-wmb"): whether the scenario enabled that bug switch of the model, so a
 * model's C source can revert one line the way a patch would, without a build per variant.
 * Not a visible operation. */
#ifndef VCPUCHECK_SHIM_VCPUCHECK_C_H
#define VCPUCHECK_SHIM_VCPUCHECK_C_H
#ifdef __cplusplus
extern "C" {
#endif
int vcpucheck_bug(const char *name);
#ifdef __cplusplus
}
#endif
#endif
