// Other processes exploring branches of one parallel DPOR search (parallel_dpor.hpp): the seam
// between the search and whatever carries its messages (cluster.hpp carries them between MPI
// ranks; the tests carry them between threads of one process).
//
// The protocol is the threads' one. The searching process hands a branch that no thread of its
// own has started to a free slot (another process's thread); the slot explores it to its end, as
// a thread here would, and reports the kept wakeup sequences, its executions folded, and the
// lock-order edges they added (branch_codec.hpp). The search adopts the report, or takes the
// branch back, exactly as for a branch one of its own threads explored. A branch that changed
// while it was out is cancelled; its report then says dropped. Every message is bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "checker/explorer.hpp"

namespace vcpucheck::checker {

// The searching process's side.
class Remote {
 public:
  virtual ~Remote() = default;
  // Threads of other processes that explore one branch at a time each.
  virtual unsigned slots() const = 0;
  // Explores a branch (BranchCodec::encode) on a free slot.
  virtual void send(unsigned slot, std::string branch) = 0;
  // Asks the slot to drop branch `id` if it still runs it (it reports either way).
  virtual void cancel(unsigned slot, uint64_t id) = 0;
  // A report (BranchCodec::encode) that has arrived, and its slot; nullopt when none has. Waits
  // at most a few microseconds.
  virtual std::optional<std::pair<unsigned, std::string>> receive() = 0;
  // The search is over: every slot stops, whatever it runs.
  virtual void close() = 0;
};

// One slot, on the exploring process's side.
class RemoteSlot {
 public:
  virtual ~RemoteSlot() = default;
  // The next branch to explore; nullopt once the search is over. Blocks.
  virtual std::optional<std::string> next() = 0;
  // Whether branch `id` (the one it runs) was cancelled or the search is over. Between executions.
  virtual bool cancelled(uint64_t id) = 0;
  virtual void report(std::string bytes) = 0;
};

// Explores the branches a slot is sent, on this thread, until the search is over.
void serve_branches(const Setup& setup, const ExploreOptions& o, RemoteSlot& slot);

}  // namespace vcpucheck::checker
