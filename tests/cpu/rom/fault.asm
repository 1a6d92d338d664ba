; fault.asm — a divide error in real mode with an empty interrupt vector table: the
; CPU vectors through 0000:0000, which bare mode reports as an unhandled exception.
        bits 16
        org 0xF000
start:  cli
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        xor cx, cx
fault:  div cx
        hlt
%include "rom_tail.inc"
