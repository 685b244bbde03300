#include "models/scenario.hpp"

#include <algorithm>

#include "sim/json_input.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace vcpucheck::models {

using nlohmann::json;

namespace {

std::string kind_of(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

struct Ctx {
  const std::string& file;
  [[noreturn]] void fail(const std::string& path, const std::string& what) const { throw InputError(file, path, what); }
  void want(const json& v, bool ok, const std::string& path, const std::string& expected) const {
    if (!ok) fail(path, "expected " + expected + ", found " + kind_of(v));
  }
  void only(const json& obj, const std::string& path, std::initializer_list<const char*> keys) const {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool known = false;
      for (const char* k : keys) known = known || it.key() == k;
      if (!known) {
        std::string list;
        for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
        fail(path + "/" + it.key(), "unknown field '" + it.key() + "' (known: " + list + ")");
      }
    }
  }
};

std::string join_names(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& n : v) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

Args parse_args(const Ctx& c, const json& j, const std::string& path, const std::vector<ArgDef>& defs,
                const std::string& what) {
  std::map<std::string, ArgValue> out;
  if (!j.is_null()) c.want(j, j.is_object(), path, "an object of arguments");
  std::vector<std::string> names;
  for (const auto& d : defs) names.push_back(d.name);
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (const auto& d : defs) known = known || d.name == it.key();
      if (!known)
        c.fail(path + "/" + it.key(), "unknown argument '" + it.key() + "' for " + what + " (takes: " + join_names(names) + ")");
    }
  for (const auto& d : defs) {
    const std::string p = path + "/" + d.name;
    if (!j.is_object() || !j.contains(d.name)) {
      if (!d.def) c.fail(p, "missing required argument '" + d.name + "' (" + arg_type_name(d.type) + ") for " + what);
      out[d.name] = *d.def;
      continue;
    }
    const json& v = j.at(d.name);
    switch (d.type) {
      case ArgType::Int:
        c.want(v, v.is_number_integer(), p, "an integer");
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
          c.fail(p, "integer out of range (at most " + std::to_string(INT64_MAX) + ")");
        out[d.name] = v.get<int64_t>();
        break;
      case ArgType::Bool:
        c.want(v, v.is_boolean(), p, "a boolean");
        out[d.name] = v.get<bool>();
        break;
      case ArgType::String:
        c.want(v, v.is_string(), p, "a string");
        out[d.name] = v.get<std::string>();
        break;
    }
  }
  return Args(std::move(out));
}

// A non-negative integer in [lo, hi]; anything else (a negative number, a fraction, a number
// beyond the range) names the field.
uint64_t get_uint(const Ctx& c, const json& obj, const char* key, const std::string& path, uint64_t def,
                  uint64_t lo = 0, uint64_t hi = UINT64_MAX) {
  if (!obj.contains(key)) return def;
  const json& v = obj.at(key);
  const std::string p = path + "/" + key;
  c.want(v, v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0), p, "a non-negative integer");
  const uint64_t n = v.get<uint64_t>();
  if (n < lo || n > hi) c.fail(p, std::to_string(n) + " is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
  return n;
}

json substitute_index(const json& v, int64_t index) {
  if (v.is_string() && v.get<std::string>() == "$i") return index;
  if (v.is_array() || v.is_object()) {
    json out = v;
    for (auto it = out.begin(); it != out.end(); ++it) *it = substitute_index(*it, index);
    return out;
  }
  return v;
}


// A thread's list of operations: each {"op", "args", "result"} or {"spawn": {"name", "ops"}}.
// `known` are the results bound before this point in this thread (and, for a spawned thread, in
// the thread that started it): what a "$name" argument may take.
struct OpsParser {
  const Ctx& c;
  Scenario& s;
  std::set<std::string>& names;
  size_t& spawned;
  std::string copy;  // a counted thread's copy index, appended to the names of threads it spawns

