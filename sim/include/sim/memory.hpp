// Shared memory: plain fields, atomics with C++ memory orders, and the kernel's fences.
//
// Values are sequentially consistent (an interleaving semantics); memory orders only decide which
// happens-before edges exist, which the race and use-before-init detectors check. A missing
// release/acquire pair is therefore caught as use-before-init even in an interleaving where the
// reader happened to see the value.
//
//   Field<int> reqidle{x, "reqidle"};                  // plain: racy accesses are data races
//   Atomic<uint32_t> online{x, "online_vcpus"};        // atomic: never a data race
//   Field<int> cookie{x, "cookie", uninit};            // the first write initializes it
#pragma once
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/object.hpp"

namespace vcpucheck::sim {

// Encodes a field's value into the 64-bit word events carry. Specialized by Ptr<T> (heap.hpp).
template <class T, class = void>
struct Codec {
  static_assert(std::is_integral_v<T> || std::is_enum_v<T>, "Field<T>: T must be integral, an enum or Ptr<U>");
  static uint64_t encode(T v) { return static_cast<uint64_t>(v); }
};

struct Uninit {};
inline constexpr Uninit uninit{};

// Shared by Field and Atomic: the announce / check / record path.
class Cell : public SharedObject, public BufferTarget {
  bool ptr_;

 public:
  // `preexisting`, `init_at_alloc`: see ObjectInfo (C memory's objects, made on first access).
  Cell(Execution& x, const std::string& leaf, bool init_on_create, uint64_t initial, bool is_ptr, bool is_signed,
       uint8_t bytes = 8, bool preexisting = false, bool init_at_alloc = false);
  virtual ~Cell() = default;

 protected:
  // Outside a thread (while a model builds its initial state) an access is not a visible
  // operation: it just sets up the state every execution starts from. `drain`: under TSO it
  // waits for the thread's store buffer to empty (a SeqCst access).
  void begin(OpKind k, const Loc& loc, bool drain = false) {
    if (!x_.in_thread()) return;
    PendingOp op{k, id_, LockMode::Exclusive, false, false, loc};
    op.drain = drain;
    x_.announce(op);
    check_alive(loc);
  }
  bool tso() const { return x_.memory() == MemoryModel::TSO && x_.in_thread() && !x_.object(id_).hardware; }
  void finish(OpKind k, Order o, uint64_t pre, uint64_t post, uint64_t value, const Loc& loc, uint8_t flags = 0,
              uint64_t arg = 0, RmwOp rmw = RmwOp::Exchange) {
    Event e = event(k, loc);
    e.rmw = rmw;
    e.order = o;
    e.pre = pre;
    e.post = post;
    e.value = value;
    e.flags = flags;
    e.arg = arg;
    if (ptr_) x_.object(id_).current = post;
    x_.record(e);
  }
  // A pointer value remembers the cell it was loaded from, for NULL-dereference reports.
  template <class T>
  T noted(T v, const Loc& loc) const {
    if constexpr (requires { v.note_load(std::string(), loc); }) v.note_load(name(), loc);
    return v;
  }
};

// The value of one cell of type T and its visible reads and writes; Field and Atomic expose the
// kernel-shaped API on top.
template <class T>
class TypedCell : public Cell {
 public:
  TypedCell(Execution& x, const std::string& leaf, T init)
      : Cell(x, leaf, true, Codec<T>::encode(init), is_ptr(), is_signed(), width()), v_(init) {}
  TypedCell(Execution& x, const std::string& leaf, Uninit)
      : Cell(x, leaf, false, 0, is_ptr(), is_signed(), width()), v_{} {}
  // Not a visible operation: for end-of-execution invariants, reports and a model's own rule
  // checks. The value the current thread would read: under TSO its newest store to this cell
  // still in its buffer, if any (when the execution ends every buffer is empty).
  const T& peek() const {
    if (!buffered_.empty() && x_.in_thread())
      for (size_t k = buffered_.size(); k-- > 0;)
        if (buffered_[k].first == x_.current().v) return buffered_[k].second;
    return v_;
  }

