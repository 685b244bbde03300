// Linux: the xarray subset KVM uses for kvm->vcpu_array (include sim/linux.hpp).
//
// A fixed capacity of slots, each a pointer cell. Writers (xa_store, xa_insert, xa_erase,
// xa_reserve, xa_release) serialize on the array's xa_lock and publish with a release store
// (rcu_assign_pointer); readers (xa_load, xa_find, xa_for_each*) take no lock and read a slot
// with a dependency-ordered load (rcu_dereference), so an entry's initialization happens before
// what a reader does with it only if it was complete before the store. Run readers inside
// rcu_read_lock() when entries are freed after a grace period, as the kernel requires.
//
// A reserved slot (xa_reserve) reads as NULL, yet xa_insert sees it occupied (-EBUSY); xa_store
// and xa_erase overwrite it; xa_release frees it only while it is still reserved.
#pragma once
#include <cerrno>
#include <string>

#include "sim/heap.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::lnx {

using sim::Loc;
using sim::Order;
using sim::Ptr;

using gfp_t = unsigned;
constexpr gfp_t GFP_KERNEL = 0xcc0;
constexpr gfp_t GFP_KERNEL_ACCOUNT = 0x400cc0;
constexpr gfp_t GFP_ATOMIC = 0x820;
constexpr gfp_t __GFP_ZERO = 0x100;

template <class T>
class xarray {
 public:
  xarray(sim::Execution& x, const std::string& leaf, size_t capacity)
      : xa_lock(x, leaf + ".xa_lock"), slots_(x, leaf, capacity, Ptr<T>()), reserved_(x, leaf + ".reserved", capacity, false) {}
  sim::SpinMutex xa_lock;
  size_t capacity() const { return slots_.size(); }

  // Bounds are the caller's: an index past the capacity is reported, never silently absent.
  sim::Atomic<Ptr<T>>& slot(unsigned long i, const Loc& loc) { return slots_.at(static_cast<int64_t>(i), loc); }
  sim::Field<bool>& reserved(unsigned long i, const Loc& loc) { return reserved_.at(static_cast<int64_t>(i), loc); }

 private:
  sim::Array<sim::Atomic<Ptr<T>>> slots_;
  sim::Array<sim::Field<bool>> reserved_;  // under xa_lock
};

template <class T>
Ptr<T> xa_load(xarray<T>* xa, unsigned long index, const Loc& loc = Loc::current()) {
  return xa->slot(index, loc).load(Order::Consume, loc);
}

// Returns the entry it replaced.
template <class T>
Ptr<T> xa_store(xarray<T>* xa, unsigned long index, const Ptr<T>& entry, gfp_t = GFP_KERNEL,
                const Loc& loc = Loc::current()) {
  xa->xa_lock.lock(loc);
  sim::Atomic<Ptr<T>>& s = xa->slot(index, loc);
  const Ptr<T> old = s.load(Order::Relaxed, loc);
  s.store(entry, Order::Release, loc);
  xa->reserved(index, loc).set(false, loc);
  xa->xa_lock.unlock(loc);
  return old;
}

// 0, or -EBUSY when the slot holds an entry or is reserved.
template <class T>
int xa_insert(xarray<T>* xa, unsigned long index, const Ptr<T>& entry, gfp_t = GFP_KERNEL,
              const Loc& loc = Loc::current()) {
  xa->xa_lock.lock(loc);
  sim::Atomic<Ptr<T>>& s = xa->slot(index, loc);
  int ret = 0;
  if (s.load(Order::Relaxed, loc) || xa->reserved(index, loc).get(loc)) {
    ret = -EBUSY;
  } else if (!entry) {
    xa->reserved(index, loc).set(true, loc);  // inserting NULL reserves the slot
  } else {
    s.store(entry, Order::Release, loc);
  }
  xa->xa_lock.unlock(loc);
  return ret;
}

// Returns the entry it removed.
template <class T>
Ptr<T> xa_erase(xarray<T>* xa, unsigned long index, const Loc& loc = Loc::current()) {
  xa->xa_lock.lock(loc);
  sim::Atomic<Ptr<T>>& s = xa->slot(index, loc);
  const Ptr<T> old = s.load(Order::Relaxed, loc);
  s.store(Ptr<T>(), Order::Release, loc);
  xa->reserved(index, loc).set(false, loc);
  xa->xa_lock.unlock(loc);
  return old;
}

// 0; a slot that already holds an entry keeps it.
template <class T>
int xa_reserve(xarray<T>* xa, unsigned long index, gfp_t = GFP_KERNEL, const Loc& loc = Loc::current()) {
  xa->xa_lock.lock(loc);
  const bool taken = static_cast<bool>(xa->slot(index, loc).load(Order::Relaxed, loc));
  if (!taken) xa->reserved(index, loc).set(true, loc);
  xa->xa_lock.unlock(loc);
  return 0;
}

template <class T>
void xa_release(xarray<T>* xa, unsigned long index, const Loc& loc = Loc::current()) {
  xa->xa_lock.lock(loc);
  xa->reserved(index, loc).set(false, loc);
  xa->xa_lock.unlock(loc);
}

// The first entry at an index in [*index, max] (updating *index), or NULL. Each slot it looks at
// is one lock-free read, as the kernel's walk under RCU reads each node.
template <class T>
Ptr<T> xa_find(xarray<T>* xa, unsigned long* index, unsigned long max, const Loc& loc = Loc::current()) {
  const unsigned long last = max < xa->capacity() ? max : xa->capacity() - 1;
  for (unsigned long i = *index; xa->capacity() && i <= last; ++i)
    if (Ptr<T> e = xa->slot(i, loc).load(Order::Consume, loc)) {
      *index = i;
      return e;
    }
  return Ptr<T>();
}
template <class T>
Ptr<T> xa_find_after(xarray<T>* xa, unsigned long* index, unsigned long max, const Loc& loc = Loc::current()) {
  unsigned long next = *index + 1;
  if (next == 0) return Ptr<T>();
  Ptr<T> e = xa_find(xa, &next, max, loc);
  if (e) *index = next;
  return e;
}

}  // namespace vcpucheck::lnx

#define xa_for_each_range(xa, index, entry, start, last)                                            \
  for ((index) = (start), (entry) = ::vcpucheck::lnx::xa_find((xa), &(index), (last)); (entry); \
       (entry) = ::vcpucheck::lnx::xa_find_after((xa), &(index), (last)))
#define xa_for_each(xa, index, entry) xa_for_each_range(xa, index, entry, 0, ~0ul)