  void parse(const json& ops, const std::string& path, std::set<std::string> known, ThreadSpec& spec) {
    if (!names.insert(spec.name).second) c.fail(path.substr(0, path.rfind('/')) + "/name", "two threads named '" + spec.name + "'");
    const std::string& model = s.model->name;
    for (size_t oi = 0; oi < ops.size(); ++oi) {
      const std::string op_path = path + "/" + std::to_string(oi);
      const json& o = ops[oi];
      c.want(o, o.is_object(), op_path, "an operation object {\"op\": NAME, \"args\": {...}} or {\"spawn\": THREAD}");
      if (o.contains("spawn")) {
        c.only(o, op_path, {"spawn"});
        const json& t = o["spawn"];
        const std::string tp = op_path + "/spawn";
        c.want(t, t.is_object(), tp, "a thread object {\"name\": ..., \"ops\": [...]}");
        c.only(t, tp, {"name", "ops"});
        if (!t.contains("name")) c.fail(tp + "/name", "missing field 'name'");
        c.want(t["name"], t["name"].is_string(), tp + "/name", "a string");
        if (!t.contains("ops")) c.fail(tp + "/ops", "missing field 'ops'");
        c.want(t["ops"], t["ops"].is_array(), tp + "/ops", "an array of operations");
        OpCall call;
        call.spawn = std::make_shared<ThreadSpec>();
        call.spawn->name = t["name"].get<std::string>() + copy;
        ++spawned;
        parse(t["ops"], tp + "/ops", known, *call.spawn);
        spec.ops.push_back(std::move(call));
        continue;
      }
      c.only(o, op_path, {"op", "args", "result"});
      if (!o.contains("op")) c.fail(op_path + "/op", "missing field 'op'");
      c.want(o["op"], o["op"].is_string(), op_path + "/op", "an operation name (string)");
      std::string name = o["op"].get<std::string>();
      const OpDef* def = s.model->op(name);
      if (!def) {
        std::vector<std::string> known_ops;
        for (const auto& d : s.model->ops) known_ops.push_back(d.name);
        c.fail(op_path + "/op", "unknown operation '" + name + "' for model '" + model + "' (known: " + join_names(known_ops) + ")");
      }
      OpCall call;
      call.def = def;
      // "$name" arguments take an earlier result: checked here, filled in when the thread runs.
      json args = o.value("args", json());
      if (args.is_object())
        for (auto it = args.begin(); it != args.end(); ++it) {
          if (!it->is_string() || it->get<std::string>().rfind('$', 0) != 0) continue;
          const std::string ref = it->get<std::string>().substr(1);
          const std::string ap = op_path + "/args/" + it.key();
          if (!known.count(ref))
            c.fail(ap, "'$" + ref + "' names no result of an earlier operation of this thread" +
                           (known.empty() ? std::string(" (none has a \"result\" yet)")
                                          : " (results so far: " + join_names({known.begin(), known.end()}) + ")"));
          for (const ArgDef& d : def->args)
            if (d.name == it.key() && d.type != ArgType::Int) c.fail(ap, "a result is an integer; '" + d.name + "' is not");
          call.refs[it.key()] = ref;
          *it = 0;
        }
      call.args = parse_args(c, args, op_path + "/args", def->args, "operation '" + name + "'");
      for (const ArgDef& d : def->args)
        if (d.check && !call.refs.count(d.name))
          if (std::string bad = d.check(call.args.all().at(d.name), s.config); !bad.empty())
            c.fail(op_path + "/args/" + d.name, d.name + " " + bad);
      if (o.contains("result")) {
        c.want(o["result"], o["result"].is_string() && !o["result"].get<std::string>().empty(), op_path + "/result",
               "a name (string)");
        if (!def->returns) c.fail(op_path + "/result", "operation '" + name + "' returns no result");
        call.result = o["result"].get<std::string>();
        if (call.result == "i") c.fail(op_path + "/result", "'i' is taken: \"$i\" is a counted thread's index");
        known.insert(call.result);
      }
      spec.ops.push_back(std::move(call));
    }
  }
};

