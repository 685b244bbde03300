// Litmus tests, one per detector: small programs whose verdict is known, each with a bug switch
// (or argument) that turns a correct idiom into the classic mistake.
#include "models/builtin.hpp"
#include "sim/chan.hpp"
#include "sim/heap.hpp"
#include "sim/linux/compiler.hpp"
#include "sim/rcu.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::models {

using sim::Atomic;
using sim::Execution;
using sim::Field;
using sim::Order;
using sim::Ptr;

namespace {

struct Obj {
  Field<int64_t> val;  // initialized by its first write
  explicit Obj(Execution& x) : val(x, "val", sim::uninit) {}
};

struct Litmus : Instance {
  bool relaxed_flag, publish_early, no_grace;
  Field<int64_t> counter;
  Field<int64_t> data;
  Atomic<int64_t> flag;
  sim::Mutex a, b, gate, m;
  Atomic<Ptr<Obj>> slot;
  Atomic<Ptr<Obj>> gp;
  sim::Rcu rcu;
  sim::Array<Field<int64_t>> table;

  Litmus(Execution& x, const Config& c)
      : relaxed_flag(c.bug("relaxed-flag")),
        publish_early(c.bug("publish-before-init")),
        no_grace(c.bug("no-grace-period")),
        counter(x, "counter"),
        data(x, "data"),
        flag(x, "flag"),
        a(x, "A"),
        b(x, "B"),
        gate(x, "G"),
        m(x, "M"),
        slot(x, "slot"),
        gp(x, "gp"),
        rcu(x, "rcu"),
        table(x, "table", 4) {
    Ptr<Obj> first = sim::heap_alloc<Obj>(x, "obj0");
    first->val.set(1);
    gp.store(first);
  }
};

void take_two(sim::Mutex& first, sim::Mutex& second) {
  first.lock();
  second.lock();
  second.unlock();
  first.unlock();
}

void counter_inc(Litmus& l) { l.counter.set(l.counter.get() + 1); }

void locked_inc(Litmus& l) {
  l.m.lock();
  l.counter.set(l.counter.get() + 1);
  l.m.unlock();
}

void assert_counter(Litmus& l, Execution& x, int64_t value) {
  l.m.lock();
  sim::kassert(x, l.counter.get() == value, "counter == " + std::to_string(value));
  l.m.unlock();
}

// The kernel's WARN_ON: a warning, and the execution goes on (then counter++ as locked_inc).
void warn_counter(Litmus& l, int64_t value) {
  l.m.lock();
  WARN_ON(l.counter.get() != value);
  l.counter.set(l.counter.get() + 1);
  l.m.unlock();
}

void mp_send(Litmus& l) {
  l.data.set(42);
  l.flag.store(1, l.relaxed_flag ? Order::Relaxed : Order::Release);
}

void mp_recv(Litmus& l) {
  if (l.flag.load(l.relaxed_flag ? Order::Relaxed : Order::Acquire)) (void)l.data.get();
}

void gated(Litmus& l, sim::Mutex& first, sim::Mutex& second) {
  l.gate.lock();
  take_two(first, second);
  l.gate.unlock();
}

void publish(Litmus& l, Execution& x) {
  Ptr<Obj> p = sim::heap_alloc<Obj>(x, "obj");
  if (l.publish_early) {
    l.slot.store(p, Order::Release);
    p->val.set(7);
  } else {
    p->val.set(7);
    l.slot.store(p, Order::Release);
  }
}

void consume(Litmus& l) {
  Ptr<Obj> p = l.slot.load(Order::Acquire);
  if (p) (void)p->val.get();
}

void consume_unchecked(Litmus& l) {
  Ptr<Obj> p = l.slot.load(Order::Acquire);
  (void)p->val.get();
}

void rcu_update(Litmus& l, Execution& x) {
  Ptr<Obj> old = l.gp.load(Order::Acquire);
  Ptr<Obj> n = sim::heap_alloc<Obj>(x, "obj");
  n->val.set(2);
  l.gp.store(n, Order::Release);
  if (!l.no_grace) l.rcu.synchronize();
  sim::heap_free(x, old);
}

void rcu_read(Litmus& l) {
  l.rcu.read_lock();
  Ptr<Obj> p = l.gp.load(Order::Acquire);
  (void)p->val.get();
  l.rcu.read_unlock();
}

void critical_sleep(Litmus& l, Execution& x) {
  sim::critical_enter(x);
  l.m.lock();
  l.m.unlock();
  sim::critical_exit(x);
}

void free_twice(Execution& x) {
  Ptr<Obj> p = sim::heap_alloc<Obj>(x, "tmp");
  sim::heap_free(x, p);
  sim::heap_free(x, p);
}

}  // namespace

