// What the C side of every kernel shim (linux*.cpp, freebsd.cpp) stands on: the C caller's line,
// and the running C model's World.
#pragma once
#include <memory>
#include <string>

#include "sim/c/world.hpp"

namespace vcpucheck::sim::c::shim {

// The C source line of the shim call whose return address is `ra`.
inline Loc caller(void* ra) { return World::loc_of(reinterpret_cast<uintptr_t>(ra)); }

// The running C model's World, its last store recorded. A kernel call outside one is the
// harness's mistake: a model error when an execution runs, else a clear host error.
inline World& world(const char* call, const Loc& loc) {
  if (World* w = World::current()) {
    w->flush();
    return *w;
  }
  current_execution().fail(ViolationKind::ModelError, std::string(call) + " from C code, but the model declares no sim::c::World", loc);
}

// The object of kind L at `addr`, made on first use as L(execution, name).
template <class L>
L& object_at(World& w, const void* addr, const char* call, const Loc& loc) {
  return w.object_at<L>(addr, call, loc, [&w](const std::string& name) { return std::make_shared<L>(w.exec(), name); });
}

}  // namespace vcpucheck::sim::c::shim
