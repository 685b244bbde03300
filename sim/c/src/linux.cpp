// The C side of vcpucheck's Linux shim (sim/c/shim/linux): each kernel call maps one to one onto
// the primitive the C++ vocabulary (sim/linux.hpp) uses, located at the C caller's line.
#include <stdexcept>

#include "shim.hpp"
#include "sim/sync.hpp"

// The shim's own prototypes (by path: the shim directory is not on this file's include path,
// where its linux/errno.h would shadow the C library's).
#include "../shim/linux/linux/bug.h"
#include "../shim/linux/linux/mutex.h"
#include "../shim/linux/linux/slab.h"
#include "../shim/linux/linux/spinlock.h"

using vcpucheck::sim::Loc;
using vcpucheck::sim::Execution;
using vcpucheck::sim::c::World;

using vcpucheck::sim::c::shim::caller;
using vcpucheck::sim::c::shim::world;
using vcpucheck::sim::c::shim::object_at;

extern "C" {

void* kmalloc(size_t size, gfp_t flags) {
  const Loc loc = caller(__builtin_return_address(0));
  return world("kmalloc", loc).alloc(size, (flags & __GFP_ZERO) != 0, loc, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
}

void* kzalloc(size_t size, gfp_t) {
  const Loc loc = caller(__builtin_return_address(0));
  return world("kzalloc", loc).alloc(size, true, loc, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
}

void* kcalloc(size_t n, size_t size, gfp_t) {
  const Loc loc = caller(__builtin_return_address(0));
  if (size && n > SIZE_MAX / size) return nullptr;
  return world("kcalloc", loc).alloc(n * size, true, loc, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
}

void kfree(const void* p) {
  const Loc loc = caller(__builtin_return_address(0));
  world("kfree", loc).free(const_cast<void*>(p), loc);
}

void mutex_init(struct mutex* m) {
  const Loc loc = caller(__builtin_return_address(0));
  (void)object_at<vcpucheck::sim::Mutex>(world("mutex_init", loc), m, "mutex_init", loc);
}

void mutex_lock(struct mutex* m) {
  const Loc loc = caller(__builtin_return_address(0));
  object_at<vcpucheck::sim::Mutex>(world("mutex_lock", loc), m, "mutex_lock", loc).lock(loc);
}

int mutex_lock_killable(struct mutex* m) {  // no signals are delivered: it always takes the lock
  const Loc loc = caller(__builtin_return_address(0));
  object_at<vcpucheck::sim::Mutex>(world("mutex_lock_killable", loc), m, "mutex_lock_killable", loc).lock(loc);
  return 0;
}

int mutex_trylock(struct mutex* m) {
  const Loc loc = caller(__builtin_return_address(0));
  return object_at<vcpucheck::sim::Mutex>(world("mutex_trylock", loc), m, "mutex_trylock", loc).trylock(loc) ? 1 : 0;
}

void mutex_unlock(struct mutex* m) {
  const Loc loc = caller(__builtin_return_address(0));
  object_at<vcpucheck::sim::Mutex>(world("mutex_unlock", loc), m, "mutex_unlock", loc).unlock(loc);
}

bool mutex_is_locked(struct mutex* m) {
  const Loc loc = caller(__builtin_return_address(0));
  return object_at<vcpucheck::sim::Mutex>(world("mutex_is_locked", loc), m, "mutex_is_locked", loc).held();
}

void __vcpucheck_lockdep_assert_held(const void* l) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("lockdep_assert_held", loc);
  Execution& x = w.exec();
  const vcpucheck::sim::Lock* lock = w.lock_at(l);  // never taken: not held
  vcpucheck::sim::kassert(x, lock && x.in_thread() && lock->held_by(x.current()),
                          "lockdep_assert_held(" + (lock ? lock->name() : std::string("a lock never taken")) + ")", loc);
}

int __vcpucheck_lockdep_is_held(const void* l) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("lockdep_is_held", loc);
  const vcpucheck::sim::Lock* lock = w.lock_at(l);
  return lock && w.exec().in_thread() && lock->held_by(w.exec().current()) ? 1 : 0;
}

void spin_lock_init(spinlock_t* s) {
  const Loc loc = caller(__builtin_return_address(0));
  (void)object_at<vcpucheck::sim::SpinMutex>(world("spin_lock_init", loc), s, "spin_lock_init", loc);
}

void spin_lock(spinlock_t* s) {
  const Loc loc = caller(__builtin_return_address(0));
  object_at<vcpucheck::sim::SpinMutex>(world("spin_lock", loc), s, "spin_lock", loc).lock(loc);
}

int spin_trylock(spinlock_t* s) {
  const Loc loc = caller(__builtin_return_address(0));
  return object_at<vcpucheck::sim::SpinMutex>(world("spin_trylock", loc), s, "spin_trylock", loc).trylock(loc) ? 1 : 0;
}

void spin_unlock(spinlock_t* s) {
  const Loc loc = caller(__builtin_return_address(0));
  object_at<vcpucheck::sim::SpinMutex>(world("spin_unlock", loc), s, "spin_unlock", loc).unlock(loc);
}

int __vcpucheck_warn_on(int cond, const char* text) {
  if (!cond) return 0;
  const Loc loc = caller(__builtin_return_address(0));
  world("WARN_ON", loc).exec().warn(std::string("WARNING: ") + text, loc);
  return 1;
}

void __vcpucheck_bug_on(int cond, const char* text) {
  if (!cond) return;
  const Loc loc = caller(__builtin_return_address(0));
  world("BUG_ON", loc).exec().fail(vcpucheck::sim::ViolationKind::Assertion, std::string("kernel BUG: ") + text, loc);
}

}  // extern "C"
