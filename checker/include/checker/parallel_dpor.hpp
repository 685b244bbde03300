// One optimal-DPOR search on several host threads, with the sequential search's result: the same
// executions, counts, statistics and first counterexample, whatever the number of threads and
// however they are scheduled.
//
// How: a worker that is idle asks a running search for a branch (Dpor::hand_out): a pending
// branch of its path, with the sleep sets the branch will have when the sequential search gets
// there. A new Dpor explores that subtree on the idle worker, keeping every wakeup sequence it
// finds for states above the branch. When the search it came from backtracks to the branch it
// adopts it: the kept sequences are inserted in the order they were found and the executions are
// counted in the order they ran, which is the sequential order. If a sequence was inserted into
// the branch after it was handed out, its exploration is not the sequential one: it is dropped
// and the branch explored where it came from (taken back). Branches hand out branches of their
// own. Only the wasted explorations depend on timing, never the result (dpor_branches.cpp says
// why an adopted branch is exact).
//
// The subtree that waits longest without an insertion is handed out first; on the shipped and
// benchmark families most subtrees are quiet for longer than they take to explore
// (bench/README.md gives the speed-up and the waste per --jobs).
#pragma once
#include <cstdint>

#include "checker/explorer.hpp"

namespace vcpucheck::checker {

struct ParallelStats {
  uint64_t handed_out = 0;  // branches explored by another worker
  uint64_t adopted = 0;     // ...whose exploration was kept
  uint64_t taken_back = 0;  // ...changed after they were handed out: explored again where they came from
  uint64_t wasted = 0;      // executions run in branches that were not adopted
  double idle_seconds = 0;  // workers' time with nothing to run (wall clock: printed, never used)
};

// explore() with a fresh Dpor on `jobs` host threads (1: explore() itself, unless o.grow: then
// it starts on `jobs` and adds threads while it runs as o.live->threads rises). `stats`, when set,
// receives what the parallel search did besides the search itself (it varies from run to run).
// `eager` (for tests) hands out a branch at every chance, whether or not a worker is idle, so
// that small searches go through every part of the protocol, on one thread too.
// `remote`, when set, adds other processes' threads to the search (remote_branches.hpp); the
// calling thread then carries their messages.
class Remote;
ExploreResult explore_dpor(const Setup& setup, const ExploreOptions& o, unsigned jobs, ParallelStats* stats = nullptr,
                           bool eager = false, Remote* remote = nullptr);

}  // namespace vcpucheck::checker
