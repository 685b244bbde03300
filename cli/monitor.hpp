// While a search runs: the progress the user sees on stderr, and how a search is stopped early.
//
// Stopping. The first SIGINT or SIGTERM -- or the end of --time-limit -- asks every search to end
// cleanly after its current execution: it prints its summary so far, writes the traces of what it
// found and the reports asked for, and vcpucheck exits kInterrupted. A second SIGINT or SIGTERM
// ends vcpucheck at once. Searches run in child processes (isolate.cpp): a child ignores SIGINT
// and SIGTERM (a terminal's Ctrl-C reaches the whole process group) and takes its stop request
// from its parent as stop_signal(), so one Ctrl-C is one request however many processes see it.
//
// Progress. On a terminal, a live line rewritten in place; otherwise (a CI log) one line every
// --progress seconds. The clock decides only what is printed and when the time limit ends the
// search, never which executions a search explores.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace vcpucheck::cli {

inline constexpr int kExitInterrupted = 3;  // beside 0 pass, 1 violation, 2 bad input

// Installed once, first thing in every vcpucheck process.
void install_stop_handlers();
// Called first in a forked search process.
void stop_handlers_in_child();
// The signal a parent sends its search processes to stop them (SIGUSR1).
int stop_signal();
// The descriptor of the shared page that holds why the first stop came (-1 without one); a
// started search process is given it and maps it with attach_stop_reason.
int stop_reason_fd();
void attach_stop_reason(int fd);
// True once a stop was requested; the flag searches poll between executions.
const std::atomic<bool>& stop_requested();
// Requests a stop as a signal does (the time limit, or the fork-less fallback of a child).
void request_stop(const std::string& why);
// Why the search was stopped: "SIGINT", "SIGTERM", "--time-limit 30"; "" when it was not.
std::string stop_reason();
// Children that get kStopSignal when a stop is requested (at most kMaxChildren at a time).
void register_child(pid_t pid);
void unregister_child(pid_t pid);

struct ProgressOptions {
  double period = 10;      // seconds between lines on a non-terminal; 0: no progress lines
  double time_limit = 0;   // seconds; 0: none
};

// A thread that prints `line()` as progress and enforces the time limit, from construction to
// destruction. `line` is called on that thread: it must read only what is safe to read there.
class Monitor {
 public:
  Monitor(const ProgressOptions& o, std::function<std::string(double elapsed)> line);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  double elapsed() const;

 private:
  void loop();
  ProgressOptions opt_;
  std::function<std::string(double)> line_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool live_shown_ = false;
  std::thread thread_;
};

// "1,234,567"
std::string thousands(uint64_t n);

}  // namespace vcpucheck::cli
