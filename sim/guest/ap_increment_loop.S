# A benchmark AP: 1000 locked increments of the shared counter, then park. Every increment is one
# visible operation, so the run measures what a guest visible operation costs. With THREE
# (ap_increment_3): three increments, for the kick tests.
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
.ifdef THREE
    mov $3, %ecx
.else
    mov $1000, %ecx
.endif
1:  lock incl STARTED_COUNT
    loop 1b
    PARK
