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
  void send(unsigned slot, std::string branch) override {
    std::lock_guard<std::mutex> g(m_);
    slots_.at(slot)->inbox.push_back(std::move(branch));
    ++sent;
    cv_.notify_all();
  }
  void cancel(unsigned slot, uint64_t id) override {
    std::lock_guard<std::mutex> g(m_);
    slots_.at(slot)->dropped.insert(id);
  }
  std::optional<std::pair<unsigned, std::string>> receive() override {
    std::unique_lock<std::mutex> lock(m_);
    if (reports_.empty()) cv_.wait_for(lock, std::chrono::microseconds(5));
    if (reports_.empty()) return std::nullopt;
    auto r = std::move(reports_.front());
    reports_.pop_front();
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
  uint64_t sent = 0;  // branches sent, in all

 private:
  struct Slot final : checker::RemoteSlot {
    Slot(LoopbackRemote& r, unsigned k) : r(r), k(k) {}
    std::optional<std::string> next() override {
      std::unique_lock<std::mutex> lock(r.m_);
      r.cv_.wait(lock, [&] { return r.closed_ || !inbox.empty(); });
      if (r.closed_) return std::nullopt;
      std::string b = std::move(inbox.front());
      inbox.pop_front();
      return b;
    }
    bool cancelled(uint64_t id) override {
      std::lock_guard<std::mutex> g(r.m_);
      return r.closed_ || dropped.count(id) > 0;
    }
    void report(std::string bytes) override {
      std::lock_guard<std::mutex> g(r.m_);
      r.reports_.emplace_back(k, std::move(bytes));
      r.cv_.notify_all();
    }
    LoopbackRemote& r;
    unsigned k;
    std::deque<std::string> inbox;
    std::set<uint64_t> dropped;  // ids the search cancelled
  };
  std::mutex m_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<std::pair<unsigned, std::string>> reports_;
  std::vector<std::thread> threads_;
};

}  // namespace vcpucheck::test
