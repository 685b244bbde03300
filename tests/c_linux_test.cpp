// The C Linux shims for the xarray, RCU, SRCU and refcount_t (sim/c/shim/linux): kernel C
// (tests/c/linux_cases.c) under the checker does what tests/linux_test.cpp's C++ worlds do --
// the same verdicts, and where a C++ twin is written here, the same number of executions.
#include <doctest/doctest.h>

#include "c/linux_cases.h"
#include "sim/c/world.hpp"
#include "sim/linux.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::ViolationKind;
using sim::c::call;

namespace {

struct Vm {
  sim::c::World c;
  struct vm* vm;
  explicit Vm(Execution& x, int kmalloced = 0) : c(x), vm(vm_new(kmalloced)) {}
};

// Explores `body(vm, x)` with a struct vm made in setup.
template <class F>
checker::ExploreResult explore(F body, int kmalloced = 0) {
  return test::dpor_world([body, kmalloced](Execution& x) { body(test::make_state<Vm>(x, kmalloced).vm, x); }, UINT32_MAX, 5000);
}

std::string message(const checker::ExploreResult& r) {
  return r.counterexample && r.counterexample->violation ? r.counterexample->violation->message : std::string();
}

}  // namespace

TEST_CASE("C, Linux: the xarray's calls do what the C++ xarray's do, in kmalloc'd memory after xa_init") {
  for (int kmalloced : {0, 1}) {
    CAPTURE(kmalloced);
    static long seen = 0;
    seen = 0;
    auto r = explore([](struct vm* vm, Execution& x) { x.spawn("T", [vm] { seen = call([&] { return vm_xa_walk(vm); }); }); }, kmalloced);
    CHECK_MESSAGE(!test::found(r), message(r));
    CHECK(seen == 12);  // for_each_range visits 1 then 2; every other call returned as the kernel's
  }
  auto past = explore([](struct vm* vm, Execution& x) { x.spawn("T", [vm] { (void)call([&] { return vm_xa_load(vm, 64); }); }); });
  REQUIRE(test::found(past) == ViolationKind::ModelError);
  CHECK(message(past).find("past the shim's capacity of 64 slots") != std::string::npos);
}

TEST_CASE("C, Linux: an entry published by xa_insert before it is initialized -- as many executions as the C++ twin") {
  struct Vcpu {
    sim::Field<int> vcpu_idx;
    explicit Vcpu(Execution& x) : vcpu_idx(x, "vcpu_idx", sim::uninit) {}
  };
  for (int init_first : {1, 0}) {
    CAPTURE(init_first);
    auto c = explore([init_first](struct vm* vm, Execution& x) {
      x.spawn("create", [vm, init_first] { (void)call([&] { return vm_create_vcpu(vm, 0, init_first); }); });
      x.spawn("reader", [vm] { (void)call([&] { return vm_vcpu_idx(vm, 0); }); });
    });
    auto cxx = test::dpor_world(
        [init_first](Execution& x) {
          struct S {
            lnx::Kernel kernel;
            lnx::xarray<Vcpu> vcpu_array;
            explicit S(Execution& x) : kernel(x), vcpu_array(x, "vcpu_array", 2) {}
          };
          auto& s = test::make_state<S>(x);
          x.spawn("create", [&s, init_first] {
            sim::Ptr<Vcpu> v = lnx::kmalloc<Vcpu>(lnx::GFP_KERNEL_ACCOUNT);
            if (init_first) v->vcpu_idx.set(0);
            (void)lnx::xa_insert(&s.vcpu_array, 0, v, lnx::GFP_KERNEL_ACCOUNT);
            if (!init_first) v->vcpu_idx.set(0);
          });
          x.spawn("reader", [&s] {
            lnx::rcu_read_lock();
            if (sim::Ptr<Vcpu> v = lnx::xa_load(&s.vcpu_array, 0)) (void)v->vcpu_idx.get();
            lnx::rcu_read_unlock();
          });
        },
        UINT32_MAX, 5000);
    CHECK(test::found(c) == test::found(cxx));
    if (init_first) {
      CHECK_MESSAGE(!test::found(c), message(c));
      CHECK(c.exhausted);
      CHECK(c.executions == cxx.executions);
    } else {
      CHECK(test::found(c) == ViolationKind::UseBeforeInit);
    }
  }
}

TEST_CASE("C, Linux: two creators race for one xarray index and a reader walks it -- the C++ twin's count") {
  struct Vcpu {
    sim::Field<int> vcpu_idx;
    explicit Vcpu(Execution& x) : vcpu_idx(x, "vcpu_idx", sim::uninit) {}
  };
  auto c = explore([](struct vm* vm, Execution& x) {
    for (const char* name : {"create0", "create1"})
      x.spawn(name, [vm] { (void)call([&] { return vm_create_vcpu(vm, 1, 1); }); });
    x.spawn("reader", [vm] { (void)call([&] { return vm_vcpu_idx(vm, 1); }); });
  });
  auto cxx = test::dpor_world(
      [](Execution& x) {
        struct S {
          lnx::Kernel kernel;
          lnx::xarray<Vcpu> vcpu_array;
          explicit S(Execution& x) : kernel(x), vcpu_array(x, "vcpu_array", 2) {}
        };
        auto& s = test::make_state<S>(x);
        for (const char* name : {"create0", "create1"})
          x.spawn(name, [&s] {
            sim::Ptr<Vcpu> v = lnx::kmalloc<Vcpu>(lnx::GFP_KERNEL_ACCOUNT);
            v->vcpu_idx.set(1);
            if (lnx::xa_insert(&s.vcpu_array, 1, v, lnx::GFP_KERNEL_ACCOUNT)) lnx::kfree(v);
          });
        x.spawn("reader", [&s] {
          lnx::rcu_read_lock();
          if (sim::Ptr<Vcpu> v = lnx::xa_load(&s.vcpu_array, 1)) (void)v->vcpu_idx.get();
          lnx::rcu_read_unlock();
        });
      },
      UINT32_MAX, 5000);
  CHECK_MESSAGE(!test::found(c), message(c));
  CHECK(!test::found(cxx));
  CHECK(c.exhausted);
  CHECK(c.executions == cxx.executions);
  CHECK(c.executions == 4);  // which creator wins the slot, times the reader before or after its store
}

