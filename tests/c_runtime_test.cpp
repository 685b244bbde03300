// The runtime for C code (sim/c): instrumented C (tests/c/runtime_cases.c) under the checker --
// its plain, marked and atomic accesses, the allocator and lock shims, and what each reports.
#include <doctest/doctest.h>

#include <set>

#include "c/runtime_cases.h"
#include "sim/c/world.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::ViolationKind;
using sim::c::call;

namespace {

struct State {
  sim::c::World c;
  struct obj* o;
  State(Execution& x, bool zeroed) : c(x), o(obj_new(zeroed ? 1 : 0)) {}
};

// Explores `body(state, x)` with a kzalloc'd (or kmalloc'd) struct obj made in setup.
template <class F>
checker::ExploreResult explore(F body, bool zeroed = true) {
  return test::dpor_world([body, zeroed](Execution& x) { body(test::make_state<State>(x, zeroed), x); }, UINT32_MAX, 5000);
}

std::string message(const checker::ExploreResult& r) {
  return r.counterexample && r.counterexample->violation ? r.counterexample->violation->message : std::string();
}

}  // namespace

TEST_CASE("C: unordered plain accesses are a data race located at the C line; marked ones are not") {
  auto plain = explore([](State& s, Execution& x) {
    x.spawn("writer", [&s] { call([&] { set_a(s.o, 1); }); });
    x.spawn("reader", [&s] { (void)call([&] { return get_a(s.o); }); });
  });
  INFO(message(plain));
  REQUIRE(test::found(plain) == ViolationKind::DataRace);
  const auto& v = *plain.counterexample->violation;
  CHECK(v.object == "obj_new:21.a");  // the kzalloc line, the field
  CHECK(v.involved.at(0).loc.find("tests/c/runtime_cases.c:") == 0);
  auto marked = explore([](State& s, Execution& x) {
    x.spawn("writer", [&s] { call([&] { set_a_once(s.o, 1); }); });
    x.spawn("reader", [&s] { (void)call([&] { return get_a_once(s.o); }); });
  });
  CHECK(!test::found(marked));
  CHECK(marked.executions == 2);
  // Fields side by side are objects of their own: no race between a and b.
  auto fields = explore([](State& s, Execution& x) {
    x.spawn("a", [&s] { call([&] { set_a(s.o, 1); }); });
    x.spawn("b", [&s] { call([&] { set_b(s.o, 1); }); });
  });
  CHECK(!test::found(fields));
  CHECK(fields.executions == 1);
  // An 8-byte read over both is an access to each: it races with the write of b.
  auto overlap = explore([](State& s, Execution& x) {
    x.spawn("b", [&s] { call([&] { set_b(s.o, 1); }); });
    x.spawn("ab", [&s] { (void)call([&] { return get_ab(s.o); }); });
  });
  CHECK(test::found(overlap) == ViolationKind::DataRace);
  // A 124-byte struct copy is one object over the whole struct; a read 120 bytes in overlaps it.
  auto wide = test::dpor_world(
      [](Execution& x) {
        struct Big {
          sim::c::World c;
          struct big *b, *from;
          explicit Big(Execution& e) : c(e), b(big_new()), from(big_new()) {}
        };
        auto& s = test::make_state<Big>(x);
        x.spawn("clear", [&s] { call([&] { big_clear(s.b, s.from); }); });
        x.spawn("tail", [&s] { (void)call([&] { return big_tail(s.b); }); });
      },
      UINT32_MAX, 5000);
  CHECK(test::found(wide) == ViolationKind::DataRace);
}

