# BSP in x2APIC mode: INIT, STARTUP, STARTUP to each AP by physical destination, each as one
# 64-bit WRMSR to the ICR (MSR 0x830; EDX = destination, EAX = the low half).
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE bsp_pm
bsp_pm:
    FLAT_SEGMENTS
    mov NCPUS, %esi
    mov $1, %edi
next_ap:
    cmp %esi, %edi
    jae all_sent
    mov $MSR_X2APIC_ICR, %ecx
    mov %edi, %edx
    mov $0x00004500, %eax
    wrmsr
    mov $(0x00004600 | AP_VECTOR), %eax
    wrmsr
    wrmsr
    inc %edi
    jmp next_ap
all_sent:
    movl $1, BSP_DONE
    PARK
