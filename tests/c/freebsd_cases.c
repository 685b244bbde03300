/* FreeBSD-style C for the runtime's unit tests (tests/c_runtime_test.cpp). */
#include <sys/param.h>
#include <sys/systm.h>
#include <sys/lock.h>
#include <sys/malloc.h>
#include <sys/mutex.h>
#include <sys/sx.h>
#include <machine/atomic.h>

#include "freebsd_cases.h"

MALLOC_DEFINE(M_TEST, "test", "vcpucheck test");

struct item {
	int id;
	int ready;
};

struct table {
	struct sx init_lock;
	struct mtx mtx;		/* spin */
	struct item *slot;
	int state;
};

struct table *table_new(void)
{
	struct table *t = malloc(sizeof(*t), M_TEST, M_WAITOK | M_ZERO);

	sx_init(&t->init_lock, "init");
	mtx_init(&t->mtx, "table mtx", NULL, MTX_SPIN);
	return t;
}

/* Allocate on first use: the unlocked fast path, then the re-check under the xlock. */
struct item *table_get(struct table *t, int plain)
{
	struct item *it = atomic_load_ptr(&t->slot);

	if (it != NULL)
		return it;
	sx_xlock(&t->init_lock);
	it = t->slot;
	if (it == NULL) {
		it = malloc(sizeof(*it), M_TEST, M_WAITOK);
		it->id = 7;
		it->ready = 1;
		if (plain)
			atomic_store_ptr(&t->slot, it);
		else
			atomic_store_rel_ptr(&t->slot, it);
	}
	sx_xunlock(&t->init_lock);
	return it;
}

int item_id(struct item *it) { return it->id; }

/* bzero (sys/systm.h): a fresh item, cleared or not. */
int item_fresh(int cleared)
{
	struct item *it = malloc(sizeof(*it), M_TEST, M_WAITOK);
	int ready;

	if (cleared)
		bzero(it, sizeof(*it));
	ready = it->ready;
	free(it, M_TEST);
	return ready;
}

/* The slot's item, if published, copied out with bcopy: its `ready`. */
int table_peek_copy(struct table *t)
{
	struct item *slot = atomic_load_acq_ptr(&t->slot);
	struct item copy;

	if (slot == NULL)
		return 0;
	bcopy(slot, &copy, sizeof(copy));
	return copy.ready;
}

/* A waiter and a waker on &t->state, under the spin mutex. */
void wait_state(struct table *t)
{
	mtx_lock_spin(&t->mtx);
	while (t->state == 0)
		msleep_spin(&t->state, &t->mtx, "state", 0);
	mtx_unlock_spin(&t->mtx);
}

void set_state(struct table *t)
{
	mtx_lock_spin(&t->mtx);
	t->state = 1;
	wakeup(&t->state);
	mtx_unlock_spin(&t->mtx);
}

void alloc_under_spin(struct table *t)
{
	mtx_lock_spin(&t->mtx);
	free(malloc(4, M_TEST, M_WAITOK), M_TEST);
	mtx_unlock_spin(&t->mtx);
}

void sleep_lock_on_spin(struct table *t) { mtx_lock(&t->mtx); }

void check(int v) { KASSERT(v == 0, ("v is %d", v)); }
