// A slot's side of the remote protocol (remote_branches.hpp): explores each branch it is sent as
// a thread of the searching process explores a branch (parallel_dpor.cpp, Pool::drive), handing
// out branches of it when asked and adopting them through the search, and reports what the
// search needs to adopt it.
#include "checker/remote_branches.hpp"

#include "checker/branch_codec.hpp"

namespace vcpucheck::checker {

namespace {

using Kind = RemoteMessage::Kind;

class Exploration {
 public:
  Exploration(const Setup& setup, const ExploreOptions& o, RemoteSlot& slot, Worker& w, const std::string& bytes,
              uint64_t& handed)
      : o_(o), slot_(slot), w_(w), handed_(handed), b_(BranchCodec::decode_branch(bytes)), d_(b_), search_(d_, setup, o) {
    r_.id = b_.id;
  }

  // False when the search is over (nothing to report).
  bool run() {
    for (bool more = true;;) {
      if (!drain()) return false;
      if (r_.dropped) return report();
      if (const uint64_t child = d_.awaiting()) {
        if (d_.awaited_changed()) {  // the search was told (Changed) and dropped it
          d_.take_back();
          continue;
        }
        if (!settle(child, more)) return false;
        if (r_.dropped || r_.stopped) return report();
        continue;
      }
      if (!more) break;
      if (want_) {
        want_ = false;
        std::optional<Dpor::Branch> b = d_.hand_out(slot_.id_base() + ++handed_);
        slot_.post(b ? RemoteMessage{Kind::Offer, b->id, BranchCodec::encode(*b)} : RemoteMessage{Kind::NoOffer, 0, {}});
      }
      ExecutionSummary s = search_.run(w_, more);
      ++r_.ran;
      changed();
      const bool fatal = s.violation && !o_.on_violation;
      keep(std::move(s));
      if (fatal) {
        r_.stopped = true;  // the search ends with it: what is left of the branch does not matter
        return report();
      }
    }
    r_.result = d_.take_result();
    return report();
  }

 private:
  // Takes the messages that came between executions. False on Close.
  bool drain() {
    while (std::optional<RemoteMessage> m = slot_.receive(false))
      if (!take(*m)) return false;
    return true;
  }

  bool take(const RemoteMessage& m) {
    switch (m.kind) {
      case Kind::Close: return false;
      case Kind::Cancel:
        if (m.id == r_.id) r_.dropped = true;
        return true;
      case Kind::Want: want_ = true; return true;
      default: return true;  // a Want or Cancel for a branch it no longer runs
    }
  }

  // Asks the search about the handed-out branch it reached, and adopts it or takes it back.
  bool settle(uint64_t child, bool& more) {
    slot_.post(RemoteMessage{Kind::Await, child, {}});
    for (;;) {
      std::optional<RemoteMessage> m = slot_.receive(true);
      if (!m || m->kind == Kind::Close) return false;
      if ((m->kind == Kind::Adopt || m->kind == Kind::TakeBack) && m->id == child) {
        if (m->kind == Kind::TakeBack) {
          d_.take_back();
          return true;
        }
        BranchReport c = BranchCodec::decode_report(m->bytes);
        if (!c.stopped) more = d_.adopt(std::move(c.result));
        changed();
        for (ExecutionSummary& s : c.done) {
          search_.absorb(s, c.graph);
          keep(std::move(s));
        }
        if (c.stopped) r_.stopped = true;
        return true;
      }
      if (m->kind == Kind::Want) {
        slot_.post(RemoteMessage{Kind::NoOffer, 0, {}});  // it waits: nothing to hand out now
        continue;
      }
      if (!take(*m)) return false;
      if (r_.dropped) return true;
    }
  }

  void changed() {
    for (uint64_t id : d_.take_changed()) slot_.post(RemoteMessage{Kind::Changed, id, {}});
  }

  void keep(ExecutionSummary&& s) {
    if (r_.done.empty() || !r_.done.back().fold(s)) r_.done.push_back(std::move(s));
  }

  bool report() {
    if (r_.dropped) {
      BranchReport d;
      d.id = r_.id;
      d.dropped = true;
      d.ran = r_.ran;
      r_ = std::move(d);
    } else {
      r_.graph = search_.lock_order();
    }
    slot_.post(RemoteMessage{Kind::Report, r_.id, BranchCodec::encode(r_)});
    return true;
  }

  const ExploreOptions& o_;
  RemoteSlot& slot_;
  Worker& w_;
  uint64_t& handed_;  // branches this slot has handed out, for their ids
  Dpor::Branch b_;
  Dpor d_;
  Search search_;
  BranchReport r_;
  bool want_ = false;
};

}  // namespace

void serve_branches(const Setup& setup, const ExploreOptions& o, RemoteSlot& slot) {
  Worker w(o.stack_size);
  uint64_t handed = 0;
  for (;;) {
    std::optional<RemoteMessage> m = slot.receive(true);
    if (!m || m->kind == Kind::Close) return;
    if (m->kind == Kind::Want) {
      slot.post(RemoteMessage{Kind::NoOffer, 0, {}});
      continue;
    }
    if (m->kind != Kind::Branch) continue;  // about a branch it has already reported
    try {
      Exploration e(setup, o, slot, w, m->bytes, handed);
      if (!e.run()) return;
    } catch (const std::exception& e) {  // the searching process fails with it
      BranchReport r;
      r.error = e.what();
      if (r.error.empty()) r.error = "a branch failed";
      slot.post(RemoteMessage{Kind::Report, 0, BranchCodec::encode(r)});
    }
  }
}

}  // namespace vcpucheck::checker
