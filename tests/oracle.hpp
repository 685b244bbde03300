// The soundness oracle's tools (tests/oracle.cpp): a naive search over every schedule and the
// outcome sets it reaches, compared with DPOR's and context bounding's, and the number of
// distinct traces an optimal search must explore. Used by dpor_oracle_test.cpp (the primitives,
// under sc and tso) and tso_oracle_test.cpp (x86-TSO).
#pragma once
#include <cstddef>
#include <cstdint>

#include "checker/dpor.hpp"
#include "checker/explorer.hpp"
#include "sim/chan.hpp"
#include "sim/memory.hpp"
#include "sim/rcu.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::test::oracle {

extern sim::MemoryModel g_memory;  // what the oracle worlds run under

// DPOR reaches exactly the outcomes a naive search reaches (an outcome: what each thread read,
// in order, and how the execution ended), with none blocked; so does context bounding within
// each bound 0..2. With a small `max_steps`, executions are prefixes cut by the bound: every
// prefix outcome counts, threads starved by the cut included. Every sc world is checked under
// tso too, unless `tso_too` is false.
void same_outcomes(const checker::Setup& world, uint64_t max_steps = 200, bool tso_too = true);

// DPOR against every schedule only (no context bounding), under g_memory.
void same_dpor_outcomes(const checker::Setup& world, uint64_t max_steps);

// Two results of one search are the same in every field the user sees (counts, statistics,
// verdict, counterexample).
void same_result(const checker::ExploreResult& a, const checker::ExploreResult& b);

// The parallel search (parallel_dpor.hpp), on one thread and on three, handing out a branch at
// every chance, gives the sequential search's result (same_result), under g_memory.
void same_in_parallel(const checker::Setup& world, uint64_t max_steps);

// The number of distinct traces among every schedule (naive search, deduplicated by the trace
// fingerprint): what an optimal DPOR must explore exactly.
size_t distinct_traces(const checker::Setup& world);

// While alive, the oracle worlds run under x86-TSO.
struct Tso {
  Tso() { g_memory = sim::MemoryModel::TSO; }
  ~Tso() { g_memory = sim::MemoryModel::SC; }
};

// Explores under TSO with DPOR; checks it is exact (the distinct traces, none blocked).
checker::ExploreResult tso_exact(const checker::Setup& world);

// Shared words and one of each primitive, for small worlds.
struct Mem {
  sim::Atomic<int> x, y;
  sim::Mutex m;
  sim::Sx sx;
  sim::Chan chan;
  sim::Rcu rcu;
  sim::Field<int> ready;
  explicit Mem(sim::Execution& e)
      : x(e, "x"), y(e, "y"), m(e, "m"), sx(e, "sx"), chan(e, "chan"), rcu(e, "rcu"), ready(e, "ready") {}
};

}  // namespace vcpucheck::test::oracle
