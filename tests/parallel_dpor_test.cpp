// One DPOR search on several threads (checker/parallel_dpor.hpp) is the sequential search: the
// same executions, counts, statistics and counterexample, on the benchmark families, at a step
// bound, under TSO, and on shipped bug scenarios. `eager` hands out a branch at every chance, so
// that adopting and taking back both happen on these small searches; what the parallel search did
// is checked to have gone through both.
#include <doctest/doctest.h>

#include <tuple>

#include "checker/parallel_dpor.hpp"
#include "loopback_remote.hpp"
#include "oracle.hpp"
#include "support.hpp"

using namespace vcpucheck;
using test::oracle::same_result;

namespace {

checker::ParallelStats g_seen;  // summed over the checks below
uint64_t g_sent = 0, g_offered = 0, g_adopted_there = 0;  // the remote protocol's traffic

void seen(const checker::ParallelStats& ps) {
  CHECK(ps.adopted + ps.taken_back <= ps.handed_out);
  g_seen.handed_out += ps.handed_out;
  g_seen.adopted += ps.adopted;
  g_seen.taken_back += ps.taken_back;
}

void same_everywhere(const checker::Setup& world, const checker::ExploreOptions& opt) {
  checker::Dpor d;
  const checker::ExploreResult a = checker::explore(d, world, opt);
  for (unsigned jobs : {2u, 3u})
    for (bool eager : {false, true}) {
      CAPTURE(jobs);
      CAPTURE(eager);
      checker::ParallelStats ps;
      same_result(a, checker::explore_dpor(world, opt, jobs, &ps, eager));
      seen(ps);
    }
  // Other processes' threads (here: threads behind the same byte protocol), beside one or two
  // threads of the searching process.
  for (auto [jobs, slots, eager] : {std::tuple{1u, 2u, true}, std::tuple{2u, 1u, false}, std::tuple{1u, 1u, false}}) {
    CAPTURE(jobs);
    CAPTURE(slots);
    CAPTURE(eager);
    test::LoopbackRemote remote(world, opt, slots);
    checker::ParallelStats ps;
    same_result(a, checker::explore_dpor(world, opt, jobs, &ps, eager, &remote));
    seen(ps);
    g_sent += remote.sent;
    g_offered += remote.offered;
    g_adopted_there += remote.adopted_there;
  }
}

void same_everywhere(const nlohmann::json& j, uint64_t max_steps = 100000,
                     sim::MemoryModel memory = sim::MemoryModel::SC) {
  const models::Scenario s = test::scenario(j);
  checker::ExploreOptions opt;
  opt.bounds.max_steps = max_steps;
  opt.bounds.memory = memory;
  same_everywhere([&](sim::Execution& x) { models::setup_scenario(s, x); }, opt);
}

void same_file(const std::string& file) {
  CAPTURE(file);
  const models::Scenario s = models::load_scenario(std::string(VCPUCHECK_SOURCE_DIR) + "/" + file, test::registry());
  checker::ExploreOptions opt;
  opt.bounds.max_steps = s.strategy.max_steps;
  opt.bounds.memory = s.strategy.memory;
  same_everywhere([&](sim::Execution& x) { models::setup_scenario(s, x); }, opt);
}

}  // namespace

TEST_CASE("parallel dpor: the benchmark families, exactly their traces") {
  using namespace test::bench;
  same_everywhere(readers(7));
  same_everywhere(lastzero(7));
  same_everywhere(opt_lock(4));
  same_everywhere(genmc_coa(3));
  same_everywhere(casrot(5));
}

TEST_CASE("parallel dpor: cut by the step bound, and under x86-TSO") {
  using namespace test::bench;
  same_everywhere(lastzero(5), 14);
  same_everywhere(opt_lock(3), 20);
  same_everywhere(readers(4), 100000, sim::MemoryModel::TSO);
  same_everywhere(lastzero(3), 100000, sim::MemoryModel::TSO);
}

TEST_CASE("parallel dpor: a violation, a deadlock and a lock-order inversion are the sequential counterexamples") {
  same_file("scenarios/kvm/bugs/no-kvm-lock.json");
  same_file("scenarios/kvm/bugs/no-synchronize-rcu.json");
  same_file("scenarios/litmus/gated-lock-order.json");
  same_file("scenarios/x86/tso/publish-ipi.tso.json");
  same_file("scenarios/kvm/online-create-foreach.json");
}

TEST_CASE("parallel dpor: an execution budget ends it where the sequential search ends") {
  const models::Scenario s = test::scenario(test::bench::lastzero(6));
  checker::ExploreOptions opt;
  opt.max_executions = 37;
  same_everywhere([&](sim::Execution& x) { models::setup_scenario(s, x); }, opt);
}

TEST_CASE("parallel dpor: the checks above adopted branches and took some back") {
  // Runs after the others (doctest runs test cases in file order).
  MESSAGE(g_seen.handed_out << " handed out, " << g_seen.adopted << " adopted, " << g_seen.taken_back << " taken back");
  CHECK(g_seen.adopted > 0);
  CHECK(g_seen.taken_back > 0);
  MESSAGE(g_sent << " branches sent to other processes' threads; they handed out " << g_offered << ", adopted "
                  << g_adopted_there << " explored here");
  CHECK(g_sent > 0);
  CHECK(g_offered > 0);
  CHECK(g_adopted_there > 0);
}
