// Names used in reports, traces and scenario files. Changing one changes the trace format.
#include <cstring>

#include "sim/event.hpp"
#include "sim/execution.hpp"
#include "sim/violation.hpp"

namespace vcpucheck::sim {

std::string function_name(const Loc& l) { return short_function_name(l.function_name()); }

std::string short_function_name(std::string f) {
  // A demangled name (a stack frame's) spells the anonymous namespace with parentheses.
  for (size_t p; (p = f.find("(anonymous namespace)::")) != std::string::npos;) f.erase(p, 23);
  // The name ends at the first '(' outside template brackets.
  int depth = 0;
  size_t end = f.size();
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '<') ++depth;
    if (f[i] == '>') --depth;
    if (f[i] == '(' && depth == 0) {
      end = i;
      break;
    }
  }
  std::string name = f.substr(0, end);
  // Drop the return type: the last space outside template brackets.
  depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (name[i] == ' ' && depth == 0) start = i + 1;
  }
  name = name.substr(start);
  // Drop namespaces: keep the last two components when the next-to-last is a class.
  for (const char* ns : {"vcpucheck::", "models::", "sim::", "checker::", "{anonymous}::", "(anonymous namespace)::"})
    for (size_t p; (p = name.find(ns)) != std::string::npos;) name.erase(p, std::strlen(ns));
  if (f.find("<lambda", end) != std::string::npos || f.find("{lambda", end) != std::string::npos)
    name = "lambda in " + name;
  return name;
}

const char* op_name(OpKind k) {
  switch (k) {
    case OpKind::Read: return "read";
    case OpKind::Write: return "write";
    case OpKind::Rmw: return "rmw";
    case OpKind::CasFail: return "cas-fail";
    case OpKind::Fence: return "fence";
    case OpKind::Buffer: return "buffer";
    case OpKind::Flush: return "flush";
    case OpKind::Acquire: return "acquire";
    case OpKind::Release: return "release";
    case OpKind::TryFail: return "trylock-fail";
    case OpKind::Alloc: return "alloc";
    case OpKind::Free: return "free";
    case OpKind::Spawn: return "spawn";
    case OpKind::Join: return "join";
    case OpKind::SleepPrepare: return "sleep-prepare";
    case OpKind::SleepWait: return "sleep-wait";
    case OpKind::Wakeup: return "wakeup";
    case OpKind::RcuLock: return "rcu-read-lock";
    case OpKind::RcuUnlock: return "rcu-read-unlock";
    case OpKind::RcuSyncStart: return "synchronize-rcu-start";
    case OpKind::RcuSyncWait: return "synchronize-rcu-wait";
    case OpKind::Local: return "local";
  }
  return "?";
}

const char* order_name(Order o) {
  switch (o) {
    case Order::Plain: return "plain";
    case Order::Relaxed: return "relaxed";
    case Order::Consume: return "consume";
    case Order::Acquire: return "acquire";
    case Order::Release: return "release";
    case Order::AcqRel: return "acq_rel";
    case Order::SeqCst: return "seq_cst";
  }
  return "?";
}

namespace {
constexpr const char* kViolationNames[] = {
    "data-race",   "use-before-init", "null-deref", "use-after-free",       "double-free",
    "out-of-bounds", "leak",          "deadlock",   "lock-order-inversion", "assertion",
    "invariant",   "blocking-in-critical-section", "illegal-transition", "lock-misuse",
    "locking-rule", "liveness",    "warning",     "guest-fault", "model-crash", "model-error",
};
static_assert(sizeof(kViolationNames) / sizeof(kViolationNames[0]) == static_cast<size_t>(ViolationKind::ModelError) + 1,
              "every ViolationKind needs its name, in order");
}  // namespace

const char* violation_name(ViolationKind k) { return kViolationNames[static_cast<int>(k)]; }

bool violation_from_name(const std::string& s, ViolationKind& out) {
  for (size_t i = 0; i < sizeof(kViolationNames) / sizeof(kViolationNames[0]); ++i)
    if (s == kViolationNames[i]) {
      out = static_cast<ViolationKind>(i);
      return true;
    }
  return false;
}

const char* link_kind_name(Link::Kind k) {
  switch (k) {
    case Link::Kind::Lock: return "lock";
    case Link::Kind::ReadsFrom: return "reads-from";
    case Link::Kind::Fence: return "fence";
    case Link::Kind::Wakeup: return "wakeup";
    case Link::Kind::Rcu: return "rcu";
    case Link::Kind::Spawn: return "spawn";
    case Link::Kind::Join: return "join";
    case Link::Kind::Ipi: return "ipi";
  }
  return "?";
}

}  // namespace vcpucheck::sim
