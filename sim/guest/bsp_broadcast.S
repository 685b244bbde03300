# BSP: start every AP at once with the all-excluding-self shorthand (SDM "typical BSP
# initialization sequence": ICR = 000C4500H, then 000C46XXH twice).
    .include "guest.inc"
    .globl _start
_start:
    ENTER_PROTECTED_MODE bsp_pm
bsp_pm:
    FLAT_SEGMENTS
    movl $0x000C4500, LAPIC_ICR_LO
    movl $(0x000C4600 | AP_VECTOR), LAPIC_ICR_LO
    movl $(0x000C4600 | AP_VECTOR), LAPIC_ICR_LO
    movl $1, BSP_DONE
    PARK
