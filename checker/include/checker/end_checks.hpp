// Checks that look at an execution once it has stopped.
//
//  deadlock_report: no thread can run but some have not finished. Follows each blocked thread's
//    wait (the lock's holder, the joined thread, the reader a grace period waits for) and reports
//    the wait-for cycle when there is one, or every blocked thread and what it waits on.
//  find_leak: a heap block that was never freed and that no pointer cell still refers to.
#pragma once
#include <optional>

#include "sim/execution.hpp"

namespace vcpucheck::checker {

sim::Violation deadlock_report(const sim::Execution& x);
std::optional<sim::Violation> find_leak(const sim::Execution& x);

}  // namespace vcpucheck::checker
