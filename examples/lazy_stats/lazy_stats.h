/* The C entry points of lazy_stats.c, for the harness. */
#ifndef LAZY_STATS_H
#define LAZY_STATS_H
#ifdef __cplusplus
extern "C" {
#endif
struct vm;
struct vm *vm_create(void);
long vm_stats_read(struct vm *vm);   /* the stats ioctl: creates the stats on first use */
void vm_exit_count(struct vm *vm);   /* a vCPU's exit handler counting into the stats */
#ifdef __cplusplus
}
#endif
#endif
