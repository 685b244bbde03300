// An out-of-tree model that misbehaves on purpose, one way per operation: vcpucheck must report
// each as a violation of its scenario and go on with the others (tests/plugin_test.sh).
#include <cassert>
#include <cstdlib>

#include <models/registry.hpp>
#include <sim/memory.hpp>

using namespace vcpucheck;

namespace {

struct Faulty : models::Instance {
  sim::Atomic<int> x;
  int* volatile nowhere = nullptr;
  volatile bool forever = true;
  bool crash_at_end;
  Faulty(sim::Execution& e, const models::Config& c) : x(e, "x"), crash_at_end(c.bug("crash-in-destructor")) {
    if (c.bug("crash-in-setup")) *nowhere = 1;  // while the world is built, outside any thread
  }
  ~Faulty() override {
    if (crash_at_end) *nowhere = 2;  // where no fiber runs: only a child process survives it
  }
};

int deep(Faulty& f, int n) {
  volatile char pad[256];
  pad[0] = static_cast<char>(n);
  if (!f.forever) return 0;
  return deep(f, n + 1) + pad[0];
}

using Op = void (*)(Faulty&);
models::OpDef fault_op(const char* name, const char* help, Op body) {
  return models::op<Faulty>(name, help, {}, [body](Faulty& f, sim::Execution&, const models::Args&) {
    f.x.fetch_add(1);  // a visible operation first: the report names it
    body(f);
  });
}

}  // namespace

extern "C" void vcpucheck_register_models(models::Registry& r) {
  models::ModelDef m;
  m.name = "example.faulty";
  m.help = "a model that crashes, overflows, aborts or hangs on purpose (tests)";
  m.switches = {{"crash-in-setup", "dereference a null pointer while the world is built"},
                {"crash-in-destructor", "dereference a null pointer when the model instance is destroyed"}};
  m.ops = {
      fault_op("increment", "x++ (well behaved)", [](Faulty&) {}),
      fault_op("null-deref", "write through a null pointer", [](Faulty& f) { *f.nowhere = 1; }),
      fault_op("overflow", "recurse until the stack is gone", [](Faulty& f) { (void)deep(f, 0); }),
      fault_op("abort", "call abort()", [](Faulty&) { std::abort(); }),
      fault_op("assert", "fail an assert()", [](Faulty& f) { assert(f.nowhere != nullptr); }),
      fault_op("hang", "loop forever without a visible operation", [](Faulty& f) {
        volatile int i = 0;
        while (f.forever) i = i + 1;
      }),
  };
  m.create = [](sim::Execution& x, const models::Config& c) { return std::make_shared<Faulty>(x, c); };
  r.add(std::move(m));
}
