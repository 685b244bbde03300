#include "sim/fault.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "fiber_internal.hpp"

namespace vcpucheck::sim {

namespace {

constexpr int kWatchdogSignal = SIGURG;  // ignored by default: harmless if it lands late
constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

std::atomic<double> g_watchdog{10.0};

// One per host thread that runs fibers: what the watchdog watches.
struct Worker {
  pthread_t thread;
  std::atomic<uint64_t>* beat;  // changes whenever a fiber starts, yields or ends
  std::atomic<bool>* in_fiber;
  uint64_t last_beat = 0;
  std::chrono::steady_clock::time_point since;
};
std::mutex g_workers_mu;
std::vector<Worker> g_workers;

const char* signal_name(int s) {
  switch (s) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "signal";
  }
}

uintptr_t pc_of(void* uc) {
#if defined(__x86_64__)
  return static_cast<uintptr_t>(static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]);
#else
  (void)uc;
  return 0;
#endif
}

void write_line(const char* a, const char* b) {
  // async-signal-safe output
  (void)!::write(2, a, ::strlen(a));
  (void)!::write(2, b, ::strlen(b));
  (void)!::write(2, "\n", 1);
}

void on_fault(int signo, siginfo_t* info, void* uc) {
  Fault f;
  f.signo = signo;
  f.addr = reinterpret_cast<uintptr_t>(info->si_addr);
  f.pc = pc_of(uc);
  // Only a fault raised by the running fiber itself is the model's (kill -SEGV from outside is not).
  const bool synchronous = signo == SIGABRT || info->si_code > 0;
  if (synchronous && detail::escape_running_fiber(f)) return;  // never returns when it escapes
  write_line("vcpucheck: fatal: ", signo == SIGABRT ? "abort() outside any model thread (a model's destructor, or vcpucheck itself)"
                                                    : "fault outside any model thread (a model's destructor, or vcpucheck itself)");
  ::signal(signo, SIG_DFL);
  ::raise(signo);
}

void on_watchdog(int, siginfo_t*, void*) {
  Fault f;
  f.watchdog = true;
  f.seconds = g_watchdog.load();
  detail::escape_running_fiber(f);  // a fiber that has yielded meanwhile: nothing to do
}

void watchdog_loop() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double limit = g_watchdog.load();
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> g(g_workers_mu);
    for (Worker& w : g_workers) {
      const uint64_t b = w.beat->load(std::memory_order_relaxed);
      if (b != w.last_beat || !w.in_fiber->load(std::memory_order_relaxed)) {
        w.last_beat = b;
        w.since = now;
        continue;
      }
      if (limit > 0 && std::chrono::duration<double>(now - w.since).count() >= limit) {
        ::pthread_kill(w.thread, kWatchdogSignal);
        w.since = now;  // once per limit, until the fiber is gone
      }
    }
  }
}

pid_t g_pid = 0;  // the process whose watchdog runs (a forked child starts its own)

void install_once() {
  struct sigaction sa;
  ::memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  // SA_NODEFER: the handler leaves by switching to the scheduler, never by returning, so the
  // signal must not stay blocked.
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sa.sa_sigaction = on_fault;
  for (int s : kFaultSignals) ::sigaction(s, &sa, nullptr);
  sa.sa_sigaction = on_watchdog;
  ::sigaction(kWatchdogSignal, &sa, nullptr);
  // A fork (run's child per scenario) must not copy the registry while the watchdog holds it.
  ::pthread_atfork([] { g_workers_mu.lock(); }, [] { g_workers_mu.unlock(); }, [] { g_workers_mu.unlock(); });
}

}  // namespace

void arm_fault_handlers() {
  static std::once_flag once;
  std::call_once(once, install_once);
  // This thread's alternate stack, kept for the thread's life (a fault may come at any time); a
  // forked child inherits it.
  thread_local bool stack = false;
  if (!stack) {
    stack = true;
    const size_t size = 64 * 1024;
    stack_t ss;
    // mmap, not malloc: the stack lives as long as the thread, and a leak checker must not count it.
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ss.ss_sp = p == MAP_FAILED ? nullptr : p;
    ss.ss_size = size;
    ss.ss_flags = 0;
    if (ss.ss_sp) ::sigaltstack(&ss, nullptr);
  }
  thread_local pid_t registered = 0;
  const pid_t me = ::getpid();
  if (registered == me) return;
  registered = me;
  std::lock_guard<std::mutex> g(g_workers_mu);
  if (g_pid != me) {  // the first thread of this process: start its watchdog
    g_pid = me;
    g_workers.clear();  // a forked child's copy names the parent's threads
    std::thread(watchdog_loop).detach();
  }
  g_workers.push_back(Worker{::pthread_self(), &detail::fiber_beat(), &detail::fiber_running(), 0,
                             std::chrono::steady_clock::now()});
  // Threads end (run --jobs workers): each removes itself.
  struct Unregister {
    pthread_t self = ::pthread_self();
    ~Unregister() {
      std::lock_guard<std::mutex> g(g_workers_mu);
      for (size_t i = 0; i < g_workers.size(); ++i)
        if (::pthread_equal(g_workers[i].thread, self)) {
          g_workers.erase(g_workers.begin() + static_cast<long>(i));
          break;
        }
    }
  };
  thread_local Unregister unregister;
}

void set_watchdog_seconds(double s) { g_watchdog.store(s); }
double watchdog_seconds() { return g_watchdog.load(); }

std::string describe_fault(const Fault& f) {
  char buf[512];
  if (f.watchdog) {
    std::snprintf(buf, sizeof buf, "ran %.0f s without a visible operation", f.seconds);
    return buf;
  }
  std::string what = signal_name(f.signo);
  if (f.overflow) {
    what += " (stack overflow: the fiber's stack is exhausted; deep or endless recursion)";
  } else if (f.signo == SIGABRT) {
    what += " (abort() called: a failed assert() or std::abort)";
  } else if (f.signo == SIGSEGV || f.signo == SIGBUS) {
    std::snprintf(buf, sizeof buf, " (invalid access to 0x%llx%s)", (unsigned long long)f.addr,
                  f.addr < 4096 ? ", a null pointer dereference" : "");
    what += buf;
  }
  // Where, as module+offset (the same in every run, whatever the load address), and the symbol
  // when the dynamic symbol table has it.
  Dl_info info;
  if (f.pc && f.signo != SIGABRT && ::dladdr(reinterpret_cast<void*>(f.pc), &info) && info.dli_fname) {
    const char* base = ::strrchr(info.dli_fname, '/');
    std::snprintf(buf, sizeof buf, " at %s+0x%llx", base ? base + 1 : info.dli_fname,
                  (unsigned long long)(f.pc - reinterpret_cast<uintptr_t>(info.dli_fbase)));
    what += buf;
    if (info.dli_sname) {
      int status = 0;
      char* d = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
      what += std::string(" (") + (status == 0 && d ? d : info.dli_sname) + ")";
      std::free(d);
    }
  }
  return what;
}

}  // namespace vcpucheck::sim
