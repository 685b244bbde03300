#include "sim/machine/program.hpp"

#include <algorithm>

namespace vcpucheck::sim::machine {

const GuestLine* GuestProgram::line_at(uint64_t addr) const {
  const GuestLine* end = lines + nlines;
  const GuestLine* it = std::lower_bound(lines, end, addr, [](const GuestLine& l, uint64_t a) { return l.addr < a; });
  return it != end && it->addr == addr ? it : nullptr;
}

const GuestProgram* find_guest_program(const std::string& name) {
  for (const GuestProgram& p : builtin_guest_programs())
    if (name == p.name) return &p;
  return nullptr;
}

}  // namespace vcpucheck::sim::machine
