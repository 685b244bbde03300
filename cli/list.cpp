#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "options.hpp"

namespace vcpucheck::cli {

namespace {
std::string value_text(const models::ArgValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return "\"" + std::get<std::string>(v) + "\"";
}

nlohmann::ordered_json args_json(const std::vector<models::ArgDef>& defs) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& d : defs) {
    nlohmann::ordered_json j{{"name", d.name}, {"type", models::arg_type_name(d.type)}, {"help", d.help}};
    if (d.def) std::visit([&](const auto& v) { j["default"] = v; }, *d.def);
    a.push_back(j);
  }
  return a;
}

std::string args_text(const std::vector<models::ArgDef>& defs) {
  std::string s;
  for (const auto& d : defs)
    s += (s.empty() ? "" : ", ") + d.name + ": " + models::arg_type_name(d.type) + (d.def ? " = " + value_text(*d.def) : "");
  return s;
}
}  // namespace

int cmd_list(const models::Registry& reg, const Parsed& p) {
  if (!p.positional.empty()) throw UsageError("list takes no arguments (did you mean `vcpucheck explore`?)");
  if (p.has("json")) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const models::ModelDef* m : reg.all()) {
      nlohmann::ordered_json j{{"name", m->name}, {"help", m->help}, {"params", args_json(m->params)}};
      j["switches"] = nlohmann::ordered_json::array();
      for (const auto& s : m->switches) j["switches"].push_back({{"name", s.name}, {"help", s.help}});
      j["ops"] = nlohmann::ordered_json::array();
      for (const auto& o : m->ops) j["ops"].push_back({{"name", o.name}, {"help", o.help}, {"args", args_json(o.args)}, {"returns", o.returns}});
      out.push_back(j);
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const models::ModelDef* m : reg.all()) {
    std::cout << m->name << ": " << m->help << "\n";
    if (!m->params.empty()) std::cout << "  params: " << args_text(m->params) << "\n";
    for (const auto& o : m->ops)
      std::cout << "  op " << o.name << "(" << args_text(o.args) << ")" << (o.returns ? " -> result" : "") << ": " << o.help << "\n";
    for (const auto& s : m->switches) std::cout << "  switch " << s.name << ": " << s.help << "\n";
  }
  return 0;
}

}  // namespace vcpucheck::cli
