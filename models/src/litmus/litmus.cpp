// Litmus tests, one per detector: small programs whose verdict is known, each with a bug switch
// (or argument) that turns a correct idiom into the classic mistake.
#include "models/builtin.hpp"
#include "sim/chan.hpp"
#include "sim/heap.hpp"
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
    Ptr<Obj> first = sim::heap_alloc<Obj>(x, "obj0", sim::Loc::current());
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
  m.ops = {
      op<Litmus>("counter_inc", "counter = counter + 1 with plain accesses", {},
                 [](Litmus& l, Execution&, const Args&) { l.counter.set(l.counter.get() + 1); }),
      op<Litmus>("mp_send", "data = 42; then raise the flag (release store)", {},
                 [](Litmus& l, Execution&, const Args&) {
                   l.data.set(42);
                   l.flag.store(1, l.relaxed_flag ? Order::Relaxed : Order::Release);
                 }),
      op<Litmus>("mp_recv", "if the flag is up (acquire load), read data", {},
                 [](Litmus& l, Execution&, const Args&) {
                   if (l.flag.load(l.relaxed_flag ? Order::Relaxed : Order::Acquire)) (void)l.data.get();
                 }),
      op<Litmus>("lock_ab", "lock A then B", {}, [](Litmus& l, Execution&, const Args&) { take_two(l.a, l.b); }),
      op<Litmus>("lock_ba", "lock B then A", {}, [](Litmus& l, Execution&, const Args&) { take_two(l.b, l.a); }),
      op<Litmus>("gated_ab", "under gate lock G: lock A then B", {},
                 [](Litmus& l, Execution&, const Args&) {
                   l.gate.lock();
                   take_two(l.a, l.b);
                   l.gate.unlock();
                 }),
      op<Litmus>("gated_ba", "under gate lock G: lock B then A", {},
                 [](Litmus& l, Execution&, const Args&) {
                   l.gate.lock();
                   take_two(l.b, l.a);
                   l.gate.unlock();
                 }),
      op<Litmus>("publish", "allocate an object, initialize it, publish it in slot (release)", {},
                 [](Litmus& l, Execution& x, const Args&) {
                   Ptr<Obj> p = sim::heap_alloc<Obj>(x, "obj", sim::Loc::current());
                   if (l.publish_early) {
                     l.slot.store(p, Order::Release);
                     p->val.set(7);
                   } else {
                     p->val.set(7);
                     l.slot.store(p, Order::Release);
                   }
                 }),
      op<Litmus>("consume", "load slot (acquire); if set, read the object", {},
                 [](Litmus& l, Execution&, const Args&) {
                   Ptr<Obj> p = l.slot.load(Order::Acquire);
                   if (p) (void)p->val.get();
                 }),
      op<Litmus>("consume_unchecked", "load slot and read the object without a NULL check", {},
                 [](Litmus& l, Execution&, const Args&) {
                   Ptr<Obj> p = l.slot.load(Order::Acquire);
                   (void)p->val.get();
                 }),
      op<Litmus>("rcu_update", "replace gp's object, wait a grace period, free the old one", {},
                 [](Litmus& l, Execution& x, const Args&) {
                   Ptr<Obj> old = l.gp.load(Order::Acquire);
                   Ptr<Obj> n = sim::heap_alloc<Obj>(x, "obj", sim::Loc::current());
                   n->val.set(2);
                   l.gp.store(n, Order::Release);
                   if (!l.no_grace) l.rcu.synchronize();
                   sim::heap_free(x, old);
                 }),
      op<Litmus>("rcu_read", "in an RCU read-side section, read gp's object", {},
                 [](Litmus& l, Execution&, const Args&) {
                   l.rcu.read_lock();
                   Ptr<Obj> p = l.gp.load(Order::Acquire);
                   (void)p->val.get();
                   l.rcu.read_unlock();
                 }),
      op<Litmus>("critical_sleep", "take a sleep mutex inside a critical section", {},
                 [](Litmus& l, Execution& x, const Args&) {
                   sim::critical_enter(x);
                   l.m.lock();
                   l.m.unlock();
                   sim::critical_exit(x);
                 }),
      op<Litmus>("index", "write table[i] (the table has 4 cells)", {{"i", ArgType::Int, "the index", {}}},
                 [](Litmus& l, Execution&, const Args& a) { l.table.at(a.i("i")).set(1); }),
      op<Litmus>("free_twice", "allocate an object and free it twice", {},
                 [](Litmus&, Execution& x, const Args&) {
                   Ptr<Obj> p = sim::heap_alloc<Obj>(x, "tmp", sim::Loc::current());
                   sim::heap_free(x, p);
                   sim::heap_free(x, p);
                 }),
      op<Litmus>("assert_counter", "KASSERT(counter == value)", {{"value", ArgType::Int, "the expected value", {}}},
                 [](Litmus& l, Execution& x, const Args& a) {
                   sim::kassert(x, l.counter.get() == a.i("value"), "counter == " + std::to_string(a.i("value")));
                 }),
  };
  m.create = [](Execution& x, const Config& c) { return std::make_shared<Litmus>(x, c); };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
