// x86-TSO over C memory (store_buffer.hpp has the model). The compiled code reads and writes
// vcpucheck's memory in place, so the bytes in place must always be what the *running* thread
// would read: memory as every thread sees it, overlaid with that thread's own stores still in its
// buffer. This keeps that view:
//  - a buffered store is an entry (its thread, its word, the bytes it stored);
//  - the committed bytes -- memory as it is once every buffer has drained -- of a block that has
//    had a buffered store live in a shadow copy (a block that never had one is its own shadow);
//  - when another thread resumes (Execution::on_resume) the bytes in place are switched to its
//    view: the old thread's entries' ranges back to committed, then the new thread's entries;
//  - a flush writes its entry into the committed bytes, and into place unless the thread whose
//    view is in place has a newer store there;
//  - an immediate write (an RMW, a SeqCst store: its thread's buffer has drained) changes the
//    committed bytes with the bytes in place.
// Under SC nothing is ever buffered and every call here is a no-op.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "sim/types.hpp"

namespace vcpucheck::sim::c {

class Word;

class Buffers {
 public:
  // Before a buffered store into the block [base, base + size) is made in place: gives the block
  // its committed copy if it has none yet (what is in place is committed then: no entry is in it).
  void prepare(uint8_t* base, size_t size);
  // Thread `t` stored `len` bytes at `at` (already in place, in a prepared block) as word `w`'s
  // buffered store.
  void buffer(ThreadId t, const Word* w, uint8_t* at, uint32_t len);
  // The oldest buffered store of `t` reaches memory; it must be `w`'s.
  void flush(ThreadId t, const Word* w);
  // The bytes in place become thread `t`'s view (an invalid id: memory as committed).
  void enter(ThreadId t);
  // The bytes in place at [at, at + len) were written at once: they are committed.
  void commit(const uint8_t* at, uint32_t len);
  // The committed bytes of [at, at + len) into `out`.
  void committed(const uint8_t* at, uint32_t len, uint8_t* out) const;
  // Whether thread `t`'s buffered stores cover every byte of [at, at + len) (a forwarded load).
  bool forwarded(ThreadId t, const uint8_t* at, uint32_t len) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Shadow {
    uint8_t* base;
    size_t size;
    std::unique_ptr<uint8_t[]> bytes;
  };
  struct Entry {
    uint32_t thread;
    const Word* word;
    uint8_t* at;
    uint32_t len;
    std::vector<uint8_t> bytes;
    Shadow* shadow;
    uint8_t* committed() const { return shadow->bytes.get() + (at - shadow->base); }
  };
  Shadow* shadow_of(const uint8_t* at);
  const Shadow* shadow_of(const uint8_t* at) const;
  // Puts `e`'s bytes over [at, at + len) where they overlap it.
  static void overlay(const Entry& e, uint8_t* at, uint32_t len);

  std::map<uintptr_t, Shadow> shadows_;  // by block base (lookups only)
  std::deque<Entry> entries_;            // every thread's, in the order they were made
  ThreadId view_;                        // whose view is in place
};

}  // namespace vcpucheck::sim::c
