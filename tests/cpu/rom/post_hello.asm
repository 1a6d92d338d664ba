; post_hello.asm — bare mode end to end: starts at the reset vector, reports POST codes
; on port 0x190 and prints a line on port 0xE9, then halts with IF clear.
        bits 16
        org 0xF000
start:  cli
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov dx, 0x190
        mov al, 0x01
        out dx, al
        mov si, msg
.next:  cs lodsb
        test al, al
        jz .done
        out 0xE9, al
        jmp .next
.done:  mov al, 0x02
        out dx, al
        ; the ROM's top copy (linear 0xFFFFFxxx) and its low mirror hold the same
        ; bytes: the reset far jump we came through is readable at F000:FFF0
        mov ax, 0xF000
        mov ds, ax
        cmp byte [reset], 0xEA
        jne .bad
        mov al, 0xFF
        out dx, al
        hlt
.bad:   mov al, 0xEE
        out dx, al
        hlt
msg:    db "hello from F000:FFF0", 10, 0
%include "rom_tail.inc"
