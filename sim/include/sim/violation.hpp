// What an execution can find wrong. A violation stops the execution that found it; the explorer
// decides whether the search goes on.
#pragma once
#include <string>
#include <vector>

#include "sim/types.hpp"

namespace vcpucheck::sim {

enum class ViolationKind : uint8_t {
  DataRace,
  UseBeforeInit,
  NullDeref,
  UseAfterFree,
  DoubleFree,
  OutOfBounds,
  Leak,
  Deadlock,
  LockOrder,
  Assertion,          // KASSERT / panic / a model's own assert
  Invariant,          // a model invariant checked at the end of an execution
  BlockingInCritical, // a blocking operation inside a critical section or under a spin mutex
  IllegalTransition,  // an edge missing from a state machine's table
  LockMisuse,         // unlock of a lock not held, recursion on a non-recursive lock
  LockingRule,        // a field accessed without what its annotation requires (bhyve's [v])
  Liveness,           // an expected event never happened although every thread is done or blocked
  Warning,            // WARN_ON: reported, yet the execution went on (the first one, if nothing worse followed)
  GuestFault,         // a guest CPU faulted (an exception, an invalid instruction, unmapped memory)
  ModelCrash,         // model code crashed (a signal: null dereference, stack overflow, abort) or hung (fault.hpp)
  ModelError,         // the model itself threw or misused the API
};

const char* violation_name(ViolationKind k);
// Parses the name used in scenario files and traces ("data-race", "use-after-free"...).
bool violation_from_name(const std::string& s, ViolationKind& out);

// One access or step involved in a violation, as a user reads it.
struct Involved {
  std::string thread;
  std::string what;  // "write vm.vcpu[3].state = 2"
  std::string loc;   // "models/bhyve/vmm.cpp:120 (vm_alloc_vcpu)"
  int64_t step = -1;
};

// One edge of the lock-order graph a lock-order inversion refers to: `taken` was acquired while
// `held` was held, first by `thread` at `taken_at` (holding `held` since `held_at`).
struct LockEdge {
  std::string held, taken, thread, held_at, taken_at;
  bool cycle = false;  // on the inversion's cycle
};

struct Violation {
  ViolationKind kind = ViolationKind::Assertion;
  std::string message;
  std::string object;  // the object it names, if any
  std::vector<Involved> involved;
  int64_t step = -1;
  std::vector<LockEdge> lock_order;  // a lock-order inversion: the whole graph the search built
};

}  // namespace vcpucheck::sim
