// The model heap: blocks with lifetimes, checked pointers and checked arrays.
//
// A block's host memory lives until the execution ends, so a model bug never touches freed host
// memory: a field of a freed block reports use-after-free with the model's source location, a NULL
// Ptr dereference reports where the pointer was loaded, an out-of-range index reports the index.
//
//   Ptr<Vcpu> v = heap_alloc<Vcpu>(x, "vcpu[3]", args...);   // a visible operation
//   v->state.set(VCPU_IDLE);
//   heap_free(x, v);                                    // later accesses are use-after-free
#pragma once
#include <memory>
#include <vector>

#include "sim/memory.hpp"

namespace vcpucheck::sim {

template <class T>
class Ptr {
 public:
  Ptr() = default;
  // A NULL the model wrote (`return nullptr;`): remembers that line, so dereferencing it reports
  // the model's line rather than this header's.
  Ptr(std::nullptr_t, const Loc& made = Loc::current())
      : from_(std::make_shared<std::pair<std::string, Loc>>(std::string(), made)) {}
  Ptr(T* p, BlockId b) : p_(p), b_(b) {}

  explicit operator bool() const { return p_ != nullptr; }
  bool operator==(const Ptr& o) const { return p_ == o.p_; }
  bool operator==(std::nullptr_t) const { return p_ == nullptr; }

  // Dereference: a NULL pointer is a reported violation, never a host crash. The report names
  // where this pointer value was loaded from (see note_load).
  T* operator->() const { return checked(); }
  T& operator*() const { return *checked(); }
  // Explicit form with the dereference's own location.
  T* deref(const Loc& loc = Loc::current()) const {
    if (!p_) null_deref(loc);
    return p_;
  }

  BlockId block() const { return b_; }
  T* raw() const { return p_; }
  uint64_t encode() const { return p_ ? uint64_t(b_.v) + 1 : 0; }

  // Remembers where this value was read, for the NULL-dereference report.
  Ptr& note_load(const std::string& from, const Loc& loc) {
    from_ = std::make_shared<std::pair<std::string, Loc>>(from, loc);
    return *this;
  }

 private:
  T* checked() const {
    if (!p_) null_deref(from_ ? from_->second : Loc::current());
    return p_;
  }
  [[noreturn]] void null_deref(const Loc& loc) const {
    std::string msg = "NULL pointer dereference";
    if (from_ && from_->first.empty())
      msg += " of the NULL made at " + where(from_->second);
    else if (from_)
      msg += " of the value loaded from " + from_->first + " at " + loc_string(from_->second);
    else
      msg += " of a pointer that was never set";
    current_execution().fail(ViolationKind::NullDeref, msg, loc, from_ ? from_->first : std::string());
  }

  T* p_ = nullptr;
  BlockId b_;
  std::shared_ptr<std::pair<std::string, Loc>> from_;
};

template <class T>
struct Codec<Ptr<T>> {
  static uint64_t encode(const Ptr<T>& v) { return v.encode(); }
};

// The visible allocation step; returns the new block (named `name`, fields named under it).
BlockId heap_begin_alloc(Execution& x, const std::string& name, bool must_free, const Loc& loc);
void heap_end_alloc(Execution& x, BlockId b, const Loc& loc);

// A block's name and where it is allocated: converted from the name at the call, so the
// location is the caller's line (`heap_alloc<Vcpu>(x, "vcpu", id)`); `Named{name, loc}` passes
// another one (a helper that allocates on its caller's behalf).
struct Named {
  std::string name;
  Loc loc;
  Named(const char* n, const Loc& l = Loc::current()) : name(n), loc(l) {}
  Named(std::string n, const Loc& l = Loc::current()) : name(std::move(n)), loc(l) {}
};

template <class T, class... Args>
Ptr<T> heap_alloc(Execution& x, Named named, Args&&... args) {
  const Loc& loc = named.loc;
  BlockId b = heap_begin_alloc(x, named.name, true, loc);
  std::shared_ptr<T> obj;
  {
    Scope s(x, Scope::Absolute{}, x.block(b).name, b);
    obj = std::make_shared<T>(x, std::forward<Args>(args)...);
  }
  x.arena.push_back(obj);
  heap_end_alloc(x, b, loc);
  return Ptr<T>(obj.get(), b);
}

// Frees a block: a visible operation; a second free is a double free, a NULL free is a no-op.
void heap_free_block(Execution& x, BlockId b, const Loc& loc);
template <class T>
void heap_free(Execution& x, const Ptr<T>& p, const Loc& loc = Loc::current()) {
  if (!p) return;
  heap_free_block(x, p.block(), loc);
}

// A fixed-size array of cells (Field<T> or Atomic<T>), bounds-checked on every index.
template <class CellT>
class Array {
 public:
  template <class... Init>
  Array(Execution& x, const std::string& leaf, size_t n, Init... init) : x_(x), name_(scoped_name(x, leaf)) {
    cells_.reserve(n);
    for (size_t i = 0; i < n; ++i) cells_.push_back(std::make_unique<CellT>(x, leaf + "[" + std::to_string(i) + "]", init...));
  }
  CellT& at(int64_t i, const Loc& loc = Loc::current()) {
    if (i < 0 || static_cast<size_t>(i) >= cells_.size())
      x_.fail(ViolationKind::OutOfBounds,
              "index " + std::to_string(i) + " out of bounds of " + name_ + " (size " + std::to_string(cells_.size()) + ")",
              loc, name_);
    return *cells_[static_cast<size_t>(i)];
  }
  size_t size() const { return cells_.size(); }
  CellT& peek(size_t i) { return *cells_[i]; }

 private:
  Execution& x_;
  std::string name_;
  std::vector<std::unique_ptr<CellT>> cells_;
};

}  // namespace vcpucheck::sim
