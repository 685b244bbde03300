# Dekker's entry, the store-buffering shape on two guest CPUs: the AP with APIC ID i (1 or 2)
# raises its flag, then enters (counts itself into ENTERED) if the other AP's flag is still down.
# With the MFENCE between the store and the load, at most one AP enters under x86-TSO as
# under SC (ap_dekker is the same without it).
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
    mov LAPIC_ID, %eax
    shr $24, %eax                   # this AP: 1 or 2
    movl $1, FLAGS(,%eax,4)         # my flag up
    mfence                          # the store reaches memory before the load
    mov $3, %ebx
    sub %eax, %ebx                  # the other AP
    mov FLAGS(,%ebx,4), %ecx        # its flag
    test %ecx, %ecx
    jnz 1f
    lock incl ENTERED               # it was down: enter
1:  PARK