TEST_CASE("C: memset and memcpy through the shims are accesses of every object they cover") {
  struct Big {
    sim::c::World c;
    struct big *b, *from;
    explicit Big(Execution& e) : c(e), b(big_new()), from(big_new()) {}
  };
  auto two = [](auto first, auto second) {
    return test::dpor_world(
        [first, second](Execution& x) {
          auto& s = test::make_state<Big>(x);
          x.spawn("first", [&s, first] { call([&] { first(s); }); });
          x.spawn("second", [&s, second] { call([&] { second(s); }); });
        },
        UINT32_MAX, 5000);
  };
  auto tail = [](Big& s) { (void)big_tail(s.b); };
  // A constant size (GCC would store inline, unseen) and a variable one (libc, unseen).
  for (unsigned long n : {sizeof(int) * 31, 124ul}) {
    CAPTURE(n);
    auto wipe = two([n](Big& s) { big_wipe(s.b, n); }, tail);
    CHECK(test::found(wipe) == ViolationKind::DataRace);
  }
  auto short_wipe = two([](Big& s) { big_wipe(s.b, 120); }, tail);  // stops before the tail
  CHECK(!test::found(short_wipe));
  CHECK(short_wipe.executions == 1);
  // memcpy reads its source: it races with a writer of the source's tail, and copies it.
  auto copy = two([](Big& s) { big_copy(s.b, s.from, 124); }, [](Big& s) { big_set_tail(s.from, 7); });
  CHECK(test::found(copy) == ViolationKind::DataRace);
  static int copied = -1;
  auto ordered = test::dpor_world(
      [](Execution& x) {
        auto& s = test::make_state<Big>(x);
        x.spawn("t", [&s] {
          call([&] {
            big_set_tail(s.from, 7);
            big_copy(s.b, s.from, 124);
          });
        });
        x.on_end([&s] { copied = call([&] { return big_tail(s.b); }); });
      },
      UINT32_MAX, 5000);
  CHECK(!test::found(ordered));
  CHECK(copied == 7);
  // kmalloc'd bytes a memset initialized are not use-before-init.
  auto unwiped = explore([](State&, Execution& x) { x.spawn("t", [] { (void)call([] { return big_fresh_tail(0); }); }); });
  CHECK(test::found(unwiped) == ViolationKind::UseBeforeInit);
  auto wiped = explore([](State&, Execution& x) { x.spawn("t", [] { (void)call([] { return big_fresh_tail(1); }); }); });
  CHECK_MESSAGE(!test::found(wiped), message(wiped));
}

TEST_CASE("C: a registered global is shared memory, and every execution starts from its first bytes") {
  for (int locked : {1, 0}) {
    CAPTURE(locked);
    static std::set<int> finals;
    finals.clear();
    auto r = test::dpor_world(
        [locked](Execution& x) {
          struct G {
            sim::c::World c;
            explicit G(Execution& e) : c(e) { c.add_global(c_hits_addr(), sizeof(int), "c_hits"); }
          };
          auto& g = test::make_state<G>(x);
          for (const char* name : {"t1", "t2"}) x.spawn(name, [locked] { (void)call([=] { return hit(locked); }); });
          x.on_end([&g] { finals.insert(*c_hits_addr()), (void)g; });
        },
        UINT32_MAX, 5000);
    if (locked) {
      CHECK_MESSAGE(!test::found(r), message(r));
      CHECK(r.executions == 2);  // the two lock orders
      CHECK(finals == std::set<int>{2});  // each execution began at 0
    } else {
      REQUIRE(test::found(r) == ViolationKind::DataRace);
      CHECK(r.counterexample->violation->object == "c_hits+0x0:4");
    }
  }
}

TEST_CASE("C: a mutex in a kmalloc'd struct orders the accesses it guards; atomics never race") {
  static long final_c = -1;
  auto r = explore([](State& s, Execution& x) {
    x.spawn("t1", [&s] { call([&] { locked_add(s.o); inc(s.o); }); });
    x.spawn("t2", [&s] { call([&] { locked_add(s.o); inc(s.o); }); });
    x.on_end([&s] { final_c = locked_get(s.o) * 10 + count(s.o); });
  });
  CHECK_MESSAGE(!test::found(r), message(r));
  CHECK(r.exhausted);
  CHECK(r.executions == 4);  // the two lock orders times the two orders of the atomic increments
  CHECK(final_c == 22);
}

TEST_CASE("C: kmalloc'd bytes are uninitialized; a freed block is use-after-free, twice a double free") {
  auto ubi = explore([](State& s, Execution& x) { x.spawn("reader", [&s] { (void)call([&] { return get_a(s.o); }); }); },
                     /*zeroed=*/false);
  CHECK(!test::found(ubi));  // made in setup: the harness's state is initialized
  auto fresh = test::dpor_world(
      [](Execution& x) {
        auto& s = test::make_state<State>(x, true);
        x.spawn("t", [&s] {
          call([&] {
            struct obj* o = obj_new(0);  // kmalloc in a thread: uninitialized
            (void)get_a(o);
          });
        });
      },
      UINT32_MAX, 5000);
  REQUIRE(test::found(fresh) == ViolationKind::UseBeforeInit);
  auto uaf = explore([](State& s, Execution& x) {
    x.spawn("t", [&s] {
      call([&] {
        obj_free(s.o);
        (void)get_a(s.o);
      });
    });
  });
  REQUIRE(test::found(uaf) == ViolationKind::UseAfterFree);
  auto twice = explore([](State& s, Execution& x) {
    x.spawn("t", [&s] { call([&] { obj_free(s.o); obj_free(s.o); }); });
  });
  CHECK(test::found(twice) == ViolationKind::DoubleFree);
}

