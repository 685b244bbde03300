/* The C entry points of freebsd_cases.c. */
#ifndef VCPUCHECK_TESTS_C_FREEBSD_CASES_H
#define VCPUCHECK_TESTS_C_FREEBSD_CASES_H
#ifdef __cplusplus
extern "C" {
#endif
struct table;
struct item;
struct table *table_new(void);
struct item *table_get(struct table *t, int plain);
int item_id(struct item *it);
int item_fresh(int cleared);
int table_peek_copy(struct table *t);
void wait_state(struct table *t);
void set_state(struct table *t);
void alloc_under_spin(struct table *t);
void sleep_lock_on_spin(struct table *t);
void check(int v);
#ifdef __cplusplus
}
#endif
#endif
