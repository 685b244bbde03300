// Soundness oracle: on small worlds that exercise each primitive, DPOR must reach exactly the
// outcomes a naive search over every schedule reaches. An outcome is what each thread read (in
// order) and how the execution ended; executions in one Mazurkiewicz trace share it, so DPOR may
// explore far fewer executions but never miss an outcome nor invent one.
#include <doctest/doctest.h>

#include "oracle.hpp"
#include "support.hpp"

using namespace vcpucheck;
using namespace vcpucheck::test::oracle;
using sim::Execution;
using sim::Order;

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

TEST_CASE("oracle: fetch_sub, fetch_or, fetch_and, fetch_xor against a CAS") {
  // The CAS succeeds only in the states some orders of the others leave: DPOR must recompute
  // each kind of read-modify-write when it moves one past another.
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Mem>(e);
    e.spawn("or", [&s] { (void)s.x.fetch_or(1); });
    e.spawn("and", [&s] { (void)s.x.fetch_and(~2); });
    e.spawn("xor", [&s] { (void)s.x.fetch_xor(3); });
    e.spawn("cas", [&s] {
      int exp = 1;
      (void)s.x.compare_exchange(exp, 8);
      (void)s.x.fetch_sub(1);
    });
  });
}

namespace {
struct Narrow {
  sim::Atomic<uint8_t> u;
  sim::Atomic<int8_t> i;
  explicit Narrow(Execution& e) : u(e, "u"), i(e, "i") {}
};
}  // namespace

TEST_CASE("oracle: read-modify-writes wrap at the cell's width") {
  // 200 + 200 wraps to 144 in a byte; -100 - 100 wraps to 56 in a signed byte. A CAS expecting
  // the wrapped value succeeds only after both adds, which DPOR must compute as the cell does.
  same_outcomes([](Execution& e) {
    auto& s = test::make_state<Narrow>(e);
    for (int t = 0; t < 2; ++t)
      e.spawn("add" + std::to_string(t), [&s] {
        (void)s.u.fetch_add(200);
        (void)s.i.fetch_sub(100);
      });
    e.spawn("cas", [&s] {
      uint8_t eu = 144;
      int8_t ei = 56;
      (void)s.u.compare_exchange(eu, 1);
      (void)s.i.compare_exchange(ei, 1);
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
        if (!s.ready.get()) s.chan.sleep(s.m, {.timeout = timeout});
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
              while (!s.ready.get()) s.chan.sleep(s.m, {.timeout = timeout});
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
          while (!s.ready.get()) s.chan.sleep(s.m, {.timeout = true});
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
