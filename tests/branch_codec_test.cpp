// Branches, reports and records as bytes (checker/branch_codec.hpp): a counterexample crosses
// whole, a branch explored from its decoded copy is the branch, and bytes that are not a message
// of this build are refused with a WireError, never read as one.
#include <doctest/doctest.h>

#include "checker/branch_codec.hpp"
#include "checker/remote_branches.hpp"
#include "support.hpp"

using namespace vcpucheck;
using checker::BranchCodec;
using checker::WireError;

namespace {

checker::ExecutionRecord counterexample(const std::string& file) {
  const models::Scenario s = models::load_scenario(std::string(VCPUCHECK_SOURCE_DIR) + "/" + file, test::registry());
  checker::ExploreOptions opt;
  opt.bounds.max_steps = s.strategy.max_steps;
  checker::Dpor d;
  checker::ExploreResult r = checker::explore(d, [&](sim::Execution& x) { models::setup_scenario(s, x); }, opt);
  REQUIRE(r.counterexample);
  return *r.counterexample;
}

void same_record(const checker::ExecutionRecord& a, const checker::ExecutionRecord& b) {
  CHECK(a.schedule == b.schedule);
  CHECK(a.threads == b.threads);
  REQUIRE(a.log.size() == b.log.size());
  for (size_t k = 0; k < a.log.size(); ++k) {
    CHECK(a.log[k].text == b.log[k].text);
    CHECK(a.log[k].loc == b.log[k].loc);
    CHECK(a.log[k].function == b.log[k].function);
    CHECK(a.log[k].value == b.log[k].value);
  }
  REQUIRE(a.links.size() == b.links.size());
  for (size_t k = 0; k < a.links.size(); ++k) {
    CHECK(a.links[k].from == b.links[k].from);
    CHECK(a.links[k].text == b.links[k].text);
  }
  CHECK(a.outcome == b.outcome);
  REQUIRE(a.violation.has_value() == b.violation.has_value());
  CHECK(a.violation->message == b.violation->message);
  CHECK(a.violation->involved.size() == b.violation->involved.size());
  CHECK(a.violation->lock_order.size() == b.violation->lock_order.size());
}

}  // namespace

TEST_CASE("branch codec: a counterexample and a lock-order inversion cross whole") {
  for (const char* f : {"scenarios/kvm/bugs/no-kvm-lock.json", "scenarios/litmus/gated-lock-order.json"}) {
    CAPTURE(f);
    const checker::ExecutionRecord r = counterexample(f);
    same_record(r, BranchCodec::decode_record(BranchCodec::encode(r)));
  }
}

TEST_CASE("branch codec: bytes that are not a message of this build are refused") {
  const checker::ExecutionRecord r = counterexample("scenarios/kvm/bugs/no-kvm-lock.json");
  const std::string bytes = BranchCodec::encode(r);
  for (size_t cut : {size_t(0), size_t(3), size_t(9), bytes.size() / 2, bytes.size() - 1}) {
    CAPTURE(cut);
    CHECK_THROWS_AS(BranchCodec::decode_record(bytes.substr(0, cut)), WireError);
  }
  CHECK_THROWS_AS(BranchCodec::decode_record(bytes + "x"), WireError);
  std::string other = bytes;
  other[4] = 9;  // another format version
  CHECK_THROWS_WITH_AS(BranchCodec::decode_record(other), doctest::Contains("same build"), WireError);
  CHECK_THROWS_AS(BranchCodec::decode_branch(bytes), WireError);  // a record is not a branch
  CHECK_THROWS_AS(BranchCodec::decode_report(bytes), WireError);
  std::string huge = bytes.substr(0, 9);
  huge += std::string(8, '\xff');  // a count no message could hold
  CHECK_THROWS_AS(BranchCodec::decode_record(huge), WireError);
}

TEST_CASE("branch codec: a report of a dropped branch says so") {
  checker::BranchReport r;
  r.id = 42;
  r.dropped = true;
  r.ran = 7;
  const checker::BranchReport b = BranchCodec::decode_report(BranchCodec::encode(r));
  CHECK(b.id == 42);
  CHECK(b.dropped);
  CHECK(b.ran == 7);
  CHECK(b.done.empty());
}
