// Branches and branch reports as bytes (branch_codec.hpp). Fixed-width little-endian integers,
// strings and vectors prefixed by their length; every read is bounds-checked.
#include "checker/branch_codec.hpp"

#include <type_traits>

namespace vcpucheck::checker {

namespace {

constexpr uint32_t kMagic = 0x62706376;  // "vcpb"
constexpr uint32_t kVersion = 1;
enum : uint8_t { kBranch = 1, kReport = 2, kRecord = 3 };

class Out {
 public:
  template <class T>
    requires std::is_integral_v<T> || std::is_enum_v<T>
  void put(T v) {
    uint64_t x = static_cast<uint64_t>(v);
    for (size_t k = 0; k < sizeof(T); ++k) s_.push_back(static_cast<char>(x >> (8 * k) & 0xff));
  }
  void put(const std::string& v) {
    put<uint64_t>(v.size());
    s_ += v;
  }
  std::string take() { return std::move(s_); }

 private:
  std::string s_;
};

class In {
 public:
  explicit In(const std::string& s) : s_(s) {}
  template <class T>
    requires std::is_integral_v<T> || std::is_enum_v<T>
  T get() {
    need(sizeof(T));
    uint64_t x = 0;
    for (size_t k = 0; k < sizeof(T); ++k) x |= uint64_t(static_cast<unsigned char>(s_[at_ + k])) << (8 * k);
    at_ += sizeof(T);
    return static_cast<T>(x);
  }
  std::string str() {
    const uint64_t n = get<uint64_t>();
    need(n);
    std::string v = s_.substr(at_, n);
    at_ += n;
    return v;
  }
  // A count of items that take at least `least` bytes each: bounded by what is left.
  size_t count(size_t least = 1) {
    const uint64_t n = get<uint64_t>();
    if (n > (s_.size() - at_) / least) throw WireError("branch message: a count past its end");
    return static_cast<size_t>(n);
  }
  void done() const {
    if (at_ != s_.size()) throw WireError("branch message: bytes left over");
  }