void register_litmus_models(Registry& r) {
  ModelDef m;
  m.name = "litmus";
  m.help = "small programs with known verdicts, one or more per detector";
  m.switches = {
      {"relaxed-flag", "message passing publishes and reads its flag relaxed: no release/acquire pair"},
      {"publish-before-init", "the publisher stores the object's pointer before initializing the object"},
      {"no-grace-period", "the RCU updater frees the old object without synchronize_rcu"},
  };
  using L = Litmus;
  using X = Execution;
  using A = Args;
  m.ops = {
      op<L>("counter_inc", "counter = counter + 1 with plain accesses", {},
            [](L& l, X&, const A&) { counter_inc(l); }),
      op<L>("locked_inc", "under mutex M: counter = counter + 1", {}, [](L& l, X&, const A&) { locked_inc(l); }),
      op<L>("assert_counter", "under mutex M: KASSERT(counter == value)",
            {{"value", ArgType::Int, "the expected value", {}}},
            [](L& l, X& x, const A& a) { assert_counter(l, x, a.i("value")); }),
      op<L>("warn_counter", "under mutex M: WARN_ON(counter != value), then counter++ (a warning does not stop it)",
            {{"value", ArgType::Int, "the expected value", {}}},
            [](L& l, X&, const A& a) { warn_counter(l, a.i("value")); }),
      op<L>("mp_send", "data = 42; then raise the flag (release store)", {}, [](L& l, X&, const A&) { mp_send(l); }),
      op<L>("mp_recv", "if the flag is up (acquire load), read data", {}, [](L& l, X&, const A&) { mp_recv(l); }),
      op<L>("lock_ab", "lock A then B", {}, [](L& l, X&, const A&) { take_two(l.a, l.b); }),
      op<L>("lock_ba", "lock B then A", {}, [](L& l, X&, const A&) { take_two(l.b, l.a); }),
      op<L>("gated_ab", "under gate lock G: lock A then B", {}, [](L& l, X&, const A&) { gated(l, l.a, l.b); }),
      op<L>("gated_ba", "under gate lock G: lock B then A", {}, [](L& l, X&, const A&) { gated(l, l.b, l.a); }),
      op<L>("publish", "allocate an object, initialize it, publish it in slot (release)", {},
            [](L& l, X& x, const A&) { publish(l, x); }),
      op<L>("consume", "load slot (acquire); if set, read the object", {}, [](L& l, X&, const A&) { consume(l); }),
      op<L>("consume_unchecked", "load slot and read the object without a NULL check", {},
            [](L& l, X&, const A&) { consume_unchecked(l); }),
      op<L>("rcu_update", "replace gp's object, wait a grace period, free the old one", {},
            [](L& l, X& x, const A&) { rcu_update(l, x); }),
      op<L>("rcu_read", "in an RCU read-side section, read gp's object", {}, [](L& l, X&, const A&) { rcu_read(l); }),
      op<L>("critical_sleep", "take a sleep mutex inside a critical section", {},
            [](L& l, X& x, const A&) { critical_sleep(l, x); }),
      op<L>("index", "write table[i] (the table has 4 cells)", {{"i", ArgType::Int, "the index", {}}},
            [](L& l, X&, const A& a) { l.table.at(a.i("i")).set(1); }),
      op<L>("free_twice", "allocate an object and free it twice", {}, [](L&, X& x, const A&) { free_twice(x); }),
      op_returning<L>("read_counter", "under mutex M: return counter (a result later operations can take)", {},
                      [](L& l, X&, const A&) -> int64_t {
                        l.m.lock();
                        const int64_t v = l.counter.get();
                        l.m.unlock();
                        return v;
                      }),
  };
  m.create = [](Execution& x, const Config& c) { return std::make_shared<Litmus>(x, c); };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
