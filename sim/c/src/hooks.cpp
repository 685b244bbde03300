// The entry points GCC's -fsanitize=thread instrumentation calls (the ThreadSanitizer runtime
// interface), answered by vcpucheck instead of TSan: each forwards to the running execution's
// World (world.hpp), or -- C code outside a C model's execution -- does what the plain code
// would. The caller's return address locates the access in the C source.
#include <cstdint>
#include <cstring>
#include <vector>

#include "sim/c/world.hpp"

using vcpucheck::sim::Order;
using vcpucheck::sim::c::Access;
using vcpucheck::sim::c::AtomicOp;
using vcpucheck::sim::c::World;

namespace {

// __ATOMIC_* (GCC may add HLE bits above the low ones).
Order order_of(int mo) {
  switch (mo & 0xff) {
    case 0: return Order::Relaxed;
    case 1: return Order::Consume;
    case 2: return Order::Acquire;
    case 3: return Order::Release;
    case 4: return Order::AcqRel;
    default: return Order::SeqCst;
  }
}

inline uintptr_t caller(void* ra) { return reinterpret_cast<uintptr_t>(ra); }

inline void access(const void* a, unsigned long n, Access k, void* ra) {
  if (World* w = World::current()) w->access(a, n, k, caller(ra));
}

template <class T>
T load(const volatile T* a, int mo, void* ra) {
  if (World* w = World::current()) return static_cast<T>(w->atomic_load(const_cast<const T*>(a), sizeof(T), order_of(mo), caller(ra)));
  return __atomic_load_n(a, __ATOMIC_SEQ_CST);
}

template <class T>
void store(volatile T* a, T v, int mo, void* ra) {
  if (World* w = World::current()) return w->atomic_store(const_cast<T*>(a), sizeof(T), static_cast<uint64_t>(v), order_of(mo), caller(ra));
  __atomic_store_n(a, v, __ATOMIC_SEQ_CST);
}

template <class T>
T rmw(volatile T* a, T v, AtomicOp op, int mo, void* ra) {
  if (World* w = World::current())
    return static_cast<T>(w->atomic_rmw(const_cast<T*>(a), sizeof(T), op, static_cast<uint64_t>(v), order_of(mo), caller(ra)));
  switch (op) {
    case AtomicOp::Exchange: return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);
    case AtomicOp::Add: return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);
    case AtomicOp::Sub: return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);
    case AtomicOp::And: return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST);
    case AtomicOp::Or: return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST);
    case AtomicOp::Xor: return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST);
    case AtomicOp::Nand: return __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST);
  }
  return 0;
}

