# IPI sender (x2APIC), vCPU 0: a fixed IPI, vector 0x40, to each peer 1 .. NCPUS-1, each one
# WRMSR to the ICR; then park. With IPI virtualization the sends do not exit.
    .include "guest.inc"
    .set ACKS, SHARED + 0x0C
    .globl _start
_start:
    ENTER_PROTECTED_MODE send_pm
send_pm:
    FLAT_SEGMENTS
    mov NCPUS, %esi
    mov $1, %edi
next_peer:
    cmp %esi, %edi
    jae sent
    mov $MSR_X2APIC_ICR, %ecx
    mov %edi, %edx
    mov $0x00004040, %eax           # fixed, vector 0x40, physical, assert
    wrmsr
    inc %edi
    jmp next_peer
sent:
    PARK
