// DPOR with blocking primitives: exact counts where the number of distinct behaviours is known,
// and the bounded and sampling strategies.
#include <doctest/doctest.h>

#include "checker/simple_strategies.hpp"
#include "sim/chan.hpp"
#include "sim/memory.hpp"
#include "sim/sync.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;

namespace {

struct Counter {
  sim::Mutex m;
  sim::Sx sx;
  sim::Field<int> c;
  explicit Counter(Execution& x) : m(x, "m"), sx(x, "sx"), c(x, "c") {}
};

checker::Setup critical_sections(int n) {
  return [n](Execution& x) {
    auto& s = test::make_state<Counter>(x);
    for (int i = 0; i < n; ++i)
      x.spawn("T" + std::to_string(i), [&s] {
        s.m.lock();
        s.c.set(s.c.get() + 1);
        s.m.unlock();
      });
  };
}

}  // namespace

TEST_CASE("N critical sections on one mutex: N! orders, nothing blocked") {
  for (auto [n, fact] : {std::pair{2, 2}, {3, 6}, {4, 24}, {5, 120}}) {
    CAPTURE(n);
    auto r = test::dpor_world(critical_sections(n));
    CHECK(!r.counterexample);
    CHECK(r.executions == static_cast<uint64_t>(fact));
    CHECK(r.stats.blocked == 0);
  }
}

TEST_CASE("sx: shared holders commute, an exclusive holder orders against each") {
  // Two readers under slock read c; one writer under xlock writes it. Distinct behaviours: the
  // writer before both readers, between them, after both (readers among themselves commute).
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<Counter>(x);
    for (int i = 0; i < 2; ++i)
      x.spawn("reader" + std::to_string(i), [&s] {
        s.sx.slock();
        (void)s.c.get();
        s.sx.sunlock();
      });
    x.spawn("writer", [&s] {
      s.sx.xlock();
      s.c.set(1);
      s.sx.xunlock();
    });
  });
  CHECK(!r.counterexample);
  CHECK(r.executions == 4);  // W R R, R W R (either reader first), R R W
}

TEST_CASE("trylock: success and failure are both explored") {
  static int got = 0, missed = 0;
  got = missed = 0;
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<Counter>(x);
    x.spawn("holder", [&s] {
      s.m.lock();
      s.m.unlock();
    });
    x.spawn("trier", [&s] {
      if (s.m.trylock()) {
        ++got;
        s.m.unlock();
      } else {
        ++missed;
      }
    });
  });
  CHECK(!r.counterexample);
  CHECK(got > 0);
  CHECK(missed > 0);
  CHECK(r.executions == 3);  // try before, during, after the holder's critical section
}

TEST_CASE("a preemption bound cuts the search and says so") {
  // Three threads each load x then store x + 1 (atomics): without preemptions only the 3! serial
  // orders remain; the full search also interleaves the loads and stores.
  struct S {
    sim::Atomic<int> x;
    explicit S(Execution& e) : x(e, "x") {}
  };
  auto world = [](Execution& x) {
    auto& s = test::make_state<S>(x);
    for (int i = 0; i < 3; ++i) x.spawn("T" + std::to_string(i), [&s] { s.x.store(s.x.load() + 1); });
  };
  auto full = test::dpor_world(world);
  auto zero = test::dpor_world(world, 0);
  CHECK(!full.bounded);
  CHECK(full.executions > 6);
  CHECK(zero.executions == 6);
  CHECK(zero.bounded);
  CHECK(zero.stats.pruned > 0);
  // More preemptions allowed, never fewer executions; a bound that never bites changes nothing.
  uint64_t last = 0;
  for (uint32_t b = 0; b <= 4; ++b) {
    auto r = test::dpor_world(world, b);
    CAPTURE(b);
    CHECK(r.executions >= last);
    CHECK(!r.counterexample);
    last = r.executions;
  }
  CHECK(test::dpor_world(world, 100).executions == full.executions);
  // Non-preemptive critical sections lose nothing to a bound of zero.
  CHECK(test::dpor_world(critical_sections(4), 0).executions == 24);
}

TEST_CASE("random and pct: the same seed gives the same executions") {
  auto schedules = [](checker::Strategy& s) {
    checker::ExploreOptions o;
    std::vector<std::vector<uint32_t>> out;
    for (int i = 0; i < 20; ++i) out.push_back(checker::run_one(s, critical_sections(4), o).schedule);
    return out;
  };
  checker::RandomStrategy a(42, 100), b(42, 100), c(43, 100);
  auto sa = schedules(a), sb = schedules(b), sc = schedules(c);
  CHECK(sa == sb);
  CHECK(sa != sc);
  checker::PctStrategy p(7, 100, 3), q(7, 100, 3);
  CHECK(schedules(p) == schedules(q));
  checker::PosStrategy r(7, 100), s(7, 100), t(8, 100);
  auto sr = schedules(r);
  CHECK(sr == schedules(s));
  CHECK(sr != schedules(t));
}

TEST_CASE("pos: a thread that must wait many steps still gets its turn, where random walks starve it") {
  // The reader sees the bug only if it runs after all 21 of the writer's stores. The writer's
  // first 20 touch only its own cell, so under partial order sampling the reader keeps its
  // priority while the writer draws a new one each step: it waits k steps with probability
  // 1/(k+1). A uniform random walk leaves it waiting 21 steps once in 2^21 executions.
  struct S {
    sim::Atomic<int> own, x;
    explicit S(Execution& e) : own(e, "own"), x(e, "x") {}
  };
  auto world = [](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("writer", [&s] {
      for (int i = 1; i <= 20; ++i) s.own.store(i);
      s.x.store(1);
    });
    x.spawn("reader", [&s, &x] { sim::kassert(x, s.x.load() == 0, "read after the writer's last store"); });
  };
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    CAPTURE(seed);
    checker::ExploreOptions o;
    checker::PosStrategy pos(seed, 300);
    CHECK(test::found(checker::explore(pos, world, o)) == sim::ViolationKind::Assertion);
    checker::RandomStrategy random(seed, 300);
    CHECK(!checker::explore(random, world, o).counterexample);
  }
}

TEST_CASE("pct: initial priorities are a random permutation, so thread order does not matter") {
  // A depth-2 bug: `writer`'s first store must run before `reader`, its second after. Declared
  // first or second, the writer must get the higher priority in some executions.
  struct S {
    sim::Atomic<int> x;
    explicit S(Execution& e) : x(e, "x") {}
  };
  auto world = [](bool writer_first) {
    return [writer_first](Execution& x) {
      auto& s = test::make_state<S>(x);
      auto writer = [&s] {
        s.x.store(1);
        s.x.store(0);
      };
      auto reader = [&s, &x] { sim::kassert(x, s.x.load() != 1, "saw the intermediate 1"); };
      if (writer_first) x.spawn("writer", writer);
      x.spawn("reader", reader);
      if (!writer_first) x.spawn("writer", writer);
    };
  };
  for (bool writer_first : {true, false})
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      CAPTURE(writer_first);
      CAPTURE(seed);
      checker::PctStrategy pct(seed, 100, 2);
      checker::ExploreOptions o;
      auto r = checker::explore(pct, world(writer_first), o);
      CHECK(test::found(r) == sim::ViolationKind::Assertion);
    }
}
