// sim/linux.hpp: each kernel primitive does what the kernel's does, with the dependence and the
// happens-before edges its documentation gives -- checked by exploring small worlds written in
// the kernel's own words.
#include <doctest/doctest.h>

#include "sim/linux.hpp"
#include "support.hpp"

using namespace vcpucheck;
using namespace vcpucheck::lnx;
using sim::Execution;
using sim::Ptr;
using sim::ViolationKind;

namespace {

struct Obj {
  sim::Field<int> v;
  explicit Obj(Execution& x) : v(x, "v", 0) {}
};

// A shared state of every kind the tests need.
struct World {
  Kernel kernel;
  atomic_t count;
  refcount_t ref;
  bitword flags;
  sim::Field<int> data, plain;
  sim::Field<int> flag;
  mutex lock;
  spinlock_t spin;
  completion done;
  wait_queue_head wq;
  srcu_struct srcu;
  sim::Atomic<Ptr<Obj>> ptr;
  xarray<Obj> vcpus;
  sim::Field<int> released;
  explicit World(Execution& x)
      : kernel(x), count(x, "count", 0), ref(x, "ref", 2), flags(x, "flags", 0), data(x, "data", sim::uninit),
        plain(x, "plain", 0), flag(x, "flag", 0), lock(x, "lock"), spin(x, "spin"), done(x, "done"), wq(x, "wq"),
        srcu(x, "srcu"), ptr(x, "ptr"), vcpus(x, "vcpu_array", 4), released(x, "released", 0) {}
};

// Explores `body(world, x)` as the whole world and returns what DPOR found.
template <class F>
checker::ExploreResult explore(F body, uint64_t max_steps = 2000) {
  return test::dpor_world([body](Execution& x) { body(test::make_state<World>(x), x); }, UINT32_MAX, max_steps);
}

void invariant(Execution& x, bool ok, const char* what) {
  if (!ok) x.report(ViolationKind::Invariant, what, "");
}

}  // namespace

TEST_CASE("linux: atomic_t operations return and leave the kernel's values") {
  auto r = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      atomic_set(&w.count, 5);
      atomic_inc(&w.count);
      sim::kassert(x, atomic_inc_return(&w.count) == 7, "inc_return");
      sim::kassert(x, atomic_fetch_add(3, &w.count) == 7, "fetch_add");
      sim::kassert(x, atomic_sub_return(9, &w.count) == 1, "sub_return");
      sim::kassert(x, atomic_dec_and_test(&w.count), "dec_and_test at 1");
      sim::kassert(x, atomic_cmpxchg(&w.count, 0, 4) == 0 && atomic_read(&w.count) == 4, "cmpxchg");
      sim::kassert(x, atomic_cmpxchg(&w.count, 0, 9) == 4 && atomic_read(&w.count) == 4, "failed cmpxchg");
      int old = 4;
      sim::kassert(x, atomic_try_cmpxchg(&w.count, &old, 8) && atomic_xchg(&w.count, 1) == 8, "try_cmpxchg, xchg");
      sim::kassert(x, atomic_inc_and_test(&w.count) == false && atomic_dec_return(&w.count) == 1, "inc_and_test");
    });
  });
  CHECK(!test::found(r));
  CHECK(r.executions == 1);
}

TEST_CASE("linux: concurrent atomic_dec_and_test -- exactly one thread sees zero") {
  auto r = explore([](World& w, Execution& x) {
    for (int i = 0; i < 3; ++i)
      x.spawn("T" + std::to_string(i), [&w] {
        if (atomic_dec_and_test(&w.count)) w.plain.set(w.plain.get() + 1);
      });
    x.on_end([&w, &x] { invariant(x, w.plain.peek() == 1, "not exactly one last put"); });
    atomic_set(&w.count, 3);  // in setup: not a visible operation
  });
  CHECK(!test::found(r));
  CHECK(r.executions == 6);  // three read-modify-writes of one word: every order
}

