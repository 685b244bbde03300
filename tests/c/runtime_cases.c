/* C code for the runtime's unit tests (tests/c_runtime_test.cpp), compiled as a C model is. */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "runtime_cases.h"

struct obj {
	int a;
	int b;
	long c;
	atomic_t count;
	struct mutex lock;
	spinlock_t spin;
};

struct obj *obj_new(int zeroed)
{
	struct obj *o = zeroed ? kzalloc(sizeof(*o), GFP_KERNEL) : kmalloc(sizeof(*o), GFP_KERNEL);

	mutex_init(&o->lock);
	return o;
}

void obj_free(struct obj *o) { kfree(o); }
void set_a(struct obj *o, int v) { o->a = v; }
int get_a(struct obj *o) { return o->a; }
void set_b(struct obj *o, int v) { o->b = v; }
void set_a_once(struct obj *o, int v) { WRITE_ONCE(o->a, v); }
int get_a_once(struct obj *o) { return READ_ONCE(o->a); }
void inc(struct obj *o) { atomic_inc(&o->count); }
int count(struct obj *o) { return atomic_read(&o->count); }

void locked_add(struct obj *o)
{
	mutex_lock(&o->lock);
	o->c = o->c + 1;
	mutex_unlock(&o->lock);
}

long locked_get(struct obj *o)
{
	long v;

	mutex_lock(&o->lock);
	v = o->c;
	mutex_unlock(&o->lock);
	return v;
}

/* Both ints at once: one 8-byte access over two 4-byte fields. */
long long get_ab(struct obj *o)
{
	long long v;

	__builtin_memcpy(&v, &o->a, sizeof(v));
	return v;
}

int cas_a(struct obj *o, int old, int new)
{
	return __atomic_compare_exchange_n(&o->a, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void spin_then_lock(struct obj *o)
{
	spin_lock(&o->spin);
	mutex_lock(&o->lock);	/* a sleeping lock under a spin lock */
	mutex_unlock(&o->lock);
	spin_unlock(&o->spin);
}

void wrong_kind(struct obj *o)
{
	spin_lock(&o->spin);
	spin_unlock(&o->spin);
	mutex_lock((struct mutex *)&o->spin);	/* the same address as another kind of lock */
}
int warn_if(int cond) { return WARN_ON(cond); }

/* A struct wider than the usual field: a whole-struct write and a read of its last field. */
struct big {
	char pad[120];
	int tail;
};

struct big *big_new(void) { return kzalloc(sizeof(struct big), GFP_KERNEL); }
void big_clear(struct big *b, const struct big *from) { *b = *from; }
int big_tail(struct big *b) { return b->tail; }
void big_set_tail(struct big *b, int v) { b->tail = v; }
/* memset and memcpy through linux/string.h: visible accesses, whether GCC would have expanded
 * them inline (a constant size) or called libc (a variable one). */
void big_wipe(struct big *b, unsigned long n) { memset(b, 0, n); }
void big_copy(struct big *to, const struct big *from, unsigned long n) { memcpy(to, from, n); }
int big_fresh_tail(int wiped)
{
	struct big *b = kmalloc(sizeof(*b), GFP_KERNEL);
	int tail;

	if (wiped)
		memset(b, 0, sizeof(*b));
	tail = b->tail;
	kfree(b);
	return tail;
}

/* Store buffering: this side's flag, then the other's. Both reading 0 needs x86-TSO's store
 * buffers; smp_mb() between forbids it. The second side's atomic_xchg (a locked instruction)
 * tells the first what it read. */
void sb_first(struct obj *o, int fenced)
{
	WRITE_ONCE(o->a, 1);
	if (fenced)
		smp_mb();
	BUG_ON(READ_ONCE(o->b) == 0 && atomic_read(&o->count) == 1);
}

void sb_second(struct obj *o, int fenced)
{
	WRITE_ONCE(o->b, 1);
	if (fenced)
		smp_mb();
	if (READ_ONCE(o->a) == 0)
		atomic_xchg(&o->count, 1);
}

/* A thread reads its own store back (from its store buffer under TSO) after another's. */
int store_then_load(struct obj *o, int v)
{
	WRITE_ONCE(o->a, v);
	return READ_ONCE(o->a);
}

/* One marked 8-byte store over a and b (read as two 4-byte objects): under TSO buffered stores,
 * flushed in order. */
void set_ab(struct obj *o, long long v) { WRITE_ONCE(*(long long *)&o->a, v); }

/* Loads stay in order under TSO: b's new value before a's old one is never seen. */
void check_ab_order(struct obj *o)
{
	int b = READ_ONCE(o->b);

	BUG_ON(b != 0 && READ_ONCE(o->a) == 0);
}

/* A global the harness registers (sim::c::World::add_global): shared memory like a kmalloc'd
 * block, put back to its first image at every execution. */
int c_hits;
static DEFINE_MUTEX(c_hits_lock);
int *c_hits_addr(void) { return &c_hits; }
int hit(int locked)
{
	int v;

	if (locked)
		mutex_lock(&c_hits_lock);
	v = ++c_hits;
	if (locked)
		mutex_unlock(&c_hits_lock);
	return v;
}
