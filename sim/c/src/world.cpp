#include "sim/c/world.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "buffers.hpp"
#include "dwarf.hpp"
#include "sim/heap.hpp"

namespace vcpucheck::sim::c {

namespace {
thread_local World* tls_world = nullptr;

uint64_t load_bytes(const void* p, unsigned n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n > 8 ? 8 : n);
  return v;
}
void store_bytes(void* p, unsigned n, uint64_t v) { std::memcpy(p, &v, n > 8 ? 8 : n); }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

// One object of C memory: `size` bytes at `p`, whose value lives in that memory (the compiled
// code reads and writes it directly; this records what it did). Under TSO its plain, volatile,
// relaxed and release stores are buffered (buffers.hpp keeps each thread's view in place).
class Word final : public Cell {
 public:
  Word(World& w, Execution& x, const std::string& leaf, uint8_t* p, unsigned size, bool initialized, bool preexisting,
       bool init_at_alloc, uint8_t* base, size_t block_size)
      : Cell(x, leaf, initialized, w.stable(load_bytes(p, size)), false, false, static_cast<uint8_t>(size > 8 ? 8 : size), preexisting,
             init_at_alloc),
        w_(w), p_(p), size_(size), base_(base), block_size_(block_size) {
    x.object(id_).hex = true;
  }
  uint8_t* at() const { return p_; }
  unsigned size() const { return size_; }
  uint64_t raw() const { return load_bytes(p_, size_); }
  uint64_t value() const { return w_.stable(raw()); }
  // Its value as every thread sees it (under TSO: not counting stores still in a buffer).
  uint64_t committed() const {
    if (w_.buffers_->empty()) return value();
    uint8_t b[8] = {};
    w_.buffers_->committed(p_, size_ > 8 ? 8 : size_, b);
    return w_.stable(load_bytes(b, size_));
  }
  uint64_t flush_oldest(ThreadId t) override {
    const uint64_t pre = committed();
    w_.buffers_->flush(t, this);
    return pre;
  }
  void read(Order o, const Loc& loc) {
    begin(OpKind::Read, loc, tso() && o == Order::SeqCst);
    const uint64_t v = value();
    finish(OpKind::Read, o, v, v, v, loc, forwarded());
  }
  // The announce of a plain or volatile store (buffered under TSO); record_store() records it
  // once the code has made its bytes at [at, at + len) in place.
  void announce_store(const Loc& loc) {
    buffered_ = tso();
    if (buffered_) w_.buffers_->prepare(base_, block_size_);
    begin(buffered_ ? OpKind::Buffer : OpKind::Write, loc);
    pre_ = committed();
  }
  void record_store(Order o, const Loc& loc, uint8_t* at, uint32_t len) {
    const uint64_t v = value();
    if (buffered_) {
      w_.buffers_->buffer(x_.current(), this, at, len);
      x_.buffer_store(BufferedStore{this, id_, v, o, loc});
    }
    finish(buffered_ ? OpKind::Buffer : OpKind::Write, o, pre_, v, v, loc);
  }
  uint64_t load(Order o, const Loc& loc) {
    begin(OpKind::Read, loc, tso() && o == Order::SeqCst);
    const uint64_t v = value();
    finish(OpKind::Read, o, v, v, v, loc, forwarded());
    return raw();
  }
  void store(uint64_t v, Order o, const Loc& loc) {
    if (tso() && o != Order::SeqCst) {
      announce_store(loc);
      store_bytes(p_, size_, v);
      record_store(o, loc, p_, size_);
      return;
    }
    begin(OpKind::Write, loc, tso());  // a SeqCst store on TSO: an xchg, after the buffer drained
    const uint64_t pre = value();
    store_bytes(p_, size_, v);
    w_.buffers_->commit(p_, size_);
    finish(OpKind::Write, o, pre, value(), value(), loc);
  }
  // Read-modify-writes drain the buffer first under TSO (they are locked instructions).
  uint64_t rmw(AtomicOp op, uint64_t d, Order o, const Loc& loc) {
    begin(OpKind::Rmw, loc);
    const uint64_t old = raw();
    uint64_t v = d;
    RmwOp kind = RmwOp::Exchange;
    switch (op) {
      case AtomicOp::Exchange: break;
      case AtomicOp::Add: v = old + d; kind = RmwOp::Add; break;
      case AtomicOp::Sub: v = old - d; kind = RmwOp::Add; d = ~d + 1; break;
      case AtomicOp::And: v = old & d; kind = RmwOp::And; break;
      case AtomicOp::Or: v = old | d; kind = RmwOp::Or; break;
      case AtomicOp::Xor: v = old ^ d; kind = RmwOp::Xor; break;
      case AtomicOp::Nand: v = ~(old & d); break;  // recorded as the exchange it amounts to
    }
    if (op == AtomicOp::Nand) d = v;
    store_bytes(p_, size_, v);
    w_.buffers_->commit(p_, size_);
    finish(OpKind::Rmw, o, w_.stable(old), value(), value(), loc, 0, w_.stable(d), kind);
    return old;
  }
  bool cas(uint64_t* expected, uint64_t desired, Order o, const Loc& loc) {
    begin(OpKind::Rmw, loc);
    const uint64_t pre = raw();
    const uint64_t mask = size_ >= 8 ? ~uint64_t{0} : ((uint64_t{1} << (8 * size_)) - 1);
    if (pre == (*expected & mask)) {
      store_bytes(p_, size_, desired);
      w_.buffers_->commit(p_, size_);
      finish(OpKind::Rmw, o, w_.stable(pre), value(), value(), loc, kFlagCas, w_.stable(*expected));
      return true;
    }
    finish(OpKind::CasFail, o, w_.stable(pre), w_.stable(pre), w_.stable(pre), loc, kFlagCas, w_.stable(*expected));
    *expected = pre;
    return false;
  }

