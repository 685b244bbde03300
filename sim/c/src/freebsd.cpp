// The C side of vcpucheck's FreeBSD shim (sim/c/shim/freebsd): each kernel call maps one to one
// onto the primitive of the C++ vocabulary (sim/freebsd.hpp), located at the C caller's line.
#include <cstdarg>
#include <cstdio>

#include "shim.hpp"
#include "sim/chan.hpp"
#include "sim/freebsd.hpp"

// The shim's own prototypes, last: its malloc/free/hz macros must not reach the C++ headers.
#include "../shim/freebsd/machine/atomic.h"
#include "../shim/freebsd/sys/malloc.h"
#include "../shim/freebsd/sys/mutex.h"
#include "../shim/freebsd/sys/sx.h"
#undef malloc
#undef free
// The C names (the macros of sys/mutex.h would also rename fbsd:: calls below).
#undef mtx_init
#undef mtx_destroy
#undef mtx_lock
#undef mtx_unlock
#undef mtx_lock_spin
#undef mtx_unlock_spin
#undef mtx_trylock
#undef mtx_owned
#undef mtx_assert
// sys/systm.h's functions (its KASSERT, MPASS and error numbers would clash with the C++ ones).
extern "C" {
void __vcpucheck_kassert_failed(const char* expr);
void panic(const char* fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void critical_enter(void);
void critical_exit(void);
int msleep(const void* chan, struct mtx* mtx, int pri, const char* wmesg, int timo);
int msleep_spin(const void* chan, struct mtx* mtx, const char* wmesg, int timo);
void wakeup(const void* chan);
void wakeup_one(const void* chan);
int vcpucheck_msleep_idle(const void* chan, struct mtx* mtx, const char* wmesg);
}

namespace fbsd = vcpucheck::fbsd;
using vcpucheck::sim::c::shim::caller;
using vcpucheck::sim::c::shim::world;
using vcpucheck::sim::Loc;
using vcpucheck::sim::c::World;

namespace {

// A lock its init call made; using one never initialized is a model error (the kernel's would
// be garbage).
template <class L>
L& initialized(World& w, const void* addr, const char* call, const Loc& loc) {
  if (L* l = w.find_at<L>(addr, call, loc)) return *l;
  w.exec().fail(vcpucheck::sim::ViolationKind::ModelError, std::string(call) + " of a lock its init call never initialized", loc);
}

vcpucheck::sim::Chan& chan(World& w, const void* ident, const char* call, const Loc& loc) {
  return w.object_at<vcpucheck::sim::Chan>(ident, call, loc, [&w](const std::string& name) {
    return std::make_shared<vcpucheck::sim::Chan>(w.exec(), name + ".wchan");
  }, World::Space::WaitChannel);
}

}  // namespace

extern "C" {

void __vcpucheck_mtx_init(struct mtx* m, const char*, const char*, int opts) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("mtx_init", loc);
  (void)w.object_at<fbsd::mtx>(m, "mtx_init", loc,
                               [&w, opts](const std::string& name) { return std::make_shared<fbsd::mtx>(w.exec(), name, opts); });
}
void __vcpucheck_mtx_destroy(struct mtx*) {}
void __vcpucheck_mtx_lock(struct mtx* m) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::mtx_lock(&initialized<fbsd::mtx>(world("mtx_lock", loc), m, "mtx_lock", loc), loc);
}
void __vcpucheck_mtx_unlock(struct mtx* m) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::mtx_unlock(&initialized<fbsd::mtx>(world("mtx_unlock", loc), m, "mtx_unlock", loc), loc);
}
void __vcpucheck_mtx_lock_spin(struct mtx* m) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::mtx_lock_spin(&initialized<fbsd::mtx>(world("mtx_lock_spin", loc), m, "mtx_lock_spin", loc), loc);
}
void __vcpucheck_mtx_unlock_spin(struct mtx* m) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::mtx_unlock_spin(&initialized<fbsd::mtx>(world("mtx_unlock_spin", loc), m, "mtx_unlock_spin", loc), loc);
}
int __vcpucheck_mtx_trylock(struct mtx* m) {
  const Loc loc = caller(__builtin_return_address(0));
  return fbsd::mtx_trylock(&initialized<fbsd::mtx>(world("mtx_trylock", loc), m, "mtx_trylock", loc), loc);
}
int __vcpucheck_mtx_owned(struct mtx* m) {
  const Loc loc = caller(__builtin_return_address(0));
  return fbsd::mtx_owned(&initialized<fbsd::mtx>(world("mtx_owned", loc), m, "mtx_owned", loc)) ? 1 : 0;
}
void __vcpucheck_mtx_assert(struct mtx* m, int what) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::mtx_assert(&initialized<fbsd::mtx>(world("mtx_assert", loc), m, "mtx_assert", loc), what, loc);
}

