// DPOR at the step bound: an execution cut by --max-steps is a prefix, and the threads it starved
// must still be explored. Exact counts: the number of distinct prefixes of max_steps steps.
#include <doctest/doctest.h>

#include "sim/chan.hpp"
#include "sim/memory.hpp"
#include "sim/sync.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::Order;

namespace {

struct S {
  sim::Atomic<int> a, b, mine;
  sim::Mutex m;
  explicit S(Execution& x) : a(x, "a"), b(x, "b"), mine(x, "mine"), m(x, "m") {}
};

// The example: `waiter` spins until `setter` publishes, `setter` then asserts.
checker::Setup spin_then_assert(bool setter_first) {
  return [setter_first](Execution& x) {
    auto& s = test::make_state<S>(x);
    auto waiter = [&s] {
      while (s.a.load(Order::Acquire) == 0) {
      }
    };
    auto setter = [&s, &x] {
      s.a.store(1, Order::Release);
      sim::kassert(x, false, "setter ran");
    };
    if (setter_first) x.spawn("setter", setter);
    x.spawn("waiter", waiter);
    if (!setter_first) x.spawn("setter", setter);
  };
}

// A thread that never ends, touching only its own cell, and one that writes `writes` times to
// another: they never conflict.
checker::Setup independent(int writes, bool assert_at_end) {
  return [writes, assert_at_end](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("looper", [&s] {
      for (;;) s.mine.store(s.mine.load() + 1);
    });
    x.spawn("writer", [&s, &x, writes, assert_at_end] {
      for (int i = 1; i <= writes; ++i) s.b.store(i);
      if (assert_at_end) sim::kassert(x, false, "writer finished");
    });
  };
}

}  // namespace

TEST_CASE("step bound: a starved thread's conflicting operation is explored, in either thread order") {
  for (bool setter_first : {false, true})
    for (uint64_t bound : {10u, 100u, 1000u}) {
      CAPTURE(setter_first);
      CAPTURE(bound);
      auto r = test::dpor_world(spin_then_assert(setter_first), UINT32_MAX, bound);
      REQUIRE(test::found(r) == sim::ViolationKind::Assertion);
      CHECK(r.stats.blocked == 0);
    }
}

TEST_CASE("step bound: a starved thread that conflicts with nothing is explored") {
  auto r = test::dpor_world(independent(1, true), UINT32_MAX, 50);
  CHECK(test::found(r) == sim::ViolationKind::Assertion);
}

TEST_CASE("step bound: exact prefix counts, nothing blocked") {
  // The writer gets 0..k of its k writes in before the cut (the looper fills the rest): k + 1
  // prefixes, each cut by the bound.
  for (int k : {1, 2, 5}) {
    CAPTURE(k);
    auto r = test::dpor_world(independent(k, false), UINT32_MAX, 40);
    CHECK(!r.counterexample);
    CHECK(r.executions == static_cast<uint64_t>(k + 1));
    CHECK(r.step_bounded == static_cast<uint64_t>(k + 1));
    CHECK(r.stats.blocked == 0);
    CHECK(r.bounded);
  }
  // Two threads that never end: every split of n steps between them, n + 1 prefixes.
  auto two = test::dpor_world(
      [](Execution& x) {
        auto& s = test::make_state<S>(x);
        x.spawn("A", [&s] {
          for (;;) s.a.store(1);
        });
        x.spawn("B", [&s] {
          for (;;) s.b.store(1);
        });
      },
      UINT32_MAX, 12);
  CHECK(two.executions == 13);
  CHECK(two.stats.blocked == 0);
}

TEST_CASE("step bound: a thread blocked at the cut on a lock held by a looping thread") {
  auto r = test::dpor_world(
      [](Execution& x) {
        auto& s = test::make_state<S>(x);
        x.spawn("holder", [&s] {
          s.m.lock();
          for (;;) s.mine.store(1);
        });
        x.spawn("taker", [&s, &x] {
          s.m.lock();
          sim::kassert(x, false, "taker got the lock");
          s.m.unlock();
        });
      },
      UINT32_MAX, 30);
  CHECK(test::found(r) == sim::ViolationKind::Assertion);
}

TEST_CASE("timed sleeps: a forgotten wakeup is noticed by the timeout, never a step-bound run") {
  struct W {
    sim::Mutex m;
    sim::Chan chan;
    sim::Field<int> cond;
    explicit W(Execution& x) : m(x, "m"), chan(x, "chan"), cond(x, "cond") {}
  };
  static int noticed = 0;
  noticed = 0;
  auto r = test::dpor_world(
      [](Execution& x) {
        auto& w = test::make_state<W>(x);
        x.spawn("waiter", [&w] {
          w.m.lock();
          while (!w.cond.get()) w.chan.sleep(w.m, {.timeout = true});
          ++noticed;
          w.m.unlock();
        });
        x.spawn("setter", [&w] {  // sets the condition, forgets the wakeup
          w.m.lock();
          w.cond.set(1);
          w.m.unlock();
        });
      },
      UINT32_MAX, 100000);
  CHECK(!r.counterexample);
  CHECK(r.step_bounded == 0);
  CHECK(r.stats.blocked == 0);
  CHECK(noticed == static_cast<int>(r.executions));
  // The setter first (the waiter never sleeps), or the waiter asleep: its timeout fires once the
  // setter's write can be seen -- never before, when it could only find the same condition.
  CHECK(r.executions == 2);

  // Nobody ever sets the condition: the waiter's timeout cannot change anything after it fired
  // once, so it waits forever -- a liveness violation, not a loop until --max-steps.
  auto stuck = test::dpor_world(
      [](Execution& x) {
        auto& w = test::make_state<W>(x);
        x.spawn("waiter", [&w] {
          w.m.lock();
          while (!w.cond.get()) w.chan.sleep(w.m, {.timeout = true});
          w.m.unlock();
        });
      },
      UINT32_MAX, 100000);
  REQUIRE(test::found(stuck) == sim::ViolationKind::Liveness);
  CHECK(stuck.counterexample->violation->message.find("sleeps forever on chan") != std::string::npos);
  CHECK(stuck.step_bounded == 0);
}
