// Strong ids and small value types shared by every layer.
//
// Every id is a small integer allocated in creation order inside one execution, so the same
// scenario and schedule give the same ids on any machine: nothing is named by a host pointer.
#pragma once
#include <cstdint>
#include <compare>
#include <source_location>
#include <string>
#include <version>

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
#if defined(__cpp_lib_source_location)
using Loc = std::source_location;
#else
// A library without std::source_location (libstdc++ under clang 14, which lacks the builtin it
// needs: the fuzz build): the same interface over the builtins every compiler has. Function
// names are then the plain ones (`vm_alloc_vcpu`, `operator()`), not the full signatures.
class Loc {
 public:
  static constexpr Loc current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                               const char* function = __builtin_FUNCTION()) noexcept {
    Loc l;
    l.file_ = file;
    l.line_ = line;
    l.function_ = function;
    return l;
  }
  constexpr Loc() noexcept = default;
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }
  constexpr unsigned line() const noexcept { return line_; }
  constexpr unsigned column() const noexcept { return 0; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  unsigned line_ = 0;
};
#endif

inline std::string loc_string(const Loc& l) {
  return std::string(l.file_name()) + ":" + std::to_string(l.line());
}

// The function a location is in, as a reader names it: "vm_alloc_vcpu", "Vlapic::write_icr",
// "lambda in register_litmus_models" -- no return type, parameters or namespaces.
std::string function_name(const Loc& l);
// "bhyve::vcpu_init" from a C++ function's full name (__PRETTY_FUNCTION__ or a demangled frame).
std::string short_function_name(std::string full);

// "models/bhyve/vmm.cpp:120 (vm_alloc_vcpu)"
inline std::string where(const Loc& l) { return loc_string(l) + " (" + function_name(l) + ")"; }

constexpr uint32_t kMaxThreads = 32;  // thread sets are 32-bit masks in object states

}  // namespace vcpucheck::sim
