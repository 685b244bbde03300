// Model faults the engine survives: a model is C++ and can do anything. Each of these ends as a
// reported violation (or, while the model builds its state, a clear setup error), never a crash
// or a hang.
#include <doctest/doctest.h>

#include <new>

#include "sim/chan.hpp"
#include "sim/rcu.hpp"
#include "sim/sync.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::ViolationKind;

namespace {

// A model whose constructor runs an init function that locks, as kernels' do.
struct InitLocks {
  sim::Mutex m;
  sim::Field<int> f;
  sim::Rcu rcu;
  sim::Chan chan;
  explicit InitLocks(Execution& x, bool leave_held = false) : m(x, "m"), f(x, "f"), rcu(x, "rcu"), chan(x, "chan") {
    m.lock();
    f.set(1);
    chan.wakeup();
    rcu.synchronize();
    if (!leave_held) m.unlock();
  }
};

}  // namespace

TEST_CASE("setup: locks taken and released while the model builds its state work") {
  auto r = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<InitLocks>(x);
    for (int i = 0; i < 2; ++i)
      x.spawn("T" + std::to_string(i), [&s] {
        s.m.lock();
        s.f.set(s.f.get() + 1);
        s.m.unlock();
      });
  });
  CHECK(!r.counterexample);
  CHECK(r.executions == 2);
}

TEST_CASE("setup: a lock left held, or a primitive that needs a thread, is a clear error") {
  auto held = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<InitLocks>(x, true);
    x.spawn("T", [&s] { s.m.lock(); });
  });
  REQUIRE(test::found(held) == ViolationKind::ModelError);
  CHECK(held.counterexample->violation->message.find("never released") != std::string::npos);
  CHECK_THROWS_AS(test::dpor_world([](Execution& x) {
                    auto& s = test::make_state<InitLocks>(x);
                    s.rcu.read_lock();
                  }),
                  sim::SetupError);
  CHECK_THROWS_WITH_AS(test::dpor_world([](Execution& x) {
                         auto& s = test::make_state<InitLocks>(x);
                         s.m.lock();
                         s.chan.sleep(s.m, false);
                       }),
                       doctest::Contains("sleep while the model builds its initial state"), sim::SetupError);
}

TEST_CASE("a model that runs out of memory says so") {
  auto r = test::dpor_world([](Execution& x) { x.spawn("T", [] { throw std::bad_alloc(); }); });
  REQUIRE(test::found(r) == ViolationKind::ModelError);
  CHECK(r.counterexample->violation->message.find("ran out of memory") != std::string::npos);
}

TEST_CASE("a model that swallows vcpucheck's stop with catch (...) is a model error, not a hang") {
  // The thread's own violation throws the stop; the model catches it and goes on, forever.
  auto own = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<InitLocks>(x);
    x.spawn("T", [&s, &x] {
      for (;;) {
        try {
          s.f.set(1);
          sim::kassert(x, false, "first failure");
        } catch (...) {
        }
      }
    });
  });
  REQUIRE(test::found(own) == ViolationKind::ModelError);
  CHECK(own.counterexample->violation->message.find("catch (...)") != std::string::npos);
  CHECK(own.counterexample->violation->message.find("first failure") != std::string::npos);
  // Another thread's violation stops this one while it waits; it swallows that stop too.
  auto other = test::dpor_world([](Execution& x) {
    auto& s = test::make_state<InitLocks>(x);
    x.spawn("swallower", [&s] {
      for (;;) try {
          s.f.set(s.f.get() + 1);
        } catch (...) {
        }
    });
    x.spawn("failer", [&x, &s] {
      s.m.lock();
      sim::kassert(x, false, "failer");
    });
  }, UINT32_MAX, 50);
  REQUIRE(test::found(other) == ViolationKind::ModelError);
  CHECK(other.counterexample->violation->message.find("swallower") != std::string::npos);
}
