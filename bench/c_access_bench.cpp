// The cost of a visible access made by instrumented C code (sim/c: the TSan hook, the lookup of
// the block and the object, the event) against the same access by a C++ model (sim::Field):
// one thread does 2 x 50000 plain reads and writes of a 16-slot table, in 20 executions.
//
//   build/bench/c_access_bench
#include <chrono>
#include <cstdio>

#include "checker/explorer.hpp"
#include "checker/simple_strategies.hpp"
#include "sim/c/world.hpp"
#include "sim/heap.hpp"

using namespace vcpucheck;

extern "C" {
struct table;
struct table* c_table_new(void);
int c_table_bump(struct table* t, int n);
}

namespace {

constexpr int kBumps = 50000;
constexpr uint64_t kRuns = 20;

struct CWorld {
  sim::c::World c;
  struct table* t;
  explicit CWorld(sim::Execution& x) : c(x), t(c_table_new()) {}
};

struct CppWorld {
  sim::Array<sim::Field<int>> slot;
  explicit CppWorld(sim::Execution& x) : slot(x, "slot", 16) {}
};

template <class Setup>
double ns_per_access(const char* what, Setup setup) {
  checker::ExploreOptions o;
  o.bounds.max_steps = 4 * kBumps;
  checker::RandomStrategy rs(1, kRuns);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = checker::explore(rs, setup, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double ns = secs * 1e9 / static_cast<double>(r.steps);
  std::printf("%-10s %llu executions, %llu steps in %.3f s: %.0f ns per visible access%s\n", what,
              (unsigned long long)r.executions, (unsigned long long)r.steps, secs, ns, r.counterexample ? " (VIOLATION)" : "");
  return ns;
}

}  // namespace

int main() {
  const double c = ns_per_access("C", [](sim::Execution& x) {
    auto w = std::make_shared<CWorld>(x);
    x.model = w;
    x.spawn("t", [w] { (void)sim::c::call([&] { return c_table_bump(w->t, kBumps); }); });
  });
  const double cpp = ns_per_access("C++", [](sim::Execution& x) {
    auto w = std::make_shared<CppWorld>(x);
    x.model = w;
    x.spawn("t", [w] {
      for (int i = 0; i < kBumps; ++i) w->slot.at(i & 15).set(w->slot.at(i & 15).get() + 1);
    });
  });
  std::printf("C access / C++ access: %.2fx\n", c / cpp);
}
