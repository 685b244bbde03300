// Slots of a process's threads (remote_branches.hpp) as queues: each thread explores branches
// through its RemoteSlot while one other thread carries the messages in (give) and out
// (take_posted). cluster_mpi.cpp carries them between MPI ranks; tests/loopback_remote.hpp between
// threads of one process.
#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "checker/remote_branches.hpp"

namespace vcpucheck::checker {

class SlotQueues {
 public:
  SlotQueues(unsigned n, uint64_t first_slot) {
    for (unsigned k = 0; k < n; ++k) slots_.push_back(std::make_unique<Slot>(*this, k, remote_id_base(first_slot + k)));
  }
  RemoteSlot& slot(unsigned k) { return *slots_.at(k); }
  unsigned size() const { return static_cast<unsigned>(slots_.size()); }
  void give(uint32_t k, RemoteMessage m) {
    if (k >= slots_.size()) throw std::runtime_error("remote: a message for a slot that does not exist");
    std::lock_guard<std::mutex> g(m_);
    slots_[k]->inbox.push_back(std::move(m));
    cv_.notify_all();
  }
  void close() {
    std::lock_guard<std::mutex> g(m_);
    closed_ = true;
    cv_.notify_all();
  }
  // The messages the threads posted since the last call, with their threads.
  std::vector<std::pair<uint32_t, RemoteMessage>> take_posted() {
    std::lock_guard<std::mutex> g(m_);
    return std::exchange(posted_, {});
  }

 private:
  struct Slot final : RemoteSlot {
    Slot(SlotQueues& s, unsigned k, uint64_t base) : s(s), k(k), base(base) {}
    std::optional<RemoteMessage> receive(bool wait) override {
      std::unique_lock<std::mutex> lock(s.m_);
      if (wait) s.cv_.wait(lock, [&] { return s.closed_ || !inbox.empty(); });
      if (s.closed_) return RemoteMessage{RemoteMessage::Kind::Close, 0, {}};
      if (inbox.empty()) return std::nullopt;
      RemoteMessage m = std::move(inbox.front());
      inbox.pop_front();
      return m;
    }
    void post(RemoteMessage m) override {
      std::lock_guard<std::mutex> g(s.m_);
      s.posted_.emplace_back(k, std::move(m));
    }
    uint64_t id_base() const override { return base; }
    SlotQueues& s;
    unsigned k;
    uint64_t base;
    std::deque<RemoteMessage> inbox;
  };
  std::mutex m_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::pair<uint32_t, RemoteMessage>> posted_;
};

}  // namespace vcpucheck::checker
