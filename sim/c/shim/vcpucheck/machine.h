/* vcpucheck's emulated machine for C VMM code (not a kernel header): the vCPUs' cores running
 * real guest code, their local APICs, and the VMM's ICR write handler.
 *
 * The harness opens the machine and binds it (sim/c/machine.hpp: sim::c::MachineBinding) with
 * the C function that handles the guest's ICR writes -- the VMM's vlapic -- in place of the
 * hardware's delivery. The handler runs on the writing vCPU's thread, in the middle of the guest
 * instruction (an MMIO or WRMSR exit); it may deliver the IPI as hardware would
 * (vcpucheck_apic_deliver), or ask the vCPU to leave guest mode once the instruction completes
 * (vcpucheck_cpu_request_exit) and handle the IPI in the VMM's run loop. */
#ifndef VCPUCHECK_SHIM_VCPUCHECK_MACHINE_H
#define VCPUCHECK_SHIM_VCPUCHECK_MACHINE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/* The ICR's delivery modes and destination shorthands, as the SDM numbers them. */
enum { VCPUCHECK_APIC_FIXED = 0, VCPUCHECK_APIC_NMI = 4, VCPUCHECK_APIC_INIT = 5, VCPUCHECK_APIC_STARTUP = 6 };
enum { VCPUCHECK_DEST_NONE = 0, VCPUCHECK_DEST_SELF = 1, VCPUCHECK_DEST_ALL = 2, VCPUCHECK_DEST_ALL_BUT_SELF = 3 };
struct vcpucheck_icr {
	uint64_t raw;		/* as written (xAPIC: ICR high << 32 | ICR low) */
	int mode;		/* VCPUCHECK_APIC_* */
	int vector;
	int logical;		/* destination mode */
	int shorthand;		/* VCPUCHECK_DEST_* */
	uint32_t dest;		/* xAPIC: 8 bits; x2APIC: 32 */
	int x2apic;		/* written as x2APIC (WRMSR) */
	int valid;		/* 0: the SDM says the CPU does not send it at all (INIT de-assert, ...) */
};
/* The VMM's ICR write handler: `vcpuid` wrote `icr`. */
typedef void (*vcpucheck_icr_handler_t)(void *arg, int vcpuid, const struct vcpucheck_icr *icr);

/* Why vcpucheck_cpu_run returned. */
enum { VCPUCHECK_EXIT_HLT = 1, VCPUCHECK_EXIT_VMM = 2, VCPUCHECK_EXIT_BUDGET = 3, VCPUCHECK_EXIT_KICK = 4 };
/* Guest mode on `vcpuid`'s core until it exits: HLT, a vcpucheck_cpu_request_exit from a
 * handler, a long stretch of guest-only work (run it again), or a kick. A guest fault is a
 * violation that ends the execution. Call it from the vCPU's own thread. */
int vcpucheck_cpu_run(int vcpuid);
/* The core at real mode, CS:IP = rip >> 4 : 0 (a STARTUP's start, or the BSP's entry). */
void vcpucheck_cpu_start(int vcpuid, uint32_t rip);
/* Where the BSP's program starts. */
uint32_t vcpucheck_bsp_entry(void);
/* From a handler: leave guest mode once the current instruction completes (VCPUCHECK_EXIT_VMM). */
void vcpucheck_cpu_request_exit(int vcpuid);
/* The hardware's delivery of `icr` from `vcpuid` (to the targets' mailboxes). */
void vcpucheck_apic_deliver(int vcpuid, const struct vcpucheck_icr *icr);
/* The local APIC: INIT's reset (the ID and x2APIC mode survive), and whether an interrupt is
 * pending in IRR (a halted vCPU's wakeup condition). Not visible operations. */
void vcpucheck_lapic_reset(int vcpuid);
int vcpucheck_lapic_irr_pending(int vcpuid);
/* A guest RAM word as the guest left it (for end-of-execution checks; not a visible operation). */
uint32_t vcpucheck_guest_peek32(uint64_t gpa);
#ifdef __cplusplus
}
#endif
#endif
