// The identity of an execution's Mazurkiewicz trace, built while it runs.
//
// Two executions are one trace when each thread does the same events and every pair of
// dependent events (dependence.hpp) runs in the same order. That is the same as each event
// having the same happens-before clock (the events of each thread that precede it through
// program order and dependence), so the fingerprint is the sum, over events, of a hash of
// (thread, index in thread, kind, clock): a sum does not depend on the order of independent
// events. It is 128 bits wide (two independent 64-bit hashes); two different traces share it
// with probability about 2^-128 per pair.
//
// Object identities do not enter the hash: ids of objects created while threads run depend
// on the interleaving, and a deterministic model's events are fixed by what each thread read,
// which the clocks already capture.
#pragma once
#include <array>
#include <deque>
#include <cstdint>
#include <vector>

#include "sim/execution.hpp"

namespace vcpucheck::checker {

struct Fingerprint {
  uint64_t a = 0, b = 0;
  bool operator==(const Fingerprint&) const = default;
};

struct FingerprintHash {
  size_t operator()(const Fingerprint& f) const { return static_cast<size_t>(f.a ^ (f.b * 0x9e3779b97f4a7c15ull)); }
};

class TraceHash {
 public:
  void reset();
  void on_spawn(sim::ThreadId parent, sim::ThreadId child);
  void on_event(const sim::Execution& x, const sim::Event& e);
  // The fingerprint of the trace of the events so far.
  Fingerprint fingerprint() const { return fp_; }

 private:
  using Clock = std::array<uint32_t, sim::kMaxThreads>;
  const Clock& clock_of(sim::ThreadId t) const {
    const int32_t last = last_[t.v];
    return last >= 0 ? clocks_[static_cast<size_t>(last)] : spawn_[t.v];
  }

  std::vector<sim::Event> events_;
  std::vector<Clock> clocks_;
  std::vector<std::vector<uint32_t>> obj_steps_, block_steps_, block_frees_;
  std::array<int32_t, sim::kMaxThreads> last_{};
  std::array<uint32_t, sim::kMaxThreads> count_{};
  std::array<Clock, sim::kMaxThreads> spawn_{};
  std::array<std::deque<uint32_t>, sim::kMaxThreads> buffered_;  // TSO: stores not yet flushed
  uint32_t width_ = 0;
  Fingerprint fp_;
};

}  // namespace vcpucheck::checker