 private:
  void need(uint64_t n) const {
    if (n > s_.size() - at_) throw WireError("branch message: truncated");
  }
  const std::string& s_;
  size_t at_ = 0;
};

void header(Out& o, uint8_t kind) {
  o.put(kMagic);
  o.put(kVersion);
  o.put(kind);
}

void expect(In& in, uint8_t kind) {
  if (in.get<uint32_t>() != kMagic) throw WireError("branch message: not one (bad magic)");
  if (const uint32_t v = in.get<uint32_t>(); v != kVersion)
    throw WireError("branch message: format version " + std::to_string(v) + ", this vcpucheck reads " +
                    std::to_string(kVersion) + " (every rank must run the same build)");
  if (in.get<uint8_t>() != kind) throw WireError("branch message: not the kind expected");
}

void put(Out& o, const sim::Event& e) {
  o.put(e.tid.v);
  o.put(e.obj.v);
  o.put(e.block.v);
  o.put(e.kind);
  o.put(e.mode);
  o.put(e.order);
  o.put(e.cls);
  o.put(e.value);
  o.put(e.arg);
  o.put(e.pre);
  o.put(e.post);
  o.put(e.flags);
  o.put(e.rmw);
  o.put(e.buffer_of);
  o.put(e.gip);
  o.put(e.after);
}

sim::Event get_event(In& in) {
  sim::Event e;
  e.tid.v = in.get<uint32_t>();
  e.obj.v = in.get<uint32_t>();
  e.block.v = in.get<uint32_t>();
  e.kind = in.get<sim::OpKind>();
  e.mode = in.get<sim::LockMode>();
  e.order = in.get<sim::Order>();
  e.cls = in.get<sim::ObjectClass>();
  e.value = in.get<uint64_t>();
  e.arg = in.get<uint64_t>();
  e.pre = in.get<uint64_t>();
  e.post = in.get<uint64_t>();
  e.flags = in.get<uint8_t>();
  e.rmw = in.get<sim::RmwOp>();
  e.buffer_of = in.get<uint8_t>();
  e.gip = in.get<uint64_t>();
  e.after = in.get<uint32_t>();
  return e;
}

void put(Out& o, const std::vector<uint32_t>& v) {
  o.put<uint64_t>(v.size());
  for (uint32_t x : v) o.put(x);
}

std::vector<uint32_t> get_u32s(In& in) {
  std::vector<uint32_t> v(in.count(4));
  for (uint32_t& x : v) x = in.get<uint32_t>();
  return v;
}

void put(Out& o, const std::vector<std::string>& v) {
  o.put<uint64_t>(v.size());
  for (const std::string& x : v) o.put(x);
}

std::vector<std::string> get_strings(In& in) {
  std::vector<std::string> v(in.count(8));
  for (std::string& x : v) x = in.str();
  return v;
}

void put(Out& o, const sim::Violation& v) {
  o.put(v.kind);
  o.put(v.message);
  o.put(v.object);
  o.put<uint64_t>(v.involved.size());
  for (const sim::Involved& i : v.involved) {
    o.put(i.thread);
    o.put(i.what);
    o.put(i.loc);
    o.put(i.step);
  }
  o.put(v.step);
  o.put<uint64_t>(v.lock_order.size());
  for (const sim::LockEdge& e : v.lock_order) {
    for (const std::string* s : {&e.held, &e.taken, &e.thread, &e.held_at, &e.taken_at}) o.put(*s);
    o.put<uint8_t>(e.cycle);
  }
}

sim::Violation get_violation(In& in) {
  sim::Violation v;
  v.kind = in.get<sim::ViolationKind>();
  v.message = in.str();
  v.object = in.str();
  v.involved.resize(in.count(32));
  for (sim::Involved& i : v.involved) {
    i.thread = in.str();
    i.what = in.str();
    i.loc = in.str();
    i.step = in.get<int64_t>();
  }
  v.step = in.get<int64_t>();
  v.lock_order.resize(in.count(41));
  for (sim::LockEdge& e : v.lock_order) {
    for (std::string* s : {&e.held, &e.taken, &e.thread, &e.held_at, &e.taken_at}) *s = in.str();
    e.cycle = in.get<uint8_t>() != 0;
  }
  return v;
}

void put(Out& o, const ExecutionRecord& r) {
  put(o, r.schedule);
  put(o, r.threads);
  o.put<uint64_t>(r.log.size());
  for (const LogEntry& l : r.log) {
    o.put(l.step);
    o.put(l.tid);
    for (const std::string* s : {&l.thread, &l.op, &l.object}) o.put(*s);
    o.put(l.value);
    for (const std::string* s : {&l.text, &l.loc, &l.function}) o.put(*s);
  }
  o.put<uint64_t>(r.links.size());
  for (const sim::Link& l : r.links) {
    o.put(l.from);
    o.put(l.to);
    o.put(l.kind);
    o.put(l.text);
  }
  o.put(r.outcome);
  o.put<uint8_t>(r.violation.has_value());
  if (r.violation) put(o, *r.violation);
}

ExecutionRecord get_record(In& in) {
  ExecutionRecord r;
  r.schedule = get_u32s(in);
  r.threads = get_strings(in);
  r.log.resize(in.count(60));
  for (LogEntry& l : r.log) {
    l.step = in.get<uint64_t>();
    l.tid = in.get<uint32_t>();
    for (std::string* s : {&l.thread, &l.op, &l.object}) *s = in.str();
    l.value = in.get<uint64_t>();
    for (std::string* s : {&l.text, &l.loc, &l.function}) *s = in.str();
  }
  r.links.resize(in.count(17));
  for (sim::Link& l : r.links) {
    l.from = in.get<uint32_t>();
    l.to = in.get<uint32_t>();
    l.kind = in.get<sim::Link::Kind>();
    l.text = in.str();
  }
  r.outcome = in.get<sim::Outcome>();
  if (in.get<uint8_t>()) r.violation = get_violation(in);
  return r;
}

}  // namespace

// Dpor's own types (Node, SleepEntry, Up) are private to it: BranchCodec, its friend, names them.

std::string BranchCodec::encode(const Dpor::Branch& b) {
  Out o;
  header(o, kBranch);
  auto node = [&](const Dpor::Node& n) {
    o.put(n.tid.v);
    put(o, n.ev);
    o.put<uint8_t>(n.ev_known);
    o.put(n.first_child);
    o.put(n.last_child);
    o.put(n.next_sibling);
    o.put(n.stamp);
  };
  o.put(b.id);
  o.put(b.depth);
  o.put<uint64_t>(b.path.size());
  for (const Dpor::Node& n : b.path) node(n);
  o.put<uint64_t>(b.sleep.size());
  for (const auto& set : b.sleep) {
    o.put<uint64_t>(set.size());
    for (const Dpor::SleepEntry& e : set) {
      o.put(e.tid.v);
      put(o, e.ev);
    }
  }
  o.put<uint64_t>(b.subtree.size());
  for (const Dpor::Node& n : b.subtree) node(n);
  return o.take();
}

Dpor::Branch BranchCodec::decode_branch(const std::string& bytes) {
  In in(bytes);
  expect(in, kBranch);
  auto node = [&] {
    Dpor::Node n;
    n.tid.v = in.get<uint32_t>();
    n.ev = get_event(in);
    n.ev_known = in.get<uint8_t>() != 0;
    n.first_child = in.get<int32_t>();
    n.last_child = in.get<int32_t>();
    n.next_sibling = in.get<int32_t>();
    n.stamp = in.get<uint64_t>();
    return n;
  };
  Dpor::Branch b;
  b.id = in.get<uint64_t>();
  b.depth = in.get<uint32_t>();
  b.path.resize(in.count(80));
  for (Dpor::Node& n : b.path) n = node();
  b.sleep.resize(in.count(8));
  for (auto& set : b.sleep) {
    set.resize(in.count(67));
    for (Dpor::SleepEntry& e : set) {
      e.tid.v = in.get<uint32_t>();
      e.ev = get_event(in);
    }
  }
  b.subtree.resize(in.count(80));
  for (Dpor::Node& n : b.subtree) n = node();
  in.done();
  // A branch that does not fit its own shape would be explored as garbage: refuse it.
  const auto n = static_cast<int32_t>(b.subtree.size());
  if (b.path.size() != b.depth || b.sleep.size() != size_t(b.depth) + 1 || b.subtree.empty())
    throw WireError("branch message: a branch whose path, sleep sets and subtree do not agree");
  for (const Dpor::Node& x : b.subtree)
    for (int32_t link : {x.first_child, x.last_child, x.next_sibling})
      if (link < -1 || link >= n) throw WireError("branch message: a subtree link out of range");
  return b;
}

std::string BranchCodec::encode(const BranchReport& r) {
  Out o;
  header(o, kReport);
  o.put(r.id);
  o.put<uint8_t>(r.dropped);
  o.put<uint8_t>(r.stopped);
  o.put(r.ran);
  o.put(r.error);
  o.put<uint64_t>(r.result.up.size());
  for (const Dpor::Up& u : r.result.up) {
    o.put(u.frame);
    o.put(u.room);
    o.put<uint64_t>(u.v.size());
    for (const Dpor::VEv& w : u.v) {
      o.put(w.tid.v);
      put(o, w.ev);
    }
  }
  const StrategyStats& s = r.result.stats;
  for (uint64_t x : {s.blocked, s.infeasible, s.pruned, s.aborted, s.cached, s.repeated}) o.put(x);
  o.put<uint64_t>(r.done.size());
  for (const ExecutionSummary& e : r.done) {
    o.put(e.outcome);
    o.put<uint8_t>(e.repeated);
    o.put<uint8_t>(e.deadlock);
    o.put(e.count);
    o.put(e.steps);
    o.put(e.max_steps);
    o.put<uint64_t>(e.edges_from);
    o.put<uint64_t>(e.edges_to);
    for (const auto* rec : {&e.violation, &e.growth}) {
      o.put<uint8_t>(*rec != nullptr);
      if (*rec) put(o, **rec);
    }
  }
  o.put<uint64_t>(r.graph.added_.size());
  for (const LockOrderGraph::Key& k : r.graph.added_) {
    const LockOrderGraph::EdgeInfo& i = r.graph.edges_.at(k);
    for (const std::string* x : {&k.first, &k.second, &i.thread, &i.held_at, &i.taken_at}) o.put(*x);
  }
  return o.take();
}

BranchReport BranchCodec::decode_report(const std::string& bytes) {
  In in(bytes);
  expect(in, kReport);
  BranchReport r;
  r.id = in.get<uint64_t>();
  r.dropped = in.get<uint8_t>() != 0;
  r.stopped = in.get<uint8_t>() != 0;
  r.ran = in.get<uint64_t>();
  r.error = in.str();
  r.result.up.resize(in.count(20));
  for (Dpor::Up& u : r.result.up) {
    u.frame = in.get<uint32_t>();
    u.room = in.get<int64_t>();
    u.v.resize(in.count(67));
    for (Dpor::VEv& w : u.v) {
      w.tid.v = in.get<uint32_t>();
      w.ev = get_event(in);
    }
  }
  StrategyStats& s = r.result.stats;
  for (uint64_t* x : {&s.blocked, &s.infeasible, &s.pruned, &s.aborted, &s.cached, &s.repeated}) *x = in.get<uint64_t>();
  r.done.resize(in.count(43));
  for (ExecutionSummary& e : r.done) {
    e.outcome = in.get<sim::Outcome>();
    e.repeated = in.get<uint8_t>() != 0;
    e.deadlock = in.get<uint8_t>() != 0;
    e.count = in.get<uint64_t>();
    e.steps = in.get<uint64_t>();
    e.max_steps = in.get<uint64_t>();
    e.edges_from = in.get<uint64_t>();
    e.edges_to = in.get<uint64_t>();
    for (auto* rec : {&e.violation, &e.growth})
      if (in.get<uint8_t>()) *rec = std::make_shared<const ExecutionRecord>(get_record(in));
  }
  const size_t edges = in.count(40);
  for (size_t k = 0; k < edges; ++k) {
    LockOrderGraph::Key key;
    LockOrderGraph::EdgeInfo i;
    for (std::string* x : {&key.first, &key.second, &i.thread, &i.held_at, &i.taken_at}) *x = in.str();
    if (!r.graph.edges_.emplace(key, std::move(i)).second) throw WireError("branch message: a lock-order edge twice");
    r.graph.added_.push_back(std::move(key));
  }
  in.done();
  for (const ExecutionSummary& e : r.done)
    if (e.edges_from > e.edges_to || e.edges_to > edges) throw WireError("branch message: lock-order edges out of range");
  return r;
}

std::string BranchCodec::encode(const ExecutionRecord& r) {
  Out o;
  header(o, kRecord);
  put(o, r);
  return o.take();
}

ExecutionRecord BranchCodec::decode_record(const std::string& bytes) {
  In in(bytes);
  expect(in, kRecord);
  ExecutionRecord r = get_record(in);
  in.done();
  return r;
}

}  // namespace vcpucheck::checker
