// Shared by the fuzz targets: the built-in models (as the unit tests build them), and the rule
// every rejection must follow.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../support.hpp"

namespace vcpucheck::fuzz {

using test::registry;

// Bad input is one line naming the file; anything else is a finding.
inline void one_line_naming(const std::string& msg, const char* file) {
  if (msg.empty() || msg.find('\n') != std::string::npos || msg.find(file) == std::string::npos) {
    std::fprintf(stderr, "bad error message: [%s]\n", msg.c_str());
    std::abort();
  }
}

}  // namespace vcpucheck::fuzz
