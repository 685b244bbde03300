// Soundness oracle: on small worlds that exercise each primitive, DPOR must reach exactly the
// outcomes a naive search over every schedule reaches. An outcome is what each thread read (in
// order) and how the execution ended; executions in one Mazurkiewicz trace share it, so DPOR may
// explore far fewer executions but never miss an outcome nor invent one.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include <filesystem>
#include <unordered_set>

#include "checker/trace_hash.hpp"
#include "sim/chan.hpp"
#include "sim/memory.hpp"
#include "sim/rcu.hpp"
#include "sim/sync.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::Order;

namespace {

sim::MemoryModel g_memory = sim::MemoryModel::SC;  // what the oracle worlds run under

// Every schedule, depth first, no reduction.
class Naive final : public checker::Strategy {
 public:
  const char* name() const override { return "naive"; }
  sim::ThreadId pick(const Execution& x, const std::vector<sim::ThreadId>& enabled) override {
    const size_t i = x.schedule().size();
    if (i == path_.size()) path_.push_back({enabled, 0});
    return path_[i].enabled[path_[i].next];
  }
  void begin(Execution&) override {}
  // Preemptions of the current execution's schedule: switches away from a thread that was enabled.
  uint32_t preemptions(const Execution& x) const {
    uint32_t n = 0;
    const auto& sched = x.schedule();
    for (size_t i = 1; i < sched.size() && i < path_.size(); ++i) {
      const sim::ThreadId prev(sched[i - 1]);
      const auto& en = path_[i].enabled;
      if (sched[i] != prev.v && std::find(en.begin(), en.end(), prev) != en.end()) ++n;
    }
    return n;
  }
  bool end(Execution& x, sim::Outcome) override {
    path_.resize(x.schedule().size());
    while (!path_.empty() && ++path_.back().next == path_.back().enabled.size()) path_.pop_back();
    return !path_.empty();
  }

