/* bench/c_access_bench: instrumented C accesses, one visible operation each. */
#include <linux/slab.h>

struct table {
	int slot[16];
};

struct table *c_table_new(void)
{
	return kzalloc(sizeof(struct table), GFP_KERNEL);
}

/* n plain read-modify-writes of the table's slots: 2 visible operations each. */
int c_table_bump(struct table *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		t->slot[i & 15] = t->slot[i & 15] + 1;
	return t->slot[0];
}
