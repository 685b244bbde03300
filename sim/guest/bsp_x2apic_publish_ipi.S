# BSP in x2APIC mode: start AP 1 (INIT, STARTUP, STARTUP), halt until the AP's IPI says it is up,
# then publish DATA = 1 and send AP 1 a fixed IPI (vector 0x40) announcing it.
# With no fence, under x86-TSO the AP can take the IPI while DATA = 1 is still in the BSP's
# store buffer: an x2APIC ICR write is not serializing (Linux fences before one:
# weak_wrmsr_fence). bsp_x2apic_publish_ipi_mfence is this source assembled with FENCED: the
# MFENCE makes DATA visible before the IPI is sent.
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
.ifdef FENCED
    mfence                          # DATA reaches memory before the IPI is sent
.endif
    mov $MSR_X2APIC_ICR, %ecx
    mov $1, %edx
    mov $0x00004040, %eax           # fixed, vector 0x40, physical, assert
    wrmsr                           # announce
    PARK
