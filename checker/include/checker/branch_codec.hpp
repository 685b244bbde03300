// A branch of a parallel DPOR search and what exploring it found, as bytes: how a search hands
// branches to other processes (cluster.hpp) and takes their explorations back.
//
// Everything crosses as values: events without their source locations (pointers into one
// process's image, which a wakeup tree never reads), execution records as the strings a user
// reads, the lock-order graph as its edges in the order they were added. A message starts with a
// magic word and the format's version; a message from another build of vcpucheck is refused.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/dpor.hpp"
#include "checker/explorer.hpp"

namespace vcpucheck::checker {

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a process that explored a branch sends back.
struct BranchReport {
  uint64_t id = 0;       // the branch's
  bool dropped = false;  // cancelled before its end: nothing else is set
  bool stopped = false;  // ended before its subtree was explored (a violation, an interrupt)
  uint64_t ran = 0;      // executions it ran
  Dpor::Result result;   // when not stopped
  std::vector<ExecutionSummary> done;  // its executions, folded, in order
  LockOrderGraph graph;                // the graph they ran against (edges_from / edges_to index it)
  std::string error;                   // the exploring process failed (the search then fails with it)
};

struct BranchCodec {
  static std::string encode(const Dpor::Branch& b);
  static Dpor::Branch decode_branch(const std::string& bytes);
  static std::string encode(const BranchReport& r);
  static BranchReport decode_report(const std::string& bytes);
  // For tests: one record, alone.
  static std::string encode(const ExecutionRecord& r);
  static ExecutionRecord decode_record(const std::string& bytes);
};

}  // namespace vcpucheck::checker
