#include "monitor.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>

namespace vcpucheck::cli {

namespace {

constexpr int kStopSignal = SIGUSR1;
constexpr size_t kMaxChildren = 512;

std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};  // stop signals received by this process
std::atomic<pid_t> g_children[kMaxChildren];

// Why the first stop came, in memory shared with every search process (a memfd page: forked
// children inherit the mapping, started ones map the descriptor they are given), so a child
// stopped by its parent reports the user's reason, not the parent's signal.
struct Why {
  std::atomic<int> cause{0};  // SIGINT, SIGTERM, or -1 for request_stop()
  char text[96] = {};         // request_stop()'s reason
};
Why g_local_why;
Why* g_why = &g_local_why;
int g_why_fd = -1;

void signal_children() {
  for (auto& c : g_children)
    if (pid_t p = c.load(); p > 0) ::kill(p, kStopSignal);
}

void on_stop_signal(int sig) {  // async-signal-safe: atomics, kill, signal, raise
  if (g_signals.fetch_add(1) > 0 && sig != kStopSignal) {  // the second: end now
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  int none = 0;
  if (sig != kStopSignal) g_why->cause.compare_exchange_strong(none, sig);
  g_stop.store(true);
  signal_children();
}

void handle(int sig, void (*fn)(int)) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = fn;
  ::sigaction(sig, &sa, nullptr);
}

Why* map_why(int fd) {
  void* p = ::mmap(nullptr, sizeof(Why), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : static_cast<Why*>(p);
}

// SIGINT or SIGTERM ignored when vcpucheck started (a background job of a script, or a search
// process its parent started) stays ignored, as Unix programs do.
bool ignored_at_start(int sig) {
  struct sigaction old;
  return ::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN;
}

}  // namespace

void install_stop_handlers() {
  const int fd = ::memfd_create("vcpucheck-stop", MFD_CLOEXEC);
  if (fd >= 0 && ::ftruncate(fd, sizeof(Why)) == 0) {
    if (Why* w = map_why(fd)) {
      g_why = new (w) Why;
      g_why_fd = fd;
    }
  }
  if (g_why_fd < 0 && fd >= 0) ::close(fd);
  for (int sig : {SIGINT, SIGTERM})
    if (!ignored_at_start(sig)) handle(sig, on_stop_signal);
  handle(kStopSignal, on_stop_signal);
  // A started search process has kStopSignal blocked until here (spawn_search, isolate.cpp): one
  // sent before this handler existed is delivered now, instead of killing it.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kStopSignal);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

int stop_reason_fd() { return g_why_fd; }

void attach_stop_reason(int fd) {
  if (Why* w = map_why(fd)) g_why = w;
}

int stop_signal() { return kStopSignal; }

void stop_handlers_in_child() {
  for (auto& c : g_children) c.store(0);  // the parent's children are not this one's
  handle(SIGINT, SIG_IGN);
  handle(SIGTERM, SIG_IGN);
  handle(kStopSignal, on_stop_signal);
}

const std::atomic<bool>& stop_requested() { return g_stop; }

void request_stop(const std::string& why) {
  static std::mutex mu;  // two time limits at once: one text
  {
    std::lock_guard<std::mutex> g(mu);
    if (g_why->cause.load() == 0) {
      std::snprintf(g_why->text, sizeof g_why->text, "%s", why.c_str());
      int none = 0;
      g_why->cause.compare_exchange_strong(none, -1);
    }
  }
  g_stop.store(true);
  signal_children();
}

std::string stop_reason() {
  const int w = g_why->cause.load();
  if (w == SIGINT) return "SIGINT";
  if (w == SIGTERM) return "SIGTERM";
  if (w == -1) return g_why->text;
  return g_stop.load() ? "a stop request" : "";
}

void register_child(pid_t pid) {
  for (auto& c : g_children) {
    pid_t none = 0;
    if (c.compare_exchange_strong(none, pid)) {
      if (g_stop.load()) ::kill(pid, kStopSignal);  // a stop that came while it was forked
      return;
    }
  }
}

void unregister_child(pid_t pid) {
  for (auto& c : g_children) {
    pid_t p = pid;
    if (c.compare_exchange_strong(p, 0)) return;
  }
}

Monitor::Monitor(const ProgressOptions& o, std::function<std::string(double)> line)
    : opt_(o), line_(std::move(line)), tty_(::isatty(2) != 0), start_(std::chrono::steady_clock::now()) {
  if (opt_.period > 0 || opt_.time_limit > 0) thread_ = std::thread([this] { loop(); });
}

Monitor::~Monitor() {
  {
    std::lock_guard<std::mutex> g(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (live_shown_) std::fputs("\r\033[K", stderr);
}

double Monitor::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Monitor::loop() {
  // A terminal gets a live line twice a second from the first second on; a log a line per period.
  const double every = tty_ ? 0.5 : opt_.period;
  double next = tty_ ? 1.0 : opt_.period;
  bool limit_hit = false;
  std::unique_lock<std::mutex> l(mu_);
  while (!done_) {
    cv_.wait_for(l, std::chrono::milliseconds(100));
    if (done_) break;
    const double t = elapsed();
    if (opt_.time_limit > 0 && t >= opt_.time_limit && !limit_hit) {
      limit_hit = true;
      char why[64];
      std::snprintf(why, sizeof why, "--time-limit %g", opt_.time_limit);
      request_stop(why);
    }
    if (opt_.period <= 0 || t < next) continue;
    next = t + every;
    std::string s = line_(t);
    if (tty_) {
      struct winsize ws {};
      size_t cols = ::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 159;
      if (s.size() > cols) s.resize(cols);
      std::fprintf(stderr, "\r\033[K%s", s.c_str());
      live_shown_ = true;
    } else {
      std::fprintf(stderr, "%s\n", s.c_str());
    }
    std::fflush(stderr);
  }
}

std::string thousands(uint64_t n) {
  std::string s = std::to_string(n), o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) o += ',';
    o += s[i];
  }
  return o;
}

}  // namespace vcpucheck::cli
