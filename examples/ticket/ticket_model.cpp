// An example out-of-tree model: a ticket spinlock guarding a plain counter, with a bug switch
// that takes the ticket with a plain read-then-write instead of an atomic fetch_add.
#include <models/registry.hpp>
#include <sim/memory.hpp>

using namespace vcpucheck;

namespace {

struct Ticket : models::Instance {
  bool racy_take;
  sim::Atomic<uint32_t> next, serving;
  sim::Field<int64_t> counter;
  Ticket(sim::Execution& x, const models::Config& c)
      : racy_take(c.bug("racy-take")), next(x, "next"), serving(x, "serving"), counter(x, "counter") {}
};

void ticket_lock(Ticket& t) {
  uint32_t mine;
  if (t.racy_take) {
    mine = t.next.load(sim::Order::Relaxed);
    t.next.store(mine + 1, sim::Order::Relaxed);
  } else {
    mine = t.next.fetch_add(1, sim::Order::Relaxed);
  }
  while (t.serving.load(sim::Order::Acquire) != mine) {
  }
}

void ticket_unlock(Ticket& t) { t.serving.store(t.serving.load(sim::Order::Relaxed) + 1, sim::Order::Release); }

void increment(Ticket& t) {
  ticket_lock(t);
  t.counter.set(t.counter.get() + 1);
  ticket_unlock(t);
}

}  // namespace

extern "C" void vcpucheck_register_models(models::Registry& r) {
  models::ModelDef m;
  m.name = "example.ticket";
  m.help = "a ticket spinlock guarding a counter (out-of-tree example)";
  m.switches = {{"racy-take", "take a ticket with a plain load and store instead of fetch_add"}};
  m.ops = {models::op<Ticket>("increment", "counter++ under the ticket lock", {},
                              [](Ticket& t, sim::Execution&, const models::Args&) { increment(t); })};
  m.create = [](sim::Execution& x, const models::Config& c) { return std::make_shared<Ticket>(x, c); };
  r.add(std::move(m));
}
