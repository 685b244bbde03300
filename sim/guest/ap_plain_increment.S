# Like ap_trampoline, but counts itself in with a plain (non-locked) read-modify-write: two APs
# starting together can lose an update, and the increments are a guest data race.
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
    incl STARTED_COUNT
    PARK