 private:
  // A load under TSO that takes every byte from the thread's own buffered stores.
  uint8_t forwarded() const {
    return tso() && w_.buffers_->forwarded(x_.current(), p_, size_) ? kFlagForwarded : 0;
  }
  World& w_;
  uint8_t* p_;
  unsigned size_;
  uint8_t* base_;      // its block's
  size_t block_size_;
  uint64_t pre_ = 0;
  bool buffered_ = false;
};

// One execution runs on a host thread at a time; the next one's World may be made before the
// last one's is destroyed.
World::World(Execution& x, std::set<std::string> bugs)
    : x_(x), bugs_(std::move(bugs)), buffers_(std::make_unique<Buffers>()) {
  tls_world = this;
  if (x.memory() == MemoryModel::TSO) x.on_resume([this] { buffers_->enter(x_.current()); });
}

World::~World() {
  if (x_.memory() == MemoryModel::TSO) x_.on_resume(nullptr);
  if (tls_world == this) tls_world = nullptr;
}

World* World::current() { return tls_world; }

World::NameScope::NameScope(World& w, const void* addr) {
  Block* b = w.block_of(reinterpret_cast<uintptr_t>(addr));
  if (!b) {
    leaf = "c_object[" + std::to_string(w.keyed_.size()) + "]";  // not vcpucheck's memory: by order of first use
    return;
  }
  scope = std::make_unique<Scope>(w.x_, Scope::Absolute{}, b->name, b->id);
  const auto off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(addr) - b->base);
  leaf = dwarf::member_at(b->type, off);
  if (leaf.empty()) leaf = "+" + hex(off);
}

World::NameScope::~NameScope() = default;

void* World::alloc(size_t n, bool zero, const Loc& loc, uintptr_t pc) {
  flush();
  const std::string site = function_name(loc) + ":" + std::to_string(loc.line());
  const int k = ++sites_[site];
  const std::string name = k == 1 ? site : site + "#" + std::to_string(k);
  const size_t bytes = n ? n : 1;
  memory_.push_back(std::make_unique<uint8_t[]>(bytes));  // zeroed either way: deterministic bytes
  uint8_t* p = memory_.back().get();
  // Not leak-checked: which C words hold pointers to it is not known.
  const BlockId id = heap_begin_alloc(x_, name, false, loc);
  Block b;
  b.base = reinterpret_cast<uintptr_t>(p);
  b.size = n;
  b.id = id;
  b.type = pc ? dwarf::type_of_allocation(pc, n) : 0;
  b.ordinal = next_ordinal_++;
  b.name = x_.block(id).name;
  b.setup = !x_.in_thread();  // the harness's setup: what it writes is the initial state
  b.zeroed = zero || b.setup;
  blocks_.emplace(b.base, std::move(b));
  heap_end_alloc(x_, id, loc);
  return p;
}

