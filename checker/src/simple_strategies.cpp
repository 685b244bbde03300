#include "checker/simple_strategies.hpp"

#include <algorithm>

#include "checker/dependence.hpp"

namespace vcpucheck::checker {

using sim::ThreadId;

void PctStrategy::begin(sim::Execution&) {
  prio_.clear();
  change_at_.clear();
  // Change points fall among the k steps of an execution; k is the longest execution seen (the
  // first execution, knowing none, runs on its initial priorities alone).
  if (k_ > 0)
    for (uint32_t i = 1; i < depth_; ++i) change_at_.push_back(1 + rng_.below(k_));
}

void PctStrategy::on_spawn(const sim::Execution&, ThreadId, ThreadId child) {
  // Initial priorities are a uniformly random permutation of depth, depth+1, ... over the
  // threads (the PCT paper), built as threads appear: the new thread takes a uniformly random
  // rank among the k+1 places around the k initial priorities so far, which shift up to make
  // room. Lowered priorities (below depth) are not initial and stay where they are.
  if (prio_.size() <= child.v) prio_.resize(child.v + 1, -1);
  const int64_t base = depth_;
  int64_t initial = 0;
  for (int64_t p : prio_)
    if (p >= base) ++initial;
  const int64_t rank = base + static_cast<int64_t>(rng_.below(static_cast<uint64_t>(initial) + 1));
  for (int64_t& p : prio_)
    if (p >= rank) ++p;
  prio_[child.v] = rank;
}

ThreadId PctStrategy::pick(const sim::Execution& x, const std::vector<ThreadId>& enabled) {
  const uint64_t step = x.steps();
  ThreadId best = enabled[0];
  for (ThreadId t : enabled)
    if (prio_[t.v] > prio_[best.v]) best = t;
  // At change point i (drawn at a random step) the running thread drops to priority i, below
  // every initial priority.
  for (size_t i = 0; i < change_at_.size(); ++i)
    if (change_at_[i] == step) {
      prio_[best.v] = static_cast<int64_t>(i);
      best = enabled[0];
      for (ThreadId t : enabled)
        if (prio_[t.v] > prio_[best.v]) best = t;
    }
  return best;
}

bool PctStrategy::end(sim::Execution& x, sim::Outcome) {
  k_ = std::max<uint64_t>(k_, x.steps());
  return ++done_ < budget_;
}

void PosStrategy::on_spawn(const sim::Execution&, ThreadId, ThreadId child) {
  if (prio_.size() <= child.v) prio_.resize(child.v + 1, 0);
  prio_[child.v] = rng_.next();
}

ThreadId PosStrategy::pick(const sim::Execution&, const std::vector<ThreadId>& enabled) {
  ThreadId best = enabled[0];  // ties (one in 2^64) go to the lower thread id
  for (ThreadId t : enabled)
    if (prio_[t.v] > prio_[best.v]) best = t;
  return best;
}

void PosStrategy::on_event(sim::Execution& x, const sim::Event& e) {
  // The thread that ran has a new next operation; the operations that race with the one that ran
  // are re-sampled, so which side of the race goes next is a fresh coin (the paper's POS, not
  // BasicPOS). Others keep theirs: an operation nobody touches waits as long as its draw says.
  prio_[e.tid.v] = rng_.next();
  for (size_t u = 0; u < x.thread_count() && u < prio_.size(); ++u) {
    const sim::ThreadInfo& t = x.thread(ThreadId(static_cast<uint32_t>(u)));
    if (u == e.tid.v || t.finished || !t.has_pending) continue;
    if (dependent(e, pending_event(x, ThreadId(static_cast<uint32_t>(u))))) prio_[u] = rng_.next();
  }
}

ThreadId ReplayStrategy::pick(const sim::Execution& x, const std::vector<ThreadId>& enabled) {
  const uint64_t i = x.schedule().size();
  if (i >= schedule_.size()) {
    divergence_ = "step " + std::to_string(i) + ": the trace's schedule ends here but threads can still run";
    return ThreadId();
  }
  ThreadId t(schedule_[i]);
  if (!std::binary_search(enabled.begin(), enabled.end(), t)) {
    std::string en;
    for (ThreadId e : enabled) en += (en.empty() ? "" : ", ") + x.thread(e).name;
    divergence_ = "step " + std::to_string(i) + ": the trace runs thread " + std::to_string(t.v) +
                  (t.v < x.thread_count() ? " (" + x.thread(t).name + ")" : "") + ", which cannot run here (enabled: " +
                  en + ")";
    return ThreadId();
  }
  return t;
}

bool ReplayStrategy::end(sim::Execution& x, sim::Outcome) {
  if (!divergence_ && x.schedule().size() < schedule_.size())
    divergence_ = "step " + std::to_string(x.schedule().size()) + ": the execution stopped, but the trace has " +
                  std::to_string(schedule_.size() - x.schedule().size()) + " more steps";
  return false;
}

}  // namespace vcpucheck::checker
