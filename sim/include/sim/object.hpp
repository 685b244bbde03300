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

class SharedObject {
 public:
  SharedObject(Execution& x, const std::string& leaf, ObjectClass cls, Blocker* blocker = nullptr,
               bool init_on_create = true, uint64_t initial = 0, bool preexisting = false);
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
