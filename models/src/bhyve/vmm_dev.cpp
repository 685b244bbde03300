// sys/amd64/vmm/vmm_dev.c, as of 98568a005a19: locking one or all vCPUs around ioctls, the ioctl
// shapes that matter for the vCPU lifecycle, and destroy.
#include "bhyve/vmm.hpp"

namespace vcpucheck::models::bhyve {

// The cdev's in-flight ioctl reference (devfs' si_threadcount): destroy_dev() waits for it.
bool devfs_enter(Vm& vm) {
  sx_slock(&vm.dev_ref);
  if (vm.cdev_gone.get()) {
    sx_sunlock(&vm.dev_ref);
    return false;
  }
  return true;
}

void devfs_exit(Vm& vm) { sx_sunlock(&vm.dev_ref); }

int vcpu_lock_one(Vcpu& v) { return vcpu_set_state(v, VCPU_FROZEN, true); }

void vcpu_unlock_one(Vm& vm, int vcpuid, Vcpu& v) {
  const int state = vcpu_get_state(v);
  if (state != VCPU_FROZEN)
    sim::panic(vm.x, "vcpu vm(" + std::to_string(vcpuid) + ") has invalid state " + std::to_string(state) + " (" +
                         vcpu_state_name(state) + ")");
  vcpu_set_state(v, VCPU_IDLE, false);
}

int vcpu_lock_all(Vm& vm) {
  if (!vm.bug.lockall_no_sx) vm_slock_vcpus(vm);
  int error = 0;
  int i;
  for (i = 0; i < vm.maxcpus; ++i) {
    Ptr<Vcpu> v = vm_vcpu(vm, i);
    if (!v) continue;
    error = vcpu_lock_one(*v);
    if (error) break;
  }
  if (error) {
    while (--i >= 0) {
      Ptr<Vcpu> v = vm_vcpu(vm, i);
      if (!v) continue;
      vcpu_unlock_one(vm, i, *v);
    }
    if (!vm.bug.lockall_no_sx) vm_unlock_vcpus(vm);
  }
  return error;
}

void vcpu_unlock_all(Vm& vm) {
  for (int i = 0; i < vm.maxcpus; ++i) {
    Ptr<Vcpu> v = vm_vcpu(vm, i);
    if (!v) continue;
    vcpu_unlock_one(vm, i, *v);
  }
  if (!vm.bug.lockall_no_sx) vm_unlock_vcpus(vm);
}

int ioctl_vcpu(Vm& vm, int vcpuid, bool read_mem_maps) {
  return with_vcpu_locked(vm, vcpuid, [&](Vcpu& v) {
    if (read_mem_maps)
      (void)mem_maps_read(vm);  // VM_MMAP_GETNEXT: [v] read with this vCPU frozen
    else
      (void)v.cookie.get();     // VM_GET_REGISTER: vmmops_getreg(vcpu->cookie, ...)
    return 0;
  });
}

int ioctl_run(Vm& vm, int vcpuid) {
  return with_vcpu_locked(vm, vcpuid, [&](Vcpu& v) { return vm_run(vm, v); });
}

int ioctl_mmap_memseg(Vm& vm, uint64_t map) {
  return with_all_locked(vm, [&] {
    mem_maps_write(vm, map);  // vm_mmap_memseg(): writes [v] state
    return 0;
  });
}

int ioctl_snapshot(Vm& vm) {
  return with_all_locked(vm, [&] { return vm_snapshot_vcpus(vm); });
}

void vmmdev_destroy(Vm& vm) {
  if (vm.bug.destroy_freezes_early) {
    // Freeze first, without the sx, and only then stop creation.
    for (int i = 0; i < vm.maxcpus; ++i) {
      Ptr<Vcpu> v = vm_vcpu(vm, i);
      if (!v) continue;
      vcpu_lock_one(*v);
    }
    vm_disable_vcpu_creation(vm);
  } else {
    vm_disable_vcpu_creation(vm);
    int error = vcpu_lock_all(vm);
    sim::kassert(vm.x, error == 0, "vmmdev_destroy: error " + std::to_string(error) + " freezing vcpus");
    if (!vm.bug.lockall_no_sx) vm_unlock_vcpus(vm);  // drop the sx, leave every vCPU frozen
  }
  vm_cleanup(vm);  // vm_destroy() -> vm_cleanup(vm, true)
  vm.destroyed = true;
}

void sysctl_vmm_destroy(Vm& vm, bool drain) {
  if (drain) {
    // destroy_dev(): the cdev goes away once every in-flight ioctl has left.
    sx_xlock(&vm.dev_ref);
    vm.cdev_gone.set(true);
    sx_xunlock(&vm.dev_ref);
  }
  vmmdev_destroy(vm);
}

Ptr<Vcpu> kernel_alloc_vcpu(Vm& vm, int vcpuid) { return vm_alloc_vcpu(vm, vcpuid); }

}  // namespace vcpucheck::models::bhyve
