// Faults of model code, caught where they happen: a model is C++ and can do anything.
//
// While a simulated thread's fiber runs, a synchronous fault -- SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// or SIGABRT from abort() or a failed assert() -- does not kill vcpucheck. The handler runs on
// an alternate signal stack (so a fiber's stack overflow, which hits the guard page below every
// pooled stack, is caught too), records the fault in the fiber, and switches back to the
// scheduler. The fiber is abandoned, never resumed or unwound; the execution ends with a
// model-error violation naming the signal, the address, the faulting function where the symbol
// table knows it, and the thread's last visible operation. Replaying the trace faults the same
// way at the same step.
//
// The watchdog: a thread that runs longer than a limit of host time without a visible operation
// (a loop that never reads shared state, a guest spinning on its own registers) is stopped the
// same way and reported as "thread T ran N s without a visible operation after <location>".
// This is the one place host time decides anything; it only ever turns a hang into a report.
// The watchdog's signal is asynchronous: a thread stopped inside the C library (in malloc, say)
// leaves it as it was, so after a watchdog report the process only reports and ends its search.
//
// The model builds its world and runs its end-of-execution checks in fibers too (explorer.cpp,
// Execution::run). A fault outside any fiber (a model's destructor, or vcpucheck itself) cannot
// be recovered: it prints one line saying so and the process dies of the signal, which `explore`
// and `run` survive by running each search in a child process (cli/isolate.cpp).
#pragma once
#include <cstdint>
#include <string>

namespace vcpucheck::sim {

struct Fault {
  int signo = 0;
  uintptr_t addr = 0;   // the faulting address (SIGSEGV, SIGBUS)
  uintptr_t pc = 0;     // the faulting instruction
  bool overflow = false;  // the address is in the fiber's guard page: its stack overflowed
  bool watchdog = false;  // stopped by the watchdog, not by a fault
  double seconds = 0;     // watchdog: how long the thread ran without a visible operation
};

// Installs the handlers (once per process) and the calling thread's alternate signal stack
// (once per thread). Every thread that runs executions calls it; Execution::run does.
void arm_fault_handlers();

// The watchdog limit in seconds; 0 turns it off. Process-wide; default 10.
void set_watchdog_seconds(double s);
double watchdog_seconds();

// "SIGSEGV (invalid access to 0x0) in f() at pc 0x...": what a fault was, in one line.
std::string describe_fault(const Fault& f);

}  // namespace vcpucheck::sim
