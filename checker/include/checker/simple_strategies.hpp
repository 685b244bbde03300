// The non-exhaustive strategies and replay.
//
//  Random  uniform choice among enabled threads from a seeded generator (splitmix64): the same
//          seed gives the same executions on any machine.
//  Pct     probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) with depth d: random
//          thread priorities and d-1 random priority-change points; finds any bug of depth d with
//          probability at least 1/(n k^(d-1)) per execution.
//  Pos     partial order sampling (Yuan, Yang, Gu, "Partial Order Aware Concurrency Sampling",
//          CAV 2018): every thread's next operation has a random priority and the highest enabled
//          one runs; after an operation runs, its thread and every thread whose pending operation
//          depends on it draw new priorities. A thread whose operation nobody conflicts with keeps
//          its priority, so a wait of many steps is as likely as any other order of the race.
//  Replay  follows a recorded schedule and notes where the execution stops agreeing with it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "checker/strategy.hpp"

namespace vcpucheck::checker {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }

 private:
  uint64_t s_;
};

class RandomStrategy final : public Strategy {
 public:
  RandomStrategy(uint64_t seed, uint64_t executions) : rng_(seed), budget_(executions) {}
  const char* name() const override { return "random"; }
  sim::ThreadId pick(const sim::Execution&, const std::vector<sim::ThreadId>& enabled) override {
    return enabled[rng_.below(enabled.size())];
  }
  void begin(sim::Execution&) override {}
  bool end(sim::Execution&, sim::Outcome) override { return ++done_ < budget_; }

 private:
  SplitMix64 rng_;
  uint64_t budget_, done_ = 0;
};

class PctStrategy final : public Strategy {
 public:
  PctStrategy(uint64_t seed, uint64_t executions, uint32_t depth) : rng_(seed), budget_(executions), depth_(depth) {}
  const char* name() const override { return "pct"; }
  sim::ThreadId pick(const sim::Execution& x, const std::vector<sim::ThreadId>& enabled) override;
  void on_spawn(const sim::Execution&, sim::ThreadId, sim::ThreadId child) override;
  void begin(sim::Execution&) override;
  bool end(sim::Execution& x, sim::Outcome) override;

 private:
  SplitMix64 rng_;
  uint64_t budget_, done_ = 0;
  uint32_t depth_;
  uint64_t k_ = 0;  // steps per execution: the longest seen so far
  std::vector<int64_t> prio_;        // per thread; initial ones are >= depth_, lowered ones below
  std::vector<uint64_t> change_at_;  // step of each priority change point
};

class PosStrategy final : public Strategy {
 public:
  PosStrategy(uint64_t seed, uint64_t executions) : rng_(seed), budget_(executions) {}
  const char* name() const override { return "pos"; }
  sim::ThreadId pick(const sim::Execution& x, const std::vector<sim::ThreadId>& enabled) override;
  void on_spawn(const sim::Execution&, sim::ThreadId, sim::ThreadId child) override;
  void on_event(sim::Execution& x, const sim::Event& e) override;
  void begin(sim::Execution&) override { prio_.clear(); }
  bool end(sim::Execution&, sim::Outcome) override { return ++done_ < budget_; }

 private:
  SplitMix64 rng_;
  uint64_t budget_, done_ = 0;
  std::vector<uint64_t> prio_;  // per thread: the priority of its next operation
};

class ReplayStrategy final : public Strategy {
 public:
  explicit ReplayStrategy(std::vector<uint32_t> schedule) : schedule_(std::move(schedule)) {}
  const char* name() const override { return "replay"; }
  sim::ThreadId pick(const sim::Execution& x, const std::vector<sim::ThreadId>& enabled) override;
  void begin(sim::Execution&) override {}
  bool end(sim::Execution& x, sim::Outcome) override;
  // Set when the execution did not follow the schedule: "step 12: the trace runs thread 2 (vcpu1),
  // which cannot run here (enabled: 0, 3)".
  const std::optional<std::string>& divergence() const { return divergence_; }

 private:
  std::vector<uint32_t> schedule_;
  std::optional<std::string> divergence_;
};

}  // namespace vcpucheck::checker