void sx_init(struct sx* s, const char*) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("sx_init", loc);
  (void)w.object_at<fbsd::sx>(s, "sx_init", loc, [&w](const std::string& name) { return std::make_shared<fbsd::sx>(w.exec(), name); });
}
void sx_destroy(struct sx*) {}
void sx_xlock(struct sx* s) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::sx_xlock(&initialized<fbsd::sx>(world("sx_xlock", loc), s, "sx_xlock", loc), loc);
}
void sx_xunlock(struct sx* s) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::sx_xunlock(&initialized<fbsd::sx>(world("sx_xunlock", loc), s, "sx_xunlock", loc), loc);
}
void sx_slock(struct sx* s) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::sx_slock(&initialized<fbsd::sx>(world("sx_slock", loc), s, "sx_slock", loc), loc);
}
void sx_sunlock(struct sx* s) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::sx_sunlock(&initialized<fbsd::sx>(world("sx_sunlock", loc), s, "sx_sunlock", loc), loc);
}
void sx_unlock(struct sx* s) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::sx_unlock(&initialized<fbsd::sx>(world("sx_unlock", loc), s, "sx_unlock", loc), loc);
}
int sx_try_xlock(struct sx* s) {
  const Loc loc = caller(__builtin_return_address(0));
  return fbsd::sx_try_xlock(&initialized<fbsd::sx>(world("sx_try_xlock", loc), s, "sx_try_xlock", loc), loc);
}
int sx_xlocked(struct sx* s) {
  const Loc loc = caller(__builtin_return_address(0));
  return fbsd::sx_xlocked(&initialized<fbsd::sx>(world("sx_xlocked", loc), s, "sx_xlocked", loc)) ? 1 : 0;
}
void sx_assert(struct sx* s, int what) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::sx_assert(&initialized<fbsd::sx>(world("sx_assert", loc), s, "sx_assert", loc), what, loc);
}

int msleep(const void* ident, struct mtx* m, int pri, const char*, int timo) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("msleep", loc);
  vcpucheck::sim::Lock* interlock = m ? &initialized<fbsd::mtx>(w, m, "msleep", loc) : nullptr;
  return fbsd::msleep_chan(&chan(w, ident, "msleep", loc), interlock, pri, timo, loc);
}
int msleep_spin(const void* ident, struct mtx* m, const char*, int timo) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("msleep_spin", loc);
  return fbsd::msleep_chan(&chan(w, ident, "msleep_spin", loc), &initialized<fbsd::mtx>(w, m, "msleep_spin", loc), 0, timo, loc);
}
int vcpucheck_msleep_idle(const void* ident, struct mtx* m, const char*) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("vcpucheck_msleep_idle", loc);
  (void)chan(w, ident, "vcpucheck_msleep_idle", loc).sleep(initialized<fbsd::mtx>(w, m, "vcpucheck_msleep_idle", loc), {.idle = true}, loc);
  return 0;
}
void wakeup(const void* ident) {
  const Loc loc = caller(__builtin_return_address(0));
  chan(world("wakeup", loc), ident, "wakeup", loc).wakeup(loc);
}
void wakeup_one(const void* ident) {
  const Loc loc = caller(__builtin_return_address(0));
  chan(world("wakeup_one", loc), ident, "wakeup_one", loc).wakeup_one(loc);
}

void critical_enter(void) {
  const Loc loc = caller(__builtin_return_address(0));
  fbsd::critical_enter(loc);
  (void)world("critical_enter", loc);
}
void critical_exit(void) {
  const Loc loc = caller(__builtin_return_address(0));
  (void)world("critical_exit", loc);
  fbsd::critical_exit(loc);
}

void __vcpucheck_kassert_failed(const char* expr) {
  const Loc loc = caller(__builtin_return_address(0));
  world("KASSERT", loc).exec().fail(vcpucheck::sim::ViolationKind::Assertion, std::string("KASSERT failed: ") + expr, loc);
}

void panic(const char* fmt, ...) {
  const Loc loc = caller(__builtin_return_address(0));
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  vcpucheck::sim::panic(world("panic", loc).exec(), buf, loc);
}

void* __vcpucheck_malloc(size_t size, struct malloc_type*, int flags) {
  const Loc loc = caller(__builtin_return_address(0));
  World& w = world("malloc", loc);
  if (flags & M_WAITOK) vcpucheck::sim::check_may_sleep(w.exec(), "malloc(M_WAITOK)", loc);
  return w.alloc(size, (flags & M_ZERO) != 0, loc, reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
}

void __vcpucheck_free(void* p, struct malloc_type*) {
  const Loc loc = caller(__builtin_return_address(0));
  world("free", loc).free(p, loc);
}

}  // extern "C"
