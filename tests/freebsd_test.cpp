// sim/freebsd.hpp: mtx(9), sx(9), sleep(9), atomic(9), cpuset and malloc(9) in FreeBSD's own
// words, each with the ordering and the checks its manual page gives.
#include <doctest/doctest.h>

#include "sim/freebsd.hpp"
#include "support.hpp"

using namespace vcpucheck;
using namespace vcpucheck::fbsd;
using sim::Execution;
using sim::Ptr;
using sim::ViolationKind;

namespace {

enum VcpuState { VCPU_IDLE, VCPU_FROZEN, VCPU_RUNNING };

struct Vcpu {
  mtx mtx_;
  with_wchan<sim::Field<int>> state;
  sim::Field<unsigned> flags;
  explicit Vcpu(Execution& x) : mtx_(x, "mtx", MTX_SPIN), state(x, "state", VCPU_IDLE), flags(x, "flags", 0) {}
};

struct Vm {
  sx vcpus_init_lock;
  mtx def;
  cpuset_t active_cpus;
  sim::Field<Ptr<Vcpu>> vcpu;  // a plain member that atomic(9) publishes
  sim::Field<int> data;
  explicit Vm(Execution& x)
      : vcpus_init_lock(x, "vcpus_init_lock"), def(x, "def"), active_cpus(x, "active_cpus"), vcpu(x, "vcpu"),
        data(x, "data", sim::uninit) {}
};

struct World {
  Vm vm;
  Vcpu v;
  explicit World(Execution& x) : vm(x), v(x) {}
};

template <class F>
checker::ExploreResult explore(F body) {
  return test::dpor_world([body](Execution& x) { body(test::make_state<World>(x), x); });
}

const malloc_type M_VMM{"vmm"};

}  // namespace

TEST_CASE("freebsd: spin and sleep mutexes -- the wrong lock call is misuse") {
  auto ok = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      mtx_lock_spin(&w.v.mtx_);
      mtx_assert(&w.v.mtx_, MA_OWNED);
      mtx_unlock_spin(&w.v.mtx_);
      mtx_assert(&w.v.mtx_, MA_NOTOWNED);
      mtx_lock(&w.vm.def);
      mtx_unlock(&w.vm.def);
    });
  });
  CHECK(!test::found(ok));
  auto wrong = explore([](World& w, Execution& x) { x.spawn("T", [&w] { mtx_lock(&w.v.mtx_); }); });
  CHECK(test::found(wrong) == ViolationKind::LockMisuse);
  auto sleep_under_spin = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      mtx_lock_spin(&w.v.mtx_);
      sx_xlock(&w.vm.vcpus_init_lock);
    });
  });
  CHECK(test::found(sleep_under_spin) == ViolationKind::BlockingInCritical);
  // The declaration is what runs: an mtx_init that disagrees with it is bad input (exit 2).
  CHECK_THROWS_WITH_AS(test::dpor_world([](Execution& x) {
                         auto& w = test::make_state<World>(x);
                         mtx_init(&w.v.mtx_, "vcpu mtx", nullptr, MTX_DEF);  // declared MTX_SPIN
                       }),
                       doctest::Contains("declared a spin mutex"), sim::SetupError);
}

TEST_CASE("freebsd: sx shared and exclusive, sx_assert, sx_unlock") {
  auto r = explore([](World& w, Execution& x) {
    for (int i = 0; i < 2; ++i)
      x.spawn("reader" + std::to_string(i), [&w] {
        sx_slock(&w.vm.vcpus_init_lock);
        sx_assert(&w.vm.vcpus_init_lock, SA_SLOCKED);
        (void)w.vm.active_cpus.get();
        sx_unlock(&w.vm.vcpus_init_lock);
      });
    x.spawn("writer", [&w] {
      sx_xlock(&w.vm.vcpus_init_lock);
      sx_assert(&w.vm.vcpus_init_lock, SA_XLOCKED);
      w.vm.active_cpus.set(1);
      sx_unlock(&w.vm.vcpus_init_lock);
      sx_assert(&w.vm.vcpus_init_lock, SA_UNLOCKED);
    });
  });
  CHECK(!test::found(r));
  CHECK(r.executions == 4);  // the writer first, last, or between the readers in either order
}