 protected:
  T read(Order o, const Loc& loc) {
    const bool tso = this->tso();
    begin(OpKind::Read, loc, tso && o == Order::SeqCst);
    if (tso)  // the newest store of this thread still in its buffer, if any
      for (size_t k = buffered_.size(); k-- > 0;)
        if (buffered_[k].first == x_.current().v) {
          const T v = buffered_[k].second;
          const uint64_t c = Codec<T>::encode(v);
          finish(OpKind::Read, o, c, c, c, loc, kFlagForwarded);
          return noted(v, loc);
        }
    uint64_t c = Codec<T>::encode(v_);
    finish(OpKind::Read, o, c, c, c, loc);
    return noted(v_, loc);
  }
  void write(T v, Order o, const Loc& loc) {
    if (tso() && o != Order::SeqCst) {  // into the store buffer; memory changes at its flush
      begin(OpKind::Buffer, loc);
      buffered_.emplace_back(x_.current().v, v);
      const uint64_t c = Codec<T>::encode(v);
      x_.buffer_store(BufferedStore{this, id_, c, o, loc});
      finish(OpKind::Buffer, o, Codec<T>::encode(v_), c, c, loc);
      return;
    }
    begin(OpKind::Write, loc, tso());  // a SeqCst store on TSO: an xchg, after the buffer drained
    uint64_t pre = Codec<T>::encode(v_);
    v_ = v;
    uint64_t c = Codec<T>::encode(v_);
    finish(OpKind::Write, o, pre, c, c, loc);
  }
  // Read-modify-writes (Atomic's, and a Field's marked ones): one visible operation each.
  T rmw_exchange(T v, Order o, const Loc& loc) {
    begin(OpKind::Rmw, loc);
    const T old = v_;
    const uint64_t pre = Codec<T>::encode(v_);
    v_ = v;
    const uint64_t c = Codec<T>::encode(v_);
    finish(OpKind::Rmw, o, pre, c, c, loc);
    return old;
  }
  bool rmw_cas(T& expected, T desired, Order o, const Loc& loc) {
    begin(OpKind::Rmw, loc);
    const uint64_t pre = Codec<T>::encode(v_);
    const uint64_t exp = Codec<T>::encode(expected);
    if (pre == exp) {
      v_ = desired;
      const uint64_t c = Codec<T>::encode(v_);
      finish(OpKind::Rmw, o, pre, c, c, loc, kFlagCas, exp);
      return true;
    }
    expected = v_;
    finish(OpKind::CasFail, o, pre, pre, pre, loc, kFlagCas, exp);
    return false;
  }
  T rmw_op(RmwOp op, T d, Order o, const Loc& loc) {
    begin(OpKind::Rmw, loc);
    const T old = v_;
    switch (op) {
      case RmwOp::Add: v_ = static_cast<T>(v_ + d); break;
      case RmwOp::Or: v_ = static_cast<T>(v_ | d); break;
      case RmwOp::And: v_ = static_cast<T>(v_ & d); break;
      case RmwOp::Xor: v_ = static_cast<T>(v_ ^ d); break;
      case RmwOp::Exchange: v_ = d; break;
    }
    const uint64_t c = Codec<T>::encode(v_);
    finish(OpKind::Rmw, o, Codec<T>::encode(old), c, c, loc, 0, Codec<T>::encode(d), op);
    return old;
  }
  uint64_t flush_oldest(ThreadId t) override {
    for (size_t k = 0; k < buffered_.size(); ++k)
      if (buffered_[k].first == t.v) {
        const uint64_t pre = Codec<T>::encode(v_);
        v_ = buffered_[k].second;
        buffered_.erase(buffered_.begin() + static_cast<long>(k));
        if (this->is_ptr()) x_.object(id_).current = Codec<T>::encode(v_);
        return pre;
      }
    return Codec<T>::encode(v_);
  }
  static constexpr bool is_ptr() { return !std::is_integral_v<T> && !std::is_enum_v<T>; }
  static constexpr uint8_t width() { return is_ptr() ? 8 : static_cast<uint8_t>(sizeof(T)); }
  std::vector<std::pair<uint32_t, T>> buffered_;  // TSO: stores still in a buffer, oldest first (thread, value)
  static constexpr bool is_signed() {
    if constexpr (std::is_enum_v<T>)
      return std::is_signed_v<std::underlying_type_t<T>>;
    else
      return std::is_signed_v<T>;
  }
  T v_;
};

// A plain (non-atomic) field: concurrent accesses not ordered by happens-before are data races.
template <class T>
class Field : public TypedCell<T> {
 public:
  Field(Execution& x, const std::string& leaf, T init = T{}) : TypedCell<T>(x, leaf, init) {}
  Field(Execution& x, const std::string& leaf, Uninit u) : TypedCell<T>(x, leaf, u) {}
  T get(const Loc& loc = Loc::current()) { return this->read(Order::Plain, loc); }
  void set(T v, const Loc& loc = Loc::current()) { this->write(v, Order::Plain, loc); }
  // Marked accesses of a plain field (READ_ONCE, WRITE_ONCE, data_race, smp_load_acquire,
  // smp_store_release): never a data race with another marked access (KCSAN's rule; a plain
  // access concurrent with a write still races), with the happens-before edges of `o`, so a read
  // the initializing write does not happen before is still use-before-init.
  T marked_get(Order o = Order::Relaxed, const Loc& loc = Loc::current()) { return this->read(o, loc); }
  void marked_set(T v, Order o = Order::Relaxed, const Loc& loc = Loc::current()) { this->write(v, o, loc); }
  // Atomic read-modify-writes of a plain field (FreeBSD's atomic(9) on a `volatile u_int`
  // member, the C11 atomic builtins): as Atomic's, and racing with the field's plain accesses.
  T marked_rmw(RmwOp op, T d, Order o, const Loc& loc = Loc::current())
    requires std::is_integral_v<T>
  {
    return this->rmw_op(op, d, o, loc);
  }
  bool marked_cas(T& expected, T desired, Order o, const Loc& loc = Loc::current()) {
    return this->rmw_cas(expected, desired, o, loc);
  }
  T marked_exchange(T v, Order o, const Loc& loc = Loc::current()) { return this->rmw_exchange(v, o, loc); }
};

template <class T>
class Atomic : public TypedCell<T> {
  using Base = TypedCell<T>;
  using Base::v_;

