# BSP in x2APIC mode: start AP 1 (INIT, STARTUP, STARTUP), halt until the AP's IPI says it is up,
# then publish DATA = 1 and send AP 1 a fixed IPI (vector 0x40) announcing it.
# The MFENCE before the ICR write makes DATA visible before the IPI is sent
# (bsp_x2apic_publish_ipi is the same without it).
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE bsp_pm
bsp_pm:
    FLAT_SEGMENTS
    mov $MSR_X2APIC_ICR, %ecx
    mov $1, %edx                    # APIC ID 1
    mov $0x00004500, %eax           # INIT
    wrmsr
    mov $(0x00004600 | AP_VECTOR), %eax
    wrmsr                           # STARTUP, twice
    wrmsr
    cli
    hlt                             # until the AP's IPI says it is up
    movl $1, DATA                   # publish
    mfence                          # DATA reaches memory before the IPI is sent
    mov $MSR_X2APIC_ICR, %ecx
    mov $1, %edx
    mov $0x00004040, %eax           # fixed, vector 0x40, physical, assert
    wrmsr                           # announce
    PARK
