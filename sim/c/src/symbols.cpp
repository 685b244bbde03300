// Program counters of instrumented C code to source locations: the DWARF line table through
// libbacktrace, once per instruction, cached for the process. A pc in code the compiler inlined
// has a frame per inlined function; the location is the innermost one that is not in a shim
// header (an atomic_inc inlined from linux/atomic.h is located at its caller's line).
#include <backtrace.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <source_location>
#include <unordered_map>
#include <vector>

#include "sim/c/world.hpp"

namespace vcpucheck::sim::c {

namespace {

// A Loc made at run time. std::source_location (libstdc++) is one pointer to a record the
// compiler makes at compile time; ours point to records kept for the process.
struct LocRecord {
  const char* file;
  const char* function;
  unsigned line;
  unsigned column;
};
#if defined(__cpp_lib_source_location)
static_assert(sizeof(std::source_location) == sizeof(const void*), "libstdc++'s source_location is one pointer");
Loc make_loc(const LocRecord* r) {
  Loc l;
  std::memcpy(static_cast<void*>(&l), &r, sizeof r);
  return l;
}
#else
Loc make_loc(const LocRecord* r) { return Loc::current(r->file, r->line, r->function); }
#endif

struct Cache {
  std::mutex mu;
  std::unordered_map<uintptr_t, Loc> by_pc;  // lookups only
  std::set<std::string> strings;             // stable storage for file and function names
  std::deque<LocRecord> records;
  const char* intern(const std::string& s) { return strings.insert(s).first->c_str(); }
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: locations outlive every execution
  return *c;
}

// One frame libbacktrace reports for a pc, innermost first.
struct Frame {
  std::string file, function;
  unsigned line = 0;
};

bool in_shim(const std::string& file) {
  for (const char* dir : {"/shim/linux/", "/shim/freebsd/", "/shim/vcpucheck/"})
    if (file.find(dir) != std::string::npos) return true;
  return false;
}

std::vector<Frame> frames_at(uintptr_t pc) {
  static backtrace_state* state = backtrace_create_state(nullptr, /*threaded=*/1, nullptr, nullptr);
  std::vector<Frame> out;
  if (!state) return out;
  backtrace_pcinfo(
      state, pc,
      [](void* data, uintptr_t, const char* file, int line, const char* fn) {
        static_cast<std::vector<Frame>*>(data)->push_back(
            Frame{file ? file : "", fn ? fn : "", static_cast<unsigned>(line > 0 ? line : 0)});
        return 0;
      },
      [](void*, const char*, int) {}, &out);
  return out;
}

}  // namespace

Loc World::loc_of(uintptr_t pc) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.by_pc.find(pc);
  if (it != c.by_pc.end()) return it->second;
  // A return address: its line is the one after the call; one byte back is the call itself.
  std::string file, fn;
  unsigned line = 0;
  for (const Frame& f : frames_at(pc - 1)) {
    if (f.file.empty() || in_shim(f.file)) continue;
    file = f.file, fn = f.function, line = f.line;
    break;
  }
  if (file.empty()) {  // no line table (compiled without -g): the code address itself
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(pc));
    file = buf;
  }
  c.records.push_back(LocRecord{c.intern(file), c.intern(fn.empty() ? "?" : fn), line, 0});
  const Loc l = make_loc(&c.records.back());
  c.by_pc.emplace(pc, l);
  return l;
}

}  // namespace vcpucheck::sim::c
