; triple.asm — enters protected mode with no valid IDT and executes an undefined
; opcode: #UD, then #GP and #DF on the empty gates, then shutdown (triple fault).
        bits 16
        org 0xF000
start:  cli
        o32 cs lgdt [gdtr]
        o32 cs lidt [idtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:(0xF0000 + pm32)
        bits 32
pm32:   db 0x0F, 0xFF                   ; no such opcode on a 386
        hlt
        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF           ; flat 32-bit code, ring 0
gdtr:   dw 15
        dd 0xF0000 + gdt
idtr:   dw 0
        dd 0
        bits 16
%include "rom_tail.inc"
