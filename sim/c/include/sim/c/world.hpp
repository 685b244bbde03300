// C code under the checker: the memory a C model's code shares, as vcpucheck objects.
//
// The C sources are compiled with GCC's ThreadSanitizer instrumentation only (no TSan runtime):
// every load and store the compiler could not prove thread-local calls a hook (hooks.cpp), and
// vcpucheck answers it. An access to memory vcpucheck owns -- blocks from the kernel allocator
// shims (kmalloc, kzalloc, malloc(9)) and globals the harness registers -- is a visible operation
// on an object keyed by (block, offset, size), created on first access with a deterministic name
// and id; an access to any other memory (the thread's own stack, the harness's) is not shared
// and costs one lookup.
//
//   plain access        a plain field: unordered concurrent accesses are data races; a read of a
//                       kmalloc'd byte no write happens before is use-before-init (kzalloc'd
//                       memory is initialized by its allocation)
//   volatile access     a marked access (READ_ONCE/WRITE_ONCE; KCSAN's rule: not a data race with
//                       another marked access, relaxed ordering)
//   __atomic builtins   atomics with their C11 orders, performed here (one visible operation each)
//   a range (memcpy)    every object the range overlaps
//
// An access that overlaps objects of another shape (an 8-byte copy over two 4-byte fields)
// touches each of them. A store's value is recorded at the thread's next entry into vcpucheck:
// the instrumented code stores right after its hook returns, and no other thread runs between
// (a store over several objects is made one object at a time at that entry, each its own step).
//
// Memory models: under SC the bytes in place are memory. Under TSO (`--memory tso`) plain,
// volatile, relaxed and release stores enter the thread's store buffer as they do in C++ models,
// and the bytes in place are switched to each thread's own view when it runs (src/buffers.hpp).
//
// The harness declares one World per execution among its model's state (`sim::c::World c{x};`),
// like lnx::Kernel; objects the shims key by address (a `struct mutex` inside a kernel struct)
// live here too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "sim/memory.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::sim::c {

// How the instrumented code touches memory.
enum class Access : uint8_t { Read, Write, VolatileRead, VolatileWrite };

// An atomic read-modify-write the hooks perform.
enum class AtomicOp : uint8_t { Exchange, Add, Sub, And, Or, Xor, Nand };

class Word;
class Buffers;

