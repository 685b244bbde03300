// Exact execution counts of optimal DPOR on the benchmark programs: the number of Mazurkiewicz
// traces under sequential consistency (published tables; readers is 2^N). Any over- or
// under-exploration changes a count. Zero sleep-set-blocked executions is asserted too.
#include <doctest/doctest.h>

#include "support.hpp"

using nlohmann::json;
using namespace vcpucheck;
using namespace vcpucheck::test::bench;

namespace {

void check(const json& j, uint64_t expected) {
  auto r = test::dpor(test::scenario(j));
  CHECK(!r.counterexample);
  CHECK(r.exhausted);
  CHECK(r.stats.blocked == 0);
  CHECK(r.complete == expected);
  CHECK(r.executions == expected);
}

}  // namespace

TEST_CASE("dpor: readers(N) explores 2^N traces") {
  for (auto [n, count] : {std::pair{1, 2}, {2, 4}, {3, 8}, {8, 256}, {13, 8192}}) {
    CAPTURE(n);
    check(readers(n), static_cast<uint64_t>(count));
  }
}

TEST_CASE("dpor: lastzero(N)") {
  const uint64_t expected[] = {0, 2, 5, 12, 28, 64, 144, 320, 704};
  for (int n = 1; n <= 8; ++n) {
    CAPTURE(n);
    check(lastzero(n), expected[n]);
  }
  check(lastzero(10), 3328);
}

TEST_CASE("dpor: opt_lock(N)") {
  const uint64_t expected[] = {0, 10, 42, 126, 346, 922, 2430};
  for (int n = 1; n <= 6; ++n) {
    CAPTURE(n);
    check(opt_lock(n), expected[n]);
  }
}

TEST_CASE("dpor: casrot(N), a failed CAS being a read") {
  const uint64_t expected[] = {0, 0, 2, 5, 14, 43, 144, 523, 2048, 8597};
  for (int n = 2; n <= 9; ++n) {
    CAPTURE(n);
    check(casrot(n), expected[n]);
  }
}

TEST_CASE("dpor: GenMC's coa(N), many writers to two words (GenMC's sc.mo counts)") {
  const uint64_t expected[] = {0, 4, 15, 130, 2028};
  for (int n = 1; n <= 4; ++n) {
    CAPTURE(n);
    check(genmc_coa(n), expected[n]);
  }
}
