// Spin loops: a thread that re-reads what it already read, having changed nothing, waits.
//
// A loop such as `while (serving.load() != mine) {}`, a test-and-test-and-set spin lock, or a
// guest polling a word would otherwise run until --max-steps in every execution where the thread
// it waits for is not scheduled, and the search would be nothing but step-bound runs. Instead, as
// GenMC's spin-assume and Nidhugg's await do, the thread waits until another thread writes
// something it read.
//
// Detection (per thread, from its own events only):
//   - the thread's *window* is the run of read-only events (reads, failed CAS, failed trylock;
//     fences are neutral) since its last event that changed anything (a write, an RMW, a lock
//     operation, a sleep, an allocation, a guest stretch of unobserved code...);
//   - the thread is about to read an object at a site (the model's source line and column, or the
//     guest instruction's address) where its window already has two reads of that object, and
//     the two iterations they begin are the same reads -- same objects, sites and values;
//   - and no other thread has written anything the window read since it read it.
// Its local state is then, as far as shared memory can tell, the same as one iteration ago: the
// pending read *awaits* (is not enabled) until another thread writes an object of its window.
// (A loop over different objects -- `for (i...) read vcpu[i]` -- never repeats an iteration.)
// Released, it performs that read, and its window starts again from it: each release costs one
// iteration. When nothing else can run while a thread awaits, the execution ends with a
// liveness violation: no thread can ever change what it reads.
//
// What a model must do: nothing for a real spin loop. A read-only loop that ends by *local*
// state alone (`for (int i = 0; i < 3; ++i) if (flag.load()) break;`) looks like a spin loop:
// make the retry visible with a shared write (a Field counter), or wait with a sleep and a
// timeout (sim::Chan), which is what the kernels do.
//
// Determinism: sites are compared by file name, line and column (or guest address); nothing here
// depends on host addresses or order of containers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace vcpucheck::sim {

class SpinWatch {
 public:
  // Whether `op`, about to be announced by thread t, repeats a read of t's window with nothing
  // new written since; if so t awaits from now on. A window someone wrote into is restarted.
  bool begin_await(ThreadId t, const PendingOp& op);
  // An awaiting thread may run again: another thread wrote an object of its window.
  bool released(ThreadId t) const { return t.v >= released_at_.size() || released_at_[t.v] != kNever; }
  // The step whose event released t (kNever while it still waits).
  uint64_t released_at(ThreadId t) const { return t.v < released_at_.size() ? released_at_[t.v] : kNever; }
  // Every executed event, in order; `step` is its index. Returns true for a read that starts its
  // thread's window (the checker recomputes windows from events: kFlagWindow).
  bool on_event(const Event& e, uint64_t step, bool awaited);
  static constexpr uint64_t kNever = UINT64_MAX;
  static constexpr size_t kMaxWindow = 64;  // reads in a window; a longer stretch starts over
  static bool is_read(OpKind k) { return k == OpKind::Read || k == OpKind::CasFail || k == OpKind::TryFail; }

 private:
  struct Entry {
    ObjectId obj;
    BlockId block;
    uint64_t step;  // when the thread read it
    uint64_t value;
    uint64_t site;  // guest address, or 0
    const char* file;
    uint32_t line, column;
  };
  struct Window {
    std::vector<Entry> reads;
  };
  bool written_since(const Entry& r) const {
    if (r.obj.v < last_write_.size() && last_write_[r.obj.v] != kNever && last_write_[r.obj.v] > r.step) return true;
    return r.block.valid() && r.block.v < last_free_.size() && last_free_[r.block.v] != kNever &&
           last_free_[r.block.v] > r.step;
  }
  void release_readers(ObjectId o, BlockId freed, uint64_t step);
  std::vector<Window> windows_;       // per thread
  std::vector<uint64_t> released_at_;  // per thread: kNever while awaiting, else when released
  std::vector<uint32_t> awaiting_;     // threads that wait and have not been released
  std::vector<uint64_t> last_write_;  // per object: the step of its last changing event
  std::vector<uint64_t> last_free_;   // per heap block: the step it was freed
};

}  // namespace vcpucheck::sim
