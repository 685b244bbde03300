#include "checker/end_checks.hpp"

#include <vector>

namespace vcpucheck::checker {

using sim::ThreadId;

namespace {
std::string pending_text(const sim::Execution& x, ThreadId t) {
  const sim::PendingOp& op = x.thread(t).pending;
  std::string s = sim::op_name(op.kind);
  if (op.obj.valid()) s += " " + x.object(op.obj).name;
  return s;
}

// "acquire A since step 12, holding B, C": what a stuck thread waits in, since when (the step
// after its last one: it has asked for that operation ever since), and the locks it holds.
std::string waiting_text(const sim::Execution& x, ThreadId t, int64_t& since) {
  since = 0;
  const auto& ev = x.events();
  for (size_t i = ev.size(); i-- > 0;)
    if (ev[i].tid == t) {
      since = static_cast<int64_t>(i) + 1;
      break;
    }
  std::string s = pending_text(x, t) + " since step " + std::to_string(since);
  std::string held;
  for (sim::ObjectId l : x.thread(t).held) held += (held.empty() ? "" : ", ") + x.object(l).name;
  return s + (held.empty() ? ", holding no locks" : ", holding " + held);
}

std::optional<ThreadId> waits_for(const sim::Execution& x, ThreadId t) {
  const sim::ThreadInfo& ti = x.thread(t);
  if (!ti.has_pending || !ti.pending.obj.valid()) return std::nullopt;
  const sim::Blocker* b = x.object(ti.pending.obj).blocker;
  return b ? b->waits_for(ti.pending, t) : std::nullopt;
}
}  // namespace

sim::Violation deadlock_report(const sim::Execution& x) {
  sim::Violation v;
  v.kind = sim::ViolationKind::Deadlock;
  v.step = static_cast<int64_t>(x.steps());
  const uint32_t n = static_cast<uint32_t>(x.thread_count());
  // Look for a cycle by following waits-for from each blocked thread, lowest id first.
  for (uint32_t start = 0; start < n; ++start) {
    std::vector<ThreadId> path;
    std::vector<bool> seen(n, false);
    ThreadId cur(start);
    while (cur.valid() && !seen[cur.v] && !x.thread(cur).finished) {
      seen[cur.v] = true;
      path.push_back(cur);
      auto next = waits_for(x, cur);
      cur = next ? *next : ThreadId();
    }
    if (!cur.valid() || x.thread(cur).finished) continue;
    size_t k = 0;
    while (path[k] != cur) ++k;
    std::string cycle;
    for (size_t i = k; i < path.size(); ++i) {
      ThreadId t = path[i];
      ThreadId w = *waits_for(x, t);
      const sim::PendingOp& op = x.thread(t).pending;
      int64_t since = 0;
      const std::string waiting = waiting_text(x, t, since);
      cycle += (cycle.empty() ? "" : "; ") + x.thread(t).name + " waits in " + pending_text(x, t) + " for " +
               x.thread(w).name;
      v.involved.push_back(sim::Involved{x.thread(t).name, "waits for " + x.thread(w).name + " in " + waiting,
                                         sim::where(op.loc), since});
      if (v.object.empty() && op.obj.valid()) v.object = x.object(op.obj).name;
    }
    v.message = "wait-for cycle: " + cycle;
    return v;
  }
  std::string who;
  for (uint32_t i = 0; i < n; ++i) {
    ThreadId t(i);
    const sim::ThreadInfo& ti = x.thread(t);
    if (ti.finished || !ti.has_pending) continue;
    int64_t since = 0;
    const std::string waiting = waiting_text(x, t, since);
    who += (who.empty() ? "" : "; ") + ti.name + " waits in " + pending_text(x, t);
    // Waiting for a thread (the owner of a lock), or for a wakeup nothing left can send.
    const auto w = waits_for(x, t);
    v.involved.push_back(sim::Involved{ti.name,
                                       w ? "waits for " + x.thread(*w).name + " in " + waiting
                                         : "waits in " + waiting + " (nothing left can wake it)",
                                       sim::where(ti.pending.loc), since});
    if (v.object.empty() && ti.pending.obj.valid()) v.object = x.object(ti.pending.obj).name;
  }
  v.message = "no thread can run: " + who;
  return v;
}

std::optional<sim::Violation> find_leak(const sim::Execution& x) {
  std::vector<bool> referenced(x.block_count(), false);
  for (size_t o = 0; o < x.object_count(); ++o) {
    const sim::ObjectInfo& oi = x.object(sim::ObjectId(static_cast<uint32_t>(o)));
    if (!oi.is_ptr || oi.current == 0) continue;
    if (oi.block.valid() && x.block(oi.block).freed) continue;
    uint64_t b = oi.current - 1;
    if (b < referenced.size()) referenced[b] = true;
  }
  for (size_t b = 0; b < x.block_count(); ++b) {
    const auto& bi = x.block(sim::BlockId(static_cast<uint32_t>(b)));
    if (bi.freed || !bi.must_free || referenced[b]) continue;
    sim::Violation v;
    v.kind = sim::ViolationKind::Leak;
    v.object = bi.name;
    v.message = bi.name + " (allocated at " + bi.alloc_at + ") was never freed and no pointer refers to it";
    v.step = static_cast<int64_t>(x.steps());
    return v;
  }
  return std::nullopt;
}

}  // namespace vcpucheck::checker
