// Other processes' slots (checker/remote_branches.hpp) played by threads of this one: every
// branch and report crosses as bytes, exactly as between MPI ranks (checker/cluster.hpp), so the
// protocol and its encoding are tested without an MPI launcher.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "checker/remote_branches.hpp"

namespace vcpucheck::test {

class LoopbackRemote final : public checker::Remote {
 public:
  LoopbackRemote(const checker::Setup& setup, const checker::ExploreOptions& o, unsigned slots) {
    for (unsigned k = 0; k < slots; ++k) slots_.push_back(std::make_unique<Slot>(*this, k));
    for (auto& s : slots_) threads_.emplace_back([&setup, &o, slot = s.get()] { checker::serve_branches(setup, o, *slot); });
  }
  ~LoopbackRemote() override { close(); }
  unsigned slots() const override { return static_cast<unsigned>(slots_.size()); }
  void post(unsigned slot, checker::RemoteMessage m) override {
    std::lock_guard<std::mutex> g(m_);
    if (m.kind == checker::RemoteMessage::Kind::Branch) ++sent;
    if (m.kind == checker::RemoteMessage::Kind::Adopt) ++adopted_there;
    slots_.at(slot)->inbox.push_back(std::move(m));
    cv_.notify_all();
  }
  std::optional<std::pair<unsigned, checker::RemoteMessage>> receive() override {
    std::unique_lock<std::mutex> lock(m_);
    if (from_.empty()) cv_.wait_for(lock, std::chrono::microseconds(5));
    if (from_.empty()) return std::nullopt;
    auto r = std::move(from_.front());
    from_.pop_front();
    if (r.second.kind == checker::RemoteMessage::Kind::Offer) ++offered;
    return r;
  }
  void close() override {
    {
      std::lock_guard<std::mutex> g(m_);
      closed_ = true;
      cv_.notify_all();
    }
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  uint64_t sent = 0;           // branches sent to the slots
  uint64_t offered = 0;        // branches the slots handed out
  uint64_t adopted_there = 0;  // ...explored here and adopted by a slot

 private:
  struct Slot final : checker::RemoteSlot {
    Slot(LoopbackRemote& r, unsigned k) : r(r), k(k) {}
    std::optional<checker::RemoteMessage> receive(bool wait) override {
      std::unique_lock<std::mutex> lock(r.m_);
      if (wait) r.cv_.wait(lock, [&] { return r.closed_ || !inbox.empty(); });
      if (r.closed_) return checker::RemoteMessage{checker::RemoteMessage::Kind::Close, 0, {}};
      if (inbox.empty()) return std::nullopt;
      checker::RemoteMessage m = std::move(inbox.front());
      inbox.pop_front();
      return m;
    }
    void post(checker::RemoteMessage m) override {
      std::lock_guard<std::mutex> g(r.m_);
      r.from_.emplace_back(k, std::move(m));
      r.cv_.notify_all();
    }
    uint64_t id_base() const override { return checker::remote_id_base(k); }
    LoopbackRemote& r;
    unsigned k;
    std::deque<checker::RemoteMessage> inbox;
  };
  std::mutex m_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<std::pair<unsigned, checker::RemoteMessage>> from_;
  std::vector<std::thread> threads_;
};

}  // namespace vcpucheck::test
