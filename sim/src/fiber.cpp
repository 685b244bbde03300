#include "sim/fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>
#include <cassert>
#include <new>
#include <stdexcept>

namespace ctx = boost::context;

namespace vcpucheck::sim {

namespace {
std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }
}  // namespace

FiberPool::FiberPool(std::size_t stack_size) {
  const std::size_t pg = page_size();
  stack_size_ = (stack_size + pg - 1) / pg * pg;
}

FiberPool::~FiberPool() {
  for (void* base : free_) ::munmap(base, stack_size_ + page_size());
}

void* FiberPool::take() {
  if (!free_.empty()) {
    void* base = free_.back();
    free_.pop_back();
    return base;
  }
  const std::size_t pg = page_size();
  void* base = ::mmap(nullptr, stack_size_ + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  ::mprotect(base, pg, PROT_NONE);  // guard page: a runaway model overflows into a fault, not the heap
  ++created_;
  return base;
}

void FiberPool::give(void* base) { free_.push_back(base); }

namespace {
// Boost.Context stack allocator backed by the pool.
struct PoolAllocator {
  FiberPool* pool;
  ctx::stack_context allocate() {
    void* base = pool->take();
    ctx::stack_context sc;
    sc.size = pool->stack_size();
    sc.sp = static_cast<char*>(base) + page_size() + pool->stack_size();
    return sc;
  }
  void deallocate(ctx::stack_context& sc) noexcept {
    pool->give(static_cast<char*>(sc.sp) - sc.size - page_size());
  }
};
}  // namespace

struct Fiber::Impl {
  ctx::fiber self;  // the fiber's continuation, held by the scheduler side
  ctx::fiber sink;  // the scheduler's continuation, held while the fiber runs
  bool done = false;
  bool abandoned = false;
  std::exception_ptr error;
};

Fiber::Fiber(FiberPool& pool, std::function<void()> body) : impl_(std::make_unique<Impl>()) {
  Impl* im = impl_.get();
  im->self = ctx::fiber(std::allocator_arg, PoolAllocator{&pool},
                        [im, body = std::move(body)](ctx::fiber&& sink) mutable {
                          im->sink = std::move(sink);
                          try {
                            body();
                          } catch (const ctx::detail::forced_unwind&) {
                            throw;  // a destroyed fiber unwinding: let Boost finish it
                          } catch (...) {
                            im->error = std::current_exception();
                          }
                          im->done = true;
                          return std::move(im->sink);
                        });
}

Fiber::~Fiber() {
  if (impl_ && impl_->abandoned) (void)impl_.release();  // never unwound: see abandon()
}  // otherwise ctx::fiber's destructor unwinds an unfinished stack

bool Fiber::resume() {
  assert(!impl_->done);
  impl_->self = std::move(impl_->self).resume();
  return !impl_->done;
}

void Fiber::yield() { impl_->sink = std::move(impl_->sink).resume(); }

bool Fiber::finished() const { return impl_->done; }

void Fiber::abandon() {
  // Leak the Impl (and with it the continuation the scheduler holds, once it yields): destroying
  // it would force an unwind through the model's catch (...).
  impl_->abandoned = true;
}

std::exception_ptr Fiber::error() const { return impl_->error; }

}  // namespace vcpucheck::sim
