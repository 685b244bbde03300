// The C side of vcpucheck's Linux xarray shim (linux/xarray.h): the operations of
// sim/linux/xarray.hpp on the struct xarray in C memory -- its xa_lock a spin lock keyed by
// address, each slot an atomic pointer cell, each reserved mark a plain byte under the lock --
// located at the C caller's line.
#include <cstddef>
#include <cstring>

#include "shim.hpp"
#include "sim/sync.hpp"

#include "../shim/linux/linux/errno.h"
#include "../shim/linux/linux/xarray.h"

using vcpucheck::sim::Loc;
using vcpucheck::sim::Order;
using vcpucheck::sim::SpinMutex;
using vcpucheck::sim::ViolationKind;
using vcpucheck::sim::c::Access;
using vcpucheck::sim::c::World;
using vcpucheck::sim::c::shim::caller;
using vcpucheck::sim::c::shim::world;

namespace {

// One xarray call: its World, the caller's line, and the array's cells.
struct Xa {
  Xa(struct xarray* a, const char* c, void* ra) : call(c), pc(reinterpret_cast<uintptr_t>(ra)), loc(caller(ra)), w(world(c, loc)), xa(a) {}
  const char* call;
  uintptr_t pc;
  Loc loc;
  World& w;
  struct xarray* xa;

  SpinMutex& lock() { return vcpucheck::sim::c::shim::object_at<SpinMutex>(w, &xa->xa_lock, call, loc); }
  void check(unsigned long index) {
    if (index >= VCPUCHECK_XA_SLOTS)
      w.exec().fail(ViolationKind::ModelError,
                    std::string(call) + " at index " + std::to_string(index) + ", past the shim's capacity of " +
                        std::to_string(VCPUCHECK_XA_SLOTS) + " slots (VCPUCHECK_XA_SLOTS)",
                    loc, w.name_of(xa));
  }
  void* load(unsigned long i, Order o) {
    check(i);
    return reinterpret_cast<void*>(w.atomic_load(&xa->xa_slots[i], sizeof(void*), o, pc));
  }
  void store(unsigned long i, void* entry) {
    w.atomic_store(&xa->xa_slots[i], sizeof(void*), reinterpret_cast<uintptr_t>(entry), Order::Release, pc);
  }
  bool reserved(unsigned long i) {
    w.access(&xa->xa_reserved[i], 1, Access::Read, pc);
    return xa->xa_reserved[i] != 0;
  }
  // The first entry at an index in [from, max], its index stored in *found; or NULL.
  void* first_from(unsigned long from, unsigned long max, unsigned long* found) {
    const unsigned long last = max < VCPUCHECK_XA_SLOTS ? max : VCPUCHECK_XA_SLOTS - 1;
    for (unsigned long i = from; i <= last; ++i)
      if (void* e = load(i, Order::Consume)) {
        *found = i;
        return e;
      }
    return nullptr;
  }
  void set_reserved(unsigned long i, bool r) {
    w.access(&xa->xa_reserved[i], 1, Access::Write, pc);
    xa->xa_reserved[i] = r ? 1 : 0;
    w.flush();  // the store is recorded before the next operation
  }
};

}  // namespace

extern "C" {

void xa_init_flags(struct xarray* xa, unsigned int flags) {
  Xa a(xa, "xa_init_flags", __builtin_return_address(0));
  (void)a.lock();  // spin_lock_init: the lock's bytes are not touched
  char* cells = reinterpret_cast<char*>(&xa->xa_flags);
  const size_t n = sizeof *xa - offsetof(struct xarray, xa_flags);
  a.w.access(cells, n, Access::Write, a.pc);
  std::memset(cells, 0, n);
  xa->xa_flags = flags;
  a.w.flush();
}

void xa_destroy(struct xarray*) {}

void* xa_load(struct xarray* xa, unsigned long index) {
  Xa a(xa, "xa_load", __builtin_return_address(0));
  return a.load(index, Order::Consume);
}

void* xa_store(struct xarray* xa, unsigned long index, void* entry, gfp_t) {
  Xa a(xa, "xa_store", __builtin_return_address(0));
  a.check(index);
  a.lock().lock(a.loc);
  void* old = a.load(index, Order::Relaxed);
  a.store(index, entry);
  a.set_reserved(index, false);
  a.lock().unlock(a.loc);
  return old;
}

int xa_insert(struct xarray* xa, unsigned long index, void* entry, gfp_t) {
  Xa a(xa, "xa_insert", __builtin_return_address(0));
  a.check(index);
  a.lock().lock(a.loc);
  int ret = 0;
  if (a.load(index, Order::Relaxed) || a.reserved(index))
    ret = -EBUSY;
  else if (!entry)
    a.set_reserved(index, true);  // inserting NULL reserves the slot
  else
    a.store(index, entry);
  a.lock().unlock(a.loc);
  return ret;
}

void* xa_erase(struct xarray* xa, unsigned long index) {
  Xa a(xa, "xa_erase", __builtin_return_address(0));
  a.check(index);
  a.lock().lock(a.loc);
  void* old = a.load(index, Order::Relaxed);
  a.store(index, nullptr);
  a.set_reserved(index, false);
  a.lock().unlock(a.loc);
  return old;
}

int xa_reserve(struct xarray* xa, unsigned long index, gfp_t) {
  Xa a(xa, "xa_reserve", __builtin_return_address(0));
  a.check(index);
  a.lock().lock(a.loc);
  if (!a.load(index, Order::Relaxed)) a.set_reserved(index, true);
  a.lock().unlock(a.loc);
  return 0;
}

void xa_release(struct xarray* xa, unsigned long index) {
  Xa a(xa, "xa_release", __builtin_return_address(0));
  a.check(index);
  a.lock().lock(a.loc);
  a.set_reserved(index, false);
  a.lock().unlock(a.loc);
}

// Each slot it looks at is one lock-free read, as the kernel's walk under RCU reads each node.
void* xa_find(struct xarray* xa, unsigned long* index, unsigned long max, xa_mark_t) {
  Xa a(xa, "xa_find", __builtin_return_address(0));
  return a.first_from(*index, max, index);
}

void* xa_find_after(struct xarray* xa, unsigned long* index, unsigned long max, xa_mark_t) {
  Xa a(xa, "xa_find_after", __builtin_return_address(0));
  return *index == ~0ul ? nullptr : a.first_from(*index + 1, max, index);
}

}  // extern "C"
