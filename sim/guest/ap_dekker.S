# Dekker's entry, the store-buffering shape on two guest CPUs: the AP with APIC ID i (1 or 2)
# raises its flag, then enters (counts itself into ENTERED) if the other AP's flag is still down.
# Under x86-TSO both can enter: each AP's store to its flag is still in its store buffer when
# it reads the other's flag. ap_dekker_mfence is this source assembled with FENCED: the MFENCE
# between them forbids it.
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
    mov LAPIC_ID, %eax
    shr $24, %eax                   # this AP: 1 or 2
    movl $1, FLAGS(,%eax,4)         # my flag up
.ifdef FENCED
    mfence                          # the store reaches memory before the load
.endif
    mov $3, %ebx
    sub %eax, %ebx                  # the other AP
    mov FLAGS(,%ebx,4), %ecx        # its flag
    test %ecx, %ecx
    jnz 1f
    lock incl ENTERED               # it was down: enter
1:  PARK
