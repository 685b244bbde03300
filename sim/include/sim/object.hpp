// Base of every shared object a model declares: registers it with the execution (an id in
// creation order, a dotted name such as `vm.vcpu[3].state`) and remembers its heap block.
#pragma once
#include <string>
#include <vector>

#include "sim/execution.hpp"

namespace vcpucheck::sim {

// Names objects created while it is alive: `Scope s(x, "vm")` makes a field named "state"
// register as "vm.state". Heap allocation opens one for the block it creates.
class Scope {
 public:
  Scope(Execution& x, const std::string& name, BlockId block = BlockId());
  // A scope whose name is already complete (a heap block's): it does not nest in the current one.
  struct Absolute {};
  Scope(Execution& x, Absolute, const std::string& full_name, BlockId block);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Execution& x_;
};

std::string scoped_name(Execution& x, const std::string& leaf);
BlockId scoped_block(Execution& x);

// A struct member (or a model's whole state) whose shared objects are named under `leaf`: with
//   struct Arch { sim::Field<uint64_t> cr0; Arch(Execution& x) : cr0(x, "cr0") {} };
//   struct Vcpu { sim::Nested<Arch> arch; Vcpu(Execution& x) : arch(x, "arch") {} };
// a heap-allocated vcpu[1]'s register is `vcpu[1].arch.cr0`, with no prefix written by hand.
// T is built as T(x, args...).
template <class T>
class Nested : public T {
 public:
  template <class... A>
  Nested(Execution& x, const std::string& leaf, A&&... a) try : T(enter(x, leaf), std::forward<A>(a)...) {
    leave(x);
  } catch (...) {
    leave(x);
  }

 private:
  static Execution& enter(Execution& x, const std::string& leaf) {
    x.name_scopes.push_back(scoped_name(x, leaf));
    x.block_scopes.push_back(scoped_block(x));
    return x;
  }
  static void leave(Execution& x) {
    x.name_scopes.pop_back();
    x.block_scopes.pop_back();
  }
};

class SharedObject {
 public:
  SharedObject(Execution& x, const std::string& leaf, ObjectClass cls, Blocker* blocker = nullptr,
               bool init_on_create = true, uint64_t initial = 0, bool preexisting = false, bool init_at_alloc = false);
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;

  ObjectId id() const { return id_; }
  BlockId block() const { return block_; }
  const std::string& name() const { return x_.object(id_).name; }
  Execution& exec() const { return x_; }

 protected:
  // Checks that the object's heap block is still allocated (use-after-free otherwise).
  void check_alive(const Loc& loc) const;
  Event event(OpKind k, const Loc& loc) const {
    Event e;
    e.tid = x_.current();
    e.obj = id_;
    e.block = block_;
    e.kind = k;
    e.loc = loc;
    return e;
  }

  Execution& x_;
  ObjectId id_;
  BlockId block_;
};

}  // namespace vcpucheck::sim
