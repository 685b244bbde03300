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
// Timed sleeps (msleep(..., hz), wait_event_timeout) follow the same idea: a timeout fires only
// when it can change what happens. A timed sleep that no wakeup ended may time out
//   (a) once another thread has written (or freed) something this thread read since its last
//       sleep returned -- a change the loop around the sleep can notice; or
//   (b) when no other thread can run at all (the timeout is then the only thing that can
//       happen) -- once; again only after a change as in (a) or a wakeup.
// Lock traffic is not a change: it alters no value a loop tests (and two waiters on one
// interlock would otherwise release each other forever). So `while (!cond) msleep(&chan, &mtx,
// hz)` explores the timeout racing with every write to `cond` (a forgotten wakeup is found), an
// error path taken on a timeout runs once everything else is stuck, and the search is finite: a
// thread whose timeout can never fire again while nothing else can run sleeps forever, a
// liveness violation. What a timeout cannot do under this rule: fire while other threads are
// busy with things it never reads. The checker sees the rule through kFlagAwait on the wait and
// its `after` step (the write that allowed it, or none for (b)).
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
  // Back to the state of a new watch, keeping the tables' capacity (the next execution's).
  void clear();

  // Timed sleeps: called as thread t announces a timed wait.
  void begin_timed(ThreadId t);
  // Whether a change (a) allows t's timeout, and at which step it came.
  bool timeout_released(ThreadId t) const { return timeout_released_at(t) != kNever; }
  uint64_t timeout_released_at(ThreadId t) const { return t.v < timed_.size() ? timed_[t.v].released_at : kNever; }
  // Whether t already used its timeout at a moment nothing else could run (b).
  bool quiet_used(ThreadId t) const { return t.v < timed_.size() && timed_[t.v].quiet_used; }

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
  void on_timed(const Event& e, uint64_t step);
  struct Seen {
    ObjectId obj;
    BlockId block;
    uint64_t step;  // the thread's latest read of it
  };
  struct Timed {
    std::vector<Seen> seen;  // read since the thread's last sleep returned
    bool overflow = false;   // read too much to track: any timeout is allowed
    bool sleeping = false;   // a timed wait is pending
    uint64_t released_at = kNever;
    bool quiet_used = false;
  };
  static constexpr size_t kMaxSeen = 256;
  std::vector<Timed> timed_;           // per thread
  std::vector<uint32_t> last_writer_;  // per object: the thread of its last changing event
  uint32_t sleepers_ = 0;              // threads with a pending timed wait
  std::vector<Window> windows_;       // per thread
  std::vector<uint64_t> released_at_;  // per thread: kNever while awaiting, else when released
  std::vector<uint32_t> awaiting_;     // threads that wait and have not been released
  std::vector<uint64_t> last_write_;  // per object: the step of its last changing event
  std::vector<uint64_t> last_free_;   // per heap block: the step it was freed
};

}  // namespace vcpucheck::sim
