// Counterexample minimization: the fewest preemptions first, then the fewest steps.
//
// A counterexample as first found (by DPOR's depth-first order, or by a random walk) switches
// threads far more often than the bug needs. Iterative context bounding (context_bound.hpp)
// explores schedules in order of their preemptions, 0, 1, 2, ...: the first execution in that
// order that finds the same violation has the fewest preemptions any schedule of it can have (as
// CHESS reports its bugs). The search then goes on through that iteration only and keeps the
// shortest such execution.
//
// "The same violation" is its identity (violation_key): the kind, the object, and the source
// locations of the accesses involved -- the same bug, not merely one of the same kind.
//
// Minimizing costs a bounded search of its own: at most `budget` executions, after which the best
// found so far is kept and the result says the minimization was cut.
#pragma once
#include <string>

#include "checker/explorer.hpp"

namespace vcpucheck::checker {

// A violation's identity across executions: kind, object and the involved source locations.
std::string violation_key(const sim::Violation& v);

// The preemptions of a recorded execution: switches away from a thread that could have gone on.
// Re-runs it (the executor is deterministic); nullopt when the record no longer replays.
std::optional<uint32_t> count_preemptions(const ExecutionRecord& r, const Setup& setup, const ExploreOptions& o);

struct Minimized {
  ExecutionRecord record;  // the smallest counterexample found (the input when nothing smaller is)
  uint32_t preemptions_before = 0, preemptions_after = 0;
  uint64_t steps_before = 0, steps_after = 0;
  uint64_t executions = 0;  // schedules the minimizing search ran (repeats of explored traces included)
  bool cut = false;         // the budget (or a stop) ended it before it was done
};

// Nullopt when `found` cannot be minimized: a lock-order inversion (not one execution's verdict),
// a hang stopped by the watchdog (each re-run would take as long), or a record that no longer replays.
std::optional<Minimized> minimize(const ExecutionRecord& found, const Setup& setup, const ExploreOptions& o,
                                  uint64_t budget);

}  // namespace vcpucheck::checker