class World {
 public:
  // `bugs`: the scenario's enabled bug switches, which the C code asks with vcpucheck_bug().
  explicit World(Execution& x, std::set<std::string> bugs = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // This host thread's World (the execution running here), or nullptr: C code outside a C model.
  static World* current();
  Execution& exec() { return x_; }
  bool bug(const std::string& name) const { return bugs_.count(name) != 0; }

  // --- memory ---------------------------------------------------------------------------------
  // A block of `n` bytes vcpucheck owns, named after its allocation site (`kvm_vm_ioctl_create_vcpu:41`,
  // `#2` for the second from that line): a visible Alloc step. `zero`: kzalloc / M_ZERO. `pc`: the
  // allocation call's return address, where the block's struct type is looked up (field names).
  void* alloc(size_t n, bool zero, const Loc& loc, uintptr_t pc = 0);
  // kfree / free(9): a visible Free step; NULL is a no-op, a second free a double free, a
  // pointer vcpucheck did not allocate a model error. The bytes stay readable until the
  // execution ends, so a use after free is reported, never a host crash.
  void free(void* p, const Loc& loc);
  // Whether `p` is a block of ours that was freed (not a visible operation).
  bool freed(const void* p) const;
  // The heap block `p` starts (kfree_rcu); a model error naming `call` when it starts none.
  BlockId block_at(const void* p, const char* call, const Loc& loc);
  // How reports name the memory at `addr`: `kvm_create_vm:12+0x40`, a global's name, or `c memory`.
  std::string name_of(const void* addr);
  // Memory the harness owns (a C global), shared and initialized from the start: named `name`,
  // and put back to the bytes it had when it was first registered in this process, so every
  // execution starts from the same state (a C model's globals outlive its executions).
  void add_global(void* p, size_t n, const std::string& name);

  // --- what the hooks do ----------------------------------------------------------------------
  void access(const void* addr, size_t size, Access a, uintptr_t pc);
  uint64_t atomic_load(const void* addr, unsigned size, Order o, uintptr_t pc);
  void atomic_store(void* addr, unsigned size, uint64_t v, Order o, uintptr_t pc);
  uint64_t atomic_rmw(void* addr, unsigned size, AtomicOp op, uint64_t v, Order o, uintptr_t pc);
  // Compare-and-exchange: true and `desired` stored when *addr == *expected; otherwise false and
  // *expected updated.
  bool atomic_cas(void* addr, unsigned size, uint64_t* expected, uint64_t desired, Order o, uintptr_t pc);
  void fence(Order o, uintptr_t pc);
  // Records the thread's store made since its last hook, and puts the running thread's view of
  // memory in place (TSO). Every entry into vcpucheck from C code calls it first (the hooks, the
  // shims, the harness around each C call).
  void flush();

  // --- objects the shims key by address ---------------------------------------------------------
  // Kernel objects (locks, RCU domains) and wait channels are two spaces: any address is a wait
  // channel, also one where a lock lives (msleep(vcpu, &vcpu->mtx, ...) with mtx at offset 0).
  enum class Space : uint8_t { Object, WaitChannel };
  // The object at `addr` (a `struct mutex` member, a global `spinlock_t`), made by `make(name)` on
  // first use; named after the memory it is in (`kvm_create_vm:12+0x40`, or the global's name).
  // The same address used as another kind of object (mutex_lock on a spinlock_t) is a model error.
  template <class T, class Make>
  T& object_at(const void* addr, const char* call, const Loc& loc, Make make, Space space = Space::Object) {
    const std::pair<uintptr_t, Space> key{reinterpret_cast<uintptr_t>(addr), space};
    if (space == Space::Object) null_object(addr, call, loc);
    auto it = keyed_.find(key);
    if (it == keyed_.end()) {
      std::shared_ptr<T> made;
      {
        NameScope s(*this, addr);
        made = make(s.leaf);
      }
      Keyed k{made, &typeid(T), nullptr, call};
      if constexpr (std::is_base_of_v<Lock, T>) k.lock = made.get();
      it = keyed_.emplace(key, std::move(k)).first;
    }
    if (*it->second.type != typeid(T)) wrong_kind(call, loc, it->second.made_by);
    return *static_cast<T*>(it->second.owner.get());
  }
  // The object at `addr` if one was made (by object_at), else nullptr.
  template <class T>
  T* find_at(const void* addr, const char* call, const Loc& loc) {
    null_object(addr, call, loc);
    auto it = keyed_.find({reinterpret_cast<uintptr_t>(addr), Space::Object});
    if (it == keyed_.end()) return nullptr;
    if (*it->second.type != typeid(T)) wrong_kind(call, loc, it->second.made_by);
    return static_cast<T*>(it->second.owner.get());
  }
  // The lock at `addr` whatever its kind, or nullptr (lockdep_assert_held).
  Lock* lock_at(const void* addr);

  // A value as events record it: an address inside vcpucheck's memory becomes (block, offset) --
  // 0xc000'0000'0000'0000 | (the block's creation ordinal + 1) << 32 | offset -- so traces are
  // the same on every run and machine (host addresses are not); other values are themselves.
  uint64_t stable(uint64_t v) const;

  // The C source line of the instruction at `pc` (the return address of a hook or shim call),
  // from the DWARF line table: a model location, as a C++ model's Loc::current() is.
  static Loc loc_of(uintptr_t pc);

 private:
  struct Block {
    uintptr_t base = 0;
    size_t size = 0;
    BlockId id;        // the heap block (liveness, the Alloc/Free steps); invalid for globals
    std::string name;  // "kvm_vm_ioctl_create_vcpu:41", "kvm_vm_ioctl_create_vcpu:41#2", a global's name
    bool zeroed = true;
    bool setup = false;  // allocated while the harness built the initial state, or a global
    uint32_t ordinal = 0;  // creation order in this execution
    uint64_t type = 0;      // its struct type (dwarf.hpp), 0: unknown -- members are named by offset
    uint32_t max_word = 0;  // the largest word's size: how far back an overlapping word can start
    std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<Word>> words;  // (offset, size)
  };
  // Opens the naming scope of the block `addr` is in (objects become `block+0x10`).
  struct NameScope {
    NameScope(World& w, const void* addr);
    ~NameScope();
    std::unique_ptr<Scope> scope;
    std::string leaf;
  };
  Block* block_of(uintptr_t a);
  // The words an access of [off, off + size) in `b` touches: every overlapping one, plus its
  // own shape when no word has it. Returns the word of its own shape.
  Word* words_for(Block& b, uint32_t off, uint32_t size, std::vector<Word*>& out);
  Word& word(const void* addr, unsigned size, const char* what, const Loc& loc);

  Execution& x_;
  std::set<std::string> bugs_;
  std::map<uintptr_t, Block> blocks_;
  uint32_t next_ordinal_ = 0;  // by base address (lookups only: ids and names are in creation order)
  std::map<std::string, int> sites_;   // allocations per site, for "#2"
  struct Keyed {
    std::shared_ptr<void> owner;
    const std::type_info* type;
    Lock* lock;
    const char* made_by;  // the kernel call that made it ("spin_lock_init")
  };
  [[noreturn]] void wrong_kind(const char* call, const Loc& loc, const char* made_by);
  // A kernel object inside the first page (mtx_lock_spin(&vcpu->mtx) with vcpu NULL): the
  // kernel's NULL pointer dereference.
  void null_object(const void* addr, const char* call, const Loc& loc) {
    if (reinterpret_cast<uintptr_t>(addr) < 4096) null_deref(addr, call, loc);
  }
  [[noreturn]] void null_deref(const void* addr, const char* call, const Loc& loc);
  std::map<std::pair<uintptr_t, Space>, Keyed> keyed_;
  std::vector<std::unique_ptr<uint8_t[]>> memory_;  // every block's bytes, until the execution ends
  // The store whose value is not recorded yet: made at [pending_at_, + pending_len_) in place by
  // the code after its hook -- to one word (announced), or over several (`spanned_`, announced
  // one by one at the next entry, from the bytes as they were: `spanned_old_`).
  Word* pending_ = nullptr;
  std::vector<Word*> spanned_;
  std::vector<uint8_t> spanned_old_;
  uint8_t* pending_at_ = nullptr;
  uint32_t pending_len_ = 0;
  Loc pending_loc_;
  Order pending_order_ = Order::Plain;
  void record_spanned();
  std::vector<Word*> scratch_;
  friend class Word;
  std::unique_ptr<Buffers> buffers_;  // TSO: the threads' buffered stores and whose view is in place
};

// Calls C code from a harness operation and records the last store it made before the harness
// goes on: every operation that enters C code goes through it.
template <class F>
decltype(auto) call(F&& f) {
  if (World* w = World::current()) w->flush();  // and the bytes in place are this thread's view
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    if (World* w = World::current()) w->flush();
  } else {
    auto r = f();
    if (World* w = World::current()) w->flush();
    return r;
  }
}

}  // namespace vcpucheck::sim::c
