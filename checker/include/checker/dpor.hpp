// Exhaustive search by optimal dynamic partial-order reduction (Abdulla, Aronis, Jonsson,
// Sagonas: "Source Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017).
//
// The search explores one execution per Mazurkiewicz trace: two executions that differ only in
// the order of independent events (see dependence.hpp) count once. Each state on the current
// path has a sleep set (threads whose next event was already explored there) and a wakeup tree
// (sequences still to explore from there). After each execution every race whose later event is
// new is reversed: the events that do not depend on the first, then the second, are inserted as
// a sequence into the wakeup tree of the state before the first, unless a sleeping thread already
// starts an equivalent sequence. Executions are stateless: each re-runs the model from scratch
// and replays the path up to the state where it branches.
//
// The step bound: an execution cut at --max-steps is a prefix, and the operations its threads
// were about to do never ran, so no race of theirs was seen. At the cut every pending operation
// is considered (see cut_races): an enabled one is planned in place of each maximal event, a
// blocked one races with the events it depends on. Equivalence arguments that need one more step
// (a sleeping thread whose event commutes with a whole sequence) are only used while that step
// fits under the bound. The result: every prefix of at most max_steps steps is explored, a thread
// starved by the cut included (tests/dpor_bound_test.cpp, and the oracle on bounded worlds).
//
// A preemption bound is a different search: context_bound.hpp.
//
// One search on several workers (parallel_dpor.hpp): a pending branch of the current path can be
// handed out to another Dpor, built from it, that explores exactly the subtree this one would.
// When backtracking reaches the branch, its exploration is adopted (its races that reach above
// it are inserted here, in the order they were found) unless a wakeup sequence was inserted into
// it after it was handed out; then it is taken back and explored here. Either way the search is
// the sequential one.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "checker/strategy.hpp"

namespace vcpucheck::checker {

class Dpor final : public Strategy {
 public:
  struct Options {};
  explicit Dpor(Options o = {});

  const char* name() const override { return "dpor"; }
  sim::ThreadId pick(const sim::Execution& x, const std::vector<sim::ThreadId>& enabled) override;
  void on_spawn(const sim::Execution& x, sim::ThreadId parent, sim::ThreadId child) override;
  void on_event(sim::Execution& x, const sim::Event& e) override;
  void begin(sim::Execution& x) override;
  bool end(sim::Execution& x, sim::Outcome o) override;
  bool exhausted() const override { return exhausted_; }
  StrategyStats stats() const override { return stats_; }

  struct Branch;
  // Hands out a pending branch of the current path (between executions), marked with id (not
  // 0); nullopt when there is none.
  std::optional<Branch> hand_out(uint64_t id);
  // A search of exactly that branch's subtree.
  explicit Dpor(const Branch& b);
  // After end(): backtracking reached a handed-out branch, which must be adopted or taken back
  // before the next execution; 0 when none.
  uint64_t awaiting() const { return awaiting_ >= 0 ? nodes_[nodes_[frames_[size_t(awaiting_)].root].first_child].handout : 0; }
  // Whether a wakeup sequence was inserted into the awaited branch after it was handed out.
  bool awaited_changed() const { return nodes_[nodes_[frames_[size_t(awaiting_)].root].first_child].changed; }
  struct Result;
  // What a search of a branch found for its owner (after it is exhausted): moved out.
  Result take_result();
  // The awaited branch, explored by a search built from it that found `r`: returns as end() does.
  bool adopt(Result r);
  // Explore the awaited branch here after all: returns as end() does.
  bool take_back();
  // Handed-out branches that changed since the last call (their explorations are wasted).
  std::vector<uint64_t> take_changed() { return std::exchange(changed_, {}); }

 private:
  using Clock = std::array<uint32_t, sim::kMaxThreads>;
  struct Step {
    sim::Event ev;
    uint32_t tidx;  // 1-based index of the event within its thread
    Clock clock;    // events of each thread that happen before or at this one
  };
  struct SleepEntry {
    sim::ThreadId tid;
    sim::Event ev;
  };
  struct Node {  // wakeup-tree node: one thread's next event
    sim::ThreadId tid;
    sim::Event ev;
    bool ev_known = false;
    bool changed = false;  // handed out, and a sequence was inserted into it since
    int32_t first_child = -1, last_child = -1, next_sibling = -1;
    uint64_t handout = 0;  // the id it was handed out with, 0 when it was not
    uint64_t stamp = 0;    // the execution that last inserted into its subtree
  };
  struct Frame {  // the state before one step of the current path
    int32_t root = -1;        // node whose children are this state's wakeup tree
    int32_t chosen = -1;      // the child the current path took
    uint32_t enabled = 0;     // the threads enabled in this state (a mask)
    std::vector<SleepEntry> sleep;
  };
  struct VEv {
    sim::ThreadId tid;
    sim::Event ev;
  };
  struct Up {  // a wakeup sequence for a state above a handed-out branch's own
    uint32_t frame;
    std::vector<VEv> v;
    int64_t room;
  };

