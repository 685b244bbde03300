// The model registry: what `vcpucheck list` shows and what scenario files may name.
//
// A model is a name, typed parameters, bug switches (each one line saying what it removes), and
// operations with typed arguments. At the start of every execution the model's create() builds
// a fresh Instance (its shared state, as sim objects); each scenario thread then runs its list of
// operations in order, and at the end of a complete execution the instance checks its
// invariants. Models are written against sim/ only: they never see a strategy or a detector.
//
// Out-of-tree models: a shared library exporting
//     extern "C" void vcpucheck_register_models(vcpucheck::models::Registry&);
// is loaded with `vcpucheck --load PATH.so`.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "sim/execution.hpp"

namespace vcpucheck::models {

enum class ArgType { Int, Bool, String };
const char* arg_type_name(ArgType t);

using ArgValue = std::variant<int64_t, bool, std::string>;

struct Config;
// Checks an argument's value when the scenario is loaded: "" when it is fine, else what is wrong
// (the loader names the JSON path, /threads/i/ops/j/args/NAME, and exits 2).
using ArgCheck = std::function<std::string(const ArgValue&, const Config&)>;

struct ArgDef {
  std::string name;
  ArgType type = ArgType::Int;
  std::string help;
  std::optional<ArgValue> def;  // absent: the argument is required
  ArgCheck check;               // optional
};

// An integer from lo to hi.
ArgCheck int_in(int64_t lo, int64_t hi);
// An integer from lo to the model parameter `param` plus `plus`, exclusive ("0..maxcpus-1").
ArgCheck int_below_param(int64_t lo, std::string param, int64_t plus = 0);

class Args {
 public:
  Args() = default;
  explicit Args(std::map<std::string, ArgValue> v) : v_(std::move(v)) {}
  int64_t i(const std::string& name) const;
  bool b(const std::string& name) const;
  const std::string& s(const std::string& name) const;
  const std::map<std::string, ArgValue>& all() const { return v_; }

 private:
  const ArgValue& get(const std::string& name) const;
  std::map<std::string, ArgValue> v_;
};

// What a scenario configured: parameters and enabled bug switches.
struct Config {
  Args params;
  std::set<std::string> switches;
  bool bug(const std::string& name) const { return switches.count(name) != 0; }
};

// A model's shared state for one execution.
class Instance {
 public:
  virtual ~Instance() = default;
  // Called at the end of every complete execution; report violations with x.report().
  virtual void check_invariants(sim::Execution&) {}
};

// An operation returns an integer a scenario can name (`"result": "fd"`) and pass to later
// operations of the same thread, or of threads it spawns (`"args": {"fd": "$fd"}`): a vCPU fd, an
// index, an error code. Operations without a result return 0.
using OpFn = std::function<int64_t(Instance&, sim::Execution&, const Args&)>;

struct OpDef {
  std::string name;
  std::string help;
  std::vector<ArgDef> args;
  OpFn run;
  bool returns = false;  // its value means something (op_returning): a scenario may name it
};

struct SwitchDef {
  std::string name;
  std::string help;  // what the switch removes
};

struct ModelDef {
  std::string name;
  std::string help;
  std::vector<ArgDef> params;
  std::vector<SwitchDef> switches;
  std::vector<OpDef> ops;
  std::function<std::shared_ptr<Instance>(sim::Execution&, const Config&)> create;
  // Optional: checks a configuration before anything runs; returns {JSON path, what is wrong}, or
  // an empty path when it is fine.
  std::function<std::pair<std::string, std::string>(const Config&)> validate;
  // The shared library the model was loaded from (`vcpucheck --load`), as given; "" when built in.
  // Set by the loader, not by the model.
  std::string library;

  const OpDef* op(const std::string& n) const;
  const SwitchDef* sw(const std::string& n) const;
};

// Typed helper: an operation on a model whose instance type is I.
template <class I>
OpDef op(std::string name, std::string help, std::vector<ArgDef> args,
         std::function<void(I&, sim::Execution&, const Args&)> fn) {
  return OpDef{std::move(name), std::move(help), std::move(args),
               [fn = std::move(fn)](Instance& in, sim::Execution& x, const Args& a) -> int64_t {
                 fn(static_cast<I&>(in), x, a);
                 return 0;
               }};
}

// An operation whose integer result a scenario can name and pass on (KVM_CREATE_VCPU's fd).
template <class I>
OpDef op_returning(std::string name, std::string help, std::vector<ArgDef> args,
                   std::function<int64_t(I&, sim::Execution&, const Args&)> fn) {
  OpDef d{std::move(name), std::move(help), std::move(args),
          [fn = std::move(fn)](Instance& in, sim::Execution& x, const Args& a) { return fn(static_cast<I&>(in), x, a); }};
  d.returns = true;
  return d;
}

class Registry {
 public:
  // Throws std::invalid_argument on a duplicate name.
  void add(ModelDef m);
  const ModelDef* find(const std::string& name) const;
  std::vector<const ModelDef*> all() const;  // sorted by name
  // While a library registers its models, the loader names it here: add() records it as each
  // model's `library`. "" again afterwards.
  void set_loading(std::string path) { loading_ = std::move(path); }

 private:
  std::map<std::string, ModelDef> models_;
  std::string loading_;
};

void register_builtin_models(Registry& r);

}  // namespace vcpucheck::models