TEST_CASE("C, Linux: RCU -- a reader's object is freed after a grace period; at once is use-after-free") {
  for (int how : {0, 1, 2}) {  // synchronize_rcu, kfree_rcu, kfree at once
    CAPTURE(how);
    auto r = explore([how](struct vm* vm, Execution& x) {
      x.spawn("reader", [vm] { (void)call([&] { return vm_cfg_read(vm); }); });
      x.spawn("updater", [vm, how] { call([&] { vm_cfg_replace(vm, 5, how); }); });
    });
    if (how == 2) {
      CHECK(test::found(r) == ViolationKind::UseAfterFree);
    } else {
      CHECK_MESSAGE(!test::found(r), message(r));
      CHECK(r.exhausted);
    }
  }
  auto sleep = explore([](struct vm* vm, Execution& x) { x.spawn("T", [vm] { call([&] { vm_sleep_in_rcu(vm); }); }); });
  CHECK(test::found(sleep) == ViolationKind::BlockingInCritical);
  for (int locked : {1, 0}) {
    CAPTURE(locked);
    auto peek = explore([locked](struct vm* vm, Execution& x) { x.spawn("T", [vm, locked] { (void)call([&] { return vm_cfg_peek(vm, locked); }); }); });
    if (locked) {
      CHECK_MESSAGE(!test::found(peek), message(peek));
    } else {
      REQUIRE(test::found(peek) == ViolationKind::Warning);
      CHECK(message(peek).find("suspicious rcu_dereference_protected() usage of vm_new:") == 0);
      CHECK(message(peek).find(": lockdep_is_held(&vm->lock) is false") != std::string::npos);
    }
  }
}

TEST_CASE("C, Linux: SRCU readers may sleep; synchronize_srcu waits for them, and for itself deadlocks") {
  for (int sync : {1, 0}) {
    CAPTURE(sync);
    auto r = explore([sync](struct vm* vm, Execution& x) {
      x.spawn("reader", [vm] { (void)call([&] { return vm_srcu_read(vm); }); });
      x.spawn("updater", [vm, sync] { call([&] { vm_srcu_retire(vm, sync); }); });
    });
    if (sync) {
      CHECK_MESSAGE(!test::found(r), message(r));
      CHECK(r.exhausted);
    } else {
      CHECK(test::found(r) == ViolationKind::UseAfterFree);
    }
  }
  auto self = explore([](struct vm* vm, Execution& x) { x.spawn("T", [vm] { call([&] { vm_srcu_self_wait(vm); }); }); });
  CHECK(test::found(self) == ViolationKind::Deadlock);
}

TEST_CASE("C, Linux: refcount_t and kref -- the last put releases once; misuse is a violation") {
  static int lasts = 0;
  lasts = 0;
  auto puts = explore([](struct vm* vm, Execution& x) {
    for (const char* name : {"put0", "put1"}) x.spawn(name, [vm] { lasts += call([&] { return vm_put(vm); }); });
  });
  CHECK_MESSAGE(!test::found(puts), message(puts));
  CHECK(puts.executions == 2);
  CHECK(lasts == 2);  // one last put in each execution
  auto under = explore([](struct vm* vm, Execution& x) { x.spawn("T", [vm] { call([&] { vm_put_thrice(vm); }); }); });
  REQUIRE(test::found(under) == ViolationKind::UseAfterFree);
  CHECK(message(under).find("refcount_t: underflow; use-after-free (vm_new:") == 0);
  auto zero = explore([](struct vm* vm, Execution& x) { x.spawn("T", [vm] { (void)call([&] { return vm_get_from_zero(vm); }); }); });
  REQUIRE(test::found(zero) == ViolationKind::UseAfterFree);
  CHECK(message(zero).find("addition on 0") != std::string::npos);
  // kref_put's release (a kfree) in whichever thread drops the last reference: the other's write
  // happens before it.
  auto k = test::dpor_world(
      [](Execution& x) {
        struct S {
          sim::c::World c;
          struct vcpu* v;
          explicit S(Execution& e) : c(e), v(vcpu_new_shared()) {}
        };
        auto& s = test::make_state<S>(x);
        for (const char* name : {"owner", "user"}) x.spawn(name, [&s] { (void)call([&] { return vcpu_use_and_put(s.v); }); });
      },
      UINT32_MAX, 5000);
  CHECK_MESSAGE(!test::found(k), message(k));
  CHECK(k.exhausted);
}
