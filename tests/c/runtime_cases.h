/* The C entry points tests/c_runtime_test.cpp calls. */
#ifndef VCPUCHECK_TESTS_C_RUNTIME_CASES_H
#define VCPUCHECK_TESTS_C_RUNTIME_CASES_H
#ifdef __cplusplus
extern "C" {
#endif
struct obj;
struct obj *obj_new(int zeroed);
void obj_free(struct obj *o);
void set_a(struct obj *o, int v);
int get_a(struct obj *o);
void set_b(struct obj *o, int v);
void set_a_once(struct obj *o, int v);
int get_a_once(struct obj *o);
void inc(struct obj *o);
int count(struct obj *o);
void locked_add(struct obj *o);
long locked_get(struct obj *o);
long long get_ab(struct obj *o);
int cas_a(struct obj *o, int old, int new_value);
void spin_then_lock(struct obj *o);
void wrong_kind(struct obj *o);
int warn_if(int cond);
void sb_first(struct obj *o, int fenced);
void sb_second(struct obj *o, int fenced);
int store_then_load(struct obj *o, int v);
void set_ab(struct obj *o, long long v);
void check_ab_order(struct obj *o);
struct big;
struct big *big_new(void);
void big_clear(struct big *b, const struct big *from);
int big_tail(struct big *b);
void big_set_tail(struct big *b, int v);
void big_wipe(struct big *b, unsigned long n);
void big_copy(struct big *to, const struct big *from, unsigned long n);
int big_fresh_tail(int wiped);
int *c_hits_addr(void);
int hit(int locked);
#ifdef __cplusplus
}
#endif
#endif
