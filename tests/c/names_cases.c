/* C code for the field-name tests (tests/c_names_test.cpp): a struct with the shapes kernel
 * structs have -- an array of structs, nested and anonymous members, a union, a bit field, an
 * embedded lock -- and allocations whose type can and cannot be told. */
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "names_cases.h"

struct exit_info {
	int code;
	short lo;
	short hi;
};

struct rec {
	struct exit_info exits[2];
	union {
		long word;
		int half[2];
	};
	unsigned int ready : 1;
	unsigned int spare : 31;
	struct {
		struct {
			int deep;
		} inner;
	} outer;
	struct mutex lock;
	char bytes[6];
};

/* Another struct of struct rec's size, for an allocation that could be either. */
struct twin {
	char raw[sizeof(struct rec)];
};

struct rec *rec_new(void)
{
	struct rec *r = kzalloc(sizeof(*r), GFP_KERNEL);

	mutex_init(&r->lock);
	return r;
}

/* Through a void pointer: no struct type is in sight. */
struct rec *rec_new_untyped(void)
{
	void *p = kzalloc(sizeof(struct rec), GFP_KERNEL);

	mutex_init(&((struct rec *)p)->lock);
	return p;
}

struct rec *rec_new_ambiguous(void)
{
	struct twin *t = NULL;
	struct rec *r = kzalloc(sizeof(*r), GFP_KERNEL);

	(void)t;
	mutex_init(&r->lock);
	return r;
}

void rec_write(struct rec *r, int which)
{
	struct exit_info e = { 1, 2, 3 };

	switch (which) {
	case REC_EXIT1_CODE: r->exits[1].code = 1; break;
	case REC_EXIT0_HI: r->exits[0].hi = 1; break;
	case REC_EXIT1: memcpy(&r->exits[1], &e, sizeof(e)); break;
	case REC_HALF1: r->half[1] = 1; break;
	case REC_WORD: r->word = 1; break;
	case REC_BYTES_PART: memset(&r->bytes[1], 1, 4); break;
	case REC_FLAGS_WORD: r->ready = 1; break;
	case REC_INNER_DEEP: r->outer.inner.deep = 1; break;
	}
}

long rec_read(struct rec *r, int which)
{
	struct exit_info e;

	switch (which) {
	case REC_EXIT1_CODE: return r->exits[1].code;
	case REC_EXIT0_HI: return r->exits[0].hi;
	case REC_EXIT1: memcpy(&e, &r->exits[1], sizeof(e)); return e.code;
	case REC_HALF1: return r->half[1];
	case REC_WORD: return r->word;
	case REC_BYTES_PART: return memcmp(&r->bytes[1], "abcd", 4);
	case REC_FLAGS_WORD: return r->ready;
	case REC_INNER_DEEP: return r->outer.inner.deep;
	}
	return 0;
}

void rec_lock_twice(struct rec *r)
{
	mutex_lock(&r->lock);
	mutex_lock(&r->lock);
}
