// sim/linux.hpp: completions and wait queues over a spin mutex and a sleep channel.
#include "sim/linux.hpp"

namespace vcpucheck::lnx {

void init_completion(completion* c, const Loc& loc) { c->done.set(0, loc); }
void reinit_completion(completion* c, const Loc& loc) { c->done.set(0, loc); }

void complete(completion* c, const Loc& loc) {
  c->wait_lock.lock(loc);
  const unsigned d = c->done.get(loc);
  if (d < kCompleteAll) c->done.set(d + 1, loc);
  c->wait.wakeup_one(loc);
  c->wait_lock.unlock(loc);
}

void complete_all(completion* c, const Loc& loc) {
  c->wait_lock.lock(loc);
  c->done.set(kCompleteAll, loc);
  c->wait.wakeup(loc);
  c->wait_lock.unlock(loc);
}

namespace {
// Under `lock` (held), sleeps on `chan` until `cond` holds; false when a timed sleep timed out
// with it still false. `cond` is evaluated once per sleep: reads repeated at one site with
// nothing in between would look like a spin loop (sim/spin.hpp).
bool sleep_until(sim::SpinMutex& lock, sim::Chan& chan, const std::function<bool()>& cond, bool timed, const Loc& loc) {
  if (cond()) return true;
  for (;;) {
    const bool woken = chan.sleep(lock, {.timeout = timed}, loc);
    if (cond()) return true;
    if (!woken) return false;
  }
}

// Waits until the completion is done, then consumes one completion. False when a timed wait
// timed out first.
bool wait_done(completion* c, bool timed, const Loc& loc) {
  c->wait_lock.lock(loc);
  unsigned d = 0;
  const bool ok = sleep_until(c->wait_lock, c->wait, [&] { return (d = c->done.get(loc)) != 0; }, timed, loc);
  if (ok && d != kCompleteAll) c->done.set(d - 1, loc);
  c->wait_lock.unlock(loc);
  return ok;
}
}  // namespace

void wait_for_completion(completion* c, const Loc& loc) { (void)wait_done(c, false, loc); }

unsigned long wait_for_completion_timeout(completion* c, unsigned long /*timeout*/, const Loc& loc) {
  return wait_done(c, true, loc) ? 1 : 0;
}

bool try_wait_for_completion(completion* c, const Loc& loc) {
  c->wait_lock.lock(loc);
  const unsigned d = c->done.get(loc);
  if (d != 0 && d != kCompleteAll) c->done.set(d - 1, loc);
  c->wait_lock.unlock(loc);
  return d != 0;
}

bool completion_done(completion* c, const Loc& loc) {
  c->wait_lock.lock(loc);
  const bool done = c->done.get(loc) != 0;
  c->wait_lock.unlock(loc);
  return done;
}

void wake_up(wait_queue_head* wq, const Loc& loc) {
  wq->lock.lock(loc);
  wq->chan.wakeup(loc);
  wq->lock.unlock(loc);
}

void wake_up_all(wait_queue_head* wq, const Loc& loc) { wake_up(wq, loc); }

bool detail::wait_event_cond(wait_queue_head& wq, const std::function<bool()>& cond, bool timed, const Loc& loc) {
  if (cond()) return true;
  wq.lock.lock(loc);
  const bool ok = sleep_until(wq.lock, wq.chan, cond, timed, loc);
  wq.lock.unlock(loc);
  return ok;
}

}  // namespace vcpucheck::lnx