 private:
  struct Choice {
    std::vector<sim::ThreadId> enabled;
    size_t next;
  };
  std::vector<Choice> path_;
};

// Collects the outcome of every execution explored.
class Outcomes final : public sim::Observer {
 public:
  std::set<std::string> seen;
  std::string last;  // the key the last execution added, if it was new
  std::string key;   // the last execution's key
  void on_end(Execution& x) override {
    std::vector<std::string> per_thread(x.thread_count());
    std::vector<int> count(x.thread_count());
    for (const auto& e : x.events()) {
      ++count[e.tid.v];  // how far each thread got: prefixes cut by the step bound differ in it
      if (e.kind == sim::OpKind::Read || e.kind == sim::OpKind::CasFail || e.kind == sim::OpKind::Rmw ||
          e.kind == sim::OpKind::TryFail || e.kind == sim::OpKind::SleepWait ||
          (e.kind == sim::OpKind::Acquire && (e.flags & sim::kFlagTry)))
        per_thread[e.tid.v] += x.object(e.obj).name + "=" + std::to_string(e.value) + sim::op_name(e.kind) + ";";
    }
    std::string key;
    for (size_t t = 0; t < per_thread.size(); ++t) key += per_thread[t] + "#" + std::to_string(count[t]) + "|";
    key += x.violation() ? sim::violation_name(x.violation()->kind) : "ok";
    // An execution a violation stopped is a prefix: which independent events ran before the stop
    // differs between equivalent schedules, so only the violation itself is its outcome.
    if (x.violation()) key = std::string("violation: ") + sim::violation_name(x.violation()->kind) + ": " + x.violation()->message;
    this->key = key;
    if (seen.insert(key).second) last = key;
    else last.clear();
  }
};

// With `naive`, also the fewest preemptions each outcome was reached with.
std::set<std::string> outcomes(checker::Strategy& s, const checker::Setup& world, uint64_t max_steps,
                               uint64_t* blocked = nullptr, const Naive* naive = nullptr,
                               std::map<std::string, uint32_t>* fewest = nullptr) {
  Outcomes o;
  checker::ExploreOptions opt;
  opt.bounds.max_steps = max_steps;
  opt.bounds.memory = g_memory;
  // Keep exploring past violations: the oracle compares complete outcome sets.
  sim::FiberPool pool;
  for (;;) {
    bool more;
    {
      Execution x(pool, opt.bounds);
      x.add_observer(&s);
      x.add_observer(&o);
      s.begin(x);
      world(x);
      sim::Outcome out = x.run(s);
      if (out == sim::Outcome::Blocked) {  // cut short by the search itself: no outcome of its own
        o.seen.erase(o.last);
        if (blocked) ++*blocked;
      } else if (naive && fewest) {
        auto [it, fresh] = fewest->emplace(o.key, naive->preemptions(x));
        if (!fresh) it->second = std::min(it->second, naive->preemptions(x));
      }
      more = s.end(x, out);
    }
    if (!more) break;
  }
  return o.seen;
}

// With a small `max_steps`, executions are prefixes cut by the bound: DPOR must reach every prefix
// outcome the naive search reaches, threads starved by the cut included.
void same_outcomes(const checker::Setup& world, uint64_t max_steps = 200, bool tso_too = true);

// DPOR against every schedule only (no context bounding).
void same_dpor_outcomes(const checker::Setup& world, uint64_t max_steps) {
  checker::Dpor d;
  Naive n;
  uint64_t blocked = 0;
  auto a = outcomes(d, world, max_steps, &blocked);
  auto b = outcomes(n, world, max_steps);
  // Known gap: at a step bound under TSO, some planned prefixes cannot run (blocked). The outcome
  // sets still agree.
  if (max_steps >= 200) CHECK(blocked == 0);
  else if (blocked) MESSAGE(blocked << " executions blocked at the step bound under tso");
  CHECK(a == b);
  for (const auto& k : b)
    if (!a.count(k)) MESSAGE("missed by dpor (" << sim::memory_model_name(g_memory) << "): " << k);
  for (const auto& k : a)
    if (!b.count(k)) MESSAGE("invented by dpor (" << sim::memory_model_name(g_memory) << "): " << k);
}

void same_outcomes(const checker::Setup& world, uint64_t max_steps, bool tso_too) {
  // Every SC world is also a TSO world: the same check with store buffers (not for the spin
  // worlds, whose naive TSO search takes minutes).
  if (g_memory == sim::MemoryModel::SC && tso_too) {
    g_memory = sim::MemoryModel::TSO;
    same_dpor_outcomes(world, max_steps);
    g_memory = sim::MemoryModel::SC;
  }
  checker::Dpor d;
  Naive n;
  uint64_t blocked = 0;
  auto a = outcomes(d, world, max_steps, &blocked);
  std::map<std::string, uint32_t> fewest;
  auto b = outcomes(n, world, max_steps, nullptr, &n, &fewest);
  CHECK(blocked == 0);
  CHECK(a.size() == b.size());
  CHECK(a == b);
  for (const auto& k : b)
    if (!a.count(k)) MESSAGE("missed by dpor: " << k);
  for (const auto& k : a)
    if (!b.count(k)) MESSAGE("invented by dpor: " << k);
  // Context bounding reaches exactly the outcomes of the schedules within its bound.
  for (uint32_t bound = 0; bound <= 2; ++bound) {
    CAPTURE(bound);
    std::set<std::string> within;
    for (const auto& [k, p] : fewest)
      if (p <= bound) within.insert(k);
    checker::ContextBound c(checker::ContextBound::Options{bound});
    auto got = outcomes(c, world, max_steps);
    CHECK(got == within);
    for (const auto& k : within)
      if (!got.count(k)) MESSAGE("missed by context bounding: " << k);
    for (const auto& k : got)
      if (!within.count(k)) MESSAGE("beyond the bound: " << k);
  }
}

struct Mem {
  sim::Atomic<int> x, y;
  sim::Mutex m;
  sim::Sx sx;
  sim::Chan chan;
  sim::Rcu rcu;
  sim::Field<int> ready;
  explicit Mem(Execution& e)
      : x(e, "x"), y(e, "y"), m(e, "m"), sx(e, "sx"), chan(e, "chan"), rcu(e, "rcu"), ready(e, "ready") {}
};

}  // namespace

TEST_CASE("oracle: plain atomics (store buffering, load buffering shapes)") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    e.spawn("A", [&s] {
      s.x.store(1);
      (void)s.y.load();
    });
    e.spawn("B", [&s] {
      s.y.store(1);
      (void)s.x.load();
    });
    e.spawn("C", [&s] { (void)s.x.load(); (void)s.y.load(); });
  });
}

