// Locks that read like the kernel's: sleep mutex, spin mutex, sx (shared/exclusive) and rwlock,
// with try variants.
//
// Rules checked on every operation (each a reported violation with the model's location):
//  - a sleepable lock (mutex, sx, rwlock) acquired inside a critical section, under a spin mutex,
//    or inside an RCU read section: BlockingInCritical;
//  - recursion on a lock the thread already holds, or releasing one it does not hold: LockMisuse.
// A spin mutex enters a critical section while held, as FreeBSD's mtx_lock_spin does.
//
// Under x86-TSO (store_buffer.hpp) taking any lock is a locked read-modify-write and drains the
// store buffer, and so is releasing a sleep mutex, sx or rwlock (a locked cmpxchg). Releasing a
// spin mutex is a plain release store, as FreeBSD's mtx_unlock_spin and Linux's spin_unlock are on
// x86: it enters the holder's store buffer, and other threads see the mutex free only when it is
// flushed; the holder's own critical section ends at once.
//
// The lock's state (exclusive holder, shared holders) travels in every event's pre/post word, so
// the checker can replay it when it reorders events.
#pragma once
#include "sim/object.hpp"

namespace vcpucheck::sim {

enum class LockKind : uint8_t { Sleep, Spin, Sx, Rw };

class Lock : public SharedObject, public Blocker, public BufferTarget {
 public:
  Lock(Execution& x, const std::string& leaf, LockKind kind);

  void acquire(LockMode m, const Loc& loc);
  bool try_acquire(LockMode m, const Loc& loc);
  void release(LockMode m, const Loc& loc);

  // The holder's view: a spin mutex it released under TSO is no longer its own, even while the
  // release is still in its store buffer (others still see it held: held(), state()).
  bool owned_by(ThreadId t) const { return xholder_ == t && !release_buffered_; }
  bool held_by(ThreadId t) const { return owned_by(t) || (shared_ & (1u << t.v)); }
  bool held() const { return xholder_.valid() || shared_ != 0; }
  LockKind kind() const { return kind_; }

  bool enabled(const PendingOp& op, ThreadId t) const override;
  uint64_t flush_oldest(ThreadId t) override;  // TSO: a buffered spin-mutex release reaches memory
  std::optional<ThreadId> waits_for(const PendingOp& op, ThreadId t) const override;

  // The state word: bit 63 set when held exclusively (low 5 bits: the holder), else the shared
  // holder set. Exposed for the checker's replay of reordered events.
  uint64_t state() const;
  static bool state_allows(uint64_t state, LockMode m);

 private:
  void check_blocking_context(const Loc& loc);
  bool setup_op(bool take, LockMode m, const Loc& loc);
  void check_setup_released(const Loc& loc);
  void take(LockMode m, const Loc& loc, bool is_try, uint64_t pre);

  LockKind kind_;
  ThreadId xholder_;
  uint32_t shared_ = 0;
  bool release_buffered_ = false;  // TSO: the holder's releasing store is still in its buffer
  bool setup_held_ = false;  // taken while the model builds its initial state
  LockMode setup_mode_ = LockMode::Exclusive;
};

class Mutex : public Lock {
 public:
  Mutex(Execution& x, const std::string& leaf) : Lock(x, leaf, LockKind::Sleep) {}
  void lock(const Loc& loc = Loc::current()) { acquire(LockMode::Exclusive, loc); }
  bool trylock(const Loc& loc = Loc::current()) { return try_acquire(LockMode::Exclusive, loc); }
  void unlock(const Loc& loc = Loc::current()) { release(LockMode::Exclusive, loc); }
};

class SpinMutex : public Lock {
 public:
  SpinMutex(Execution& x, const std::string& leaf) : Lock(x, leaf, LockKind::Spin) {}
  void lock(const Loc& loc = Loc::current()) { acquire(LockMode::Exclusive, loc); }
  bool trylock(const Loc& loc = Loc::current()) { return try_acquire(LockMode::Exclusive, loc); }
  void unlock(const Loc& loc = Loc::current()) { release(LockMode::Exclusive, loc); }
};

class Sx : public Lock {
 public:
  Sx(Execution& x, const std::string& leaf) : Lock(x, leaf, LockKind::Sx) {}
  void xlock(const Loc& loc = Loc::current()) { acquire(LockMode::Exclusive, loc); }
  void slock(const Loc& loc = Loc::current()) { acquire(LockMode::Shared, loc); }
  bool try_xlock(const Loc& loc = Loc::current()) { return try_acquire(LockMode::Exclusive, loc); }
  bool try_slock(const Loc& loc = Loc::current()) { return try_acquire(LockMode::Shared, loc); }
  void xunlock(const Loc& loc = Loc::current()) { release(LockMode::Exclusive, loc); }
  void sunlock(const Loc& loc = Loc::current()) { release(LockMode::Shared, loc); }
};

class RwLock : public Lock {
 public:
  RwLock(Execution& x, const std::string& leaf) : Lock(x, leaf, LockKind::Rw) {}
  void rlock(const Loc& loc = Loc::current()) { acquire(LockMode::Shared, loc); }
  void wlock(const Loc& loc = Loc::current()) { acquire(LockMode::Exclusive, loc); }
  bool try_rlock(const Loc& loc = Loc::current()) { return try_acquire(LockMode::Shared, loc); }
  bool try_wlock(const Loc& loc = Loc::current()) { return try_acquire(LockMode::Exclusive, loc); }
  void runlock(const Loc& loc = Loc::current()) { release(LockMode::Shared, loc); }
  void wunlock(const Loc& loc = Loc::current()) { release(LockMode::Exclusive, loc); }
};

// The one rule for every operation that may sleep (a sleepable lock, a sleep, a grace period,
// malloc(M_WAITOK)): inside a critical section, under a spin mutex or in an RCU read-side section
// it is a BlockingInCritical violation, `what` followed by where the thread is.
void check_may_sleep(Execution& x, const std::string& what, const Loc& loc, const std::string& object = {});

// Critical sections (FreeBSD critical_enter/critical_exit): no blocking operation inside.
void critical_enter(Execution& x, const Loc& loc = Loc::current());
void critical_exit(Execution& x, const Loc& loc = Loc::current());

// KASSERT / panic: a failed assertion stops the execution with the model's message and location.
inline void kassert(Execution& x, bool cond, const std::string& msg, const Loc& loc = Loc::current()) {
  if (!cond) x.fail(ViolationKind::Assertion, "KASSERT failed: " + msg, loc);
}
[[noreturn]] inline void panic(Execution& x, const std::string& msg, const Loc& loc = Loc::current()) {
  x.fail(ViolationKind::Assertion, "panic: " + msg, loc);
}

// Waits until thread t has finished (a visible, blocking operation).
void join(Execution& x, ThreadId t, const Loc& loc = Loc::current());

}  // namespace vcpucheck::sim