TEST_CASE("C: compare-and-exchange has one winner; locks are checked as the C++ ones") {
  static int winners = 0, worst = 0;
  winners = worst = 0;
  auto r = explore([](State& s, Execution& x) {
    static int won;
    won = 0;
    x.spawn("t1", [&s] { won += call([&] { return cas_a(s.o, 0, 1); }); });
    x.spawn("t2", [&s] { won += call([&] { return cas_a(s.o, 0, 2); }); });
    x.on_end([] { worst = std::max(worst, won), winners += won; });
  });
  CHECK_MESSAGE(!test::found(r), message(r));
  CHECK(r.executions == 2);
  CHECK(worst == 1);
  CHECK(winners == 2);
  auto sleep = explore([](State& s, Execution& x) { x.spawn("t", [&s] { call([&] { spin_then_lock(s.o); }); }); });
  CHECK(test::found(sleep) == ViolationKind::BlockingInCritical);
  auto kind = explore([](State& s, Execution& x) {
    x.spawn("t", [&s] { call([&] { wrong_kind(s.o); }); });
  });
  REQUIRE(test::found(kind) == ViolationKind::ModelError);
  CHECK(message(kind) == "mutex_lock on an object that is another kind of kernel object (made by spin_lock)");
  auto warn = explore([](State&, Execution& x) { x.spawn("t", [] { (void)call([] { return warn_if(1); }); }); });
  REQUIRE(test::found(warn) == ViolationKind::Warning);
  CHECK(message(warn) == "WARNING: WARN_ON(cond)");
}

// --- the FreeBSD shim (tests/c/freebsd_cases.c) ---------------------------------------------------

#include "c/freebsd_cases.h"

namespace {
struct FbsdState {
  sim::c::World c;
  struct table* t;
  explicit FbsdState(Execution& x) : c(x), t(table_new()) {}
};
template <class F>
checker::ExploreResult explore_fbsd(F body) {
  return test::dpor_world([body](Execution& x) { body(test::make_state<FbsdState>(x), x); }, UINT32_MAX, 5000);
}
}  // namespace

TEST_CASE("C under x86-TSO: plain and WRITE_ONCE stores wait in a store buffer; smp_mb drains it") {
  auto under = [](sim::MemoryModel m, auto body) {
    checker::ExploreOptions o;
    o.bounds.max_steps = 5000;
    o.bounds.memory = m;
    checker::Dpor d;
    return checker::explore(d, [body](Execution& x) { body(test::make_state<State>(x, true), x); }, o);
  };
  auto sb = [](bool fenced) {
    return [fenced](State& s, Execution& x) {
      x.spawn("first", [&s, fenced] { call([&] { sb_first(s.o, fenced); }); });
      x.spawn("second", [&s, fenced] { call([&] { sb_second(s.o, fenced); }); });
    };
  };
  // Both loads see 0 only with store buffers: the C code's BUG_ON fires under TSO, not SC.
  const auto sc = under(sim::MemoryModel::SC, sb(false));
  CHECK(!test::found(sc));
  const auto tso = under(sim::MemoryModel::TSO, sb(false));
  INFO(message(tso));
  CHECK(test::found(tso) == ViolationKind::Assertion);
  const auto fenced = under(sim::MemoryModel::TSO, sb(true));
  CHECK(!test::found(fenced));
  CHECK(fenced.blocked == 0);
  // A thread reads its own store (forwarded from its buffer, or from memory once flushed): one
  // trace alone; with another thread's store to the word, it reads either -- as under SC.
  static std::set<int> seen;
  auto own = [](bool other) {
    return [other](State& s, Execution& x) {
      x.spawn("own", [&s] { seen.insert(call([&] { return store_then_load(s.o, 1); })); });
      if (other) x.spawn("other", [&s] { call([&] { set_a_once(s.o, 2); }); });
    };
  };
  for (const auto m : {sim::MemoryModel::SC, sim::MemoryModel::TSO}) {
    CAPTURE(sim::memory_model_name(m));
    seen.clear();
    const auto alone = under(m, own(false));
    CHECK(alone.executions == 1);
    CHECK(seen == std::set<int>{1});
    seen.clear();
    const auto two = under(m, own(true));
    CHECK(!test::found(two));
    CHECK(seen == std::set<int>{1, 2});
  }
  // One 8-byte store over two fields is two buffered stores, flushed in order: a reader that
  // sees the second field new never sees the first one old.
  const auto spanned = under(sim::MemoryModel::TSO, [](State& s, Execution& x) {
    x.spawn("store", [&s] { call([&] { set_ab(s.o, 0x100000001ll); }); });
    x.spawn("load", [&s] { call([&] { check_ab_order(s.o); }); });
  });
  INFO(message(spanned));
  CHECK(!test::found(spanned));
  CHECK(spanned.executions == 2);  // b read old, or b and a read new
  CHECK(spanned.blocked == 0);
}