TEST_CASE("oracle: CAS and fetch_add") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    for (int i = 1; i <= 3; ++i)
      e.spawn("T" + std::to_string(i), [&s, i] {
        int exp = i - 1;
        s.x.compare_exchange(exp, i);
        s.y.fetch_add(1);
      });
  });
}

TEST_CASE("oracle: mutex critical sections with reads outside") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    for (int i = 0; i < 3; ++i)
      e.spawn("T" + std::to_string(i), [&s, i] {
        s.m.lock();
        s.x.store(s.x.load() + 1);
        s.m.unlock();
        if (i == 0) (void)s.x.load();
      });
  });
}

TEST_CASE("oracle: trylock") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    e.spawn("holder", [&s] {
      s.m.lock();
      s.x.store(1);
      s.m.unlock();
    });
    for (int i = 0; i < 2; ++i)
      e.spawn("trier" + std::to_string(i), [&s] {
        if (s.m.trylock()) {
          (void)s.x.load();
          s.m.unlock();
        }
      });
  });
}

TEST_CASE("oracle: sx shared and exclusive") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    for (int i = 0; i < 2; ++i)
      e.spawn("reader" + std::to_string(i), [&s] {
        s.sx.slock();
        (void)s.x.load();
        s.sx.sunlock();
      });
    e.spawn("writer", [&s] {
      s.sx.xlock();
      s.x.store(1);
      s.sx.xunlock();
      (void)s.y.load();
    });
    e.spawn("other", [&s] { s.y.store(1); });
  });
}

TEST_CASE("oracle: sleep/wakeup, with and without a timeout") {
  for (bool timeout : {false, true}) {
    CAPTURE(timeout);
    same_outcomes([timeout](Execution& e) {
      auto& s = test::make_state<Mem>(e);
      e.spawn("waiter", [&s, timeout] {
        s.m.lock();
        if (!s.ready.get()) s.chan.sleep(s.m, timeout);
        (void)s.x.load();
        s.m.unlock();
      });
      e.spawn("waker", [&s] {
        s.x.store(1);
        s.m.lock();
        s.ready.set(1);
        s.chan.wakeup();
        s.m.unlock();
      });
    });
  }
}

TEST_CASE("oracle: RCU readers and synchronize_rcu") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    e.spawn("reader", [&s] {
      s.rcu.read_lock();
      (void)s.x.load();
      (void)s.y.load();
      s.rcu.read_unlock();
    });
    e.spawn("updater", [&s] {
      s.x.store(1);
      s.rcu.synchronize();
      s.y.store(1);
    });
  });
}

TEST_CASE("oracle: spawn and join") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    e.spawn("parent", [&s, &e] {
      sim::ThreadId c = e.spawn("child", [&s] { s.x.store(1); });
      (void)s.x.load();
      sim::join(e, c);
      (void)s.y.load();
    });
    e.spawn("other", [&s] {
      s.y.store(1);
      (void)s.x.load();
    });
  });
}

TEST_CASE("oracle: deadlock outcomes are found alike") {
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    e.spawn("T1", [&s] {
      s.m.lock();
      s.sx.xlock();
      s.sx.xunlock();
      s.m.unlock();
    });
    e.spawn("T2", [&s] {
      s.sx.xlock();
      s.m.lock();
      s.m.unlock();
      s.sx.xunlock();
    });
  });
}

TEST_CASE("oracle: prefixes cut by the step bound, spinning and independent threads") {
  // A thread that never ends, one that spins on what another writes, one that writes once: every
  // prefix of 7 and of 10 steps.
  for (uint64_t bound : {7u, 10u}) {
    CAPTURE(bound);
    same_outcomes(
        [](Execution& e) {
          auto& s = test::make_state<Mem>(e);
          e.spawn("looper", [&s] {
            for (;;) s.y.store(s.y.load() + 1);
          });
          e.spawn("spinner", [&s] {
            while (s.x.load() == 0) {
            }
            s.ready.set(1);
          });
          e.spawn("setter", [&s] { s.x.store(1); });
        },
        bound);
  }
  // A thread blocked at the cut on a lock a looping thread holds.
  same_outcomes(
      [](Execution& e) {
        auto& s = test::make_state<Mem>(e);
        e.spawn("holder", [&s] {
          (void)s.x.load();
          s.m.lock();
          for (;;) s.y.store(s.y.load() + 1);
        });
        e.spawn("waiter", [&s] {
          s.m.lock();
          s.x.store(1);
          s.m.unlock();
        });
      },
      8);
}

