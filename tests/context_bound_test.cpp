// Iterative context bounding (--preemptions B): the executions counted are exactly the traces
// that have a schedule with at most B preemptions. The expected counts are GenMC's for the same
// programs with --sc --bound-type=context --bound B (its test suite's expected.cb.in files; main
// there only creates the threads, as setup does here).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/memory.hpp"
#include "sim/sync.hpp"
#include "support.hpp"

using namespace vcpucheck;
using nlohmann::json;
using namespace vcpucheck::test::bench;
using sim::Execution;
using sim::Order;

namespace {

// Explores `world` for bounds 0, 1, ... and checks each count, then that one more bound than the
// table has reaches the full trace count (what DPOR finds).
void check_counts(const checker::Setup& world, const std::vector<uint64_t>& counts) {
  for (uint32_t b = 0; b < counts.size(); ++b) {
    CAPTURE(b);
    auto r = test::dpor_world(world, b);
    CHECK(!r.counterexample);
    CHECK(r.exhausted);
    CHECK(r.executions == counts[b]);
    CHECK(r.complete == counts[b]);
    CHECK(r.blocked == r.stats.cached);  // only the state cache stops an execution early
  }
  auto full = test::dpor_world(world);
  CHECK(full.executions == counts.back());
  auto beyond = test::dpor_world(world, static_cast<uint32_t>(counts.size()));
  CHECK(beyond.executions == counts.back());
  auto loose = test::dpor_world(world, 64);  // more than the steps: the bound never bites
  CHECK(loose.executions == counts.back());
  CHECK(!loose.bounded);
}

struct X {
  sim::Atomic<int> x;
  explicit X(Execution& e) : x(e, "x") {}
};

// GenMC tests/correct/synthetic/inc: thread i loads x, stores x + 2^i.
checker::Setup inc(int n) {
  return [n](Execution& x) {
    auto& s = test::make_state<X>(x);
    for (int i = 0; i < n; ++i)
      x.spawn("T" + std::to_string(i), [&s, i] {
        int r = s.x.load(Order::Relaxed);
        s.x.store(r + (1 << i), Order::Release);
      });
  };
}

// casw: thread i tries CAS(x, 0 -> 1), then stores i + 3.
checker::Setup casw(int n) {
  return [n](Execution& x) {
    auto& s = test::make_state<X>(x);
    for (int i = 0; i < n; ++i)
      x.spawn("T" + std::to_string(i), [&s, i] {
        int r = 0;
        s.x.compare_exchange(r, 1, Order::Relaxed);
        s.x.store(i + 3, Order::Release);
      });
  };
}

// cinc: every thread increments x, y and z.
checker::Setup cinc(int n) {
  struct S {
    sim::Atomic<int> x, y, z;
    explicit S(Execution& e) : x(e, "x"), y(e, "y"), z(e, "z") {}
  };
  return [n](Execution& x) {
    auto& s = test::make_state<S>(x);
    for (int i = 0; i < n; ++i)
      x.spawn("T" + std::to_string(i), [&s] {
        s.x.fetch_add(1, Order::Relaxed);
        s.y.fetch_add(1, Order::Relaxed);
        s.z.fetch_add(1, Order::Relaxed);
      });
  };
}

// CoA: two threads store to x, read y (or z), read x back; n - 1 more store to y then z.
checker::Setup coa(int n) {
  struct S {
    sim::Atomic<int> x, y, z;
    explicit S(Execution& e) : x(e, "x"), y(e, "y"), z(e, "z") {}
  };
  return [n](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("one", [&s] {
      s.x.store(1, Order::Release);
      (void)s.y.load(Order::Acquire);
      (void)s.x.load(Order::Acquire);
    });
    x.spawn("two", [&s] {
      s.x.store(2, Order::Release);
      (void)s.z.load(Order::Acquire);
      (void)s.x.load(Order::Acquire);
    });
    for (int i = 0; i < n - 1; ++i)
      x.spawn("T" + std::to_string(i), [&s, i] {
        s.y.store(i, Order::Release);
        s.z.store(i, Order::Release);
      });
  };
}

}  // namespace

TEST_CASE("context bounding: GenMC's counts for inc") {
  check_counts(inc(2), {2, 4});
  check_counts(inc(3), {6, 24, 36});
  check_counts(inc(4), {24, 168, 432, 576});
}

