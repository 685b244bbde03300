# AP trampoline, at 0x8000 (SIPI vector 0x08): real mode -> protected mode, read this CPU's APIC
# ID (x2APIC: RDMSR 0x802; xAPIC: the ID register), count itself in with a locked XADD and
# record its ID in the slot the count gave it, then park.
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
    mov $MSR_APIC_BASE, %ecx
    rdmsr
    test $0x400, %eax               # EXTD: x2APIC mode
    jz 1f
    mov $MSR_X2APIC_ID, %ecx
    rdmsr
    jmp 2f
1:  mov LAPIC_ID, %eax
    shr $24, %eax
2:  mov $1, %ebx
    lock xadd %ebx, STARTED_COUNT
    mov %eax, STARTED_IDS(,%ebx,4)
    PARK
