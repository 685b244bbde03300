// Where a counterexample's accesses came from, for its report: each access's model call stack
// (the model's functions from the thread's entry to the access) and the locks its thread held.
// Nothing is captured during the search: the executor is deterministic, so the counterexample
// is re-run once with capture on (Boost.Stacktrace, symbolized with libbacktrace from the
// binaries' debug information).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "checker/explorer.hpp"

namespace vcpucheck::checker {

struct AccessContext {
  std::vector<std::string> stack;  // model frames, innermost first: "bhyve::vcpu_init  models/src/bhyve/vmm.cpp:77"
  std::vector<std::string> held;   // the locks its thread held, in acquisition order
};

// The context of every access the record's violation involves, by step. The violation's own
// moment -- a check that fails between two steps, a NULL dereference -- is under the violation's
// step. Empty when the record no longer replays.
std::map<int64_t, AccessContext> access_contexts(const ExecutionRecord& r, const Setup& setup, const ExploreOptions& o);

}  // namespace vcpucheck::checker
