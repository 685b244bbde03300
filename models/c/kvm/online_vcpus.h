/* kvm-c.online-vcpus: the C entry points the harness calls (online_vcpus.c). */
#ifndef VCPUCHECK_MODELS_C_KVM_ONLINE_VCPUS_H
#define VCPUCHECK_MODELS_C_KVM_ONLINE_VCPUS_H
#ifdef __cplusplus
extern "C" {
#endif
struct kvm;
struct kvm_vcpu;
struct kvm *kvm_create_vm(int max_vcpus);
int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, int id);
struct kvm_vcpu *kvm_get_vcpu(struct kvm *kvm, int i);
int kvm_vcpu_id(struct kvm_vcpu *vcpu);
int kvm_for_each_vcpu_touch(struct kvm *kvm);
int kvm_online_vcpus(struct kvm *kvm);   /* for the end-state invariant */
int kvm_created_vcpus(struct kvm *kvm);
#ifdef __cplusplus
}
#endif
#endif
