// The execution mechanism and the primitives: every model mistake becomes a violation with a
// location, blocking and bounds are outcomes, and nothing crashes the host.
#include <doctest/doctest.h>

#include "sim/chan.hpp"
#include "sim/heap.hpp"
#include "sim/rcu.hpp"
#include "sim/sync.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::ViolationKind;

namespace {

struct Node {
  sim::Field<int> v;
  explicit Node(Execution& x) : v(x, "v") {}
};

struct Two {
  sim::Mutex a, b;
  sim::Field<int> f;
  explicit Two(Execution& x) : a(x, "a"), b(x, "b"), f(x, "f") {}
};

}  // namespace

TEST_CASE("objects get ids in creation order and scoped names") {
  sim::FiberPool pool;
  Execution x(pool, {});
  sim::Scope vm(x, "vm");
  sim::Field<int> state(x, "state");
  sim::Array<sim::Field<int>> arr(x, "vcpu", 2);
  CHECK(x.object(state.id()).name == "vm.state");
  CHECK(state.id().v == 0);
  CHECK(x.object(arr.peek(1).id()).name == "vm.vcpu[1]");
  CHECK(arr.peek(1).id().v == 2);
}

TEST_CASE("nested structs name their objects under the member's name") {
  struct Arch {
    sim::Field<int> cr0;
    sim::Mutex lock;
    explicit Arch(Execution& x, int init) : cr0(x, "cr0", init), lock(x, "lock") {}
  };
  struct Vcpu {
    sim::Field<int> state;
    sim::Nested<Arch> arch;
    explicit Vcpu(Execution& x) : state(x, "state"), arch(x, "arch", 7) {}
  };
  sim::FiberPool pool;
  Execution x(pool, {});
  sim::Nested<Vcpu> top(x, "vm");
  CHECK(x.object(top.state.id()).name == "vm.state");
  CHECK(x.object(top.arch.cr0.id()).name == "vm.arch.cr0");
  CHECK(x.object(top.arch.lock.id()).name == "vm.arch.lock");
  CHECK(top.arch.cr0.peek() == 7);
  sim::CurrentExecution current(x);
  auto v = sim::heap_alloc<Vcpu>(x, "vcpu[1]");
  CHECK(x.object(v->arch.cr0.id()).name == "vcpu[1].arch.cr0");
  CHECK(v->arch.cr0.block() == v.block());  // in the block: freed with it
  sim::Field<int> after(x, "after");
  CHECK(x.object(after.id()).name == "after");  // the scopes were left
}

TEST_CASE("read-modify-writes return the old value and leave the new one, at the cell's width") {
  sim::FiberPool pool;
  Execution x(pool, {});
  sim::Atomic<unsigned> w(x, "w", 0b1100);
  CHECK(w.fetch_or(0b0011) == 0b1100);
  CHECK(w.fetch_and(0b1010) == 0b1111);
  CHECK(w.fetch_xor(0b0110) == 0b1010);
  CHECK(w.fetch_sub(2) == 0b1100);
  CHECK(w.peek() == 10);
  sim::Atomic<uint8_t> b(x, "b", 250);
  CHECK(b.fetch_add(10) == 250);
  CHECK(b.peek() == 4);
  CHECK(b.fetch_sub(5) == 4);
  CHECK(b.peek() == 255);
}

TEST_CASE("an unfinished thread is unwound when its execution ends") {
  static int destroyed = 0;
  struct Guard {
    ~Guard() { ++destroyed; }
  };
  destroyed = 0;
  auto r = test::dpor_world([](Execution& x) {
    auto& t = test::make_state<Two>(x);
    x.spawn("T1", [&t] {
      Guard g;
      t.a.lock();
      t.b.lock();
      t.b.unlock();
      t.a.unlock();
    });
    x.spawn("T2", [&t] {
      Guard g;
      t.b.lock();
      t.a.lock();
      t.a.unlock();
      t.b.unlock();
    });
  });
  CHECK(test::found(r) == ViolationKind::Deadlock);
  CHECK(destroyed >= 2);
  CHECK(r.counterexample->violation->message.find("wait-for cycle") != std::string::npos);
}

TEST_CASE("the step bound is an outcome, not a crash") {
  auto r = test::dpor_world(
      [](Execution& x) {
        auto& n = test::make_state<Node>(x);
        x.spawn("counter", [&n] {
          for (;;) n.v.set(n.v.get() + 1);
        });
      },
      UINT32_MAX, 50);
  CHECK(!r.counterexample);
  CHECK(r.step_bounded == 1);
  CHECK(r.bounded);
}

TEST_CASE("a spin loop nobody can end is a liveness violation, not a step-bound run") {
  auto r = test::dpor_world(
      [](Execution& x) {
        auto& n = test::make_state<Node>(x);
        x.spawn("spinner", [&n] {
          while (n.v.get() == 0) {
          }
        });
      },
      UINT32_MAX, 50);
  REQUIRE(test::found(r) == ViolationKind::Liveness);
  CHECK(r.step_bounded == 0);
  CHECK(r.counterexample->violation->message.find("spins forever") != std::string::npos);
  CHECK(r.counterexample->log.size() == 2);  // two identical iterations, then it waits
}

