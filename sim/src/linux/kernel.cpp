// sim/linux.hpp: the kernel-wide state, the process's fd table and cond_resched.
#include "sim/linux.hpp"

namespace vcpucheck::lnx {

namespace {
const char kKernelTag = 0;  // its address keys the execution's Kernel
}

Kernel::Kernel(sim::Execution& x, size_t max_fds) : rcu(x, "rcu"), files(x, "files", max_fds), x_(x) {
  void*& slot = x.singletons[&kKernelTag];
  if (slot) throw sim::SetupError("a second lnx::Kernel in one execution: declare one, shared by the whole model");
  slot = this;
}

Kernel::~Kernel() {
  auto it = x_.singletons.find(&kKernelTag);
  if (it != x_.singletons.end() && it->second == this) x_.singletons.erase(it);
}

Kernel& Kernel::of(sim::Execution& x, const char* what, const Loc& loc) {
  auto it = x.singletons.find(&kKernelTag);
  if (it == x.singletons.end())
    x.fail(sim::ViolationKind::ModelError,
           std::string(what) + " needs the kernel-wide state: declare an lnx::Kernel in the model's shared state", loc);
  return *static_cast<Kernel*>(it->second);
}

void cond_resched(const Loc& loc) {
  sim::Execution& x = sim::current_execution();
  if (!x.in_thread()) return;
  x.announce(sim::PendingOp{sim::OpKind::Local, sim::ObjectId(), sim::LockMode::Exclusive, false, false, loc});
  sim::Event e;
  e.tid = x.current();
  e.kind = sim::OpKind::Local;
  e.flags = sim::kFlagYield;
  e.loc = loc;
  x.record(e);
}

// --- files ---------------------------------------------------------------------------------

files_struct::files_struct(sim::Execution& x, const std::string& leaf, size_t max_fds)
    : file_lock(x, leaf + ".file_lock"), open_fds(x, leaf + ".open_fds", 0), fd(x, leaf + ".fd", max_fds, Ptr<file>()) {
  if (max_fds == 0 || max_fds > 64) throw sim::SetupError("files_struct: max_fds must be 1..64");
}

namespace {
files_struct& current_files(const char* what, const Loc& loc) {
  return Kernel::of(sim::current_execution(), what, loc).files;
}
}  // namespace

Ptr<file> anon_inode_getfile_block(const char* name, const file_operations* fops, void* raw, sim::BlockId b,
                                   unsigned /*flags*/, const Loc& loc) {
  return sim::heap_alloc<file>(sim::current_execution(), sim::Named{std::string("file:") + name, loc}, fops, raw, b);
}

int get_unused_fd_flags(unsigned /*flags*/, const Loc& loc) {
  files_struct& f = current_files("get_unused_fd_flags", loc);
  f.file_lock.lock(loc);
  const unsigned long open = f.open_fds.get(loc);
  int fd = -EMFILE;
  for (size_t i = 0; i < f.fd.size(); ++i)
    if (!(open & (1ul << i))) {
      fd = static_cast<int>(i);
      f.open_fds.set(open | (1ul << i), loc);
      break;
    }
  f.file_lock.unlock(loc);
  return fd;
}

void put_unused_fd(int fd, const Loc& loc) {
  files_struct& f = current_files("put_unused_fd", loc);
  (void)f.fd.at(fd, loc);
  f.file_lock.lock(loc);
  f.open_fds.set(f.open_fds.get(loc) & ~(1ul << fd), loc);
  f.file_lock.unlock(loc);
}

void fd_install(int fd, const Ptr<file>& file, const Loc& loc) {
  files_struct& f = current_files("fd_install", loc);
  sim::Atomic<Ptr<struct file>>& slot = f.fd.at(fd, loc);
  // The kernel's BUG_ON(fdt->fd[fd] != NULL): the fd came from get_unused_fd_flags.
  if (slot.peek())
    sim::current_execution().fail(sim::ViolationKind::Assertion,
                                  "kernel BUG: fd_install of fd " + std::to_string(fd) + ", which already has a file", loc);
  slot.store(file, Order::Release, loc);
}

Ptr<file> fget(unsigned fd, const Loc& loc) {
  Kernel& k = Kernel::of(sim::current_execution(), "fget", loc);
  if (fd >= k.files.fd.size()) return Ptr<file>();
  k.rcu.read_lock(loc);
  Ptr<file> f = k.files.fd.at(fd, loc).load(Order::Consume, loc);
  if (f) {  // a reference unless the last one is already gone (the kernel's get_file_rcu)
    long c = f->f_count.load(Order::Relaxed, loc);
    for (;;) {
      if (c == 0) {
        f = Ptr<file>();
        break;
      }
      if (f->f_count.compare_exchange(c, c + 1, Order::Relaxed, loc)) break;
    }
  }
  k.rcu.read_unlock(loc);
  return f;
}

void get_file(const Ptr<file>& f, const Loc& loc) { (void)f->f_count.fetch_add(1, Order::Relaxed, loc); }

void fput(const Ptr<file>& f, const Loc& loc) {
  if (f->f_count.fetch_sub(1, Order::SeqCst, loc) != 1) return;
  if (f->f_op && f->f_op->release) f->f_op->release(nullptr, f.raw());
  Kernel::of(sim::current_execution(), "fput", loc).rcu.call_rcu_free(f, loc);
}

int close_fd(unsigned fd, const Loc& loc) {
  files_struct& fs = current_files("close_fd", loc);
  if (fd >= fs.fd.size()) return -EBADF;
  fs.file_lock.lock(loc);
  sim::Atomic<Ptr<file>>& slot = fs.fd.at(fd, loc);
  // fd_install publishes without file_lock: the slot is read dependency-ordered, as the kernel's
  // pick_file() dereferences what it found.
  const Ptr<file> f = slot.load(Order::Consume, loc);
  if (!f) {
    fs.file_lock.unlock(loc);
    return -EBADF;
  }
  slot.store(Ptr<file>(), Order::Release, loc);
  fs.open_fds.set(fs.open_fds.get(loc) & ~(1ul << fd), loc);
  fs.file_lock.unlock(loc);
  fput(f, loc);
  return 0;
}

}  // namespace vcpucheck::lnx