TEST_CASE("linux: bitops are single read-modify-writes; test_and_set_bit has one winner") {
  auto r = explore([](World& w, Execution& x) {
    for (int i = 0; i < 2; ++i)
      x.spawn("T" + std::to_string(i), [&w] {
        if (!test_and_set_bit(3, &w.flags)) atomic_inc(&w.count);
        set_bit(0, &w.flags);
      });
    x.on_end([&w, &x] {
      invariant(x, w.count.peek() == 1, "two winners");
      invariant(x, w.flags.peek() == 0b1001, "bits");
    });
  });
  CHECK(!test::found(r));
  CHECK(r.steps == 5 * r.executions);  // one step per bit operation (and the winner's inc), no CAS retries
  auto oob = explore([](World& w, Execution& x) { x.spawn("T", [&w] { set_bit(64, &w.flags); }); });
  CHECK(test::found(oob) == ViolationKind::OutOfBounds);
  auto values = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      set_bit(5, &w.flags);
      sim::kassert(x, test_bit(5, &w.flags) && !test_bit(4, &w.flags), "test_bit");
      sim::kassert(x, test_and_clear_bit(5, &w.flags) && !test_and_clear_bit(5, &w.flags), "test_and_clear_bit");
      change_bit(1, &w.flags);
      sim::kassert(x, w.flags.peek() == 2, "change_bit");
      clear_bit(1, &w.flags);
      sim::kassert(x, w.flags.peek() == 0, "clear_bit");
    });
  });
  CHECK(!test::found(values));
}

TEST_CASE("linux: marked accesses are not data races, yet keep use-before-init (KCSAN's rule)") {
  // WRITE_ONCE against READ_ONCE: no race. A plain read against WRITE_ONCE: a race.
  auto marked = explore([](World& w, Execution& x) {
    x.spawn("W", [&w] { WRITE_ONCE(w.flag, 1); });
    x.spawn("R", [&w] { (void)READ_ONCE(w.flag); (void)data_race(w.flag); });
  });
  CHECK(!test::found(marked));
  auto mixed = explore([](World& w, Execution& x) {
    x.spawn("W", [&w] { WRITE_ONCE(w.flag, 1); });
    x.spawn("R", [&w] { (void)w.flag.get(); });
  });
  CHECK(test::found(mixed) == ViolationKind::DataRace);

  // Message passing: data is uninit until the writer's store; the reader reads it only once it
  // saw the flag. Ordered by release/acquire or by smp_wmb/smp_rmb: fine; by nothing:
  // use-before-init although every interleaving shows the value.
  enum class Pairing { ReleaseAcquire, Barriers, None };
  for (Pairing p : {Pairing::ReleaseAcquire, Pairing::Barriers, Pairing::None}) {
    CAPTURE(static_cast<int>(p));
    auto r = explore([p](World& w, Execution& x) {
      x.spawn("writer", [&w, p] {
        WRITE_ONCE(w.data, 42);
        if (p == Pairing::ReleaseAcquire) smp_store_release(&w.flag, 1);
        if (p == Pairing::Barriers) smp_wmb();
        if (p != Pairing::ReleaseAcquire) WRITE_ONCE(w.flag, 1);
      });
      x.spawn("reader", [&w, p] {
        const int f = p == Pairing::ReleaseAcquire ? smp_load_acquire(&w.flag) : READ_ONCE(w.flag);
        if (p == Pairing::Barriers) smp_rmb();
        if (f) (void)READ_ONCE(w.data);
      });
    });
    if (p == Pairing::None)
      CHECK(test::found(r) == ViolationKind::UseBeforeInit);
    else
      CHECK(!test::found(r));
  }
}