TEST_CASE("a model that throws is a model-error violation") {
  auto r = test::dpor_world([](Execution& x) { x.spawn("T", [] { throw std::runtime_error("boom"); }); });
  REQUIRE(test::found(r) == ViolationKind::ModelError);
  CHECK(r.counterexample->violation->message.find("boom") != std::string::npos);
}

TEST_CASE("NULL dereference names where the pointer was loaded") {
  struct S {
    sim::Atomic<sim::Ptr<Node>> slot;
    explicit S(Execution& x) : slot(x, "slot") {}
  };
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("T", [&s] { (void)s.slot.load()->v.get(); });
  });
  REQUIRE(test::found(r) == ViolationKind::NullDeref);
  CHECK(r.counterexample->violation->message.find("loaded from slot at tests/sim_test.cpp") != std::string::npos);
}

namespace {
sim::Ptr<Node> lookup(int) { return nullptr; }  // a lookup that found nothing
}  // namespace

TEST_CASE("NULL dereference of a NULL the model returned names the model's line, not the header's") {
  auto r = test::dpor_world([](Execution& x) {
    auto& n = test::make_state<Node>(x);
    x.spawn("T", [&n] {
      n.v.set(1);
      (void)lookup(0)->v.get();
    });
  });
  REQUIRE(test::found(r) == ViolationKind::NullDeref);
  const sim::Violation& v = *r.counterexample->violation;
  CHECK(v.message.find("of the NULL made at tests/sim_test.cpp:") != std::string::npos);
  CHECK(v.message.find("(lookup)") != std::string::npos);
  REQUIRE(!v.involved.empty());
  CHECK(v.involved[0].loc.find("tests/sim_test.cpp:") == 0);
  CHECK(v.involved[0].loc.find("heap.hpp") == std::string::npos);
}

TEST_CASE("use after free, double free and out-of-bounds are violations") {
  SUBCASE("use after free") {
    auto r = test::dpor_world([](Execution& x) {
      x.spawn("T", [&x] {
        auto p = sim::heap_alloc<Node>(x, "node");
        sim::heap_free(x, p);
        p->v.set(1);
      });
    });
    REQUIRE(test::found(r) == ViolationKind::UseAfterFree);
    CHECK(r.counterexample->violation->object == "node.v");
  }
  SUBCASE("double free") {
    auto r = test::dpor_world([](Execution& x) {
      x.spawn("T", [&x] {
        auto p = sim::heap_alloc<Node>(x, "node");
        sim::heap_free(x, p);
        sim::heap_free(x, p);
      });
    });
    CHECK(test::found(r) == ViolationKind::DoubleFree);
  }
  SUBCASE("out of bounds") {
    struct A {
      sim::Array<sim::Field<int>> a;
      explicit A(Execution& x) : a(x, "a", 3) {}
    };
    auto r = test::dpor_world([](Execution& x) {
      auto& s = test::make_state<A>(x);
      x.spawn("T", [&s] { s.a.at(-1).set(0); });
    });
    REQUIRE(test::found(r) == ViolationKind::OutOfBounds);
    CHECK(r.counterexample->violation->message.find("index -1") != std::string::npos);
  }
  SUBCASE("leak: an unreferenced block never freed") {
    auto r = test::dpor_world([](Execution& x) {
      x.spawn("T", [&x] { (void)sim::heap_alloc<Node>(x, "lost"); });
    });
    REQUIRE(test::found(r) == ViolationKind::Leak);
    CHECK(r.counterexample->violation->object == "lost");
  }
}

TEST_CASE("lock misuse and blocking in critical sections") {
  SUBCASE("unlock of a lock not held") {
    auto r = test::dpor_world([](Execution& x) {
      auto& t = test::make_state<Two>(x);
      x.spawn("T", [&t] { t.a.unlock(); });
    });
    CHECK(test::found(r) == ViolationKind::LockMisuse);
  }
  SUBCASE("recursion") {
    auto r = test::dpor_world([](Execution& x) {
      auto& t = test::make_state<Two>(x);
      x.spawn("T", [&t] {
        t.a.lock();
        t.a.lock();
      });
    });
    CHECK(test::found(r) == ViolationKind::LockMisuse);
  }
  SUBCASE("a spin mutex is allowed in a critical section, a sleep mutex under a spin mutex is not") {
    struct S {
      sim::SpinMutex spin;
      sim::Mutex sleep;
      explicit S(Execution& x) : spin(x, "spin"), sleep(x, "sleep") {}
    };
    auto r = test::dpor_world([](Execution& x) {
      auto& s = test::make_state<S>(x);
      x.spawn("T", [&s, &x] {
        sim::critical_enter(x);
        s.spin.lock();
        s.spin.unlock();
        sim::critical_exit(x);
        s.spin.lock();
        s.sleep.lock();
      });
    });
    REQUIRE(test::found(r) == ViolationKind::BlockingInCritical);
    CHECK(r.counterexample->violation->message.find("while holding a spin mutex") != std::string::npos);
  }
}

