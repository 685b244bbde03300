// The parallel half of Dpor (dpor.hpp): handing a subtree to another worker, and taking the
// wakeup sequences other workers find for this one's part of the tree.
//
// A worker's part is the subtree below its branch; the states above belong to the workers that
// handed it out. Why the search stays the sequential one:
//  - the branch's sleep set holds every sibling ordered before it, so whatever they start is
//    left to them, as it would be once a sequential search had explored them;
//  - a race found below that reverses above is sent to the owner of that state, which walks its
//    tree as a sequential search would at that point: the siblings before the sender's branch
//    count as explored (Insertion::origin);
//  - a sequence that descends into a handed-out branch goes on in the worker exploring it; one
//    that arrives after the branches it starts were explored there is dropped: by the
//    completeness of the search below a state, what they start is explored.
//  - an owner never backtracks past a handed-out branch before its worker is done (waiting()).
#include <stdexcept>

#include "checker/dpor.hpp"

namespace vcpucheck::checker {

using sim::ThreadId;

Dpor::Dpor(const Task& t) {
  if (t.tree.empty()) throw std::logic_error("dpor: a task without a branch");
  const size_t m = t.prefix.size();
  frames_.resize(m + 2);
  frames_[0].root = new_node(ThreadId());
  for (size_t k = 0; k < m; ++k) {  // the path to the branch: replayed, never chosen
    const int32_t n = new_node(t.prefix[k]);
    add_child(frames_[k].root, n);
    frames_[k].chosen = n;
    frames_[k + 1].root = n;
  }
  frames_[m].sleep = t.sleep;
  frames_[m].inherited = t.sleep.size();
  // The branch and its wakeup subtree, from preorder.
  struct Open {
    int32_t node;
    uint32_t left;
  };
  std::vector<Open> open{{frames_[m].root, 1}};
  for (const TreeNode& tn : t.tree) {
    while (!open.empty() && open.back().left == 0) open.pop_back();
    if (open.empty()) throw std::logic_error("dpor: a task's tree has more nodes than its counts say");
    const int32_t n = new_node(tn.tid);
    nodes_[n].ev = tn.ev;
    nodes_[n].ev_known = tn.ev_known;
    add_child(open.back().node, n);
    --open.back().left;
    open.push_back(Open{n, tn.children});
  }
  frames_[m + 1].root = nodes_[frames_[m].root].first_child;
  branch_ = base_ = m;
  own_from_ = m + 1;
}

std::vector<ThreadId> Dpor::path_to(size_t depth) const {
  std::vector<ThreadId> p;
  p.reserve(depth);
  for (size_t k = 0; k < depth; ++k) p.push_back(nodes_[frames_[k].chosen].tid);
  return p;
}

size_t Dpor::split_depth() const {
  if (exhausted_) return SIZE_MAX;
  for (size_t d = own_from_; d < frames_.size(); ++d) {
    if (frames_[d].root < 0) continue;
    const int32_t first = nodes_[frames_[d].root].first_child;
    if (first < 0) continue;
    // The first branch is the one taken (or to be taken next): the others are free.
    for (int32_t c = nodes_[first].next_sibling; c >= 0; c = nodes_[c].next_sibling)
      if (nodes_[c].task < 0) return d;
  }
  return SIZE_MAX;
}

Dpor::Task Dpor::split(int32_t task) {
  const size_t d = split_depth();
  if (d == SIZE_MAX) throw std::logic_error("dpor: nothing to split");
  const Frame& f = frames_[d];
  const int32_t first = nodes_[f.root].first_child;
  int32_t branch = -1;
  for (int32_t c = nodes_[first].next_sibling; c >= 0; c = nodes_[c].next_sibling)
    if (nodes_[c].task < 0) branch = c;
  Task t;
  t.prefix = path_to(d);
  t.sleep = f.sleep;
  for (int32_t c = first; c != branch; c = nodes_[c].next_sibling) {
    if (!nodes_[c].ev_known) throw std::logic_error("dpor: a branch before the split has no event");
    t.sleep.push_back(SleepEntry{nodes_[c].tid, nodes_[c].ev});
  }
  // The branch's subtree in preorder; here it becomes a leaf that stands for the task.
  std::vector<int32_t> stack{branch};
  while (!stack.empty()) {
    const int32_t n = stack.back();
    stack.pop_back();
    TreeNode tn{nodes_[n].tid, nodes_[n].ev, nodes_[n].ev_known, 0};
    std::vector<int32_t> kids;
    for (int32_t c = nodes_[n].first_child; c >= 0; c = nodes_[c].next_sibling) kids.push_back(c);
    tn.children = static_cast<uint32_t>(kids.size());
    t.tree.push_back(tn);
    for (size_t k = kids.size(); k-- > 0;) stack.push_back(kids[k]);
  }
  for (int32_t c = nodes_[branch].first_child; c >= 0;) {
    const int32_t next = nodes_[c].next_sibling;
    free_subtree(c);
    c = next;
  }
  nodes_[branch].first_child = nodes_[branch].last_child = -1;
  nodes_[branch].task = task;
  return t;
}

void Dpor::take(const Insertion& in) {
  if (exhausted_) return;  // everything below is explored
  if (in.frame < own_from_ || in.frame >= frames_.size())
    throw std::logic_error("dpor: a sequence for state " + std::to_string(in.frame) + ", not on this worker's path");
  const Frame& f = frames_[in.frame];
  if (in.check_sleep)
    for (const SleepEntry& s : f.sleep)
      if (weak_initial(s.tid, &s.ev, in.v, nullptr, in.room)) return;
  insert(f.root, in.frame, in.v, in.room, true, in.origin.size() > in.frame ? &in.origin : nullptr);
}

void Dpor::child_done(int32_t task) {
  for (const Frame& f : frames_) {
    if (f.root < 0) continue;
    for (int32_t c = nodes_[f.root].first_child; c >= 0; c = nodes_[c].next_sibling)
      if (nodes_[c].task == task) nodes_[c].task_done = true;
  }
  if (waiting_ && nodes_[nodes_[frames_[branch_].root].first_child].task_done) backtrack(branch_ + 1);
}

}  // namespace vcpucheck::checker
