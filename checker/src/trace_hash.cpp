#include "checker/trace_hash.hpp"

#include <algorithm>

#include "checker/dependence.hpp"

namespace vcpucheck::checker {

using sim::OpKind;
using sim::ThreadId;

namespace {
uint64_t mix(uint64_t h, uint64_t v) {  // splitmix64 over the running value
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}
}  // namespace

void TraceHash::reset() {
  events_.clear();
  clocks_.clear();
  for (auto& v : obj_steps_) v.clear();
  for (auto& v : block_steps_) v.clear();
  for (auto& v : block_frees_) v.clear();
  for (auto& q : buffered_) q.clear();
  width_ = 0;
  fp_ = Fingerprint{};
}

void TraceHash::on_spawn(ThreadId parent, ThreadId child) {
  width_ = std::max(width_, child.v + 1);
  last_[child.v] = -1;
  count_[child.v] = 0;
  spawn_[child.v].fill(0);
  if (parent.valid()) spawn_[child.v] = clock_of(parent);
}

void TraceHash::on_event(const sim::Execution& x, const sim::Event& e) {
  const uint32_t j = static_cast<uint32_t>(events_.size());
  Clock c = clock_of(e.tid);
  auto join = [&](const Clock& o) {
    for (uint32_t k = 0; k < width_; ++k) c[k] = std::max(c[k], o[k]);
  };
  auto covered = [&](uint32_t i) { return c[events_[i].tid.v] >= clocks_[i][events_[i].tid.v]; };
  if (e.kind == OpKind::Join) join(clock_of(ThreadId(static_cast<uint32_t>(e.value))));
  if (e.kind == OpKind::Buffer) buffered_[e.tid.v].push_back(j);  // TSO edges, as in Dpor::on_event
  if (e.kind == OpKind::Flush) {
    auto& q = buffered_[x.thread(e.tid).buffer_of.v];
    if (!q.empty()) {
      join(clocks_[q.front()]);
      q.pop_front();
    }
  }
  if ((e.flags & sim::kFlagDrain) && x.thread(e.tid).store_buffer.valid()) join(clock_of(x.thread(e.tid).store_buffer));
  if ((e.flags & sim::kFlagAwait) && e.after < j) join(clocks_[e.after]);
  if (e.kind == OpKind::SleepWait && (e.flags & sim::kFlagAwait) && e.value == 0 && e.after == UINT32_MAX)
    for (uint32_t t = 0; t < width_; ++t) join(clock_of(ThreadId(t)));  // a quiet timeout comes after all
  if (e.obj.valid()) {
    if (obj_steps_.size() <= e.obj.v) obj_steps_.resize(x.object_count());
    const auto& list = obj_steps_[e.obj.v];
    const bool memory = x.object(e.obj).cls == sim::ObjectClass::Memory;
    for (size_t k = list.size(); k-- > 0;) {
      const uint32_t i = list[k];
      const sim::Event& p = events_[i];
      if (p.tid != e.tid && !covered(i) && dependent(p, e)) join(clocks_[i]);
      // Every earlier access to a memory cell happens before its last write (not before a
      // flush: its own thread's reads are independent of it).
      if (memory && (p.kind == OpKind::Write || p.kind == OpKind::Rmw) && covered(i)) break;
    }
  }
  if (e.block.valid()) {
    if (block_steps_.size() <= e.block.v) {
      block_steps_.resize(x.block_count());
      block_frees_.resize(x.block_count());
    }
    // A free depends on every access to its block; other accesses only on a free.
    const auto& list = e.kind == OpKind::Free ? block_steps_[e.block.v] : block_frees_[e.block.v];
    for (uint32_t i : list)
      if (events_[i].tid != e.tid && !covered(i) && dependent(events_[i], e)) join(clocks_[i]);
    block_steps_[e.block.v].push_back(j);
    if (e.kind == OpKind::Free) block_frees_[e.block.v].push_back(j);
  }
  if (e.obj.valid()) obj_steps_[e.obj.v].push_back(j);
  c[e.tid.v] = ++count_[e.tid.v];
  last_[e.tid.v] = static_cast<int32_t>(j);
  events_.push_back(e);
  clocks_.push_back(c);
  uint64_t h1 = mix(0x243f6a8885a308d3ull, (uint64_t(e.tid.v) << 40) | (uint64_t(e.kind) << 32) | uint64_t(e.mode) << 36 | c[e.tid.v]);
  uint64_t h2 = mix(0x13198a2e03707344ull, h1);
  for (uint32_t k = 0; k < width_; ++k) {
    h1 = mix(h1, c[k]);
    h2 = mix(h2, uint64_t(c[k]) << 8 | k);
  }
  fp_.a += h1;
  fp_.b += h2;
}

}  // namespace vcpucheck::checker
