// Model faults the engine survives: a model is C++ and can do anything. Each of these ends as a
// reported violation (or, while the model builds its state, a clear setup error), never a crash
// or a hang.
#include <doctest/doctest.h>

#include <new>

#include <cassert>
#include <cstdlib>

#include "sim/chan.hpp"
#include "sim/fault.hpp"
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
                         s.chan.sleep(s.m);
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

namespace {

// Keeps the compiler from proving the fault away.
int* volatile g_null = nullptr;
// The real fault, not UBSan's report of it (the sanitizer build checks null stores first).
__attribute__((noinline, no_sanitize("undefined"))) void store_through_null(int v) { *g_null = v; }
volatile bool g_forever = true;
int recurse(int n) {
  volatile char pad[512];
  pad[0] = static_cast<char>(n);
  if (!g_forever) return 0;
  return recurse(n + 1) + pad[0];
}

// Two threads; T1 faults after its first visible operation with `fault`.
checker::ExploreResult faulting(void (*fault)()) {
  struct S {
    sim::Field<int> f, g;
    explicit S(Execution& x) : f(x, "f"), g(x, "g") {}
  };
  return test::dpor_world([fault](Execution& x) {
    auto& s = test::make_state<S>(x);
    x.spawn("T0", [&s] { s.f.set(1); });
    x.spawn("T1", [&s, fault] {
      (void)s.g.get();
      fault();
    });
  });
}

std::string message(const checker::ExploreResult& r) {
  return r.counterexample && r.counterexample->violation ? r.counterexample->violation->message : "";
}

}  // namespace

TEST_CASE("faults: a null dereference in model code is a model error naming the thread and its last operation") {
  auto r = faulting([] { store_through_null(1); });
  REQUIRE(test::found(r) == ViolationKind::ModelCrash);
  CHECK(message(r).find("thread T1 SIGSEGV (invalid access to 0x0, a null pointer dereference)") == 0);
  CHECK(message(r).find("after its visible operation at step") != std::string::npos);
  CHECK(message(r).find("model_fault_test.cpp:") != std::string::npos);
  // The engine goes on: a second search in the same process works.
  auto again = faulting([] { store_through_null(2); });
  CHECK(test::found(again) == ViolationKind::ModelCrash);
}

TEST_CASE("faults: a stack overflow in a fiber, abort() and a failed assert() are model errors") {
  auto over = faulting([] { (void)recurse(0); });
  REQUIRE(test::found(over) == ViolationKind::ModelCrash);
  CHECK(message(over).find("stack overflow") != std::string::npos);
  auto ab = faulting([] { std::abort(); });
  REQUIRE(test::found(ab) == ViolationKind::ModelCrash);
  CHECK(message(ab).find("SIGABRT (abort() called") != std::string::npos);
  auto as = faulting([] { assert(g_null != nullptr); });
  REQUIRE(test::found(as) == ViolationKind::ModelCrash);
  CHECK(message(as).find("SIGABRT") != std::string::npos);
}

TEST_CASE("faults: the watchdog stops a thread that never performs a visible operation") {
  const double saved = sim::watchdog_seconds();
  sim::set_watchdog_seconds(0.3);
  auto r = faulting([] {
    volatile uint64_t i = 0;
    while (g_forever) i = i + 1;
  });
  sim::set_watchdog_seconds(saved);
  REQUIRE(test::found(r) == ViolationKind::ModelCrash);
  CHECK(message(r).find("thread T1 ran 0 s without a visible operation after its visible operation at step") == 0);
}
