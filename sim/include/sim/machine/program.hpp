// Guest programs: GNU assembler sources (sim/guest/, and a plugin's own), assembled and linked at
// build time (cmake/vcpucheckGuest.cmake) and embedded with a line table, so every guest instruction behind a visible operation can be
// shown with its address, bytes and source line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vcpucheck::sim::machine {

struct GuestLine {
  uint32_t addr;  // guest physical address of the instruction
  uint32_t len;
  uint32_t line;  // line in the program's source (the invoking line, for macro expansions)
  const char* text;
};

struct GuestProgram {
  const char* name;  // "ap_trampoline"
  const char* file;  // "sim/guest/ap_trampoline.S"
  uint32_t base;     // load address; the program starts here in real mode, at CS = base >> 4, IP = 0
  const uint8_t* bytes;
  size_t size;
  const GuestLine* lines;
  size_t nlines;

  // The instruction at `addr`, or nullptr when the address is not an instruction of this program.
  const GuestLine* line_at(uint64_t addr) const;
  bool contains(uint64_t addr) const { return addr >= base && addr < base + size; }
};

std::span<const GuestProgram> builtin_guest_programs();
// A plugin's programs (the installed CMake function vcpucheck_add_guest_program): registered when
// its library is loaded. A name already taken (by a builtin or an earlier plugin) is not
// registered; the conflict is kept for the loader to report (take_guest_program_conflicts).
void register_guest_program(const GuestProgram& p);
std::vector<std::string> take_guest_program_conflicts();
// Builtin programs, then registered ones in the order they were registered.
std::vector<const GuestProgram*> guest_programs();
std::string guest_program_names();  // "ap_trampoline, ap_plain_increment, ..." for messages
const GuestProgram* find_guest_program(const std::string& name);

}  // namespace vcpucheck::sim::machine
