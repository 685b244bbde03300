#include "models/builtin.hpp"

namespace vcpucheck::models {

void register_builtin_models(Registry& r) {
  register_bench_models(r);
  register_litmus_models(r);
  register_memory_litmus_models(r);
  register_bhyve_models(r);
  register_x86_models(r);
  register_bhyve_ap_models(r);
  register_kvm_models(r);
  register_kvm_ipiv_model(r);
  register_qemu_models(r);
#ifdef VCPUCHECK_C_MODELS
  register_kvm_c_models(r);
  register_bhyve_c_models(r);
  register_bhyve_c_ap_models(r);
#endif
}

}  // namespace vcpucheck::models
