# BSP: start every AP with INIT, STARTUP, STARTUP by physical destination (xAPIC: ICR high then
# ICR low through the MMIO page). APIC IDs are 1 .. NCPUS-1.
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE bsp_pm
bsp_pm:
    FLAT_SEGMENTS
    mov NCPUS, %ecx
    mov $1, %ebx
next_ap:
    cmp %ecx, %ebx
    jae all_sent
    mov %ebx, %eax
    shl $24, %eax
    mov %eax, LAPIC_ICR_HI
    movl $0x00004500, LAPIC_ICR_LO  # INIT, level assert, physical
    mov %eax, LAPIC_ICR_HI
    movl $(0x00004600 | AP_VECTOR), LAPIC_ICR_LO   # STARTUP
    mov %eax, LAPIC_ICR_HI
    movl $(0x00004600 | AP_VECTOR), LAPIC_ICR_LO   # STARTUP again (MP spec)
    inc %ebx
    jmp next_ap
all_sent:
    movl $1, BSP_DONE
    PARK
