// Field names of C memory (sim/c/src/dwarf.cpp): an access is named by the member of the
// block's struct type it covers exactly, from the C code's DWARF (tests/c/names_cases.c).
#include <doctest/doctest.h>

#include "c/names_cases.h"
#include "sim/c/world.hpp"
#include "support.hpp"

using namespace vcpucheck;
using sim::Execution;
using sim::ViolationKind;
using sim::c::call;

namespace {

struct State {
  sim::c::World c;
  struct rec* r;
  State(Execution& x, struct rec* (*make)()) : c(x), r(make()) {}
};

// The object a write and a read of part `which` race on, for a rec made by `make`.
std::string raced(int which, struct rec* (*make)() = rec_new) {
  auto r = test::dpor_world(
      [=](Execution& x) {
        State& s = test::make_state<State>(x, make);
        x.spawn("writer", [&s, which] { call([&] { rec_write(s.r, which); }); });
        x.spawn("reader", [&s, which] { (void)call([&] { return rec_read(s.r, which); }); });
      },
      UINT32_MAX, 100);
  REQUIRE(test::found(r) == ViolationKind::DataRace);
  return r.counterexample->violation->object;
}

}  // namespace

TEST_CASE("C names: an access is named by the struct member it covers, found in the DWARF types") {
  CHECK(raced(REC_EXIT1_CODE) == "rec_new:41.exits[1].code");
  CHECK(raced(REC_EXIT0_HI) == "rec_new:41.exits[0].hi");
  CHECK(raced(REC_EXIT1) == "rec_new:41.exits[1]");       // a whole element (a struct copy)
  CHECK(raced(REC_WORD) == "rec_new:41.word");            // a member of an anonymous union
  CHECK(raced(REC_HALF1) == "rec_new:41.half[1]");        // its other member, where only that fits
  CHECK(raced(REC_INNER_DEEP) == "rec_new:41.outer.inner.deep");
}

TEST_CASE("C names: what covers no member exactly, and blocks of no single type, are named by offset") {
  CHECK(raced(REC_BYTES_PART) == "rec_new:41+0x29:4");  // 4 of bytes[6]
  CHECK(raced(REC_FLAGS_WORD) == "rec_new:41+0x18:4");  // the word of a bit field
  CHECK(raced(REC_EXIT1_CODE, rec_new_untyped) == "rec_new_untyped:50+0x8:4");     // a void pointer
  CHECK(raced(REC_EXIT1_CODE, rec_new_ambiguous) == "rec_new_ambiguous:59+0x8:4");  // two structs fit
}

TEST_CASE("C names: a lock embedded in a struct is named by its member") {
  auto r = test::dpor_world(
      [](Execution& x) {
        State& s = test::make_state<State>(x, rec_new);
        x.spawn("t", [&s] { call([&] { rec_lock_twice(s.r); }); });
      },
      UINT32_MAX, 10);
  REQUIRE(test::found(r));
  CHECK(r.counterexample->violation->message.find("rec_new:41.lock") != std::string::npos);
}
