#include "checker/hb_detector.hpp"

#include <algorithm>

namespace vcpucheck::checker {

using sim::Event;
using sim::OpKind;
using sim::Order;
using sim::ThreadId;
using sim::ViolationKind;

namespace {
bool is_acquire(Order o) {
  return o == Order::Consume || o == Order::Acquire || o == Order::AcqRel || o == Order::SeqCst;
}
bool is_release(Order o) { return o == Order::Release || o == Order::AcqRel || o == Order::SeqCst; }
}  // namespace

void HbDetector::reset() {
  width_ = 0;  // a thread's clocks are cleared when it is spawned
  cells_.clear();
  block_objects_.clear();
  allocs_.clear();
  for (auto& q : unflushed_) q.clear();
}

bool HbDetector::join(Clock& into, const Clock& from) const {
  bool raised = false;
  for (uint32_t k = 0; k < width_; ++k)
    if (from[k] > into[k]) {
      into[k] = from[k];
      raised = true;
    }
  return raised;
}

void HbDetector::learn(sim::Execution& x, uint32_t step, ThreadId t, const Cell& c, sim::Link::Kind kind) {
  if (join(clocks_[t.v], c.sync) && c.sync_step >= 0 && c.sync_tid != t)
    x.link(sim::Link{static_cast<uint32_t>(c.sync_step), step, kind, {}});
}

void HbDetector::on_object(const sim::Execution& x, sim::ObjectId o, ThreadId creator) {
  if (cells_.size() <= o.v) cells_.resize(o.v + 1);
  const sim::ObjectInfo& info = x.object(o);
  if (info.preexisting) creator = ThreadId();  // initial state: before every thread
  Cell& c = cells_[o.v];
  if (info.init_at_alloc && info.block.valid() && info.block.v < allocs_.size() && allocs_[info.block.v].step >= 0) {
    const AllocAt& a = allocs_[info.block.v];
    c.initialized = true;
    c.init_tid = a.tid;
    c.init_epoch = a.epoch;
    c.init_step = a.step;
    c.wtid = a.tid;
    c.write = Access{a.epoch, a.step, false};
  } else if (info.init_on_create) {
    c.initialized = true;
    c.init_tid = creator;
    c.init_epoch = creator.valid() ? clocks_[creator.v][creator.v] : 0;
    // Creation by a thread is its write: later plain accesses must be ordered after it.
    if (creator.valid()) {
      c.wtid = creator;
      c.write = Access{c.init_epoch, static_cast<int64_t>(x.steps()), false};
    }
  }
  if (info.block.valid() && info.cls == sim::ObjectClass::Memory) {
    if (block_objects_.size() <= info.block.v) block_objects_.resize(info.block.v + 1);
    block_objects_[info.block.v].push_back(o.v);
  }
}

void HbDetector::on_setup(const sim::Execution& x, const Event& e) {
  if (!e.obj.valid()) return;
  if (cells_.size() <= e.obj.v) cells_.resize(x.object_count());
  Cell& c = cells_[e.obj.v];
  if (e.kind == OpKind::Write || e.kind == OpKind::Rmw) c.initialized = true;  // before every thread
}

void HbDetector::on_spawn(const sim::Execution&, ThreadId parent, ThreadId child) {
  width_ = std::max(width_, child.v + 1);
  clocks_[child.v].fill(0);
  rel_fence_[child.v].fill(0);
  acq_pending_[child.v].fill(0);
  acq_pending_step_[child.v] = -1;
  spawned_at_[child.v] = -1;
  if (parent.valid()) {
    clocks_[child.v] = clocks_[parent.v];
    ++clocks_[parent.v][parent.v];
  }
  clocks_[child.v][child.v] = 1;
}

void HbDetector::race(sim::Execution& x, const Event& now, uint32_t step, int64_t other_step, const std::string& why,
                      ViolationKind kind) {
  sim::Violation v;
  v.kind = kind;
  v.object = x.object(now.obj).name;
  v.message = kind == ViolationKind::DataRace ? "on " + v.object + ": " + why
                                              : v.object + " in another schedule: " + why;
  if (other_step >= 0) v.involved.push_back(x.describe(x.events()[static_cast<size_t>(other_step)], other_step));
  v.involved.push_back(x.describe(now, step));
  v.step = step;
  x.fail(std::move(v));
}

void HbDetector::check_access(sim::Execution& x, const Event& e, uint32_t step, Cell& c, bool is_write, bool atomic) {
  const ThreadId t = e.tid;
  // against the last write
  if (c.write.epoch && !(atomic && c.write.atomic) && !ordered(t, c.wtid, c.write.epoch))
    race(x, e, step, c.write.step,
         std::string(is_write ? "a write" : "a read") + " not ordered after a concurrent write by " +
             x.thread(c.wtid).name);
  if (is_write) {
    for (uint32_t m = c.readers; m; m &= m - 1) {
      const uint32_t r = static_cast<uint32_t>(__builtin_ctz(m));
      const Access& a = c.reads[r];
      if (!(atomic && a.atomic) && !ordered(t, ThreadId(r), a.epoch))
        race(x, e, step, a.step, "a write not ordered after a concurrent read by " + x.thread(ThreadId(r)).name);
    }
  }
}

void HbDetector::memory(sim::Execution& x, const Event& e, uint32_t step) {
  const ThreadId t = e.tid;
  Cell& c = cells_[e.obj.v];
  const bool atomic = e.order != Order::Plain;
  // TSO: a store is checked for races where its thread made it (its buffer event), as
  // happens-before does not depend on the buffer; what it publishes -- its release, the
  // initialization -- takes effect at its flush (flushed()). A forwarded load reads the thread's
  // own store: nothing to learn, nothing uninitialized.
  const bool reads = e.kind != OpKind::Write && e.kind != OpKind::Buffer;
  const bool writes = e.kind == OpKind::Write || e.kind == OpKind::Rmw || e.kind == OpKind::Buffer;
  Clock& me = clocks_[t.v];
  const bool from_memory = reads && !(e.flags & sim::kFlagForwarded);

  if (from_memory && atomic) {  // acquire side
    if (is_acquire(e.order)) {
      learn(x, step, t, c, sim::Link::Kind::ReadsFrom);
    } else if (join(acq_pending_[t.v], c.sync) && c.sync_tid != t) {
      acq_pending_step_[t.v] = c.sync_step;
    }
  }
  if (from_memory && !c.initialized) {
    sim::Violation v;
    v.kind = ViolationKind::UseBeforeInit;
    v.object = x.object(e.obj).name;
    v.message = v.object + " is read before anything initialized it";
    v.involved.push_back(x.describe(e, step));
    v.step = step;
    x.fail(std::move(v));
  }
  if (from_memory && !ordered(t, c.init_tid, c.init_epoch)) {
    sim::Violation v;
    v.kind = ViolationKind::UseBeforeInit;
    v.object = x.object(e.obj).name;
    v.message = "the write that initialized " + v.object +
                " does not happen before this read (a missing release/acquire pair or barrier), although this "
                "interleaving showed the value";
    if (c.init_step >= 0) v.involved.push_back(x.describe(x.events()[static_cast<size_t>(c.init_step)], c.init_step));
    v.involved.push_back(x.describe(e, step));
    v.step = step;
    x.fail(std::move(v));
  }
  check_access(x, e, step, c, writes, atomic);

  if (e.kind == OpKind::Buffer) {
    Unflushed u{e.obj.v, {}, me[t.v], step};
    if (atomic) u.sync = is_release(e.order) ? me : rel_fence_[t.v];
    unflushed_[t.v].push_back(u);
    c.wtid = t;
    c.write = Access{me[t.v], step, atomic};
    c.readers = 0;
    return;
  }
  if (writes) {
    if (!c.initialized) {
      c.initialized = true;
      c.init_tid = t;
      c.init_epoch = me[t.v];
      c.init_step = step;
    }
    if (atomic) {  // release side; an RMW continues the release sequence
      const Clock& rel = is_release(e.order) ? me : rel_fence_[t.v];
      if (e.kind == OpKind::Rmw)
        join(c.sync, rel);
      else
        c.sync = rel;
      c.sync_step = step;
      c.sync_tid = t;
    } else {
      c.sync.fill(0);
      c.sync_step = -1;
    }
    c.wtid = t;
    c.write = Access{me[t.v], step, atomic};
    c.readers = 0;
  } else {
    c.reads[t.v] = Access{me[t.v], step, atomic};
    c.readers |= 1u << t.v;
  }
}

void HbDetector::flushed(const sim::Execution& x, const Event& e) {
  const ThreadId owner = x.thread(e.tid).buffer_of;
  auto& q = unflushed_[owner.v];
  if (q.empty()) return;
  const Unflushed u = q.front();
  q.pop_front();
  Cell& c = cells_[u.obj];
  if (!c.initialized) {
    c.initialized = true;
    c.init_tid = owner;
    c.init_epoch = u.epoch;
    c.init_step = u.step;
  }
  c.sync = u.sync;
  c.sync_step = static_cast<int64_t>(x.steps()) - 1;  // the release takes effect at the flush
  c.sync_tid = e.tid;
}

void HbDetector::free_block(sim::Execution& x, const Event& e, uint32_t step) {
  if (e.block.v >= block_objects_.size()) return;
  for (uint32_t o : block_objects_[e.block.v]) {
    Cell& c = cells_[o];
    Event as_write = e;
    as_write.obj = sim::ObjectId(o);
    if (c.write.epoch && c.wtid != e.tid && c.wtid.valid() && !ordered(e.tid, c.wtid, c.write.epoch))
      race(x, as_write, step, c.write.step, "freed while a write by " + x.thread(c.wtid).name + " is not ordered before the free", sim::ViolationKind::UseAfterFree);
    for (uint32_t m = c.readers; m; m &= m - 1) {
      const uint32_t r = static_cast<uint32_t>(__builtin_ctz(m));
      const Access& a = c.reads[r];
      if (!ordered(e.tid, ThreadId(r), a.epoch))
        race(x, as_write, step, a.step, "freed while a read by " + x.thread(ThreadId(r)).name + " is not ordered before the free", sim::ViolationKind::UseAfterFree);
    }
  }
}

void HbDetector::on_event(sim::Execution& x, const Event& e) {
  const uint32_t step = static_cast<uint32_t>(x.steps() - 1);
  const ThreadId t = e.tid;
  Clock& me = clocks_[t.v];
  if (e.obj.valid() && cells_.size() <= e.obj.v) cells_.resize(x.object_count());
  if (spawned_at_[t.v] >= 0) {  // the child's first step: what its parent did before spawning it
    x.link(sim::Link{static_cast<uint32_t>(spawned_at_[t.v]), step, sim::Link::Kind::Spawn, {}});
    spawned_at_[t.v] = -1;
  }
  switch (e.kind) {
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Rmw:
    case OpKind::CasFail:
    case OpKind::Buffer:
      memory(x, e, step);
      break;
    case OpKind::Flush:
      flushed(x, e);
      break;
    case OpKind::Fence:
      if (is_release(e.order)) rel_fence_[t.v] = me;
      if (is_acquire(e.order) && join(me, acq_pending_[t.v]) && acq_pending_step_[t.v] >= 0)
        x.link(sim::Link{static_cast<uint32_t>(acq_pending_step_[t.v]), step, sim::Link::Kind::Fence, {}});
      break;
    case OpKind::Acquire:
    case OpKind::SleepWait:
    case OpKind::RcuSyncWait:
      if (e.kind != OpKind::SleepWait || e.value)
        learn(x, step, t, cells_[e.obj.v],
              e.kind == OpKind::Acquire     ? sim::Link::Kind::Lock
              : e.kind == OpKind::SleepWait ? sim::Link::Kind::Wakeup
                                            : sim::Link::Kind::Rcu);
      break;
    case OpKind::Release:
    case OpKind::Wakeup:
    case OpKind::RcuUnlock: {
      Cell& c = cells_[e.obj.v];
      join(c.sync, me);
      c.sync_step = step;
      c.sync_tid = t;
      break;
    }
    case OpKind::Spawn:
      if (e.value < sim::kMaxThreads) spawned_at_[e.value] = step;
      break;
    case OpKind::Join:
      if (join(me, clocks_[e.value])) {  // from the joined thread's last step (joins are rare: a scan)
        const auto& ev = x.events();
        for (size_t k = step; k-- > 0;)
          if (ev[k].tid.v == e.value) {
            x.link(sim::Link{static_cast<uint32_t>(k), step, sim::Link::Kind::Join, {}});
            break;
          }
      }
      break;
    case OpKind::Free:
      free_block(x, e, step);
      break;
    case OpKind::Alloc:
      if (e.block.valid()) {
        if (allocs_.size() <= e.block.v) allocs_.resize(e.block.v + 1);
        allocs_[e.block.v] = AllocAt{t, me[t.v], step};
      }
      break;
    default:
      break;
  }
  ++me[t.v];
}

}  // namespace vcpucheck::checker
