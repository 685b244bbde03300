// Linux: a process's file descriptors -- anon_inode_getfd, get_unused_fd_flags + fd_install,
// fdget/fdput, fget/fput and close with the file's release callback (include sim/linux.hpp).
//
// "The fd is live before the object behind it is published" is a whole class of KVM bugs (vCPU
// and device fds): once fd_install() ran, another thread of the process can reach the file
// through its number. The table keeps the kernel's ordering: fd_install is a release store of
// the slot (rcu_assign_pointer), fget a dependency-ordered load inside an RCU read-side section
// of the kernel's RCU domain that takes a reference unless the count already dropped to 0, and a
// file is freed one grace period after its last fput, which first runs f_op->release in the
// putting thread (the kernel's task work on the way back to user space).
#pragma once
#include <functional>
#include <string>

#include "sim/heap.hpp"
#include "sim/sync.hpp"

namespace vcpucheck::lnx {

using sim::Loc;
using sim::Ptr;

struct inode {};  // not modeled: release() gets nullptr
struct file;
struct file_operations {
  std::function<int(inode*, file*)> release;
};

struct opaque;  // private_data's type, erased

// A heap block, so an access to a freed file is use-after-free. private_data is fixed when the
// file is created (before anything can reach it), so reading it is not a visible operation; it
// is a pointer cell all the same, so an object only an open file refers to is not a leak.
struct file {
  sim::Atomic<long> f_count;
  const file_operations* f_op;
  sim::Field<Ptr<opaque>> private_ref;
  file(sim::Execution& x, const file_operations* fop, void* raw, sim::BlockId b)
      : f_count(x, "f_count", 1), f_op(fop), private_ref(x, "private_data", Ptr<opaque>(static_cast<opaque*>(raw), b)) {}
};

// The kernel's `struct kvm_vcpu *vcpu = filp->private_data;`: private_data<kvm_vcpu>(filp).
template <class T>
Ptr<T> private_data(const file* f) {
  const Ptr<opaque>& p = f->private_ref.peek();
  return Ptr<T>(reinterpret_cast<T*>(p.raw()), p.block());
}
template <class T>
Ptr<T> private_data(const Ptr<file>& f) {
  return private_data<T>(f.raw());
}

// One process's descriptor table (lnx::Kernel holds the process's; the functions below use it).
struct files_struct {
  sim::SpinMutex file_lock;
  sim::Field<unsigned long> open_fds;  // under file_lock
  sim::Array<sim::Atomic<Ptr<file>>> fd;
  files_struct(sim::Execution& x, const std::string& leaf, size_t max_fds);
};

constexpr unsigned O_CLOEXEC = 02000000;
constexpr unsigned O_RDWR = 02;

// A new file (not yet reachable through any fd) whose private data is `priv`.
Ptr<file> anon_inode_getfile_block(const char* name, const file_operations* fops, void* raw, sim::BlockId b,
                                   unsigned flags, const Loc& loc);
template <class T>
Ptr<file> anon_inode_getfile(const char* name, const file_operations* fops, const Ptr<T>& priv, unsigned flags,
                             const Loc& loc = Loc::current()) {
  return anon_inode_getfile_block(name, fops, priv.raw(), priv.block(), flags, loc);
}
// The lowest free descriptor, or -EMFILE.
int get_unused_fd_flags(unsigned flags, const Loc& loc = Loc::current());
void put_unused_fd(int fd, const Loc& loc = Loc::current());
// Publishes `f` at `fd`: from here on any thread of the process reaches it.
void fd_install(int fd, const Ptr<file>& f, const Loc& loc = Loc::current());
// get_unused_fd_flags, anon_inode_getfile and fd_install, in the kernel's order; the new fd.
template <class T>
int anon_inode_getfd(const char* name, const file_operations* fops, const Ptr<T>& priv, unsigned flags,
                     const Loc& loc = Loc::current()) {
  const int fd = get_unused_fd_flags(flags, loc);
  if (fd < 0) return fd;
  fd_install(fd, anon_inode_getfile(name, fops, priv, flags, loc), loc);
  return fd;
}

// A reference to the file at `fd`, or NULL (no such fd, or its file is being released).
Ptr<file> fget(unsigned fd, const Loc& loc = Loc::current());
void get_file(const Ptr<file>& f, const Loc& loc = Loc::current());
// Drops a reference; the last one runs f_op->release and frees the file after a grace period.
void fput(const Ptr<file>& f, const Loc& loc = Loc::current());

struct fd {
  Ptr<struct file> file;
};
inline struct fd fdget(unsigned n, const Loc& loc = Loc::current()) { return {fget(n, loc)}; }
inline void fdput(struct fd f, const Loc& loc = Loc::current()) {
  if (f.file) fput(f.file, loc);
}
// close(2): unpublishes the fd and drops the table's reference; 0, or -EBADF.
int close_fd(unsigned fd, const Loc& loc = Loc::current());

}  // namespace vcpucheck::lnx
