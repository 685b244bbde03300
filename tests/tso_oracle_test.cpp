// The soundness oracle under x86-TSO (tests/oracle.hpp): store buffering with and without
// barriers, spin-mutex unlocks, and the shipped litmus scenarios, against every schedule; DPOR
// exact (the distinct traces, none blocked).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "models/scenario.hpp"
#include "oracle.hpp"
#include "support.hpp"

using namespace vcpucheck;
using namespace vcpucheck::test::oracle;
using sim::Execution;
using sim::Order;

namespace {

struct Sb {
  sim::Atomic<int> x, y, r1, r2;
  explicit Sb(Execution& e) : x(e, "x"), y(e, "y"), r1(e, "r1"), r2(e, "r2") {}
};

// Store buffering: each thread stores one flag and loads the other's. (0, 0) needs TSO.
checker::Setup store_buffering(bool fenced) {
  return [fenced](Execution& e) {
    auto& s = test::make_state<Sb>(e);
    e.spawn("A", [&s, &e, fenced] {
      s.x.store(1, Order::Relaxed);
      if (fenced) sim::smp_mb(e);
      int r = s.y.load(Order::Relaxed);
      sim::kassert(e, !(r == 0 && s.r2.load(Order::Relaxed) == 1), "both loads saw 0");
      s.r1.store(1, Order::SeqCst);  // "A read y == 0"
      (void)r;
    });
    e.spawn("B", [&s, &e, fenced] {
      s.y.store(1, Order::Relaxed);
      if (fenced) sim::smp_mb(e);
      int r = s.x.load(Order::Relaxed);
      if (r == 0) s.r2.store(1, Order::SeqCst);
    });
  };
}

// Store buffering through an unlock: A stores x inside a critical section, unlocks, then loads
// y; B stores y, smp_mb, loads x. A spin mutex's unlock is a plain store (it stays in A's buffer
// with x, and A's load passes both); a sleep mutex's unlock is a locked cmpxchg (it drains).
template <class L>
checker::Setup sb_through_unlock(bool check = true) {
  struct S {
    sim::Atomic<int> x, y, b_saw_0;
    L lock;
    explicit S(Execution& e) : x(e, "x"), y(e, "y"), b_saw_0(e, "b_saw_0"), lock(e, "lock") {}
  };
  return [check](Execution& e) {
    auto& s = test::make_state<S>(e);
    e.spawn("A", [&s, &e, check] {
      s.lock.lock();
      s.x.store(1, Order::Relaxed);
      s.lock.unlock();
      const int r = s.y.load(Order::Relaxed);
      if (check) sim::kassert(e, !(r == 0 && s.b_saw_0.load(Order::SeqCst) == 1), "both loads saw 0");
    });
    e.spawn("B", [&s, &e] {
      s.y.store(1, Order::Relaxed);
      sim::smp_mb(e);
      if (s.x.load(Order::Relaxed) == 0) s.b_saw_0.store(1, Order::SeqCst);
    });
  };
}

bool finds_violation(const checker::Setup& world) {
  checker::Dpor d;
  checker::ExploreOptions o;
  o.bounds.memory = sim::MemoryModel::TSO;
  o.bounds.max_steps = 200;
  return checker::explore(d, world, o).counterexample.has_value();
}

}  // namespace

TEST_CASE("tso: a spin mutex's unlock is a buffered release store, a sleep mutex's drains") {
  Tso tso;
  same_outcomes(sb_through_unlock<sim::SpinMutex>());
  same_outcomes(sb_through_unlock<sim::Mutex>());
  tso_exact(sb_through_unlock<sim::SpinMutex>(false));
  tso_exact(sb_through_unlock<sim::Mutex>(false));
  CHECK(finds_violation(sb_through_unlock<sim::SpinMutex>()));
  CHECK_FALSE(finds_violation(sb_through_unlock<sim::Mutex>()));
}

