// A KVM-style vCPU file descriptor, written only with sim/linux.hpp: KVM_CREATE_VCPU makes a
// vCPU and returns its fd; a vCPU ioctl reaches the vCPU through the fd; close() drops the file,
// whose release removes the vCPU from the VM and frees it after a grace period.
//
// The bug (switch "fd-before-init"): the fd is installed before the vCPU is initialized and
// published. From fd_install on, any thread of the process can use the fd -- an ioctl that reads
// the vCPU before its initialization, or a close() that frees it while KVM_CREATE_VCPU still
// writes it. The fix is the kernel's rule: fd_install is the last step, after which nothing may fail.
#pragma once
#include <sim/linux.hpp>

namespace vcpu_fd {

using namespace vcpucheck;
using namespace vcpucheck::lnx;

struct kvm_vcpu {
  sim::Field<int> vcpu_id;
  sim::Field<int> mode;
  // kzalloc: vcpu_id starts at 0; mode is set before the vCPU is used.
  explicit kvm_vcpu(sim::Execution& x) : vcpu_id(x, "vcpu_id", 0), mode(x, "mode", sim::uninit) {}
};

struct kvm {
  Kernel kernel;
  mutex lock;
  atomic_t online_vcpus;
  xarray<kvm_vcpu> vcpu_array;
  file_operations vcpu_fops;
  bool fd_before_init = false;
  kvm(sim::Execution& x, bool bug);
};

int kvm_vm_ioctl_create_vcpu(kvm* kvm, int id);
long kvm_vcpu_ioctl(kvm* kvm, unsigned fd);
int vcpu_close(unsigned fd);

}  // namespace vcpu_fd
