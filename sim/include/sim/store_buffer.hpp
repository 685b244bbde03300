// The memory model seam. Under "sc" (the default) every store is visible at once. Under "tso"
// (x86-TSO: Owens, Sarkar, Sewell, TPHOLs 2009) each thread has a FIFO store buffer:
//  - a Field/Atomic store (plain, relaxed, release) enters the buffer: an event `buffer` that only
//    its own thread sees; its loads of that cell take the newest buffered value (forwarding);
//    so does a guest CPU's store to observed guest memory (a vCPU's guest and host code share
//    one buffer, as they share one physical CPU), and a spin mutex's unlock (sim/sync.hpp);
//  - the buffer's oldest store reaches memory in an event `flush` of the thread's own store-buffer
//    thread ("T1.sb"), which the scheduler runs like any thread, so every order of flushes against
//    the other threads' loads is explored;
//  - a SeqCst access, a read-modify-write, smp_mb() and every lock (but a spin mutex's unlock),
//    sleep, wakeup, RCU or thread operation first waits until the buffer is empty (it drains), as
//    do a guest's MFENCE, locked and serializing instructions; smp_wmb/smp_rmb and acquire/release
//    orders add nothing on TSO (they stay happens-before edges for the detectors);
//  - objects marked `hardware` (ObjectInfo: the APIC bus, a CPU's run state) are not memory:
//    never buffered, never draining.
// For DPOR a flush is a write to its cell and races with its own thread's reads of it; a
// buffered store depends on nothing. A flush comes after its store, and a draining operation
// after its thread's flushes, by happens-before edges (enablers, not races): checker/dpor.cpp,
// checker/trace_hash.cpp, checker/dependence.cpp.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sim/event.hpp"

namespace vcpucheck::sim {

enum class MemoryModel : uint8_t { SC, TSO };
const char* memory_model_name(MemoryModel m);
bool memory_model_from_name(const std::string& s, MemoryModel& out);

// What a buffered store goes back to when it is flushed: a Field/Atomic cell, or a word of
// observed guest memory (sim/machine/machine.hpp).
class BufferTarget {
 public:
  // The oldest buffered store of thread t to this target reaches memory. Returns the encoded
  // value it replaces.
  virtual uint64_t flush_oldest(ThreadId t) = 0;

 protected:
  ~BufferTarget() = default;
};

struct BufferedStore {
  BufferTarget* cell;
  ObjectId obj;
  uint64_t value;  // encoded
  Order order;
  Loc loc;
  uint64_t gip = 0;  // a guest store: the instruction's address
};

// The FIFO of each thread (indexed by the owning thread) and which thread flushes it.
class StoreBuffers {
 public:
  std::deque<BufferedStore>& of(ThreadId t) {
    if (fifo_.size() <= t.v) fifo_.resize(t.v + 1);
    return fifo_[t.v];
  }
  bool empty(ThreadId t) const { return t.v >= fifo_.size() || fifo_[t.v].empty(); }

 private:
  std::vector<std::deque<BufferedStore>> fifo_;
};

}  // namespace vcpucheck::sim