TEST_CASE("linux: WARN_ON is reported and the execution goes on; a worse violation wins") {
  auto r = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      if (WARN_ON(READ_ONCE(w.flag) == 0)) WRITE_ONCE(w.plain, 7);  // returns its condition
      WRITE_ONCE(w.flag, 2);
      (void)WARN_ON_ONCE(true);  // only the first warning is reported
    });
  });
  REQUIRE(test::found(r) == ViolationKind::Warning);
  const auto& v = *r.counterexample->violation;
  CHECK(v.message == "WARNING: WARN_ON(READ_ONCE(w.flag) == 0)");
  CHECK(v.involved.at(0).loc.find("linux_test.cpp") != std::string::npos);
  CHECK(r.counterexample->log.size() == 3);  // the read and both writes after the warning ran
  auto worse = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      (void)WARN_ON(true);
      BUG_ON(READ_ONCE(w.flag) == 0);
    });
  });
  REQUIRE(test::found(worse) == ViolationKind::Assertion);
  CHECK(worse.counterexample->violation->message == "kernel BUG: BUG_ON(READ_ONCE(w.flag) == 0)");
  auto quiet = explore([](World& w, Execution& x) { x.spawn("T", [&w] { (void)WARN_ON(READ_ONCE(w.flag) != 0); }); });
  CHECK(!test::found(quiet));
}

TEST_CASE("linux: refcount_t and kref -- the last put releases once; misuse is a violation") {
  auto r = explore([](World& w, Execution& x) {
    for (int i = 0; i < 2; ++i)
      x.spawn("put" + std::to_string(i), [&w] {
        WRITE_ONCE(w.plain, 1);  // ordered before the release by the put's release semantics
        if (refcount_dec_and_test(&w.ref)) (void)w.plain.get();
      });
  });
  CHECK(!test::found(r));  // the acquire on the last put orders the other thread's write
  auto under = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      refcount_dec(&w.ref);
      (void)refcount_dec_and_test(&w.ref);
      (void)refcount_dec_and_test(&w.ref);
    });
  });
  REQUIRE(test::found(under) == ViolationKind::UseAfterFree);
  CHECK(under.counterexample->violation->message.find("underflow") != std::string::npos);
  auto zero = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      refcount_set(&w.ref, 0);
      sim::kassert(x, !refcount_inc_not_zero(&w.ref), "inc_not_zero on 0");
      refcount_inc(&w.ref);
    });
  });
  REQUIRE(test::found(zero) == ViolationKind::UseAfterFree);
  CHECK(zero.counterexample->violation->message.find("addition on 0") != std::string::npos);

  // kref_put's release runs exactly once, in whichever thread drops the last reference.
  struct Box {
    kref ref;
    sim::Field<int> v;
    explicit Box(Execution& x) : ref(x), v(x, "v", 0) {}
  };
  auto k = test::dpor_world([](Execution& x) {
    struct S {
      sim::Atomic<Ptr<Box>> box;
      sim::Field<int> releases;
      explicit S(Execution& x) : box(x, "box"), releases(x, "releases", 0) {}
    };
    auto& s = test::make_state<S>(x);
    x.spawn("owner", [&s, &x] {
      Ptr<Box> b = kzalloc<Box>(GFP_KERNEL);
      kref_get(&b->ref);  // two references: the owner's and the user's
      s.box.store(b, sim::Order::Release);
      x.spawn("user", [&s] {
        Ptr<Box> b = s.box.load(sim::Order::Acquire);
        b->v.set(1);
        kref_put(&b->ref, [&s, b](kref*) { s.releases.set(s.releases.get() + 1); kfree(b); });
      });
      kref_put(&b->ref, [&s, b](kref*) { s.releases.set(s.releases.get() + 1); kfree(b); });
    });
    x.on_end([&s, &x] { invariant(x, s.releases.peek() == 1, "released other than once"); });
  });
  CHECK(!test::found(k));
  CHECK(k.executions == 2);  // the two puts in either order
}

