; io.asm — test VxD for port I/O (docs/vmm.md, "Port I/O"). The test maps port
; 0x3FD to 0x12345660 and port 0x3F8 to 0x000000AB; 0x80 and 0x2F8 are unmapped.
; Each entry point is called by a timeline `call` stimulus.
[map symbols io.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        clc
        ret

; IN and OUT of sizes 1, 2 and 4, from mapped and unmapped ports; an OUT to a mapped
; port does not change what it reads.
io_basic:
        mov     dx, 0x3FD
        in      al, dx                  ; 0x60
        mov     [in8], al
        in      ax, dx                  ; 0x5660: the port's own value, masked
        mov     [in16], ax
        in      eax, dx                 ; 0x12345660
        mov     [in32], eax
        in      al, 0x80                ; unmapped: 0xFF
        mov     [un8], al
        mov     dx, 0x2F8
        in      ax, dx                  ; unmapped: 0xFFFF
        mov     [un16], ax
        in      eax, dx                 ; unmapped: 0xFFFFFFFF
        mov     [un32], eax
        mov     al, 0x5A
        out     0x80, al
        mov     dx, 0x3F8
        mov     ax, 0xBEEF
        out     dx, ax
        mov     eax, 0xCAFEF00D
        out     dx, eax
        mov     dx, 0x3FD
        mov     al, 0x11
        out     dx, al                  ; no latch: the next IN still reads 0x60
        in      al, dx
        mov     [after_out], al
        ret

; REP INSB from the mapped status port, then REP OUTSB of three bytes to 0x3F8.
io_rep:
        cld
        mov     dx, 0x3FD
        mov     edi, buf_in
        mov     ecx, 4
        rep insb
        mov     [rep_ecx], ecx
        mov     dx, 0x3F8
        mov     esi, buf_out
        mov     ecx, 3
        rep outsb
        ret

align 4
in8:       db 0
un8:       db 0
after_out: db 0
           db 0
in16:      dw 0
un16:      dw 0
in32:      dd 0
un32:      dd 0
rep_ecx:   dd 0xFFFFFFFF
buf_in:    dd 0
buf_out:   db 0x01, 0x02, 0x03, 0
