# IPI receiver (x2APIC), every other vCPU: halt until an interrupt arrives, acknowledge it with a
# locked increment of ACKS and an EOI, then halt again. An IPI that never arrives leaves ACKS short.
    .include "guest.inc"
    .set ACKS, SHARED + 0x0C
    .set MSR_X2APIC_EOI, 0x80B
    .globl _start
_start:
    ENTER_PROTECTED_MODE recv_pm
recv_pm:
    FLAT_SEGMENTS
wait:
    cli
    hlt
    lock incl ACKS
    mov $MSR_X2APIC_EOI, %ecx
    xor %eax, %eax
    xor %edx, %edx
    wrmsr
    jmp wait