TEST_CASE("linux: complete() happens before the wait it ends; no complete() is a deadlock") {
  for (bool completes : {true, false}) {
    CAPTURE(completes);
    auto r = explore([completes](World& w, Execution& x) {
      x.spawn("waiter", [&w] {
        wait_for_completion(&w.done);
        (void)w.data.get();  // plain: ordered after the writer's write by the completion
      });
      x.spawn("completer", [&w, completes] {
        w.data.set(1);
        if (completes) complete(&w.done);
      });
    });
    if (completes)
      CHECK(!test::found(r));
    else
      CHECK(r.deadlocks > 0);
  }
  auto timed = explore([](World& w, Execution& x) {
    x.spawn("waiter", [&w] { w.plain.set(wait_for_completion_timeout(&w.done, 100) ? 1 : 2); });
    x.spawn("completer", [&w] { complete_all(&w.done); });
  });
  CHECK(!test::found(timed));
  CHECK(timed.executions >= 2);  // the timeout racing with complete_all
}

TEST_CASE("linux: wait_event re-checks its condition under the queue lock -- no lost wakeup") {
  for (bool wakes : {true, false}) {
    CAPTURE(wakes);
    auto r = explore([wakes](World& w, Execution& x) {
      x.spawn("waiter", [&w] { wait_event(w.wq, READ_ONCE(w.flag) != 0); });
      x.spawn("waker", [&w, wakes] {
        WRITE_ONCE(w.flag, 1);
        if (wakes) wake_up(&w.wq);
      });
    });
    if (wakes) {
      CHECK(!test::found(r));
      CHECK(r.deadlocks == 0);
    } else {
      CHECK(r.deadlocks > 0);  // the waiter registered before the write and nobody woke it
    }
  }
  auto timeout = explore([](World& w, Execution& x) {
    x.spawn("waiter", [&w] { w.plain.set(static_cast<int>(wait_event_timeout(w.wq, READ_ONCE(w.flag) != 0, 10))); });
    x.spawn("waker", [&w] { WRITE_ONCE(w.flag, 1); });
  });
  CHECK(!test::found(timeout));
  CHECK(timeout.deadlocks == 0);  // without a wake_up the timed wait still returns
}

TEST_CASE("linux: SRCU readers may sleep; synchronize_srcu waits for them") {
  for (bool sync : {true, false}) {
    CAPTURE(sync);
    auto r = explore([sync](World& w, Execution& x) {
      w.ptr.store(sim::heap_alloc<Obj>(x, "obj"));
      x.spawn("reader", [&w] {
        const int idx = srcu_read_lock(&w.srcu);
        mutex_lock(&w.lock);  // sleeping inside an SRCU section is allowed
        if (Ptr<Obj> o = srcu_dereference(w.ptr, &w.srcu)) (void)o->v.get();
        mutex_unlock(&w.lock);
        srcu_read_unlock(&w.srcu, idx);
      });
      x.spawn("updater", [&w, sync] {
        Ptr<Obj> o = w.ptr.load();
        rcu_assign_pointer(w.ptr, Ptr<Obj>());
        if (sync) synchronize_srcu(&w.srcu);
        kfree(o);
      });
    });
    if (sync)
      CHECK(!test::found(r));
    else
      CHECK(test::found(r) == ViolationKind::UseAfterFree);
  }
  auto classic = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      rcu_read_lock();
      mutex_lock(&w.lock);
    });
  });
  CHECK(test::found(classic) == ViolationKind::BlockingInCritical);
  auto self = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      (void)srcu_read_lock(&w.srcu);
      synchronize_srcu(&w.srcu);
    });
  });
  CHECK(test::found(self) == ViolationKind::Deadlock);
}

