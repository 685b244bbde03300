/* vcpucheck's Linux shim: refcount_t and kref, with sim/linux/atomic.hpp's orders (increments
 * relaxed; decrements release, and acquire when one drops the last reference). A misuse the
 * kernel would WARN about and saturate is a violation: an increment from 0 or a decrement below 1
 * is use-after-free (so is a refcount_dec() that drops the last reference: a leak), past INT_MAX an
 * assertion. */
#ifndef VCPUCHECK_SHIM_LINUX_REFCOUNT_H
#define VCPUCHECK_SHIM_LINUX_REFCOUNT_H
#include <limits.h>
#include "atomic.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct { atomic_t refs; } refcount_t;
#define REFCOUNT_INIT(n) { .refs = ATOMIC_INIT(n) }
/* A use-after-free violation (saturated: an assertion) on the count, `what` its message. */
void __vcpucheck_refcount_misuse(const refcount_t *r, int saturated, const char *what);
#ifdef __cplusplus
}
#endif
static inline void refcount_set(refcount_t *r, int n) { __atomic_store_n(&r->refs.counter, n, __ATOMIC_RELAXED); }
static inline unsigned int refcount_read(const refcount_t *r) { return (unsigned int)__atomic_load_n(&r->refs.counter, __ATOMIC_RELAXED); }
static inline void refcount_inc(refcount_t *r)
{
	int old = __atomic_fetch_add(&r->refs.counter, 1, __ATOMIC_RELAXED);

	if (old == 0)
		__vcpucheck_refcount_misuse(r, 0, "addition on 0; use-after-free");
	if (old == INT_MAX)
		__vcpucheck_refcount_misuse(r, 1, "saturated; leaking memory");
}
static inline bool refcount_inc_not_zero(refcount_t *r)
{
	int old = __atomic_load_n(&r->refs.counter, __ATOMIC_RELAXED);

	do {
		if (old == 0)
			return false;
		if (old == INT_MAX)
			__vcpucheck_refcount_misuse(r, 1, "saturated; leaking memory");
	} while (!__atomic_compare_exchange_n(&r->refs.counter, &old, old + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}
static inline bool refcount_dec_and_test(refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs.counter, 1, __ATOMIC_RELEASE);

	if (old <= 0)
		__vcpucheck_refcount_misuse(r, 0, "underflow; use-after-free");
	if (old != 1)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* the last put sees what the others did */
	return true;
}
static inline void refcount_dec(refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs.counter, 1, __ATOMIC_RELEASE);

	if (old <= 0)
		__vcpucheck_refcount_misuse(r, 0, "underflow; use-after-free");
	if (old == 1)
		__vcpucheck_refcount_misuse(r, 0, "decrement hit 0; leaking memory");
}

struct kref { refcount_t refcount; };
#define KREF_INIT(n) { .refcount = REFCOUNT_INIT(n) }
static inline void kref_init(struct kref *k) { refcount_set(&k->refcount, 1); }
static inline unsigned int kref_read(const struct kref *k) { return refcount_read(&k->refcount); }
static inline void kref_get(struct kref *k) { refcount_inc(&k->refcount); }
static inline int kref_get_unless_zero(struct kref *k) { return refcount_inc_not_zero(&k->refcount); }
/* 1 when it dropped the last reference and called `release`. */
static inline int kref_put(struct kref *k, void (*release)(struct kref *k))
{
	if (!refcount_dec_and_test(&k->refcount))
		return 0;
	release(k);
	return 1;
}
#endif
