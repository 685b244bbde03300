// The vCPU fd protocol in the kernel's own words (see vcpu_fd.hpp).
#include "vcpu_fd.hpp"

namespace vcpu_fd {

namespace {
int kvm_vcpu_release(struct kvm* kvm, inode*, file* filp) {
  Ptr<kvm_vcpu> vcpu = private_data<kvm_vcpu>(filp);
  mutex_lock(&kvm->lock);
  (void)xa_erase(&kvm->vcpu_array, static_cast<unsigned long>(READ_ONCE(vcpu->vcpu_id)));
  atomic_dec(&kvm->online_vcpus);
  mutex_unlock(&kvm->lock);
  kfree_rcu(vcpu);  // kvm_get_vcpu() readers may still hold it under rcu_read_lock()
  return 0;
}
}  // namespace

kvm::kvm(sim::Execution& x, bool bug)
    : kernel(x, 4), lock(x, "kvm.lock"), online_vcpus(x, "kvm.online_vcpus", 0), vcpu_array(x, "kvm.vcpu_array", 4),
      fd_before_init(bug) {
  vcpu_fops.release = [this](inode* i, file* f) { return kvm_vcpu_release(this, i, f); };
}

int kvm_vm_ioctl_create_vcpu(struct kvm* kvm, int id) {
  Ptr<kvm_vcpu> vcpu = kzalloc<kvm_vcpu>(GFP_KERNEL_ACCOUNT);
  int fd = -1;
  if (kvm->fd_before_init) fd = anon_inode_getfd("kvm-vcpu", &kvm->vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
  mutex_lock(&kvm->lock);
  WRITE_ONCE(vcpu->vcpu_id, id);
  WRITE_ONCE(vcpu->mode, 0);  // OUTSIDE_GUEST_MODE
  if (WARN_ON(xa_insert(&kvm->vcpu_array, static_cast<unsigned long>(id), vcpu, GFP_KERNEL_ACCOUNT) != 0)) {
    mutex_unlock(&kvm->lock);
    return -EEXIST;
  }
  atomic_inc(&kvm->online_vcpus);
  mutex_unlock(&kvm->lock);
  if (!kvm->fd_before_init) fd = anon_inode_getfd("kvm-vcpu", &kvm->vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
  return fd;
}

// KVM_RUN, reduced to what the race needs: the vCPU's state through its fd.
long kvm_vcpu_ioctl(struct kvm*, unsigned n) {
  struct fd f = fdget(n);
  if (!f.file) return -EBADF;
  Ptr<kvm_vcpu> vcpu = private_data<kvm_vcpu>(f.file);
  long r = READ_ONCE(vcpu->vcpu_id);
  WRITE_ONCE(vcpu->mode, 1);  // IN_GUEST_MODE
  fdput(f);
  return r;
}

int vcpu_close(unsigned fd) { return close_fd(fd); }

}  // namespace vcpu_fd