TEST_CASE("linux: mutex_trylock, mutex_lock_killable, spin_lock_irqsave, lockdep_assert_held") {
  auto r = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      sim::kassert(x, mutex_lock_killable(&w.lock) == 0, "killable");
      lockdep_assert_held(&w.lock);
      x.spawn("U", [&w, &x] {
        if (mutex_trylock(&w.lock)) {  // either order: taken after T's unlock, or refused
          sim::kassert(x, w.plain.get() == 1, "trylock got the mutex before its holder released it");
          mutex_unlock(&w.lock);
        }
      });
      w.plain.set(1);
      mutex_unlock(&w.lock);
    });
  });
  CHECK(!test::found(r));
  CHECK(r.executions == 2);
  auto atomic_sleep = explore([](World& w, Execution& x) {
    x.spawn("T", [&w] {
      unsigned long flags;
      spin_lock_irqsave(&w.spin, flags);
      mutex_lock(&w.lock);  // sleeping while atomic
    });
  });
  CHECK(test::found(atomic_sleep) == ViolationKind::BlockingInCritical);
  auto not_held = explore([](World& w, Execution& x) { x.spawn("T", [&w] { lockdep_assert_held(&w.spin); }); });
  CHECK(test::found(not_held) == ViolationKind::Assertion);
}

TEST_CASE("linux: cond_resched in a polling loop keeps it a spin loop, not a step-bound run") {
  auto r = explore(
      [](World& w, Execution& x) {
        x.spawn("poller", [&w] {
          while (!READ_ONCE(w.flag)) cond_resched();
        });
        x.spawn("setter", [&w] { WRITE_ONCE(w.flag, 1); });
      },
      200);
  CHECK(!test::found(r));
  CHECK(r.step_bounded == 0);
}

TEST_CASE("linux: xarray -- reserved slots, insert, store, erase, for_each_range") {
  auto r = explore([](World& w, Execution& x) {
    x.spawn("T", [&w, &x] {
      Ptr<Obj> a = kzalloc<Obj>(GFP_KERNEL), b = kzalloc<Obj>(GFP_KERNEL);
      sim::kassert(x, xa_reserve(&w.vcpus, 1) == 0, "reserve");
      sim::kassert(x, !xa_load(&w.vcpus, 1), "a reserved slot reads NULL");
      sim::kassert(x, xa_insert(&w.vcpus, 1, a) == -EBUSY, "insert into a reserved slot");
      sim::kassert(x, xa_insert(&w.vcpus, 2, a) == 0 && xa_insert(&w.vcpus, 2, b) == -EBUSY, "insert");
      sim::kassert(x, !xa_store(&w.vcpus, 1, b), "store over a reservation");
      unsigned long i = 0;
      Ptr<Obj> e;
      int seen = 0;
      xa_for_each_range(&w.vcpus, i, e, 0, 3) seen = seen * 10 + static_cast<int>(i);
      sim::kassert(x, seen == 12, "for_each_range visits 1 then 2");
      sim::kassert(x, xa_erase(&w.vcpus, 2) == a && !xa_load(&w.vcpus, 2), "erase");
      xa_release(&w.vcpus, 1);  // not reserved any more: nothing happens
      sim::kassert(x, xa_load(&w.vcpus, 1) == b, "release of a stored slot");
      kfree(a);
      kfree(xa_erase(&w.vcpus, 1));
    });
  });
  CHECK(!test::found(r));
  auto oob = explore([](World& w, Execution& x) { x.spawn("T", [&w] { (void)xa_load(&w.vcpus, 4); }); });
  CHECK(test::found(oob) == ViolationKind::OutOfBounds);
}

