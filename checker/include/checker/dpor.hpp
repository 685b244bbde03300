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
// One search on several workers (parallel_search.hpp): a Dpor can also explore one subtree of the
// search tree, a Task handed out by another Dpor (split). The frames above the subtree's root
// belong to the workers that own them: a race that reverses there leaves as an Insertion (outbox)
// for that owner, and an insertion that descends into a handed-out branch is forwarded to the
// worker exploring it (take). dpor_split.cpp holds that half.
#pragma once
#include <array>
#include <deque>
#include <optional>
#include <vector>

#include "checker/strategy.hpp"

namespace vcpucheck::checker {

class Dpor final : public Strategy {
 public:
  struct Options {};
  struct SleepEntry {
    sim::ThreadId tid;
    sim::Event ev;
  };
  struct VEv {
    sim::ThreadId tid;
    sim::Event ev;
  };
  struct TreeNode {  // a wakeup-tree node in preorder, with how many children follow it
    sim::ThreadId tid;
    sim::Event ev;
    bool ev_known = false;
    uint32_t children = 0;
  };
  // A subtree handed to another worker: the branch taken at the state before step prefix.size().
  struct Task {
    std::vector<sim::ThreadId> prefix;  // the schedule to the state the branch starts from
    std::vector<SleepEntry> sleep;      // that state's sleep set, and the siblings ordered before the branch
    std::vector<TreeNode> tree;         // the branch and the wakeup sequences below it
  };
  // A wakeup sequence for a part of the tree another worker explores.
  struct Insertion {
    int32_t to_task = -1;  // forwarded into this handed-out branch; -1: to the owner of `frame`
    uint32_t frame = 0;    // the sequence starts at the state before this step
    // The sending worker's path to its subtree: siblings ordered before it are explored by the
    // time a sequential search reaches it, so they count as asleep.
    std::vector<sim::ThreadId> origin;
    std::vector<VEv> v;
    int64_t room = 0;
    bool check_sleep = true;  // false when forwarded down: the sleep sets above were checked
  };

  explicit Dpor(Options o = {});
  explicit Dpor(const Task& t);

  const char* name() const override { return "dpor"; }
  sim::ThreadId pick(const sim::Execution& x, const std::vector<sim::ThreadId>& enabled) override;
  void on_spawn(const sim::Execution& x, sim::ThreadId parent, sim::ThreadId child) override;
  void on_event(sim::Execution& x, const sim::Event& e) override;
  void begin(sim::Execution& x) override;
  bool end(sim::Execution& x, sim::Outcome o) override;
  bool exhausted() const override { return exhausted_; }
  StrategyStats stats() const override { return stats_; }

  // Parallel search (dpor_split.cpp).
  // The depth of the branch split() would hand out, or SIZE_MAX when there is none.
  size_t split_depth() const;
  // Hands out the last branch not yet started at the shallowest state that has one; `task`
  // names the worker that will explore it.
  Task split(int32_t task);
  // Takes a sequence from another worker. May forward parts of it (outbox).
  void take(const Insertion& in);
  std::vector<Insertion>& outbox() { return outbox_; }
  // The handed-out branch `task` is explored; the search goes on past it when it was waiting there.
  void child_done(int32_t task);
  // Stopped at a handed-out branch still being explored.
  bool waiting() const { return waiting_; }

 private:
  using Clock = std::array<uint32_t, sim::kMaxThreads>;
  struct Step {
    sim::Event ev;
    uint32_t tidx;  // 1-based index of the event within its thread
    Clock clock;    // events of each thread that happen before or at this one
  };
  struct Node {  // wakeup-tree node: one thread's next event
    sim::ThreadId tid;
    sim::Event ev;
    bool ev_known = false;
    int32_t first_child = -1, last_child = -1, next_sibling = -1;
    int32_t task = -1;       // handed out: explored by that worker (its children are there)
    bool task_done = false;  // and that worker is done
  };
  struct Frame {  // the state before one step of the current path
    int32_t root = -1;        // node whose children are this state's wakeup tree
    int32_t chosen = -1;      // the child the current path took
    std::vector<SleepEntry> sleep;
    size_t inherited = 0;     // sleep[inherited..] are the children explored from here
  };

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
  // Puts v into the wakeup tree of the state before step `frame`, here or at its owner.
  void place(uint32_t frame, std::vector<VEv> v, int64_t room);
  // Inserts v below `node`, the root of the state before step `depth`. Remote: from another
  // worker, whose path is `origin` (null once the walk leaves it).
  void insert(int32_t node, uint32_t depth, std::vector<VEv> v, int64_t room, bool remote,
              const std::vector<sim::ThreadId>* origin);
  // Backtracks from the state before step `from` to the deepest with a branch left to take.
  bool backtrack(size_t from);
  std::vector<sim::ThreadId> path_to(size_t depth) const;
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
  std::vector<Node> nodes_;
  std::vector<int32_t> free_nodes_;
  size_t branch_ = 0;  // frames below this index are replayed, not chosen
  bool exhausted_ = false;
  // Parallel search: this worker owns the states from own_from_ on; the state before step base_
  // holds its branch (the root search: both 0).
  size_t own_from_ = 0, base_ = 0;
  bool waiting_ = false;
  std::vector<Insertion> outbox_;
  StrategyStats stats_;
};

}  // namespace vcpucheck::checker
