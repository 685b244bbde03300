/* C code for the field-name tests (tests/c_names_test.cpp). */
#ifndef VCPUCHECK_TESTS_NAMES_CASES_H
#define VCPUCHECK_TESTS_NAMES_CASES_H
#ifdef __cplusplus
extern "C" {
#endif
struct rec;
struct rec *rec_new(void);
struct rec *rec_new_untyped(void);
struct rec *rec_new_ambiguous(void);
/* A plain write and a read of the part `which` names (enum in names_cases.c). */
void rec_write(struct rec *r, int which);
long rec_read(struct rec *r, int which);
void rec_lock_twice(struct rec *r);
enum {
	REC_EXIT1_CODE,
	REC_EXIT0_HI,
	REC_EXIT1,
	REC_HALF1,
	REC_WORD,
	REC_BYTES_PART,
	REC_FLAGS_WORD,
	REC_INNER_DEEP,
};
#ifdef __cplusplus
}
#endif
#endif