template <class T>
int cas(volatile T* a, T* expected, T desired, int mo, void* ra) {
  if (World* w = World::current()) {
    uint64_t e = static_cast<uint64_t>(*expected);
    const bool ok = w->atomic_cas(const_cast<T*>(a), sizeof(T), &e, static_cast<uint64_t>(desired), order_of(mo), caller(ra));
    *expected = static_cast<T>(e);
    return ok;
  }
  return __atomic_compare_exchange_n(a, expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

// memcpy and memmove (the copy is made from the bytes as they were read, so both are memmove).
void* copy(void* d, const void* s, size_t n, void* ra) {
  if (!n || !World::current()) return std::memmove(d, s, n);
  access(s, n, Access::Read, ra);
  const auto* from = static_cast<const unsigned char*>(s);
  const std::vector<unsigned char> bytes(from, from + n);
  access(d, n, Access::Write, ra);
  return std::memcpy(d, bytes.data(), n);
}

}  // namespace

extern "C" {

// Instrumented translation units call this from a constructor: nothing to set up.
void __tsan_init() {}
// Call stacks come from the fibers' own frames when a report is made (checker/stacks.cpp).
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}

#define VCPUCHECK_PLAIN(N)                                                                              \
  void __tsan_read##N(void* a) { access(a, N, Access::Read, __builtin_return_address(0)); }             \
  void __tsan_write##N(void* a) { access(a, N, Access::Write, __builtin_return_address(0)); }           \
  void __tsan_unaligned_read##N(void* a) { access(a, N, Access::Read, __builtin_return_address(0)); }   \
  void __tsan_unaligned_write##N(void* a) { access(a, N, Access::Write, __builtin_return_address(0)); } \
  void __tsan_volatile_read##N(void* a) { access(a, N, Access::VolatileRead, __builtin_return_address(0)); } \
  void __tsan_volatile_write##N(void* a) { access(a, N, Access::VolatileWrite, __builtin_return_address(0)); }
VCPUCHECK_PLAIN(1)
VCPUCHECK_PLAIN(2)
VCPUCHECK_PLAIN(4)
VCPUCHECK_PLAIN(8)
VCPUCHECK_PLAIN(16)
#undef VCPUCHECK_PLAIN

void __tsan_read_range(void* a, unsigned long n) { access(a, n, Access::Read, __builtin_return_address(0)); }
void __tsan_write_range(void* a, unsigned long n) { access(a, n, Access::Write, __builtin_return_address(0)); }

#define VCPUCHECK_ATOMIC(BITS, T)                                                                             \
  T __tsan_atomic##BITS##_load(const volatile T* a, int mo) { return load(a, mo, __builtin_return_address(0)); } \
  void __tsan_atomic##BITS##_store(volatile T* a, T v, int mo) { store(a, v, mo, __builtin_return_address(0)); } \
  T __tsan_atomic##BITS##_exchange(volatile T* a, T v, int mo) {                                              \
    return rmw(a, v, AtomicOp::Exchange, mo, __builtin_return_address(0));                                    \
  }                                                                                                           \
  T __tsan_atomic##BITS##_fetch_add(volatile T* a, T v, int mo) { return rmw(a, v, AtomicOp::Add, mo, __builtin_return_address(0)); } \
  T __tsan_atomic##BITS##_fetch_sub(volatile T* a, T v, int mo) { return rmw(a, v, AtomicOp::Sub, mo, __builtin_return_address(0)); } \
  T __tsan_atomic##BITS##_fetch_and(volatile T* a, T v, int mo) { return rmw(a, v, AtomicOp::And, mo, __builtin_return_address(0)); } \
  T __tsan_atomic##BITS##_fetch_or(volatile T* a, T v, int mo) { return rmw(a, v, AtomicOp::Or, mo, __builtin_return_address(0)); }   \
  T __tsan_atomic##BITS##_fetch_xor(volatile T* a, T v, int mo) { return rmw(a, v, AtomicOp::Xor, mo, __builtin_return_address(0)); } \
  T __tsan_atomic##BITS##_fetch_nand(volatile T* a, T v, int mo) {                                            \
    return rmw(a, v, AtomicOp::Nand, mo, __builtin_return_address(0));                                        \
  }                                                                                                           \
  int __tsan_atomic##BITS##_compare_exchange_strong(volatile T* a, T* c, T v, int mo, int) {                  \
    return cas(a, c, v, mo, __builtin_return_address(0));                                                     \
  }                                                                                                           \
  int __tsan_atomic##BITS##_compare_exchange_weak(volatile T* a, T* c, T v, int mo, int) {                    \
    return cas(a, c, v, mo, __builtin_return_address(0));                                                     \
  }                                                                                                           \
  T __tsan_atomic##BITS##_compare_exchange_val(volatile T* a, T c, T v, int mo, int) {                        \
    cas(a, &c, v, mo, __builtin_return_address(0));                                                           \
    return c;                                                                                                 \
  }
VCPUCHECK_ATOMIC(8, uint8_t)
VCPUCHECK_ATOMIC(16, uint16_t)
VCPUCHECK_ATOMIC(32, uint32_t)
VCPUCHECK_ATOMIC(64, uint64_t)
#undef VCPUCHECK_ATOMIC

void __tsan_atomic_thread_fence(int mo) {
  if (World* w = World::current()) w->fence(order_of(mo), caller(__builtin_return_address(0)));
  else __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
void __tsan_atomic_signal_fence(int) {}

// The shims' memory functions (vcpucheck/string.h): the source is read (its bytes taken as they
// are when the read is made: announcing the write may run other threads), then the destination
// written, then the bytes stored -- recorded at the next entry, as a struct copy's are.
void* __vcpucheck_memset(void* p, int c, size_t n) {
  if (n) access(p, n, Access::Write, __builtin_return_address(0));
  return std::memset(p, c, n);
}
void* __vcpucheck_memmove(void* d, const void* s, size_t n) { return copy(d, s, n, __builtin_return_address(0)); }
void* __vcpucheck_memcpy(void* d, const void* s, size_t n) { return copy(d, s, n, __builtin_return_address(0)); }
int __vcpucheck_memcmp(const void* a, const void* b, size_t n) {
  if (n) {
    access(a, n, Access::Read, __builtin_return_address(0));
    access(b, n, Access::Read, __builtin_return_address(0));
  }
  return std::memcmp(a, b, n);
}

}  // extern "C"