 public:
  struct Branch {
    uint64_t id = 0;
    uint32_t depth = 0;                          // the state the branch starts from
    std::vector<Node> path;                      // the step taken at each state before it
    std::vector<std::vector<SleepEntry>> sleep;  // each state's sleep set, to `depth` included
    std::vector<Node> subtree;                   // the branch's wakeup subtree, renumbered from 0
  };
  struct Result {
    std::vector<Up> up;  // its sequences for states above it, in the order they were found
    StrategyStats stats;
  };
  friend struct BranchCodec;  // branch_codec.hpp: branches and results as bytes, for other processes

 private:

  bool happens_before(uint32_t i, uint32_t j) const {
    const Step& a = steps_[i];
    return steps_[j].clock[a.ev.tid.v] >= a.tidx;
  }
  uint32_t matching_acquire(const sim::Execution& x, uint32_t release) const;
  const Clock& clock_of(sim::ThreadId t) const {
    const int32_t last = thread_last_[t.v];
    return last >= 0 ? steps_[static_cast<size_t>(last)].clock : spawn_clock_[t.v];
  }
  // Adds the races of `e` (about to be step j) to races_ and joins their clocks into `covered`.
  void find_races(const sim::Execution& x, const sim::Event& e, uint32_t j, Clock& covered);
  // Reverses the race between step i and `moved` (step j, or the pending operation at j = size).
  void analyse_race(const sim::Execution& x, uint32_t i, uint32_t j, sim::Event moved);
  static bool quiet_timeout(const sim::Event& e) {
    return e.kind == sim::OpKind::SleepWait && (e.flags & sim::kFlagAwait) && e.value == 0 && e.after == UINT32_MAX;
  }
  // Whether the spin read r (step j), moved to before step i behind `v`, would run there: some
  // other thread wrote what its loop read, before step i or in v.
  bool releases(uint32_t i, uint32_t j, const sim::Event& r, const std::vector<VEv>& v) const;
  void cut_races(const sim::Execution& x);
  bool weak_initial(sim::ThreadId q, const sim::Event* qev, const std::vector<VEv>& v,
                    size_t* pos, int64_t room) const;
  void insert(int32_t root, std::vector<VEv> v, int64_t room);
  // A reversal's sequence for state `frame`: inserted, or kept for the owner of that state.
  void place(uint32_t frame, std::vector<VEv> v, int64_t room);
  // Backtracks from state d - 1 towards the initial state: returns as end() does.
  bool backtrack(size_t d);
  int32_t copy_in(const std::vector<Node>& from, int32_t at);
  int32_t new_node(sim::ThreadId t);
  void add_child(int32_t parent, int32_t child);
  void drop_first_child(int32_t parent);
  void free_subtree(int32_t n);

  uint64_t max_steps_ = UINT64_MAX;  // the step bound: an execution is at most this long
  // the current execution
  std::vector<Step> steps_;
  std::vector<std::pair<uint32_t, uint32_t>> races_;  // (earlier step, later step)
  uint32_t width_ = 0;  // threads so far: clock entries at and beyond it are zero
  std::array<int32_t, sim::kMaxThreads> thread_last_{};  // each thread's last step, -1 before its first
  std::array<Clock, sim::kMaxThreads> spawn_clock_{};   // what each thread starts with
  std::array<uint32_t, sim::kMaxThreads> thread_events_{};
  std::vector<std::vector<uint32_t>> obj_steps_;    // per object: steps touching it
  std::vector<std::vector<uint32_t>> block_steps_;  // per heap block: steps touching its fields
  std::array<std::deque<uint32_t>, sim::kMaxThreads> buffered_;  // TSO: each thread's stores not yet flushed
  // the search
  std::vector<Frame> frames_;
  std::vector<std::vector<SleepEntry>> spare_sleep_;  // dropped frames' sleep sets, kept for their capacity
  void truncate_frames(size_t n);                     // frames_.resize(n) for n <= size, keeping the sleep sets
  std::vector<Node> nodes_;
  std::vector<int32_t> free_nodes_;
  size_t branch_ = 0;  // frames below this index are replayed, not chosen
  bool exhausted_ = false;
  StrategyStats stats_;
  uint64_t executions_ = 0;  // ended so far, for stamps
  // parallel search
  bool task_ = false;        // built from a Branch: states up to base_ belong to its owner
  uint32_t base_ = 0;
  std::vector<Up> up_;       // sequences for the owner, in the order they were found
  int64_t awaiting_ = -1;    // the state whose first branch is handed out and awaited
  std::vector<uint64_t> changed_;
};

}  // namespace vcpucheck::checker
