# An AP that can live more than once (a CPU taken offline and brought back, or a kexec'd guest
# restarting its APs): at the SIPI address it enters protected mode, counts one more life, and
# parks in `cli; hlt`. Only INIT brings a parked CPU back to wait-for-SIPI; a STARTUP IPI to it
# while it is parked is discarded (SDM Vol. 3A, 10.4.7.3 and 8.4.4).
    .include "guest.inc"
    .set LIVES, SHARED + 0x300      # this example's word in the shared page: lives begun
    .globl _start
_start:
    ENTER_PROTECTED_MODE ap_pm
ap_pm:
    FLAT_SEGMENTS
    lock incl LIVES
    PARK
