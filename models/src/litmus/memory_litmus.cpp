// Memory-model litmus tests (x86-TSO: Owens, Sarkar, Sewell, TPHOLs 2009): each scenario thread
// is a short program of loads, stores and fences on shared words x, y, z; at the end of every
// complete execution the scenario's final-state condition is checked, and reaching it is an
// assertion violation. So "allowed" means the assertion is found, "forbidden" means the search
// passes exhaustively. The loads and stores are x86 MOVs (relaxed); mfence is smp_mb.
#include <array>
#include <sstream>

#include "models/builtin.hpp"
#include "sim/memory.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::models {

using sim::Atomic;
using sim::Execution;
using sim::Order;

namespace {

constexpr int kRegs = 8;

// "r0=0 r1=1 x=2": registers and final memory values, all of which must hold.
struct Term {
  bool reg;
  int index;  // register number, or 0/1/2 for x/y/z
  int64_t value;
};

bool parse_condition(const std::string& text, std::vector<Term>& out, std::string& why) {
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    const auto eq = tok.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 >= tok.size()) {
      why = "'" + tok + "' is not NAME=VALUE";
      return false;
    }
    const std::string name = tok.substr(0, eq), val = tok.substr(eq + 1);
    Term t{};
    if (name.size() == 2 && name[0] == 'r' && name[1] >= '0' && name[1] < '0' + kRegs) {
      t.reg = true;
      t.index = name[1] - '0';
    } else if (name == "x" || name == "y" || name == "z") {
      t.reg = false;
      t.index = name[0] - 'x';
    } else {
      why = "'" + name + "' is neither a register r0..r7 nor x, y, z";
      return false;
    }
    try {
      size_t used = 0;
      t.value = std::stoll(val, &used);
      if (used != val.size()) throw std::invalid_argument(val);
    } catch (const std::exception&) {
      why = "'" + val + "' is not an integer";
      return false;
    }
    out.push_back(t);
  }
  if (out.empty()) why = "an empty condition";
  return !out.empty();
}

struct MemLitmus : Instance {
  std::array<Atomic<int64_t>, 3> mem;
  std::array<int64_t, kRegs> regs{};  // thread-local results: not shared state
  std::vector<Term> condition;
  std::string text;
  MemLitmus(Execution& e, const Config& c)
      : mem{Atomic<int64_t>(e, "x"), Atomic<int64_t>(e, "y"), Atomic<int64_t>(e, "z")}, text(c.params.s("condition")) {
    std::string why;
    parse_condition(text, condition, why);  // validated when the scenario loaded
  }
  Atomic<int64_t>& var(const std::string& n) { return mem[static_cast<size_t>(n[0] - 'x')]; }
  void check_invariants(Execution& x) override {
    for (const Term& t : condition)
      if ((t.reg ? regs[static_cast<size_t>(t.index)] : mem[static_cast<size_t>(t.index)].peek()) != t.value) return;
    x.report(sim::ViolationKind::Assertion, "the final state " + text + " was reached", "");
  }
};

std::string var_name(const ArgValue& v, const Config&) {
  const std::string& s = std::get<std::string>(v);
  return s == "x" || s == "y" || s == "z" ? "" : "'" + s + "' is not one of x, y, z";
}

}  // namespace

void register_memory_litmus_models(Registry& r) {
  ModelDef m;
  m.name = "litmus.memory";
  m.help = "memory-model litmus tests: loads, stores and fences on x, y, z, and a final-state condition";
  m.params = {{"condition", ArgType::String, "the final state to look for, e.g. \"r0=0 r1=0\" (registers r0..r7, x, y, z)",
               std::string("r0=0")}};
  m.validate = [](const Config& c) -> std::pair<std::string, std::string> {
    std::vector<Term> t;
    std::string why;
    if (!parse_condition(c.params.s("condition"), t, why)) return {"/params/condition", why};
    return {};
  };
  using L = MemLitmus;
  using X = Execution;
  const ArgDef var{"var", ArgType::String, "x, y or z", {}, var_name};
  const ArgDef reg{"reg", ArgType::Int, "the register the value goes to (0..7)", {}, int_in(0, kRegs - 1)};
  m.ops = {
      op<L>("store", "var = value (a MOV: relaxed)", {var, {"value", ArgType::Int, "the value", int64_t{1}}},
            [](L& l, X&, const Args& a) { l.var(a.s("var")).store(a.i("value"), Order::Relaxed); }),
      op<L>("load", "reg = var (a MOV: relaxed)", {var, reg},
            [](L& l, X&, const Args& a) { l.regs[static_cast<size_t>(a.i("reg"))] = l.var(a.s("var")).load(Order::Relaxed); }),
      op<L>("mfence", "a full barrier (smp_mb)", {}, [](L&, X& x, const Args&) { sim::smp_mb(x); }),
      op<L>("xchg", "reg = xchg(var, value): a locked read-modify-write",
            {var, {"value", ArgType::Int, "the value", int64_t{1}}, reg},
            [](L& l, X&, const Args& a) {
              l.regs[static_cast<size_t>(a.i("reg"))] = l.var(a.s("var")).exchange(a.i("value"), Order::SeqCst);
            }),
  };
  m.create = [](X& x, const Config& c) { return std::make_shared<L>(x, c); };
  r.add(std::move(m));
}

}  // namespace vcpucheck::models
