// Fibers: the only way simulated threads run. One runs at a time; the scheduler resumes one and
// gets control back when it yields or finishes.
//
// This header hides Boost.Context (only fiber.cpp includes it). Stacks come from a FiberPool that
// keeps them for reuse: a fresh guard-paged stack costs microseconds, a pooled one nanoseconds.
// A fiber destroyed before its body finished is unwound (its destructors run), so an execution
// stopped by a violation or a bound leaks nothing.
#pragma once
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

namespace vcpucheck::sim {

struct Fault;

class FiberPool {
 public:
  explicit FiberPool(std::size_t stack_size = 256 * 1024);
  ~FiberPool();
  FiberPool(const FiberPool&) = delete;
  FiberPool& operator=(const FiberPool&) = delete;

  std::size_t stack_size() const { return stack_size_; }
  std::size_t stacks_created() const { return created_; }

  // Internal: used by the stack allocator.
  void* take();
  void give(void* base);

 private:
  std::size_t stack_size_;
  std::size_t created_ = 0;
  std::vector<void*> free_;  // lowest address of each mapping (guard page first)
};

class Fiber {
 public:
  Fiber(FiberPool& pool, std::function<void()> body);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // From the scheduler: run the fiber until it yields or its body returns. Returns false once the
  // body has returned (or thrown: see error()).
  bool resume();
  // From inside the fiber: give control back to whoever resumed it.
  void yield();
  bool finished() const;
  // Gives the fiber up without unwinding it (its body swallowed the unwinding before): the
  // stack is leaked, never run again. Only its own thread calls this, before yielding.
  void abandon();
  // An exception the body let escape (other than the unwinding of a destroyed fiber).
  std::exception_ptr error() const;
  // The fault that ended the body (fault.hpp), or null. A faulted fiber is finished and abandoned.
  const Fault* fault() const;

  struct Impl;  // internal (fiber.cpp, fault.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vcpucheck::sim
