#include "models/registry.hpp"

#include <stdexcept>

namespace vcpucheck::models {

const char* arg_type_name(ArgType t) {
  switch (t) {
    case ArgType::Int: return "integer";
    case ArgType::Bool: return "boolean";
    case ArgType::String: return "string";
  }
  return "?";
}

const ArgValue& Args::get(const std::string& name) const {
  auto it = v_.find(name);
  if (it == v_.end()) throw std::logic_error("model asked for undeclared argument '" + name + "'");
  return it->second;
}
int64_t Args::i(const std::string& name) const { return std::get<int64_t>(get(name)); }
bool Args::b(const std::string& name) const { return std::get<bool>(get(name)); }
const std::string& Args::s(const std::string& name) const { return std::get<std::string>(get(name)); }

const OpDef* ModelDef::op(const std::string& n) const {
  for (const auto& o : ops)
    if (o.name == n) return &o;
  return nullptr;
}

const SwitchDef* ModelDef::sw(const std::string& n) const {
  for (const auto& s : switches)
    if (s.name == n) return &s;
  return nullptr;
}

void Registry::add(ModelDef m) {
  std::string name = m.name;
  m.library = loading_;
  if (!models_.emplace(name, std::move(m)).second) throw std::invalid_argument("model '" + name + "' registered twice");
}

const ModelDef* Registry::find(const std::string& name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : &it->second;
}

std::vector<const ModelDef*> Registry::all() const {
  std::vector<const ModelDef*> out;
  for (const auto& [_, m] : models_) out.push_back(&m);
  return out;
}

ArgCheck int_in(int64_t lo, int64_t hi) {
  return [lo, hi](const ArgValue& v, const Config&) -> std::string {
    const int64_t n = std::get<int64_t>(v);
    if (n >= lo && n <= hi) return "";
    return std::to_string(n) + " is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")";
  };
}

ArgCheck int_below_param(int64_t lo, std::string param, int64_t plus) {
  return [lo, param, plus](const ArgValue& v, const Config& c) -> std::string {
    const int64_t n = std::get<int64_t>(v);
    const int64_t end = c.params.i(param) + plus;
    if (n >= lo && n < end) return "";
    std::string upper = plus == 0 ? param + "-1" : plus == 1 ? param : param + (plus > 0 ? "+" : "") + std::to_string(plus - 1);
    return std::to_string(n) + " is out of range (" + std::to_string(lo) + " to " + upper + ", which is " +
           std::to_string(end - 1) + " here)";
  };
}

}  // namespace vcpucheck::models
