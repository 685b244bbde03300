// The DPOR benchmark programs from the literature, as models. All variables are sequentially
// consistent atomics starting at 0, so the number of executions an optimal search explores is
// the number of Mazurkiewicz traces, known in closed form or from published tables:
//   readers(N)  2^N            lastzero(N)  2, 5, 12, 28, 64, 144, 320, 704 for N = 1..8
//   opt_lock(N) 10, 42, 126, 346, 922, 2430 for N = 1..6   casrot(N) 2, 5, 14, 43, ... for N = 2..
// And three of GenMC's synthetic families with many writers to few locations, whose counts under
// SC with coherence order (GenMC's sc.mo tests) are Mazurkiewicz traces too:
//   coa(N)      4, 15, 130, 2028, 49776 for N = 1..5    big0  69112    fib_bench(5)  218243
#include "models/builtin.hpp"
#include "sim/heap.hpp"

namespace vcpucheck::models {

using sim::Atomic;
using sim::Execution;
using sim::Order;

namespace {

// "acq_rel": loads acquire and stores release (what a plain x86 MOV is) instead of seq_cst, so
// that under --memory tso the stores go through store buffers.
struct Orders {
  Order load = Order::SeqCst, store = Order::SeqCst;
  explicit Orders(const Config& c) {
    if (c.params.b("acq_rel")) load = Order::Acquire, store = Order::Release;
  }
};

struct Readers : Instance {
  Atomic<int64_t> x;
  Orders o;
  Readers(Execution& e, const Config& c) : x(e, "x"), o(c) {}
};

struct LastZero : Instance {
  sim::Array<Atomic<int64_t>> array;
  int64_t n;
  Orders o;
  LastZero(Execution& e, const Config& c)
      : array(e, "array", static_cast<size_t>(c.params.i("n") + 1)), n(c.params.i("n")), o(c) {}
};

struct OptLock : Instance {
  Atomic<int64_t> x, y;
  int64_t n;
  OptLock(Execution& e, int64_t n_) : x(e, "x"), y(e, "y"), n(n_) {}
};

struct CasRot : Instance {
  Atomic<int64_t> x;
  explicit CasRot(Execution& e) : x(e, "x") {}
};

struct Cells : Instance {  // coa, big0, fib_bench: a few shared words
  Atomic<int64_t> x, y, z, w;
  int64_t n;
  Cells(Execution& e, int64_t init, int64_t n_) : x(e, "x", init), y(e, "y", init), z(e, "z"), w(e, "w"), n(n_) {}
};

}  // namespace

void register_bench_models(Registry& r) {
  r.add(ModelDef{
      "bench.readers",
      "one writer and N readers of x: 2^N traces",
      {{"acq_rel", ArgType::Bool, "acquire loads and release stores (x86 MOVs) instead of seq_cst", false}},
      {},
      {op<Readers>("write", "x = value", {{"value", ArgType::Int, "the value written", int64_t{42}}},
                   [](Readers& m, Execution&, const Args& a) { m.x.store(a.i("value"), m.o.store); }),
       op<Readers>("read", "read x", {}, [](Readers& m, Execution&, const Args&) { (void)m.x.load(m.o.load); })},
      [](Execution& x, const Config& c) { return std::make_shared<Readers>(x, c); }});

  r.add(ModelDef{
      "bench.lastzero",
      "thread 0 scans array[N..0] for the last zero while threads 1..N each set array[j] = array[j-1] + 1",
      {{"n", ArgType::Int, "N: the array has N+1 cells", int64_t{2}},
       {"acq_rel", ArgType::Bool, "acquire loads and release stores (x86 MOVs) instead of seq_cst", false}},
      {},
      {op<LastZero>("scan", "for (i = N; array[i] != 0; i--);", {},
                    [](LastZero& m, Execution&, const Args&) {
                      for (int64_t i = m.n; m.array.at(i).load(m.o.load) != 0; --i) {
                      }
                    }),
       op<LastZero>("step", "array[j] = array[j-1] + 1", {{"j", ArgType::Int, "the cell written (1..N)", {}, int_below_param(1, "n", 1)}},
                    [](LastZero& m, Execution&, const Args& a) {
                      int64_t j = a.i("j");
                      int64_t v = m.array.at(j - 1).load(m.o.load);
                      m.array.at(j).store(v + 1, m.o.store);
                    })},
      [](Execution& x, const Config& c) { return std::make_shared<LastZero>(x, c); },
      [](const Config& c) -> std::pair<std::string, std::string> {
        if (c.params.i("n") < 1 || c.params.i("n") > 32) return {"/params/n", "expected 1 to 32"};
        return {};
      }});

  r.add(ModelDef{
      "bench.opt_lock",
      "two threads try an optimistic lock N times: x = id; y = 1; if (x == id) { read y; stop }",
      {{"n", ArgType::Int, "N: attempts per thread", int64_t{1}}},
      {},
      {op<OptLock>("attempts", "up to N optimistic attempts by thread `id`",
                   {{"id", ArgType::Int, "this thread's id (0 or 1)", {}, int_in(0, 1)}},
                   [](OptLock& m, Execution&, const Args& a) {
                     const int64_t id = a.i("id");
                     for (int64_t i = 0; i < m.n; ++i) {
                       m.x.store(id);
                       m.y.store(1);
                       if (m.x.load() == id) {
                         (void)m.y.load();
                         break;
                       }
                     }
                   })},
      [](Execution& x, const Config& c) { return std::make_shared<OptLock>(x, c.params.i("n")); },
      [](const Config& c) -> std::pair<std::string, std::string> {
        if (c.params.i("n") < 0 || c.params.i("n") > 64) return {"/params/n", "expected 0 to 64"};
        return {};
      }});

  r.add(ModelDef{
      "bench.casrot",
      "thread i does CAS(x, i-1, i): the CASes succeed in a rotation or fail (a failed CAS is a read)",
      {},
      {},
      {op<CasRot>("cas", "CAS(x, i-1, i)", {{"i", ArgType::Int, "this thread's index (1..N)", {}, int_in(1, sim::kMaxThreads)}},
                  [](CasRot& m, Execution&, const Args& a) {
                    int64_t expected = a.i("i") - 1;
                    m.x.compare_exchange(expected, a.i("i"));
                  })},
      [](Execution& x, const Config&) { return std::make_shared<CasRot>(x); }});

  const auto acq = Order::Acquire;
  const auto rel = Order::Release;
  r.add(ModelDef{
      "bench.coa",
      "GenMC's CoA: one: x = 1; read y; read x.  two: x = 2; read z; read x.  N-1 others: y = i; z = i",
      {},
      {},
      {op<Cells>("one", "x = 1; read y; read x", {},
                 [=](Cells& m, Execution&, const Args&) {
                   m.x.store(1, rel);
                   (void)m.y.load(acq);
                   (void)m.x.load(acq);
                 }),
       op<Cells>("two", "x = 2; read z; read x", {},
                 [=](Cells& m, Execution&, const Args&) {
                   m.x.store(2, rel);
                   (void)m.z.load(acq);
                   (void)m.x.load(acq);
                 }),
       op<Cells>("n", "y = i; z = i", {{"i", ArgType::Int, "the value written", {}, int_in(0, sim::kMaxThreads)}},
                 [=](Cells& m, Execution&, const Args& a) {
                   m.y.store(a.i("i"), rel);
                   m.z.store(a.i("i"), rel);
                 })},
      [](Execution& x, const Config&) { return std::make_shared<Cells>(x, 0, 0); }});

  r.add(ModelDef{
      "bench.big0",
      "GenMC's big0: two readers of x, y, z, w and two writers, each of two words three times",
      {},
      {},
      {op<Cells>("one", "read x y z w x y z", {},
                 [=](Cells& m, Execution&, const Args&) {
                   for (Atomic<int64_t>* c : {&m.x, &m.y, &m.z, &m.w, &m.x, &m.y, &m.z}) (void)c->load(acq);
                 }),
       op<Cells>("two", "read x y z", {},
                 [=](Cells& m, Execution&, const Args&) {
                   for (Atomic<int64_t>* c : {&m.x, &m.y, &m.z}) (void)c->load(acq);
                 }),
       op<Cells>("three", "x = 1; y = 1; x = 2; y = 2; x = 3; y = 3", {},
                 [=](Cells& m, Execution&, const Args&) {
                   for (int64_t v = 1; v <= 3; ++v) {
                     m.x.store(v, rel);
                     m.y.store(v, rel);
                   }
                 }),
       op<Cells>("four", "z = 1; w = 1; z = 2; w = 2; z = 3; w = 3", {},
                 [=](Cells& m, Execution&, const Args&) {
                   for (int64_t v = 1; v <= 3; ++v) {
                     m.z.store(v, rel);
                     m.w.store(v, rel);
                   }
                 })},
      [](Execution& x, const Config&) { return std::make_shared<Cells>(x, 0, 0); }});

  r.add(ModelDef{
      "bench.fib_bench",
      "GenMC's fib_bench: x = y = 1; N times, one sets x = x + y and the other y = x + y; a third checks both <= 144",
      {{"n", ArgType::Int, "N: iterations of each adder", int64_t{5}}},
      {},
      {op<Cells>("x", "N times: x = x + y", {},
                 [=](Cells& m, Execution&, const Args&) {
                   for (int64_t i = 0; i < m.n; ++i) {
                     const int64_t px = m.x.load(acq), py = m.y.load(acq);
                     m.x.store(px + py, rel);
                   }
                 }),
       op<Cells>("y", "N times: y = x + y", {},
                 [=](Cells& m, Execution&, const Args&) {
                   for (int64_t i = 0; i < m.n; ++i) {
                     const int64_t px = m.x.load(acq), py = m.y.load(acq);
                     m.y.store(px + py, rel);
                   }
                 }),
       op<Cells>("check", "assert(x <= 144 && y <= 144)", {},
                 [=](Cells& m, Execution& x, const Args&) {
                   if (m.x.load(acq) > 144 || m.y.load(acq) > 144)
                     x.fail(sim::ViolationKind::Assertion, "x or y is above 144", sim::Loc::current());
                 })},
      [](Execution& x, const Config& c) { return std::make_shared<Cells>(x, 1, c.params.i("n")); },
      [](const Config& c) -> std::pair<std::string, std::string> {
        if (c.params.i("n") < 1 || c.params.i("n") > 20) return {"/params/n", "expected 1 to 20"};
        return {};
      }});
}

}  // namespace vcpucheck::models
