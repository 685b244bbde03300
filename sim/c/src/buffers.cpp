#include "buffers.hpp"

#include <cassert>
#include <cstring>

namespace vcpucheck::sim::c {

void Buffers::prepare(uint8_t* base, size_t size) {
  const auto key = reinterpret_cast<uintptr_t>(base);
  if (shadows_.count(key)) return;
  Shadow s{base, size ? size : 1, nullptr};
  s.bytes = std::make_unique<uint8_t[]>(s.size);
  std::memcpy(s.bytes.get(), base, s.size);
  shadows_.emplace(key, std::move(s));
}

Buffers::Shadow* Buffers::shadow_of(const uint8_t* at) {
  auto it = shadows_.upper_bound(reinterpret_cast<uintptr_t>(at));
  if (it == shadows_.begin()) return nullptr;
  --it;
  Shadow& s = it->second;
  return at < s.base + s.size ? &s : nullptr;
}

const Buffers::Shadow* Buffers::shadow_of(const uint8_t* at) const { return const_cast<Buffers*>(this)->shadow_of(at); }

void Buffers::buffer(ThreadId t, const Word* w, uint8_t* at, uint32_t len) {
  Shadow* s = shadow_of(at);
  assert(s && "a buffered store into a block prepare() has not seen");
  entries_.push_back(Entry{t.v, w, at, len, std::vector<uint8_t>(at, at + len), s});
  view_ = t;  // the store was made in place by the running thread
}

void Buffers::overlay(const Entry& e, uint8_t* at, uint32_t len) {
  const uint8_t* lo = std::max(at, e.at);
  const uint8_t* hi = std::min(at + len, e.at + e.len);
  if (lo < hi) std::memcpy(const_cast<uint8_t*>(lo), e.bytes.data() + (lo - e.at), static_cast<size_t>(hi - lo));
}

void Buffers::flush(ThreadId t, const Word* w) {
  auto it = entries_.begin();
  while (it != entries_.end() && it->thread != t.v) ++it;
  assert(it != entries_.end() && it->word == w && "a flush out of its thread's buffer order");
  (void)w;
  const Entry e = std::move(*it);
  entries_.erase(it);
  std::memcpy(e.committed(), e.bytes.data(), e.len);
  // In place: committed, under the newer stores of the thread whose view it is.
  std::memcpy(e.at, e.committed(), e.len);
  for (const Entry& f : entries_)
    if (f.thread == view_.v) overlay(f, e.at, e.len);  // (an invalid view_ matches no entry)
}

void Buffers::enter(ThreadId t) {
  if (t == view_) return;
  if (entries_.empty()) {
    view_ = t;
    return;
  }
  if (view_.valid())
    for (const Entry& e : entries_)
      if (e.thread == view_.v) std::memcpy(e.at, e.committed(), e.len);
  if (t.valid())
    for (const Entry& e : entries_)
      if (e.thread == t.v) std::memcpy(e.at, e.bytes.data(), e.len);
  view_ = t;
}

void Buffers::commit(const uint8_t* at, uint32_t len) {
  if (Shadow* s = shadow_of(at)) std::memcpy(s->bytes.get() + (at - s->base), at, len);
}

void Buffers::committed(const uint8_t* at, uint32_t len, uint8_t* out) const {
  const Shadow* s = shadow_of(at);
  std::memcpy(out, s ? s->bytes.get() + (at - s->base) : at, len);
}

bool Buffers::forwarded(ThreadId t, const uint8_t* at, uint32_t len) const {
  if (entries_.empty() || len > 64) return false;
  uint64_t covered = 0;
  const uint64_t all = len == 64 ? ~uint64_t{0} : (uint64_t{1} << len) - 1;
  for (const Entry& e : entries_) {
    if (e.thread != t.v) continue;
    const uint8_t* lo = std::max(at, static_cast<const uint8_t*>(e.at));
    const uint8_t* hi = std::min(at + len, static_cast<const uint8_t*>(e.at + e.len));
    for (const uint8_t* p = lo; p < hi; ++p) covered |= uint64_t{1} << (p - at);
  }
  return covered == all;
}

}  // namespace vcpucheck::sim::c