 public:
  Atomic(Execution& x, const std::string& leaf, T init = T{}) : Base(x, leaf, init) {}
  Atomic(Execution& x, const std::string& leaf, Uninit u) : Base(x, leaf, u) {}

  T load(Order o = Order::SeqCst, const Loc& loc = Loc::current()) { return this->read(o, loc); }
  void store(T v, Order o = Order::SeqCst, const Loc& loc = Loc::current()) { this->write(v, o, loc); }
  T exchange(T v, Order o = Order::SeqCst, const Loc& loc = Loc::current()) { return this->rmw_exchange(v, o, loc); }
  // Compare-and-swap: on failure `expected` receives the current value and the event is a read.
  bool compare_exchange(T& expected, T desired, Order o = Order::SeqCst, const Loc& loc = Loc::current()) {
    return this->rmw_cas(expected, desired, o, loc);
  }
  // The kernel's read-modify-writes, each one visible operation that returns the old value
  // (atomic_fetch_*, the bitops): fetch_sub is an Add of the negated operand.
  T fetch_add(T d, Order o = Order::SeqCst, const Loc& loc = Loc::current())
    requires std::is_integral_v<T>
  {
    return this->rmw_op(RmwOp::Add, d, o, loc);
  }
  T fetch_sub(T d, Order o = Order::SeqCst, const Loc& loc = Loc::current())
    requires std::is_integral_v<T>
  {
    return this->rmw_op(RmwOp::Add, static_cast<T>(T{} - d), o, loc);
  }
  T fetch_or(T d, Order o = Order::SeqCst, const Loc& loc = Loc::current())
    requires std::is_integral_v<T>
  {
    return this->rmw_op(RmwOp::Or, d, o, loc);
  }
  T fetch_and(T d, Order o = Order::SeqCst, const Loc& loc = Loc::current())
    requires std::is_integral_v<T>
  {
    return this->rmw_op(RmwOp::And, d, o, loc);
  }
  T fetch_xor(T d, Order o = Order::SeqCst, const Loc& loc = Loc::current())
    requires std::is_integral_v<T>
  {
    return this->rmw_op(RmwOp::Xor, d, o, loc);
  }

};

// Fences. smp_wmb orders earlier stores before later ones (a release fence for the detectors),
// smp_rmb later loads after earlier ones (an acquire fence), smp_mb both.
void fence(Execution& x, Order o, const Loc& loc = Loc::current());
inline void smp_wmb(Execution& x, const Loc& loc = Loc::current()) { fence(x, Order::Release, loc); }
inline void smp_rmb(Execution& x, const Loc& loc = Loc::current()) { fence(x, Order::Acquire, loc); }
inline void smp_mb(Execution& x, const Loc& loc = Loc::current()) { fence(x, Order::SeqCst, loc); }

}  // namespace vcpucheck::sim
