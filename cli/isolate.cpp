// Child processes for explore and run (sim/fault.hpp catches what model code does inside a fiber;
// a child process catches the rest).
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

}  // namespace vcpucheck::cli
