#include "sim/fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <optional>
#include <boost/context/stack_context.hpp>
#include <cassert>
#include <new>
#include <stdexcept>

#include "fiber_internal.hpp"

namespace ctx = boost::context;

// AddressSanitizer must be told when the stack changes under it, or it takes a fiber's frames
// for another stack's and reports false positives. Each switch is announced with the stack it
// goes to and completed on the other side (compiler-rt's fiber-switch interface).
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define VCPUCHECK_ASAN 1
#endif

namespace {
inline void asan_start_switch([[maybe_unused]] void** fake, [[maybe_unused]] const void* bottom,
                              [[maybe_unused]] std::size_t size) {
#ifdef VCPUCHECK_ASAN
  __sanitizer_start_switch_fiber(fake, bottom, size);
#endif
}
inline void asan_finish_switch([[maybe_unused]] void* fake, [[maybe_unused]] const void** bottom,
                               [[maybe_unused]] std::size_t* size) {
#ifdef VCPUCHECK_ASAN
  __sanitizer_finish_switch_fiber(fake, bottom, size);
#endif
}
}  // namespace

namespace vcpucheck::sim {

namespace {
std::size_t page_size() {  // asked once: every fiber's stack needs it
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}
}  // namespace

FiberPool::FiberPool(std::size_t stack_size) {
  const std::size_t pg = page_size();
  stack_size_ = (stack_size + pg - 1) / pg * pg;
}

FiberPool::~FiberPool() {
  for (void* base : free_) {
#ifdef VCPUCHECK_ASAN
    // A fiber stopped mid-stack leaves its frames' marks in the shadow; whatever is mapped here
    // next (another library's buffers) must not inherit them.
    __asan_unpoison_memory_region(base, stack_size_ + page_size());
#endif
    ::munmap(base, stack_size_ + page_size());
  }
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
  const void** bottom;  // where the fiber's stack is, for the sanitizer
  std::size_t* size;
  ctx::stack_context allocate() {
    void* base = pool->take();
    ctx::stack_context sc;
    sc.size = pool->stack_size();
    sc.sp = static_cast<char*>(base) + page_size() + pool->stack_size();
    *bottom = static_cast<char*>(base) + page_size();
    *size = sc.size;
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
  // For the sanitizer: the fiber's stack, the scheduler's stack, and the fake stacks of each side.
  const void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
  const void* sched_bottom = nullptr;
  std::size_t sched_size = 0;
  void* sched_fake = nullptr;
  void* fiber_fake = nullptr;
  std::optional<Fault> fault;  // the body faulted (fault.hpp): the fiber was left, never to run again
};

namespace {
thread_local Fiber::Impl* t_running = nullptr;
thread_local std::atomic<uint64_t> t_beat{0};
thread_local std::atomic<bool> t_in{false};
}  // namespace

std::atomic<uint64_t>& detail::fiber_beat() { return t_beat; }
std::atomic<bool>& detail::fiber_running() { return t_in; }

bool detail::escape_running_fiber(Fault f) {
  Fiber::Impl* im = t_running;
  if (!im) return false;
  const uintptr_t bottom = reinterpret_cast<uintptr_t>(im->stack_bottom);
  if (!f.watchdog && f.addr < bottom && f.addr + page_size() >= bottom) f.overflow = true;
  im->fault = f;
  im->done = true;
  im->abandoned = true;
  t_running = nullptr;
  t_in.store(false, std::memory_order_relaxed);
  t_beat.fetch_add(1, std::memory_order_relaxed);
  asan_start_switch(nullptr, im->sched_bottom, im->sched_size);  // this stack is left for good
  im->sink = std::move(im->sink).resume();
  __builtin_unreachable();  // nobody resumes a faulted fiber
}

Fiber::Fiber(FiberPool& pool, std::function<void()> body) : impl_(std::make_unique<Impl>()) {
  Impl* im = impl_.get();
  im->self = ctx::fiber(std::allocator_arg, PoolAllocator{&pool, &im->stack_bottom, &im->stack_size},
                        [im, body = std::move(body)](ctx::fiber&& sink) mutable {
                          asan_finish_switch(nullptr, &im->sched_bottom, &im->sched_size);
                          im->sink = std::move(sink);
                          try {
                            body();
                          } catch (const ctx::detail::forced_unwind&) {
                            throw;  // a destroyed fiber unwinding: let Boost finish it
                          } catch (...) {
                            im->error = std::current_exception();
                          }
                          im->done = true;
                          asan_start_switch(nullptr, im->sched_bottom, im->sched_size);  // this stack ends
                          return std::move(im->sink);
                        });
}

Fiber::~Fiber() {
  if (impl_ && impl_->abandoned) (void)impl_.release();  // never unwound: see abandon()
}  // otherwise ctx::fiber's destructor unwinds an unfinished stack

bool Fiber::resume() {
  assert(!impl_->done);
  t_beat.fetch_add(1, std::memory_order_relaxed);
  t_in.store(true, std::memory_order_relaxed);
  t_running = impl_.get();
  asan_start_switch(&impl_->sched_fake, impl_->stack_bottom, impl_->stack_size);
  impl_->self = std::move(impl_->self).resume();
  asan_finish_switch(impl_->sched_fake, nullptr, nullptr);
  t_running = nullptr;
  t_in.store(false, std::memory_order_relaxed);
  t_beat.fetch_add(1, std::memory_order_relaxed);
  if (impl_->fault) {
#ifdef VCPUCHECK_ASAN
    __lsan_ignore_object(impl_.get());
    __lsan_register_root_region(impl_->stack_bottom, impl_->stack_size);
#endif
  }
  return !impl_->done;
}

void Fiber::yield() {
  t_beat.fetch_add(1, std::memory_order_relaxed);
  asan_start_switch(&impl_->fiber_fake, impl_->sched_bottom, impl_->sched_size);
  impl_->sink = std::move(impl_->sink).resume();
  asan_finish_switch(impl_->fiber_fake, &impl_->sched_bottom, &impl_->sched_size);
}

const Fault* Fiber::fault() const { return impl_->fault ? &*impl_->fault : nullptr; }

bool Fiber::finished() const { return impl_->done; }

void Fiber::abandon() {
  // Leak the Impl (and with it the continuation the scheduler holds, once it yields): destroying
  // it would force an unwind through the model's catch (...).
  impl_->abandoned = true;
#ifdef VCPUCHECK_ASAN
  // Deliberate: what the abandoned stack still points to is not a leak to report.
  __lsan_ignore_object(impl_.get());
  __lsan_register_root_region(impl_->stack_bottom, impl_->stack_size);
#endif
}

std::exception_ptr Fiber::error() const { return impl_->error; }

}  // namespace vcpucheck::sim
