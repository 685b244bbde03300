// A slot's side of the remote protocol (remote_branches.hpp): explores each branch it is sent as
// a thread of the searching process would (parallel_dpor.cpp, Pool::drive for a branch), and
// reports what the search needs to adopt it.
#include "checker/remote_branches.hpp"

#include "checker/branch_codec.hpp"

namespace vcpucheck::checker {

namespace {

BranchReport explore_branch(const Setup& setup, const ExploreOptions& o, RemoteSlot& slot, Worker& w,
                            const std::string& bytes) {
  BranchReport r;
  Dpor::Branch b = BranchCodec::decode_branch(bytes);
  r.id = b.id;
  Dpor d(b);
  Search search(d, setup, o);
  for (bool more = true; more;) {
    if (slot.cancelled(r.id)) {
      BranchReport dropped;
      dropped.id = r.id;
      dropped.dropped = true;
      dropped.ran = r.ran;
      return dropped;
    }
    ExecutionSummary s = search.run(w, more);
    ++r.ran;
    const bool fatal = s.violation && !o.on_violation;
    if (r.done.empty() || !r.done.back().fold(s)) r.done.push_back(std::move(s));
    if (fatal) {
      r.stopped = true;  // the search ends with it: what is left of the branch does not matter
      break;
    }
  }
  if (!r.stopped) r.result = d.take_result();
  r.graph = search.lock_order();
  return r;
}

}  // namespace

void serve_branches(const Setup& setup, const ExploreOptions& o, RemoteSlot& slot) {
  Worker w(o.stack_size);
  while (std::optional<std::string> bytes = slot.next()) {
    BranchReport r;
    try {
      r = explore_branch(setup, o, slot, w, *bytes);
    } catch (const std::exception& e) {  // the searching process fails with it
      r = BranchReport{};
      r.error = e.what();
      if (r.error.empty()) r.error = "a branch failed";
    }
    slot.report(BranchCodec::encode(r));
  }
}

}  // namespace vcpucheck::checker
