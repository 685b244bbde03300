#include "traces/trace.hpp"

#include "sim/json_input.hpp"

#include <fstream>
#include <cctype>
#include <sstream>

namespace vcpucheck::traces {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

ordered_json involved_json(const sim::Involved& i) {
  ordered_json j;
  j["thread"] = i.thread;
  j["what"] = i.what;
  j["loc"] = i.loc;
  j["step"] = i.step;
  return j;
}

[[noreturn]] void bad(const std::string& file, const std::string& path, const std::string& what) {
  throw TraceError(file + ": " + (path.empty() ? "" : "at " + path + ": ") + what);
}

const json& field(const json& j, const char* key, const std::string& file, const std::string& path) {
  if (!j.is_object() || !j.contains(key)) bad(file, path + "/" + key, std::string("missing field '") + key + "'");
  return j.at(key);
}

std::string str(const json& j, const char* key, const std::string& file, const std::string& path) {
  const json& v = field(j, key, file, path);
  if (!v.is_string()) bad(file, path + "/" + key, "expected a string");
  return v.get<std::string>();
}

uint64_t num(const json& j, const char* key, const std::string& file, const std::string& path) {
  const json& v = field(j, key, file, path);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    bad(file, path + "/" + key, "expected a non-negative integer");
  return v.get<uint64_t>();
}

uint64_t num_in(const json& j, const char* key, const std::string& file, const std::string& path, uint64_t lo,
                uint64_t hi) {
  const uint64_t n = num(j, key, file, path);
  if (n < lo || n > hi)
    bad(file, path + "/" + key, std::to_string(n) + " is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
  return n;
}

int64_t snum(const json& j, const char* key, const std::string& file, const std::string& path) {
  const json& v = field(j, key, file, path);
  if (!v.is_number_integer()) bad(file, path + "/" + key, "expected an integer");
  return v.get<int64_t>();
}

}  // namespace

ordered_json to_json_violation(const sim::Violation& viol) {
  ordered_json v;
  v["kind"] = sim::violation_name(viol.kind);
  v["message"] = viol.message;
  v["object"] = viol.object;
  v["step"] = viol.step;
  ordered_json inv = ordered_json::array();
  for (const auto& i : viol.involved) inv.push_back(involved_json(i));
  v["involved"] = std::move(inv);
  if (!viol.lock_order.empty()) {
    ordered_json g = ordered_json::array();
    for (const auto& e : viol.lock_order)
      g.push_back(ordered_json{{"held", e.held}, {"taken", e.taken}, {"thread", e.thread}, {"held_at", e.held_at},
                               {"taken_at", e.taken_at}, {"cycle", e.cycle}});
    v["lock_order"] = std::move(g);
  }
  return v;
}

ordered_json to_json(const Trace& t) {
  ordered_json j;
  j["format"] = t.format;
  j["tool"] = t.tool;
  j["scenario"] = ordered_json{{"file", t.scenario_file}, {"hash", t.scenario_hash}, {"content", t.scenario}};
  ordered_json c;
  c["model"] = t.config.model;
  c["switches"] = t.config.switches;
  c["strategy"] = t.config.strategy;
  c["seed"] = t.config.seed;
  if (t.config.preemptions)
    c["preemptions"] = *t.config.preemptions;
  else
    c["preemptions"] = nullptr;
  c["max_steps"] = t.config.max_steps;
  c["depth"] = t.config.depth;
  c["execution"] = t.config.execution;
  c["memory"] = t.config.memory;
  if (!t.config.library.empty()) c["library"] = ordered_json{{"file", t.config.library}, {"hash", t.config.library_hash}};
  j["config"] = c;
  j["threads"] = t.record.threads;
  j["schedule"] = t.record.schedule;
  ordered_json events = ordered_json::array();
  for (const auto& e : t.record.log) {
    ordered_json ev;
    ev["step"] = e.step;
    ev["tid"] = e.tid;
    ev["thread"] = e.thread;
    ev["op"] = e.op;
    ev["object"] = e.object;
    ev["value"] = e.value;
    ev["text"] = e.text;
    ev["loc"] = e.loc;
    ev["function"] = e.function;
    events.push_back(std::move(ev));
  }
  j["events"] = std::move(events);
  ordered_json links = ordered_json::array();
  for (const auto& l : t.record.links) {
    ordered_json lj{{"kind", sim::link_kind_name(l.kind)}, {"from", l.from}, {"to", l.to}};
    if (!l.text.empty()) lj["text"] = l.text;
    links.push_back(std::move(lj));
  }
  j["links"] = std::move(links);
  ordered_json v;
  v["outcome"] = sim::outcome_name(t.record.outcome);
  if (t.record.violation) {
    const ordered_json vj = to_json_violation(*t.record.violation);
    for (auto it = vj.begin(); it != vj.end(); ++it) v[it.key()] = it.value();
  } else {
    v["kind"] = "pass";
  }
  j["verdict"] = std::move(v);
  return j;
}

std::string serialize(const Trace& t) { return to_json(t).dump(2) + "\n"; }

Trace parse_trace(const json& j, const std::string& file) {
  if (!j.is_object()) bad(file, "/", "expected a trace object");
  const json& fmt = field(j, "format", file, "");
  if (!fmt.is_number_integer()) bad(file, "/format", "expected an integer");
  if (fmt.get<int64_t>() != kTraceFormat)
    bad(file, "/format", "trace format " + std::to_string(fmt.get<int64_t>()) + " is not supported (this vcpucheck reads format " +
                             std::to_string(kTraceFormat) + "); re-record the trace with `vcpucheck explore`");
  Trace t;
  t.tool = str(j, "tool", file, "");
  const json& sc = field(j, "scenario", file, "");
  t.scenario_file = str(sc, "file", file, "/scenario");
  t.scenario_hash = str(sc, "hash", file, "/scenario");
  t.scenario = field(sc, "content", file, "/scenario");
  const json& c = field(j, "config", file, "");
  t.config.model = str(c, "model", file, "/config");
  const json& sw = field(c, "switches", file, "/config");
  if (!sw.is_array()) bad(file, "/config/switches", "expected an array");
  for (size_t i = 0; i < sw.size(); ++i) {
    if (!sw[i].is_string()) bad(file, "/config/switches/" + std::to_string(i), "expected a string");
    t.config.switches.push_back(sw[i].get<std::string>());
  }
  t.config.strategy = str(c, "strategy", file, "/config");
  t.config.seed = num(c, "seed", file, "/config");
  const json& pre = field(c, "preemptions", file, "/config");
  // The same ranges as a scenario's (models/scenario.hpp): a trace is input too.
  if (!pre.is_null()) t.config.preemptions = static_cast<uint32_t>(num_in(c, "preemptions", file, "/config", 0, 1'000'000));
  t.config.max_steps = num_in(c, "max_steps", file, "/config", 1, 100'000'000);
  t.config.depth = static_cast<uint32_t>(num_in(c, "depth", file, "/config", 0, 1'000));
  t.config.execution = num(c, "execution", file, "/config");
  if (c.contains("memory")) {  // absent in traces written before memory models: sc
    t.config.memory = str(c, "memory", file, "/config");
    sim::MemoryModel m;
    if (!sim::memory_model_from_name(t.config.memory, m))
      bad(file, "/config/memory", "unknown memory model '" + t.config.memory + "' (known: sc, tso)");
  }
  if (c.contains("library")) {  // a model from a shared library
    const json& lib = c.at("library");
    t.config.library = str(lib, "file", file, "/config/library");
    t.config.library_hash = str(lib, "hash", file, "/config/library");
  }
  const json& th = field(j, "threads", file, "");
  if (!th.is_array()) bad(file, "/threads", "expected an array");
  for (size_t i = 0; i < th.size(); ++i) {
    if (!th[i].is_string()) bad(file, "/threads/" + std::to_string(i), "expected a string");
    t.record.threads.push_back(th[i].get<std::string>());
  }
  const json& sch = field(j, "schedule", file, "");
  if (!sch.is_array()) bad(file, "/schedule", "expected an array");
  for (size_t i = 0; i < sch.size(); ++i) {
    const std::string p = "/schedule/" + std::to_string(i);
    if (!sch[i].is_number_unsigned() || sch[i].get<uint64_t>() >= t.record.threads.size())
      bad(file, p, "expected a thread id below " + std::to_string(t.record.threads.size()));
    t.record.schedule.push_back(sch[i].get<uint32_t>());
  }
  const json& ev = field(j, "events", file, "");
  if (!ev.is_array()) bad(file, "/events", "expected an array");
  for (size_t i = 0; i < ev.size(); ++i) {
    const std::string p = "/events/" + std::to_string(i);
    checker::LogEntry l;
    l.step = num(ev[i], "step", file, p);
    l.tid = static_cast<uint32_t>(num_in(ev[i], "tid", file, p, 0, t.record.threads.empty() ? 0 : t.record.threads.size() - 1));
    l.thread = str(ev[i], "thread", file, p);
    l.op = str(ev[i], "op", file, p);
    l.object = str(ev[i], "object", file, p);
    l.value = num(ev[i], "value", file, p);
    l.text = str(ev[i], "text", file, p);
    l.loc = str(ev[i], "loc", file, p);
    l.function = str(ev[i], "function", file, p);
    t.record.log.push_back(std::move(l));
  }
  const json& lk = field(j, "links", file, "");
  if (!lk.is_array()) bad(file, "/links", "expected an array");
  for (size_t i = 0; i < lk.size(); ++i) {
    const std::string p = "/links/" + std::to_string(i);
    sim::Link l;
    const std::string kind = str(lk[i], "kind", file, p);
    bool known = false;
    for (auto k : {sim::Link::Kind::Lock, sim::Link::Kind::ReadsFrom, sim::Link::Kind::Fence, sim::Link::Kind::Wakeup,
                   sim::Link::Kind::Rcu, sim::Link::Kind::Spawn, sim::Link::Kind::Join, sim::Link::Kind::Ipi})
      if (kind == sim::link_kind_name(k)) {
        l.kind = k;
        known = true;
      }
    if (!known) bad(file, p + "/kind", "unknown link kind '" + kind + "'");
    const uint64_t last = t.record.log.empty() ? 0 : t.record.log.size() - 1;
    l.from = static_cast<uint32_t>(num_in(lk[i], "from", file, p, 0, last));
    l.to = static_cast<uint32_t>(num_in(lk[i], "to", file, p, 0, last));
    if (lk[i].contains("text")) l.text = str(lk[i], "text", file, p);
    t.record.links.push_back(std::move(l));
  }
  const json& v = field(j, "verdict", file, "");
  std::string outcome = str(v, "outcome", file, "/verdict");
  bool known = false;
  for (auto o : {sim::Outcome::Complete, sim::Outcome::Deadlock, sim::Outcome::Violation, sim::Outcome::StepBound,
                 sim::Outcome::Blocked})
    if (outcome == sim::outcome_name(o)) {
      t.record.outcome = o;
      known = true;
    }
  if (!known) bad(file, "/verdict/outcome", "unknown outcome '" + outcome + "'");
  std::string kind = str(v, "kind", file, "/verdict");
  if (kind != "pass") {
    sim::Violation viol;
    if (!sim::violation_from_name(kind, viol.kind)) bad(file, "/verdict/kind", "unknown violation kind '" + kind + "'");
    viol.message = str(v, "message", file, "/verdict");
    viol.object = str(v, "object", file, "/verdict");
    viol.step = snum(v, "step", file, "/verdict");
    const json& inv = field(v, "involved", file, "/verdict");
    if (!inv.is_array()) bad(file, "/verdict/involved", "expected an array");
    for (size_t i = 0; i < inv.size(); ++i) {
      const std::string p = "/verdict/involved/" + std::to_string(i);
      viol.involved.push_back(sim::Involved{str(inv[i], "thread", file, p), str(inv[i], "what", file, p),
                                            str(inv[i], "loc", file, p), snum(inv[i], "step", file, p)});
    }
    t.record.violation = std::move(viol);
  }
  return t;
}

Trace load_trace(const std::string& path) {
  json j;
  try {
    j = sim::read_json(path);
  } catch (const sim::JsonInputError& e) {
    throw TraceError(e.what());
  }
  return parse_trace(j, path);
}

std::string format_log(const checker::ExecutionRecord& r, bool verbose, std::optional<uint64_t> mark) {
  std::ostringstream o;
  size_t width = 6;
  for (const auto& t : r.threads) width = std::max(width, t.size());
  for (const auto& e : r.log) {
    std::string step = std::to_string(e.step);
    std::string text = e.text;
    if (text.size() < 40) text += std::string(40 - text.size(), ' ');
    const bool here = mark && *mark == e.step;
    std::string num = std::string(step.size() < 5 ? 5 - step.size() : 0, ' ') + step;
    if (here) num = num.rfind("  ", 0) == 0 ? ">>" + num.substr(2) : ">>" + num;
    o << num << "  " << e.thread << std::string(width - std::min(width, e.thread.size()), ' ') << "  " << text << "  "
      << e.function << "  " << e.loc;
    if (verbose) o << "  [" << e.op << (e.object.empty() ? "" : " " + e.object) << " value=" << e.value << "]";
    if (here) o << "   <<< the trace differs here";
    o << "\n";
  }
  return o.str();
}

namespace {
std::string ending(const checker::ExecutionRecord& r) {
  switch (r.outcome) {
    case sim::Outcome::Complete: return "no violation: every thread finished";
    case sim::Outcome::Deadlock: return "no violation reported, but the threads deadlocked";
    case sim::Outcome::StepBound: return "no violation before --max-steps cut the execution";
    case sim::Outcome::Blocked: return "no violation: the execution stopped where its schedule could not go on";
    case sim::Outcome::Violation: break;
  }
  return "no violation";
}
}  // namespace

std::string format_verdict(const checker::ExecutionRecord& r, const std::map<int64_t, checker::AccessContext>* contexts) {
  std::ostringstream o;
  if (!r.violation) {
    o << ending(r) << "\n";
    return o.str();
  }
  const sim::Violation& v = *r.violation;
  o << sim::violation_name(v.kind) << ": " << v.message << "\n";
  for (const auto& i : v.involved) {
    o << "  " << i.thread;
    if (!i.what.empty()) o << ": " << i.what;
    o << "\n      at " << i.loc;
    if (i.step >= 0) o << "  [step " << i.step << "]";
    o << "\n";
    auto c = contexts ? contexts->find(i.step) : std::map<int64_t, checker::AccessContext>::const_iterator();
    if (!contexts || c == contexts->end()) continue;
    std::string held;
    for (const auto& l : c->second.held) held += (held.empty() ? "" : ", ") + l;
    o << "      " << (held.empty() ? std::string("holding no locks") : "holding " + held) << "\n";
    // The model's frames from the access out to the thread's entry (inlined ones excepted).
    if (!c->second.stack.empty()) {
      o << "      call stack:\n";
      for (const auto& frame : c->second.stack) o << "        " << frame << "\n";
    }
  }
  return o.str();
}

std::string without_lines(const std::string& s) {
  // A source location is a file name with an extension, ':' and digits. (Scanned by hand:
  // std::regex trips GCC 12's uninitialized-use warning under the sanitizers.)
  auto path_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '.' || c == '-' || c == '/';
  };
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == ':' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      size_t b = out.size();
      while (b > 0 && path_char(out[b - 1])) --b;
      const std::string token = out.substr(b);
      const size_t dot = token.rfind('.');
      bool ext = dot != std::string::npos && dot > 0 && dot + 1 < token.size();
      for (size_t k = dot + 1; ext && k < token.size(); ++k) ext = std::isalpha(static_cast<unsigned char>(token[k]));
      if (ext) {
        out += ":#";
        for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
        }
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

Comparison compare(const checker::ExecutionRecord& want, const checker::ExecutionRecord& got) {
  Comparison c;
  const size_t n = std::min(want.log.size(), got.log.size());
  for (size_t i = 0; i < n; ++i) {
    const auto& a = want.log[i];
    const auto& b = got.log[i];
    if (a.thread != b.thread || a.op != b.op || a.object != b.object || a.value != b.value ||
        without_lines(a.text) != without_lines(b.text)) {
      c.diverged_at = i;
      c.divergence = "step " + std::to_string(i) + ": the trace has `" + a.thread + ": " + a.text + " at " + a.loc +
                     "`, the model now does `" + b.thread + ": " + b.text + " at " + b.loc + "`";
      return c;
    }
    if (a.loc != b.loc || a.function != b.function || a.text != b.text) {
      if (c.moved++ == 0) c.moved_example = a.loc + " is now " + b.loc;
    }
  }
  if (want.log.size() != got.log.size()) {
    c.diverged_at = n;
    c.divergence = want.log.size() > got.log.size()
                       ? "step " + std::to_string(n) + ": the trace has " + std::to_string(want.log.size()) +
                             " steps, the model now stops after " + std::to_string(got.log.size())
                       : "step " + std::to_string(n) + ": the trace ends after " + std::to_string(want.log.size()) +
                             " steps, the model now goes on";
    return c;
  }
  auto verdict = [](const checker::ExecutionRecord& r) {
    return r.violation ? std::string(sim::violation_name(r.violation->kind)) + ": " + r.violation->message : ending(r);
  };
  if (without_lines(verdict(want)) != without_lines(verdict(got))) {
    c.divergence = "verdict: the trace ends with `" + verdict(want) + "`, the model now ends with `" + verdict(got) + "`";
    return c;
  }
  if (want.violation && got.violation) {  // the accesses the verdict names: the same, maybe at other lines
    const auto& a = want.violation->involved;
    const auto& b = got.violation->involved;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
      if (a[i].loc != b[i].loc && a[i].thread == b[i].thread && a[i].step == b[i].step &&
          without_lines(a[i].what) == without_lines(b[i].what) && c.moved++ == 0)
        c.moved_example = a[i].loc + " is now " + b[i].loc;
  }
  return c;
}

}  // namespace vcpucheck::traces
