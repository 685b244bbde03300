// A command's parsed options (commands.hpp parses them): every number is checked here, and a
// mistake is a UsageError naming the option.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli.hpp"
#include "monitor.hpp"

namespace vcpucheck::cli {

struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // --key value
  std::set<std::string> flags;                // --flag

  bool has(const std::string& k) const { return values.count(k) || flags.count(k); }
  std::optional<std::string> get(const std::string& k) const {
    auto it = values.find(k);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  // The option's value as an integer in [lo, hi]; a UsageError naming it otherwise.
  std::optional<uint64_t> number(const std::string& k, uint64_t lo = 0, uint64_t hi = UINT64_MAX) const;
};

Overrides overrides_from(const Parsed& p);
// --progress SECONDS and --time-limit SECONDS
ProgressOptions progress_options(const Parsed& p);

}  // namespace vcpucheck::cli
