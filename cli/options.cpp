#include "options.hpp"

#include <charconv>

namespace vcpucheck::cli {

std::optional<uint64_t> Parsed::number(const std::string& k, uint64_t lo, uint64_t hi) const {
  auto v = get(k);
  if (!v) return std::nullopt;
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  const std::string range = "(" + std::to_string(lo) + " to " + std::to_string(hi) + ")";
  if (ec == std::errc::result_out_of_range) throw UsageError("--" + k + " " + *v + " is out of range " + range);
  if (ec != std::errc() || p != v->data() + v->size() || v->empty())
    throw UsageError("--" + k + " expects a non-negative integer, got '" + *v + "'");
  if (out < lo || out > hi) throw UsageError("--" + k + " " + *v + " is out of range " + range);
  return out;
}

Overrides overrides_from(const Parsed& p) {
  Overrides o;
  o.minimize = !p.flags.count("no-minimize");
  o.keep_going = p.flags.count("keep-going") != 0;
  if (auto v = p.number("max-violations", 1, 10000)) {
    if (!o.keep_going) throw UsageError("--max-violations goes with --keep-going");
    o.max_violations = *v;
  }
  if (auto s = p.get("strategy")) {
    if (*s != "dpor" && *s != "random" && *s != "pct" && *s != "pos")
      throw UsageError("--strategy expects dpor, random, pct or pos, got '" + *s + "'");
    o.strategy = *s;
  }
  o.seed = p.number("seed");
  o.executions = p.number("executions", 1, models::kMaxExecutions);
  o.max_steps = p.number("max-steps", 1, models::kMaxSteps);
  if (auto v = p.number("preemptions", 0, models::kMaxPreemptions)) o.preemptions = static_cast<uint32_t>(*v);
  if (auto v = p.number("depth", 1, models::kMaxDepth)) o.depth = static_cast<uint32_t>(*v);
  if (auto m = p.get("memory")) {
    sim::MemoryModel mm;
    if (!sim::memory_model_from_name(*m, mm)) throw UsageError("--memory expects sc or tso, got '" + *m + "'");
    o.memory = mm;
  }
  return o;
}

ProgressOptions progress_options(const Parsed& p) {
  ProgressOptions po;
  if (auto v = p.number("progress", 0, 86400)) po.period = static_cast<double>(*v);
  if (auto v = p.number("time-limit", 1, 10'000'000)) po.time_limit = static_cast<double>(*v);
  return po;
}

}  // namespace vcpucheck::cli
