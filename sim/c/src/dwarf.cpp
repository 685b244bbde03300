// Field names for C memory (dwarf.hpp): libdw over the running process's modules.
#include "dwarf.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <cstdlib>
#include <tuple>
#include <map>
#include <mutex>
#include <vector>

namespace vcpucheck::sim::c::dwarf {

namespace {

struct State {
  std::mutex mu;
  Dwfl* dwfl = nullptr;
  std::vector<Dwarf_Die> types{Dwarf_Die{}};  // handle -> struct type DIE (0: none)
  std::map<uintptr_t, uint64_t> by_pc;
  std::map<std::tuple<uint64_t, uint32_t, uint32_t>, std::string> names;
};

State& state() {
  static State* s = [] {
    auto* st = new State;  // for the process: DIEs outlive every execution
    static const Dwfl_Callbacks callbacks = {dwfl_linux_proc_find_elf, dwfl_standard_find_debuginfo, nullptr, nullptr};
    st->dwfl = dwfl_begin(&callbacks);
    if (st->dwfl && (dwfl_linux_proc_report(st->dwfl, getpid()) != 0 || dwfl_report_end(st->dwfl, nullptr, nullptr) != 0)) {
      dwfl_end(st->dwfl);
      st->dwfl = nullptr;
    }
    return st;
  }();
  return *s;
}

// The type a DIE's DW_AT_type names, through typedefs and qualifiers.
bool type_of(Dwarf_Die* die, Dwarf_Die* out) {
  Dwarf_Attribute a;
  if (!dwarf_attr_integrate(die, DW_AT_type, &a) || !dwarf_formref_die(&a, out)) return false;
  for (;;) {
    const int tag = dwarf_tag(out);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type && tag != DW_TAG_restrict_type &&
        tag != DW_TAG_atomic_type)
      return true;
    Dwarf_Die next;
    if (!dwarf_attr_integrate(out, DW_AT_type, &a) || !dwarf_formref_die(&a, &next)) return false;
    *out = next;
  }
}

// Struct types of size `size` that variables in `scope` point to, added to `found` by DIE offset.
void pointee_structs(Dwarf_Die* scope, size_t size, std::map<Dwarf_Off, Dwarf_Die>& found) {
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return;
  do {
    const int tag = dwarf_tag(&child);
    if (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter) continue;
    Dwarf_Die t, s;
    if (!type_of(&child, &t) || dwarf_tag(&t) != DW_TAG_pointer_type || !type_of(&t, &s)) continue;
    if (dwarf_tag(&s) == DW_TAG_structure_type && dwarf_bytesize(&s) == static_cast<int>(size))
      found.emplace(dwarf_dieoffset(&s), s);
  } while (dwarf_siblingof(&child, &child) == 0);
}

// Byte size of a type, arrays included; 0 when unknown.
Dwarf_Word size_of(Dwarf_Die* t) {
  Dwarf_Word n = 0;
  return dwarf_aggregate_size(t, &n) == 0 ? n : 0;
}

// The element type of a one-dimensional array type.
bool element_of(Dwarf_Die* array, Dwarf_Die* elem) {
  Dwarf_Die sub;
  if (dwarf_child(array, &sub) != 0) return false;
  int dims = 0;
  do dims += dwarf_tag(&sub) == DW_TAG_subrange_type;
  while (dwarf_siblingof(&sub, &sub) == 0);
  return dims == 1 && type_of(array, elem);
}

// Calls f(name, type, offset) for each member of the struct or union `t` holding byte
// [off, off + size) (in a union, several), until f returns true; name is nullptr for an
// anonymous struct or union member; bit fields are skipped (named by offset).
template <class F>
bool members(Dwarf_Die* t, Dwarf_Word off, Dwarf_Word size, F f) {
  Dwarf_Die m;
  if (dwarf_child(t, &m) != 0) return false;
  do {
    Dwarf_Attribute a;
    Dwarf_Word at = 0;  // a union's members have no location: at 0
    if (dwarf_tag(&m) != DW_TAG_member || dwarf_attr(&m, DW_AT_bit_size, &a)) continue;
    if (dwarf_attr(&m, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &at) != 0) continue;
    Dwarf_Die mt;
    if (!type_of(&m, &mt) || off < at || off + size > at + size_of(&mt)) continue;
    if (f(dwarf_diename(&m), &mt, off - at)) return true;
  } while (dwarf_siblingof(&m, &m) == 0);
  return false;
}

// The name of `name` appended to a path.
void append(std::string& out, const char* name) {
  if (name) out += std::string(out.empty() ? "" : ".") + name;
}

// Appends to `out` the member path of [off, off + size) in `t`, its innermost sub-object of
// those bytes (`outer.inner.deep` over a struct of one int); false when no sub-object is
// exactly those bytes.
bool path(Dwarf_Die* t, Dwarf_Word off, Dwarf_Word size, std::string& out) {
  const bool whole = off == 0 && size == size_of(t);
  const size_t len = out.size();
  const int tag = dwarf_tag(t);
  if (tag == DW_TAG_array_type) {
    Dwarf_Die elem;
    const Dwarf_Word es = element_of(t, &elem) ? size_of(&elem) : 0;
    if (es && off % es + size <= es) {
      out += "[" + std::to_string(off / es) + "]";
      if (path(&elem, off % es, size, out)) return true;
      out.resize(len);
    }
  } else if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
    const bool found = members(t, off, size, [&](const char* name, Dwarf_Die* mt, Dwarf_Word rel) {
      append(out, name);
      if (path(mt, rel, size, out)) return true;
      out.resize(len);  // another union member may fit
      return false;
    });
    if (found) return true;
  }
  return whole;
}

