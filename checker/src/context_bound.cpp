#include "checker/context_bound.hpp"

#include <algorithm>
#include <stdexcept>

namespace vcpucheck::checker {

using sim::ThreadId;

ContextBound::ContextBound(Options o) : opt_(o) {
  items_.emplace_back();  // the empty schedule: iteration 0 starts there
  item_ = 0;
}

void ContextBound::begin(sim::Execution&) {
  ran_with_ = preemptions_;
  hash_.reset();
  repeated_ = false;
  last_ = ThreadId();
}

void ContextBound::on_spawn(const sim::Execution&, ThreadId parent, ThreadId child) { hash_.on_spawn(parent, child); }

void ContextBound::on_event(sim::Execution& x, const sim::Event& e) {
  hash_.on_event(x, e);
  last_ = e.tid;
}

bool ContextBound::covered_state(const StateKey& k, uint32_t p) const {
  auto exact = states_.find(k);
  if (exact != states_.end() && exact->second <= p) return true;
  // From the same state with no thread to continue, every first choice is free.
  auto free = states_.find(StateKey{k.fp, kNone});
  if (free != states_.end() && free->second <= p) return true;
  // With another last thread, one preemption more makes up for the different first switch.
  auto any = any_last_.find(k.fp);
  return any != any_last_.end() && any->second + 1 <= p;
}

ThreadId ContextBound::pick(const sim::Execution& x, const std::vector<ThreadId>& enabled) {
  const size_t i = x.steps();
  auto is_enabled = [&](ThreadId t) { return std::binary_search(enabled.begin(), enabled.end(), t); };
  auto replay = [&](uint8_t t) {
    if (!is_enabled(ThreadId(t)))
      throw std::runtime_error("the model is not deterministic: replaying step " + std::to_string(i) + ", thread " +
                               x.thread(ThreadId(t)).name + " is not enabled as it was before");
    return ThreadId(t);
  };
  if (i < prefix_.size()) return replay(prefix_[i]);
  const size_t f = i - prefix_.size();
  if (f < frames_.size()) return replay(frames_[f].choices[frames_[f].next]);

  const bool go_on = last_.valid() && is_enabled(last_);
  const StateKey key{hash_.fingerprint(), go_on ? static_cast<uint8_t>(last_.v) : kNone};
  if (covered_state(key, preemptions_)) {
    ++stats_.cached;
    return ThreadId();
  }
  if (states_.size() < opt_.cache_limit) {
    auto [it, fresh] = states_.emplace(key, preemptions_);
    if (!fresh) it->second = std::min(it->second, preemptions_);
    auto [a, afresh] = any_last_.emplace(key.fp, preemptions_);
    if (!afresh) a->second = std::min(a->second, preemptions_);
  }
  Frame fr;
  if (go_on) {
    fr.choices.push_back(static_cast<uint8_t>(last_.v));
    for (ThreadId t : enabled) {
      if (t == last_) continue;
      if (preemptions_ >= opt_.bound) {
        ++stats_.pruned;
        continue;
      }
      Item it;
      it.parent = item_;
      it.preemptions = preemptions_ + 1;
      for (const Frame& g : frames_) it.suffix.push_back(g.choices[g.next]);
      it.suffix.push_back(static_cast<uint8_t>(t.v));
      later_.push_back(static_cast<int32_t>(items_.size()));
      items_.push_back(std::move(it));
    }
  } else {
    for (ThreadId t : enabled) fr.choices.push_back(static_cast<uint8_t>(t.v));
  }
  frames_.push_back(std::move(fr));
  return ThreadId(frames_.back().choices[0]);
}

bool ContextBound::end(sim::Execution&, sim::Outcome o) {
  if (o != sim::Outcome::Blocked && !done_.insert(hash_.fingerprint()).second) {
    repeated_ = true;
    ++stats_.repeated;
  }
  while (!frames_.empty()) {
    Frame& b = frames_.back();
    if (b.next + 1 < b.choices.size()) {
      ++b.next;
      return true;
    }
    frames_.pop_back();
  }
  return next_item();
}

bool ContextBound::next_item() {
  if (queue_.empty()) {
    if (later_.empty()) {
      exhausted_ = true;
      return false;
    }
    std::swap(queue_, later_);  // the next iteration: one preemption more
  }
  item_ = queue_.front();
  queue_.pop_front();
  preemptions_ = items_[item_].preemptions;
  std::vector<int32_t> chain;
  for (int32_t k = item_; k >= 0; k = items_[k].parent) chain.push_back(k);
  prefix_.clear();
  for (size_t k = chain.size(); k-- > 0;) {
    const auto& s = items_[chain[k]].suffix;
    prefix_.insert(prefix_.end(), s.begin(), s.end());
  }
  frames_.clear();
  return true;
}

}  // namespace vcpucheck::checker
