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

// Why the first stop came, in memory shared with every forked search (mapped before the first
// fork), so a child stopped by its parent reports the user's reason, not the parent's signal.
struct Why {
  std::atomic<int> cause{0};  // SIGINT, SIGTERM, or -1 for request_stop()
  char text[96] = {};         // request_stop()'s reason
};
Why g_local_why;
Why* g_why = &g_local_why;

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

}  // namespace

void install_stop_handlers() {
  void* p = ::mmap(nullptr, sizeof(Why), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) g_why = new (p) Why;
  handle(SIGINT, on_stop_signal);
  handle(SIGTERM, on_stop_signal);
  handle(kStopSignal, on_stop_signal);
}

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
