// Visible operations and the events they leave behind.
//
// A thread announces a PendingOp before every visible operation and yields; once the strategy
// picks it, the operation runs atomically and leaves one Event. The event carries everything the
// checker needs to decide dependence (object, kind, the object's state before and after) without
// knowing which primitive produced it.
#pragma once
#include "sim/types.hpp"

namespace vcpucheck::sim {

enum class OpKind : uint8_t {
  // memory: plain fields and atomics
  Read,
  Write,
  Rmw,      // successful read-modify-write (exchange, fetch_add, successful CAS)
  CasFail,  // a failed compare-and-swap: a read
  Fence,    // smp_wmb / smp_rmb / smp_mb: thread-local for dependence
  Buffer,   // x86-TSO: a store entering its thread's store buffer (seen by that thread only)
  Flush,    // x86-TSO: the oldest store of a buffer reaching memory (by the buffer's own thread)
  // locks (mutex, spin mutex, sx, rwlock); `mode` says shared or exclusive
  Acquire,
  Release,
  TryFail,  // a trylock that found the lock held: a read of the lock
  // heap blocks
  Alloc,
  Free,
  // threads
  Spawn,
  Join,     // waits for a thread to finish
  // sleep/wakeup channels
  SleepPrepare,  // register as a waiter (done under the interlock)
  SleepWait,     // block until woken (or time out, when a timeout is allowed)
  Wakeup,
  // RCU
  RcuLock,
  RcuUnlock,
  RcuSyncStart,
  RcuSyncWait,
  // no shared effect (critical sections, assertions, guest-local steps)
  Local,
};

const char* op_name(OpKind k);

// What kind of shared object an operation touches (ObjectInfo::cls); dependence is decided by it.
enum class ObjectClass : uint8_t { Memory, Lock, Thread, Channel, Rcu, Block, Other };

// Consume: a dependency-ordered load (atomic_load_ptr or READ_ONCE of a pointer that is then
// dereferenced). The detectors treat it as acquire, as compilers do.
enum class Order : uint8_t { Plain, Relaxed, Consume, Acquire, Release, AcqRel, SeqCst };
const char* order_name(Order o);

enum class LockMode : uint8_t { Exclusive, Shared };

// Which read-modify-write an Rmw event is: the new value from the old one and `arg` (for a
// fetch_sub, Add of the negated operand). The checker recomputes it when it moves the event.
enum class RmwOp : uint8_t { Exchange, Add, Or, And, Xor };

// What a thread is about to do. Posted before it yields; read by the strategy and the enabled test.
struct PendingOp {
  OpKind kind = OpKind::Local;
  ObjectId obj;
  LockMode mode = LockMode::Exclusive;
  bool blocking = false;  // waits until the object allows it (acquire, join, wait...)
  bool timeout = false;   // a SleepWait that may return by timing out
  Loc loc;
  bool idle = false;      // a wait that may last forever without it being a deadlock (a halted CPU)
  uint64_t site = 0;      // guest accesses: the instruction's address (spin-loop detection)
  bool await = false;     // set by the execution: a spin-loop read that waits for a write (spin.hpp)
  bool drain = false;     // x86-TSO: runs only once the thread's store buffer is empty (store_buffer.hpp)
};

constexpr uint8_t kFlagCas = 1;  // a compare-and-swap (Rmw on success, CasFail otherwise)
constexpr uint8_t kFlagTry = 2;  // a trylock (Acquire on success, TryFail otherwise); a wait with timeout
constexpr uint8_t kFlagYield = 4;  // a Local step that is only a scheduling point (cond_resched): neutral to spin windows
constexpr uint8_t kFlagAwait = 8;  // a spin-loop read that waited for another thread's write
constexpr uint8_t kFlagWindow = 16;  // a read that starts its thread's spin window (spin.hpp)
constexpr uint8_t kFlagDrain = 32;   // x86-TSO: ran with the thread's store buffer empty (a fence, a locked op)
constexpr uint8_t kFlagForwarded = 64;  // x86-TSO: a read that took its value from its own store buffer

// One executed visible operation.
struct Event {
  ThreadId tid;
  ObjectId obj;
  BlockId block;        // heap block the object belongs to (invalid if none)
  OpKind kind = OpKind::Local;
  LockMode mode = LockMode::Exclusive;
  Order order = Order::Plain;
  ObjectClass cls = ObjectClass::Other;  // the class of `obj`, so that dependence needs only the events
  uint64_t value = 0;   // value read or written (the new value for RMW)
  uint64_t arg = 0;     // CAS expected value; fetch_add addend
  uint64_t pre = 0;     // the object's state before (memory: value; lock: holders)
  uint64_t post = 0;    // and after
  uint8_t flags = 0;    // kFlagCas, kFlagTry: the outcome depends on the state it ran in
  RmwOp rmw = RmwOp::Exchange;  // an Rmw that is not a CAS: how it changed the value
  uint8_t buffer_of = 0xff;     // TSO, on a store-buffer thread: the thread whose buffer it flushes
  Loc loc;
  uint64_t gip = 0;     // guest events: the guest instruction's address (loc is then unused)
  uint32_t after = UINT32_MAX;  // kFlagAwait reads: the step whose write released the spinning thread
};

}  // namespace vcpucheck::sim
