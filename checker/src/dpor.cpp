#include "checker/dpor.hpp"

#include <algorithm>
#include <stdexcept>

#include "checker/dependence.hpp"

namespace vcpucheck::checker {

using sim::Event;
using sim::OpKind;
using sim::ThreadId;

Dpor::Dpor(Options) {
  frames_.emplace_back();
  frames_[0].root = new_node(ThreadId());
}

int32_t Dpor::new_node(ThreadId t) {
  int32_t n;
  if (!free_nodes_.empty()) {
    n = free_nodes_.back();
    free_nodes_.pop_back();
    nodes_[n] = Node{};
  } else {
    n = static_cast<int32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  nodes_[n].tid = t;
  nodes_[n].stamp = executions_;
  return n;
}

void Dpor::add_child(int32_t parent, int32_t child) {
  Node& p = nodes_[parent];
  if (p.last_child < 0)
    p.first_child = child;
  else
    nodes_[p.last_child].next_sibling = child;
  p.last_child = child;
}

void Dpor::free_subtree(int32_t n) {
  for (int32_t c = nodes_[n].first_child; c >= 0;) {
    int32_t next = nodes_[c].next_sibling;
    free_subtree(c);
    c = next;
  }
  free_nodes_.push_back(n);
}

void Dpor::drop_first_child(int32_t parent) {
  Node& p = nodes_[parent];
  int32_t c = p.first_child;
  p.first_child = nodes_[c].next_sibling;
  if (p.first_child < 0) p.last_child = -1;
  free_subtree(c);
}

void Dpor::begin(sim::Execution& x) {
  max_steps_ = std::min<uint64_t>(x.bounds().max_steps, INT64_MAX / 4);
  steps_.clear();
  races_.clear();
  width_ = 0;  // a thread's clock is cleared when it is spawned
  for (auto& q : buffered_) q.clear();
  for (auto& v : obj_steps_) v.clear();
  for (auto& v : block_steps_) v.clear();
}

void Dpor::on_spawn(const sim::Execution&, ThreadId parent, ThreadId child) {
  width_ = std::max(width_, child.v + 1);
  thread_events_[child.v] = 0;
  thread_last_[child.v] = -1;
  // A spawned thread starts with everything its parent had done.
  Clock& c = spawn_clock_[child.v];
  c.fill(0);
  if (parent.valid()) {
    const int32_t last = thread_last_[parent.v];
    c = last >= 0 ? steps_[static_cast<size_t>(last)].clock : spawn_clock_[parent.v];
  }
}

ThreadId Dpor::pick(const sim::Execution& x, const std::vector<ThreadId>& enabled) {
  const size_t i = x.steps();
  Frame& f = frames_[i];
  auto is_enabled = [&](ThreadId t) { return std::binary_search(enabled.begin(), enabled.end(), t); };
  f.enabled = 0;
  for (ThreadId t : enabled) f.enabled |= 1u << t.v;
  if (i < branch_) {  // replaying the path to the branching state
    ThreadId t = nodes_[f.chosen].tid;
    if (!is_enabled(t))
      throw std::runtime_error("the model is not deterministic: replaying step " + std::to_string(i) + ", thread " +
                               x.thread(t).name + " is not enabled as it was before");
    return t;
  }
  ThreadId prev = i > 0 ? steps_[i - 1].ev.tid : ThreadId();
  // Follow the wakeup tree.
  bool dropped = false;
  while (nodes_[f.root].first_child >= 0) {
    int32_t c = nodes_[f.root].first_child;
    ThreadId t = nodes_[c].tid;
    if (!is_enabled(t)) {
      ++stats_.infeasible;
      drop_first_child(f.root);
      dropped = true;
      continue;
    }
    f.chosen = c;
    return t;
  }
  // What was planned here cannot run: stop rather than wander into an unplanned execution.
  if (dropped) {
    ++stats_.aborted;
    return ThreadId();
  }
  // Nothing planned: any enabled thread that is not asleep, preferring the one that just ran.
  auto asleep = [&](ThreadId t) {
    return std::any_of(f.sleep.begin(), f.sleep.end(), [&](const SleepEntry& s) { return s.tid == t; });
  };
  ThreadId choice;
  if (prev.valid() && is_enabled(prev) && !asleep(prev)) {
    choice = prev;
  } else {
    for (ThreadId t : enabled)
      if (!asleep(t)) {
        choice = t;
        break;
      }
  }
  if (!choice.valid()) {
    ++stats_.blocked;
    return choice;
  }

  int32_t c = new_node(choice);
  add_child(f.root, c);
  f.chosen = c;
  return choice;
}

uint32_t Dpor::matching_acquire(const sim::Execution& x, uint32_t release) const {
  const Event& r = steps_[release].ev;
  // TSO: a flushed spin-mutex release ends the acquire of the thread whose buffer flushed it.
  const sim::ThreadId holder = r.kind == OpKind::Flush ? x.thread(r.tid).buffer_of : r.tid;
  const auto& list = obj_steps_[r.obj.v];
  for (size_t k = list.size(); k-- > 0;) {
    const Event& a = steps_[list[k]].ev;
    if (list[k] < release && a.tid == holder && a.kind == OpKind::Acquire) return list[k];
  }
  return release;  // unreachable: a release always follows its acquire
}

void Dpor::find_races(const sim::Execution& x, const Event& e, uint32_t j, Clock& covered) {
  auto join_into = [&](const Clock& c) {
    for (uint32_t k = 0; k < width_; ++k) covered[k] = std::max(covered[k], c[k]);
  };
  auto consider = [&](uint32_t i) {
    const Step& s = steps_[i];
    if (s.ev.tid == e.tid || !dependent(s.ev, e)) return;
    if (covered[s.ev.tid.v] >= s.tidx) return;  // already ordered through another event
    const bool releases = s.ev.kind == OpKind::Release ||
                          (s.ev.kind == OpKind::Flush && x.object(s.ev.obj).cls == sim::ObjectClass::Lock);
    if (releases && e.kind == OpKind::Acquire) {
      // A blocking acquire cannot move before the release that let it run: the race to reverse
      // is with the acquire that release ends, unless something else already orders the two.
      // A trylock can move before the release too (it then fails), so it races with both.
      uint32_t a = matching_acquire(x, i);
      if (covered[steps_[a].ev.tid.v] < steps_[a].tidx) races_.emplace_back(a, j);
      if (e.flags & sim::kFlagTry) races_.emplace_back(i, j);
      join_into(s.clock);
      return;
    }
    races_.emplace_back(i, j);
    join_into(s.clock);
  };
  if (e.obj.valid() && e.obj.v < obj_steps_.size()) {
    const auto& list = obj_steps_[e.obj.v];
    const bool memory = x.object(e.obj).cls == sim::ObjectClass::Memory;
    for (size_t k = list.size(); k-- > 0;) {
      uint32_t i = list[k];
      consider(i);
      // Every earlier access to a memory cell happens before its last write (not before a
      // flush: its own thread's reads are independent of it).
      if (memory && (steps_[i].ev.kind == OpKind::Write || steps_[i].ev.kind == OpKind::Rmw) &&
          covered[steps_[i].ev.tid.v] >= steps_[i].tidx)
        break;
    }
  }
  if (e.block.valid() && e.block.v < block_steps_.size()) {
    const auto& list = block_steps_[e.block.v];
    for (size_t k = list.size(); k-- > 0;)
      if (steps_[list[k]].ev.kind == OpKind::Free || e.kind == OpKind::Free) consider(list[k]);
  }
}

void Dpor::on_event(sim::Execution& x, const Event& e) {
  const uint32_t j = static_cast<uint32_t>(steps_.size());
  const uint32_t t = e.tid.v;
  // Happens-before over dependence: this thread's history, joined threads, and the direct races.
  // The new step's clock is built in place (`covered`), starting from the thread's last clock.
  if (e.obj.valid() && obj_steps_.size() <= e.obj.v) obj_steps_.resize(x.object_count());
  if (e.block.valid() && block_steps_.size() <= e.block.v) block_steps_.resize(x.block_count());
  steps_.emplace_back();
  Step& me = steps_.back();
  me.ev = e;
  Clock& covered = me.clock;
  covered = clock_of(e.tid);
  auto join_into = [&](const Clock& c) {
    for (uint32_t k = 0; k < width_; ++k) covered[k] = std::max(covered[k], c[k]);
  };
  if (e.kind == OpKind::Join) join_into(clock_of(ThreadId(static_cast<uint32_t>(e.value))));
  // TSO: a flush comes after the store it flushes; a draining operation after every flush of
  // its thread's buffer. Enablers, not races (dependence.cpp).
  if (e.kind == OpKind::Buffer) buffered_[t].push_back(j);
  if (e.kind == OpKind::Flush) {
    auto& q = buffered_[x.thread(e.tid).buffer_of.v];
    if (!q.empty()) {
      join_into(steps_[q.front()].clock);
      q.pop_front();
    }
  }
  if ((e.flags & sim::kFlagDrain) && x.thread(e.tid).store_buffer.valid()) join_into(clock_of(x.thread(e.tid).store_buffer));
  // A spinning thread's read runs only after the write that released it (sim/spin.hpp). Which
  // write releases it is a race of its own: another write to what the loop read may come first.
  if ((e.flags & sim::kFlagAwait) && e.after < j) {
    races_.emplace_back(e.after, j);
    join_into(steps_[e.after].clock);
  }
  // A timeout that fired because nothing else could run comes after everything before it.
  if (quiet_timeout(e))
    for (uint32_t t = 0; t < width_; ++t)
      if (t != e.tid.v) join_into(clock_of(ThreadId(t)));
  find_races(x, e, j, covered);
  if (e.block.valid()) block_steps_[e.block.v].push_back(j);
  if (e.obj.valid()) obj_steps_[e.obj.v].push_back(j);
  covered[t] = ++thread_events_[t];
  me.tidx = covered[t];
  thread_last_[t] = static_cast<int32_t>(j);

  // The search tree.
  Frame& f = frames_[j];
  Node& n = nodes_[f.chosen];
  n.ev = e;
  n.ev_known = true;
  if (j + 1 > branch_) {
    Frame next;
    next.root = f.chosen;
    if (frames_.size() > j + 1) {
      next.sleep = std::move(frames_[j + 1].sleep);
    } else if (!spare_sleep_.empty()) {
      next.sleep = std::move(spare_sleep_.back());
      spare_sleep_.pop_back();
    }
    next.sleep.clear();
    for (const SleepEntry& s : f.sleep)
      if (!dependent(s.ev, e)) next.sleep.push_back(s);
    if (frames_.size() == j + 1)
      frames_.push_back(std::move(next));  // f is not used after this
    else
      frames_[j + 1] = std::move(next);
  }
}

void Dpor::truncate_frames(size_t n) {
  for (size_t k = n; k < frames_.size(); ++k) spare_sleep_.push_back(std::move(frames_[k].sleep));
  frames_.resize(n);
}

bool Dpor::weak_initial(ThreadId q, const Event* qev, const std::vector<VEv>& v,
                        size_t* pos, int64_t room) const {
  for (size_t k = 0; k < v.size(); ++k) {
    if (v[k].tid != q) continue;
    for (size_t m = 0; m < k; ++m)
      if (dependent(v[m].ev, v[k].ev)) return false;
    if (pos) *pos = k;
    return true;
  }
  // q's next event commutes with all of v, so q·v is equivalent to v·q -- but only while q·v
  // still fits under the step bound; otherwise q·v's prefixes do not contain v.
  if (!qev || room <= 0) return false;
  for (const VEv& w : v)
    if (dependent(*qev, w.ev)) return false;
  if (pos) *pos = v.size();
  return true;
}

void Dpor::insert(int32_t node, std::vector<VEv> v, int64_t room) {
  int32_t handed = -1;  // a handed-out branch the sequence goes into
  for (;;) {
    if (v.empty()) return;
    int32_t next = -1;
    size_t pos = 0;
    for (int32_t c = nodes_[node].first_child; c >= 0; c = nodes_[c].next_sibling) {
      const Node& n = nodes_[c];
      if (weak_initial(n.tid, n.ev_known ? &n.ev : nullptr, v, &pos, room)) {
        next = c;
        break;
      }
    }
    if (next < 0) break;
    if (nodes_[next].first_child < 0) return;  // a leaf already starts an equivalent sequence
    if (nodes_[next].handout) handed = next;
    nodes_[next].stamp = executions_;
    if (pos < v.size())
      v.erase(v.begin() + static_cast<long>(pos));
    else
      --room;  // one step of the bound spent on an event v does not contain
    node = next;
  }
  if (handed >= 0 && !nodes_[handed].changed) {
    nodes_[handed].changed = true;
    changed_.push_back(nodes_[handed].handout);
  }
  for (const VEv& w : v) {
    int32_t c = new_node(w.tid);
    nodes_[c].ev = w.ev;
    nodes_[c].ev_known = true;
    add_child(node, c);
    node = c;
  }
}

void Dpor::analyse_race(const sim::Execution& x, uint32_t i, uint32_t j, Event moved) {
  const Step& a = steps_[i];
  const Event& e = a.ev;
  const bool same_obj = e.obj == moved.obj;
  uint64_t state = e.pre;
  std::vector<VEv> v;
  for (uint32_t k = i + 1; k < steps_.size(); ++k) {
    if (k == j || happens_before(i, k)) continue;
    const Event& w = steps_[k].ev;
    v.push_back(VEv{w.tid, w});
    if (same_obj && w.obj == e.obj) state = apply_state(x, state, w);
  }
  if (same_obj && !reevaluate(x, state, moved)) return;  // it could not run there
  // A spin read, or a timed sleep that would time out there, may still have to wait there.
  if (moved.flags & sim::kFlagAwait) {
    const bool times_out = moved.kind != OpKind::SleepWait ||
                           (same_obj ? !((state >> 32 >> moved.tid.v) & 1u) : moved.value == 0);
    if (times_out && !releases(i, j, moved, v)) return;
  }
  if (moved.kind == OpKind::RcuSyncWait) return;         // only an unlock ends it: never earlier
  v.push_back(VEv{moved.tid, moved});
  // Steps left under the bound once v has run from the state before step i.
  const int64_t room = static_cast<int64_t>(max_steps_) - static_cast<int64_t>(i) - static_cast<int64_t>(v.size());
  for (const SleepEntry& s : frames_[i].sleep)
    if (weak_initial(s.tid, &s.ev, v, nullptr, room)) return;  // explored (or to be) from a sleeping thread
  place(i, std::move(v), room);
}

bool Dpor::releases(uint32_t i, uint32_t j, const Event& r, const std::vector<VEv>& v) const {
  // What the waiting thread looked at, whose change by another thread lets r run: for a spin
  // read, its read-only events back to the one that started its window; for a timed sleep that
  // times out, what it read since its previous timeout, changed by a write or a free (spin.hpp).
  const bool timed = r.kind == OpKind::SleepWait;
  std::vector<sim::ObjectId> objs;
  std::vector<sim::BlockId> blocks;
  uint32_t start = j;
  for (uint32_t k = j; k-- > 0;) {
    const Event& e = steps_[k].ev;
    if (e.tid != r.tid || e.kind == OpKind::Fence) continue;
    if (timed) {
      if (e.kind == OpKind::SleepWait) break;
      if (e.kind != OpKind::Read && e.kind != OpKind::CasFail) continue;  // as SpinWatch::on_timed
    } else if (!sim::SpinWatch::is_read(e.kind)) {
      break;
    }
    objs.push_back(e.obj);
    blocks.push_back(e.block);
    start = k;
    if (!timed && (e.flags & sim::kFlagWindow)) break;
  }
  auto writes_window = [&](const Event& w) {
    if (w.tid == r.tid || w.kind == OpKind::Fence || w.kind == OpKind::Buffer || sim::SpinWatch::is_read(w.kind)) return false;
    if (timed && w.kind != OpKind::Write && w.kind != OpKind::Rmw && w.kind != OpKind::Flush && w.kind != OpKind::Free)
      return false;
    for (size_t k = 0; k < objs.size(); ++k)
      if ((w.obj.valid() && w.obj == objs[k]) || (w.kind == OpKind::Free && blocks[k].valid() && w.block == blocks[k]))
        return true;
    return false;
  };
  // Released by a write between the window and the branching point, or by one in v.
  for (uint32_t k = start + 1; k < i; ++k)
    if (writes_window(steps_[k].ev)) return true;
  for (const VEv& w : v)
    if (writes_window(w.ev)) return true;
  return false;
}

void Dpor::cut_races(const sim::Execution& x) {
  // At the step bound the execution is a prefix, and the operations threads were about to do
  // never ran, so ordinary race reversal cannot see them. For each thread with a pending
  // operation p (its own history happens before p):
  //  - p enabled: every prefix of the same length that runs p instead of one of the execution's
  //    maximal events (the last event of a thread that nothing later depends on) is another
  //    trace within the bound. Each is planned as a race between that event and p, so a thread
  //    starved by the bound still runs, whether or not it conflicts with anyone.
  //  - p blocked: p races with the events it depends on (the acquire of the lock it waits for),
  //    exactly as if it had run next.
  const uint32_t n = static_cast<uint32_t>(steps_.size());
  const uint32_t threads = static_cast<uint32_t>(x.thread_count());
  auto maximal = [&](uint32_t t) {
    const int32_t l = thread_last_[t];
    if (l < 0) return false;
    for (uint32_t u = 0; u < threads; ++u)
      if (u != t && thread_last_[u] > l && steps_[static_cast<size_t>(thread_last_[u])].clock[t] >= steps_[l].tidx)
        return false;
    return true;
  };
  std::vector<std::pair<uint32_t, Event>> work;
  for (uint32_t q = 0; q < threads; ++q) {
    const sim::ThreadInfo& ti = x.thread(ThreadId(q));
    if (ti.finished || !ti.has_pending) continue;
    if (ti.pending.await && !x.enabled(ThreadId(q))) continue;  // a spin read waits for a write yet to come
    const Event p = pending_event(x, ThreadId(q));
    Clock past = clock_of(ThreadId(q));
    if (ti.pending.await) {  // a released spin read stays after the write that released it
      const Clock& r = steps_[x.released_at(ThreadId(q))].clock;
      for (uint32_t k = 0; k < width_; ++k) past[k] = std::max(past[k], r[k]);
    }
    const bool timed = p.kind == OpKind::SleepWait && (p.flags & sim::kFlagTry);
    if (timed && !x.timeout_released(ThreadId(q)) && x.enabled(ThreadId(q))) {
      // Enabled only because nothing else can run: it stays after everything.
      for (uint32_t t = 0; t < width_; ++t) {
        const Clock& c = clock_of(ThreadId(t));
        for (uint32_t k = 0; k < width_; ++k) past[k] = std::max(past[k], c[k]);
      }
    }
    if (x.enabled(ThreadId(q))) {
      for (uint32_t t = 0; t < threads; ++t) {
        if (t == q || !maximal(t)) continue;
        const uint32_t l = static_cast<uint32_t>(thread_last_[t]);
        if (past[t] < steps_[l].tidx) work.emplace_back(l, p);
      }
    } else {
      Clock covered = past;
      const size_t before = races_.size();
      find_races(x, p, n, covered);
      for (size_t k = before; k < races_.size(); ++k) work.emplace_back(races_[k].first, p);
      races_.resize(before);
    }
  }
  for (const auto& [i, p] : work) analyse_race(x, i, n, p);
}

bool Dpor::end(sim::Execution& x, sim::Outcome o) {
  ++executions_;
  for (const auto& [i, j] : races_)
    if (j >= branch_) analyse_race(x, i, j, steps_[j].ev);
  if (o == sim::Outcome::StepBound) cut_races(x);
  return backtrack(steps_.size());
}

bool Dpor::backtrack(size_t d) {
  // Back to the deepest state with something left to explore.
  if (frames_.size() > d + 1) truncate_frames(d + 1);
  else frames_.resize(d + 1);
  for (size_t k = d; k-- > 0;) {
    Frame& f = frames_[k];
    const Node& c = nodes_[f.chosen];
    f.sleep.push_back(SleepEntry{c.tid, c.ev});
    drop_first_child(f.root);
    f.chosen = -1;
    if (const int32_t next = nodes_[f.root].first_child; next >= 0) {
      truncate_frames(k + 1);
      if (nodes_[next].handout) {
        awaiting_ = static_cast<int64_t>(k);
        return true;
      }
      branch_ = k;
      return true;
    }
  }
  exhausted_ = true;
  return false;
}

}  // namespace vcpucheck::checker
