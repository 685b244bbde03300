// The strategy interface: a Scheduler (which thread runs next) that also observes events and
// plans the next execution. Strategies know nothing about models; the Explorer drives them.
//
// Life of a search: for each execution the explorer builds a fresh world, calls begin(), runs
// the execution with the strategy as its scheduler, then calls end(); it stops when end()
// returns false (nothing left to explore, or the strategy's budget is spent).
#pragma once
#include <cstdint>
#include <string>

#include "sim/execution.hpp"

namespace vcpucheck::checker {

struct StrategyStats {
  uint64_t blocked = 0;      // executions cut short by sleep sets (zero for optimal DPOR)
  uint64_t infeasible = 0;   // planned branches that turned out not to be enabled
  uint64_t pruned = 0;       // branches dropped by the preemption bound
  uint64_t aborted = 0;      // executions stopped because their planned branch could not run
  uint64_t cached = 0;       // executions stopped in a state already explored (context bounding)
  uint64_t repeated = 0;     // executions whose trace was already explored, not counted again
};

class Strategy : public sim::Scheduler, public sim::Observer {
 public:
  virtual const char* name() const = 0;
  virtual void begin(sim::Execution& x) = 0;
  // Returns false when the search is over.
  virtual bool end(sim::Execution& x, sim::Outcome o) = 0;
  // True once an exhaustive strategy has explored every execution within its bounds.
  virtual bool exhausted() const { return false; }
  // True when a bound (preemptions) cut the search, so exhaustion is only within that bound.
  virtual bool bounded() const { return false; }
  virtual StrategyStats stats() const { return {}; }
  // After end(): the execution just ended repeats a trace explored before, so the explorer does
  // not count it (its outcome is that trace's).
  virtual bool repeated() const { return false; }
};

}  // namespace vcpucheck::checker
