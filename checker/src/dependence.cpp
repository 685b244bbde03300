#include "checker/dependence.hpp"

#include "sim/sync.hpp"

namespace vcpucheck::checker {

using sim::Event;
using sim::LockMode;
using sim::ObjectClass;
using sim::OpKind;

namespace {
bool writes_memory(OpKind k) { return k == OpKind::Write || k == OpKind::Rmw || k == OpKind::Flush; }

// The value a read-modify-write leaves when it runs on `s`, wrapped at the cell's width and, for
// a signed cell, sign-extended as its values are encoded.
uint64_t rmw_value(const sim::ObjectInfo& o, uint64_t s, const Event& e) {
  uint64_t v = e.value;  // exchange
  switch (e.rmw) {
    case sim::RmwOp::Add: v = s + e.arg; break;
    case sim::RmwOp::Or: v = s | e.arg; break;
    case sim::RmwOp::And: v = s & e.arg; break;
    case sim::RmwOp::Xor: v = s ^ e.arg; break;
    case sim::RmwOp::Exchange: break;
  }
  if (o.bytes >= 8) return v;
  const unsigned bits = 8u * o.bytes;
  v &= (uint64_t(1) << bits) - 1;
  if (o.is_signed && (v >> (bits - 1)) & 1u) v |= ~((uint64_t(1) << bits) - 1);
  return v;
}
}  // namespace

bool dependent(const Event& a, const Event& b) {
  if (a.tid == b.tid) return true;
  // x86-TSO (sim/store_buffer.hpp): a buffered store is seen by no other thread, and a flush does
  // not race with its own thread's reads of its cell: next to each other, the two commute (the read
  // takes the newest value of that thread's store either way, from its buffer or from memory). A
  // store by another thread in between races with both, and orders them.
  if (a.kind == OpKind::Flush || b.kind == OpKind::Flush) {
    const Event& f = a.kind == OpKind::Flush ? a : b;
    const Event& o = a.kind == OpKind::Flush ? b : a;
    // (Its own store, and the draining operations that wait for it, are ordered after it by
    // happens-before edges in the search instead: they are enablers, not races.)
    if (f.buffer_of != 0xff && o.tid.v == f.buffer_of)
      return o.obj == f.obj && o.kind != OpKind::Buffer && o.kind != OpKind::Read;
  }
  if (a.kind == OpKind::Buffer || b.kind == OpKind::Buffer) return false;
  if (a.kind == OpKind::Free || b.kind == OpKind::Free) return a.block.valid() && a.block == b.block;
  if (a.obj != b.obj || !a.obj.valid()) return false;
  switch (a.cls) {
    case ObjectClass::Memory:
      return writes_memory(a.kind) || writes_memory(b.kind);
    case ObjectClass::Lock: {
      const bool excl = a.mode == LockMode::Exclusive || b.mode == LockMode::Exclusive;
      // TSO: the flush of a buffered spin-mutex release is that release, as others see it.
      auto kind = [](const Event& e) { return e.kind == OpKind::Flush ? OpKind::Release : e.kind; };
      auto is = [&](OpKind x, OpKind y) { return (kind(a) == x && kind(b) == y) || (kind(a) == y && kind(b) == x); };
      if (is(OpKind::Acquire, OpKind::Acquire)) return excl;
      if (is(OpKind::Release, OpKind::Acquire)) return excl;  // a release enables the acquire
      // A failed trylock reads the lock's state: the acquire that made it fail wrote it.
      if (is(OpKind::Acquire, OpKind::TryFail)) return excl;
      return is(OpKind::Release, OpKind::TryFail);
    }
    case ObjectClass::Channel:
      return a.kind == OpKind::Wakeup || b.kind == OpKind::Wakeup;
    case ObjectClass::Rcu: {
      auto is = [&](OpKind x, OpKind y) { return (a.kind == x && b.kind == y) || (a.kind == y && b.kind == x); };
      // A read-side unlock may end the grace period a synchronize_rcu waits for.
      return is(OpKind::RcuSyncStart, OpKind::RcuLock) || is(OpKind::RcuSyncStart, OpKind::RcuUnlock) ||
             is(OpKind::RcuSyncStart, OpKind::RcuSyncStart) || is(OpKind::RcuUnlock, OpKind::RcuSyncWait);
    }
    default:
      return false;
  }
}

uint64_t apply_state(const sim::Execution& x, uint64_t s, const Event& e) {
  switch (x.object(e.obj).cls) {
    case ObjectClass::Memory:
      if (e.kind == OpKind::Write || e.kind == OpKind::Flush) return e.value;
      if (e.kind == OpKind::Rmw) {
        if (e.flags & sim::kFlagCas) return s == e.arg ? e.value : s;
        return rmw_value(x.object(e.obj), s, e);
      }
      return s;
    case ObjectClass::Lock: {
      uint32_t bit = 1u << e.tid.v;
      if (e.kind == OpKind::Acquire) {
        if (!sim::Lock::state_allows(s, e.mode)) return s;  // a trylock that would now fail
        return e.mode == LockMode::Exclusive ? ((1ull << 63) | e.tid.v) : (s | bit);
      }
      if (e.kind == OpKind::Release) return e.mode == LockMode::Exclusive ? 0 : (s & ~uint64_t(bit));
      if (e.kind == OpKind::Flush) return 0;  // TSO: a buffered spin-mutex release reaches memory
      return s;
    }
    case ObjectClass::Channel: {
      uint32_t waiters = uint32_t(s), woken = uint32_t(s >> 32), bit = 1u << e.tid.v;
      if (e.kind == OpKind::SleepPrepare) {
        waiters |= bit;
        woken &= ~bit;
      } else if (e.kind == OpKind::SleepWait) {
        waiters &= ~bit;
        woken &= ~bit;
      } else if (e.kind == OpKind::Wakeup) {
        uint32_t t = e.arg ? (waiters & (~waiters + 1)) : waiters;
        woken |= t;
        waiters &= ~t;
      }
      return uint64_t(waiters) | (uint64_t(woken) << 32);
    }
    default:
      return s;
  }
}

bool reevaluate(const sim::Execution& x, uint64_t s, Event& e) {
  switch (x.object(e.obj).cls) {
    case ObjectClass::Memory:
      if (e.flags & sim::kFlagCas) e.kind = (s == e.arg) ? OpKind::Rmw : OpKind::CasFail;
      return true;
    case ObjectClass::Lock:
      if (e.kind == OpKind::Acquire || e.kind == OpKind::TryFail) {
        bool ok = sim::Lock::state_allows(s, e.mode);
        if (e.flags & sim::kFlagTry) {
          e.kind = ok ? OpKind::Acquire : OpKind::TryFail;
          return true;
        }
        return ok;
      }
      return true;
    case ObjectClass::Channel:
      if (e.kind == OpKind::SleepWait && !(e.flags & sim::kFlagTry)) return (s >> 32 >> e.tid.v) & 1u;
      return true;
    default:
      return true;
  }
}

sim::Event pending_event(const sim::Execution& x, sim::ThreadId q) {
  const sim::PendingOp& op = x.thread(q).pending;
  sim::Event p;
  p.tid = q;
  p.obj = op.obj;
  p.block = op.obj.valid() ? x.object(op.obj).block : sim::BlockId();
  if (op.obj.valid()) p.cls = x.object(op.obj).cls;
  if (x.thread(q).buffer_of.valid()) p.buffer_of = static_cast<uint8_t>(x.thread(q).buffer_of.v);
  p.kind = op.kind;
  p.mode = op.mode;
  p.loc = op.loc;
  // A trylock or a wait with a timeout: its outcome depends on where it runs.
  if ((op.kind == sim::OpKind::Acquire && !op.blocking) || (op.kind == sim::OpKind::SleepWait && op.timeout))
    p.flags = sim::kFlagTry;
  // A timed sleep's timeout needs another thread's change, or quiescence (sim/spin.hpp).
  if (op.kind == sim::OpKind::SleepWait && op.timeout) p.flags |= sim::kFlagAwait;
  return p;
}

}  // namespace vcpucheck::checker