void World::free(void* p, const Loc& loc) {
  flush();
  if (!p) return;
  heap_free_block(x_, block_at(p, "kfree", loc), loc);
}

BlockId World::block_at(const void* p, const char* call, const Loc& loc) {
  auto it = blocks_.find(reinterpret_cast<uintptr_t>(p));
  if (it == blocks_.end() || !it->second.id.valid())
    x_.fail(ViolationKind::ModelError,
            std::string(call) + " of " +
                (block_of(reinterpret_cast<uintptr_t>(p)) ? "a pointer inside a block" : "memory vcpucheck did not allocate"),
            loc);
  return it->second.id;
}

std::string World::name_of(const void* addr) {
  const Block* b = block_of(reinterpret_cast<uintptr_t>(addr));
  if (!b) return "c memory";
  const auto off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(addr) - b->base);
  const std::string m = dwarf::member_at(b->type, off);
  if (!m.empty()) return b->name + (m[0] == '[' ? "" : ".") + m;
  return off ? b->name + "+" + hex(off) : b->name;
}

bool World::freed(const void* p) const {
  auto it = blocks_.find(reinterpret_cast<uintptr_t>(p));
  return it != blocks_.end() && it->second.id.valid() && x_.block(it->second.id).freed;
}

void World::add_global(void* p, size_t n, const std::string& name) {
  // The first registration's bytes, for the process (executions run one per host thread at a
  // time, possibly several host threads: the images are shared under a lock).
  static std::mutex mu;
  static std::map<std::pair<uintptr_t, size_t>, std::vector<uint8_t>>* images = new std::map<std::pair<uintptr_t, size_t>, std::vector<uint8_t>>;
  {
    std::lock_guard<std::mutex> lock(mu);
    const auto key = std::make_pair(reinterpret_cast<uintptr_t>(p), n);
    auto it = images->find(key);
    if (it == images->end())
      images->emplace(key, std::vector<uint8_t>(static_cast<uint8_t*>(p), static_cast<uint8_t*>(p) + n));
    else
      std::memcpy(p, it->second.data(), n);
  }
  if (block_of(reinterpret_cast<uintptr_t>(p)) || block_of(reinterpret_cast<uintptr_t>(p) + (n ? n - 1 : 0)))
    x_.fail(ViolationKind::ModelError, "add_global(" + name + "): the memory overlaps memory already registered or allocated", Loc::current());
  Block b;
  b.base = reinterpret_cast<uintptr_t>(p);
  b.size = n;
  b.name = name;
  b.zeroed = true;
  b.setup = true;
  b.ordinal = next_ordinal_++;
  blocks_.emplace(b.base, std::move(b));
}

uint64_t World::stable(uint64_t v) const {
  if (v < 4096) return v;  // NULL, small numbers: never an address of ours
  auto it = blocks_.upper_bound(v);
  if (it == blocks_.begin()) return v;
  --it;
  const Block& b = it->second;
  if (v >= b.base + (b.size ? b.size : 1)) return v;
  return 0xc000000000000000ull | (uint64_t(b.ordinal) + 1) << 32 | (v - b.base);
}

World::Block* World::block_of(uintptr_t a) {
  auto it = blocks_.upper_bound(a);
  if (it == blocks_.begin()) return nullptr;
  --it;
  Block& b = it->second;
  return a < b.base + (b.size ? b.size : 1) ? &b : nullptr;
}