// Runs a thread's operations; `results` are the values bound so far ("result").
void run_ops(Instance& inst, sim::Execution& x, const std::vector<OpCall>& ops, std::map<std::string, int64_t> results) {
  for (const OpCall& c : ops) {
    if (c.spawn) {
      const ThreadSpec* t = c.spawn.get();
      x.spawn(t->name, [&inst, &x, t, results] { run_ops(inst, x, t->ops, results); });
      continue;
    }
    int64_t v = 0;
    if (c.refs.empty()) {
      v = c.def->run(inst, x, c.args);
    } else {
      std::map<std::string, ArgValue> a = c.args.all();
      for (const auto& [arg, ref] : c.refs) a[arg] = results.at(ref);
      v = c.def->run(inst, x, Args(std::move(a)));
    }
    if (!c.result.empty()) results[c.result] = v;
  }
}
}  // namespace

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

json read_json_file(const std::string& path) {
  try {
    return sim::read_json(path);
  } catch (const sim::JsonInputError& e) {
    throw InputError(path, e.path(), e.reason());
  }
}

namespace {
Scenario parse_checked(const json& j, const std::string& file, const Registry& reg);
}

Scenario parse_scenario(const json& j, const std::string& file, const Registry& reg) {
  try {
    return parse_checked(j, file, reg);
  } catch (const json::exception& e) {  // a check this loader misses is still one line, never an abort
    throw InputError(file, "", std::string("unexpected JSON: ") + e.what());
  }
}

