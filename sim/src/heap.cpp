#include "sim/heap.hpp"

namespace vcpucheck::sim {

// Outside a thread (a model's initial state) allocation is not a visible operation.
BlockId heap_begin_alloc(Execution& x, const std::string& name, bool must_free, const Loc& loc) {
  if (x.in_thread()) x.announce(PendingOp{OpKind::Alloc, ObjectId(), LockMode::Exclusive, false, false, loc});
  Execution::BlockInfo bi;
  bi.name = scoped_name(x, name);
  bi.must_free = must_free;
  bi.alloc_at = where(loc) + " by " +
                (x.in_thread() ? x.thread(x.current()).name : std::string("setup"));
  BlockId b = x.new_block(std::move(bi));
  ObjectInfo oi;
  oi.name = x.block(b).name;
  oi.cls = ObjectClass::Block;
  oi.block = b;
  x.block(b).header = x.add_object(std::move(oi));
  return b;
}

void heap_end_alloc(Execution& x, BlockId b, const Loc& loc) {
  if (!x.in_thread()) return;
  Event e;
  e.tid = x.current();
  e.obj = x.block(b).header;
  e.block = b;
  e.kind = OpKind::Alloc;
  e.value = b.v;
  e.loc = loc;
  x.record(e);
}

void heap_free_block(Execution& x, BlockId b, const Loc& loc) {
  x.require_thread("a free", loc);
  Execution::BlockInfo& bi = x.block(b);
  x.announce(PendingOp{OpKind::Free, bi.header, LockMode::Exclusive, false, false, loc});
  if (bi.freed)
    x.fail(ViolationKind::DoubleFree, bi.name + " freed again (first freed at " + bi.freed_at + ")", loc, bi.name);
  bi.freed = true;
  bi.freed_at = where(loc) + " by " + x.thread(x.current()).name;
  bi.freed_step = static_cast<int64_t>(x.steps());
  Event e;
  e.tid = x.current();
  e.obj = bi.header;
  e.block = b;
  e.kind = OpKind::Free;
  e.value = b.v;
  e.loc = loc;
  x.record(e);
}

}  // namespace vcpucheck::sim