TEST_CASE("linux: an entry published by xa_insert before it is initialized is use-before-init") {
  // KVM's vcpu_array: kvm_vm_ioctl_create_vcpu must finish the vCPU before xa_insert, since
  // kvm_get_vcpu() readers take no lock.
  struct Vcpu {
    sim::Field<int> vcpu_idx;
    explicit Vcpu(Execution& x) : vcpu_idx(x, "vcpu_idx", sim::uninit) {}
  };
  for (bool init_first : {true, false}) {
    CAPTURE(init_first);
    auto r = test::dpor_world([init_first](Execution& x) {
      struct S {
        Kernel kernel;
        xarray<Vcpu> vcpu_array;
        explicit S(Execution& x) : kernel(x), vcpu_array(x, "vcpu_array", 2) {}
      };
      auto& s = test::make_state<S>(x);
      x.spawn("create", [&s, init_first] {
        Ptr<Vcpu> v = kzalloc<Vcpu>(GFP_KERNEL_ACCOUNT);
        if (init_first) v->vcpu_idx.set(0);
        (void)xa_insert(&s.vcpu_array, 0, v, GFP_KERNEL_ACCOUNT);
        if (!init_first) v->vcpu_idx.set(0);
      });
      x.spawn("reader", [&s] {
        rcu_read_lock();
        if (Ptr<Vcpu> v = xa_load(&s.vcpu_array, 0)) (void)v->vcpu_idx.get();
        rcu_read_unlock();
      });
    });
    if (init_first)
      CHECK(!test::found(r));
    else
      CHECK((test::found(r) == ViolationKind::UseBeforeInit || test::found(r) == ViolationKind::DataRace));
  }
}

namespace {
sim::Execution& x_of(const struct fd& f) { return f.file->f_count.exec(); }
struct VcpuFile {
  sim::Field<int> id;
  explicit VcpuFile(Execution& x) : id(x, "id", 0) {}
};
}  // namespace

TEST_CASE("linux: a file descriptor is live once fd_install ran -- close() from another thread releases it") {
  // The bug class: the creator keeps using the object after anon_inode_getfd made it reachable;
  // another thread closes the fd (it guesses the number: the lowest free one), the release
  // callback frees the object, and the creator's next access is a use after free.
  for (bool use_after_install : {true, false}) {
    CAPTURE(use_after_install);
    auto r = test::dpor_world([use_after_install](Execution& x) {
      struct S {
        Kernel kernel;
        sim::Field<int> releases;
        file_operations fops;
        explicit S(Execution& x) : kernel(x, 4), releases(x, "releases", 0) {}
      };
      auto& s = test::make_state<S>(x);
      s.fops.release = [&s](inode*, file* f) {
        s.releases.set(s.releases.get() + 1);
        kfree(private_data<VcpuFile>(f));
        return 0;
      };
      x.spawn("create", [&s, use_after_install] {
        Ptr<VcpuFile> v = kzalloc<VcpuFile>(GFP_KERNEL);
        if (!use_after_install) v->id.set(3);
        const int fd = anon_inode_getfd("kvm-vcpu", &s.fops, v, O_RDWR | O_CLOEXEC);
        if (use_after_install) v->id.set(3);
        (void)fd;
      });
      x.spawn("closer", [&s] {
        struct fd f = fdget(0);
        if (!f.file) return;
        sim::kassert(x_of(f), private_data<VcpuFile>(f.file).block().valid(), "the fd's file has the vCPU");
        fdput(f);
        (void)close_fd(0);
      });
      x.on_end([&s, &x] { invariant(x, s.releases.peek() <= 1, "released twice"); });
    });
    if (use_after_install)
      CHECK(test::found(r) == ViolationKind::UseAfterFree);
    else
      CHECK(!test::found(r));
  }
  auto badf = test::dpor_world([](Execution& x) {
    auto& k = test::make_state<Kernel>(x);
    x.spawn("T", [&k, &x] {
      (void)k;
      sim::kassert(x, close_fd(1) == -EBADF && !fget(0) && !fget(9), "no such fd");
      sim::kassert(x, get_unused_fd_flags(0) == 0 && get_unused_fd_flags(0) == 1, "lowest free fd");
      put_unused_fd(0);
      sim::kassert(x, get_unused_fd_flags(0) == 0, "reused");
    });
  });
  CHECK(!test::found(badf));
}