TEST_CASE("sleep/wakeup: a wakeup under the interlock is never lost; one outside it can be") {
  struct S {
    sim::Mutex mtx;
    sim::Chan chan;
    sim::Atomic<int> ready;
    bool outside;
    S(Execution& x, bool o) : mtx(x, "mtx"), chan(x, "chan"), ready(x, "ready"), outside(o) {}
  };
  auto world = [](bool outside) {
    return [outside](Execution& x) {
      auto& s = test::make_state<S>(x, outside);
      x.spawn("waiter", [&s] {
        s.mtx.lock();
        if (!s.ready.load()) s.chan.sleep(s.mtx);
        s.mtx.unlock();
      });
      x.spawn("waker", [&s] {
        if (!s.outside) s.mtx.lock();
        s.ready.store(1);
        s.chan.wakeup();
        if (!s.outside) s.mtx.unlock();
      });
    };
  };
  auto good = test::dpor_world(world(false));
  CHECK(!good.counterexample);
  CHECK(good.exhausted);
  // Without the interlock the wakeup can land between the waiter's check and its sleep.
  auto bad = test::dpor_world(world(true));
  REQUIRE(test::found(bad) == ViolationKind::Deadlock);
  CHECK(bad.counterexample->violation->message.find("waiter waits in sleep-wait chan") != std::string::npos);
}

TEST_CASE("sleep with a timeout returns either way: both orders are explored") {
  struct S {
    sim::Mutex mtx;
    sim::Chan chan;
    sim::Field<int> woken, timed_out;
    explicit S(Execution& x) : mtx(x, "mtx"), chan(x, "chan"), woken(x, "woken"), timed_out(x, "timed_out") {}
  };
  static int woke = 0, timed = 0;
  woke = timed = 0;
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("sleeper", [&s] {
      s.mtx.lock();
      if (s.chan.sleep(s.mtx, {.timeout = true}))
        ++woke;
      else
        ++timed;
      s.mtx.unlock();
    });
    x.spawn("waker", [&s] {
      s.mtx.lock();
      s.chan.wakeup();
      s.mtx.unlock();
    });
  });
  CHECK(!r.counterexample);
  CHECK(woke > 0);
  CHECK(timed > 0);
}

TEST_CASE("synchronize_rcu returns only after readers that saw the old value are done with it") {
  struct S {
    sim::Rcu rcu;
    sim::Atomic<int> gp, seen, finished;
    explicit S(Execution& x) : rcu(x, "rcu"), gp(x, "gp", 1), seen(x, "seen"), finished(x, "finished") {}
  };
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("reader", [&s] {
      s.rcu.read_lock();
      s.seen.store(s.gp.load());
      s.rcu.read_unlock();
      s.finished.store(1);
    });
    x.spawn("updater", [&s, &x] {
      s.gp.store(2);
      s.rcu.synchronize();
      // Every reader that could still hold the old value (1) has left its read-side section.
      if (s.seen.load() == 1) sim::kassert(x, !s.rcu.state(), "a reader that saw the old value is still inside");
    });
  });
  CHECK(!r.counterexample);
  CHECK(r.exhausted);
  CHECK(r.executions >= 3);
}

TEST_CASE("a thread joins another after everything it did") {
  struct S {
    sim::Field<int> data;
    explicit S(Execution& x) : data(x, "data") {}
  };
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("parent", [&s, &x] {
      sim::ThreadId child = x.spawn("child", [&s] { s.data.set(1); });
      sim::join(x, child);
      sim::kassert(x, s.data.get() == 1, "joined child's write is visible");
    });
  });
  CHECK(!r.counterexample);  // no race: join orders the child's write before the read
  CHECK(r.executions == 1);
}

TEST_CASE("eventually: a liveness property judged once every thread is done or idle") {
  struct S {
    sim::Mutex m;
    sim::Field<int> started;
    explicit S(Execution& x) : m(x, "m"), started(x, "started", 0) {}
  };
  for (bool starts : {true, false}) {
    CAPTURE(starts);
    auto r = test::dpor_world([starts](Execution& x) {
      auto& s = test::make_state<S>(x);
      x.eventually("AP 1 started", [&s] { return s.started.peek() == 1; });
      x.spawn("bsp", [&s, starts] {
        s.m.lock();
        if (starts) s.started.set(1);
        s.m.unlock();
      });
    });
    if (starts) {
      CHECK(!test::found(r));
    } else {
      REQUIRE(test::found(r) == ViolationKind::Liveness);
      CHECK(r.counterexample->violation->message == "eventually \"AP 1 started\" never held: every thread is done or idle");
      CHECK(r.counterexample->violation->involved.at(0).loc.find("tests/sim_test.cpp") == 0);
    }
  }
  // Not judged when the execution ended with another violation: that one is the verdict.
  auto d = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.eventually("never", [] { return false; });
    x.spawn("T", [&s] {
      s.m.lock();
      s.m.lock();
    });
  });
  CHECK(test::found(d) == ViolationKind::LockMisuse);
}