TEST_CASE("freebsd: msleep_spin with hz -- woken or timed out, as bhyve's vcpu_set_state_locked waits") {
  // The waiter re-checks the state after each sleep, as bhyve does; the timeout is explored only
  // when it can change what happens, so the search is finite and never step-bound.
  auto r = explore([](World& w, Execution& x) {
    x.spawn("waiter", [&w] {
      mtx_lock_spin(&w.v.mtx_);
      while (w.v.state.get() != VCPU_IDLE) (void)msleep_spin(&w.v.state, &w.v.mtx_, "vmstat", hz);
      w.v.state.set(VCPU_FROZEN);
      mtx_unlock_spin(&w.v.mtx_);
    });
    x.spawn("runner", [&w] {
      mtx_lock_spin(&w.v.mtx_);
      if (w.v.state.get() == VCPU_IDLE) w.v.state.set(VCPU_RUNNING);
      mtx_unlock_spin(&w.v.mtx_);
      mtx_lock_spin(&w.v.mtx_);
      w.v.state.set(VCPU_IDLE);
      wakeup(&w.v.state);
      mtx_unlock_spin(&w.v.mtx_);
    });
  });
  CHECK(!test::found(r));
  CHECK(r.step_bounded == 0);
  CHECK(r.deadlocks == 0);
  // Without the wakeup, the hz timeout still ends the wait; without it and without a timeout,
  // the waiter sleeps forever.
  for (int timo : {hz, 0}) {
    CAPTURE(timo);
    auto lost = explore([timo](World& w, Execution& x) {
      x.spawn("waiter", [&w, timo] {
        mtx_lock_spin(&w.v.mtx_);
        while (w.v.state.get() != VCPU_IDLE) (void)msleep_spin(&w.v.state, &w.v.mtx_, "vmstat", timo);
        mtx_unlock_spin(&w.v.mtx_);
      });
      x.spawn("runner", [&w] {
        mtx_lock_spin(&w.v.mtx_);
        w.v.state.set(VCPU_RUNNING);
        mtx_unlock_spin(&w.v.mtx_);
        mtx_lock_spin(&w.v.mtx_);
        w.v.state.set(VCPU_IDLE);
        mtx_unlock_spin(&w.v.mtx_);  // forgot wakeup(&vcpu->state)
      });
    });
    if (timo)
      CHECK(lost.deadlocks == 0);
    else
      CHECK(lost.deadlocks > 0);
  }
}

TEST_CASE("freebsd: atomic(9) on plain members -- marked, ordered by its suffix") {
  auto counts = explore([](World& w, Execution& x) {
    for (int i = 0; i < 2; ++i)
      x.spawn("T" + std::to_string(i), [&w] {
        atomic_add_int(&w.v.flags, 2);
        atomic_set_int(&w.v.flags, 1);
      });
    x.on_end([&w, &x] {
      if (w.v.flags.peek() != 5) x.report(ViolationKind::Invariant, "lost update", "");
    });
  });
  CHECK(!test::found(counts));
  auto plain = explore([](World& w, Execution& x) {
    x.spawn("A", [&w] { atomic_set_int(&w.v.flags, 1); });
    x.spawn("B", [&w] { (void)w.v.flags.get(); });
  });
  CHECK(test::found(plain) == ViolationKind::DataRace);
  auto values = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      atomic_store_rel_int(&w.v.flags, 6);
      sim::kassert(x, atomic_cmpset_int(&w.v.flags, 6, 7) == 1 && atomic_cmpset_int(&w.v.flags, 6, 8) == 0, "cmpset");
      unsigned old = 1;
      sim::kassert(x, atomic_fcmpset_int(&w.v.flags, &old, 9) == 0 && old == 7, "fcmpset");
      sim::kassert(x, atomic_fetchadd_int(&w.v.flags, 3) == 7 && atomic_load_acq_int(&w.v.flags) == 10, "fetchadd");
      atomic_clear_int(&w.v.flags, 2);
      atomic_subtract_int(&w.v.flags, 1);
      sim::kassert(x, atomic_readandclear_int(&w.v.flags) == 7 && atomic_load_int(&w.v.flags) == 0, "readandclear");
    });
  });
  CHECK(!test::found(values));
  // Publication: atomic_store_rel_ptr / atomic_load_acq_ptr order the vCPU's initialization
  // before its use; a relaxed store does not.
  for (bool release : {true, false}) {
    CAPTURE(release);
    auto r = explore([release](World& w, Execution& x) {
      x.spawn("create", [&w, release] {
        w.vm.data.set(1);
        Ptr<Vcpu> v = fbsd::malloc<Vcpu>(&M_VMM, M_WAITOK | M_ZERO);
        if (release)
          atomic_store_rel_ptr(&w.vm.vcpu, v);
        else
          atomic_store_ptr(&w.vm.vcpu, v);
      });
      x.spawn("lookup", [&w] {
        if (Ptr<Vcpu> v = atomic_load_acq_ptr(&w.vm.vcpu)) (void)w.vm.data.get();
      });
    });
    if (release)
      CHECK(!test::found(r));
    else
      CHECK((test::found(r) == ViolationKind::UseBeforeInit || test::found(r) == ViolationKind::DataRace));
  }
}

