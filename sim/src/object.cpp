#include "sim/object.hpp"

#include "sim/memory.hpp"

namespace vcpucheck::sim {

Scope::Scope(Execution& x, const std::string& name, BlockId block) : x_(x) {
  x_.name_scopes.push_back(scoped_name(x, name));
  x_.block_scopes.push_back(block.valid() ? block : scoped_block(x));
}

Scope::Scope(Execution& x, Absolute, const std::string& full_name, BlockId block) : x_(x) {
  x_.name_scopes.push_back(full_name);
  x_.block_scopes.push_back(block);
}

Scope::~Scope() {
  x_.name_scopes.pop_back();
  x_.block_scopes.pop_back();
}

std::string scoped_name(Execution& x, const std::string& leaf) {
  if (x.name_scopes.empty() || x.name_scopes.back().empty()) return leaf;
  if (leaf.empty()) return x.name_scopes.back();
  if (leaf[0] == '[' || leaf[0] == '+') return x.name_scopes.back() + leaf;  // vcpu[3], C memory's block+0x10
  return x.name_scopes.back() + "." + leaf;
}

BlockId scoped_block(Execution& x) { return x.block_scopes.empty() ? BlockId() : x.block_scopes.back(); }

SharedObject::SharedObject(Execution& x, const std::string& leaf, ObjectClass cls, Blocker* blocker,
                           bool init_on_create, uint64_t initial, bool preexisting, bool init_at_alloc)
    : x_(x), block_(scoped_block(x)) {
  ObjectInfo oi;
  oi.name = scoped_name(x, leaf);
  oi.cls = cls;
  oi.block = block_;
  oi.blocker = blocker;
  oi.init_on_create = init_on_create;
  oi.initial = initial;
  oi.preexisting = preexisting;
  oi.init_at_alloc = init_at_alloc;
  id_ = x.add_object(std::move(oi));
}

void SharedObject::check_alive(const Loc& loc) const {
  if (!block_.valid()) return;
  const auto& b = x_.block(block_);
  if (b.freed)
    x_.fail(ViolationKind::UseAfterFree,
            name() + " belongs to " + b.name + ", freed at " + b.freed_at, loc, name());
}

Cell::Cell(Execution& x, const std::string& leaf, bool init_on_create, uint64_t initial, bool is_ptr,
           bool is_signed, uint8_t bytes, bool preexisting, bool init_at_alloc)
    : SharedObject(x, leaf, ObjectClass::Memory, nullptr, init_on_create, initial, preexisting, init_at_alloc), ptr_(is_ptr) {
  x.object(id_).bytes = bytes;
  x.object(id_).is_ptr = is_ptr;
  x.object(id_).is_signed = is_signed;
  x.object(id_).current = initial;
}

void fence(Execution& x, Order o, const Loc& loc) {
  if (!x.in_thread()) return;  // nothing to order while the model builds its initial state
  PendingOp op{OpKind::Fence, ObjectId(), LockMode::Exclusive, false, false, loc};
  op.drain = o == Order::SeqCst && x.memory() == MemoryModel::TSO;  // smp_mb drains; wmb/rmb do not
  x.announce(op);
  Event e;
  e.tid = x.current();
  e.kind = OpKind::Fence;
  e.order = o;
  e.loc = loc;
  x.record(e);
}

}  // namespace vcpucheck::sim
