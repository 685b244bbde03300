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
