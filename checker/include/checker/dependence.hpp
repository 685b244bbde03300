// When two events do not commute, and what an event becomes when it is moved earlier.
//
// Two events of different threads are dependent when they touch one object and at least one of
// them changes what the other sees or whether it can run. By object class:
//   memory   at least one writes (a failed CAS is a read);
//   lock     two acquires, unless both are shared; a release and an acquire (it may enable it),
//            unless both are shared; a release and a failed trylock; an acquire and a failed
//            trylock (the acquire made it fail), unless both are shared;
//   channel  a wakeup against anything on the channel;
//   rcu      synchronize_rcu's start against read-side lock/unlock; a read-side unlock against
//            the wait for a grace period (it may end it);
//   heap     a free against every access to a field of the block it frees.
//   x86-TSO  a flush is a write to its cell, except to its own thread's reads of it (they commute);
//            a buffered store depends on nothing (its flush and the draining operations after
//            it are ordered by happens-before edges instead).
// Fences, spawns and joins are independent of everything (joins are ordered by the
// happens-before edge from the joined thread's last event instead).
//
// An operation that another enables (an acquire after a release, a grace period after an
// unlock, a wakeup's sleeper) is dependent on it, so happens-before orders it after its enabler
// and a reordering never moves it before. Races between two acquires of one lock are found by
// looking through the release in between (see Dpor::on_event).
//
// Reordering: the race reversal puts an event in a state it did not run in. replay_state() and
// reevaluate() recompute, from the object's state word, whether it can run there and whether a
// CAS or trylock would succeed.
#pragma once
#include "sim/execution.hpp"

namespace vcpucheck::checker {

// Decided by the two events alone (the object's class travels with each event), so events of
// different executions, or of another worker's, can be compared.
bool dependent(const sim::Event& a, const sim::Event& b);

// The object's state word after `e` runs on `state` (same object).
uint64_t apply_state(const sim::Execution& x, uint64_t state, const sim::Event& e);

// Whether `e` can run on `state`, and, when it can, `e` as it would run there (CAS and trylock
// outcomes recomputed). Returns false when it would block.
bool reevaluate(const sim::Execution& x, uint64_t state, sim::Event& e);

// Thread q's pending operation as the event it would be if it ran next (its value unknown).
sim::Event pending_event(const sim::Execution& x, sim::ThreadId q);

}  // namespace vcpucheck::checker
