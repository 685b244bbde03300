// Strong ids and small value types shared by every layer.
//
// Every id is a small integer allocated in creation order inside one execution, so the same
// scenario and schedule give the same ids on any machine: nothing is named by a host pointer.
#pragma once
#include <cstdint>
#include <compare>
#include <source_location>
#include <string>

namespace vcpucheck::sim {

template <class Tag>
struct Id {
  uint32_t v = UINT32_MAX;
  constexpr Id() = default;
  constexpr explicit Id(uint32_t x) : v(x) {}
  constexpr bool valid() const { return v != UINT32_MAX; }
  constexpr auto operator<=>(const Id&) const = default;
};

using ThreadId = Id<struct ThreadTag>;
using ObjectId = Id<struct ObjectTag>;
using BlockId = Id<struct BlockTag>;

// A model source location, repository-relative (the build maps the source prefix away).
using Loc = std::source_location;

inline std::string loc_string(const Loc& l) {
  return std::string(l.file_name()) + ":" + std::to_string(l.line());
}

constexpr uint32_t kMaxThreads = 32;  // thread sets are 32-bit masks in object states

}  // namespace vcpucheck::sim
