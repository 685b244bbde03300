# BSP in x2APIC mode: INIT and two STARTUPs to all-excluding-self, each one WRMSR to the ICR.
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE bsp_pm
bsp_pm:
    FLAT_SEGMENTS
    mov $MSR_X2APIC_ICR, %ecx
    xor %edx, %edx
    mov $0x000C4500, %eax
    wrmsr
    mov $(0x000C4600 | AP_VECTOR), %eax
    wrmsr
    wrmsr
    movl $1, BSP_DONE
    PARK
