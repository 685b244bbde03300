// Other processes' slots (checker/remote_branches.hpp) played by threads of this one: every
// branch and report crosses as bytes through the queues an MPI rank uses (checker/slot_queues.hpp),
// so the protocol and its encoding are tested without an MPI launcher.
#pragma once
#include <chrono>
#include <thread>
#include <vector>

#include "checker/slot_queues.hpp"

namespace vcpucheck::test {

class LoopbackRemote final : public checker::Remote {
 public:
  LoopbackRemote(const checker::Setup& setup, const checker::ExploreOptions& o, unsigned slots) : q_(slots, 0) {
    for (unsigned k = 0; k < slots; ++k)
      threads_.emplace_back([&setup, &o, slot = &q_.slot(k)] { checker::serve_branches(setup, o, *slot); });
  }
  ~LoopbackRemote() override { close(); }
  unsigned slots() const override { return q_.size(); }
  void post(unsigned slot, checker::RemoteMessage m) override {
    if (m.kind == checker::RemoteMessage::Kind::Branch) ++sent;
    if (m.kind == checker::RemoteMessage::Kind::Adopt) ++adopted_there;
    q_.give(slot, std::move(m));
  }
  std::optional<std::pair<unsigned, checker::RemoteMessage>> receive() override {
    if (from_.empty())
      for (auto& [k, m] : q_.take_posted()) from_.emplace_back(k, std::move(m));
    if (from_.empty()) {
      std::this_thread::sleep_for(std::chrono::microseconds(5));
      return std::nullopt;
    }
    std::pair<unsigned, checker::RemoteMessage> r{from_.front().first, std::move(from_.front().second)};
    from_.erase(from_.begin());
    if (r.second.kind == checker::RemoteMessage::Kind::Offer) ++offered;
    return r;
  }
  void close() override {
    q_.close();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  uint64_t sent = 0;           // branches sent to the slots
  uint64_t offered = 0;        // branches the slots handed out
  uint64_t adopted_there = 0;  // ...explored here and adopted by a slot

 private:
  checker::SlotQueues q_;
  std::vector<std::pair<unsigned, checker::RemoteMessage>> from_;  // taken, not yet received
  std::vector<std::thread> threads_;
};

}  // namespace vcpucheck::test
