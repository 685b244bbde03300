// Child processes for explore and run (sim/fault.hpp catches what model code does inside a fiber;
// a child process catches the rest).
//
// explore forks while it has one thread, and the child goes on with the search. run cannot: its
// workers, its progress line and its output run on threads, and a child forked from a process
// with several threads inherits every lock another thread held at that instant (it deadlocked in
// AddressSanitizer's allocator). So run starts each search as a new vcpucheck process
// (spawn_search): between fork and exec the child only makes system calls.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "monitor.hpp"

namespace vcpucheck::cli {

std::string died_of(int status) {
  const int sig = WTERMSIG(status);
  return std::string("vcpucheck died of ") + ::strsignal(sig) + " (signal " + std::to_string(sig) +
         ") outside any model thread: in a model's destructor, or in vcpucheck itself";
}

void die_with_parent(pid_t parent) {
  stop_handlers_in_child();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);  // the parent died before prctl took effect
}

int in_child(const std::string& file, const std::function<int()>& body) {
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return body();  // no child: run it here
  if (pid == 0) {
    die_with_parent(parent);
    int code = body();
    std::cout.flush();
    std::fflush(nullptr);
    ::_exit(code);
  }
  register_child(pid);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  unregister_child(pid);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::cout << file << ": model-crash: " << died_of(status) << " (no trace: the process is gone)" << std::endl;
  return 1;
}

pid_t spawn_search(const std::vector<std::string>& args, const std::vector<std::pair<int, int>>& fds) {
  // Everything the child needs is built before the fork.
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // No signal handler of this process may run in the child before exec: all blocked around the fork.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The child ignores SIGINT and SIGTERM (its parent stops it) and keeps stop_signal() blocked
    // until its own handler is installed (install_stop_handlers); both survive exec.
    struct sigaction sa;
    ::memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    sa.sa_handler = SIG_DFL;
    ::sigaction(stop_signal(), &sa, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);
    // Through copies above every target, so a target that is another descriptor's source is not
    // overwritten before it is copied.
    int high[8];
    if (fds.size() > 8) ::_exit(127);
    for (size_t i = 0; i < fds.size(); ++i)
      if ((high[i] = ::fcntl(fds[i].first, F_DUPFD_CLOEXEC, 100)) < 0) ::_exit(127);
    for (size_t i = 0; i < fds.size(); ++i)
      if (::dup2(high[i], fds[i].second) < 0) ::_exit(127);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, stop_signal());
    ::pthread_sigmask(SIG_SETMASK, &stop, nullptr);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid > 0) register_child(pid);
  return pid;
}

}  // namespace vcpucheck::cli
