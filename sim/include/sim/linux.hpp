// The Linux kernel's vocabulary over vcpucheck's primitives, so a model line reads like the kernel
// line it models:
//
//   mutex_lock(&kvm->lock);
//   if (WARN_ON(xa_load(&kvm->vcpu_array, id))) { mutex_unlock(&kvm->lock); return -EEXIST; }
//   r = xa_insert(&kvm->vcpu_array, id, vcpu, GFP_KERNEL_ACCOUNT);
//   atomic_inc(&kvm->online_vcpus);
//
// Everything is in namespace vcpucheck::lnx (`linux` is a predefined macro in GNU C++); each
// part documents the ordering its calls imply:
//   sim/linux/compiler.hpp  READ_ONCE, WRITE_ONCE, data_race, smp_* barriers, WARN_ON, BUG_ON, cond_resched
//   sim/linux/atomic.hpp    atomic_t, atomic_long_t, bitops, refcount_t, kref
//   sim/linux/locking.hpp   mutex, spinlock_t, rw_semaphore, completion, wait queues, SRCU
//   sim/linux/xarray.hpp    xa_load, xa_store, xa_insert, xa_erase, xa_reserve, xa_for_each_range
//   sim/linux/file.hpp      anon_inode_getfd, get_unused_fd_flags, fd_install, fdget, fput, close_fd
// and this file: the kernel-wide state (the RCU domain of rcu_read_lock, the process's fd table)
// and kzalloc/kfree.
//
// A model that uses rcu_read_lock(), synchronize_rcu(), kfree_rcu() or the fd table declares one
// lnx::Kernel among its shared state (`lnx::Kernel kernel{x};`), before any thread runs.
#pragma once
#include <cerrno>
#include <string>
#include <string_view>

#include "sim/heap.hpp"
#include "sim/linux/atomic.hpp"
#include "sim/linux/compiler.hpp"
#include "sim/linux/file.hpp"
#include "sim/linux/locking.hpp"
#include "sim/linux/xarray.hpp"
#include "sim/rcu.hpp"

namespace vcpucheck::lnx {

// The kernel-wide state a model's calls share.
class Kernel {
 public:
  explicit Kernel(sim::Execution& x, size_t max_fds = 16);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  sim::Rcu rcu;
  files_struct files;
  // The execution's Kernel; a ModelError naming `what` when the model declared none.
  static Kernel& of(sim::Execution& x, const char* what, const Loc& loc);

 private:
  sim::Execution& x_;
};

inline void rcu_read_lock(const Loc& loc = Loc::current()) {
  Kernel::of(sim::current_execution(), "rcu_read_lock", loc).rcu.read_lock(loc);
}
inline void rcu_read_unlock(const Loc& loc = Loc::current()) {
  Kernel::of(sim::current_execution(), "rcu_read_unlock", loc).rcu.read_unlock(loc);
}
inline void synchronize_rcu(const Loc& loc = Loc::current()) {
  Kernel::of(sim::current_execution(), "synchronize_rcu", loc).rcu.synchronize(loc);
}
// rcu_dereference / rcu_assign_pointer on a pointer cell: a dependency-ordered load, a release store.
template <class T>
Ptr<T> rcu_dereference(sim::Atomic<Ptr<T>>& p, const Loc& loc = Loc::current()) {
  return p.load(Order::Consume, loc);
}
template <class T>
void rcu_assign_pointer(sim::Atomic<Ptr<T>>& p, const Ptr<T>& v, const Loc& loc = Loc::current()) {
  p.store(v, Order::Release, loc);
}
// The updater's read with the lock that excludes other updaters held (`held`: the kernel's
// lockdep expression, e.g. lockdep_is_held(&kvm->lock)): no ordering, no RCU section. A false
// condition is lockdep-RCU's "suspicious rcu_dereference_protected() usage": a warning.
template <class T>
Ptr<T> rcu_dereference_protected(sim::Atomic<Ptr<T>>& p, bool held, const Loc& loc = Loc::current()) {
  if (!held) sim::current_execution().warn("suspicious rcu_dereference_protected() usage of " + p.name() + ": the lock it names is not held", loc);
  return p.load(Order::Relaxed, loc);
}
// The pointer's value, not to be dereferenced (a comparison, or an updater's read): no ordering.
template <class T>
Ptr<T> rcu_access_pointer(sim::Atomic<Ptr<T>>& p, const Loc& loc = Loc::current()) {
  return p.load(Order::Relaxed, loc);
}
template <class T>
void RCU_INIT_POINTER(sim::Atomic<Ptr<T>>& p, const Ptr<T>& v, const Loc& loc = Loc::current()) {
  p.store(v, Order::Relaxed, loc);
}

// --- slab ---------------------------------------------------------------------------------
namespace detail {
template <class T>
std::string type_name() {
  std::string_view f = __PRETTY_FUNCTION__;  // "... [with T = ns::kvm_vcpu; ...]"
  const size_t at = f.find("T = ") + 4;
  std::string_view t = f.substr(at, f.find_first_of(";]", at) - at);
  const size_t colon = t.rfind("::");
  if (colon != std::string_view::npos) t = t.substr(colon + 2);
  return std::string(t);
}
}  // namespace detail

// The allocation flags of kzalloc/kmalloc, converted at the call so the block records its line.
struct Gfp {
  gfp_t flags;
  Loc loc;
  Gfp(gfp_t f, const Loc& l = Loc::current()) : flags(f), loc(l) {}
};

// A new block named after its type ("kvm_vcpu"), its fields built by T(x, args...). kmalloc is
// kzalloc here: what a field holds before its first write is its declaration's (`uninit` makes
// a read before any write use-before-init, as KMSAN would report).
template <class T, class... Args>
Ptr<T> kzalloc(Gfp gfp, Args&&... args) {
  return sim::heap_alloc<T>(sim::current_execution(), sim::Named{detail::type_name<T>(), gfp.loc},
                            std::forward<Args>(args)...);
}
template <class T, class... Args>
Ptr<T> kmalloc(Gfp gfp, Args&&... args) {
  return sim::heap_alloc<T>(sim::current_execution(), sim::Named{detail::type_name<T>(), gfp.loc},
                            std::forward<Args>(args)...);
}
template <class T>
void kfree(const Ptr<T>& p, const Loc& loc = Loc::current()) {
  sim::heap_free(sim::current_execution(), p, loc);
}
template <class T>
void kvfree(const Ptr<T>& p, const Loc& loc = Loc::current()) {
  sim::heap_free(sim::current_execution(), p, loc);
}
// Frees after a grace period of the kernel's RCU domain.
template <class T>
void kfree_rcu(const Ptr<T>& p, const Loc& loc = Loc::current()) {
  Kernel::of(sim::current_execution(), "kfree_rcu", loc).rcu.call_rcu_free(p, loc);
}

}  // namespace vcpucheck::lnx