TEST_CASE("oracle: prefixes cut by the step bound, with locks, a CAS and a trylock") {
  for (uint64_t bound : {6u, 9u, 12u}) {
    CAPTURE(bound);
    same_outcomes(
        [](Execution& e) {
          auto& s = test::make_state<Mem>(e);
          for (int i = 0; i < 2; ++i)
            e.spawn("L" + std::to_string(i), [&s] {
              for (;;) {
                s.m.lock();
                s.ready.set(s.ready.get() + 1);
                s.m.unlock();
              }
            });
          e.spawn("C", [&s] {
            int exp = 0;
            s.x.compare_exchange(exp, 1);
            if (s.m.trylock()) s.m.unlock();
          });
        },
        bound);
  }
}

TEST_CASE("oracle: prefixes cut by the step bound, with sleep/wakeup and RCU") {
  for (uint64_t bound : {5u, 8u, 11u}) {
    CAPTURE(bound);
    for (bool timeout : {false, true}) {
      CAPTURE(timeout);
      same_outcomes(
          [timeout](Execution& e) {
            auto& s = test::make_state<Mem>(e);
            e.spawn("waiter", [&s, timeout] {
              s.m.lock();
              while (!s.ready.get()) s.chan.sleep(s.m, timeout);
              s.m.unlock();
            });
            e.spawn("waker", [&s] {
              s.m.lock();
              s.ready.set(1);
              s.chan.wakeup();
              s.m.unlock();
            });
          },
          bound);
    }
    same_outcomes(
        [](Execution& e) {
          auto& s = test::make_state<Mem>(e);
          e.spawn("reader", [&s] {
            for (;;) {
              s.rcu.read_lock();
              (void)s.x.load();
              s.rcu.read_unlock();
            }
          });
          e.spawn("updater", [&s] {
            s.x.store(1);
            s.rcu.synchronize();
            s.y.store(1);
          });
        },
        bound);
  }
}

TEST_CASE("oracle: spin loops wait for a write (ticket lock, CAS spin lock, two flags)") {
  // Ticket lock: take a ticket, spin until it is served, a plain counter inside.
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    for (int i = 0; i < 2; ++i)
      e.spawn("T" + std::to_string(i), [&s] {
        int mine = s.x.fetch_add(1);
        while (s.y.load(Order::Acquire) != mine) {
        }
        s.ready.set(s.ready.get() + 1);
        s.y.store(s.y.load() + 1, Order::Release);
      });
  }, 200, false);
  // Test-and-test-and-set: spin on a load, then a CAS that can fail.
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    for (int i = 0; i < 3; ++i)
      e.spawn("T" + std::to_string(i), [&s] {
        for (;;) {
          while (s.x.load() != 0) {
          }
          int zero = 0;
          if (s.x.compare_exchange(zero, 1)) break;
        }
        s.ready.set(s.ready.get() + 1);
        s.x.store(0);
      });
  }, 200, false);
  // A loop that reads two flags: a write to either ends the wait.
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    e.spawn("waiter", [&s] {
      while (s.x.load() == 0 && s.y.load() == 0) {
      }
      s.ready.set(1);
    });
    e.spawn("x", [&s] { s.x.store(1); });
    e.spawn("y", [&s] { s.y.store(1); });
  }, 200, false);
}

TEST_CASE("oracle: timed sleeps in a loop are fair: finite, and every timeout race explored") {
  // The kernel's pattern: while (!cond) msleep(&chan, &mtx, hz). With and without the wakeup
  // (without it, only a timeout lets the waiter notice), with one and two waiters, and with a
  // writer that changes something the waiters do not look at.
  for (int waiters : {1, 2})
  for (bool wakes : {true, false}) {
    CAPTURE(wakes);
    CAPTURE(waiters);
    same_outcomes([wakes, waiters](Execution& e) {
      auto& s = test::make_state<Mem>(e);
      for (int i = 0; i < waiters; ++i)
        e.spawn("waiter" + std::to_string(i), [&s] {
          s.m.lock();
          while (!s.ready.get()) s.chan.sleep(s.m, true);
          (void)s.x.load();
          s.m.unlock();
        });
      e.spawn("waker", [&s, wakes] {
        s.x.store(1);
        s.m.lock();
        s.ready.set(1);
        if (wakes) s.chan.wakeup();
        s.m.unlock();
      });
      if (waiters == 1) e.spawn("bystander", [&s] { s.y.store(1); });
    }, 10000);
  }
}