TEST_CASE("C, FreeBSD: allocation on first use under sx, published with atomic_store_rel_ptr") {
  for (int plain : {0, 1}) {
    CAPTURE(plain);
    auto r = explore_fbsd([plain](FbsdState& s, Execution& x) {
      for (const char* name : {"a", "b"})
        x.spawn(name, [&s, plain] { (void)call([&] { return item_id(table_get(s.t, plain)); }); });
    });
    if (plain) {
      REQUIRE(test::found(r) == ViolationKind::UseBeforeInit);
    } else {
      CHECK_MESSAGE(!test::found(r), message(r));
      CHECK(r.exhausted);
    }
  }
}

TEST_CASE("C, FreeBSD: bzero and bcopy initialize what they cover; bcopy reads its source") {
  auto fresh = [](int cleared) {
    return explore_fbsd([cleared](FbsdState&, Execution& x) { x.spawn("t", [cleared] { (void)call([=] { return item_fresh(cleared); }); }); });
  };
  CHECK(test::found(fresh(0)) == ViolationKind::UseBeforeInit);
  CHECK(!test::found(fresh(1)));
  // The slot's item, made and published by another thread: bcopy of it reads fields the maker
  // wrote, so with a plain publication (no release) the copy may see them uninitialized.
  for (int plain : {0, 1}) {
    CAPTURE(plain);
    auto copied = explore_fbsd([plain](FbsdState& s, Execution& x) {
      x.spawn("maker", [&s, plain] { (void)call([&] { return table_get(s.t, plain); }); });
      x.spawn("copier", [&s, plain] { (void)call([&] { return table_peek_copy(s.t); }); });
    });
    if (plain) {
      CHECK(test::found(copied) == ViolationKind::UseBeforeInit);
    } else {
      CHECK_MESSAGE(!test::found(copied), message(copied));
      CHECK(copied.executions == 2);
    }
  }
}

TEST_CASE("C, FreeBSD: msleep_spin/wakeup under a spin mutex; malloc(M_WAITOK) there is a violation") {
  auto r = explore_fbsd([](FbsdState& s, Execution& x) {
    x.spawn("waiter", [&s] { call([&] { wait_state(s.t); }); });
    x.spawn("waker", [&s] { call([&] { set_state(s.t); }); });
  });
  CHECK_MESSAGE(!test::found(r), message(r));
  CHECK(r.exhausted);
  auto lonely = explore_fbsd([](FbsdState& s, Execution& x) { x.spawn("waiter", [&s] { call([&] { wait_state(s.t); }); }); });
  CHECK(test::found(lonely) == ViolationKind::Deadlock);
  auto sleep = explore_fbsd([](FbsdState& s, Execution& x) { x.spawn("t", [&s] { call([&] { alloc_under_spin(s.t); }); }); });
  CHECK(test::found(sleep) == ViolationKind::BlockingInCritical);
  auto kind = explore_fbsd([](FbsdState& s, Execution& x) { x.spawn("t", [&s] { call([&] { sleep_lock_on_spin(s.t); }); }); });
  CHECK(test::found(kind).has_value());
  auto assertion = explore_fbsd([](FbsdState&, Execution& x) { x.spawn("t", [] { call([] { check(1); }); }); });
  REQUIRE(test::found(assertion) == ViolationKind::Assertion);
  CHECK(message(assertion) == "KASSERT failed: v == 0");
}
