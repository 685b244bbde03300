// Handing out, adopting and taking back branches of an optimal-DPOR search (dpor.hpp): the part
// of Dpor that a parallel search (parallel_dpor.hpp) uses.
//
// Why an adopted branch leaves the search exactly as the sequential one: a branch c leaving
// state k is explored, sequentially, from what its wakeup subtree holds when backtracking first
// reaches it, with state k's sleep set then (what it is now, and every branch before c: all are
// explored before c), and the path's sleep sets above it, which do not change while the search
// is below state k. Exploring c never reads the wakeup trees of states up to k; it only inserts
// into them, and those insertions are kept (up_) and made when c is adopted, in the order they
// were found, at the point of the search where the sequential one makes them. Only an insertion
// into c's own subtree after it was handed out makes its exploration differ, and that marks c
// changed: it is then taken back and explored here with what it holds by then.
#include <stdexcept>
#include <utility>

#include "checker/dpor.hpp"

namespace vcpucheck::checker {

int32_t Dpor::copy_in(const std::vector<Node>& from, int32_t at) {
  const Node& src = from[static_cast<size_t>(at)];
  int32_t n = new_node(src.tid);
  nodes_[n].ev = src.ev;
  nodes_[n].ev_known = src.ev_known;
  for (int32_t c = src.first_child; c >= 0; c = from[static_cast<size_t>(c)].next_sibling)
    add_child(n, copy_in(from, c));
  return n;
}

std::optional<Dpor::Branch> Dpor::hand_out(uint64_t id) {
  if (exhausted_ || id == 0) return std::nullopt;
  // The candidates: every branch of a state on the path but the first (taken, or next). The one
  // whose subtree went longest without an insertion is the least likely to get one now.
  int32_t best = -1;
  size_t at = 0;
  for (size_t k = 0; k < frames_.size(); ++k) {
    const Frame& f = frames_[k];
    if (f.root < 0 || nodes_[f.root].first_child < 0) continue;
    for (int32_t c = nodes_[nodes_[f.root].first_child].next_sibling; c >= 0; c = nodes_[c].next_sibling) {
      const Node& n = nodes_[c];
      if (n.handout || !(f.enabled >> n.tid.v & 1u)) continue;  // out already, or to be dropped
      if (best < 0 || n.stamp < nodes_[best].stamp) {
        best = c;
        at = k;
      }
    }
  }
  if (best < 0) return std::nullopt;
  Branch b;
  b.id = id;
  b.depth = static_cast<uint32_t>(at);
  for (size_t k = 0; k < at; ++k) b.path.push_back(nodes_[frames_[k].chosen]);
  for (size_t k = 0; k <= at; ++k) b.sleep.push_back(frames_[k].sleep);
  // Every branch before it at its state is explored first, so sleeps there when it runs.
  const Frame& f = frames_[at];
  for (int32_t c = nodes_[f.root].first_child; c != best; c = nodes_[c].next_sibling)
    if (f.enabled >> nodes_[c].tid.v & 1u) b.sleep.back().push_back(SleepEntry{nodes_[c].tid, nodes_[c].ev});
  // Its subtree, renumbered: preorder, links into the copy.
  std::vector<std::pair<int32_t, int32_t>> todo{{best, -1}};  // (node here, parent in the copy)
  while (!todo.empty()) {
    auto [n, parent] = todo.back();
    todo.pop_back();
    const int32_t me = static_cast<int32_t>(b.subtree.size());
    Node copy = nodes_[n];
    copy.first_child = copy.last_child = copy.next_sibling = -1;
    copy.handout = 0;
    b.subtree.push_back(copy);
    if (parent >= 0) {
      Node& p = b.subtree[static_cast<size_t>(parent)];
      if (p.last_child < 0)
        p.first_child = me;
      else
        b.subtree[static_cast<size_t>(p.last_child)].next_sibling = me;
      p.last_child = me;
    }
    std::vector<int32_t> kids;
    for (int32_t c = nodes_[n].first_child; c >= 0; c = nodes_[c].next_sibling) kids.push_back(c);
    for (size_t k = kids.size(); k-- > 0;) todo.emplace_back(kids[k], me);  // first child first
  }
  nodes_[best].handout = id;
  nodes_[best].changed = false;
  return b;
}

Dpor::Dpor(const Branch& b) {
  task_ = true;
  base_ = b.depth;
  frames_.resize(b.depth + 1);
  for (uint32_t k = 0; k < b.depth; ++k) {  // the path: replayed, nothing else left there
    Frame& f = frames_[k];
    f.root = new_node(sim::ThreadId());
    f.chosen = new_node(b.path[k].tid);
    nodes_[f.chosen].ev = b.path[k].ev;
    nodes_[f.chosen].ev_known = b.path[k].ev_known;
    add_child(f.root, f.chosen);
    f.sleep = b.sleep[k];
  }
  Frame& f = frames_[b.depth];
  f.root = new_node(sim::ThreadId());
  f.sleep = b.sleep[b.depth];
  add_child(f.root, copy_in(b.subtree, 0));
  branch_ = b.depth;
}

void Dpor::place(uint32_t frame, std::vector<VEv> v, int64_t room) {
  if (task_ && frame <= base_)
    up_.push_back(Up{frame, std::move(v), room});
  else
    insert(frames_[frame].root, std::move(v), room);
}

Dpor::Result Dpor::take_result() {
  if (!task_ || !exhausted_) throw std::logic_error("dpor: the result of a branch not explored to its end");
  return Result{std::exchange(up_, {}), stats_};
}

bool Dpor::adopt(Result r) {
  if (awaiting_ < 0) throw std::logic_error("dpor: adopting a branch not awaited");
  const size_t k = static_cast<size_t>(awaiting_);
  awaiting_ = -1;
  Frame& f = frames_[k];
  f.chosen = nodes_[f.root].first_child;
  for (Up& u : r.up) place(u.frame, std::move(u.v), u.room);
  const StrategyStats& s = r.stats;
  stats_.blocked += s.blocked;
  stats_.infeasible += s.infeasible;
  stats_.pruned += s.pruned;
  stats_.aborted += s.aborted;
  stats_.cached += s.cached;
  stats_.repeated += s.repeated;
  return backtrack(k + 1);
}

bool Dpor::take_back() {
  if (awaiting_ < 0) throw std::logic_error("dpor: taking back a branch not awaited");
  Node& n = nodes_[nodes_[frames_[size_t(awaiting_)].root].first_child];
  n.handout = 0;
  n.changed = false;
  branch_ = static_cast<size_t>(awaiting_);
  awaiting_ = -1;
  return true;
}

}  // namespace vcpucheck::checker
