// Other processes exploring branches of one parallel DPOR search (parallel_dpor.hpp): the seam
// between the search and whatever carries its messages (cluster.hpp carries them between MPI
// ranks; the tests carry them between threads of one process).
//
// The protocol is the threads' one, spoken in messages. The searching process hands a branch no
// thread of its own has started to a free slot (a thread of another process); the slot explores
// it as a thread here would and reports the kept wakeup sequences, its executions folded, and
// the lock-order edges they added (branch_codec.hpp). The search adopts the report, or takes the
// branch back, exactly as for a branch one of its own threads explored. A slot hands out branches
// of its own branch when the search asks (Want), and asks the search for each when its
// backtracking reaches it (Await): the search answers with the branch's report to adopt, or says
// to take it back. A branch that changed while it was out is cancelled. Only the wasted work
// depends on the messages' timing, never the result.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "checker/explorer.hpp"

namespace vcpucheck::checker {

struct RemoteMessage {
  enum class Kind : uint8_t {
    // to a slot
    Branch,    // explore this branch (bytes: BranchCodec)
    Cancel,    // drop branch `id`, if it still runs it (it reports either way)
    Want,      // hand out a branch of yours if you can (answer Offer or NoOffer)
    Adopt,     // the branch `id` you handed out, explored (bytes: its report)
    TakeBack,  // explore the branch `id` you handed out yourself
    Close,     // the search is over
    // from a slot
    Report,    // the branch it was sent, explored (bytes: BranchCodec report)
    Offer,     // a branch of its branch (bytes: BranchCodec), for the search to explore
    NoOffer,   // nothing to hand out now
    Await,     // its backtracking reached the branch `id` it handed out: adopt or take back?
    Changed,   // the branch `id` it handed out changed: its exploration is wasted
  };
  Kind kind = Kind::Close;
  uint64_t id = 0;
  std::string bytes;
};

// The searching process's side.
class Remote {
 public:
  virtual ~Remote() = default;
  // Threads of other processes that explore one branch at a time each.
  virtual unsigned slots() const = 0;
  virtual void post(unsigned slot, RemoteMessage m) = 0;
  // A message that has arrived, and its slot; nullopt when none has. Waits at most a few
  // microseconds.
  virtual std::optional<std::pair<unsigned, RemoteMessage>> receive() = 0;
  // The search is over: every slot stops, whatever it runs.
  virtual void close() = 0;
};

// One slot, on the exploring process's side.
class RemoteSlot {
 public:
  virtual ~RemoteSlot() = default;
  // The next message for this slot; with `wait`, blocks for one, else nullopt when none is there.
  virtual std::optional<RemoteMessage> receive(bool wait) = 0;
  virtual void post(RemoteMessage m) = 0;
  // Ids for the branches it hands out are this plus a count: unique among all slots and the
  // searching process's own (which count up from 1).
  virtual uint64_t id_base() const = 0;
};

// The id_base of slot number k (k < 2^19).
inline uint64_t remote_id_base(uint64_t k) { return (uint64_t(1) << 63) | (k << 44); }

// Explores the branches a slot is sent, on this thread, until the search is over.
void serve_branches(const Setup& setup, const ExploreOptions& o, RemoteSlot& slot);

}  // namespace vcpucheck::checker
