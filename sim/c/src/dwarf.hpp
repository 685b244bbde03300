// Field names for C memory, from the DWARF types of the instrumented code (elfutils libdw).
//
// A block's type is found at its allocation: among the variables in scope at the allocation call
// (`vcpu = malloc(sizeof(*vcpu), ...)`), the pointers to a struct whose size is the block's; used
// only when exactly one struct type fits (innermost scope first). An access is then named by the
// member it covers exactly (`state`, `mtx`, `vcpu[1]`, `exits[0].code`), else by its offset.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace vcpucheck::sim::c::dwarf {

// The struct type of a block of `size` bytes allocated by the call returning to `pc`; 0 when
// none can be found. Deterministic (from the debug information alone), cached per pc.
uint64_t type_of_allocation(uintptr_t pc, size_t size);
// The member path of [off, off + size) in `type` ("state", "exits[0].code"), or "" when no
// member (nor array element) is exactly those bytes.
std::string member(uint64_t type, uint32_t off, uint32_t size);
// The outermost member (or array element) of `type` that starts at `off` ("mtx", "vcpu[2]"):
// the name of an object keyed by its address, such as a lock embedded in a struct; or "".
std::string member_at(uint64_t type, uint32_t off);

}  // namespace vcpucheck::sim::c::dwarf
