// The happens-before detectors: which edges order accesses, and what counts as a race or a use
// before init. The KVM online_vcpus idiom (store; smp_wmb; publish / read; smp_rmb; load) is the
// reference case: each missing barrier must be caught in an interleaving that looks harmless.
#include <doctest/doctest.h>

#include "checker/lock_order.hpp"
#include "sim/heap.hpp"
#include "sim/sync.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::Order;
using sim::ViolationKind;

namespace {

struct Pub {
  sim::Field<int> slot;            // the published datum, initialized by its first write
  sim::Atomic<int> online;         // the publication counter
  bool wmb, rmb;
  Pub(Execution& x, bool w, bool r) : slot(x, "slot", sim::uninit), online(x, "online"), wmb(w), rmb(r) {}
};

checker::Setup publication(bool wmb, bool rmb) {
  return [wmb, rmb](Execution& x) {
    auto& p = test::make_state<Pub>(x, wmb, rmb);
    x.spawn("creator", [&p, &x] {
      p.slot.set(7);
      if (p.wmb) sim::smp_wmb(x);
      p.online.store(1, Order::Relaxed);
    });
    x.spawn("reader", [&p, &x] {
      if (p.online.load(Order::Relaxed) == 1) {
        if (p.rmb) sim::smp_rmb(x);
        (void)p.slot.get();
      }
    });
  };
}

}  // namespace

TEST_CASE("publication through a counter needs smp_wmb and smp_rmb") {
  auto both = test::dpor_world(publication(true, true));
  CHECK(!both.counterexample);
  CHECK(both.executions == 2);
  for (auto [wmb, rmb] : {std::pair{false, true}, {true, false}, {false, false}}) {
    CAPTURE(wmb);
    CAPTURE(rmb);
    auto r = test::dpor_world(publication(wmb, rmb));
    REQUIRE(test::found(r) == ViolationKind::UseBeforeInit);
    // Caught in the interleaving where the reader saw the published value: not by luck.
    CHECK(r.counterexample->violation->message.find("although this interleaving showed the value") != std::string::npos);
    CHECK(r.counterexample->violation->object == "slot");
  }
}

TEST_CASE("release/acquire atomics order plain accesses; relaxed ones do not") {
  struct S {
    sim::Field<int> data;
    sim::Atomic<int> flag;
    Order st, ld;
    S(Execution& x, Order s, Order l) : data(x, "data"), flag(x, "flag"), st(s), ld(l) {}
  };
  auto world = [](Order st, Order ld) {
    return [st, ld](Execution& x) {
      auto& s = test::make_state<S>(x, st, ld);
      x.spawn("w", [&s] {
        s.data.set(1);
        s.flag.store(1, s.st);
      });
      x.spawn("r", [&s] {
        if (s.flag.load(s.ld)) (void)s.data.get();
      });
    };
  };
  CHECK(!test::dpor_world(world(Order::Release, Order::Acquire)).counterexample);
  CHECK(!test::dpor_world(world(Order::SeqCst, Order::SeqCst)).counterexample);
  CHECK(test::found(test::dpor_world(world(Order::Relaxed, Order::Acquire))) == ViolationKind::DataRace);
  CHECK(test::found(test::dpor_world(world(Order::Release, Order::Relaxed))) == ViolationKind::DataRace);
}

TEST_CASE("locks order the accesses they protect") {
  struct S {
    sim::Mutex m;
    sim::Field<int> c;
    bool locked;
    S(Execution& x, bool l) : m(x, "m"), c(x, "c"), locked(l) {}
  };
  auto world = [](bool locked) {
    return [locked](Execution& x) {
      auto& s = test::make_state<S>(x, locked);
      for (int i = 0; i < 2; ++i)
        x.spawn("T" + std::to_string(i), [&s] {
          if (s.locked) s.m.lock();
          s.c.set(s.c.get() + 1);
          if (s.locked) s.m.unlock();
        });
    };
  };
  auto ok = test::dpor_world(world(true));
  CHECK(!ok.counterexample);
  CHECK(ok.executions == 2);
  auto bad = test::dpor_world(world(false));
  REQUIRE(test::found(bad) == ViolationKind::DataRace);
  CHECK(bad.counterexample->violation->involved.size() == 2);
}

TEST_CASE("two atomic accesses never race; an atomic and a plain one do") {
  struct S {
    sim::Atomic<int> a;
    sim::Field<int> f;
    explicit S(Execution& x) : a(x, "a"), f(x, "f") {}
  };
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("T1", [&s] { s.a.fetch_add(1); });
    x.spawn("T2", [&s] { s.a.fetch_add(1); });
  });
  CHECK(!r.counterexample);
  CHECK(r.executions == 2);
}

TEST_CASE("a free that an access is not ordered before is use-after-free in another schedule") {
  struct Obj {
    sim::Field<int> v;
    explicit Obj(Execution& x) : v(x, "v") {}
  };
  struct S {
    sim::Atomic<sim::Ptr<Obj>> p;
    explicit S(Execution& x) : p(x, "p") { p.store(sim::heap_alloc<Obj>(x, "obj")); }
  };
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("user", [&s] { (void)s.p.load()->v.get(); });
    x.spawn("freer", [&s, &x] { sim::heap_free(x, s.p.exchange(nullptr)); });
  });
  CHECK(test::found(r) == ViolationKind::UseAfterFree);
}

TEST_CASE("lock-order graph: a cycle is an inversion, a consistent order is not") {
  struct S {
    sim::Mutex a, b, c;
    explicit S(Execution& x) : a(x, "a"), b(x, "b"), c(x, "c") {}
  };
  auto nest = [](sim::Mutex& o, sim::Mutex& i) {
    o.lock();
    i.lock();
    i.unlock();
    o.unlock();
  };
  // a -> b, b -> c, in one thread each, sequentially joined: consistent.
  auto consistent = test::dpor_world([&](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("T", [&] {
      nest(s.a, s.b);
      nest(s.b, s.c);
    });
  });
  CHECK(!consistent.counterexample);
  // a -> b, b -> c, c -> a: a three-lock cycle, never deadlocking because one thread does it all.
  auto cycle = test::dpor_world([&](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("T", [&] {
      nest(s.a, s.b);
      nest(s.b, s.c);
      nest(s.c, s.a);
    });
  });
  REQUIRE(test::found(cycle) == ViolationKind::LockOrder);
  CHECK(cycle.counterexample->violation->message.find("a -> b -> c -> a") != std::string::npos);
  CHECK(cycle.counterexample->violation->involved.size() == 3);
}