TEST_CASE("context bounding: GenMC's counts for casw") {
  check_counts(casw(2), {2, 4, 6});
  check_counts(casw(3), {6, 24, 54, 66});
  check_counts(casw(4), {24, 168, 576, 1056, 1200});
}

TEST_CASE("context bounding: GenMC's counts for cinc") {
  check_counts(cinc(2), {2, 6, 8});
  check_counts(cinc(3), {6, 42, 120, 192, 216});
}

TEST_CASE("context bounding: GenMC's counts for CoA") {
  check_counts(coa(1), {2, 4});
  check_counts(coa(2), {6, 15});
  check_counts(coa(3), {24, 90, 130});
  check_counts(coa(4), {120, 708, 1608, 2028});
}

TEST_CASE("context bounding: GenMC's counts for readers and casrot, shipped bench models") {
  CHECK(test::dpor(test::scenario(readers(2)), 0).executions == 4);
  const uint64_t casrot0[] = {0, 0, 2, 5, 14, 43, 144};
  for (int n = 2; n <= 6; ++n) {
    CAPTURE(n);
    CHECK(test::dpor(test::scenario(casrot(n)), 0).executions == casrot0[n]);
  }
}

TEST_CASE("context bounding: lastzero's traces all have a serial schedule") {
  // lastzero(3): 4 threads, 24 serial orders; each of its 12 traces is one of them.
  auto r = test::dpor(test::scenario(lastzero(3)), 0);
  CHECK(r.executions == 12);
  CHECK(r.exhausted);
  CHECK(r.bounded);
  CHECK(r.stats.repeated + r.stats.cached > 0);  // 24 orders, 12 traces
}

TEST_CASE("context bounding: a check that fails on one serial order only is found at bound 0") {
  // Each thread appends its number to x's decimal digits; only the order T3 T2 T1 T0 ends in 4321.
  auto world = [](Execution& x) {
    auto& s = test::make_state<X>(x);
    for (int i = 0; i < 4; ++i)
      x.spawn("T" + std::to_string(i), [&s, &x, i] {
        s.x.store(s.x.load() * 10 + i + 1);
        sim::kassert(x, s.x.load() != 4321, "the reverse order");
      });
  };
  auto r = test::dpor_world(world, 0);
  REQUIRE(test::found(r) == sim::ViolationKind::Assertion);
  // The schedule has no preemption: each thread runs to its end before the next starts.
  const auto& sched = r.counterexample->schedule;
  for (size_t k = 1; k < sched.size(); ++k)
    if (sched[k] != sched[k - 1]) CHECK(sched[k] < sched[k - 1]);
}

TEST_CASE("context bounding: a bug that needs one preemption is out of bound 0 and found at 1") {
  // The lost update of inc(2): both load before either stores. The last to finish checks.
  struct S {
    sim::Atomic<int> x, done;
    explicit S(Execution& e) : x(e, "x"), done(e, "done") {}
  };
  auto world = [](Execution& x) {
    auto& s = test::make_state<S>(x);
    for (int i = 0; i < 2; ++i)
      x.spawn("T" + std::to_string(i), [&s, &x] {
        int r = s.x.load();
        s.x.store(r + 1);
        if (s.done.fetch_add(1) == 1) sim::kassert(x, s.x.load() == 2, "lost update");
      });
  };
  auto zero = test::dpor_world(world, 0);
  CHECK(!zero.counterexample);
  CHECK(zero.bounded);
  auto one = test::dpor_world(world, 1);
  CHECK(test::found(one) == sim::ViolationKind::Assertion);
}

TEST_CASE("context bounding: the state cache changes the work, never the count or the order") {
  auto world = inc(4);
  for (uint32_t b = 0; b <= 3; ++b) {
    CAPTURE(b);
    checker::ExploreOptions o;
    checker::ContextBound cached(checker::ContextBound::Options{b});
    checker::ContextBound plain(checker::ContextBound::Options{b, 0});
    auto a = checker::explore(cached, world, o);
    auto p = checker::explore(plain, world, o);
    CHECK(a.executions == p.executions);
    CHECK(p.stats.cached == 0);
    CHECK(p.blocked == 0);
    CHECK(a.executions + a.stats.repeated + a.stats.cached <= p.executions + p.stats.repeated);
  }
}
