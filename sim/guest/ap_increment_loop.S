# A benchmark AP: 1000 locked increments of the shared counter, then park. Every increment is one
# visible operation, so the run measures what a guest visible operation costs.
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
    mov $1000, %ecx
1:  lock incl STARTED_COUNT
    loop 1b
    PARK
