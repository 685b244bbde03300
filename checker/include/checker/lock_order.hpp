// Lockdep-style lock-order prediction across every explored execution.
//
// Each blocking acquire of lock B while holding lock A adds the edge A -> B (named by the locks'
// object names, with where and by whom it was first taken). A cycle in the accumulated graph is a
// lock-order inversion: some schedule can deadlock, even if no explored execution did. This is
// the only file that includes Boost.Graph.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/execution.hpp"

namespace vcpucheck::checker {

class LockOrderGraph final : public sim::Observer {
 public:
  void on_event(sim::Execution& x, const sim::Event& e) override;
  // The first cycle (by lock name order), as a violation; nullopt when the order is consistent.
  std::optional<sim::Violation> find_inversion() const;
  size_t edge_count() const { return edges_.size(); }
  // Adds the edges `from` added [begin, end) (in the order it added them) that are new here;
  // true when there was one.
  bool merge(const LockOrderGraph& from, size_t begin, size_t end);

 private:
  struct EdgeInfo {
    std::string thread, held_at, taken_at;
  };
  using Key = std::pair<std::string, std::string>;
  std::map<Key, EdgeInfo> edges_;
  std::vector<Key> added_;  // in the order they were added
  friend struct BranchCodec;  // branch_codec.hpp
};

}  // namespace vcpucheck::checker
