// Between fiber.cpp and fault.cpp: which fiber runs on this host thread, and the way out of it
// when it faults (fault.hpp).
#pragma once
#include <atomic>
#include <cstdint>

#include "sim/fault.hpp"

namespace vcpucheck::sim::detail {

// This host thread's heartbeat: changes whenever a fiber is resumed, yields or ends.
std::atomic<uint64_t>& fiber_beat();
// Whether a fiber runs on this host thread now.
std::atomic<bool>& fiber_running();
// From a signal handler: if a fiber runs on this thread, records `f` in it and switches back to
// its scheduler, never to return. Returns false when no fiber runs.
bool escape_running_fiber(Fault f);

}  // namespace vcpucheck::sim::detail
