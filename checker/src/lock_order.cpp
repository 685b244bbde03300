#include "checker/lock_order.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <functional>
#include <set>
#include <vector>

namespace vcpucheck::checker {

void LockOrderGraph::on_event(sim::Execution& x, const sim::Event& e) {
  if (e.kind != sim::OpKind::Acquire || (e.flags & sim::kFlagTry)) return;
  const sim::ThreadInfo& t = x.thread(e.tid);
  if (t.held.size() < 2) return;
  const std::string& to = x.object(e.obj).name;
  for (size_t i = 0; i + 1 < t.held.size(); ++i) {
    const std::string& from = x.object(t.held[i]).name;
    if (from == to) continue;
    auto key = std::make_pair(from, to);
    if (edges_.count(key)) continue;
    // Where the held lock was taken: its last acquire by this thread.
    std::string held_at;
    const auto& ev = x.events();
    for (size_t k = ev.size(); k-- > 0;)
      if (ev[k].tid == e.tid && ev[k].obj == t.held[i] && ev[k].kind == sim::OpKind::Acquire) {
        held_at = sim::where(ev[k].loc);
        break;
      }
    edges_.emplace(key, EdgeInfo{t.name, held_at, sim::where(e.loc)});
    added_.push_back(key);
  }
}

bool LockOrderGraph::merge(const LockOrderGraph& from, size_t begin, size_t end) {
  bool grew = false;
  for (size_t k = begin; k < end; ++k) {
    const Key& key = from.added_[k];
    const bool fresh = edges_.emplace(key, from.edges_.at(key)).second;
    if (fresh) added_.push_back(key);
    grew = grew || fresh;
  }
  return grew;
}

std::optional<sim::Violation> LockOrderGraph::find_inversion() const {
  std::map<std::string, int> index;
  for (const auto& [k, _] : edges_) {
    index.emplace(k.first, 0);
    index.emplace(k.second, 0);
  }
  std::vector<std::string> names;
  for (auto& [name, i] : index) {
    i = static_cast<int>(names.size());
    names.push_back(name);
  }
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  Graph g(names.size());
  for (const auto& [k, _] : edges_) boost::add_edge(index[k.first], index[k.second], g);
  std::vector<int> comp(names.size());
  int n = boost::strong_components(g, comp.data());
  std::vector<int> size(static_cast<size_t>(n), 0);
  for (int c : comp) ++size[static_cast<size_t>(c)];
  for (size_t start = 0; start < names.size(); ++start) {
    int c = comp[start];
    if (size[static_cast<size_t>(c)] < 2) continue;
    // Walk a cycle inside the component from its first lock, taking the lowest-named next lock.
    std::vector<size_t> cycle{start};
    std::vector<bool> on(names.size(), false);
    on[start] = true;
    std::function<bool(size_t)> dfs = [&](size_t u) -> bool {
      for (auto [it, end] = boost::adjacent_vertices(u, g); it != end; ++it) {
        size_t w = *it;
        if (comp[w] != c) continue;
        if (w == start) return true;
        if (on[w]) continue;
        on[w] = true;
        cycle.push_back(w);
        if (dfs(w)) return true;
        cycle.pop_back();
      }
      return false;
    };
    if (!dfs(start)) continue;
    sim::Violation v;
    v.kind = sim::ViolationKind::LockOrder;
    std::string chain;
    for (size_t i = 0; i < cycle.size(); ++i) {
      const std::string& a = names[cycle[i]];
      const std::string& b = names[cycle[(i + 1) % cycle.size()]];
      const EdgeInfo& ei = edges_.at({a, b});
      chain += a + " -> ";
      v.involved.push_back(sim::Involved{ei.thread, "holds " + a + ", takes " + b, ei.taken_at + ", holding since " + ei.held_at, -1});
    }
    chain += names[cycle[0]];
    v.object = names[cycle[0]];
    std::set<std::pair<std::string, std::string>> on_cycle;
    for (size_t i = 0; i < cycle.size(); ++i) on_cycle.emplace(names[cycle[i]], names[cycle[(i + 1) % cycle.size()]]);
    for (const auto& [k, ei] : edges_)  // in lock name order: deterministic
      v.lock_order.push_back(sim::LockEdge{k.first, k.second, ei.thread, ei.held_at, ei.taken_at, on_cycle.count(k) > 0});
    v.message = chain + " (no explored execution needs to deadlock for this: some schedule can)";
    return v;
  }
  return std::nullopt;
}

}  // namespace vcpucheck::checker
