#include "sim/machine/program.hpp"

#include <algorithm>
#include <utility>

namespace vcpucheck::sim::machine {

const GuestLine* GuestProgram::line_at(uint64_t addr) const {
  const GuestLine* end = lines + nlines;
  const GuestLine* it = std::lower_bound(lines, end, addr, [](const GuestLine& l, uint64_t a) { return l.addr < a; });
  return it != end && it->addr == addr ? it : nullptr;
}

namespace {

struct Registered {
  std::vector<const GuestProgram*> programs;
  std::vector<std::string> conflicts;
};

Registered& registered() {
  static Registered r;  // filled by plugins' static initializers: constructed on first use
  return r;
}

}  // namespace

void register_guest_program(const GuestProgram& p) {
  if (find_guest_program(p.name)) {
    registered().conflicts.push_back(std::string(p.name) + " (" + p.file + ")");
    return;
  }
  registered().programs.push_back(&p);
}

std::vector<std::string> take_guest_program_conflicts() { return std::exchange(registered().conflicts, {}); }

std::vector<const GuestProgram*> guest_programs() {
  std::vector<const GuestProgram*> all;
  for (const GuestProgram& p : builtin_guest_programs()) all.push_back(&p);
  all.insert(all.end(), registered().programs.begin(), registered().programs.end());
  return all;
}

std::string guest_program_names() {
  std::string s;
  for (const GuestProgram* p : guest_programs()) s += (s.empty() ? "" : ", ") + std::string(p->name);
  return s;
}

const GuestProgram* find_guest_program(const std::string& name) {
  for (const GuestProgram* p : guest_programs())
    if (name == p->name) return p;
  return nullptr;
}

}  // namespace vcpucheck::sim::machine
