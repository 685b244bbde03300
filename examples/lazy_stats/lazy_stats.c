/* A VM's statistics block, allocated on first use with double-checked locking -- the pattern of
 * bhyve's vm_alloc_vcpu and many KVM lazily created per-VM objects. A reader that finds the
 * pointer set uses the object without the lock, so the publication must be a release paired
 * with an acquire (smp_store_release / smp_load_acquire).
 *
 * Bug switch "plain-publish": the pointer is published with WRITE_ONCE and read with READ_ONCE,
 * so nothing orders the object's initialization before its use. */
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <vcpucheck/c.h>

#include "lazy_stats.h"

struct vm_stats {
	long exits;
	long generation;
	struct mutex lock;
};

struct vm {
	struct mutex stats_lock;
	struct vm_stats *stats;
};

struct vm *vm_create(void)
{
	struct vm *vm = kzalloc(sizeof(*vm), GFP_KERNEL);

	mutex_init(&vm->stats_lock);
	return vm;
}

static struct vm_stats *vm_stats_get(struct vm *vm)
{
	struct vm_stats *s;

	s = vcpucheck_bug("plain-publish") ? READ_ONCE(vm->stats) : smp_load_acquire(&vm->stats);
	if (s)
		return s;
	mutex_lock(&vm->stats_lock);
	s = vm->stats;
	if (!s) {
		s = kmalloc(sizeof(*s), GFP_KERNEL);
		s->exits = 0;
		s->generation = 1;
		mutex_init(&s->lock);
		if (vcpucheck_bug("plain-publish"))
			WRITE_ONCE(vm->stats, s);
		else
			smp_store_release(&vm->stats, s);
	}
	mutex_unlock(&vm->stats_lock);
	return s;
}

long vm_stats_read(struct vm *vm)
{
	struct vm_stats *s = vm_stats_get(vm);
	long exits;

	mutex_lock(&s->lock);
	exits = s->exits * s->generation;
	mutex_unlock(&s->lock);
	return exits;
}

void vm_exit_count(struct vm *vm)
{
	struct vm_stats *s = vm_stats_get(vm);

	mutex_lock(&s->lock);
	s->exits++;
	mutex_unlock(&s->lock);
}