namespace {
Scenario parse_checked(const json& j, const std::string& file, const Registry& reg) {
  Ctx c{file};
  Scenario s;
  s.file = file;
  s.source = j;
  s.hash = fnv1a_hex(j.dump());
  c.want(j, j.is_object(), "/", "a scenario object");
  c.only(j, "", {"name", "description", "model", "params", "switches", "threads", "strategy", "expect", "memory"});
  if (j.contains("memory")) {
    c.want(j["memory"], j["memory"].is_string(), "/memory", "\"sc\" or \"tso\"");
    if (!sim::memory_model_from_name(j["memory"].get<std::string>(), s.strategy.memory))
      c.fail("/memory", "unknown memory model '" + j["memory"].get<std::string>() + "' (known: sc, tso)");
  }

  if (!j.contains("model")) c.fail("/model", "missing field 'model'");
  c.want(j["model"], j["model"].is_string(), "/model", "a model name (string)");
  std::string model = j["model"].get<std::string>();
  s.model = reg.find(model);
  if (!s.model) {
    std::vector<std::string> known;
    for (const ModelDef* m : reg.all()) known.push_back(m->name);
    c.fail("/model", "unknown model '" + model + "' (known: " + join_names(known) + ")");
  }
  if (j.contains("name")) c.want(j["name"], j["name"].is_string(), "/name", "a string");
  if (j.contains("description")) c.want(j["description"], j["description"].is_string(), "/description", "a string");
  s.name = j.value("name", std::string());
  s.description = j.value("description", std::string());
  s.config.params = parse_args(c, j.value("params", json()), "/params", s.model->params, "model '" + model + "'");

  if (j.contains("switches")) {
    const json& sw = j["switches"];
    c.want(sw, sw.is_array(), "/switches", "an array of bug switch names");
    for (size_t i = 0; i < sw.size(); ++i) {
      const std::string p = "/switches/" + std::to_string(i);
      c.want(sw[i], sw[i].is_string(), p, "a bug switch name (string)");
      std::string name = sw[i].get<std::string>();
      if (!s.model->sw(name)) {
        std::vector<std::string> known;
        for (const auto& d : s.model->switches) known.push_back(d.name);
        c.fail(p, "unknown bug switch '" + name + "' for model '" + model + "' (known: " + join_names(known) + ")");
      }
      s.config.switches.insert(name);
    }
  }

  if (s.model->validate)
    if (auto [path, what] = s.model->validate(s.config); !path.empty()) c.fail(path, what);

  if (!j.contains("threads")) c.fail("/threads", "missing field 'threads'");
  const json& th = j["threads"];
  c.want(th, th.is_array() && !th.empty(), "/threads", "a non-empty array of threads");
  std::set<std::string> names;  // every thread's, spawned ones included: each names one thread
  size_t spawned = 0;
  for (size_t ti = 0; ti < th.size(); ++ti) {
    const std::string tp = "/threads/" + std::to_string(ti);
    const json& t = th[ti];
    c.want(t, t.is_object(), tp, "a thread object");
    c.only(t, tp, {"name", "count", "ops"});
    if (!t.contains("name")) c.fail(tp + "/name", "missing field 'name'");
    c.want(t["name"], t["name"].is_string(), tp + "/name", "a string");
    uint64_t count = get_uint(c, t, "count", tp, 1, 1, sim::kMaxThreads);
    if (!t.contains("ops")) c.fail(tp + "/ops", "missing field 'ops'");
    c.want(t["ops"], t["ops"].is_array(), tp + "/ops", "an array of operations");
    std::string base = t["name"].get<std::string>();
    for (uint64_t k = 0; k < count; ++k) {
      // In a thread with a count, an argument written "$i" is the copy's 1-based index.
      const json ops = substitute_index(t["ops"], static_cast<int64_t>(k + 1));
      ThreadSpec spec;
      spec.name = count == 1 ? base : base + std::to_string(k + 1);
      OpsParser{c, s, names, spawned, count == 1 ? "" : std::to_string(k + 1)}.parse(ops, tp + "/ops", {}, spec);
      s.threads.push_back(std::move(spec));
    }
  }
  if (s.threads.size() + spawned > sim::kMaxThreads)
    c.fail("/threads", "too many threads: " + std::to_string(s.threads.size() + spawned) + " (at most " +
                           std::to_string(sim::kMaxThreads) + ", threads started by \"spawn\" included)");

  if (j.contains("strategy")) {
    const json& st = j["strategy"];
    c.want(st, st.is_object(), "/strategy", "an object");
    c.only(st, "/strategy", {"name", "seed", "executions", "depth", "preemptions", "max_steps"});
    if (st.contains("name")) {
      c.want(st["name"], st["name"].is_string(), "/strategy/name", "a string");
      s.strategy.name = st["name"].get<std::string>();
      if (s.strategy.name != "dpor" && s.strategy.name != "random" && s.strategy.name != "pct" &&
          s.strategy.name != "pos")
        c.fail("/strategy/name", "unknown strategy '" + s.strategy.name + "' (known: dpor, random, pct, pos)");
    }
    s.strategy.seed = get_uint(c, st, "seed", "/strategy", 1);
    s.strategy.executions = get_uint(c, st, "executions", "/strategy", s.strategy.name == "dpor" ? 0 : 1000, 0, kMaxExecutions);
    s.strategy.depth = static_cast<uint32_t>(get_uint(c, st, "depth", "/strategy", 3, 1, kMaxDepth));
    if (st.contains("preemptions"))
      s.strategy.preemptions = static_cast<uint32_t>(get_uint(c, st, "preemptions", "/strategy", 0, 0, kMaxPreemptions));
    s.strategy.max_steps = get_uint(c, st, "max_steps", "/strategy", 10000, 1, kMaxSteps);
  } else {
    s.strategy.executions = 0;
  }

  if (!j.contains("expect")) {  // explore reports what it finds; run needs a verdict to check
    s.expect.stated = false;
    return s;
  }
  const json& ex = j["expect"];
  c.want(ex, ex.is_object(), "/expect", "an object");
  c.only(ex, "/expect", {"verdict", "verdicts", "executions", "object", "step_bound"});
  if (ex.contains("step_bound")) {
    const json& sb = ex["step_bound"];
    c.want(sb, sb.is_string(), "/expect/step_bound", "\"allowed\" or \"forbidden\"");
    const std::string v = sb.get<std::string>();
    if (v != "allowed" && v != "forbidden")
      c.fail("/expect/step_bound", "expected \"allowed\" or \"forbidden\", found '" + v + "'");
    s.expect.step_bound_allowed = v == "allowed";
  }
  if (ex.contains("verdicts")) {
    if (ex.contains("verdict")) c.fail("/expect/verdicts", "give 'verdict' or 'verdicts', not both");
    const json& vs = ex["verdicts"];
    c.want(vs, vs.is_array() && !vs.empty(), "/expect/verdicts", "a non-empty array of violation kinds");
    for (size_t i = 0; i < vs.size(); ++i) {
      const std::string path = "/expect/verdicts/" + std::to_string(i);
      c.want(vs[i], vs[i].is_string(), path, "a violation kind");
      sim::ViolationKind k;
      if (!sim::violation_from_name(vs[i].get<std::string>(), k))
        c.fail(path, "unknown violation kind '" + vs[i].get<std::string>() + "'");
      if (std::find(s.expect.verdicts.begin(), s.expect.verdicts.end(), k) != s.expect.verdicts.end())
        c.fail(path, "'" + vs[i].get<std::string>() + "' is listed twice");
      s.expect.verdicts.push_back(k);
    }
    for (const char* f : {"executions", "object"})
      if (ex.contains(f)) c.fail(std::string("/expect/") + f, std::string("'") + f + "' does not go with 'verdicts'");
    s.expect.pass = false;
    s.expect.violation = s.expect.verdicts[0];
    return s;
  }
  if (!ex.contains("verdict")) c.fail("/expect/verdict", "missing field 'verdict' (or 'verdicts')");
  c.want(ex["verdict"], ex["verdict"].is_string(), "/expect/verdict", "\"pass\" or a violation kind");
  std::string verdict = ex["verdict"].get<std::string>();
  if (verdict == "pass") {
    s.expect.pass = true;
    if (ex.contains("executions")) s.expect.executions = get_uint(c, ex, "executions", "/expect", 0, 0, kMaxExecutions);
    if (ex.contains("object")) c.fail("/expect/object", "'object' goes with a violation verdict, not \"pass\"");
  } else {
    s.expect.pass = false;
    if (!sim::violation_from_name(verdict, s.expect.violation))
      c.fail("/expect/verdict", "unknown verdict '" + verdict +
                                    "' (\"pass\", or one of: data-race, use-before-init, null-deref, use-after-free, "
                                    "double-free, out-of-bounds, leak, deadlock, lock-order-inversion, assertion, "
                                    "invariant, blocking-in-critical-section, illegal-transition, lock-misuse, locking-rule, liveness, warning, guest-fault, model-crash, model-error)");
    if (ex.contains("executions")) c.fail("/expect/executions", "'executions' goes with \"pass\"");
    if (ex.contains("object")) {
      c.want(ex["object"], ex["object"].is_string(), "/expect/object", "a string");
      s.expect.object = ex["object"].get<std::string>();
    }
  }
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path, const Registry& reg) {
  return parse_scenario(read_json_file(path), path, reg);
}

void setup_scenario(const Scenario& s, sim::Execution& x) {
  std::shared_ptr<Instance> inst = s.model->create(x, s.config);
  x.model = inst;
  Instance* raw = inst.get();
  for (const ThreadSpec& t : s.threads) {
    const std::vector<OpCall>* ops = &t.ops;
    x.spawn(t.name, [raw, ops, &x] { run_ops(*raw, x, *ops, {}); });
  }
  x.on_end([raw, &x] { raw->check_invariants(x); });
}

}  // namespace vcpucheck::models
