#include "sim/spin.hpp"

#include <algorithm>
#include <cstring>

namespace vcpucheck::sim {

namespace {
bool same_site(const char* fa, uint32_t la, uint32_t ca, uint64_t sa, const char* fb, uint32_t lb, uint32_t cb,
               uint64_t sb) {
  if (sa != sb || la != lb || ca != cb) return false;
  return fa == fb || std::strcmp(fa, fb) == 0;
}
}  // namespace

void SpinWatch::clear() {
  // An entry at its fill value means the same as no entry: the tables keep their size.
  for (Timed& t : timed_) {
    t.seen.clear();
    t.overflow = t.sleeping = t.quiet_used = false;
    t.released_at = kNever;
  }
  for (Window& w : windows_) w.reads.clear();
  std::fill(last_writer_.begin(), last_writer_.end(), UINT32_MAX);
  std::fill(released_at_.begin(), released_at_.end(), 0);
  std::fill(last_write_.begin(), last_write_.end(), kNever);
  std::fill(last_free_.begin(), last_free_.end(), kNever);
  awaiting_.clear();
  sleepers_ = 0;
}

bool SpinWatch::begin_await(ThreadId t, const PendingOp& op) {
  if (!is_read(op.kind) || !op.obj.valid() || t.v >= windows_.size()) return false;
  Window& w = windows_[t.v];
  for (const Entry& r : w.reads)
    if (written_since(r)) {  // the last iteration can see something new: not a repeat
      w.reads.clear();
      return false;
    }
  if (w.reads.size() >= kMaxWindow) {  // too long a read-only stretch to be a loop we track
    w.reads.clear();
    return false;
  }
  // The two latest earlier reads at this site, p0 < p1: the iterations [p0, p1) and [p1, end)
  // must be the same reads (objects, sites, values) for the thread to be spinning.
  auto here = [&](const Entry& r) {
    return r.obj == op.obj &&
           same_site(r.file, r.line, r.column, r.site, op.loc.file_name(), op.loc.line(), op.loc.column(), op.site);
  };
  const size_t n = w.reads.size();
  size_t p1 = n, p0 = n;
  for (size_t k = n; k-- > 0;)
    if (here(w.reads[k])) {
      if (p1 == n) {
        p1 = k;
      } else {
        p0 = k;
        break;
      }
    }
  if (p0 == n || p1 - p0 != n - p1) return false;
  for (size_t k = 0; k < n - p1; ++k) {
    const Entry& a = w.reads[p0 + k];
    const Entry& b = w.reads[p1 + k];
    if (a.obj != b.obj || a.value != b.value || !same_site(a.file, a.line, a.column, a.site, b.file, b.line, b.column, b.site))
      return false;
  }
  if (released_at_.size() <= t.v) released_at_.resize(t.v + 1, 0);
  released_at_[t.v] = kNever;
  awaiting_.push_back(t.v);
  return true;
}

void SpinWatch::release_readers(ObjectId o, BlockId freed, uint64_t step) {
  for (size_t k = 0; k < awaiting_.size();) {
    const uint32_t t = awaiting_[k];
    bool hit = false;
    for (const Entry& r : windows_[t].reads) hit = hit || r.obj == o || (freed.valid() && r.block == freed);
    if (hit) {
      released_at_[t] = step;
      awaiting_.erase(awaiting_.begin() + static_cast<long>(k));
    } else {
      ++k;
    }
  }
}

void SpinWatch::begin_timed(ThreadId t) {
  if (timed_.size() <= t.v) timed_.resize(t.v + 1);
  Timed& me = timed_[t.v];
  me.sleeping = true;
  ++sleepers_;
  me.released_at = me.overflow ? 0 : kNever;
  // A change that came before the thread went to sleep counts as well.
  for (const Seen& r : me.seen) {
    const bool written = r.obj.v < last_write_.size() && last_write_[r.obj.v] != kNever && last_write_[r.obj.v] > r.step &&
                         last_writer_[r.obj.v] != t.v;
    const bool freed = r.block.valid() && r.block.v < last_free_.size() && last_free_[r.block.v] != kNever &&
                       last_free_[r.block.v] > r.step;
    if (written) me.released_at = std::min(me.released_at, last_write_[r.obj.v]);
    if (freed) me.released_at = std::min(me.released_at, last_free_[r.block.v]);
  }
}

void SpinWatch::on_timed(const Event& e, uint64_t step) {
  if (timed_.size() <= e.tid.v) timed_.resize(e.tid.v + 1);
  Timed& me = timed_[e.tid.v];
  if (e.kind == OpKind::SleepWait) {
    const bool quiet = (e.flags & kFlagTry) && e.value == 0 && me.released_at == kNever;
    if (me.sleeping) --sleepers_;
    me.seen.clear();
    me.overflow = false;
    me.sleeping = false;
    me.released_at = kNever;
    me.quiet_used = quiet;  // woken, or allowed by a change: the next quiet timeout is fresh
    return;
  }
  // Memory reads only: a failed trylock reads a lock, and lock traffic releases no timeout.
  if ((e.kind == OpKind::Read || e.kind == OpKind::CasFail) && e.obj.valid() && !me.overflow) {
    bool found = false;
    for (Seen& r : me.seen)
      if (r.obj == e.obj) {
        r.step = step;
        found = true;
      }
    if (!found) {
      if (me.seen.size() >= kMaxSeen) me.overflow = true;
      else me.seen.push_back(Seen{e.obj, e.block, step});
    }
  }
  const bool changes =
      e.kind == OpKind::Write || e.kind == OpKind::Rmw || e.kind == OpKind::Flush || e.kind == OpKind::Free;
  if (!changes) return;
  if (e.obj.valid()) {
    if (last_writer_.size() <= e.obj.v) last_writer_.resize(e.obj.v + 1, UINT32_MAX);
    last_writer_[e.obj.v] = e.tid.v;
  }
  if (sleepers_ == 0) return;
  // A change by this thread releases every other sleeping thread that read the object.
  const BlockId freed = e.kind == OpKind::Free ? e.block : BlockId();
  for (uint32_t t = 0; t < timed_.size(); ++t) {
    Timed& o = timed_[t];
    if (t == e.tid.v || !o.sleeping || o.released_at != kNever) continue;
    for (const Seen& r : o.seen)
      if ((e.obj.valid() && r.obj == e.obj) || (freed.valid() && r.block == freed)) {
        o.released_at = step;
        break;
      }
  }
}

bool SpinWatch::on_event(const Event& e, uint64_t step, bool awaited) {
  on_timed(e, step);
  if (windows_.size() <= e.tid.v) windows_.resize(e.tid.v + 1);
  Window& w = windows_[e.tid.v];
  if (e.kind == OpKind::Fence || (e.kind == OpKind::Local && (e.flags & kFlagYield))) return false;
  if (is_read(e.kind) && e.obj.valid()) {
    if (awaited) {  // released: the next iteration is compared with this one
      w.reads.clear();
      released_at_[e.tid.v] = 0;
    }
    w.reads.push_back(Entry{e.obj, e.block, step, e.value, e.gip, e.loc.file_name(), e.loc.line(), e.loc.column()});
    return w.reads.size() == 1;
  }
  w.reads.clear();
  if (e.kind == OpKind::Buffer) return false;  // TSO: no other thread sees it until its flush
  if (e.obj.valid()) {
    if (last_write_.size() <= e.obj.v) last_write_.resize(e.obj.v + 1, kNever);
    last_write_[e.obj.v] = step;
  }
  const BlockId freed = e.kind == OpKind::Free ? e.block : BlockId();
  if (!awaiting_.empty() && (e.obj.valid() || freed.valid())) release_readers(e.obj, freed, step);
  // A free changes every field of its block: a thread spinning on one must read it again (and
  // find the use after free).
  if (e.kind == OpKind::Free && e.block.valid()) {
    if (last_free_.size() <= e.block.v) last_free_.resize(e.block.v + 1, kNever);
    last_free_[e.block.v] = step;
  }
  return false;
}

}  // namespace vcpucheck::sim