TEST_CASE("tso: a buffered spin-mutex release: others wait for its flush, its holder holds it no more") {
  Tso tso;
  struct S {
    sim::SpinMutex lock;
    sim::Atomic<int> x;
    explicit S(Execution& e) : lock(e, "lock"), x(e, "x") {}
  };
  auto world = [](Execution& e) {
    auto& s = test::make_state<S>(e);
    e.spawn("A", [&s, &e] {
      s.lock.lock();
      s.x.store(1, Order::Relaxed);
      s.lock.unlock();
      sim::kassert(e, !s.lock.owned_by(e.current()), "the holder still owns a lock it released");
      s.lock.lock();  // drains: waits for its own release to reach memory, then takes it again
      s.lock.unlock();
    });
    e.spawn("B", [&s] {
      s.lock.lock();
      (void)s.x.load(Order::Relaxed);
      s.lock.unlock();
    });
  };
  same_outcomes(world);
  const auto r = tso_exact(world);
  CHECK(!r.counterexample);
}

TEST_CASE("tso oracle: store buffering, message passing and a lock, DPOR against every schedule") {
  Tso tso;
  same_outcomes(store_buffering(false));
  same_outcomes(store_buffering(true));
  same_outcomes([](Execution& e) {  // message passing: forbidden under TSO as under SC
    auto& s = test::make_state<Mem>(e);
    e.spawn("W", [&s] {
      s.x.store(1, Order::Relaxed);
      s.y.store(1, Order::Relaxed);
    });
    e.spawn("R", [&s] {
      (void)s.y.load(Order::Relaxed);
      (void)s.x.load(Order::Relaxed);
    });
  });
  same_outcomes([](Execution& e) {  // a lock drains the buffer; reads of its own buffer
    auto& s = test::make_state<Mem>(e);
    e.spawn("A", [&s] {
      s.x.store(1, Order::Relaxed);
      (void)s.x.load(Order::Relaxed);
      s.m.lock();
      s.y.store(2, Order::Relaxed);
      s.m.unlock();
    });
    e.spawn("B", [&s] {
      s.m.lock();
      (void)s.y.load(Order::Relaxed);
      s.m.unlock();
      (void)s.x.load(Order::Relaxed);
    });
  });
}

TEST_CASE("tso: DPOR explores each trace once, with none blocked") {
  tso_exact(store_buffering(false));
  tso_exact(store_buffering(true));
}

TEST_CASE("tso oracle: the shipped x86-TSO litmus scenarios, under the memory model each names") {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(VCPUCHECK_SOURCE_DIR) / "scenarios/litmus/tso"))
    files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 33);  // 15 litmus tests under sc and tso, and the kick protocol
  for (const auto& f : files) {
    CAPTURE(f);
    const models::Scenario s = models::load_scenario(f, test::registry());
    g_memory = s.strategy.memory;
    const checker::Setup world = [&s](Execution& x) { models::setup_scenario(s, x); };
    same_outcomes(world);
    checker::Dpor d;
    checker::ExploreOptions o;
    o.bounds.memory = s.strategy.memory;
    o.bounds.max_steps = 200;
    auto r = checker::explore(d, world, o);
    CHECK(r.blocked == 0);
    if (s.expect.executions) CHECK(r.executions == *s.expect.executions);
    if (!r.counterexample) CHECK(r.executions == distinct_traces(world));
    g_memory = sim::MemoryModel::SC;
  }
}

TEST_CASE("tso: unlocking a spin mutex twice is a misuse while the first unlock is still buffered") {
  struct S {
    sim::SpinMutex lock;
    explicit S(Execution& e) : lock(e, "lock") {}
  };
  checker::Dpor d;
  checker::ExploreOptions o;
  o.bounds.memory = sim::MemoryModel::TSO;
  auto r = checker::explore(d, [](Execution& e) {
    auto& s = test::make_state<S>(e);
    e.spawn("A", [&s] {
      s.lock.lock();
      s.lock.unlock();
      s.lock.unlock();
    });
  }, o);
  REQUIRE(r.counterexample);
  REQUIRE(r.counterexample->violation);
  CHECK(r.counterexample->violation->kind == sim::ViolationKind::LockMisuse);
}
