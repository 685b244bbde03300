#include "checker/minimize.hpp"

#include <algorithm>
#include <set>

#include "checker/context_bound.hpp"

namespace vcpucheck::checker {

using sim::ThreadId;

std::string violation_key(const sim::Violation& v) {
  std::set<std::string> locs;
  for (const auto& i : v.involved) locs.insert(i.loc);
  std::string k = std::string(sim::violation_name(v.kind)) + "|" + v.object;
  for (const auto& l : locs) k += "|" + l;
  return k;
}

namespace {

// Replays a schedule and counts its preemptions as context bounding does: a step whose thread
// differs from the last step's while that thread could have gone on.
class CountingReplay final : public Strategy {
 public:
  explicit CountingReplay(const std::vector<uint32_t>& schedule) : schedule_(schedule) {}
  const char* name() const override { return "counting-replay"; }
  void begin(sim::Execution&) override {}
  bool end(sim::Execution& x, sim::Outcome) override {
    if (x.schedule().size() != schedule_.size()) diverged_ = true;
    return false;
  }
  ThreadId pick(const sim::Execution& x, const std::vector<ThreadId>& enabled) override {
    const size_t i = x.schedule().size();
    if (i >= schedule_.size()) {
      diverged_ = true;
      return ThreadId();
    }
    const ThreadId t(schedule_[i]);
    if (!std::binary_search(enabled.begin(), enabled.end(), t)) {
      diverged_ = true;
      return ThreadId();
    }
    if (i > 0) {
      const ThreadId last(x.schedule().back());
      if (last != t && std::binary_search(enabled.begin(), enabled.end(), last)) ++preemptions_;
    }
    return t;
  }
  uint32_t preemptions() const { return preemptions_; }
  bool diverged() const { return diverged_; }

 private:
  const std::vector<uint32_t>& schedule_;
  uint32_t preemptions_ = 0;
  bool diverged_ = false;
};

}  // namespace

std::optional<uint32_t> count_preemptions(const ExecutionRecord& r, const Setup& setup, const ExploreOptions& o) {
  CountingReplay c(r.schedule);
  ExploreOptions one;
  one.bounds = o.bounds;
  one.stack_size = o.stack_size;
  ExecutionRecord again = run_one(c, setup, one);
  if (c.diverged() || !again.violation || !r.violation ||
      violation_key(*again.violation) != violation_key(*r.violation))
    return std::nullopt;
  return c.preemptions();
}

std::optional<Minimized> minimize(const ExecutionRecord& found, const Setup& setup, const ExploreOptions& o,
                                  uint64_t budget) {
  if (!found.violation) return std::nullopt;
  switch (found.violation->kind) {
    case sim::ViolationKind::LockOrder:   // found over the whole search, not in one execution
    case sim::ViolationKind::ModelCrash:  // a hang or a corrupted heap: re-running costs or risks too much
    case sim::ViolationKind::ModelError:
      return std::nullopt;
    default: break;
  }
  const std::optional<uint32_t> p0 = count_preemptions(found, setup, o);
  if (!p0) return std::nullopt;
  Minimized m;
  m.record = found;
  m.preemptions_before = m.preemptions_after = *p0;
  m.steps_before = m.steps_after = found.schedule.size();
  const std::string key = violation_key(*found.violation);

  ContextBound cb(ContextBound::Options{*p0});
  std::optional<uint32_t> best_at;  // the iteration of the first match: the fewest preemptions
  ExploreOptions mo;
  mo.bounds = o.bounds;
  mo.stack_size = o.stack_size;
  mo.stop = o.stop;
  mo.max_executions = budget;
  mo.on_violation = [&](const ExecutionRecord& r) {
    if (violation_key(*r.violation) != key) return false;
    const uint32_t p = cb.preemptions();
    if (!best_at) best_at = p;
    if (p < m.preemptions_after || (p == m.preemptions_after && r.schedule.size() < m.steps_after)) {
      m.record = r;
      m.preemptions_after = p;
      m.steps_after = r.schedule.size();
    }
    return false;
  };
  // Once the iteration after the first match begins, nothing with fewer preemptions is left.
  // The budget counts every schedule run, those that repeat an explored trace included.
  uint64_t runs = 0;
  bool spent = false, ended = false;
  mo.keep_going = [&] {
    if (o.live) o.live->minimizing.fetch_add(1, std::memory_order_relaxed);
    if (++runs >= budget) spent = true;
    ended = spent || (best_at && cb.next_preemptions() > *best_at);
    return !ended;
  };
  const ExploreResult r = explore(cb, setup, mo);
  m.executions = ended ? runs : runs + 1;  // the last schedule, when the strategy itself ended
  // Not exhausted and still in the iteration that could hold something smaller: the budget or a stop ended it.
  m.cut = r.interrupted || spent || (!r.exhausted && !(best_at && cb.next_preemptions() > *best_at));
  return m;
}

}  // namespace vcpucheck::checker