TEST_CASE("freebsd: cpuset_t macros, CPU_SET_ATOMIC, malloc(9) and critical sections") {
  auto r = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      CPU_ZERO(&w.vm.active_cpus);
      sim::kassert(x, CPU_EMPTY(&w.vm.active_cpus) && CPU_FFS(&w.vm.active_cpus) == 0, "empty");
      CPU_SET(5, &w.vm.active_cpus);
      CPU_SET(2, &w.vm.active_cpus);
      sim::kassert(x, CPU_ISSET(5, &w.vm.active_cpus) && !CPU_ISSET(4, &w.vm.active_cpus), "isset");
      sim::kassert(x, CPU_FFS(&w.vm.active_cpus) == 3 && CPU_COUNT(&w.vm.active_cpus) == 2, "ffs");
      CPU_CLR(2, &w.vm.active_cpus);
      sim::kassert(x, CPU_FFS(&w.vm.active_cpus) == 6, "clr");
    });
  });
  CHECK(!test::found(r));
  auto atomic_sets = explore([](World& w, Execution& x) {
    for (int i = 0; i < 2; ++i) x.spawn("T" + std::to_string(i), [&w, i] { CPU_SET_ATOMIC(i, &w.vm.active_cpus); });
  });
  CHECK(!test::found(atomic_sets));
  auto plain_sets = explore([](World& w, Execution& x) {
    for (int i = 0; i < 2; ++i) x.spawn("T" + std::to_string(i), [&w, i] { CPU_SET(i, &w.vm.active_cpus); });
  });
  CHECK(test::found(plain_sets) == ViolationKind::DataRace);
  auto oob = explore([](World& w, Execution& x) { x.spawn("T", [&w] { CPU_SET(64, &w.vm.active_cpus); }); });
  CHECK(test::found(oob) == ViolationKind::OutOfBounds);
  auto waitok = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      mtx_lock_spin(&w.v.mtx_);
      (void)fbsd::malloc<Vcpu>(&M_VMM, M_WAITOK);
    });
  });
  CHECK(test::found(waitok) == ViolationKind::BlockingInCritical);
  auto nowait = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      critical_enter();
      Ptr<Vcpu> v = fbsd::malloc<Vcpu>(&M_VMM, M_NOWAIT);
      critical_exit();
      fbsd::free(v, &M_VMM);
      (void)w;
    });
  });
  CHECK(!test::found(nowait));
  auto crit = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      critical_enter();
      sx_slock(&w.vm.vcpus_init_lock);
    });
  });
  CHECK(test::found(crit) == ViolationKind::BlockingInCritical);
  auto kassert = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] { KASSERT(w.v.state.get() == VCPU_RUNNING, ("vcpu not running")); });
  });
  REQUIRE(test::found(kassert) == ViolationKind::Assertion);
  CHECK(kassert.counterexample->violation->message == "KASSERT failed: w.v.state.get() == VCPU_RUNNING");
}

TEST_CASE("freebsd: cmpset variants and pointer cmpset; an assert with an unknown flag is a model error") {
  auto r = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      sim::kassert(x, atomic_cmpset_acq_int(&w.v.flags, 0, 3) == 1 && atomic_cmpset_rel_int(&w.v.flags, 3, 4) == 1,
                   "cmpset_acq, cmpset_rel");
      Ptr<Vcpu> v = fbsd::malloc<Vcpu>(&M_VMM, M_NOWAIT);
      sim::kassert(x, atomic_cmpset_ptr(&w.vm.vcpu, Ptr<Vcpu>(), v) == 1 && atomic_cmpset_ptr(&w.vm.vcpu, Ptr<Vcpu>(), v) == 0,
                   "cmpset_ptr");
    });
  });
  CHECK(!test::found(r));
  auto sx_bad = explore([](World& w, Execution& x) { x.spawn("T", [&w] { sx_assert(&w.vm.vcpus_init_lock, 99); }); });
  CHECK(test::found(sx_bad) == ViolationKind::ModelError);
  auto mtx_bad = explore([](World& w, Execution& x) { x.spawn("T", [&w] { mtx_assert(&w.vm.def, 7); }); });
  CHECK(test::found(mtx_bad) == ViolationKind::ModelError);
}
