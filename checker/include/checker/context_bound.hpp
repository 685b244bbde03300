// Iterative context bounding (Musuvathi and Qadeer, "Iterative Context Bounding for Systematic
// Testing of Multithreaded Programs", PLDI 2007): every trace that has some schedule with at
// most `bound` preemptions is explored, exactly once, and fewer preemptions come first.
//
// A preemption is a switch away from a thread that could have gone on (it is enabled); a switch
// from a thread that finished, blocks or waits is free. Iteration k runs the schedules with
// exactly k preemptions: from each work item (a schedule prefix that ends in its k-th
// preemption) a depth-first search follows only free choices, and each preemption it could
// take there becomes a work item of iteration k + 1 (or, beyond the bound, is counted as cut).
//
// Many schedules are one trace. Two reductions keep the count exact and the work small:
//  - a state cache: a prefix whose trace (trace_hash.hpp) was already reached with no more
//    preemptions spent, and the same last thread, can reach nothing new (a deterministic model's
//    state is fixed by its trace), so its execution stops there (outcome Blocked, counted in
//    stats().cached). With a different last thread, one preemption more covers the difference.
//  - a schedule whose whole trace was already explored is run to learn its branches but is not
//    counted again (stats().repeated, repeated() is true after its end()).
// The executions counted are then exactly the traces within the bound: GenMC's context-bound
// counts (--bound-type=context), which take the fewest preemptions over a trace's schedules.
#pragma once
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "checker/strategy.hpp"
#include "checker/trace_hash.hpp"

namespace vcpucheck::checker {

class ContextBound final : public Strategy {
 public:
  struct Options {
    uint32_t bound = 0;
    size_t cache_limit = size_t(1) << 20;  // states remembered (about 100 MB); then the cache stops growing
  };
  explicit ContextBound(Options o);

  const char* name() const override { return "context-bound"; }
  sim::ThreadId pick(const sim::Execution& x, const std::vector<sim::ThreadId>& enabled) override;
  void on_spawn(const sim::Execution& x, sim::ThreadId parent, sim::ThreadId child) override;
  void on_event(sim::Execution& x, const sim::Event& e) override;
  void begin(sim::Execution& x) override;
  bool end(sim::Execution& x, sim::Outcome o) override;
  bool exhausted() const override { return exhausted_; }
  bool bounded() const override { return stats_.pruned > 0; }
  bool repeated() const override { return repeated_; }
  StrategyStats stats() const override { return stats_; }
  // The preemptions of the execution that ran last (or runs now): every schedule of one work
  // item has the same number.
  uint32_t preemptions() const { return ran_with_; }
  // Those of the execution end() has planned next.
  uint32_t next_preemptions() const { return preemptions_; }

 private:
  struct Item {            // a schedule prefix ending in a preemption
    int32_t parent = -1;   // the item this one was found from; its schedule comes first
    uint32_t preemptions = 0;
    std::vector<uint8_t> suffix;  // the choices after the parent's schedule, the preemption last
  };
  struct Frame {  // a step past the item's prefix: the free choices there
    std::vector<uint8_t> choices;
    size_t next = 0;  // index in choices of the one taken
  };
  struct StateKey {
    Fingerprint fp;
    uint8_t last;  // the thread that ran last if it could go on, else kNone
    bool operator==(const StateKey&) const = default;
  };
  struct StateKeyHash {
    size_t operator()(const StateKey& k) const { return FingerprintHash()(k.fp) * 31 + k.last; }
  };
  static constexpr uint8_t kNone = 0xff;

  bool next_item();
  bool covered_state(const StateKey& k, uint32_t preemptions) const;

  Options opt_;
  std::vector<Item> items_;
  std::deque<int32_t> queue_, later_;  // this iteration's items, and the next one's
  int32_t item_ = -1;
  sim::ThreadId last_;             // the thread of the last step
  uint32_t preemptions_ = 0;     // of the current item
  uint32_t ran_with_ = 0;        // preemptions_ when the last execution began
  std::vector<uint8_t> prefix_;  // the current item's whole schedule
  std::vector<Frame> frames_;    // steps from prefix_.size() on
  TraceHash hash_;
  std::unordered_map<StateKey, uint32_t, StateKeyHash> states_;  // fewest preemptions seen per state
  std::unordered_map<Fingerprint, uint32_t, FingerprintHash> any_last_;  // per trace, over every last thread
  std::unordered_set<Fingerprint, FingerprintHash> done_;  // traces explored to their end
  bool exhausted_ = false;
  bool repeated_ = false;
  StrategyStats stats_;
};

}  // namespace vcpucheck::checker
