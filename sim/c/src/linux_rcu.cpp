// The C side of vcpucheck's Linux shim for RCU, SRCU and refcount_t (linux/rcupdate.h,
// linux/srcu.h, linux/refcount.h): onto sim::Rcu as sim/linux.hpp's calls use it, located at the
// C caller's line.
#include "shim.hpp"
#include "sim/rcu.hpp"

#include "../shim/linux/linux/rcupdate.h"
#include "../shim/linux/linux/refcount.h"
#include "../shim/linux/linux/srcu.h"

using vcpucheck::sim::Loc;
using vcpucheck::sim::Rcu;
using vcpucheck::sim::ViolationKind;
using vcpucheck::sim::c::World;
using vcpucheck::sim::c::shim::caller;
using vcpucheck::sim::c::shim::world;

namespace {

// The kernel's one RCU domain: made on first use in the execution, keyed by this address.
const char kRcuDomain = 0;

Rcu& rcu(const char* call, const Loc& loc) {
  World& w = world(call, loc);
  return w.object_at<Rcu>(&kRcuDomain, call, loc, [&w](const std::string&) { return std::make_shared<Rcu>(w.exec(), "rcu"); });
}

Rcu& srcu(struct srcu_struct* ssp, const char* call, const Loc& loc) {
  World& w = world(call, loc);
  return w.object_at<Rcu>(ssp, call, loc, [&w](const std::string& name) { return std::make_shared<Rcu>(w.exec(), name, Rcu::sleepable); });
}

}  // namespace

extern "C" {

void rcu_read_lock(void) {
  const Loc loc = caller(__builtin_return_address(0));
  rcu("rcu_read_lock", loc).read_lock(loc);
}

void rcu_read_unlock(void) {
  const Loc loc = caller(__builtin_return_address(0));
  rcu("rcu_read_unlock", loc).read_unlock(loc);
}

void synchronize_rcu(void) {
  const Loc loc = caller(__builtin_return_address(0));
  rcu("synchronize_rcu", loc).synchronize(loc);
}

void __vcpucheck_kfree_rcu(const void* p) {
  const Loc loc = caller(__builtin_return_address(0));
  if (!p) return;
  Rcu& domain = rcu("kfree_rcu", loc);
  domain.call_rcu_free(World::current()->block_at(p, "kfree_rcu", loc), loc);
}

void __vcpucheck_rcu_protected(const void* p, int held, const char* cond) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("rcu_dereference_protected", loc);
  if (!held)
    w.exec().warn("suspicious rcu_dereference_protected() usage of " + w.name_of(p) + ": " + cond + " is false", loc);
}

int init_srcu_struct(struct srcu_struct* ssp) {
  const Loc loc = caller(__builtin_return_address(0));
  (void)srcu(ssp, "init_srcu_struct", loc);
  return 0;
}

void cleanup_srcu_struct(struct srcu_struct*) {}

int srcu_read_lock(struct srcu_struct* ssp) {
  const Loc loc = caller(__builtin_return_address(0));
  srcu(ssp, "srcu_read_lock", loc).read_lock(loc);
  return 0;
}

void srcu_read_unlock(struct srcu_struct* ssp, int) {
  const Loc loc = caller(__builtin_return_address(0));
  srcu(ssp, "srcu_read_unlock", loc).read_unlock(loc);
}

void synchronize_srcu(struct srcu_struct* ssp) {
  const Loc loc = caller(__builtin_return_address(0));
  srcu(ssp, "synchronize_srcu", loc).synchronize(loc);
}

void __vcpucheck_refcount_misuse(const refcount_t* r, int saturated, const char* what) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("refcount_t", loc);
  const std::string name = w.name_of(r);
  w.exec().fail(saturated ? ViolationKind::Assertion : ViolationKind::UseAfterFree,
                std::string("refcount_t: ") + what + " (" + name + ")", loc, name);
}

}  // extern "C"