Word* World::words_for(Block& b, uint32_t off, uint32_t size, std::vector<Word*>& out) {
  out.clear();
  Word* exact = nullptr;
  bool overlapped = false;
  // Only a word starting at most max_word bytes before `off` can reach it.
  auto it = b.words.lower_bound({off >= b.max_word ? off - b.max_word : 0, 0});
  for (; it != b.words.end() && it->first.first < off + size; ++it) {
    const auto [o, s] = it->first;
    if (o + s <= off) continue;
    out.push_back(it->second.get());
    overlapped = true;
    if (o == off && s == size) exact = it->second.get();
  }
  if (exact) return exact;
  // A new shape. Over memory an earlier shape already covers, it starts initialized: the
  // accesses of the overlapping words carry the ordering (and use-before-init) for those bytes.
  Scope s(x_, Scope::Absolute{}, b.name, b.id);
  const bool initialized = b.zeroed || overlapped;
  std::string leaf = dwarf::member(b.type, off, size);
  if (leaf.empty()) leaf = "+" + hex(off) + (size == 1 ? "" : ":" + std::to_string(size));
  auto w = std::make_unique<Word>(*this, x_, leaf,
                                  reinterpret_cast<uint8_t*>(b.base + off), size, initialized,
                                  /*preexisting=*/b.setup, /*init_at_alloc=*/!b.setup && b.zeroed,
                                  reinterpret_cast<uint8_t*>(b.base), b.size);
  exact = w.get();
  out.push_back(exact);
  b.max_word = std::max(b.max_word, size);
  b.words.emplace(std::make_pair(off, size), std::move(w));
  return exact;
}

void World::wrong_kind(const char* call, const Loc& loc, const char* made_by) {
  x_.fail(ViolationKind::ModelError,
          std::string(call) + " on an object that is another kind of kernel object (made by " + made_by + ")", loc);
}

void World::null_deref(const void* addr, const char* call, const Loc& loc) {
  x_.fail(ViolationKind::NullDeref,
          std::string("NULL pointer dereference: ") + call + " of the object at " + hex(reinterpret_cast<uintptr_t>(addr)), loc);
}

Lock* World::lock_at(const void* addr) {
  auto it = keyed_.find({reinterpret_cast<uintptr_t>(addr), Space::Object});
  return it == keyed_.end() ? nullptr : it->second.lock;
}

void World::flush() {
  if (!buffers_->empty()) buffers_->enter(x_.current());
  if (pending_) {
    Word* w = std::exchange(pending_, nullptr);
    w->record_store(pending_order_, pending_loc_, pending_at_, pending_len_);
  } else if (!spanned_.empty()) {
    record_spanned();
  }
}

// A store over several words: each is its own visible step, in offset order, made from the bytes
// the code stored -- taken back out of place first, so that no thread sees a word before its step.
void World::record_spanned() {
  const std::vector<Word*> words = std::move(spanned_);
  spanned_.clear();
  uint8_t* at = pending_at_;  // copied: announcing runs other threads
  const uint32_t len = pending_len_;
  const Loc loc = pending_loc_;
  const Order order = pending_order_;
  const std::vector<uint8_t> stored(at, at + len);
  std::memcpy(at, spanned_old_.data(), len);
  for (Word* w : words) {
    w->announce_store(loc);  // may run other threads: the bytes in place are their view
    uint8_t* lo = std::max(at, w->at());
    uint8_t* hi = std::min(at + len, w->at() + w->size());
    std::memcpy(lo, stored.data() + (lo - at), static_cast<size_t>(hi - lo));
    w->record_store(order, loc, lo, static_cast<uint32_t>(hi - lo));
  }
}

