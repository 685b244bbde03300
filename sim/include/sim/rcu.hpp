// RCU: read-side sections, synchronize_rcu and deferred free.
//
// synchronize() waits for every read-side section that was open when it started (a grace
// period), not for sections that begin later. call_rcu_free() frees a block after a grace period
// on an internal thread, as the kernel's callback machinery would. Blocking inside a read-side
// section is a reported violation -- except in a sleepable domain (SRCU: Rcu(x, "srcu",
// Rcu::sleepable)), whose readers may sleep and whose grace periods wait only for its own readers.
#pragma once
#include <array>

#include "sim/heap.hpp"

namespace vcpucheck::sim {

class Rcu : public SharedObject, public Blocker {
 public:
  struct Sleepable {};
  static constexpr Sleepable sleepable{};
  Rcu(Execution& x, const std::string& leaf);
  Rcu(Execution& x, const std::string& leaf, Sleepable);

  void read_lock(const Loc& loc = Loc::current());
  void read_unlock(const Loc& loc = Loc::current());
  void synchronize(const Loc& loc = Loc::current());
  // Frees `b` after a grace period, from an internal thread ("rcu-callback").
  void call_rcu_free(BlockId b, const Loc& loc = Loc::current());
  template <class T>
  void call_rcu_free(const Ptr<T>& p, const Loc& loc = Loc::current()) {
    if (p) call_rcu_free(p.block(), loc);
  }

  bool enabled(const PendingOp& op, ThreadId t) const override;
  std::optional<ThreadId> waits_for(const PendingOp& op, ThreadId t) const override;
  uint64_t state() const { return inside_; }

 private:
  uint32_t inside_ = 0;                       // threads inside a read-side section
  std::array<uint32_t, kMaxThreads> gen_{};   // per thread: read-side sections completed
  // per waiting thread: the readers it waits for and their generation when it started
  struct Wait {
    uint32_t readers = 0;
    std::array<uint32_t, kMaxThreads> gen{};
  };
  std::array<Wait, kMaxThreads> waits_{};
  uint32_t callbacks_ = 0;
  bool sleepable_ = false;
  std::array<int, kMaxThreads> nest_{};       // a sleepable domain: each thread's nesting in it
};

}  // namespace vcpucheck::sim
