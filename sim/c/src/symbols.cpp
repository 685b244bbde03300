// Program counters of instrumented C code to source locations: the DWARF line table through
// libbacktrace (Boost.Stacktrace's backend), once per instruction, cached for the process.
#include <boost/stacktrace/frame.hpp>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <source_location>
#include <unordered_map>

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

}  // namespace

Loc World::loc_of(uintptr_t pc) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.by_pc.find(pc);
  if (it != c.by_pc.end()) return it->second;
  // A return address: its line is the one after the call; one byte back is the call itself.
  const boost::stacktrace::frame f(reinterpret_cast<const void*>(pc - 1));
  std::string file = f.source_file();
  std::string fn = f.name();
  unsigned line = static_cast<unsigned>(f.source_line());
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