namespace {

// The number of distinct traces among every schedule (naive search, deduplicated by the trace
// fingerprint): what an optimal DPOR must explore exactly.
size_t distinct_traces(const checker::Setup& world) {
  struct Hash final : sim::Observer {
    checker::TraceHash h;
    void on_spawn(const Execution&, sim::ThreadId p, sim::ThreadId c) override { h.on_spawn(p, c); }
    void on_event(Execution& x, const sim::Event& e) override { h.on_event(x, e); }
  } hash;
  std::unordered_set<checker::Fingerprint, checker::FingerprintHash> seen;
  Naive n;
  sim::FiberPool pool;
  sim::Bounds b;
  b.memory = g_memory;
  for (bool more = true; more;) {
    Execution x(pool, b);
    hash.h.reset();
    x.add_observer(&n);
    x.add_observer(&hash);
    n.begin(x);
    world(x);
    sim::Outcome out = x.run(n);
    seen.insert(hash.h.fingerprint());
    more = n.end(x, out);
  }
  return seen.size();
}

struct Tso {
  Tso() { g_memory = sim::MemoryModel::TSO; }
  ~Tso() { g_memory = sim::MemoryModel::SC; }
};

// Explores under TSO with DPOR; checks it is exact (the distinct traces, none blocked).
checker::ExploreResult tso_exact(const checker::Setup& world) {
  checker::Dpor d;
  checker::ExploreOptions o;
  o.bounds.memory = sim::MemoryModel::TSO;
  o.bounds.max_steps = 200;
  auto r = checker::explore(d, world, o);
  CHECK(r.blocked == 0);
  CHECK(r.executions == distinct_traces(world));
  return r;
}

struct Sb {
  sim::Atomic<int> x, y, r1, r2;
  explicit Sb(Execution& e) : x(e, "x"), y(e, "y"), r1(e, "r1"), r2(e, "r2") {}
};

// Store buffering: each thread stores one flag and loads the other's. (0, 0) needs TSO.
checker::Setup store_buffering(bool fenced) {
  return [fenced](Execution& e) {
    auto& s = test::make_state<Sb>(e);
    e.spawn("A", [&s, &e, fenced] {
      s.x.store(1, Order::Relaxed);
      if (fenced) sim::smp_mb(e);
      int r = s.y.load(Order::Relaxed);
      sim::kassert(e, !(r == 0 && s.r2.load(Order::Relaxed) == 1), "both loads saw 0");
      s.r1.store(1, Order::SeqCst);  // "A read y == 0"
      (void)r;
    });
    e.spawn("B", [&s, &e, fenced] {
      s.y.store(1, Order::Relaxed);
      if (fenced) sim::smp_mb(e);
      int r = s.x.load(Order::Relaxed);
      if (r == 0) s.r2.store(1, Order::SeqCst);
    });
  };
}

// Store buffering through an unlock: A stores x inside a critical section, unlocks, then loads
// y; B stores y, smp_mb, loads x. A spin mutex's unlock is a plain store (it stays in A's buffer
// with x, and A's load passes both); a sleep mutex's unlock is a locked cmpxchg (it drains).
template <class L>
checker::Setup sb_through_unlock(bool check = true) {
  struct S {
    sim::Atomic<int> x, y, b_saw_0;
    L lock;
    explicit S(Execution& e) : x(e, "x"), y(e, "y"), b_saw_0(e, "b_saw_0"), lock(e, "lock") {}
  };
  return [check](Execution& e) {
    auto& s = test::make_state<S>(e);
    e.spawn("A", [&s, &e, check] {
      s.lock.lock();
      s.x.store(1, Order::Relaxed);
      s.lock.unlock();
      const int r = s.y.load(Order::Relaxed);
      if (check) sim::kassert(e, !(r == 0 && s.b_saw_0.load(Order::SeqCst) == 1), "both loads saw 0");
    });
    e.spawn("B", [&s, &e] {
      s.y.store(1, Order::Relaxed);
      sim::smp_mb(e);
      if (s.x.load(Order::Relaxed) == 0) s.b_saw_0.store(1, Order::SeqCst);
    });
  };
}

bool finds_violation(const checker::Setup& world) {
  checker::Dpor d;
  checker::ExploreOptions o;
  o.bounds.memory = sim::MemoryModel::TSO;
  o.bounds.max_steps = 200;
  return checker::explore(d, world, o).counterexample.has_value();
}

}  // namespace

