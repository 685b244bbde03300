# AP (x2APIC): tell the BSP it is up with a fixed IPI, halt until the BSP's IPI arrives, then read
# DATA: that IPI announces it, so it must be 1; a 0 is counted in MISSED (the model's invariant).
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
    mov $MSR_X2APIC_ICR, %ecx
    xor %edx, %edx                  # to APIC ID 0, the BSP
    mov $0x00004041, %eax           # fixed, vector 0x41
    wrmsr
    cli
    hlt                             # woken by the IPI
    mov DATA, %eax
    test %eax, %eax
    jnz 1f
    lock incl MISSED                # announced, but not visible
1:  PARK
