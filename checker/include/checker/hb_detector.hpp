// Happens-before detectors: data races and use-before-init, with vector clocks.
//
// Edges: program order; spawn and join; lock release -> later acquire; release (or release-fence
// then relaxed) store -> acquire (or relaxed-then-acquire-fence) load that reads it; wakeup ->
// woken sleeper; RCU read-side unlock -> the end of a later synchronize_rcu.
//
// Data race: two accesses to one cell, at least one a write and at least one plain (non-atomic),
// not ordered by happens-before. A free that some access to the block's cells does not happen
// before is reported as use-after-free: another schedule runs that access after the free.
// Each edge between two threads that taught the later one something it did not know is added
// to the execution's links (sim::Link), for traces to draw.
//
// Use-before-init: a read of a cell declared `uninit` whose initializing (first) write does not
// happen before the read -- even when this interleaving showed the value. That is how a missing
// smp_wmb/smp_rmb or release/acquire pair is caught without simulating weak memory.
#pragma once
#include <array>
#include <deque>
#include <vector>

#include "sim/execution.hpp"

namespace vcpucheck::checker {

class HbDetector final : public sim::Observer {
 public:
  void reset();
  void on_object(const sim::Execution& x, sim::ObjectId o, sim::ThreadId creator) override;
  void on_spawn(const sim::Execution& x, sim::ThreadId parent, sim::ThreadId child) override;
  void on_event(sim::Execution& x, const sim::Event& e) override;
  void on_setup(const sim::Execution& x, const sim::Event& e) override;

 private:
  using Clock = std::array<uint32_t, sim::kMaxThreads>;
  // No member initializers: a cell's 32 read slots are valid only where `readers` has their bit,
  // so a new cell is one zeroing of its bytes, not 32 slot constructions (cells are made anew
  // for every execution).
  struct Access {
    uint32_t epoch;  // the accessing thread's own clock component; 0 = none
    int64_t step;
    bool atomic;
  };
  struct Cell {
    // User-provided: a new cell is not zero-filled first (reads is valid only where readers has
    // the bit, and an object's cell is made on every execution).
    Cell() {}
    Clock sync{};                  // what an acquire of this object learns
    int64_t sync_step = -1;        // the last step that released into sync (-1: none)
    sim::ThreadId sync_tid;
    sim::ThreadId wtid;            // last write
    Access write{0, -1, false};
    uint32_t readers = 0;                          // threads with a read since the last write
    std::array<Access, sim::kMaxThreads> reads;    // last read per thread (valid where readers has the bit)
    bool initialized = false;
    sim::ThreadId init_tid;        // initializing write (invalid tid: setup, before every thread)
    uint32_t init_epoch = 0;
    int64_t init_step = -1;
  };

  bool ordered(sim::ThreadId t, sim::ThreadId a, uint32_t epoch) const {
    return !a.valid() || a == t || clocks_[t.v][a.v] >= epoch;
  }
  // Joins `from` into `into`; true when it raised some entry (the joining thread learned something).
  bool join(Clock& into, const Clock& from) const;
  // A synchronization of the current event (step) with what `c` released: a link when it taught something.
  void learn(sim::Execution& x, uint32_t step, sim::ThreadId t, const Cell& c, sim::Link::Kind kind);
  void memory(sim::Execution& x, const sim::Event& e, uint32_t step);
  void check_access(sim::Execution& x, const sim::Event& e, uint32_t step, Cell& c, bool is_write, bool atomic);
  [[noreturn]] void race(sim::Execution& x, const sim::Event& now, uint32_t step, int64_t other_step,
                         const std::string& why, sim::ViolationKind kind = sim::ViolationKind::DataRace);
  void free_block(sim::Execution& x, const sim::Event& e, uint32_t step);

  uint32_t width_ = 0;  // threads so far: clock entries at and beyond it are zero
  std::array<Clock, sim::kMaxThreads> clocks_{};
  std::array<Clock, sim::kMaxThreads> rel_fence_{};    // clock at the last release fence
  std::array<Clock, sim::kMaxThreads> acq_pending_{};  // learned by relaxed loads, for a later acquire fence
  std::array<int64_t, sim::kMaxThreads> acq_pending_step_{};  // the release the pending clock came from
  std::array<int64_t, sim::kMaxThreads> spawned_at_{};  // the parent's spawn step, until the child's first step
  std::vector<Cell> cells_;
  std::vector<std::vector<uint32_t>> block_objects_;
  // Each heap block's allocation: the write that initializes the objects created in it later
  // (ObjectInfo::init_at_alloc: C memory, whose objects are made on first access).
  struct AllocAt {
    sim::ThreadId tid;
    uint32_t epoch = 0;
    int64_t step = -1;
  };
  std::vector<AllocAt> allocs_;
  // x86-TSO: what each thread's buffered stores publish when they reach memory, oldest first. A
  // load from memory synchronizes with (and is initialized by) only stores that were flushed; a
  // load forwarded from the thread's own buffer reads its own store.
  struct Unflushed {
    uint32_t obj;
    Clock sync;  // the release it carries (zero for a plain store)
    uint32_t epoch;
    int64_t step;
  };
  std::array<std::deque<Unflushed>, sim::kMaxThreads> unflushed_;
  void flushed(const sim::Execution& x, const sim::Event& e);
};

}  // namespace vcpucheck::checker
