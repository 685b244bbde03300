// The in-process API (checker/check.hpp): a model run from a unit test, with the verdict
// `vcpucheck explore` would give.
#include <doctest/doctest.h>

#include "checker/check.hpp"
#include "sim/linux.hpp"
#include "support.hpp"

using namespace vcpucheck;
using namespace vcpucheck::lnx;
using sim::Execution;

namespace {
struct Counter {
  mutex lock;
  sim::Field<int> n;
  explicit Counter(Execution& x) : lock(x, "lock"), n(x, "n", 0) {}
};

// Two increments; `locked` decides whether they hold the mutex.
std::function<void(Execution&)> world(bool locked) {
  return [locked](Execution& x) {
    auto& c = test::make_state<Counter>(x);
    for (int i = 0; i < 2; ++i)
      x.spawn("T" + std::to_string(i), [&c, locked] {
        if (locked) mutex_lock(&c.lock);
        c.n.set(c.n.get() + 1);
        if (locked) mutex_unlock(&c.lock);
      });
  };
}
}  // namespace

TEST_CASE("check: a pass is complete, a violation comes with its accesses and the execution") {
  const CheckResult ok = check({}, world(true));
  CHECK(ok.passed());
  CHECK(ok.executions == 2);
  CHECK(ok.report == "no violation in 2 executions (complete: every interleaving explored)\n");
  const CheckResult bad = check({}, world(false));
  CHECK(!bad.passed());
  REQUIRE(bad.found());
  CHECK(bad.violation->kind == sim::ViolationKind::DataRace);
  CHECK(bad.report.find("data-race: on n") == 0);
  CHECK(bad.report.find("tests/check_test.cpp:") != std::string::npos);
  CHECK(!bad.counterexample.log.empty());
}

TEST_CASE("check: a bounded search is never a pass; random, pct and pos run; bad options are refused") {
  CheckOptions b;
  b.preemptions = 0;
  const CheckResult r = check(b, world(true));
  CHECK(!r.found());
  CHECK(r.bounded);
  CHECK(!r.passed());
  CheckOptions cut;
  cut.max_steps = 2;
  CHECK(!check(cut, world(true)).passed());
  for (const char* s : {"random", "pct", "pos"}) {
    CheckOptions o;
    o.strategy = s;
    o.max_executions = 50;
    CHECK(check(o, world(false)).found());
    CHECK(!check(o, world(true)).passed());  // never complete: test !found()
    CHECK(!check(o, world(true)).found());
  }
  CheckOptions unknown;
  unknown.strategy = "bfs";
  CHECK_THROWS_AS(check(unknown, world(true)), std::invalid_argument);
}