// Appends the outermost named sub-object of `t` starting at `off` (not an array: its first
// element); false when none does.
bool path_at(Dwarf_Die* t, Dwarf_Word off, std::string& out) {
  const int tag = dwarf_tag(t);
  if (tag == DW_TAG_array_type) {
    Dwarf_Die elem;
    const Dwarf_Word es = element_of(t, &elem) ? size_of(&elem) : 0;
    if (!es) return false;
    out += "[" + std::to_string(off / es) + "]";
    return off % es == 0 || path_at(&elem, off % es, out);
  }
  if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type) return false;
  const size_t len = out.size();
  return members(t, off, 1, [&](const char* name, Dwarf_Die* mt, Dwarf_Word rel) {
    append(out, name);
    if ((rel == 0 && name && dwarf_tag(mt) != DW_TAG_array_type) || path_at(mt, rel, out)) return true;
    out.resize(len);
    return false;
  });
}

template <class F>
std::string cached(uint64_t type, uint32_t off, uint32_t size, F name) {
  if (!type) return "";
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const auto key = std::make_tuple(type, off, size);
  auto it = s.names.find(key);
  if (it == s.names.end()) it = s.names.emplace(key, name(s.types.at(type))).first;
  return it->second;
}

}  // namespace

uint64_t type_of_allocation(uintptr_t pc, size_t size) {
  if (!size) return 0;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.by_pc.find(pc);
  if (it != s.by_pc.end()) return it->second;
  uint64_t handle = 0;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = s.dwfl ? dwfl_addrdie(s.dwfl, pc - 1, &bias) : nullptr;
  Dwarf_Die* scopes = nullptr;
  const int n = cu ? dwarf_getscopes(cu, pc - 1 - bias, &scopes) : 0;
  std::map<Dwarf_Off, Dwarf_Die> found;
  for (int i = 0; i < n && found.empty(); ++i) pointee_structs(&scopes[i], size, found);  // innermost scope first
  std::free(scopes);
  if (found.size() == 1) {
    handle = s.types.size();
    s.types.push_back(found.begin()->second);
  }
  s.by_pc.emplace(pc, handle);
  return handle;
}

std::string member(uint64_t type, uint32_t off, uint32_t size) {
  return cached(type, off, size, [&](Dwarf_Die t) {
    std::string out;
    return path(&t, off, size, out) ? out : std::string();
  });
}

std::string member_at(uint64_t type, uint32_t off) {
  return cached(type, off, 0, [&](Dwarf_Die t) {  // size 0: no access has it
    std::string out;
    return path_at(&t, off, out) ? out : std::string();
  });
}

}  // namespace vcpucheck::sim::c::dwarf