void World::access(const void* addr, size_t size, Access a, uintptr_t pc) {
  flush();
  if (reinterpret_cast<uintptr_t>(addr) < 4096 && x_.in_thread())  // before the access faults
    x_.fail(ViolationKind::NullDeref, "NULL pointer dereference (an access at " + hex(reinterpret_cast<uintptr_t>(addr)) + ")",
            loc_of(pc));
  Block* b = block_of(reinterpret_cast<uintptr_t>(addr));
  if (!b || !x_.in_thread()) return;  // not shared memory, or the harness building its state
  const uint32_t off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(addr) - b->base);
  const uint32_t n = static_cast<uint32_t>(size);
  const Loc loc = loc_of(pc);
  if (b->size && off + n > b->size) {
    x_.fail(ViolationKind::OutOfBounds,
            "a " + std::to_string(n) + "-byte access at offset " + std::to_string(off) + " of " + b->name + " (size " +
                std::to_string(b->size) + ")",
            loc, b->name);
  }
  const Order o = (a == Access::VolatileRead || a == Access::VolatileWrite) ? Order::Relaxed : Order::Plain;
  const bool write = a == Access::Write || a == Access::VolatileWrite;
  words_for(*b, off, n, scratch_);
  if (!write) {
    const std::vector<Word*> words = scratch_;
    for (Word* w : words) w->read(o, loc);
    return;
  }
  // The announce may run other threads, which use the pending fields and scratch_ themselves:
  // this thread's are set once it is back.
  Word* single = scratch_.size() == 1 ? scratch_[0] : nullptr;
  if (single) single->announce_store(loc);  // recorded once the code has stored its value
  pending_at_ = const_cast<uint8_t*>(static_cast<const uint8_t*>(addr));
  pending_len_ = n;
  pending_loc_ = loc;
  pending_order_ = o;
  if (single) {
    pending_ = single;
    return;
  }
  spanned_ = scratch_;  // announced and recorded word by word at the next entry
  spanned_old_.assign(pending_at_, pending_at_ + n);
  if (x_.memory() == MemoryModel::TSO) buffers_->prepare(reinterpret_cast<uint8_t*>(b->base), b->size);
}

Word& World::word(const void* addr, unsigned size, const char* what, const Loc& loc) {
  flush();
  Block* b = block_of(reinterpret_cast<uintptr_t>(addr));
  if (!b)
    x_.fail(ViolationKind::ModelError, std::string(what) + " on memory vcpucheck does not own (allocate it with kmalloc, or register the global)", loc);
  const uint32_t off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(addr) - b->base);
  return *words_for(*b, off, size, scratch_);  // the exact shape: an atomic is one object
}

uint64_t World::atomic_load(const void* addr, unsigned size, Order o, uintptr_t pc) {
  const Loc loc = loc_of(pc);
  if (!x_.in_thread() && !block_of(reinterpret_cast<uintptr_t>(addr))) return load_bytes(addr, size);
  return word(addr, size, "an atomic load", loc).load(o, loc);
}

void World::atomic_store(void* addr, unsigned size, uint64_t v, Order o, uintptr_t pc) {
  const Loc loc = loc_of(pc);
  if (!x_.in_thread() && !block_of(reinterpret_cast<uintptr_t>(addr))) return store_bytes(addr, size, v);
  word(addr, size, "an atomic store", loc).store(v, o, loc);
}

uint64_t World::atomic_rmw(void* addr, unsigned size, AtomicOp op, uint64_t v, Order o, uintptr_t pc) {
  const Loc loc = loc_of(pc);
  return word(addr, size, "an atomic read-modify-write", loc).rmw(op, v, o, loc);
}

bool World::atomic_cas(void* addr, unsigned size, uint64_t* expected, uint64_t desired, Order o, uintptr_t pc) {
  const Loc loc = loc_of(pc);
  return word(addr, size, "a compare-and-exchange", loc).cas(expected, desired, o, loc);
}

void World::fence(Order o, uintptr_t pc) {
  flush();
  sim::fence(x_, o, loc_of(pc));
}

}  // namespace vcpucheck::sim::c

extern "C" void vcpucheck_use(unsigned long) {}

extern "C" void vcpucheck_violation(const char* kind, const char* object, const char* message) {
  using vcpucheck::sim::ViolationKind;
  vcpucheck::sim::c::World* w = vcpucheck::sim::c::World::current();
  const vcpucheck::sim::Loc loc = vcpucheck::sim::c::World::loc_of(reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
  vcpucheck::sim::Execution& x = w ? w->exec() : vcpucheck::sim::current_execution();
  if (w) w->flush();
  ViolationKind k;
  if (!vcpucheck::sim::violation_from_name(kind, k))
    x.fail(ViolationKind::ModelError, std::string("vcpucheck_violation: unknown kind '") + kind + "'", loc);
  x.fail(k, message, loc, object);
}

extern "C" int vcpucheck_freed(const void* p) {
  vcpucheck::sim::c::World* w = vcpucheck::sim::c::World::current();
  return w && w->freed(p) ? 1 : 0;
}

extern "C" int vcpucheck_bug(const char* name) {
  const vcpucheck::sim::c::World* w = vcpucheck::sim::c::World::current();
  return w && w->bug(name) ? 1 : 0;
}