TEST_CASE("tso: a spin mutex's unlock is a buffered release store, a sleep mutex's drains") {
  Tso tso;
  same_outcomes(sb_through_unlock<sim::SpinMutex>());
  same_outcomes(sb_through_unlock<sim::Mutex>());
  tso_exact(sb_through_unlock<sim::SpinMutex>(false));
  tso_exact(sb_through_unlock<sim::Mutex>(false));
  CHECK(finds_violation(sb_through_unlock<sim::SpinMutex>()));
  CHECK_FALSE(finds_violation(sb_through_unlock<sim::Mutex>()));
}

TEST_CASE("tso: a buffered spin-mutex release: others wait for its flush, its holder holds it no more") {
  Tso tso;
  struct S {
    sim::SpinMutex lock;
    sim::Atomic<int> x;
    explicit S(Execution& e) : lock(e, "lock"), x(e, "x") {}
  };
  auto world = [](Execution& e) {
    auto& s = test::make_state<S>(e);
    e.spawn("A", [&s, &e] {
      s.lock.lock();
      s.x.store(1, Order::Relaxed);
      s.lock.unlock();
      sim::kassert(e, !s.lock.owned_by(e.current()), "the holder still owns a lock it released");
      s.lock.lock();  // drains: waits for its own release to reach memory, then takes it again
      s.lock.unlock();
    });
    e.spawn("B", [&s] {
      s.lock.lock();
      (void)s.x.load(Order::Relaxed);
      s.lock.unlock();
    });
  };
  same_outcomes(world);
  const auto r = tso_exact(world);
  CHECK(!r.counterexample);
}

TEST_CASE("tso oracle: store buffering, message passing and a lock, DPOR against every schedule") {
  Tso tso;
  same_outcomes(store_buffering(false));
  same_outcomes(store_buffering(true));
  same_outcomes([](Execution& e) {  // message passing: forbidden under TSO as under SC
    auto& s = test::make_state<Mem>(e);
    e.spawn("W", [&s] {
      s.x.store(1, Order::Relaxed);
      s.y.store(1, Order::Relaxed);
    });
    e.spawn("R", [&s] {
      (void)s.y.load(Order::Relaxed);
      (void)s.x.load(Order::Relaxed);
    });
  });
  same_outcomes([](Execution& e) {  // a lock drains the buffer; reads of its own buffer
    auto& s = test::make_state<Mem>(e);
    e.spawn("A", [&s] {
      s.x.store(1, Order::Relaxed);
      (void)s.x.load(Order::Relaxed);
      s.m.lock();
      s.y.store(2, Order::Relaxed);
      s.m.unlock();
    });
    e.spawn("B", [&s] {
      s.m.lock();
      (void)s.y.load(Order::Relaxed);
      s.m.unlock();
      (void)s.x.load(Order::Relaxed);
    });
  });
}

TEST_CASE("tso: DPOR explores each trace once, with none blocked") {
  tso_exact(store_buffering(false));
  tso_exact(store_buffering(true));
}

TEST_CASE("tso oracle: the shipped x86-TSO litmus scenarios, under the memory model each names") {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(VCPUCHECK_SOURCE_DIR) / "scenarios/litmus/tso"))
    files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 33);  // 15 litmus tests under sc and tso, and the kick protocol
  for (const auto& f : files) {
    CAPTURE(f);
    const models::Scenario s = models::load_scenario(f, test::registry());
    g_memory = s.strategy.memory;
    const checker::Setup world = [&s](Execution& x) { models::setup_scenario(s, x); };
    same_outcomes(world);
    checker::Dpor d;
    checker::ExploreOptions o;
    o.bounds.memory = s.strategy.memory;
    o.bounds.max_steps = 200;
    auto r = checker::explore(d, world, o);
    CHECK(r.blocked == 0);
    if (s.expect.executions) CHECK(r.executions == *s.expect.executions);
    if (!r.counterexample) CHECK(r.executions == distinct_traces(world));
    g_memory = sim::MemoryModel::SC;
  }
}