TEST_CASE("linux: the kernel-wide state must be declared; kzalloc names blocks by type at the caller's line") {
  auto r = test::dpor_world([](Execution& x) { x.spawn("T", [] { rcu_read_lock(); }); });
  REQUIRE(test::found(r) == ViolationKind::ModelError);
  CHECK(r.counterexample->violation->message.find("declare an lnx::Kernel") != std::string::npos);
  sim::FiberPool pool;
  Execution x(pool, {});
  sim::CurrentExecution current(x);
  Ptr<Obj> o = kzalloc<Obj>(GFP_KERNEL);  // outside a thread: the model's initial state
  const int line = __LINE__ - 1;
  CHECK(x.block(o.block()).name == "Obj");
  CHECK(x.block(o.block()).alloc_at.find("linux_test.cpp:" + std::to_string(line)) != std::string::npos);
}

TEST_CASE("linux: the model builds its initial state with its own creation code (locks, kzalloc, xa_insert)") {
  // kvm_vm_ioctl_create_vcpu run while the world is built: nothing is a step, nothing is racy,
  // and the threads then see the vCPU it made.
  struct Vcpu {
    sim::Field<int> vcpu_idx;
    explicit Vcpu(Execution& x) : vcpu_idx(x, "vcpu_idx", sim::uninit) {}
  };
  struct Kvm {
    Kernel kernel;
    mutex lock;
    atomic_t online_vcpus;
    xarray<Vcpu> vcpu_array;
    explicit Kvm(Execution& x) : kernel(x), lock(x, "lock"), online_vcpus(x, "online_vcpus", 0), vcpu_array(x, "vcpu_array", 2) {}
  };
  auto create = [](Kvm& kvm, int id) {
    mutex_lock(&kvm.lock);
    Ptr<Vcpu> v = kzalloc<Vcpu>(GFP_KERNEL_ACCOUNT);
    v->vcpu_idx.set(id);
    (void)WARN_ON(xa_insert(&kvm.vcpu_array, static_cast<unsigned long>(id), v) != 0);
    atomic_inc(&kvm.online_vcpus);
    mutex_unlock(&kvm.lock);
  };
  auto r = test::dpor_world([create](Execution& x) {
    auto& kvm = test::make_state<Kvm>(x);
    create(kvm, 0);  // in setup
    x.spawn("creator", [&kvm, create] { create(kvm, 1); });
    x.spawn("reader", [&kvm] {
      rcu_read_lock();
      if (Ptr<Vcpu> v = xa_load(&kvm.vcpu_array, 0)) (void)v->vcpu_idx.get();
      rcu_read_unlock();
    });
    x.on_end([&kvm, &x] {
      if (kvm.online_vcpus.peek() != 2) x.report(ViolationKind::Invariant, "online_vcpus", "");
      for (unsigned long i = 0; i < 2; ++i)
        if (Ptr<Vcpu> v = kvm.vcpu_array.slot(i, Loc::current()).peek()) {
          (void)v;
        } else {
          x.report(ViolationKind::Invariant, "missing vcpu", "");
        }
    });
  });
  CHECK(!test::found(r));
  CHECK(r.executions == 1);  // the setup's accesses are no steps: the reader's load commutes with the creator's
}

TEST_CASE("linux: rcu_dereference_protected without its lock is lockdep-RCU's warning; with it, no RCU section") {
  for (bool locked : {true, false}) {
    CAPTURE(locked);
    auto r = explore([locked](World& w, Execution& x) {
      RCU_INIT_POINTER(w.ptr, kzalloc<Obj>(GFP_KERNEL));
      x.spawn("updater", [&w, locked] {
        if (locked) mutex_lock(&w.lock);
        Ptr<Obj> o = rcu_dereference_protected(w.ptr, lockdep_is_held(&w.lock));
        CHECK(rcu_access_pointer(w.ptr) == o);
        (void)o->v.get();  // the updater may dereference it: no reader section needed
        if (locked) mutex_unlock(&w.lock);
      });
    });
    if (locked) {
      CHECK(!test::found(r));
    } else {
      REQUIRE(test::found(r) == ViolationKind::Warning);
      CHECK(r.counterexample->violation->message ==
            "suspicious rcu_dereference_protected() usage of ptr: the lock it names is not held");
    }
  }
}
